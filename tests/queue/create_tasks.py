#!/usr/bin/env python3
"""Creates tasks with the official Python client, for the worker tests:
`create_tasks.py QUEUE GROUP N SCRIPT` makes N generic-worker tasks in task group GROUP on task
queue QUEUE, each running `sh -c SCRIPT`, and prints their taskIds."""

import os
import sys

import taskcluster

queue_id, group, count, script = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
q = taskcluster.Queue({
    "rootUrl": os.environ["TASKCLUSTER_ROOT_URL"],
    "credentials": {"clientId": os.environ["TASKCLUSTER_CLIENT_ID"],
                    "accessToken": os.environ["TASKCLUSTER_ACCESS_TOKEN"]},
    "maxRetries": 0,
})
for i in range(count):
    task_id = taskcluster.slugId()
    q.createTask(task_id, {
        "taskQueueId": queue_id,
        "schedulerId": "-",
        "taskGroupId": group,
        "created": taskcluster.fromNowJSON("0 seconds"),
        "deadline": taskcluster.fromNowJSON("1 hour"),
        "expires": taskcluster.fromNowJSON("1 day"),
        "payload": {"command": [["sh", "-c", script]], "maxRunTime": 120},
        "metadata": {"name": f"python-made {i}", "description": "", "owner": "tests@example.com",
                     "source": "https://example.com/tests"},
    })
    print(task_id)

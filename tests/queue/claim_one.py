#!/usr/bin/env python3
"""`claim_one.py QUEUE`: one claimWork call with the official Python client (no retries);
prints how many tasks it got, e.g. `0 tasks`."""

import os
import sys

import taskcluster

q = taskcluster.Queue({
    "rootUrl": os.environ["TASKCLUSTER_ROOT_URL"],
    "credentials": {"clientId": os.environ["TASKCLUSTER_CLIENT_ID"],
                    "accessToken": os.environ["TASKCLUSTER_ACCESS_TOKEN"]},
    "maxRetries": 0,
})
got = q.claimWork(sys.argv[1], {"workerGroup": "tests", "workerId": "waiting", "tasks": 1})["tasks"]
print(f"{len(got)} tasks")

#!/usr/bin/env python3
"""What a worker would do, for the CLI tests (official Python client):
`worker_steps.py complete QUEUE N`  claim up to N tasks and report them completed;
`worker_steps.py fail QUEUE`         claim one task and report it failed;
`worker_steps.py log QUEUE TEXT`     claim one task, upload TEXT as its log, report completed;
`worker_steps.py slow-log QUEUE`     the same in two steps, three seconds apart (for --follow)."""

import time

import os
import sys

import requests
import taskcluster

ROOT = os.environ["TASKCLUSTER_ROOT_URL"]
CREDS = {"clientId": os.environ["TASKCLUSTER_CLIENT_ID"], "accessToken": os.environ["TASKCLUSTER_ACCESS_TOKEN"]}
q = taskcluster.Queue({"rootUrl": ROOT, "credentials": CREDS, "maxRetries": 0})


def claim(queue, n):
    return q.claimWork(queue, {"workerGroup": "tests", "workerId": "steps", "tasks": n})["tasks"]


action, queue = sys.argv[1], sys.argv[2]
if action == "complete":
    got = claim(queue, int(sys.argv[3]))
    for c in got:
        taskcluster.Queue({"rootUrl": ROOT, "credentials": c["credentials"]}).reportCompleted(c["status"]["taskId"], c["runId"])
    print(len(got))
elif action == "fail":
    c = claim(queue, 1)[0]
    taskcluster.Queue({"rootUrl": ROOT, "credentials": c["credentials"]}).reportFailed(c["status"]["taskId"], c["runId"])
    print(c["status"]["taskId"])
elif action in ("log", "slow-log"):
    c = claim(queue, 1)[0]
    tid, run = c["status"]["taskId"], c["runId"]
    wq = taskcluster.Queue({"rootUrl": ROOT, "credentials": c["credentials"]})
    exp = taskcluster.fromNowJSON("1 hour")
    texts = [sys.argv[3]] if action == "log" else ["part one\n", "part one\npart two\n"]
    for i, text in enumerate(texts):
        if i:
            time.sleep(3)
        put = wq.createArtifact(tid, run, "public/logs/live_backing.log", {"storageType": "s3", "contentType": "text/plain; charset=utf-8", "expires": exp})
        assert requests.put(put["putUrl"], data=text.encode()).status_code == 200
        wq.createArtifact(tid, run, "public/logs/live.log", {"storageType": "link", "artifact": "public/logs/live_backing.log", "expires": exp})
    wq.reportCompleted(tid, run)
    print(tid)

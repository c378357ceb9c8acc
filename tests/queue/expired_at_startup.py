#!/usr/bin/env python3
"""`expired_at_startup.py claim FILE` claims a task and writes its id to FILE;
`expired_at_startup.py check FILE` asserts that its run ended claim-expired (with a retry run)."""

import os
import sys

import slugid
import taskcluster

ROOT = os.environ["TASKCLUSTER_ROOT_URL"]
CREDS = {"clientId": os.environ["TASKCLUSTER_CLIENT_ID"], "accessToken": os.environ["TASKCLUSTER_ACCESS_TOKEN"]}
q = taskcluster.Queue({"rootUrl": ROOT, "credentials": CREDS, "maxRetries": 0})

if sys.argv[1] == "claim":
    tid = slugid.nice()
    q.createTask(tid, {
        "taskQueueId": "proj-tc/restart",
        "created": taskcluster.fromNowJSON("0 seconds"),
        "deadline": taskcluster.fromNowJSON("1 hour"),
        "payload": {},
        "metadata": {"name": "r", "description": "d", "owner": "o@example.com", "source": "https://example.com/x"},
    })
    got = q.claimWork("proj-tc/restart", {"workerGroup": "g", "workerId": "w", "tasks": 1})["tasks"]
    assert got and got[0]["status"]["taskId"] == tid
    open(sys.argv[2], "w").write(tid)
else:
    tid = open(sys.argv[2]).read()
    s = q.status(tid)["status"]
    assert s["runs"][0]["reasonResolved"] == "claim-expired", s
    assert s["runs"][1]["state"] == "pending" and s["runs"][1]["reasonCreated"] == "retry", s
    print("expired at startup: ok")

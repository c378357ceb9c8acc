#!/usr/bin/env python3
"""Durability under `kill -9` (queue-api.md §10 item 15).

`durability.py load LOG SECONDS`: four threads create, claim and resolve tasks for SECONDS; each
call the queue acknowledged is appended to LOG (one JSON line, fsynced) before the next call.
Connection errors (the server being killed) are expected and only counted.
`durability.py check LOG`: every acknowledged write is in the queue, and no run was made that
no claim asked for."""

import json
import os
import sys
import threading
import time

import slugid
import taskcluster

ROOT = os.environ["TASKCLUSTER_ROOT_URL"]
CREDS = {"clientId": os.environ["TASKCLUSTER_CLIENT_ID"], "accessToken": os.environ["TASKCLUSTER_ACCESS_TOKEN"]}
Q = "proj-tc/durable"


def queue(creds=CREDS):
    return taskcluster.Queue({"rootUrl": ROOT, "credentials": creds, "maxRetries": 0})


def task():
    return {
        "taskQueueId": Q,
        "created": taskcluster.fromNowJSON("0 seconds"),
        "deadline": taskcluster.fromNowJSON("1 hour"),
        "payload": {},
        "metadata": {"name": "durable", "description": "d", "owner": "o@example.com", "source": "https://example.com/x"},
    }


def load(log_path, seconds):
    lock = threading.Lock()
    log = open(log_path, "a")
    errors = [0]

    def ack(entry):
        with lock:
            log.write(json.dumps(entry) + "\n")
            log.flush()
            os.fsync(log.fileno())

    def worker(n):
        end = time.time() + seconds
        while time.time() < end:
            try:
                q = queue()
                tid = slugid.nice()
                q.createTask(tid, task())
                ack({"op": "create", "taskId": tid})
                got = q.claimWork(Q, {"workerGroup": "g", "workerId": f"w{n}", "tasks": 1})["tasks"]
                for c in got:
                    t, r = c["status"]["taskId"], c["runId"]
                    ack({"op": "claim", "taskId": t, "runId": r})
                    wq = queue(c["credentials"])
                    if r % 2 == 0 and hash(t) % 2 == 0:
                        wq.reportFailed(t, r)
                        ack({"op": "resolve", "taskId": t, "runId": r, "state": "failed"})
                    else:
                        wq.reportCompleted(t, r)
                        ack({"op": "resolve", "taskId": t, "runId": r, "state": "completed"})
            except Exception:
                errors[0] += 1
                time.sleep(0.05)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print(f"load: {errors[0]} calls failed while the server was down")


def check(log_path):
    entries = [json.loads(line) for line in open(log_path) if line.strip()]
    q = queue()
    statuses = {}
    claims = {}
    for e in entries:
        tid = e["taskId"]
        if tid not in statuses:
            statuses[tid] = q.status(tid)["status"]
        s = statuses[tid]
        if e["op"] == "claim":
            claims.setdefault(tid, set()).add(e["runId"])
            run = s["runs"][e["runId"]]
            assert run["state"] != "pending", (tid, s)
        if e["op"] == "resolve":
            assert s["runs"][e["runId"]]["state"] == e["state"], (e, s)
    for tid, s in statuses.items():
        # Claims are never retried here (a 20-minute claim timeout): at most one run per task.
        assert len(s["runs"]) <= 1, s
    creates = sum(1 for e in entries if e["op"] == "create")
    print(f"check: {creates} acknowledged tasks, {sum(len(v) for v in claims.values())} claims, all present")
    assert creates > 20, "the load made progress"


if __name__ == "__main__":
    if sys.argv[1] == "load":
        load(sys.argv[2], float(sys.argv[3]))
    else:
        check(sys.argv[2])

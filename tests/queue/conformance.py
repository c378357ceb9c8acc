#!/usr/bin/env python3
"""The queue-api.md §10 checklist against a running `tc queue serve`, with the official Python
client (taskcluster 113.x). Run one section: `conformance.py SECTION`; the environment names the
queue and the root client (TASKCLUSTER_ROOT_URL, TASKCLUSTER_CLIENT_ID, TASKCLUSTER_ACCESS_TOKEN).
Exit 0 when every assertion of the section holds."""

import base64
import datetime
import json
import os
import sys
import threading
import time
import urllib.parse

import mohawk
import requests
import slugid
import taskcluster
from taskcluster.exceptions import TaskclusterAuthFailure, TaskclusterRestFailure

ROOT = os.environ["TASKCLUSTER_ROOT_URL"]
CREDS = {"clientId": os.environ["TASKCLUSTER_CLIENT_ID"], "accessToken": os.environ["TASKCLUSTER_ACCESS_TOKEN"]}
Q = "proj-tc/ci"


def queue(credentials=CREDS):
    opts = {"rootUrl": ROOT, "maxRetries": 0}
    if credentials:
        opts["credentials"] = credentials
    return taskcluster.Queue(opts)


def task(**over):
    t = {
        "taskQueueId": Q,
        "created": taskcluster.fromNowJSON("0 seconds"),
        "deadline": taskcluster.fromNowJSON("1 hour"),
        "payload": {},
        "metadata": {"name": "conformance", "description": "d", "owner": "o@example.com", "source": "https://example.com/x"},
    }
    t.update(over)
    return t


def fails(code, status, fn, *args, **kwargs):
    """Asserts that fn(*args) fails with `status` and error `code`; returns the error body."""
    try:
        fn(*args, **kwargs)
    except (TaskclusterRestFailure, TaskclusterAuthFailure) as e:
        assert e.status_code == status, (e.status_code, status, e.body)
        assert e.body.get("code") == code, (e.body.get("code"), code)
        return e.body
    raise AssertionError(f"expected {status} {code}")


def claim(q, queue_id=Q, n=1, worker=("g", "w")):
    return q.claimWork(queue_id, {"workerGroup": worker[0], "workerId": worker[1], "tasks": n})["tasks"]


def signed(method, path, body=None, creds=CREDS, content_type="application/json", tamper=None):
    """A raw request signed with mohawk over `path` as sent (path and query)."""
    url = ROOT + path
    data = b"" if body is None else json.dumps(body).encode()
    sender = mohawk.Sender(
        {"id": creds["clientId"], "key": creds["accessToken"], "algorithm": "sha256"},
        url,
        method,
        content=data,
        content_type=content_type,
    )
    headers = {"Authorization": sender.request_header, "Content-Type": content_type}
    if tamper:
        url = tamper(url)
    return requests.request(method, url, data=data, headers=headers, allow_redirects=False)


# 1. The lifecycle probe.
def lifecycle():
    q = queue()
    assert q.ping()["alive"] is True
    tid = slugid.nice()
    t = task()
    s1 = q.createTask(tid, t)
    s2 = q.createTask(tid, t)
    assert s1 == s2, "createTask is idempotent"
    c = claim(q)[0]
    assert c["status"]["taskId"] == tid and c["runId"] == 0
    wq = queue(c["credentials"])
    r = wq.reclaimTask(tid, 0)
    wq = queue(r["credentials"])
    exp = taskcluster.fromNowJSON("1 hour")
    wq.createArtifact(tid, 0, "public/ref", {"storageType": "reference", "url": "https://example.com/r", "contentType": "text/plain", "expires": exp})
    wq.createArtifact(tid, 0, "public/err", {"storageType": "error", "reason": "file-missing-on-worker", "message": "not there", "expires": exp})
    assert wq.reportCompleted(tid, 0)["status"]["state"] == "completed"
    assert q.status(tid)["status"]["state"] == "completed"
    listed = q.listTaskGroup(tid, query={"limit": 10})
    assert [x["status"]["taskId"] for x in listed["tasks"]] == [tid]
    d = q.task(tid)
    assert d["taskQueueId"] == Q and d["provisionerId"] == "proj-tc" and d["workerType"] == "ci"


# 2. Raw `/` in taskQueueId and artifact names.
def raw_slash():
    q = queue()
    tid = slugid.nice()
    q.createTask(tid, task())
    r = signed("POST", f"/api/queue/v1/claim-work/{Q}", {"workerGroup": "g", "workerId": "w", "tasks": 1})
    assert r.status_code == 200, r.text
    c = r.json()["tasks"][0]
    assert c["status"]["taskId"] == tid
    creds = c["credentials"]
    wq = queue(creds)
    exp = taskcluster.fromNowJSON("1 hour")
    wq.createArtifact(tid, 0, "public/logs/live.log", {"storageType": "reference", "url": "https://example.com/l", "contentType": "text/plain", "expires": exp})
    raw = requests.get(f"{ROOT}/api/queue/v1/task/{tid}/runs/0/artifacts/public/logs/live.log", allow_redirects=False)
    enc = requests.get(f"{ROOT}/api/queue/v1/task/{tid}/runs/0/artifacts/public%2Flogs%2Flive.log", allow_redirects=False)
    mixed = requests.get(f"{ROOT}/api/queue/v1/task/{tid}/runs/0/artifacts/public%2Flogs/live.log", allow_redirects=False)
    for resp in (raw, enc, mixed):
        assert resp.status_code == 303, resp.status_code
        assert resp.json() == {"storageType": "reference", "url": "https://example.com/l"}
        assert resp.headers["Location"] == "https://example.com/l"


# 3. Authentication failures.
def auth():
    tid = slugid.nice()
    queue().createTask(tid, task())
    bad = {"clientId": CREDS["clientId"], "accessToken": "not-the-token-at-all"}
    r = signed("GET", f"/api/queue/v1/task/{tid}/status", creds=bad)
    assert r.status_code == 401 and r.json()["code"] == "AuthenticationFailed", r.text
    assert r.headers.get("WWW-Authenticate") == "Hawk"
    # ts 16 minutes off.
    url = f"{ROOT}/api/queue/v1/task/{tid}/status"
    sender = mohawk.Sender({"id": CREDS["clientId"], "key": CREDS["accessToken"], "algorithm": "sha256"}, url, "GET", content=b"", content_type="", _timestamp=int(time.time()) - 16 * 60)
    r = requests.get(url, headers={"Authorization": sender.request_header})
    assert r.status_code == 401, r.text
    # A query changed after signing.
    r = signed("GET", f"/api/queue/v1/task-group/{tid}/list?limit=10", body=None, tamper=lambda u: u.replace("limit=10", "limit=11"))
    assert r.status_code == 401, r.text
    # A bad payload hash.
    url = f"{ROOT}/api/queue/v1/task/{slugid.nice()}"
    body = json.dumps(task()).encode()
    sender = mohawk.Sender({"id": CREDS["clientId"], "key": CREDS["accessToken"], "algorithm": "sha256"}, url, "PUT", content=body, content_type="application/json")
    r = requests.put(url, data=body + b" ", headers={"Authorization": sender.request_header, "Content-Type": "application/json"})
    assert r.status_code == 401, r.text
    # Header and bewit together.
    signed_url = queue().buildSignedUrl("status", tid)
    sender = mohawk.Sender({"id": CREDS["clientId"], "key": CREDS["accessToken"], "algorithm": "sha256"}, signed_url, "GET", content=b"", content_type="")
    r = requests.get(signed_url, headers={"Authorization": sender.request_header})
    assert r.status_code == 401 and "only one" in r.json()["message"], r.text
    # Bad credentials on ping are ignored; the right ones pass.
    assert signed("GET", "/api/queue/v1/ping", creds=bad).status_code == 200
    assert signed("GET", f"/api/queue/v1/task/{tid}/status").status_code == 200


# 4. 403 with details.
def insufficient():
    limited = {"clientId": "limited", "accessToken": "limited-access-token"}
    q = queue(limited)
    body = fails("InsufficientScopes", 403, q.createTask, slugid.nice(), task(routes=["x"]))
    assert body["details"]["unsatisfied"] == "queue:route:x", body["details"]
    required = body["details"]["required"]
    assert "AllOf" in required and "queue:route:x" in required["AllOf"], required
    assert required["AllOf"][-1]["AnyOf"][-1] == f"queue:create-task:lowest:{Q}", required
    # Without the route the same client may create the task.
    q.createTask(slugid.nice(), task())


# 5. Input errors.
def validation():
    q = queue()
    fails("InputValidationError", 400, q.createTask, slugid.nice(), task(unknownKey=1))
    t = task()
    del t["metadata"]
    fails("InputValidationError", 400, q.createTask, slugid.nice(), t)
    url = f"{ROOT}/api/queue/v1/task/{slugid.nice()}"
    r = requests.put(url, data=b"{not json", headers={"Content-Type": "application/json"})
    assert r.status_code == 400 and r.json()["code"] == "MalformedPayload", r.text
    fails("InputError", 400, q.createTask, slugid.nice(), task(deadline=taskcluster.fromNowJSON("6 days")))
    r = signed("GET", "/api/queue/v1/task/not-a-slugid/status")
    assert r.status_code == 400 and r.json()["code"] == "InvalidRequestArguments", r.text


# 6. Idempotent createTask; timestamps differing only in format are equal.
def idempotent():
    q = queue()
    tid = slugid.nice()
    t = task()
    first = q.createTask(tid, t)
    same = dict(t)
    created = t["created"].replace("Z", "+00:00")
    same["created"] = created
    assert q.createTask(tid, same) == first
    fails("RequestConflict", 409, q.createTask, tid, task(priority="high"))


# 7. Groups: sealed, schedulerId, cancel.
def groups():
    q = queue()
    group = slugid.nice()
    a = slugid.nice()
    t = task(taskGroupId=group)
    q.createTask(a, t)
    fails("RequestConflict", 409, q.cancelTaskGroup, group)
    fails("RequestConflict", 409, q.createTask, slugid.nice(), task(taskGroupId=group, schedulerId="other"))
    q.createTask(slugid.nice(), task(taskGroupId=group))
    sealed = q.sealTaskGroup(group)
    assert "sealed" in sealed
    assert q.sealTaskGroup(group) == sealed, "sealing is idempotent"
    fails("RequestConflict", 409, q.createTask, slugid.nice(), task(taskGroupId=group))
    q.createTask(a, t)  # an identical repeat still answers 200
    res = q.cancelTaskGroup(group)
    assert res["taskGroupSize"] == 2 and res["cancelledCount"] == 2, res
    assert q.status(a)["status"]["runs"][-1]["reasonResolved"] == "canceled"


# 8. Dependencies.
def dependencies():
    q = queue()
    missing = slugid.nice()
    tid = slugid.nice()
    fails("InputError", 400, q.createTask, tid, task(dependencies=[missing]))
    fails("ResourceNotFound", 404, q.status, tid)
    dq = "proj-tc/deps"
    dep = slugid.nice()
    q.createTask(dep, task(taskQueueId=dq))
    strict = slugid.nice()
    loose = slugid.nice()
    q.createTask(strict, task(taskQueueId=dq, dependencies=[dep], deadline=taskcluster.fromNowJSON("4 seconds")))
    q.createTask(loose, task(taskQueueId=dq, dependencies=[dep], requires="all-resolved"))
    assert q.status(strict)["status"]["state"] == "unscheduled"
    c = claim(q, dq)[0]
    assert c["status"]["taskId"] == dep
    queue(c["credentials"]).reportFailed(dep, 0)
    assert q.status(loose)["status"]["state"] == "pending"
    assert q.status(strict)["status"]["state"] == "unscheduled"
    time.sleep(7)
    s = q.status(strict)["status"]
    assert s["state"] == "exception" and s["runs"][0]["reasonResolved"] == "deadline-exceeded", s
    deps = q.listDependentTasks(dep)
    assert sorted(x["status"]["taskId"] for x in deps["tasks"]) == sorted([strict, loose])


# 9. Claim order, batch size, empty queue, concurrent claimers.
def claims():
    q = queue()
    cq = "proj-tc/order"
    low1, low2, high = slugid.nice(), slugid.nice(), slugid.nice()
    q.createTask(low1, task(taskQueueId=cq, priority="low"))
    q.createTask(low2, task(taskQueueId=cq, priority="low"))
    q.createTask(high, task(taskQueueId=cq, priority="high"))
    got = [c["status"]["taskId"] for c in claim(q, cq, 1)] + [c["status"]["taskId"] for c in claim(q, cq, 3)]
    assert got == [high, low1, low2], got
    start = time.time()
    assert claim(q, cq, 3) == []
    waited = time.time() - start
    assert 1.5 <= waited < 10, waited
    pq = "proj-tc/parallel"
    ids = [slugid.nice() for _ in range(40)]
    for i in ids:
        q.createTask(i, task(taskQueueId=pq))
    seen = []
    lock = threading.Lock()

    def worker(n):
        wq = queue()
        while True:
            got = claim(wq, pq, 3, worker=("g", f"w{n}"))
            if not got:
                return
            with lock:
                seen.extend(c["status"]["taskId"] for c in got)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(seen) == sorted(ids), (len(seen), len(ids))


# 10. Claim expiry, retries, reasons, reclaim after cancel (server: --claim-timeout 2).
def expiry():
    q = queue()
    eq = "proj-tc/expiry"
    tid = slugid.nice()
    q.createTask(tid, task(taskQueueId=eq))
    claim(q, eq)
    time.sleep(4)
    s = q.status(tid)["status"]
    assert [r["reasonResolved"] for r in s["runs"][:1]] == ["claim-expired"], s
    assert s["runs"][1]["reasonCreated"] == "retry" and s["runs"][1]["state"] == "pending", s
    none = slugid.nice()
    q.createTask(none, task(taskQueueId="proj-tc/expiry0", retries=0))
    claim(q, "proj-tc/expiry0")
    time.sleep(4)
    s = q.status(none)["status"]
    assert len(s["runs"]) == 1 and s["state"] == "exception", s
    sq = "proj-tc/shutdown"
    a, b = slugid.nice(), slugid.nice()
    q.createTask(a, task(taskQueueId=sq))
    q.createTask(b, task(taskQueueId=sq))
    for c in claim(q, sq, 2):
        reason = "worker-shutdown" if c["status"]["taskId"] == a else "malformed-payload"
        queue(c["credentials"]).reportException(c["status"]["taskId"], 0, {"reason": reason})
    assert len(q.status(a)["status"]["runs"]) == 2
    assert len(q.status(b)["status"]["runs"]) == 1
    cq = "proj-tc/cancel"
    c_id = slugid.nice()
    q.createTask(c_id, task(taskQueueId=cq))
    c = claim(q, cq)[0]
    q.cancelTask(c_id)
    fails("RequestConflict", 409, queue(c["credentials"]).reclaimTask, c_id, 0)


# 11. Claim credentials and temporary credentials.
def credentials():
    q = queue()
    kq = "proj-tc/creds"
    tid = slugid.nice()
    q.createTask(tid, task(taskQueueId=kq, scopes=["secrets:get:x"]))
    c = claim(q, kq)[0]
    cr = c["credentials"]
    until = int(datetime.datetime.fromisoformat(c["takenUntil"].replace("Z", "+00:00")).timestamp())
    assert cr["clientId"] == f"task-client/{tid}/0/on/g/w/until/{until}", cr["clientId"]
    cert = json.loads(cr["certificate"])
    assert cert["scopes"] == [f"queue:reclaim-task:{tid}/0", f"queue:resolve-task:{tid}/0", f"queue:create-artifact:{tid}/0", "secrets:get:x"]
    assert cert["expiry"] == until * 1000
    other = slugid.nice()
    q.createTask(other, task(taskQueueId=kq))
    claim(q, kq)
    fails("InsufficientScopes", 403, queue(cr).reportCompleted, other, 0)
    # Temporary credentials made by the Python client: unnamed and named.
    start = taskcluster.fromNow("-1 minute")
    expiry = taskcluster.fromNow("1 hour")
    unnamed = taskcluster.createTemporaryCredentials(CREDS["clientId"], CREDS["accessToken"], start, expiry, [f"queue:status:{tid}"])
    queue(unnamed).status(tid)
    named = taskcluster.createTemporaryCredentials(CREDS["clientId"], CREDS["accessToken"], start, expiry, [f"queue:status:{tid}"], name="someone/temp")
    queue(named).status(tid)
    fails("InsufficientScopes", 403, queue(named).cancelTask, tid)
    # A bewit fetches a private artifact.
    wq = queue(cr)
    wq.createArtifact(tid, 0, "private/ref", {"storageType": "reference", "url": "https://example.com/p", "contentType": "text/plain", "expires": taskcluster.fromNowJSON("1 hour")})
    url = q.buildSignedUrl("getArtifact", tid, 0, "private/ref")
    r = requests.get(url, allow_redirects=False)
    assert r.status_code == 303, r.text
    assert requests.get(f"{ROOT}/api/queue/v1/task/{tid}/runs/0/artifacts/private/ref", allow_redirects=False).status_code == 403


# 12. Artifacts.
def artifacts():
    q = queue()
    aq = "proj-tc/artifacts"
    tid = slugid.nice()
    q.createTask(tid, task(taskQueueId=aq))
    c = claim(q, aq)[0]
    wq = queue(c["credentials"])
    exp = taskcluster.fromNowJSON("1 hour")
    put = wq.createArtifact(tid, 0, "public/data.bin", {"storageType": "s3", "contentType": "application/octet-stream", "expires": exp})
    assert requests.put(put["putUrl"], data=b"0123456789").status_code == 200
    r = requests.get(f"{ROOT}/api/queue/v1/task/{tid}/runs/0/artifacts/public/data.bin", allow_redirects=False)
    assert r.status_code == 303 and r.headers["x-taskcluster-artifact-storage-type"] == "s3"
    blob = requests.get(r.json()["url"])
    assert blob.content == b"0123456789", blob.content
    part = requests.get(r.json()["url"], headers={"Range": "bytes=2-4"})
    assert part.status_code == 206 and part.content == b"234"
    wq.createArtifact(tid, 0, "public/a", {"storageType": "link", "artifact": "private/b", "expires": exp})
    wq.createArtifact(tid, 0, "private/b", {"storageType": "reference", "url": "https://example.com/b", "contentType": "text/plain", "expires": exp})
    assert requests.get(f"{ROOT}/api/queue/v1/task/{tid}/artifacts/public/a", allow_redirects=False).status_code == 403
    r = signed("GET", f"/api/queue/v1/task/{tid}/artifacts/public/a")
    assert r.status_code == 303 and r.json()["url"] == "https://example.com/b", r.text
    wq.createArtifact(tid, 0, "public/c1", {"storageType": "link", "artifact": "public/c2", "expires": exp})
    wq.createArtifact(tid, 0, "public/c2", {"storageType": "link", "artifact": "public/c1", "expires": exp})
    r = requests.get(f"{ROOT}/api/queue/v1/task/{tid}/artifacts/public/c1", allow_redirects=False)
    assert r.status_code == 400 and r.json()["code"] == "InputError", r.text
    wq.createArtifact(tid, 0, "public/e", {"storageType": "error", "reason": "file-missing-on-worker", "message": "no file", "expires": exp})
    r = requests.get(f"{ROOT}/api/queue/v1/task/{tid}/artifacts/public/e", allow_redirects=False)
    assert r.status_code == 424 and r.json() == {"reason": "file-missing-on-worker", "message": "no file"}
    fails("InputError", 400, wq.createArtifact, tid, 0, "public/o", {"storageType": "object", "expires": exp})
    fails("RequestConflict", 409, wq.createArtifact, tid, 0, "public/data.bin", {"storageType": "s3", "contentType": "text/plain", "expires": exp})
    wq.reportCompleted(tid, 0)
    fails("RequestConflict", 409, wq.createArtifact, tid, 0, "public/late", {"storageType": "reference", "url": "https://example.com/l", "contentType": "text/plain", "expires": exp})
    names = [a["name"] for a in q.listArtifacts(tid, 0)["artifacts"]]
    assert names == sorted(names) and "public/data.bin" in names


# 13. Anonymous callers.
def anonymous():
    q = queue()
    nq = "proj-tc/anon"
    tid = slugid.nice()
    q.createTask(tid, task(taskQueueId=nq))
    c = claim(q, nq)[0]
    wq = queue(c["credentials"])
    exp = taskcluster.fromNowJSON("1 hour")
    wq.createArtifact(tid, 0, "public/x", {"storageType": "reference", "url": "https://example.com/x", "contentType": "text/plain", "expires": exp})
    wq.createArtifact(tid, 0, "private/x", {"storageType": "reference", "url": "https://example.com/y", "contentType": "text/plain", "expires": exp})
    anon = queue(None)
    assert anon.status(tid)["status"]["taskId"] == tid
    assert requests.get(f"{ROOT}/api/queue/v1/task/{tid}/artifacts/public/x", allow_redirects=False).status_code == 303
    assert requests.get(f"{ROOT}/api/queue/v1/task/{tid}/artifacts/private/x", allow_redirects=False).status_code == 403
    body = fails("InsufficientScopes", 403, anon.createTask, slugid.nice(), task())
    assert "unsatisfied" not in body.get("details", {}), body


# 14. Pagination while tasks are added.
def pagination():
    q = queue()
    group = slugid.nice()
    ids = [slugid.nice() for _ in range(2500)]
    for i in ids[:2000]:
        q.createTask(i, task(taskGroupId=group, taskQueueId="proj-tc/pages"))
    seen = []
    token = None
    adding = iter(ids[2000:])
    while True:
        query = {"limit": 1000}
        if token:
            query["continuationToken"] = token
        page = q.listTaskGroup(group, query=query)
        seen.extend(t["status"]["taskId"] for t in page["tasks"])
        for _ in range(250):
            nxt = next(adding, None)
            if nxt:
                q.createTask(nxt, task(taskGroupId=group, taskQueueId="proj-tc/pages"))
        token = page.get("continuationToken")
        if not token:
            break
    assert len(seen) == len(set(seen)), "no duplicates"
    first = set(ids[:2000])
    assert first <= set(seen), "every task that existed before the listing is listed"
    fails("InvalidRequestArguments", 400, q.listTaskGroup, group, query={"limit": 0})
    fails("InputError", 400, q.listTaskGroup, group, query={"continuationToken": "%%%"})


SECTIONS = {f.__name__: f for f in [lifecycle, raw_slash, auth, insufficient, validation, idempotent, groups, dependencies, claims, expiry, credentials, artifacts, anonymous, pagination]}

if __name__ == "__main__":
    name = sys.argv[1]
    SECTIONS[name]()
    print(f"{name}: ok")

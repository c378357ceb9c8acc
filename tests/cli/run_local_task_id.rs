//! `tc run-local --task-id ID`: the definition comes from a queue (here a small HTTP server on
//! 127.0.0.1 that answers like one), signed with Hawk when credentials are set.

use crate::common::{Test, TestDir};

use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

const TASK_ID: &str = "gE8_yN_LTs2mvuasaq9Nbw";

/// Answers `GET /api/queue/v1/task/<TASK_ID>` with `body` (404 for anything else) and keeps
/// each request's head.
fn queue(body: String) -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten().take(10) {
            let mut stream = stream;
            let mut buf = [0u8; 8192];
            let n = stream.read(&mut buf).unwrap_or(0);
            let head = String::from_utf8_lossy(&buf[..n]).into_owned();
            let found = head.starts_with(&format!("GET /api/queue/v1/task/{TASK_ID} "));
            log.lock().unwrap().push(head);
            let (status, text) = if found {
                ("200 OK", body.clone())
            } else {
                (
                    "404 Not Found",
                    "{\"code\":\"ResourceNotFound\"}".to_owned(),
                )
            };
            let _ = write!(
                stream,
                "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{text}",
                text.len()
            );
        }
    });
    (format!("http://127.0.0.1:{port}"), seen)
}

fn definition() -> String {
    serde_json::json!({
        "taskQueueId": "proj/ci", "provisionerId": "proj", "workerType": "ci",
        "schedulerId": "-", "projectId": "none", "taskGroupId": TASK_ID,
        "dependencies": [], "requires": "all-completed", "routes": [], "priority": "lowest", "retries": 5,
        "created": "2026-01-01T00:00:00.000Z", "deadline": "2030-01-01T00:00:00.000Z", "expires": "2031-01-01T00:00:00.000Z",
        "scopes": [], "tags": {}, "extra": {},
        "metadata": {"name": "from the queue", "description": "", "owner": "a@b", "source": "https://example.com/x"},
        "payload": {"maxRunTime": 30, "command": [["/bin/sh", "-c", "echo \"$TASK_ID $TASKCLUSTER_WORKER_POOL\""]]}
    })
    .to_string()
}

#[test]
fn runs_the_definition_the_queue_holds() {
    let (root, seen) = queue(definition());
    let out = Test::new()
        .args(["run-local", "--task-id", TASK_ID, "--root-url", &root])
        .args(["--artifacts-dir", "A"])
        // The run uses the queue's taskId and pool.
        .stdout_contains(format!("{TASK_ID} proj/ci"))
        .stdout_contains("\"from the queue\"")
        .run();
    assert!(
        !seen.lock().unwrap()[0]
            .to_ascii_lowercase()
            .contains("authorization"),
        "anonymous without credentials: {out}"
    );
}

#[test]
fn signs_with_hawk_when_credentials_are_set() {
    let (root, seen) = queue(definition());
    Test::new()
        .env("TASKCLUSTER_CLIENT_ID", "tester")
        .env("TASKCLUSTER_ACCESS_TOKEN", "not-a-real-token")
        .args(["run-local", "--task-id", TASK_ID, "--root-url", &root])
        .args(["--artifacts-dir", "A", "--dry-run"])
        .run();
    let head = seen.lock().unwrap()[0].clone();
    assert!(
        head.contains("authorization: Hawk id=\"tester\"")
            || head.contains("Authorization: Hawk id=\"tester\""),
        "{head}"
    );
    assert!(!head.contains("not-a-real-token"));
}

#[test]
fn an_unknown_task_exits_2_and_an_unreachable_queue_exits_3() {
    let (root, _) = queue(definition());
    let dir = TestDir::new();
    dir.test()
        .args([
            "run-local",
            "--task-id",
            "aB0Uf7xoRJiX5H9oO3p7Tg",
            "--root-url",
            &root,
        ])
        .status(2)
        .stderr_contains("does not exist")
        .run();
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    dir.test()
        .args(["run-local", "--task-id", TASK_ID, "--root-url"])
        .arg(format!("http://127.0.0.1:{port}"))
        .status(3)
        .run();
    assert!(!dir.exists("artifacts"), "nothing written");
    // TASK with --task-id.
    Test::new()
        .args(["run-local", "x.yml", "--task-id", TASK_ID])
        .status(2)
        .run();
}

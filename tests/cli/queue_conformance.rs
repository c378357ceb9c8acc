//! The queue-api.md §10 checklist: the official Python client (taskcluster 113.x) against a real
//! `tc queue serve` on a loopback port, one server per section (tests/queue/conformance.py).
//! Item 17 (`tc worker` end to end, SIGTERM → worker-shutdown) is in the worker module.

use crate::common;

use common::queue::{Queue, pyclient_available};

/// Runs one section of conformance.py against a server started with `flags`.
fn section(name: &str, flags: &[&str]) {
    if !pyclient_available() {
        return;
    }
    let q = Queue::start(flags);
    let (ok, out) = q.python("conformance.py", &[name]);
    assert!(ok, "{name}:\n{out}\nserver log:\n{}", q.log());
}

#[test]
fn lifecycle_probe() {
    section("lifecycle", &[]);
}

#[test]
fn raw_slashes_in_queue_ids_and_artifact_names() {
    section("raw_slash", &[]);
}

#[test]
fn bad_credentials_are_401() {
    section("auth", &[]);
}

#[test]
fn missing_scopes_are_403_with_details() {
    let dir = tempfile::tempdir().unwrap();
    let clients = dir.path().join("clients.yaml");
    std::fs::write(
        &clients,
        "clients:\n  - clientId: limited\n    accessToken: limited-access-token\n    scopes:\n      - queue:create-task:lowest:proj-tc/ci\n      - queue:create-task:project:none\n      - queue:scheduler-id:-\n",
    )
    .unwrap();
    section("insufficient", &["--clients", clients.to_str().unwrap()]);
}

#[test]
fn bad_input_is_400() {
    section("validation", &[]);
}

#[test]
fn create_task_is_idempotent() {
    section("idempotent", &[]);
}

#[test]
fn task_groups_seal_and_cancel() {
    section("groups", &[]);
}

#[test]
fn dependencies_schedule_and_expire() {
    section("dependencies", &[]);
}

#[test]
fn claims_follow_priority_and_never_repeat() {
    section("claims", &["--claim-work-timeout", "2"]);
}

#[test]
fn expired_claims_retry() {
    section(
        "expiry",
        &["--claim-timeout", "2", "--claim-work-timeout", "1"],
    );
}

#[test]
fn claim_and_temporary_credentials() {
    section("credentials", &[]);
}

#[test]
fn artifacts_of_every_kind() {
    section("artifacts", &[]);
}

#[test]
fn anonymous_callers_read_public_things_only() {
    section("anonymous", &[]);
}

#[test]
fn pagination_neither_repeats_nor_skips() {
    section("pagination", &[]);
}

#[test]
fn acknowledged_writes_survive_kill_9() {
    if !pyclient_available() {
        return;
    }
    let mut q = Queue::start(&[]);
    let log = q.state_dir.path().join("acks.jsonl");
    let load = q
        .python_command("durability.py", &["load", log.to_str().unwrap(), "9"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    for _ in 0..3 {
        std::thread::sleep(std::time::Duration::from_secs(2));
        q.kill9_and_restart();
    }
    let out = load.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let (ok, text) = q.python("durability.py", &["check", log.to_str().unwrap()]);
    assert!(ok, "{text}\n{}", q.log());
}

#[test]
fn claims_that_expired_while_down_resolve_at_startup() {
    if !pyclient_available() {
        return;
    }
    let mut q = Queue::start(&["--claim-timeout", "1"]);
    let file = q.state_dir.path().join("task-id");
    let (ok, out) = q.python("expired_at_startup.py", &["claim", file.to_str().unwrap()]);
    assert!(ok, "{out}");
    q.kill9_and_restart_after(std::time::Duration::from_secs(3));
    let (ok, out) = q.python("expired_at_startup.py", &["check", file.to_str().unwrap()]);
    assert!(ok, "{out}\n{}", q.log());
}

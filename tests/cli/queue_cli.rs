//! tc's client side against a real `tc queue serve` (queue-api.md §8): `tc submit` (files,
//! `{tasks}` with `@label` dependencies, `--graph`), `tc task` and `tc group`, confirmations,
//! and the unreachable default queue. Worker steps use the official Python client.

use crate::common;

use common::queue::{ACCESS_TOKEN, CLIENT_ID, Queue, pyclient_available};
use serde_json::Value;
use std::fmt::Write as _;

const PARTIAL: &str =
    "payload:\n  command: [[/bin/true]]\n  maxRunTime: 60\nmetadata:\n  name: hello\n";

fn tc(q: &Queue, args: &[&str]) -> std::process::Output {
    common::tc()
        .args(args)
        .env("TASKCLUSTER_ROOT_URL", &q.root_url)
        .env("TASKCLUSTER_CLIENT_ID", CLIENT_ID)
        .env("TASKCLUSTER_ACCESS_TOKEN", ACCESS_TOKEN)
        .env_remove("TASKCLUSTER_CERTIFICATE")
        .output()
        .unwrap()
}

fn ok(q: &Queue, args: &[&str]) -> String {
    let out = tc(q, args);
    assert!(
        out.status.success(),
        "tc {args:?}: {}\n{}",
        String::from_utf8_lossy(&out.stderr),
        q.log()
    );
    String::from_utf8(out.stdout).unwrap()
}

fn json(q: &Queue, args: &[&str]) -> Value {
    let mut all = args.to_vec();
    all.extend(["--format", "json"]);
    serde_json::from_str(&ok(q, &all)).unwrap()
}

fn write(dir: &std::path::Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p.display().to_string()
}

/// `tc submit` of a file written from `yaml`; the taskIds it prints.
fn submit_ids(q: &Queue, dir: &std::path::Path, name: &str, yaml: &str) -> Vec<String> {
    let file = write(dir, name, yaml);
    ok(q, &["submit", &file])
        .lines()
        .map(str::to_owned)
        .collect()
}

#[test]
fn submit_status_def_and_wait() {
    if !pyclient_available() {
        return;
    }
    let q = Queue::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "hello.yml", PARTIAL);
    let id = ok(&q, &["submit", &file, "--task-queue", "proj-tc/cli"])
        .trim()
        .to_owned();
    assert_eq!(id.len(), 22, "{id}");
    let s = json(&q, &["task", "status", &id]);
    assert_eq!(s["status"]["state"], "pending");
    assert_eq!(s["status"]["taskQueueId"], "proj-tc/cli");
    let def: Value = serde_json::from_str(&ok(&q, &["task", "def", &id])).unwrap();
    assert_eq!(def["metadata"]["name"], "hello");
    assert_eq!(
        def["metadata"]["source"],
        "https://localhost/tc-submit/hello.yml"
    );
    assert_eq!(def["taskGroupId"], Value::String(id.clone()));
    let (done, out) = q.python("worker_steps.py", &["complete", "proj-tc/cli", "1"]);
    assert!(done, "{out}");
    let out = tc(&q, &["task", "status", &id, "--wait"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("completed"));

    let failing = ok(&q, &["submit", &file, "--task-queue", "proj-tc/fail"])
        .trim()
        .to_owned();
    let (done, out) = q.python("worker_steps.py", &["fail", "proj-tc/fail"]);
    assert!(done, "{out}");
    assert_eq!(
        tc(&q, &["task", "status", &failing, "--wait"])
            .status
            .code(),
        Some(1)
    );
}

#[test]
fn task_lists_with_label_dependencies() {
    if !pyclient_available() {
        return;
    }
    let q = Queue::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    let ids = submit_ids(
        &q,
        dir.path(),
        "two.yml",
        "tasks:\n  - label: build\n    task:\n      payload: {command: [[/bin/true]], maxRunTime: 60}\n  - label: test\n    task:\n      dependencies: ['@build']\n      payload: {command: [[/bin/true]], maxRunTime: 60}\n",
    );
    assert_eq!(ids.len(), 2);
    let def: Value = serde_json::from_str(&ok(&q, &["task", "def", &ids[1]])).unwrap();
    assert_eq!(def["dependencies"], serde_json::json!([ids[0]]));
    assert_eq!(def["taskGroupId"], Value::String(ids[0].clone()));
    // The dependent waits, and says on what.
    let status = ok(&q, &["task", "status", &ids[1]]);
    assert!(
        status.contains("unscheduled") && status.contains(&ids[0]),
        "{status}"
    );
    let listed = json(&q, &["group", "list", &ids[0]]);
    assert_eq!(listed["tasks"].as_array().unwrap().len(), 2);
    let pending = json(&q, &["group", "list", &ids[0], "--state", "pending"]);
    assert_eq!(pending["tasks"].as_array().unwrap().len(), 1);
}

#[test]
fn blocked_tasks_get_the_hint_and_groups_cancel() {
    if !pyclient_available() {
        return;
    }
    let q = Queue::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    let ids = submit_ids(
        &q,
        dir.path(),
        "chain.yml",
        "tasks:\n  - label: a\n    task:\n      taskQueueId: proj-tc/chain\n      payload: {command: [[/bin/true]], maxRunTime: 60}\n  - label: b\n    task:\n      taskQueueId: proj-tc/chain\n      dependencies: ['@a']\n      payload: {command: [[/bin/true]], maxRunTime: 60}\n",
    );
    let (done, out) = q.python("worker_steps.py", &["fail", "proj-tc/chain"]);
    assert!(done, "{out}");
    let status = ok(&q, &["group", "status", &ids[0]]);
    assert!(
        status.contains("failed") && status.contains("did not complete"),
        "{status}"
    );
    let task_status = ok(&q, &["task", "status", &ids[1]]);
    assert!(task_status.contains("deadline-exceeded"), "{task_status}");

    // Mutations need a confirmation: without a terminal, --yes.
    let out = tc(&q, &["group", "cancel", &ids[0]]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--yes"));
    // The question names the seal, which cannot be undone.
    let out = tc(&q, &["group", "cancel", &ids[0], "--seal"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr.contains(&format!("seal task group {} (irreversible)", ids[0]))
            && stderr.contains("--yes"),
        "{stderr}"
    );
    let plan = ok(&q, &["group", "cancel", &ids[0], "--seal", "--dry-run"]);
    assert!(plan.contains("/seal") && plan.contains("/cancel"), "{plan}");
    let out = json(&q, &["group", "cancel", &ids[0], "--seal", "-y"]);
    let canceled = out["canceled"].as_array().unwrap();
    assert!(canceled.contains(&Value::from(ids[1].as_str())), "{out}");
    // Nothing left to cancel: nothing to confirm either.
    assert_eq!(
        ok(&q, &["group", "cancel", &ids[0]]),
        "canceled 0 task(s)\n"
    );
    let s = json(&q, &["task", "status", &ids[1]]);
    assert_eq!(s["status"]["runs"][0]["reasonResolved"], "canceled");
    // With a filter, the group's tasks are canceled one by one: those are the ones listed.
    let lone = ok(&q, &["submit", &write(dir.path(), "lone.yml", PARTIAL)])
        .trim()
        .to_owned();
    let out = json(&q, &["group", "cancel", &lone, "--state", "pending", "-y"]);
    assert_eq!(out["canceled"], Value::from(vec![lone.clone()]), "{out}");
    let s = json(&q, &["task", "status", &lone]);
    assert_eq!(s["status"]["state"], "exception");
    // A dry run of a seal prints the call and seals nothing.
    let plan = ok(&q, &["group", "seal", &lone, "--dry-run"]);
    assert_eq!(plan, format!("POST task-group/{lone}/seal\n"));
    let out = tc(&q, &["group", "cancel", &lone]);
    assert!(out.status.success(), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("the group is not sealed"), "{stderr}");

    let again = ok(&q, &["submit", &write(dir.path(), "one.yml", PARTIAL)])
        .trim()
        .to_owned();
    ok(&q, &["task", "cancel", &again, "-y"]);
    let s = json(&q, &["task", "status", &again]);
    assert_eq!(s["status"]["state"], "exception");
    ok(&q, &["task", "rerun", &again, "-y"]);
    assert_eq!(
        json(&q, &["task", "status", &again])["status"]["state"],
        "pending"
    );
}

#[test]
fn logs_and_artifacts_download() {
    if !pyclient_available() {
        return;
    }
    let q = Queue::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "log.yml",
        &format!("taskQueueId: proj-tc/logs\n{PARTIAL}"),
    );
    let id = ok(&q, &["submit", &file]).trim().to_owned();
    let (done, out) = q.python(
        "worker_steps.py",
        &["log", "proj-tc/logs", "line one\nline two\n"],
    );
    assert!(done, "{out}");
    assert_eq!(ok(&q, &["task", "log", &id]), "line one\nline two\n");
    // --follow prints the same once and stops because the task has resolved.
    assert_eq!(
        ok(&q, &["task", "log", &id, "--follow"]),
        "line one\nline two\n"
    );
    let listed = json(&q, &["task", "artifacts", &id]);
    let names: Vec<&str> = listed["artifacts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["public/logs/live.log", "public/logs/live_backing.log"]
    );
    let get_log = |output: &str| {
        let log = "public/logs/live_backing.log";
        ok(&q, &["task", "artifacts", &id, "--get", log, "-o", output])
    };
    let target = dir.path().join("got.log");
    get_log(target.to_str().unwrap());
    assert_eq!(
        std::fs::read_to_string(&target).unwrap(),
        "line one\nline two\n"
    );
    // `-o -` writes the artifact to stdout, not to a file named `-`.
    let printed = get_log("-");
    assert_eq!(printed, "line one\nline two\n");
    assert!(!std::path::Path::new("-").exists(), "no file named -");
    let all = dir.path().join("all");
    ok(
        &q,
        &[
            "task",
            "artifacts",
            &id,
            "--all",
            "-o",
            all.to_str().unwrap(),
        ],
    );
    assert!(all.join("public/logs/live_backing.log").is_file());
}

#[test]
fn a_graph_is_submitted_in_dependency_order() {
    if !pyclient_available() {
        return;
    }
    let q = Queue::start(&[]);
    let repo = tempfile::tempdir().unwrap();
    common::repo::commit_copy(
        &common::root().join("examples/intree"),
        repo.path(),
        "https://github.com/example/intree",
    );
    let out = common::tc()
        // The queue is named by the flag alone, as for every other command.
        .args([
            "submit",
            "--graph",
            "-p",
            "params.yml",
            "--root-url",
            &q.root_url,
        ])
        .current_dir(repo.path())
        .env_remove("TASKCLUSTER_ROOT_URL")
        .env("TASKCLUSTER_CLIENT_ID", CLIENT_ID)
        .env("TASKCLUSTER_ACCESS_TOKEN", ACCESS_TOKEN)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&out.stderr),
        q.log()
    );
    let ids: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_owned)
        .collect();
    let optimized = common::tc()
        .args([
            "graph",
            "optimized",
            "-p",
            "params.yml",
            "--root-url",
            &q.root_url,
        ])
        .current_dir(repo.path())
        .env_remove("TASKCLUSTER_ROOT_URL")
        .output()
        .unwrap();
    let labels = String::from_utf8_lossy(&optimized.stdout).lines().count();
    assert_eq!(ids.len(), labels, "every optimized task is created");
    let listed = json(&q, &["group", "list", &ids[0]]);
    assert_eq!(listed["tasks"].as_array().unwrap().len(), ids.len());
    // A test waits for its build: created after it, as its dependency.
    let test = listed["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["task"]["metadata"]["name"] == "test-linux64-opt-unit")
        .expect("the test task is there");
    assert_eq!(test["status"]["state"], "unscheduled");
    assert_eq!(test["task"]["dependencies"].as_array().unwrap().len(), 1);
    let build_url = test["task"]["payload"]["env"]["BUILD_URL"]
        .as_str()
        .unwrap();
    assert!(
        build_url.starts_with(&format!("{}/api/queue/v1/task/", q.root_url)),
        "artifact references point at the queue given by --root-url: {build_url}"
    );
}

#[test]
fn many_tasks_list_through_signed_pages() {
    if !pyclient_available() {
        return;
    }
    let q = Queue::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    let mut doc = String::from("tasks:\n");
    for i in 0..1005 {
        let _ = writeln!(
            doc,
            "  - label: t{i}\n    task: {{taskQueueId: proj-tc/many, payload: {{command: [[/bin/true]], maxRunTime: 60}}}}"
        );
    }
    let ids = submit_ids(&q, dir.path(), "many.yml", &doc);
    assert_eq!(ids.len(), 1005);
    // 1005 tasks take two pages: the second call signs a continuationToken query.
    let listed = json(&q, &["group", "list", &ids[0]]);
    let mut got: Vec<&str> = listed["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["status"]["taskId"].as_str().unwrap())
        .collect();
    got.sort_unstable();
    let mut want: Vec<&str> = ids.iter().map(String::as_str).collect();
    want.sort_unstable();
    assert_eq!(got, want);
}

#[test]
fn the_unreachable_default_queue_says_how_to_start_one() {
    // Port 8080 of 127.0.0.1 with nothing listening (tests run without a server there).
    if std::net::TcpStream::connect("127.0.0.1:8080").is_ok() {
        eprintln!("skipped: something listens on 127.0.0.1:8080");
        return;
    }
    let out = common::tc()
        .args(["task", "status", "fTW-mBb9Q7G4aDQ3MQfYmA"])
        .env_remove("TASKCLUSTER_ROOT_URL")
        .env_remove("TASKCLUSTER_CLIENT_ID")
        .env_remove("TASKCLUSTER_ACCESS_TOKEN")
        .env("XDG_STATE_HOME", "/nonexistent")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("tc queue serve") && err.contains("TASKCLUSTER_ROOT_URL"),
        "{err}"
    );
}

#[test]
fn retrigger_keeps_dependencies_and_drops_routes() {
    if !pyclient_available() {
        return;
    }
    let q = Queue::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    let ids = submit_ids(
        &q,
        dir.path(),
        "pair.yml",
        "tasks:\n  - label: a\n    task:\n      payload: {command: [[/bin/true]], maxRunTime: 60}\n  - label: b\n    task:\n      dependencies: ['@a']\n      routes: [index.x]\n      payload: {command: [[/bin/true]], maxRunTime: 60}\n",
    );
    let new = ok(&q, &["task", "retrigger", &ids[1], "-y"])
        .trim()
        .to_owned();
    assert_ne!(new, ids[1]);
    let def: Value = serde_json::from_str(&ok(&q, &["task", "def", &new])).unwrap();
    assert_eq!(def["dependencies"], serde_json::json!([ids[0]]));
    assert_eq!(def["routes"], serde_json::json!([]));
    assert_eq!(def["taskGroupId"], Value::String(ids[0].clone()));
    let exact = ok(
        &q,
        &["task", "retrigger", &ids[1], "--exact", "--new-group", "-y"],
    )
    .trim()
    .to_owned();
    let def: Value = serde_json::from_str(&ok(&q, &["task", "def", &exact])).unwrap();
    assert_eq!(def["routes"], serde_json::json!(["index.x"]));
    assert_eq!(def["taskGroupId"], Value::String(exact.clone()));
    ok(&q, &["group", "seal", &ids[0], "-y"]);
    let out = tc(&q, &["task", "retrigger", &ids[1], "-y"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--new-group"));
}

#[test]
fn log_follow_prints_new_output_until_the_task_resolves() {
    if !pyclient_available() {
        return;
    }
    let q = Queue::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "slow.yml",
        &format!("taskQueueId: proj-tc/slow\n{PARTIAL}"),
    );
    let id = ok(&q, &["submit", &file]).trim().to_owned();
    let worker = q
        .python_command("worker_steps.py", &["slow-log", "proj-tc/slow"])
        .spawn()
        .unwrap();
    // Started while the task is still pending; it ends when the task resolves.
    let text = ok(&q, &["task", "log", &id, "--follow"]);
    let status = worker.wait_with_output().unwrap().status;
    assert!(status.success());
    assert_eq!(text, "part one\npart two\n");
}

#[test]
fn submit_follow_tails_the_log_and_exits_by_state() {
    if !pyclient_available() {
        return;
    }
    let q = Queue::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "follow.yml",
        &format!("taskQueueId: proj-tc/follow\n{PARTIAL}"),
    );
    let worker = q
        .python_command("worker_steps.py", &["slow-log", "proj-tc/follow"])
        .spawn()
        .unwrap();
    let out = tc(&q, &["submit", &file, "--follow"]);
    assert!(worker.wait_with_output().unwrap().status.success());
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.ends_with("part one\npart two\n"), "{text}");
    let two = write(
        dir.path(),
        "two.yml",
        "tasks:\n  - task: {payload: {command: [[/bin/true]], maxRunTime: 60}}\n  - task: {payload: {command: [[/bin/true]], maxRunTime: 60}}\n",
    );
    assert_eq!(tc(&q, &["submit", &two, "--follow"]).status.code(), Some(2));
}

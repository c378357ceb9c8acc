//! `tc worker` against a real `tc queue serve` on a free loopback port (queue-api.md §9, §10
//! item 17): tasks made with `tc submit` and the official Python client are claimed, run on the
//! native and the Docker engine, and resolved per worker.md §11; logs and artifacts come back
//! byte for byte; kill -9, cancel and SIGTERM take the paths the contract gives them.

use crate::common;

use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::queue::{ACCESS_TOKEN, CLIENT_ID, Queue, pyclient_available};
use serde_json::Value;

/// A queue, a scratch directory and tc pointed at both.
struct Setup {
    q: Queue,
    dir: tempfile::TempDir,
}

impl Setup {
    /// A queue whose empty claimWork polls answer after a second, with `server_flags`.
    fn new(server_flags: &[&str]) -> Setup {
        let mut flags = vec!["--claim-work-timeout", "1"];
        flags.extend(server_flags);
        Setup::serving(&flags)
    }

    /// A queue started with exactly `flags`.
    fn serving(flags: &[&str]) -> Setup {
        Setup {
            q: Queue::start(flags),
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(assert_cmd::cargo::cargo_bin("tc"));
        cmd.args(args)
            .env("NO_COLOR", "1")
            .env("TASKCLUSTER_ROOT_URL", &self.q.root_url)
            .env("TASKCLUSTER_CLIENT_ID", CLIENT_ID)
            .env("TASKCLUSTER_ACCESS_TOKEN", ACCESS_TOKEN)
            .env("TC_CACHE_DIR", self.dir.path().join("cache"))
            .env_remove("TASKCLUSTER_CERTIFICATE")
            .current_dir(self.dir.path());
        cmd
    }

    fn tc(&self, args: &[&str]) -> Output {
        self.command(args).output().unwrap()
    }

    fn ok(&self, args: &[&str]) -> String {
        let out = self.tc(args);
        assert!(
            out.status.success(),
            "tc {args:?}: {}\n{}",
            String::from_utf8_lossy(&out.stderr),
            self.q.log()
        );
        String::from_utf8(out.stdout).unwrap()
    }

    /// Submits a task file written from `yaml`; returns its taskId.
    fn submit(&self, name: &str, yaml: &str) -> String {
        let path = self.dir.path().join(format!("{name}.yml"));
        std::fs::write(&path, yaml).unwrap();
        self.ok(&["submit", path.to_str().unwrap()])
            .trim()
            .to_owned()
    }

    /// `tc worker --once` with `extra` flags; returns its exit code and stderr.
    fn once(&self, extra: &[&str]) -> (i32, String) {
        let mut args = vec!["worker", "--once", "--wait-timeout", "20"];
        args.extend(extra);
        let out = self.tc(&args);
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    fn status(&self, id: &str) -> Value {
        let text = self.ok(&["task", "status", id, "--format", "json"]);
        serde_json::from_str::<Value>(&text).unwrap()["status"].clone()
    }

    /// The runs as (state, reasonCreated, reasonResolved).
    fn runs(&self, id: &str) -> Vec<(String, String, String)> {
        let s = |v: &Value| v.as_str().unwrap_or_default().to_owned();
        self.status(id)["runs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    s(&r["state"]),
                    s(&r["reasonCreated"]),
                    s(&r["reasonResolved"]),
                )
            })
            .collect()
    }

    /// Waits (up to two minutes) until `check` holds for the task's status.
    fn wait_for(&self, id: &str, what: &str, check: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            let s = self.status(id);
            if check(&s) {
                return s;
            }
            assert!(Instant::now() < deadline, "waited for {what}: {s}");
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    fn log(&self, id: &str) -> String {
        self.ok(&["task", "log", id])
    }

    /// Waits (up to a minute) until the task's log in the queue holds `text`: the worker
    /// uploads it while the task runs.
    fn wait_for_log(&self, id: &str, text: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let out = self.tc(&["task", "log", id]);
            let log = String::from_utf8_lossy(&out.stdout).into_owned();
            if log.contains(text) {
                return log;
            }
            assert!(Instant::now() < deadline, "no `{text}` in the log: {log}");
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// A background worker with `extra` flags, its stderr in `name`.log.
    fn spawn_worker(&self, name: &str, extra: &[&str]) -> Child {
        let log = std::fs::File::create(self.dir.path().join(format!("{name}.log"))).unwrap();
        let mut args = vec!["worker"];
        args.extend(extra);
        self.command(&args)
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap()
    }

    fn worker_log(&self, name: &str) -> String {
        std::fs::read_to_string(self.dir.path().join(format!("{name}.log"))).unwrap_or_default()
    }
}

/// Waits up to two minutes for a child to exit; its exit code.
fn exit_of(child: &mut Child, what: &str) -> i32 {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status.code().unwrap_or(-1);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("{what} did not exit");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn signal(child: &Child, sig: nix::sys::signal::Signal) {
    nix::sys::signal::kill(nix::unistd::Pid::from_raw(child.id().cast_signed()), sig).unwrap();
}

fn running(s: &Value) -> bool {
    s["state"] == "running"
}

const COMPLETES: &str = r#"
metadata: {name: completes}
payload:
  maxRunTime: 60
  command:
    - [sh, -c, 'echo "hello from $TASK_ID run $RUN_ID on $TASKCLUSTER_WORKER_GROUP"; mkdir -p out; head -c 200000 /dev/urandom > out/blob.bin; cp out/blob.bin "$KEEP/blob.bin"']
    # The worker's own credentials never reach the task, and it is not a local run.
    - [sh, -c, 'test -z "$TASKCLUSTER_ACCESS_TOKEN$TASKCLUSTER_CLIENT_ID$TC_LOCAL"']
  env: {KEEP: "@KEEP@"}
  artifacts:
    - {name: public/blob.bin, path: out/blob.bin, type: file}
    - {name: public/missing.txt, path: out/missing.txt, type: file, optional: true}
"#;

#[test]
fn once_completes_a_native_task_with_its_log_and_artifacts_byte_identical() {
    if !pyclient_available() {
        return;
    }
    let s = Setup::new(&[]);
    let keep = s.dir.path().join("kept");
    std::fs::create_dir_all(&keep).unwrap();
    let id = s.submit(
        "completes",
        &COMPLETES.replace("@KEEP@", keep.to_str().unwrap()),
    );
    let (code, err) = s.once(&[]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        s.runs(&id),
        [("completed".into(), "scheduled".into(), "completed".into())]
    );
    // The backing log is in the queue (through the live.log link), with the task's output.
    let log = s.log(&id);
    assert!(
        log.contains(&format!("hello from {id} run 0 on local")),
        "{log}"
    );
    assert!(
        log.contains("Outcome: completed"),
        "the footer is uploaded too: {log}"
    );
    let listed = s.ok(&["task", "artifacts", &id, "--format", "json"]);
    for name in [
        "public/blob.bin",
        "public/logs/live.log",
        "public/logs/live_backing.log",
        "public/missing.txt",
    ] {
        assert!(listed.contains(name), "{name} in {listed}");
    }
    let got = s.dir.path().join("got.bin");
    s.ok(&[
        "task",
        "artifacts",
        &id,
        "--get",
        "public/blob.bin",
        "-o",
        got.to_str().unwrap(),
    ]);
    assert_eq!(
        std::fs::read(&got).unwrap(),
        std::fs::read(keep.join("blob.bin")).unwrap(),
        "the artifact downloads byte-identical"
    );
    // The optional missing artifact is an error artifact: 424 with its reason.
    let out = s.tc(&["task", "artifacts", &id, "--get", "public/missing.txt"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("file-missing-on-worker"));
    // Nothing is left in the worker's upload area.
    let runs_dir = s.dir.path().join("cache/worker-runs");
    assert_eq!(std::fs::read_dir(&runs_dir).unwrap().count(), 0);
}

#[test]
fn once_resolves_failed_intermittent_malformed_and_max_run_time() {
    if !pyclient_available() {
        return;
    }
    let s = Setup::new(&[]);
    // Exit 7: failed, exit code 1 from --once.
    let failed = s.submit(
        "fails",
        "payload: {maxRunTime: 60, command: [[sh, -c, 'echo failing; exit 7']]}\n",
    );
    assert_eq!(s.once(&[]).0, 1);
    assert_eq!(s.runs(&failed)[0].2, "failed");
    assert!(s.log(&failed).contains("failing"));

    // An exit code in onExitStatus.retry: intermittent-task and a retry run, which the next
    // worker completes.
    let flaky = s.submit(
        "flaky",
        "retries: 2\npayload:\n  maxRunTime: 60\n  onExitStatus: {retry: [42]}\n  command: [[sh, -c, 'test \"$RUN_ID\" = 1 || exit 42']]\n",
    );
    assert_eq!(s.once(&[]).0, 3);
    assert_eq!(
        s.runs(&flaky),
        [
            (
                "exception".into(),
                "scheduled".into(),
                "intermittent-task".into()
            ),
            ("pending".into(), "task-retry".into(), String::new()),
        ]
    );
    assert_eq!(s.once(&[]).0, 0);
    assert_eq!(s.runs(&flaky)[1].0, "completed");

    // A payload tc cannot run: malformed-payload, and the queue does not retry it.
    let malformed = s.submit(
        "malformed",
        "retries: 3\npayload: {maxRunTime: 60, command: [['true']], notAField: 1}\n",
    );
    let (code, err) = s.once(&[]);
    assert_eq!(code, 3, "{err}");
    assert_eq!(
        s.runs(&malformed),
        [(
            "exception".into(),
            "scheduled".into(),
            "malformed-payload".into()
        )]
    );
    assert!(
        s.log(&malformed).contains("notAField"),
        "the log names the field"
    );

    // maxRunTime above the worker's cap is malformed too.
    let too_long = s.submit(
        "too-long",
        "payload: {maxRunTime: 7200, command: [['true']]}\n",
    );
    assert_eq!(s.once(&["--max-task-run-time", "3600"]).0, 3);
    assert_eq!(s.runs(&too_long)[0].2, "malformed-payload");
    assert!(
        s.log(&too_long).contains("more than this worker allows"),
        "{}",
        s.log(&too_long)
    );

    // So is a mount that writes more than --max-mount-size.
    let big_mount = s.submit(
        "big-mount",
        "payload: {maxRunTime: 60, command: [['true']], mounts: [{file: x, content: {raw: '0123456789'}}]}\n",
    );
    assert_eq!(s.once(&["--max-mount-size", "4"]).0, 3);
    assert_eq!(s.runs(&big_mount)[0].2, "malformed-payload");
    assert!(
        s.log(&big_mount)
            .contains("it expands to more than 4 bytes"),
        "{}",
        s.log(&big_mount)
    );

    // maxRunTime exceeded: failed, with the abort line in the log.
    let slow = s.submit(
        "slow",
        "payload: {maxRunTime: 1, command: [[sh, -c, 'sleep 60']]}\n",
    );
    assert_eq!(s.once(&[]).0, 1);
    assert_eq!(s.runs(&slow)[0].2, "failed");
    assert!(s.log(&slow).contains("maxRunTime of 1 seconds exceeded"));

    // Nothing pending: exit 4 after the wait.
    let out = s.tc(&["worker", "--once", "--wait-timeout", "1"]);
    assert_eq!(out.status.code(), Some(4));
}

#[test]
fn once_gives_up_at_its_wait_timeout_without_sitting_out_the_queues_long_poll() {
    if !pyclient_available() {
        return;
    }
    // The queue would hold an empty claimWork for ten minutes.
    let s = Setup::serving(&["--claim-work-timeout", "600"]);
    let mut worker = s.spawn_worker("gives-up", &["--once", "--wait-timeout", "1"]);
    assert_eq!(
        exit_of(&mut worker, "the worker"),
        4,
        "{}",
        s.worker_log("gives-up")
    );
    // The closed poll claimed nothing: a task submitted now is left for the next worker.
    let id = s.submit("after", "payload: {maxRunTime: 60, command: [['true']]}\n");
    let (code, err) = s.once(&[]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        s.runs(&id),
        [("completed".into(), "scheduled".into(), "completed".into())]
    );
}

#[test]
fn refused_credentials_end_the_worker_with_the_scopes_it_needs() {
    if !pyclient_available() {
        return;
    }
    let s = Setup::new(&[]);
    let out = s
        .command(&["worker", "--once", "--wait-timeout", "5"])
        .env("TASKCLUSTER_ACCESS_TOKEN", "not-the-token")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("queue:claim-work:local/default"), "{err}");
}

#[test]
fn capacity_four_works_tasks_from_tc_submit_and_the_python_client_at_once() {
    if !pyclient_available() {
        return;
    }
    let s = Setup::new(&[]);
    let group = s.submit(
        "first",
        "payload: {maxRunTime: 60, command: [[sh, -c, 'sleep 2']]}\n",
    );
    let mut ids = vec![group.clone()];
    for i in 0..3 {
        let path = s.dir.path().join(format!("t{i}.yml"));
        std::fs::write(
            &path,
            "payload: {maxRunTime: 60, command: [[sh, -c, 'sleep 2']]}\n",
        )
        .unwrap();
        ids.push(
            s.ok(&["submit", "--group", &group, path.to_str().unwrap()])
                .trim()
                .to_owned(),
        );
    }
    let (ok, out) = s.q.python(
        "create_tasks.py",
        &["local/default", &group, "4", "sleep 2; echo python-made"],
    );
    assert!(ok, "{out}");
    ids.extend(out.split_whitespace().map(str::to_owned));
    assert_eq!(ids.len(), 8);

    let mut worker = s.spawn_worker("cap4", &["--capacity", "4"]);
    let out = s
        .command(&["group", "status", &group, "--wait"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", s.worker_log("cap4"));
    signal(&worker, nix::sys::signal::Signal::SIGTERM);
    assert_eq!(
        exit_of(&mut worker, "the worker"),
        0,
        "a drained worker exits 0"
    );

    // Every task completed, and never more than four ran at once.
    let mut spans = Vec::new();
    for id in &ids {
        let st = s.status(id);
        assert_eq!(st["state"], "completed", "{st}");
        let run = &st["runs"][0];
        spans.push((
            run["started"].as_str().unwrap().to_owned(),
            run["resolved"].as_str().unwrap().to_owned(),
        ));
    }
    let most = spans
        .iter()
        .map(|(start, _)| {
            spans
                .iter()
                .filter(|(a, b)| a.as_str() <= start.as_str() && start.as_str() < b.as_str())
                .count()
        })
        .max()
        .unwrap();
    assert!(
        (2..=4).contains(&most),
        "{most} runs at once with capacity 4: {spans:?}"
    );
    assert!(s.log(&ids[7]).contains("python-made"));
}

#[test]
fn one_worker_serves_several_task_queues() {
    if !pyclient_available() {
        return;
    }
    let s = Setup::new(&[]);
    let path = s.dir.path().join("q.yml");
    std::fs::write(
        &path,
        "payload: {maxRunTime: 60, command: [[sh, -c, 'echo on $TASKCLUSTER_WORKER_POOL']]}\n",
    )
    .unwrap();
    let on = |queue: &str| {
        s.ok(&["submit", "--task-queue", queue, path.to_str().unwrap()])
            .trim()
            .to_owned()
    };
    let (a, b) = (on("proj/alpha"), on("proj/beta"));
    let mut worker = s.spawn_worker(
        "queues",
        &["--task-queue", "proj/alpha", "--task-queue", "proj/beta"],
    );
    s.wait_for(&a, "the alpha task", |st| st["state"] == "completed");
    s.wait_for(&b, "the beta task", |st| st["state"] == "completed");
    signal(&worker, nix::sys::signal::Signal::SIGTERM);
    assert_eq!(exit_of(&mut worker, "the worker"), 0);
    assert!(s.log(&a).contains("on proj/alpha"));
    assert!(s.log(&b).contains("on proj/beta"));
}

#[test]
fn a_killed_worker_loses_its_claim_and_a_second_worker_completes_the_retry() {
    if !pyclient_available() {
        return;
    }
    let s = Setup::new(&["--claim-timeout", "3"]);
    let id = s.submit(
        "killed",
        "retries: 1\npayload: {maxRunTime: 60, command: [[sh, -c, 'test \"$RUN_ID\" = 1 || sleep 5']]}\n",
    );
    let mut first = s.spawn_worker("first", &[]);
    s.wait_for(&id, "the first run to start", running);
    first.kill().unwrap();
    first.wait().unwrap();
    let st = s.wait_for(&id, "the claim to expire", |st| {
        st["runs"].as_array().unwrap().len() == 2
    });
    assert_eq!(st["runs"][0]["reasonResolved"], "claim-expired", "{st}");
    assert_eq!(st["runs"][1]["reasonCreated"], "retry", "{st}");
    let (code, err) = s.once(&[]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(s.runs(&id)[1].0, "completed");
}

#[test]
fn a_worker_killed_with_sigkill_takes_the_task_and_its_background_children_with_it() {
    if !pyclient_available() {
        return;
    }
    let s = Setup::new(&[]);
    let pids_file = s.dir.path().join("pids");
    s.submit(
        "tied",
        &format!(
            "payload:\n  maxRunTime: 600\n  env: {{PIDS: '{}'}}\n  command: [{}]\n",
            pids_file.display(),
            common::BACKGROUND_CHILD
        ),
    );
    let mut worker = s.spawn_worker("tied", &["--once"]);
    let pids = common::pids_written(&pids_file);
    worker.kill().unwrap();
    worker.wait().unwrap();
    // Left running, the task would go on while the queue, once the claim has expired, runs
    // it again elsewhere.
    let left = common::still_running_after_a_while(&pids);
    common::kill_leftovers(&left);
    assert!(
        left.is_empty(),
        "still running after the worker was killed: {left:?} of {pids:?}\n{}",
        s.worker_log("tied")
    );
}

#[test]
fn a_long_task_is_reclaimed_and_its_log_can_be_read_while_it_runs() {
    if !pyclient_available() {
        return;
    }
    // Claims last 3 s: a 7 s task lives only through its reclaims.
    let s = Setup::new(&["--claim-timeout", "3"]);
    let id = s.submit(
        "long",
        "payload: {maxRunTime: 60, command: [[sh, -c, 'echo part-one; sleep 7; echo part-$((1+1))']]}\n",
    );
    let mut worker = s.spawn_worker("long", &["--once"]);
    s.wait_for(&id, "the run to start", running);
    // The backing log is uploaded while the task runs, not only at the end.
    let early = s.wait_for_log(&id, "\npart-one");
    assert!(!early.contains("part-2"), "read while running: {early}");
    assert_eq!(
        exit_of(&mut worker, "the worker"),
        0,
        "{}",
        s.worker_log("long")
    );
    assert_eq!(s.runs(&id).len(), 1, "one run, kept alive by reclaims");
    assert!(s.log(&id).contains("part-2"));
}

#[test]
fn cancel_makes_the_next_reclaim_409_and_the_worker_stops_without_reporting() {
    if !pyclient_available() {
        return;
    }
    let s = Setup::new(&["--claim-timeout", "3"]);
    let id = s.submit(
        "canceled",
        "payload: {maxRunTime: 600, command: [[sh, -c, 'sleep 600']]}\n",
    );
    let mut worker = s.spawn_worker("cancel", &["--once"]);
    s.wait_for_log(&id, "=== Task Starting ===");
    s.ok(&["task", "cancel", &id, "--yes"]);
    // The worker returns only after the task is gone: the sleep was killed.
    assert_eq!(exit_of(&mut worker, "the worker"), 3);
    let log = s.worker_log("cancel");
    assert!(log.contains("refused the reclaim"), "{log}");
    assert!(
        !log.contains("report was refused"),
        "nothing reported: {log}"
    );
    // Nothing was uploaded after the 409: the queue has only the log of the running task.
    let uploaded = s.log(&id);
    assert!(!uploaded.contains("Task Finished"), "{uploaded}");
    assert_eq!(
        s.runs(&id),
        [("exception".into(), "scheduled".into(), "canceled".into())]
    );
}

#[test]
fn sigterm_during_a_task_reports_worker_shutdown_and_the_queue_retries() {
    if !pyclient_available() {
        return;
    }
    let s = Setup::new(&[]);
    let id = s.submit(
        "shutdown",
        "retries: 1\npayload: {maxRunTime: 600, command: [[sh, -c, 'echo started; sleep 600']]}\n",
    );
    // The wait for a task ends with the claim: the signal decides the exit status.
    let mut worker = s.spawn_worker(
        "term",
        &["--once", "--shutdown-grace", "1", "--wait-timeout", "1"],
    );
    s.wait_for_log(&id, "\nstarted");
    signal(&worker, nix::sys::signal::Signal::SIGTERM);
    assert_eq!(exit_of(&mut worker, "the worker"), 143);
    assert_eq!(
        s.runs(&id),
        [
            (
                "exception".into(),
                "scheduled".into(),
                "worker-shutdown".into()
            ),
            ("pending".into(), "retry".into(), String::new()),
        ]
    );
    // The log of the stopped run was uploaded.
    let log = s.ok(&["task", "log", &id, "--run", "0"]);
    assert!(log.contains("Worker shutting down"), "{log}");
}

#[test]
fn a_task_that_finishes_within_the_grace_period_resolves_normally() {
    if !pyclient_available() {
        return;
    }
    let s = Setup::new(&[]);
    let id = s.submit(
        "graceful",
        "payload: {maxRunTime: 60, command: [[sh, -c, 'echo begun; sleep 3; echo finished-$((2+2))']]}\n",
    );
    let mut worker = s.spawn_worker("grace", &["--capacity", "2", "--shutdown-grace", "60"]);
    s.wait_for_log(&id, "\nbegun");
    signal(&worker, nix::sys::signal::Signal::SIGTERM);
    assert_eq!(exit_of(&mut worker, "the worker"), 0);
    assert_eq!(
        s.runs(&id),
        [("completed".into(), "scheduled".into(), "completed".into())]
    );
    assert!(s.log(&id).contains("finished-4"));
    assert!(s.worker_log("grace").contains("shutting down"));
}

#[test]
fn the_docker_engine_runs_claimed_docker_worker_tasks() {
    const IMAGE: &str = "tc-test/busybox:1";
    if !pyclient_available() {
        return;
    }
    let Some(busybox) = common::docker_busybox() else {
        return;
    };
    let s = Setup::new(&[]);
    let archive = s.dir.path().join("busybox.tar");
    std::fs::write(&archive, common::docker::image_archive(&busybox, IMAGE)).unwrap();
    let loaded = Command::new("docker")
        .args(["load", "-i"])
        .arg(&archive)
        .output()
        .unwrap();
    assert!(loaded.status.success(), "{loaded:?}");
    let cleanup = common::docker::Cleanup {
        run_id: format!("worker-{}", std::process::id()),
    };
    let dw = |script: &str| {
        format!(
            "payload:\n  image: {IMAGE}\n  maxRunTime: 60\n  command: [sh, -c, '{script}']\n  artifacts:\n    public/out.txt: {{type: file, path: /out.txt}}\n"
        )
    };
    let ok = s.submit(
        "dw-ok",
        &dw("test -z \"$TASKCLUSTER_ACCESS_TOKEN$TASKCLUSTER_CLIENT_ID\"; echo in a container; echo container data > /out.txt"),
    );
    let failed = s.submit("dw-fail", &dw("exit 3"));
    let flaky = s.submit(
        "dw-flaky",
        &format!(
            "retries: 1\n{}  onExitStatus: {{retry: [42]}}\n",
            dw("exit 42")
        ),
    );
    let malformed = s.submit("dw-malformed", &format!("{}  notAField: 1\n", dw("true")));
    let worker = |expect: i32| {
        let out = s
            .command(&[
                "worker",
                "--once",
                "--wait-timeout",
                "20",
                "--pull",
                "never",
                "--network",
                "none",
            ])
            .env("TC_TEST_RUN_ID", &cleanup.run_id)
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(expect),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    worker(0);
    worker(1);
    worker(3);
    worker(3);
    assert_eq!(s.runs(&flaky)[0].2, "intermittent-task");
    assert_eq!(s.runs(&flaky)[1].1, "task-retry");
    assert_eq!(s.runs(&malformed)[0].2, "malformed-payload");
    assert!(s.log(&ok).contains("in a container"));
    let got = s.dir.path().join("out.txt");
    s.ok(&[
        "task",
        "artifacts",
        &ok,
        "--get",
        "public/out.txt",
        "-o",
        got.to_str().unwrap(),
    ]);
    assert_eq!(std::fs::read_to_string(&got).unwrap(), "container data\n");
    assert_eq!(s.runs(&failed)[0].2, "failed");
    let left = common::docker::listed(
        &["ps", "-aq"],
        &format!("label=org.taskcluster.tc.test={}", cleanup.run_id),
    );
    assert!(left.is_empty(), "containers left: {left:?}");
}

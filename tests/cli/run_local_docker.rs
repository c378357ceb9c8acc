//! `tc run-local` on the Docker engine against a real daemon (worker.md §11.1 rows, §14): the
//! image is a busybox archive the test writes and tc loads; containers use network `none`.

use crate::common;

use std::path::{Path, PathBuf};
use std::process::Output;

use common::docker::{Cleanup, image_archive, listed, write_archives};
use common::{docker_busybox, tc};
use serde_json::Value;

const IMAGE: &str = "tc-test/busybox:1";

struct Setup {
    dir: tempfile::TempDir,
    archives: [PathBuf; 3],
    cleanup: Cleanup,
    runs: std::cell::Cell<u32>,
}

impl Setup {
    /// None (after printing why) when the test must be skipped.
    fn new(name: &str) -> Option<Setup> {
        let busybox = docker_busybox()?;
        let dir = tempfile::tempdir().unwrap();
        let archives = write_archives(dir.path(), &image_archive(&busybox, IMAGE));
        Some(Setup {
            dir,
            archives,
            cleanup: Cleanup {
                run_id: format!("{name}-{}", std::process::id()),
            },
            runs: std::cell::Cell::default(),
        })
    }

    fn zst(&self) -> &Path {
        &self.archives[1]
    }

    fn task(&self, name: &str, yaml: &str) -> PathBuf {
        let path = self.dir.path().join(format!("{name}.yml"));
        std::fs::write(&path, yaml).unwrap();
        path
    }

    /// tc with this test's cache root and label, for tests that drive the process themselves
    /// (signals, several at once).
    fn process(&self) -> std::process::Command {
        let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("tc"));
        cmd.env("NO_COLOR", "1")
            .env("TC_CACHE_DIR", self.dir.path().join("cache"))
            .env("TC_TEST_RUN_ID", &self.cleanup.run_id)
            .env_remove("TASKCLUSTER_ROOT_URL");
        cmd
    }

    fn cmd(&self) -> assert_cmd::Command {
        assert_cmd::Command::from_std(self.process())
    }

    /// A fresh artifacts directory.
    fn artifacts(&self) -> PathBuf {
        let n = self.runs.get() + 1;
        self.runs.set(n);
        self.dir.path().join(format!("art-{n}"))
    }

    /// Runs the task with the test image and `--format json`; returns the output, the summary
    /// and the artifacts directory.
    fn run(&self, task: &Path, extra: &[&str]) -> (Output, Value, PathBuf) {
        let art = self.artifacts();
        let out = self
            .cmd()
            .arg("run-local")
            .arg("--image")
            .arg(self.zst())
            .args(["--network", "none", "--format", "json", "--artifacts-dir"])
            .arg(&art)
            .args(extra)
            .arg(task)
            .output()
            .unwrap();
        let summary = String::from_utf8_lossy(&out.stdout)
            .lines()
            .last()
            .and_then(|l| serde_json::from_str(l).ok())
            .unwrap_or(Value::Null);
        (out, summary, art)
    }

    fn label_filter(&self) -> String {
        format!("label=org.taskcluster.tc.test={}", self.cleanup.run_id)
    }

    /// No container of this test is left.
    fn assert_no_containers(&self) {
        let left = listed(&["ps", "-aq"], &self.label_filter());
        assert!(left.is_empty(), "containers left: {left:?}");
    }
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Removes the named container when dropped (one the test made itself, outside tc).
struct RemoveContainer(String);

impl Drop for RemoveContainer {
    fn drop(&mut self) {
        let _ = std::process::Command::new("docker")
            .args(["rm", "-f", &self.0])
            .output();
    }
}

#[test]
fn exit_zero_completes_with_artifacts_env_and_no_container_left() {
    let Some(s) = Setup::new("exit0") else { return };
    let task = s.task(
        "ok",
        r#"
payload:
  image: placeholder
  command: [sh, -c, 'mkdir -p /out/sub; echo "$TASK_ID $RUN_ID $TASKCLUSTER_INSTANCE_TYPE $TC_LOCAL" > /out/env.txt; echo nested > /out/sub/n.txt; ln -s /out/env.txt /out/link; ln -s /nowhere /out/dangling; ln /out/env.txt /out/hard; mkfifo /out/fifo; echo task says hi']
  maxRunTime: 60
  env: {GREETING: hello}
  artifacts:
    public/env.txt: {type: file, path: /out/env.txt}
    public/link.txt: {type: file, path: /out/link}
    public/out: {type: directory, path: /out}
"#,
    );
    let (out, summary, art) = s.run(&task, &["--local-task-id", "bFf6bIliR_uBo0nTJAlPNA"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert_eq!(summary["outcome"], "completed");
    assert_eq!(summary["engine"], "docker");
    assert_eq!(summary["image"]["source"], "loaded");
    assert!(err.contains("task says hi"), "{err}");
    assert!(err.contains("Network: none"), "{err}");
    let env = std::fs::read_to_string(art.join("public/env.txt")).unwrap();
    assert_eq!(env.trim(), "bFf6bIliR_uBo0nTJAlPNA 0 local 1");
    // A file artifact that is a symlink: the target's content.
    assert_eq!(
        std::fs::read_to_string(art.join("public/link.txt")).unwrap(),
        env
    );
    assert_eq!(
        std::fs::read_to_string(art.join("public/out/sub/n.txt")).unwrap(),
        "nested\n"
    );
    assert_eq!(
        std::fs::read_to_string(art.join("public/out/link")).unwrap(),
        env
    );
    let manifest: Value =
        serde_json::from_slice(&std::fs::read(art.join("tc-manifest.json")).unwrap()).unwrap();
    let entries = manifest["artifacts"].as_array().unwrap();
    let dangling = entries
        .iter()
        .find(|e| e["name"] == "public/out/dangling")
        .expect("the dangling link is listed");
    assert_eq!(dangling["type"], "error");
    assert_eq!(dangling["reason"], "invalid-resource-on-worker");
    // A hard link copies its target's content; a FIFO is skipped.
    assert_eq!(
        std::fs::read_to_string(art.join("public/out/hard")).unwrap(),
        env
    );
    assert!(!art.join("public/out/fifo").exists());
    assert!(
        entries.iter().all(|e| e["name"] != "public/out/fifo"),
        "{manifest}"
    );
    assert!(art.join("public/logs/live_backing.log").is_file());
    s.assert_no_containers();
}

#[test]
fn failing_retrying_and_purging_exits() {
    let Some(s) = Setup::new("exitn") else { return };
    let task = s.task(
        "fail",
        "payload:\n  image: x\n  command: [sh, -c, 'exit 5']\n  maxRunTime: 60\n",
    );
    let (out, summary, _) = s.run(&task, &[]);
    assert_eq!(out.status.code(), Some(5), "{}", stderr(&out));
    assert_eq!(summary["outcome"], "failed");
    assert_eq!(summary["taskExitCode"], 5);

    // A command the image does not have fails like `docker run`: 127.
    let task = s.task(
        "notfound",
        "payload:\n  image: x\n  command: [no-such-command]\n  maxRunTime: 60\n",
    );
    let (out, summary, _) = s.run(&task, &[]);
    assert_eq!(out.status.code(), Some(127), "{}", stderr(&out));
    assert_eq!(summary["outcome"], "failed");

    // A retry code: intermittent-task, exit 3; purgeCaches empties the cache for the next run.
    let task = s.task(
        "retry",
        r#"
payload:
  image: x
  command: [sh, -c, 'test -f /c/mark && echo seen-m""ark; touch /c/mark; exit 4']
  maxRunTime: 60
  cache: {retry-cache: /c}
  onExitStatus: {retry: [4], purgeCaches: [4]}
"#,
    );
    let (out, summary, _) = s.run(&task, &[]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert_eq!(summary["reason"], "intermittent-task");
    let (out, _, _) = s.run(&task, &[]);
    assert!(
        !stderr(&out).contains("seen-mark"),
        "the purged cache came back: {}",
        stderr(&out)
    );
    s.assert_no_containers();
    let volumes = listed(&["volume", "ls", "-q"], &s.label_filter());
    assert!(volumes.is_empty(), "purged volumes left: {volumes:?}");
}

#[test]
fn caches_persist_between_runs_and_start_empty() {
    let Some(s) = Setup::new("caches") else {
        return;
    };
    let task = s.task(
        "cache",
        r"
payload:
  image: x
  command: [sh, -c, 'ls /bin/busybox >/dev/null; ls -A /c; echo run >> /c/runs; cat /c/runs | wc -l > /dev/null']
  maxRunTime: 60
  cache: {my-cache: /c}
  artifacts:
    public/runs: {type: file, path: /c/runs}
",
    );
    let (out, _, art) = s.run(&task, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        std::fs::read_to_string(art.join("public/runs")).unwrap(),
        "run\n"
    );
    let (out, _, art) = s.run(&task, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        std::fs::read_to_string(art.join("public/runs")).unwrap(),
        "run\nrun\n"
    );
    // --no-caches: a throwaway volume, gone afterwards.
    let (out, _, art) = s.run(&task, &["--no-caches"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        std::fs::read_to_string(art.join("public/runs")).unwrap(),
        "run\n"
    );
    let volumes = listed(&["volume", "ls", "-q"], &s.label_filter());
    assert_eq!(
        volumes.len(),
        1,
        "one kept cache volume, no throwaway: {volumes:?}"
    );
    assert!(volumes[0].starts_with("tc-cache-my-cache-"), "{volumes:?}");
}

#[test]
fn max_run_time_stops_the_container_and_removes_it() {
    let Some(s) = Setup::new("maxrun") else {
        return;
    };
    let task = s.task(
        "slow",
        r"
payload:
  image: x
  command: [sh, -c, 'echo started; mkdir /o; echo partial > /o/p.txt; sleep 60']
  maxRunTime: 2
  artifacts:
    public/p.txt: {type: file, path: /o/p.txt}
",
    );
    let began = std::time::Instant::now();
    let (out, summary, art) = s.run(&task, &[]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert_eq!(summary["outcome"], "failed");
    assert_eq!(summary["taskExitCode"], Value::Null);
    assert!(
        err.contains("Task aborted: maxRunTime of 2 seconds exceeded"),
        "{err}"
    );
    // Artifacts are still copied after an abort.
    assert_eq!(
        std::fs::read_to_string(art.join("public/p.txt")).unwrap(),
        "partial\n"
    );
    assert!(
        began.elapsed().as_secs() < 50,
        "the container ran to its end"
    );
    s.assert_no_containers();
}

#[test]
fn missing_and_escaping_artifacts_keep_docker_worker_tasks_completed() {
    let Some(s) = Setup::new("missing") else {
        return;
    };
    let task = s.task(
        "missing",
        r"
payload:
  image: x
  command: [sh, -c, 'echo x > /tmp/x']
  maxRunTime: 60
  artifacts:
    public/nope.txt: {type: file, path: /does/not/exist}
    ../escape.txt: {type: file, path: /tmp/x}
",
    );
    let (out, summary, art) = s.run(&task, &[]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert_eq!(summary["outcome"], "completed");
    let arts = summary["artifacts"].as_array().unwrap();
    let reason = |name: &str| {
        arts.iter()
            .find(|a| a["name"] == name)
            .map_or(Value::Null, |a| a["reason"].clone())
    };
    assert_eq!(reason("public/nope.txt"), "file-missing-on-worker");
    assert_eq!(reason("../escape.txt"), "invalid-resource-on-worker");
    assert!(!art.parent().unwrap().join("escape.txt").exists());
    // --missing-artifacts fail turns it into a failure.
    let (out, summary, _) = s.run(&task, &["--missing-artifacts", "fail"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(summary["outcome"], "failed");
}

#[test]
fn every_tarball_format_loads_once() {
    let Some(s) = Setup::new("formats") else {
        return;
    };
    let task = s.task(
        "fmt",
        "payload:\n  image: x\n  command: [echo, loaded-ok]\n  maxRunTime: 60\n",
    );
    for archive in &s.archives {
        for (attempt, cached) in [(0, false), (1, true)] {
            let art = s.artifacts();
            let out = s
                .cmd()
                .args([
                    "run-local",
                    "--network",
                    "none",
                    "--format",
                    "json",
                    "--image",
                ])
                .arg(archive)
                .arg("--artifacts-dir")
                .arg(&art)
                .arg(&task)
                .output()
                .unwrap();
            let err = stderr(&out);
            assert_eq!(out.status.code(), Some(0), "{}: {err}", archive.display());
            assert!(err.contains("loaded-ok"), "{err}");
            let summary: Value = serde_json::from_slice(&out.stdout).unwrap();
            // The first use of each file loads it; the second is a cache hit.
            assert_eq!(
                summary["image"]["cached"],
                cached,
                "{} attempt {attempt}",
                archive.display()
            );
        }
    }
    // A file that is not an image archive loads nothing: malformed-payload.
    let bogus = s.dir.path().join("bogus.tar");
    std::fs::write(&bogus, b"not a tar at all").unwrap();
    let out = s
        .cmd()
        .args(["run-local", "--network", "none", "--image"])
        .arg(&bogus)
        .arg("--artifacts-dir")
        .arg(s.artifacts())
        .arg(&task)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
}

#[test]
fn registry_images_honour_pull_policies() {
    let Some(s) = Setup::new("pull") else { return };
    let task = s.task(
        "absent",
        "payload:\n  image: tc-test/absent-image:never\n  command: ['true']\n  maxRunTime: 60\n",
    );
    let art = s.artifacts();
    let out = s
        .cmd()
        .args([
            "run-local",
            "--pull",
            "never",
            "--network",
            "none",
            "--artifacts-dir",
        ])
        .arg(&art)
        .arg(&task)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(2), "{text}{}", stderr(&out));
    assert!(
        text.contains("not present locally and --pull never"),
        "{text}"
    );

    // An unreachable registry: retried, then resource-unavailable.
    let task = s.task(
        "unreachable",
        "payload:\n  image: 127.0.0.1:9/tc-test/none:1\n  command: ['true']\n  maxRunTime: 60\n",
    );
    let art = s.artifacts();
    let out = s
        .cmd()
        .args([
            "run-local",
            "--network",
            "none",
            "--format",
            "json",
            "--artifacts-dir",
        ])
        .arg(&art)
        .arg(&task)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let summary: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(summary["reason"], "resource-unavailable");

    // A local image by reference (loaded by an earlier run): present locally.
    let (out, _, _) = s.run(&task, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let task = s.task(
        "local",
        &format!("payload:\n  image: {IMAGE}\n  command: ['true']\n  maxRunTime: 60\n"),
    );
    let art = s.artifacts();
    let out = s
        .cmd()
        .args([
            "run-local",
            "--pull",
            "never",
            "--network",
            "none",
            "--format",
            "json",
            "--artifacts-dir",
        ])
        .arg(&art)
        .arg(&task)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let summary: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(summary["image"]["source"], "local");
    assert!(stderr(&out).contains("present locally"));
}

#[test]
fn an_unreachable_daemon_is_resource_unavailable_naming_it() {
    // Needs no daemon at all: DOCKER_HOST points at a socket nobody serves.
    let dir = tempfile::tempdir().unwrap();
    let task = dir.path().join("t.yml");
    std::fs::write(
        &task,
        "payload:\n  image: busybox\n  command: ['true']\n  maxRunTime: 60\n",
    )
    .unwrap();
    let dead = format!("unix://{}/dead.sock", dir.path().display());
    let out = tc()
        .env("DOCKER_HOST", &dead)
        .env("TC_CACHE_DIR", dir.path().join("cache"))
        .args(["run-local", "--format", "json", "--artifacts-dir"])
        .arg(dir.path().join("art"))
        .arg(&task)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let summary: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(summary["reason"], "resource-unavailable");
    assert!(
        summary["message"].as_str().unwrap().contains(&dead),
        "{summary}"
    );
}

#[test]
fn secrets_are_masked_and_keep_leaves_the_container() {
    let Some(s) = Setup::new("keep") else { return };
    let task = s.task(
        "secret",
        "payload:\n  image: x\n  command: [sh, -c, 'echo token=$TOKEN']\n  maxRunTime: 60\n",
    );
    let (out, summary, art) = s.run(&task, &["--secret", "TOKEN=hunter2-secret", "--keep"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(err.contains("token=***"), "{err}");
    assert!(!err.contains("hunter2-secret"));
    let saved = std::fs::read_to_string(art.join("public/logs/live_backing.log")).unwrap();
    assert!(saved.contains("token=***") && !saved.contains("hunter2-secret"));
    assert!(!summary.to_string().contains("hunter2-secret"), "{summary}");
    let id = summary["taskId"].as_str().unwrap();
    let kept = listed(&["ps", "-a", "--format", "{{.Names}}"], &s.label_filter());
    assert_eq!(kept, vec![format!("tc-{id}-0")]);
    assert!(summary["warnings"].to_string().contains("container kept"));
    // The kept (stopped) container is tc's: a rerun with the same taskId replaces it.
    let (out, _, _) = s.run(
        &task,
        &["--secret", "TOKEN=hunter2-secret", "--local-task-id", id],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    s.assert_no_containers();
    // A container of that name that tc did not make is left alone: resource-unavailable.
    let other = tc_taskdef::slugid::nice();
    let name = format!("tc-{other}-0");
    let _guard = RemoveContainer(name.clone());
    let made = std::process::Command::new("docker")
        .args([
            "create",
            "--name",
            &name,
            "--network",
            "none",
            IMAGE,
            "true",
        ])
        .output()
        .unwrap();
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let (out, summary, _) = s.run(
        &task,
        &[
            "--secret",
            "TOKEN=hunter2-secret",
            "--local-task-id",
            &other,
        ],
    );
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(
        summary["message"].as_str().unwrap().contains(&name),
        "{summary}"
    );
}

/// Sends `signal` once the task runs: tc cancels, exits `code` and leaves no container.
/// Starts a long task (a minute of sleep) and returns once its output shows it runs: tc and
/// the rest of its stdout.
fn start_long_task(
    s: &Setup,
) -> (
    std::process::Child,
    std::io::BufReader<std::process::ChildStdout>,
) {
    let task = s.task(
        "long",
        "payload:\n  image: x\n  command: [sh, -c, 'echo run\"\"ning; sleep 60']\n  maxRunTime: 120\n",
    );
    let art = s.artifacts();
    let mut child = s
        .process()
        .args(["run-local", "--network", "none", "--image"])
        .arg(s.zst())
        .arg("--artifacts-dir")
        .arg(&art)
        .arg(&task)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut seen = String::new();
    loop {
        let mut line = String::new();
        if std::io::BufRead::read_line(&mut stdout, &mut line).unwrap() == 0 {
            break;
        }
        seen.push_str(&line);
        if line.contains("running") {
            break;
        }
    }
    assert!(seen.contains("=== Task Starting ==="), "{seen}");
    (child, stdout)
}

fn cancel_with(name: &str, signal: nix::sys::signal::Signal, code: i32) {
    let Some(s) = Setup::new(name) else { return };
    let (mut child, mut stdout) = start_long_task(&s);
    nix::sys::signal::kill(nix::unistd::Pid::from_raw(child.id().cast_signed()), signal).unwrap();
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stdout, &mut rest).unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(code), "{rest}");
    assert!(rest.contains("Canceled by user"), "{rest}");
    s.assert_no_containers();
}

#[test]
fn a_tc_killed_with_sigkill_leaves_no_container_running() {
    let Some(s) = Setup::new("sigkill") else {
        return;
    };
    let (mut child, _stdout) = start_long_task(&s);
    child.kill().unwrap();
    child.wait().unwrap();
    // tc's guard removes the container once tc is gone; it takes a moment.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while !listed(&["ps", "-aq"], &s.label_filter()).is_empty()
        && std::time::Instant::now() < deadline
    {
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    s.assert_no_containers();
}

#[test]
fn ctrl_c_cancels_and_removes_the_container() {
    cancel_with("ctrlc", nix::sys::signal::Signal::SIGINT, 130);
}

#[test]
fn sigterm_cancels_and_removes_the_container() {
    cancel_with("sigterm", nix::sys::signal::Signal::SIGTERM, 143);
}

/// A repository whose `taskcluster/` has in-tree images: `base` (from the test image, with an
/// argument and an included script), `child` and `scripted` on top of it, and `broken`, whose
/// build fails. Returns its `taskcluster/` directory.
fn write_intree_repository(s: &Setup) -> PathBuf {
    let repo = s.dir.path().join("repo");
    let r = repo.join("taskcluster");
    let unique = &s.cleanup.run_id;
    for (path, text) in [
        ("config.yml", "trust-domain: test\n".to_owned()),
        (
            "kinds/docker-image/kind.yml",
            "tasks:\n  base:\n    args: {GREETING: hi-from-base}\n  child:\n    parent: base\n  scripted:\n    parent: base\n  broken: {}\n".to_owned(),
        ),
        (
            "docker/base/Dockerfile",
            format!("FROM {IMAGE}\n# %ARG GREETING\n# %include scripts/hello.sh\nCOPY topsrcdir/scripts/hello.sh /bin/hello\nRUN echo $GREETING {unique} > /greeting\n"),
        ),
        (
            "docker/child/Dockerfile",
            "# %ARG DOCKER_IMAGE_PARENT\nFROM $DOCKER_IMAGE_PARENT\nRUN echo child > /child\n".to_owned(),
        ),
        ("docker/broken/Dockerfile", format!("FROM {IMAGE}\nRUN exit 7\n")),
        (
            "docker/scripted/Dockerfile",
            "# %ARG DOCKER_IMAGE_PARENT\nFROM $DOCKER_IMAGE_PARENT\nRUN echo by-script > /scripted\n".to_owned(),
        ),
    ] {
        let file = r.join(path);
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(file, text).unwrap();
    }
    std::fs::create_dir_all(repo.join("scripts")).unwrap();
    common::write_executable(
        &repo.join("scripts/hello.sh"),
        "#!/bin/sh\necho hello script\n",
    );
    r
}

/// `tc run-local --format json` of `task` with the graph root `root`: the output and summary.
fn run_in_tree(s: &Setup, root: &Path, task: &Path) -> (Output, Value) {
    let out = s
        .cmd()
        .args([
            "run-local",
            "--network",
            "none",
            "--format",
            "json",
            "--root",
        ])
        .arg(root)
        .arg("--artifacts-dir")
        .arg(s.artifacts())
        .arg(task)
        .output()
        .unwrap();
    let summary: Value = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    (out, summary)
}

#[test]
fn in_tree_images_build_once_with_parents_and_report_failures() {
    let Some(s) = Setup::new("intree") else {
        return;
    };
    // The base image comes from the test archive; loading it tags it.
    let load = s.task(
        "load",
        "payload:\n  image: x\n  command: ['true']\n  maxRunTime: 60\n",
    );
    let (out, _, _) = s.run(&load, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let r = write_intree_repository(&s);
    let unique = &s.cleanup.run_id;
    let task = s.task(
        "intree",
        "payload:\n  image: {type: docker-image, name: child}\n  command: [sh, -c, 'cat /greeting /child; hello']\n  maxRunTime: 60\n",
    );
    let run = |task: &Path| run_in_tree(&s, &r, task);
    let (out, summary) = run(&task);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(
        err.contains(&format!("hi-from-base {unique}\nchild\nhello script"))
            || err.contains(&format!("hi-from-base {unique}\r\nchild\r\nhello script")),
        "{err}"
    );
    assert!(
        err.contains("[image base] ") && err.contains("[image child] "),
        "{err}"
    );
    assert_eq!(summary["image"]["source"], "built");
    assert_eq!(summary["image"]["cached"], false);
    let (out, summary) = run(&task);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        summary["image"]["cached"], true,
        "an unchanged context is not rebuilt"
    );

    // --script builds an in-tree image with the docker CLI from the same context.
    let scripted = s.task(
        "scripted",
        "payload:\n  image: {type: docker-image, name: scripted}\n  command: [cat, /scripted]\n  maxRunTime: 60\n",
    );
    let script = s.dir.path().join("scripted.sh");
    let out = s
        .cmd()
        .args(["run-local", "--script", "--network", "none", "--root"])
        .arg(&r)
        .arg("-o")
        .arg(&script)
        .arg(&scripted)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let out = std::process::Command::new("bash")
        .arg(&script)
        .env("ARTIFACTS_DIR", s.artifacts())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}{}", stderr(&out));
    assert!(
        text.contains("[image scripted] ") && text.contains("by-script"),
        "{text}"
    );
    let (out, summary) = run(&scripted);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        summary["image"]["cached"], true,
        "tc finds the image the script built"
    );

    // A failing build: resource-unavailable quoting the build's last lines.
    let broken = s.task(
        "broken",
        "payload:\n  image: {type: docker-image, name: broken}\n  command: ['true']\n  maxRunTime: 60\n",
    );
    let (out, summary) = run(&broken);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert_eq!(summary["reason"], "resource-unavailable");
    assert!(
        summary["message"].as_str().unwrap().contains("exit 7"),
        "{summary}"
    );
    // No context directory: malformed-payload.
    let missing = s.task(
        "missing",
        "payload:\n  image: {type: docker-image, name: nosuch}\n  command: ['true']\n  maxRunTime: 60\n",
    );
    let (out, summary) = run(&missing);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert_eq!(summary["reason"], "malformed-payload");
    s.assert_no_containers();
}

#[test]
fn interactive_shell_runs_exec_task_through_a_pseudo_terminal() {
    let Some(s) = Setup::new("interactive") else {
        return;
    };
    if std::process::Command::new("script")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("skipped: util-linux `script` is not installed");
        return;
    }
    let task = s.task(
        "it",
        r"
payload:
  image: x
  command: [sh, -c, 'sleep 2; echo from-exec-task; mkdir -p /o; echo made > /o/m.txt; exit 4']
  maxRunTime: 1
  artifacts:
    public/m.txt: {type: file, path: /o/m.txt}
",
    );
    let art = s.artifacts();
    let inner = format!(
        "{} run-local --network none -i --image {} --artifacts-dir {} {}",
        assert_cmd::cargo::cargo_bin("tc").display(),
        s.zst().display(),
        art.display(),
        task.display()
    );
    let out = std::process::Command::new("sh")
        .env("TC_CACHE_DIR", s.dir.path().join("cache"))
        .env("TC_TEST_RUN_ID", &s.cleanup.run_id)
        .env("NO_COLOR", "1")
        .arg("-c")
        .arg(format!(
            "(sleep 3; printf 'exec-task; echo exec-task-exit=$?; exit 6\\n') | timeout 60 script -qec \"{inner}\" /dev/null"
        ))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(6),
        "the shell's exit status is the task's: {text}"
    );
    assert!(
        text.contains("from-exec-task") && text.contains("exec-task-exit=4"),
        "exec-task ran the command past maxRunTime: {text}"
    );
    assert_eq!(
        std::fs::read_to_string(art.join("public/m.txt")).unwrap(),
        "made\n"
    );
    // The banner names exec-task and comes before the shell's prompt: nothing but the line
    // break lies between the header's last line and it.
    let banner = "[tc] Interactive shell (not recorded): `exec-task` runs the task's commands";
    let starting = text.find("=== Task Starting ===").expect("the header") + 21;
    let shown = text.find(banner).expect("the banner");
    assert!(
        shown > starting && text[starting..shown].trim().is_empty(),
        "the banner comes first: {text}"
    );
    let log = std::fs::read_to_string(art.join("public/logs/live_backing.log")).unwrap();
    assert!(
        log.contains(banner) && !log.contains("exec-task-exit"),
        "{log}"
    );
    s.assert_no_containers();
}

#[test]
fn develop_binds_the_checkout_where_run_task_would_clone() {
    let Some(s) = Setup::new("develop") else {
        return;
    };
    // The checkout carries a stand-in run-task that drops `--` and runs the rest.
    let checkout = s.dir.path().join("checkout");
    std::fs::create_dir_all(&checkout).unwrap();
    common::write_executable(
        &checkout.join("run-task"),
        "#!/bin/sh\necho \"repos=$REPOSITORIES args=$*\"\nwhile [ \"$1\" != -- ]; do shift; done\nshift\nexec \"$@\"\n",
    );
    std::fs::write(checkout.join("README"), "local work\n").unwrap();
    let task = s.task(
        "dev",
        r#"
payload:
  image: x
  env: {REPOSITORIES: '{"ci":"CI"}'}
  command: [/builds/ci/run-task, --ci-checkout=/builds/ci, --ci-sparse-profile, sparse, --, sh, -c, 'cat /builds/ci/README; echo from-task > /builds/ci/made']
  maxRunTime: 60
"#,
    );
    let (out, _, _) = s.run(
        &task,
        &[
            "--develop",
            "--checkout",
            checkout.to_str().unwrap(),
            "--yes",
        ],
    );
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(
        err.contains("repos={} args=--"),
        "run-task lost its checkout options and REPOSITORIES entry: {err}"
    );
    assert!(err.contains("local work"), "{err}");
    assert_eq!(
        std::fs::read_to_string(checkout.join("made")).unwrap(),
        "from-task\n"
    );
    assert!(
        !err.contains("belongs to uid"),
        "the same owner: no warning: {err}"
    );
    // A checkout owned by someone else than the container's user: tc says so.
    let uid = std::os::unix::fs::MetadataExt::uid(&std::fs::metadata(&checkout).unwrap());
    if std::os::unix::fs::chown(&checkout, Some(uid + 1234), None).is_ok() {
        let (out, _, _) = s.run(
            &task,
            &[
                "--develop",
                "--checkout",
                checkout.to_str().unwrap(),
                "--yes",
            ],
        );
        let err = stderr(&out);
        assert!(
            err.contains(&format!("belongs to uid {}", uid + 1234)),
            "{err}"
        );
    }
    // Off a terminal, without --yes, tc does not ask: it refuses.
    let (out, _, _) = s.run(
        &task,
        &["--develop=ci", "--checkout", checkout.to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("--yes"));
}

/// A tiny queue and index on 127.0.0.1: the image artifact of task `task_id`, the index entry
/// `ns` → `task_id`, 404 for anything else. Counts artifact downloads.
fn serve_queue(
    task_id: &str,
    image: Vec<u8>,
) -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
    let downloads = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = downloads.clone();
    let artifact = format!("/api/queue/v1/task/{task_id}/artifacts/public%2Fimage.tar.zst");
    let index_body = format!("{{\"taskId\":\"{task_id}\"}}");
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            let mut buf = [0u8; 8192];
            let n = stream.read(&mut buf).unwrap_or(0);
            let request = String::from_utf8_lossy(&buf[..n]).into_owned();
            let path = request.split_whitespace().nth(1).unwrap_or("").to_owned();
            let (status, body): (&str, &[u8]) = if path == artifact {
                counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                ("200 OK", &image)
            } else if path == "/api/index/v1/task/project.images.busybox" {
                ("200 OK", index_body.as_bytes())
            } else {
                ("404 Not Found", b"{\"code\":\"ResourceNotFound\"}")
            };
            let head = format!(
                "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.write_all(body);
        }
    });
    (url, downloads)
}

#[test]
fn task_and_indexed_images_are_downloaded_and_loaded_once() {
    let Some(s) = Setup::new("taskimage") else {
        return;
    };
    let image_task = tc_taskdef::slugid::nice();
    let (root_url, downloads) = serve_queue(&image_task, std::fs::read(s.zst()).unwrap());
    let run = |image: &str| {
        let task = s.task(
            "ti",
            &format!(
                "payload:\n  image: {image}\n  command: [echo, from-task-image]\n  maxRunTime: 60\n"
            ),
        );
        let out = s
            .cmd()
            .args([
                "run-local",
                "--network",
                "none",
                "--format",
                "json",
                "--root-url",
                &root_url,
                "--artifacts-dir",
            ])
            .arg(s.artifacts())
            .arg(&task)
            .output()
            .unwrap();
        let summary: Value = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
        (out, summary)
    };
    let by_task = format!("{{type: task-image, taskId: {image_task}, path: public/image.tar.zst}}");
    let (out, summary) = run(&by_task);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stderr(&out).contains("from-task-image"));
    assert_eq!(summary["image"]["cached"], false);
    let (out, summary) = run(&by_task);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(summary["image"]["cached"], true);
    assert_eq!(
        downloads.load(std::sync::atomic::Ordering::SeqCst),
        1,
        "a second run downloads nothing"
    );
    // The index names the same task: nothing more is downloaded.
    let (out, summary) =
        run("{type: indexed-image, namespace: project.images.busybox, path: public/image.tar.zst}");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(summary["image"]["cached"], true);
    assert_eq!(downloads.load(std::sync::atomic::Ordering::SeqCst), 1);
    // An artifact or index entry that does not exist: malformed-payload.
    let (out, summary) = run(&format!(
        "{{type: task-image, taskId: {image_task}, path: public/nope.tar}}"
    ));
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert_eq!(summary["reason"], "malformed-payload");
    let (out, _) =
        run("{type: indexed-image, namespace: project.images.nope, path: public/image.tar.zst}");
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    s.assert_no_containers();
}

#[test]
fn capabilities_need_the_flag_and_allow_ptrace_adds_sys_ptrace() {
    let Some(s) = Setup::new("caps") else { return };
    // CapEff's bit 19 is CAP_SYS_PTRACE.
    let task = s.task(
        "caps",
        "payload:\n  image: x\n  command: [cat, /proc/self/status]\n  maxRunTime: 60\n  features: {allowPtrace: true}\n",
    );
    let (out, _, _) = s.run(&task, &[]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(0), "{err}");
    let cap_eff = err
        .lines()
        .find_map(|l| l.strip_prefix("CapEff:"))
        .map(|v| u64::from_str_radix(v.trim(), 16).unwrap())
        .expect("CapEff in the output");
    assert_ne!(
        cap_eff & (1 << 19),
        0,
        "SYS_PTRACE is not effective: {cap_eff:x}"
    );
    let task = s.task(
        "priv",
        "payload:\n  image: x\n  command: ['true']\n  maxRunTime: 60\n  capabilities: {privileged: true}\n",
    );
    let (out, summary, _) = s.run(&task, &[]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert_eq!(summary["reason"], "malformed-payload");
    assert!(
        summary["message"]
            .as_str()
            .unwrap()
            .contains("--allow-capabilities"),
        "{summary}"
    );
    // With the flag the container is privileged. Whether it can start depends on the machine
    // (a nested daemon may not grant every capability), so the kept container is inspected.
    let (_, summary, _) = s.run(&task, &["--allow-capabilities", "--keep"]);
    let name = format!("tc-{}-0", summary["taskId"].as_str().unwrap());
    let inspected = std::process::Command::new("docker")
        .args(["inspect", "--format", "{{.HostConfig.Privileged}}", &name])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&inspected.stdout).trim(),
        "true",
        "{summary}"
    );
}

#[test]
fn ctrl_c_while_pulling_leaves_no_volume_behind() {
    let Some(s) = Setup::new("cancelpull") else {
        return;
    };
    // The unreachable registry is retried for seconds: time to cancel while a throwaway
    // cache volume exists.
    let task = s.task(
        "pull",
        "payload:\n  image: 127.0.0.1:9/tc-test/none:1\n  command: ['true']\n  maxRunTime: 60\n  cache: {c: /c}\n",
    );
    let mut child = s
        .process()
        .args([
            "run-local",
            "--no-caches",
            "--network",
            "none",
            "--artifacts-dir",
        ])
        .arg(s.artifacts())
        .arg(&task)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = std::io::BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    // tc says when a pull starts (stderr is not a terminal).
    while std::io::BufRead::read_line(&mut stderr, &mut line).unwrap() > 0
        && !line.contains("pulling")
    {
        line.clear();
    }
    assert!(line.contains("pulling"), "{line}");
    let volumes = listed(&["volume", "ls", "-q"], &s.label_filter());
    assert_eq!(
        volumes.len(),
        1,
        "the throwaway volume exists while the image is pulled: {volumes:?}"
    );
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(child.id().cast_signed()),
        nix::sys::signal::Signal::SIGINT,
    )
    .unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130));
    let volumes = listed(&["volume", "ls", "-q"], &s.label_filter());
    assert!(volumes.is_empty(), "left behind: {volumes:?}");
    s.assert_no_containers();
}

#[test]
fn a_purge_blocked_by_a_kept_container_happens_before_the_next_use() {
    let Some(s) = Setup::new("keeppurge") else {
        return;
    };
    let task = s.task(
        "purge",
        r#"
payload:
  image: x
  command: [sh, -c, 'test -f /c/mark && echo seen-m""ark; touch /c/mark; exit 4']
  maxRunTime: 60
  cache: {kept-cache: /c}
  onExitStatus: {purgeCaches: [4]}
"#,
    );
    let (out, summary, _) = s.run(&task, &["--keep"]);
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    assert!(
        summary["warnings"]
            .to_string()
            .contains("purged before its next use"),
        "{summary}"
    );
    // The kept container goes; the next run finds the cache purged.
    let id = summary["taskId"].as_str().unwrap();
    std::process::Command::new("docker")
        .args(["rm", "-f", &format!("tc-{id}-0")])
        .output()
        .unwrap();
    let (out, _, _) = s.run(&task, &[]);
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    assert!(
        !stderr(&out).contains("seen-mark"),
        "the purge was lost: {}",
        stderr(&out)
    );
}

#[test]
fn volumes_bind_host_paths_read_write_or_read_only() {
    let Some(s) = Setup::new("binds") else { return };
    let host = s.dir.path().join("host");
    std::fs::create_dir_all(&host).unwrap();
    std::fs::write(host.join("in.txt"), "from the host\n").unwrap();
    let task = s.task(
        "bind",
        "payload:\n  image: x\n  command: [sh, -c, 'cat /rw/in.txt; echo back > /rw/out.txt; echo nope > /ro/x.txt || echo read-only-refused']\n  maxRunTime: 60\n",
    );
    let rw = format!("{}:/rw", host.display());
    let ro = format!("{}:/ro:ro", host.display());
    let (out, _, _) = s.run(&task, &["-v", &rw, "-v", &ro]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(
        err.contains("from the host") && err.contains("read-only-refused"),
        "{err}"
    );
    assert_eq!(
        std::fs::read_to_string(host.join("out.txt")).unwrap(),
        "back\n"
    );
    assert!(!host.join("x.txt").exists());
    // A host path that does not exist, or a relative container path: usage errors.
    let (out, _, _) = s.run(&task, &["-v", "/no/such/dir:/x"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let (out, _, _) = s.run(&task, &["-v", &format!("{}:relative", host.display())]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
}

#[test]
fn concurrent_runs_of_one_cache_get_different_volumes() {
    let Some(s) = Setup::new("exclusive") else {
        return;
    };
    let task = s.task(
        "hold",
        "payload:\n  image: x\n  command: [sh, -c, 'touch /c/seen; sleep 3']\n  maxRunTime: 60\n  cache: {shared-cache: /c}\n",
    );
    // Load the image once, so both runs start at the same time.
    let (out, _, _) = s.run(&task, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let spawn = || {
        s.process()
            .args(["run-local", "--network", "none", "--image"])
            .arg(s.zst())
            .arg("--artifacts-dir")
            .arg(s.artifacts())
            .arg(&task)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap()
    };
    let (mut a, mut b) = (spawn(), spawn());
    assert!(a.wait().unwrap().success());
    assert!(b.wait().unwrap().success());
    let mut volumes = listed(&["volume", "ls", "-q"], &s.label_filter());
    volumes.sort();
    assert_eq!(volumes.len(), 2, "{volumes:?}");
    assert!(
        volumes[0].ends_with("-0") && volumes[1].ends_with("-1"),
        "{volumes:?}"
    );
}

//! `tc run-local` on the native engine with real processes: the outcome table rows the native
//! engine reaches, artifacts and their safety, secrets, maxRunTime and cancellation.

use crate::common;

use std::path::{Path, PathBuf};

use serde_json::Value;

/// A scratch directory with its own cache root, and helpers to run tasks in it.
struct Scratch {
    dir: tempfile::TempDir,
}

impl Scratch {
    fn new() -> Scratch {
        Scratch {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    fn task(&self, name: &str, yaml: &str) -> PathBuf {
        let p = self.path(name);
        std::fs::write(&p, yaml).unwrap();
        p
    }

    fn tc(&self) -> assert_cmd::Command {
        let mut cmd = common::tc();
        cmd.current_dir(self.dir.path())
            .env("TC_CACHE_DIR", self.path("cache"));
        cmd
    }

    /// Runs a task with `--format json`; returns (exit, summary, stderr).
    fn run_json(&self, task: &Path, extra: &[&str]) -> (i32, Value, String) {
        let out = self
            .tc()
            .arg("run-local")
            .arg(task)
            .args(["--format", "json", "--artifacts-dir", "A"])
            .args(extra)
            .output()
            .unwrap();
        let summary = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
        (
            out.status.code().unwrap_or(-1),
            summary,
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    fn manifest(&self) -> Value {
        serde_json::from_str(&std::fs::read_to_string(self.path("A/tc-manifest.json")).unwrap())
            .unwrap()
    }

    fn saved_log(&self) -> String {
        std::fs::read_to_string(self.path("A/public/logs/live_backing.log")).unwrap()
    }

    fn leftover_task_dirs(&self) -> usize {
        std::fs::read_dir(self.path("cache/tasks")).map_or(0, std::iter::Iterator::count)
    }
}

const HELLO: &str = "
payload:
  maxRunTime: 30
  command:
    - [/bin/sh, -c, 'mkdir -p out/sub && echo hi > out/a.txt && echo deep > out/sub/b.txt && echo \"id=$TASK_ID run=$RUN_ID local=$TC_LOCAL dir=$TASK_WORKDIR\"']
  artifacts:
    - {type: file, path: out/a.txt, name: public/a.txt}
    - {type: directory, path: out, name: public/out}
";

#[test]
fn row_1_a_task_that_exits_0_completes_with_its_artifacts() {
    let s = Scratch::new();
    let t = s.task("hello.yml", HELLO);
    let (code, sum, _) = s.run_json(&t, &["--local-task-id", "gE8_yN_LTs2mvuasaq9Nbw"]);
    assert_eq!(code, 0, "{sum}");
    assert_eq!(
        (sum["outcome"].as_str(), sum["reason"].as_str()),
        (Some("completed"), Some("completed"))
    );
    assert_eq!(sum["taskExitCode"], 0);
    assert_eq!(sum["family"], "generic-worker");
    assert_eq!(sum["engine"], "native");
    assert_eq!(
        std::fs::read_to_string(s.path("A/public/a.txt")).unwrap(),
        "hi\n"
    );
    assert_eq!(
        std::fs::read_to_string(s.path("A/public/out/sub/b.txt")).unwrap(),
        "deep\n"
    );
    let names: Vec<String> = s.manifest()["artifacts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        names,
        [
            "public/a.txt",
            "public/logs/live.log",
            "public/logs/live_backing.log",
            "public/out/a.txt",
            "public/out/sub/b.txt"
        ]
    );
    let log = s.saved_log();
    assert!(
        log.contains("id=gE8_yN_LTs2mvuasaq9Nbw run=0 local=1 dir=/"),
        "{log}"
    );
    assert!(
        log.contains("[tc] === Task Starting ===") && log.contains("Outcome: completed"),
        "{log}"
    );
    assert_eq!(s.leftover_task_dirs(), 0, "the task dir is removed");
}

#[test]
fn the_live_log_goes_to_stdout_in_text_mode() {
    let s = Scratch::new();
    let t = s.task("hello.yml", HELLO);
    let out = s
        .tc()
        .args(["run-local"])
        .arg(&t)
        .args(["--artifacts-dir", "A"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with("[tc] Task: "), "{text}");
    assert!(text.contains("[tc] Command 1/1: /bin/sh -c"), "{text}");
    assert!(text.contains("[tc] Artifact public/a.txt (3 B)"), "{text}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("no isolation"));
}

#[test]
fn row_2_the_first_failing_command_gives_its_exit_code() {
    let s = Scratch::new();
    let t = s.task("t.yml", "payload:\n  maxRunTime: 30\n  command: [[/bin/sh, -c, 'exit 4'], [/bin/sh, -c, 'echo never']]\n");
    let (code, sum, _) = s.run_json(&t, &[]);
    assert_eq!(code, 4);
    assert_eq!(
        (sum["outcome"].as_str(), sum["taskExitCode"].as_i64()),
        (Some("failed"), Some(4))
    );
    assert!(
        !s.saved_log().lines().any(|l| l == "never"),
        "the second command never ran"
    );
}

#[test]
fn a_command_killed_by_a_signal_reports_128_plus_the_signal() {
    let s = Scratch::new();
    let t = s.task(
        "t.yml",
        "payload:\n  maxRunTime: 30\n  command: [[/bin/sh, -c, 'kill -9 $$']]\n",
    );
    let (code, sum, _) = s.run_json(&t, &[]);
    assert_eq!((code, sum["taskExitCode"].as_i64()), (137, Some(137)));
}

#[test]
fn a_missing_program_fails_like_a_shell() {
    let s = Scratch::new();
    let t = s.task(
        "t.yml",
        "payload:\n  maxRunTime: 30\n  command: [[no-such-program-tc-test]]\n",
    );
    let (code, _, _) = s.run_json(&t, &[]);
    assert_eq!(code, 127);
    assert!(s.saved_log().contains("Cannot run no-such-program-tc-test"));
}

#[test]
fn row_3_a_retry_exit_code_is_intermittent_and_retries_rerun() {
    let s = Scratch::new();
    let t = s.task("t.yml", "payload:\n  maxRunTime: 30\n  command: [[/bin/sh, -c, 'echo run $RUN_ID; exit 5']]\n  onExitStatus: {retry: [5]}\n");
    let (code, sum, _) = s.run_json(&t, &[]);
    assert_eq!(code, 3);
    assert_eq!(sum["reason"], "intermittent-task");
    let out = s
        .tc()
        .arg("run-local")
        .arg(&t)
        .args(["--format", "json", "--artifacts-dir", "B", "--retries", "2"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    let runs: Vec<Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(
        runs.iter()
            .map(|r| r["runId"].as_i64().unwrap())
            .collect::<Vec<_>>(),
        [0, 1, 2]
    );
    assert!(
        s.path("B.run0/tc-manifest.json").exists() && s.path("B.run1/tc-manifest.json").exists()
    );
    assert!(
        std::fs::read_to_string(s.path("B/public/logs/live_backing.log"))
            .unwrap()
            .contains("run 2")
    );
}

#[test]
fn row_4_max_run_time_kills_the_whole_process_group() {
    let s = Scratch::new();
    let marker = s.path("grandchild-survived");
    let t = s.task(
        "t.yml",
        &format!(
            "payload:\n  maxRunTime: 1\n  command: [[/bin/sh, -c, '(sleep 3; touch {}) & sleep 30']]\n",
            marker.display()
        ),
    );
    let (code, sum, _) = s.run_json(&t, &[]);
    assert_eq!(code, 1);
    assert_eq!(sum["outcome"], "failed");
    assert_eq!(sum["taskExitCode"], Value::Null);
    assert!(
        s.saved_log()
            .contains("Task aborted: maxRunTime of 1 seconds exceeded")
    );
    std::thread::sleep(std::time::Duration::from_secs(4));
    assert!(
        !marker.exists(),
        "the grandchild in the task's process group was killed too"
    );
}

#[test]
fn rows_5_a_malformed_payload_lists_every_problem_and_still_writes_log_and_manifest() {
    let s = Scratch::new();
    let t = s.task(
        "t.yml",
        "payload:\n  maxRunTime: 0\n  command: [[/bin/true]]\n  colour: red\n  env: {A: 1}\n",
    );
    let (code, sum, _) = s.run_json(&t, &[]);
    assert_eq!(code, 2);
    assert_eq!(sum["reason"], "malformed-payload");
    let msg = sum["message"].as_str().unwrap();
    for needle in ["payload/maxRunTime", "payload/colour", "payload/env/A"] {
        assert!(msg.contains(needle), "{needle} in {msg}");
    }
    assert_eq!(s.manifest()["reason"], "malformed-payload");
    assert!(s.saved_log().contains("Exit code: none"));
}

#[test]
fn docker_worker_payloads_are_refused_on_the_native_engine() {
    let s = Scratch::new();
    let t = s.task("t.yml", "payload:\n  image: busybox\n  maxRunTime: 10\n");
    let (code, sum, _) = s.run_json(&t, &["--engine", "native"]);
    assert_eq!(code, 2);
    assert!(sum["message"].as_str().unwrap().contains("--engine auto"));
}

#[test]
fn rows_10_missing_artifacts_fail_generic_worker_tasks_unless_optional() {
    let s = Scratch::new();
    let t = s.task("t.yml", "payload:\n  maxRunTime: 30\n  command: [[/bin/true]]\n  artifacts: [{type: file, path: nope.txt, name: public/nope.txt}]\n");
    let (code, sum, _) = s.run_json(&t, &[]);
    assert_eq!((code, sum["outcome"].as_str()), (1, Some("failed")));
    let errors: Vec<&Value> = sum["artifacts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["type"] == "error")
        .collect();
    assert_eq!(errors[0]["reason"], "file-missing-on-worker");
    let (code, _, _) = s.run_json(&t, &["--missing-artifacts", "ignore"]);
    assert_eq!(code, 0);
    let t = s.task("o.yml", "payload:\n  maxRunTime: 30\n  command: [[/bin/true]]\n  artifacts: [{type: file, path: nope.txt, optional: true}]\n");
    let (code, _, _) = s.run_json(&t, &[]);
    assert_eq!(code, 0);
    let (code, _, _) = s.run_json(&t, &["--missing-artifacts", "fail"]);
    assert_eq!(code, 1);
}

#[test]
fn row_11_escaping_artifacts_are_refused_and_nothing_is_written_outside() {
    let s = Scratch::new();
    let t = s.task(
        "t.yml",
        "payload:\n  maxRunTime: 30\n  command: [[/bin/sh, -c, 'echo x > f.txt; ln -s /etc/hostname link.txt']]\n  artifacts:\n    - {type: file, path: f.txt, name: ../escaped.txt}\n    - {type: file, path: f.txt, name: /tmp/abs.txt}\n    - {type: file, path: link.txt, name: public/link.txt}\n",
    );
    let (code, sum, _) = s.run_json(&t, &[]);
    assert_eq!(code, 1, "{sum}");
    let reasons: Vec<&str> = sum["artifacts"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|a| a["reason"].as_str())
        .collect();
    assert_eq!(reasons, ["invalid-resource-on-worker"; 3]);
    assert!(!s.path("escaped.txt").exists());
    assert!(!s.path("A/public/link.txt").exists());
}

#[test]
fn an_artifacts_dir_holding_someone_elses_files_is_refused_before_anything_runs() {
    let s = Scratch::new();
    std::fs::create_dir(s.path("A")).unwrap();
    std::fs::write(s.path("A/thesis.tex"), "years of work").unwrap();
    let marker = s.path("ran");
    let t = s.task(
        "t.yml",
        &format!(
            "payload:\n  maxRunTime: 30\n  command: [[touch, {}]]\n",
            marker.display()
        ),
    );
    let (code, _, err) = s.run_json(&t, &[]);
    assert_eq!(code, 2);
    assert!(err.contains("not empty"), "{err}");
    assert_eq!(
        std::fs::read_to_string(s.path("A/thesis.tex")).unwrap(),
        "years of work"
    );
    assert!(!marker.exists());
}

#[test]
fn secrets_are_masked_in_the_terminal_the_saved_log_and_the_summary() {
    let s = Scratch::new();
    let t = s.task("t.yml", "payload:\n  maxRunTime: 30\n  command: [[/bin/sh, -c, 'echo \"a=$TOKEN b=$FROMFILE\"; printf %s \"$TOKEN\" | cut -c1-3; exit 9']]\n");
    std::fs::write(s.path("secrets.env"), "FROMFILE=\"multi\nline-secret\"\n").unwrap();
    let out = s
        .tc()
        .arg("run-local")
        .arg(&t)
        .args([
            "--artifacts-dir",
            "A",
            "--secret",
            "TOKEN=hunter2222",
            "--secret-file",
            "secrets.env",
        ])
        .output()
        .unwrap();
    let terminal = String::from_utf8(out.stdout).unwrap();
    assert!(terminal.contains("a=*** b=***\n"), "{terminal}");
    assert!(!terminal.contains("hunter2222") && !terminal.contains("line-secret"));
    assert!(!s.saved_log().contains("hunter2222"));
    assert!(
        !std::fs::read_to_string(s.path("A/tc-manifest.json"))
            .unwrap()
            .contains("hunter2222")
    );
}

#[test]
fn a_secret_in_an_artifact_file_name_is_masked_on_disk_too_with_a_warning() {
    let s = Scratch::new();
    let t = s.task(
        "t.yml",
        "payload:\n  maxRunTime: 30\n  command: [[/bin/sh, -c, 'mkdir out && echo k > \"out/key-$TOKEN.txt\" && echo p > out/plain.txt']]\n  artifacts: [{type: directory, path: out, name: public/out}]\n",
    );
    let (code, summary, err) = s.run_json(&t, &["--secret", "TOKEN=hunter2222"]);
    assert_eq!(code, 0, "{summary} {err}");
    // Every file the manifest names is there, under that name; no file name holds the secret.
    let manifest = s.manifest();
    let mut named = Vec::new();
    for a in manifest["artifacts"].as_array().unwrap() {
        if a["type"] == "file" {
            let name = a["name"].as_str().unwrap();
            assert!(s.path("A").join(name).is_file(), "{name} is not there");
            named.push(name.to_owned());
        }
    }
    assert!(
        named.contains(&"public/out/key-***.txt".to_owned()),
        "{named:?}"
    );
    let on_disk: Vec<String> = std::fs::read_dir(s.path("A/public/out"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        !on_disk.iter().any(|n| n.contains("hunter2222")),
        "{on_disk:?}"
    );
    assert_eq!(
        std::fs::read_to_string(s.path("A/public/out/key-***.txt")).unwrap(),
        "k\n"
    );
    // The warning names the masked path only.
    let warning = "artifact public/out/key-***.txt: its path holds a secret value, so it is stored under this masked name";
    assert!(
        summary["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w == warning),
        "{summary}"
    );
    assert!(s.saved_log().contains(warning), "{}", s.saved_log());
    for text in [
        summary.to_string(),
        err,
        s.saved_log(),
        manifest.to_string(),
    ] {
        assert!(!text.contains("hunter2222"), "{text}");
    }
}

#[test]
fn env_layers_and_reserved_names() {
    let s = Scratch::new();
    std::fs::write(s.path("vars.env"), "# comment\nFROM_FILE=file\nBOTH=file\n").unwrap();
    let t = s.task("t.yml", "payload:\n  maxRunTime: 30\n  env: {P: payload, BOTH: payload, TASK_ID: mine}\n  command: [[/bin/sh, -c, 'echo \"$P $FROM_FILE $BOTH $CLI ${SECRETISH:-unset} $TASK_ID\"']]\n");
    let out = s
        .tc()
        .arg("run-local")
        .arg(&t)
        .args([
            "--artifacts-dir",
            "A",
            "--env-file",
            "vars.env",
            "--env",
            "CLI=cli",
            "--env",
            "BOTH=cli",
            "--local-task-id",
            "gE8_yN_LTs2mvuasaq9Nbw",
        ])
        .env("SECRETISH", "not inherited")
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("payload file cli cli unset gE8_yN_LTs2mvuasaq9Nbw\n"),
        "{text}"
    );
    assert!(
        text.contains("Warning: payload/env/TASK_ID is reserved"),
        "{text}"
    );
    for bad in [
        &["--env", "RUN_ID=3"][..],
        &["--env", "1X=3"],
        &["--secret", "S=abc"],
        &["--env", "K=v", "--secret", "K=longvalue"],
        &["--secret", "NOT_SET_ANYWHERE_TC"],
    ] {
        let out = s
            .tc()
            .arg("run-local")
            .arg(&t)
            .args(["--artifacts-dir", "Z"])
            .args(bad)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{bad:?}");
        assert!(!s.path("Z").exists(), "nothing written for {bad:?}");
    }
}

#[test]
fn bad_documents_exit_2_with_file_line_and_column() {
    let s = Scratch::new();
    let t = s.task("bad.yml", "payload:\n  command: [[true]\n  maxRunTime: 5\n");
    let out = s.tc().arg("run-local").arg(&t).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    // The unclosed `[` on line 2 is the mistake, not the `:` where the parser stopped.
    assert!(
        err.contains("bad.yml:2:12: this '[' is not closed"),
        "{err}"
    );
    let t = s.task(
        "keys.yml",
        "payload: {command: [[/bin/true]], maxRunTime: 5}\ncolor: red\nprovisionerId: p\n",
    );
    let out = s.tc().arg("run-local").arg(&t).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("color") && err.contains("workerType"), "{err}");
    let out = s.tc().args(["run-local", "missing.yml"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no such file"));
    assert!(!s.path("artifacts").exists());
}

#[test]
fn relative_times_and_stdin() {
    let s = Scratch::new();
    let out = s.tc().args(["run-local", "-", "--format", "json", "--artifacts-dir", "A"])
        .write_stdin("payload:\n  maxRunTime: 30\n  command: [[/bin/true]]\n  artifacts: [{type: file, path: x, optional: true, expires: {relative-datestamp: 1 day}}]\ndeadline: {relative-datestamp: 2 hours}\n")
        .output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let t = s.task("late.yml", "payload:\n  maxRunTime: 30\n  command: [[/bin/true]]\n  artifacts: [{type: file, path: x, expires: {relative-datestamp: 5 years}}]\n");
    let (code, sum, _) = s.run_json(&t, &[]);
    assert_eq!(code, 2);
    assert!(
        sum["message"]
            .as_str()
            .unwrap()
            .contains("later than the task's expires")
    );
}

#[test]
fn dry_run_prints_the_plan_and_runs_nothing() {
    let s = Scratch::new();
    let marker = s.path("ran");
    let t = s.task(
        "t.yml",
        &format!(
            "payload:\n  maxRunTime: 30\n  env: {{A: b}}\n  command: [[touch, {}]]\n",
            marker.display()
        ),
    );
    let out = s
        .tc()
        .arg("run-local")
        .arg(&t)
        .args(["--dry-run", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["plan"]["engine"], "native");
    assert_eq!(v["plan"]["env"], serde_json::json!(["A"]));
    assert_eq!(v["definition"]["taskQueueId"], "local/default");
    assert!(!marker.exists() && !s.path("artifacts").exists());
    let bad = s.task(
        "bad.yml",
        "payload: {command: [[/bin/true]], maxRunTime: -1}\n",
    );
    let out = s
        .tc()
        .arg("run-local")
        .arg(&bad)
        .arg("--dry-run")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn row_12_ctrl_c_cancels_cleans_up_and_exits_130() {
    let s = Scratch::new();
    let t = s.task("t.yml", "payload:\n  maxRunTime: 60\n  command: [[/bin/sh, -c, 'echo started; sleep 60']]\n  artifacts: [{type: file, path: x}]\n");
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("tc"))
        .current_dir(s.dir.path())
        .env("TC_CACHE_DIR", s.path("cache"))
        .args(["run-local", t.to_str().unwrap(), "--artifacts-dir", "A"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut lines = std::io::BufRead::lines(std::io::BufReader::new(stdout));
    for line in lines.by_ref() {
        if line.unwrap() == "started" {
            break;
        }
    }
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(child.id() as i32),
        nix::sys::signal::Signal::SIGINT,
    )
    .unwrap();
    let rest: Vec<String> = lines.map(Result::unwrap).collect();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130));
    assert!(
        rest.iter().any(|l| l == "[tc] Canceled by user"),
        "{rest:?}"
    );
    assert!(
        rest.iter()
            .any(|l| l.contains("Outcome: exception (canceled)")),
        "{rest:?}"
    );
    assert_eq!(s.leftover_task_dirs(), 0, "the task dir is removed");
    assert_eq!(
        serde_json::from_str::<Value>(
            &std::fs::read_to_string(s.path("A/tc-manifest.json")).unwrap()
        )
        .unwrap()["reason"],
        "canceled"
    );
}

#[test]
fn keep_leaves_the_task_dir() {
    let s = Scratch::new();
    let t = s.task(
        "t.yml",
        "payload:\n  maxRunTime: 30\n  command: [[/bin/sh, -c, 'echo kept > k.txt']]\n",
    );
    let (code, sum, _) = s.run_json(&t, &["--keep"]);
    assert_eq!(code, 0);
    assert_eq!(s.leftover_task_dirs(), 1);
    assert!(
        sum["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w.as_str().unwrap().contains("kept"))
    );
}

#[test]
fn several_tasks_run_at_once_with_prefixes_and_the_highest_status_wins() {
    let s = Scratch::new();
    let a = s.task(
        "a.yml",
        "payload:\n  maxRunTime: 30\n  command: [[/bin/sh, -c, 'echo from-a; printf tail']]\n",
    );
    let b = s.task(
        "build-b.yml",
        "payload:\n  maxRunTime: 30\n  command: [[/bin/sh, -c, 'echo from-b; exit 6']]\n",
    );
    let out = s
        .tc()
        .arg("run-local")
        .arg(&a)
        .arg(&b)
        .args(["-j", "2", "--artifacts-dir", "A"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(6));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.lines().any(|l| l == "[a      ] from-a"), "{text}");
    assert!(
        text.lines().any(|l| l == "[a      ] tail"),
        "a partial line is ended and prefixed: {text}"
    );
    assert!(text.lines().any(|l| l == "[build-b] from-b"), "{text}");
    assert!(
        text.lines()
            .all(|l| l.starts_with("[a      ] ") || l.starts_with("[build-b] ")),
        "{text}"
    );
    let dirs: Vec<_> = std::fs::read_dir(s.path("A")).unwrap().collect();
    assert_eq!(dirs.len(), 2, "one artifacts directory per task");
    for d in dirs {
        let log = std::fs::read_to_string(d.unwrap().path().join("public/logs/live_backing.log"))
            .unwrap();
        assert!(
            !log.contains("[a      ]") && !log.contains("[build-b]"),
            "saved logs carry no prefix"
        );
    }
    let out = s
        .tc()
        .arg("run-local")
        .arg(&a)
        .arg(&b)
        .args(["--local-task-id", "gE8_yN_LTs2mvuasaq9Nbw"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn json_gives_one_summary_line_per_task() {
    let s = Scratch::new();
    let a = s.task(
        "a.yml",
        "payload:\n  maxRunTime: 30\n  command: [[/bin/true]]\n",
    );
    let b = s.task(
        "b.yml",
        "payload:\n  maxRunTime: 30\n  command: [[/bin/false]]\n",
    );
    let out = s
        .tc()
        .arg("run-local")
        .arg(&a)
        .arg(&b)
        .args(["--format", "json", "--artifacts-dir", "A"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let outcomes: Vec<String> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["outcome"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(outcomes, ["completed", "failed"]);
}

#[test]
fn interactive_opens_a_shell_with_exec_task_through_a_pseudo_terminal() {
    // `script` (util-linux) gives tc a pseudo-terminal; what we pipe in is typed into the shell.
    if std::process::Command::new("script")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("skipped: util-linux `script` is not installed");
        return;
    }
    let s = Scratch::new();
    let t = s.task("t.yml", "payload:\n  maxRunTime: 1\n  command: [[/bin/sh, -c, 'sleep 2; echo made > made.txt; exit 4']]\n  artifacts: [{type: file, path: made.txt}]\n");
    let tc = assert_cmd::cargo::cargo_bin("tc");
    let inner = format!(
        "SHELL=/bin/sh TC_CACHE_DIR={} {} run-local {} -i --artifacts-dir A",
        s.path("cache").display(),
        tc.display(),
        t.display()
    );
    let out = std::process::Command::new("sh")
        .current_dir(s.dir.path())
        .arg("-c")
        .arg(format!("(sleep 1; printf 'exec-task; echo exec-task-exit=$?; exit 6\\n') | timeout 60 script -qec \"{inner}\" /dev/null"))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(6),
        "the shell's exit status is the task's: {text}"
    );
    assert!(
        text.contains("exec-task-exit=4"),
        "exec-task ran the commands, past maxRunTime: {text}"
    );
    assert_eq!(
        std::fs::read_to_string(s.path("A/made.txt")).unwrap(),
        "made\n",
        "artifacts follow as usual"
    );
    let banner = "[tc] Interactive shell (not recorded): `exec-task` runs the task's commands";
    assert!(
        text.contains(banner),
        "the banner tells of exec-task: {text}"
    );
    let log = s.saved_log();
    assert!(
        log.contains(banner) && !log.contains("exec-task-exit"),
        "{log}"
    );
    let out = s.tc().arg("run-local").arg(&t).arg("-i").output().unwrap();
    assert_eq!(out.status.code(), Some(2), "no terminal: a usage error");
}

#[test]
fn group_members_that_ignore_sigterm_are_killed_after_the_grace() {
    let s = Scratch::new();
    let marker = s.path("survived");
    let t = s.task("t.yml", &format!(
        "payload:\n  maxRunTime: 1\n  command: [[/bin/sh, -c, '(trap \"\" TERM; sleep 9; touch {}) & trap \"\" TERM; sleep 30']]\n",
        marker.display()
    ));
    let (code, _, _) = s.run_json(&t, &[]);
    assert_eq!(code, 1);
    std::thread::sleep(std::time::Duration::from_secs(10));
    assert!(
        !marker.exists(),
        "SIGKILL reached the member that ignored SIGTERM"
    );
}

#[test]
fn a_background_process_holding_the_output_does_not_keep_tc_waiting() {
    let s = Scratch::new();
    let t = s.task(
        "t.yml",
        "payload:\n  maxRunTime: 60\n  command: [[/bin/sh, -c, 'sleep 30 & echo started']]\n",
    );
    // `timeout` only guards against a hang: tc must finish long before it.
    let out = std::process::Command::new("timeout")
        .arg("20")
        .arg(assert_cmd::cargo::cargo_bin("tc"))
        .current_dir(s.dir.path())
        .env("TC_CACHE_DIR", s.path("cache"))
        .args(["run-local", t.to_str().unwrap(), "--artifacts-dir", "A"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "tc finished with the command, not with its descendant"
    );
}

#[test]
fn unsafe_log_names_are_malformed_and_never_written() {
    let s = Scratch::new();
    for logs in [
        "{backing: ../../escaped.log}",
        "{backing: /tmp/tc-abs-escape.log}",
        "{live: same.log, backing: same.log}",
        "{backing: tc-manifest.json}",
    ] {
        let t = s.task(
            "t.yml",
            &format!("payload:\n  maxRunTime: 30\n  command: [[/bin/true]]\n  logs: {logs}\n"),
        );
        let (code, sum, _) = s.run_json(&t, &[]);
        assert_eq!(
            (code, sum["reason"].as_str()),
            (2, Some("malformed-payload")),
            "{logs}: {sum}"
        );
        assert!(
            sum["message"].as_str().unwrap().contains("payload/logs"),
            "{sum}"
        );
    }
    assert!(
        !s.path("escaped.log").exists()
            && !s.dir.path().parent().unwrap().join("escaped.log").exists()
    );
    assert!(!std::path::Path::new("/tmp/tc-abs-escape.log").exists());
}

#[test]
fn an_artifact_cannot_take_the_live_log_name() {
    let s = Scratch::new();
    let t = s.task("t.yml", "payload:\n  maxRunTime: 30\n  command: [[/bin/sh, -c, 'echo x > x.txt']]\n  artifacts: [{type: file, path: x.txt, name: public/logs/live.log}]\n");
    let (code, sum, _) = s.run_json(&t, &[]);
    assert_eq!(code, 1);
    let named: Vec<&Value> = sum["artifacts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["name"] == "public/logs/live.log")
        .collect();
    assert_eq!(named.len(), 2, "the link and the refused artifact: {sum}");
    assert!(named.iter().any(|a| a["type"] == "error"));
}

#[test]
fn secrets_in_artifact_names_are_masked_in_the_summary() {
    let s = Scratch::new();
    let t = s.task("t.yml", "payload:\n  maxRunTime: 30\n  command: [[/bin/true]]\n  artifacts: [{type: file, path: hunter2222.txt}]\n");
    let (_, sum, _) = s.run_json(&t, &["--secret", "S=hunter2222"]);
    assert!(!sum.to_string().contains("hunter2222"), "{sum}");
    assert!(
        !std::fs::read_to_string(s.path("A/tc-manifest.json"))
            .unwrap()
            .contains("hunter2222")
    );
}

#[test]
fn retries_never_replace_a_directory_tc_did_not_write() {
    let s = Scratch::new();
    std::fs::create_dir(s.path("A.run0")).unwrap();
    std::fs::write(s.path("A.run0/mine.txt"), "keep").unwrap();
    let t = s.task("t.yml", "payload:\n  maxRunTime: 30\n  command: [[/bin/sh, -c, 'exit 5']]\n  onExitStatus: {retry: [5]}\n");
    let (code, _, err) = s.run_json(&t, &["--retries", "1"]);
    assert_eq!(code, 2, "{err}");
    assert_eq!(
        std::fs::read_to_string(s.path("A.run0/mine.txt")).unwrap(),
        "keep"
    );
}

#[test]
fn row_13_tc_failing_after_validation_is_an_internal_error() {
    let s = Scratch::new();
    // The cache root lies under a regular file, so no task directory can be made.
    std::fs::write(s.path("not-a-dir"), "").unwrap();
    let t = s.task(
        "t.yml",
        "payload:\n  maxRunTime: 30\n  command: [[/bin/true]]\n",
    );
    let out = s
        .tc()
        .arg("run-local")
        .arg(&t)
        .env("TC_CACHE_DIR", s.path("not-a-dir/cache"))
        .args(["--format", "json", "--artifacts-dir", "A"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    let sum: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (sum["outcome"].as_str(), sum["reason"].as_str()),
        (Some("exception"), Some("internal-error"))
    );
    assert!(
        sum["message"].as_str().unwrap().contains("not-a-dir"),
        "the message names what failed: {sum}"
    );
    assert_eq!(s.manifest()["reason"], "internal-error");
}

#[test]
fn develop_links_the_checkout_into_the_task_dir() {
    let s = Scratch::new();
    let checkout = s.path("checkout");
    std::fs::create_dir_all(&checkout).unwrap();
    std::fs::write(checkout.join("README"), "local work\n").unwrap();
    let t = s.task(
        "t2.yml",
        "payload:\n  maxRunTime: 30\n  env: {REPOSITORIES: '{\"ci\":\"CI\"}'}\n  command: [[echo, first], [/bin/sh, -c, 'cat checkouts/ci/README && echo changed > checkouts/ci/made']]\n",
    );
    // No run-task command: nothing to replace, so tc refuses and says how to bind instead.
    let (code, _, err) = s.run_json(
        &t,
        &[
            "--develop",
            "--checkout",
            checkout.to_str().unwrap(),
            "--yes",
        ],
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("-v DIR:PATH"), "{err}");
    let bin = s.path("bin");
    std::fs::create_dir_all(&bin).unwrap();
    common::write_executable(
        &bin.join("run-task"),
        "#!/bin/sh\nwhile [ \"$1\" != -- ]; do shift; done\nshift\nexec \"$@\"\n",
    );
    let t = s.task(
        "t3.yml",
        &format!(
            "payload:\n  maxRunTime: 30\n  command: [[{}, --ci-checkout=checkouts/ci, --, /bin/sh, -c, 'cat checkouts/ci/README && echo changed > checkouts/ci/made']]\n",
            bin.join("run-task").display()
        ),
    );
    // A dry run uses nothing, so it asks nothing (no --yes off a terminal) and runs nothing.
    let dry = s
        .tc()
        .arg("run-local")
        .arg(&t)
        .args(["--develop=ci", "--checkout", checkout.to_str().unwrap()])
        .args(["--dry-run", "--format", "json"])
        .output()
        .unwrap();
    assert!(dry.status.success(), "{dry:?}");
    let plan: Value = serde_json::from_slice(&dry.stdout).unwrap();
    assert!(
        plan["definition"]["payload"]["command"].is_array(),
        "{plan}"
    );
    assert!(!checkout.join("made").exists());
    let (code, _, err) = s.run_json(
        &t,
        &[
            "--develop=ci",
            "--checkout",
            checkout.to_str().unwrap(),
            "--yes",
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("local work"), "{err}");
    assert_eq!(
        std::fs::read_to_string(checkout.join("made")).unwrap(),
        "changed\n"
    );
}

#[test]
fn container_options_are_refused_for_native_tasks() {
    let s = Scratch::new();
    let t = s.task(
        "t.yml",
        "payload:\n  maxRunTime: 30\n  command: [[/bin/true]]\n",
    );
    for (flags, named) in [
        (&["--image", "busybox"][..], "--image"),
        (&["--network", "none"][..], "--network"),
        (&["-v", "/tmp:/x"][..], "-v/--volume"),
    ] {
        let out = s
            .tc()
            .arg("run-local")
            .arg(&t)
            .args(flags)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(err.contains(named) && err.contains("run natively"), "{err}");
    }
}

#[test]
fn a_killed_tc_takes_the_task_and_its_background_children_with_it() {
    let s = Scratch::new();
    let pids_file = s.path("pids");
    let t = s.task(
        "t.yml",
        &format!(
            "payload:\n  maxRunTime: 600\n  env: {{PIDS: '{}'}}\n  command: [{}]\n",
            pids_file.display(),
            common::BACKGROUND_CHILD
        ),
    );
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("tc"))
        .current_dir(s.dir.path())
        .env("TC_CACHE_DIR", s.path("cache"))
        .args(["run-local", t.to_str().unwrap(), "--artifacts-dir", "A"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let pids = common::pids_written(&pids_file);
    child.kill().unwrap();
    child.wait().unwrap();
    let left = common::still_running_after_a_while(&pids);
    common::kill_leftovers(&left);
    assert!(
        left.is_empty(),
        "still running after tc was killed: {left:?} of {pids:?}"
    );
}

#[test]
fn the_native_engine_note_shows_only_when_the_native_engine_runs() {
    let s = Scratch::new();
    let t = s.task(
        "t.yml",
        "payload:\n  maxRunTime: 30\n  command: [[/bin/true]]\n",
    );
    let (code, _, err) = s.run_json(&t, &["--engine", "docker"]);
    assert_eq!(
        code, 2,
        "a generic-worker payload is refused on Docker: {err}"
    );
    assert!(!err.contains("native engine"), "{err}");
    let (code, _, err) = s.run_json(&t, &["--engine", "native"]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("native engine runs the task as you"), "{err}");
}

#[test]
fn the_scopes_warning_points_at_no_unrelated_flag() {
    let s = Scratch::new();
    let t = s.task(
        "t.yml",
        "scopes: ['secrets:get:project/x']\npayload:\n  maxRunTime: 30\n  command: [[/bin/true]]\n",
    );
    let (code, sum, err) = s.run_json(&t, &[]);
    assert_eq!(code, 0, "{err}");
    let warnings = sum["warnings"].to_string();
    assert!(
        warnings.contains("scopes are not checked locally"),
        "{warnings}"
    );
    // --allow-capabilities is about docker-worker capabilities, not the task's scopes.
    assert!(!warnings.contains("--allow-capabilities"), "{warnings}");
}

#[test]
fn a_missing_artifact_after_exit_code_0_is_named_as_the_reason_for_failed() {
    let s = Scratch::new();
    let t = s.task("t.yml", "payload:\n  maxRunTime: 30\n  command: [[/bin/true]]\n  artifacts: [{type: file, path: nope.txt, name: public/nope.txt}]\n");
    let out = s
        .tc()
        .arg("run-local")
        .arg(&t)
        .args(["--artifacts-dir", "A"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("Exit code: 0 ")
            && text.contains("Outcome: failed (artifact public/nope.txt missing)"),
        "{text}"
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("artifact public/nope.txt missing"), "{err}");
    let (_, sum, _) = s.run_json(&t, &[]);
    assert_eq!(sum["message"], "artifact public/nope.txt missing");
}

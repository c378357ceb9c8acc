//! `tc run-local` on the native engine with real processes: the outcome table rows the native
//! engine reaches, artifacts and their safety, secrets, maxRunTime and cancellation.

use crate::common::{self, Test, TestDir};

use serde_json::Value;

/// `tc run-local TASK --format json --artifacts-dir A EXTRA` in `dir`, whose cache root is
/// `dir/cache`.
fn run_json(dir: &TestDir, task: &str, extra: &[&str]) -> Test {
    dir.test()
        .args([
            "run-local",
            task,
            "--format",
            "json",
            "--artifacts-dir",
            "A",
        ])
        .args(extra)
}

/// `tc run-local TASK EXTRA` in `dir` (the live log on stdout).
fn run_local(dir: &TestDir, task: &str, extra: &[&str]) -> Test {
    dir.test().args(["run-local", task]).args(extra)
}

/// A test directory holding the task file `name`.
fn with_task(name: &str, yaml: &str) -> TestDir {
    let dir = TestDir::new();
    dir.write(name, yaml);
    dir
}

fn manifest(dir: &TestDir) -> Value {
    dir.json("A/tc-manifest.json")
}

fn saved_log(dir: &TestDir) -> String {
    dir.read("A/public/logs/live_backing.log")
}

fn leftover_task_dirs(dir: &TestDir) -> usize {
    std::fs::read_dir(dir.path("cache/tasks")).map_or(0, std::iter::Iterator::count)
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
    let s = with_task("hello.yml", HELLO);
    let sum = run_json(
        &s,
        "hello.yml",
        &["--local-task-id", "gE8_yN_LTs2mvuasaq9Nbw"],
    )
    .run()
    .json();
    assert_eq!(
        (sum["outcome"].as_str(), sum["reason"].as_str()),
        (Some("completed"), Some("completed"))
    );
    assert_eq!(sum["taskExitCode"], 0);
    assert_eq!(sum["family"], "generic-worker");
    assert_eq!(sum["engine"], "native");
    assert_eq!(s.read("A/public/a.txt"), "hi\n");
    assert_eq!(s.read("A/public/out/sub/b.txt"), "deep\n");
    let names: Vec<String> = manifest(&s)["artifacts"]
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
    let log = saved_log(&s);
    assert!(
        log.contains("id=gE8_yN_LTs2mvuasaq9Nbw run=0 local=1 dir=/"),
        "{log}"
    );
    assert!(
        log.contains("[tc] === Task Starting ===") && log.contains("Outcome: completed"),
        "{log}"
    );
    assert_eq!(leftover_task_dirs(&s), 0, "the task dir is removed");
}

#[test]
fn the_live_log_goes_to_stdout_in_text_mode() {
    let out = Test::new()
        .file("hello.yml", HELLO)
        .args(["run-local", "hello.yml", "--artifacts-dir", "A"])
        .stdout_contains("[tc] Command 1/1: /bin/sh -c")
        .stdout_contains("[tc] Artifact public/a.txt (3 B)")
        .stderr_contains("no isolation")
        .run();
    assert!(out.stdout.starts_with("[tc] Task: "), "{out}");
}

#[test]
fn row_2_the_first_failing_command_gives_its_exit_code() {
    let s = with_task(
        "t.yml",
        "payload:\n  maxRunTime: 30\n  command: [[/bin/sh, -c, 'exit 4'], [/bin/sh, -c, 'echo never']]\n",
    );
    let sum = run_json(&s, "t.yml", &[]).status(4).run().json();
    assert_eq!(
        (sum["outcome"].as_str(), sum["taskExitCode"].as_i64()),
        (Some("failed"), Some(4))
    );
    assert!(
        !saved_log(&s).lines().any(|l| l == "never"),
        "the second command never ran"
    );
}

#[test]
fn a_command_killed_by_a_signal_reports_128_plus_the_signal() {
    let s = with_task(
        "t.yml",
        "payload:\n  maxRunTime: 30\n  command: [[/bin/sh, -c, 'kill -9 $$']]\n",
    );
    let sum = run_json(&s, "t.yml", &[]).status(137).run().json();
    assert_eq!(sum["taskExitCode"].as_i64(), Some(137));
}

#[test]
fn a_missing_program_fails_like_a_shell() {
    let s = with_task(
        "t.yml",
        "payload:\n  maxRunTime: 30\n  command: [[no-such-program-tc-test]]\n",
    );
    run_json(&s, "t.yml", &[]).status(127).run();
    assert!(saved_log(&s).contains("Cannot run no-such-program-tc-test"));
}

#[test]
fn row_3_a_retry_exit_code_is_intermittent_and_retries_rerun() {
    let s = with_task(
        "t.yml",
        "payload:\n  maxRunTime: 30\n  command: [[/bin/sh, -c, 'echo run $RUN_ID; exit 5']]\n  onExitStatus: {retry: [5]}\n",
    );
    let sum = run_json(&s, "t.yml", &[]).status(3).run().json();
    assert_eq!(sum["reason"], "intermittent-task");
    let runs = s
        .test()
        .args([
            "run-local",
            "t.yml",
            "--format",
            "json",
            "--artifacts-dir",
            "B",
        ])
        .args(["--retries", "2"])
        .status(3)
        .run()
        .json_lines();
    assert_eq!(
        runs.iter()
            .map(|r| r["runId"].as_i64().unwrap())
            .collect::<Vec<_>>(),
        [0, 1, 2]
    );
    assert!(s.exists("B.run0/tc-manifest.json") && s.exists("B.run1/tc-manifest.json"));
    assert!(s.read("B/public/logs/live_backing.log").contains("run 2"));
}

#[test]
fn row_4_max_run_time_kills_the_whole_process_group() {
    let s = TestDir::new();
    let marker = s.path("grandchild-survived");
    s.write(
        "t.yml",
        format!(
            "payload:\n  maxRunTime: 1\n  command: [[/bin/sh, -c, '(sleep 3; touch {}) & sleep 30']]\n",
            marker.display()
        ),
    );
    let sum = run_json(&s, "t.yml", &[]).status(1).run().json();
    assert_eq!(sum["outcome"], "failed");
    assert_eq!(sum["taskExitCode"], Value::Null);
    assert!(saved_log(&s).contains("Task aborted: maxRunTime of 1 seconds exceeded"));
    std::thread::sleep(std::time::Duration::from_secs(4));
    assert!(
        !marker.exists(),
        "the grandchild in the task's process group was killed too"
    );
}

#[test]
fn rows_5_a_malformed_payload_lists_every_problem_and_still_writes_log_and_manifest() {
    let s = with_task(
        "t.yml",
        "payload:\n  maxRunTime: 0\n  command: [[/bin/true]]\n  colour: red\n  env: {A: 1}\n",
    );
    let sum = run_json(&s, "t.yml", &[]).status(2).run().json();
    assert_eq!(sum["reason"], "malformed-payload");
    let msg = sum["message"].as_str().unwrap();
    for needle in ["payload/maxRunTime", "payload/colour", "payload/env/A"] {
        assert!(msg.contains(needle), "{needle} in {msg}");
    }
    assert_eq!(manifest(&s)["reason"], "malformed-payload");
    assert!(saved_log(&s).contains("Exit code: none"));
}

#[test]
fn docker_worker_payloads_are_refused_on_the_native_engine() {
    let s = with_task("t.yml", "payload:\n  image: busybox\n  maxRunTime: 10\n");
    let sum = run_json(&s, "t.yml", &["--engine", "native"])
        .status(2)
        .run()
        .json();
    assert!(sum["message"].as_str().unwrap().contains("--engine auto"));
}

#[test]
fn rows_10_missing_artifacts_fail_generic_worker_tasks_unless_optional() {
    let s = with_task(
        "t.yml",
        "payload:\n  maxRunTime: 30\n  command: [[/bin/true]]\n  artifacts: [{type: file, path: nope.txt, name: public/nope.txt}]\n",
    );
    let sum = run_json(&s, "t.yml", &[]).status(1).run().json();
    assert_eq!(sum["outcome"].as_str(), Some("failed"));
    let errors: Vec<&Value> = sum["artifacts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["type"] == "error")
        .collect();
    assert_eq!(errors[0]["reason"], "file-missing-on-worker");
    run_json(&s, "t.yml", &["--missing-artifacts", "ignore"]).run();
    s.write("o.yml", "payload:\n  maxRunTime: 30\n  command: [[/bin/true]]\n  artifacts: [{type: file, path: nope.txt, optional: true}]\n");
    run_json(&s, "o.yml", &[]).run();
    run_json(&s, "o.yml", &["--missing-artifacts", "fail"])
        .status(1)
        .run();
}

#[test]
fn row_11_escaping_artifacts_are_refused_and_nothing_is_written_outside() {
    let s = with_task(
        "t.yml",
        "payload:\n  maxRunTime: 30\n  command: [[/bin/sh, -c, 'echo x > f.txt; ln -s /etc/hostname link.txt']]\n  artifacts:\n    - {type: file, path: f.txt, name: ../escaped.txt}\n    - {type: file, path: f.txt, name: /tmp/abs.txt}\n    - {type: file, path: link.txt, name: public/link.txt}\n",
    );
    let sum = run_json(&s, "t.yml", &[]).status(1).run().json();
    let reasons: Vec<&str> = sum["artifacts"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|a| a["reason"].as_str())
        .collect();
    assert_eq!(reasons, ["invalid-resource-on-worker"; 3]);
    assert!(!s.exists("escaped.txt"));
    assert!(!s.exists("A/public/link.txt"));
}

#[test]
fn an_artifacts_dir_holding_someone_elses_files_is_refused_before_anything_runs() {
    let s = TestDir::new();
    s.write("A/thesis.tex", "years of work");
    let marker = s.path("ran");
    s.write(
        "t.yml",
        format!(
            "payload:\n  maxRunTime: 30\n  command: [[touch, {}]]\n",
            marker.display()
        ),
    );
    run_json(&s, "t.yml", &[])
        .status(2)
        .stderr_contains("not empty")
        .run();
    assert_eq!(s.read("A/thesis.tex"), "years of work");
    assert!(!marker.exists());
}

#[test]
fn secrets_are_masked_in_the_terminal_the_saved_log_and_the_summary() {
    let s = with_task(
        "t.yml",
        "payload:\n  maxRunTime: 30\n  command: [[/bin/sh, -c, 'echo \"a=$TOKEN b=$FROMFILE\"; printf %s \"$TOKEN\" | cut -c1-3; exit 9']]\n",
    );
    s.write("secrets.env", "FROMFILE=\"multi\nline-secret\"\n");
    run_local(&s, "t.yml", &["--artifacts-dir", "A"])
        .args([
            "--secret",
            "TOKEN=hunter2222",
            "--secret-file",
            "secrets.env",
        ])
        .status(9)
        .stdout_contains("a=*** b=***\n")
        .stdout_lacks("hunter2222")
        .stdout_lacks("line-secret")
        .run();
    assert!(!saved_log(&s).contains("hunter2222"));
    assert!(!s.read("A/tc-manifest.json").contains("hunter2222"));
}

#[test]
fn a_secret_in_an_artifact_file_name_is_masked_on_disk_too_with_a_warning() {
    let s = with_task(
        "t.yml",
        "payload:\n  maxRunTime: 30\n  command: [[/bin/sh, -c, 'mkdir out && echo k > \"out/key-$TOKEN.txt\" && echo p > out/plain.txt']]\n  artifacts: [{type: directory, path: out, name: public/out}]\n",
    );
    let out = run_json(&s, "t.yml", &["--secret", "TOKEN=hunter2222"]).run();
    let summary = out.json();
    // Every file the manifest names is there, under that name; no file name holds the secret.
    let manifest = manifest(&s);
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
    assert_eq!(s.read("A/public/out/key-***.txt"), "k\n");
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
    assert!(saved_log(&s).contains(warning), "{}", saved_log(&s));
    for text in [
        summary.to_string(),
        out.stderr,
        saved_log(&s),
        manifest.to_string(),
    ] {
        assert!(!text.contains("hunter2222"), "{text}");
    }
}

#[test]
fn env_layers_and_reserved_names() {
    let s = with_task(
        "t.yml",
        "payload:\n  maxRunTime: 30\n  env: {P: payload, BOTH: payload, TASK_ID: mine}\n  command: [[/bin/sh, -c, 'echo \"$P $FROM_FILE $BOTH $CLI ${SECRETISH:-unset} $TASK_ID\"']]\n",
    );
    s.write("vars.env", "# comment\nFROM_FILE=file\nBOTH=file\n");
    run_local(
        &s,
        "t.yml",
        &["--artifacts-dir", "A", "--env-file", "vars.env"],
    )
    .args(["--env", "CLI=cli", "--env", "BOTH=cli"])
    .args(["--local-task-id", "gE8_yN_LTs2mvuasaq9Nbw"])
    .env("SECRETISH", "not inherited")
    .stdout_contains("payload file cli cli unset gE8_yN_LTs2mvuasaq9Nbw\n")
    .stdout_contains("Warning: payload/env/TASK_ID is reserved")
    .run();
    for bad in [
        &["--env", "RUN_ID=3"][..],
        &["--env", "1X=3"],
        &["--secret", "S=abc"],
        &["--env", "K=v", "--secret", "K=longvalue"],
        &["--secret", "NOT_SET_ANYWHERE_TC"],
    ] {
        run_local(&s, "t.yml", &["--artifacts-dir", "Z"])
            .args(bad)
            .status(2)
            .run();
        assert!(!s.exists("Z"), "nothing written for {bad:?}");
    }
}

#[test]
fn bad_documents_exit_2_with_file_line_and_column() {
    let s = with_task("bad.yml", "payload:\n  command: [[true]\n  maxRunTime: 5\n");
    // The unclosed `[` on line 2 is the mistake, not the `:` where the parser stopped.
    run_local(&s, "bad.yml", &[])
        .status(2)
        .stderr_contains("bad.yml:2:12: this '[' is not closed")
        .run();
    s.write(
        "keys.yml",
        "payload: {command: [[/bin/true]], maxRunTime: 5}\ncolor: red\nprovisionerId: p\n",
    );
    run_local(&s, "keys.yml", &[])
        .status(2)
        .stderr_contains("color")
        .stderr_contains("workerType")
        .run();
    run_local(&s, "missing.yml", &[])
        .status(2)
        .stderr_contains("no such file")
        .run();
    assert!(!s.exists("artifacts"));
}

#[test]
fn relative_times_and_stdin() {
    let s = TestDir::new();
    run_json(&s, "-", &[])
        .stdin("payload:\n  maxRunTime: 30\n  command: [[/bin/true]]\n  artifacts: [{type: file, path: x, optional: true, expires: {relative-datestamp: 1 day}}]\ndeadline: {relative-datestamp: 2 hours}\n")
        .run();
    s.write("late.yml", "payload:\n  maxRunTime: 30\n  command: [[/bin/true]]\n  artifacts: [{type: file, path: x, expires: {relative-datestamp: 5 years}}]\n");
    let sum = run_json(&s, "late.yml", &[]).status(2).run().json();
    assert!(
        sum["message"]
            .as_str()
            .unwrap()
            .contains("later than the task's expires")
    );
}

#[test]
fn dry_run_prints_the_plan_and_runs_nothing() {
    let s = TestDir::new();
    let marker = s.path("ran");
    s.write(
        "t.yml",
        format!(
            "payload:\n  maxRunTime: 30\n  env: {{A: b}}\n  command: [[touch, {}]]\n",
            marker.display()
        ),
    );
    let v = run_local(&s, "t.yml", &["--dry-run", "--format", "json"])
        .run()
        .json();
    assert_eq!(v["plan"]["engine"], "native");
    assert_eq!(v["plan"]["env"], serde_json::json!(["A"]));
    assert_eq!(v["definition"]["taskQueueId"], "local/default");
    assert!(!marker.exists() && !s.exists("artifacts"));
    s.write(
        "bad.yml",
        "payload: {command: [[/bin/true]], maxRunTime: -1}\n",
    );
    run_local(&s, "bad.yml", &["--dry-run"]).status(2).run();
}

#[test]
fn row_12_ctrl_c_cancels_cleans_up_and_exits_130() {
    let s = with_task(
        "t.yml",
        "payload:\n  maxRunTime: 60\n  command: [[/bin/sh, -c, 'echo started; sleep 60']]\n  artifacts: [{type: file, path: x}]\n",
    );
    let mut child = run_local(&s, "t.yml", &["--artifacts-dir", "A"])
        .command()
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
        nix::unistd::Pid::from_raw(child.id().cast_signed()),
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
    assert_eq!(leftover_task_dirs(&s), 0, "the task dir is removed");
    assert_eq!(manifest(&s)["reason"], "canceled");
}

#[test]
fn keep_leaves_the_task_dir() {
    let s = with_task(
        "t.yml",
        "payload:\n  maxRunTime: 30\n  command: [[/bin/sh, -c, 'echo kept > k.txt']]\n",
    );
    let sum = run_json(&s, "t.yml", &["--keep"]).run().json();
    assert_eq!(leftover_task_dirs(&s), 1);
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
    let s = with_task(
        "a.yml",
        "payload:\n  maxRunTime: 30\n  command: [[/bin/sh, -c, 'echo from-a; printf tail']]\n",
    );
    s.write(
        "build-b.yml",
        "payload:\n  maxRunTime: 30\n  command: [[/bin/sh, -c, 'echo from-b; exit 6']]\n",
    );
    let text = run_local(
        &s,
        "a.yml",
        &["build-b.yml", "-j", "2", "--artifacts-dir", "A"],
    )
    .status(6)
    .run()
    .stdout;
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
    run_local(
        &s,
        "a.yml",
        &["build-b.yml", "--local-task-id", "gE8_yN_LTs2mvuasaq9Nbw"],
    )
    .status(2)
    .run();
}

#[test]
fn json_gives_one_summary_line_per_task() {
    let outcomes: Vec<String> = Test::new()
        .file(
            "a.yml",
            "payload:\n  maxRunTime: 30\n  command: [[/bin/true]]\n",
        )
        .file(
            "b.yml",
            "payload:\n  maxRunTime: 30\n  command: [[/bin/false]]\n",
        )
        .args([
            "run-local",
            "a.yml",
            "b.yml",
            "--format",
            "json",
            "--artifacts-dir",
            "A",
        ])
        .status(1)
        .run()
        .json_lines()
        .iter()
        .map(|l| l["outcome"].as_str().unwrap().to_owned())
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
    let s = with_task(
        "t.yml",
        "payload:\n  maxRunTime: 1\n  command: [[/bin/sh, -c, 'sleep 2; echo made > made.txt; exit 4']]\n  artifacts: [{type: file, path: made.txt}]\n",
    );
    let tc = assert_cmd::cargo::cargo_bin("tc");
    let inner = format!(
        "SHELL=/bin/sh TC_CACHE_DIR={} {} run-local {} -i --artifacts-dir A",
        s.path("cache").display(),
        tc.display(),
        s.path("t.yml").display()
    );
    let out = std::process::Command::new("sh")
        .current_dir(s.root())
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
    assert_eq!(s.read("A/made.txt"), "made\n", "artifacts follow as usual");
    let banner = "[tc] Interactive shell (not recorded): `exec-task` runs the task's commands";
    assert!(
        text.contains(banner),
        "the banner tells of exec-task: {text}"
    );
    let log = saved_log(&s);
    assert!(
        log.contains(banner) && !log.contains("exec-task-exit"),
        "{log}"
    );
    // No terminal: a usage error.
    run_local(&s, "t.yml", &["-i"]).status(2).run();
}

#[test]
fn group_members_that_ignore_sigterm_are_killed_after_the_grace() {
    let s = TestDir::new();
    let marker = s.path("survived");
    s.write("t.yml", format!(
        "payload:\n  maxRunTime: 1\n  command: [[/bin/sh, -c, '(trap \"\" TERM; sleep 9; touch {}) & trap \"\" TERM; sleep 30']]\n",
        marker.display()
    ));
    run_json(&s, "t.yml", &[]).status(1).run();
    std::thread::sleep(std::time::Duration::from_secs(10));
    assert!(
        !marker.exists(),
        "SIGKILL reached the member that ignored SIGTERM"
    );
}

#[test]
fn a_background_process_holding_the_output_does_not_keep_tc_waiting() {
    let s = with_task(
        "t.yml",
        "payload:\n  maxRunTime: 60\n  command: [[/bin/sh, -c, 'sleep 30 & echo started']]\n",
    );
    // `timeout` only guards against a hang: tc must finish long before it.
    let out = std::process::Command::new("timeout")
        .arg("20")
        .arg(assert_cmd::cargo::cargo_bin("tc"))
        .current_dir(s.root())
        .env("TC_CACHE_DIR", s.path("cache"))
        .args(["run-local", "t.yml", "--artifacts-dir", "A"])
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
    let s = TestDir::new();
    for logs in [
        "{backing: ../../escaped.log}",
        "{backing: /tmp/tc-abs-escape.log}",
        "{live: same.log, backing: same.log}",
        "{backing: tc-manifest.json}",
    ] {
        s.write(
            "t.yml",
            format!("payload:\n  maxRunTime: 30\n  command: [[/bin/true]]\n  logs: {logs}\n"),
        );
        let sum = run_json(&s, "t.yml", &[]).status(2).run().json();
        assert_eq!(
            sum["reason"].as_str(),
            Some("malformed-payload"),
            "{logs}: {sum}"
        );
        assert!(
            sum["message"].as_str().unwrap().contains("payload/logs"),
            "{sum}"
        );
    }
    assert!(!s.exists("escaped.log") && !s.root().parent().unwrap().join("escaped.log").exists());
    assert!(!std::path::Path::new("/tmp/tc-abs-escape.log").exists());
}

#[test]
fn an_artifact_cannot_take_the_live_log_name() {
    let s = with_task(
        "t.yml",
        "payload:\n  maxRunTime: 30\n  command: [[/bin/sh, -c, 'echo x > x.txt']]\n  artifacts: [{type: file, path: x.txt, name: public/logs/live.log}]\n",
    );
    let sum = run_json(&s, "t.yml", &[]).status(1).run().json();
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
    let s = with_task(
        "t.yml",
        "payload:\n  maxRunTime: 30\n  command: [[/bin/true]]\n  artifacts: [{type: file, path: hunter2222.txt}]\n",
    );
    let sum = run_json(&s, "t.yml", &["--secret", "S=hunter2222"])
        .status(1)
        .run()
        .json();
    assert!(!sum.to_string().contains("hunter2222"), "{sum}");
    assert!(!s.read("A/tc-manifest.json").contains("hunter2222"));
}

#[test]
fn retries_never_replace_a_directory_tc_did_not_write() {
    let s = with_task(
        "t.yml",
        "payload:\n  maxRunTime: 30\n  command: [[/bin/sh, -c, 'exit 5']]\n  onExitStatus: {retry: [5]}\n",
    );
    s.write("A.run0/mine.txt", "keep");
    run_json(&s, "t.yml", &["--retries", "1"]).status(2).run();
    assert_eq!(s.read("A.run0/mine.txt"), "keep");
}

#[test]
fn row_13_tc_failing_after_validation_is_an_internal_error() {
    // The cache root lies under a regular file, so no task directory can be made.
    let s = with_task(
        "t.yml",
        "payload:\n  maxRunTime: 30\n  command: [[/bin/true]]\n",
    );
    s.write("not-a-dir", "");
    let sum = run_json(&s, "t.yml", &[])
        .env("TC_CACHE_DIR", s.path("not-a-dir/cache"))
        .status(3)
        .run()
        .json();
    assert_eq!(
        (sum["outcome"].as_str(), sum["reason"].as_str()),
        (Some("exception"), Some("internal-error"))
    );
    assert!(
        sum["message"].as_str().unwrap().contains("not-a-dir"),
        "the message names what failed: {sum}"
    );
    assert_eq!(manifest(&s)["reason"], "internal-error");
}

#[test]
fn develop_links_the_checkout_into_the_task_dir() {
    let s = TestDir::new();
    s.write("checkout/README", "local work\n");
    let checkout = s.path("checkout");
    let checkout = checkout.to_str().unwrap();
    s.write(
        "t2.yml",
        "payload:\n  maxRunTime: 30\n  env: {REPOSITORIES: '{\"ci\":\"CI\"}'}\n  command: [[echo, first], [/bin/sh, -c, 'cat checkouts/ci/README && echo changed > checkouts/ci/made']]\n",
    );
    // No run-task command: nothing to replace, so tc refuses and says how to bind instead.
    run_json(
        &s,
        "t2.yml",
        &["--develop", "--checkout", checkout, "--yes"],
    )
    .status(2)
    .stderr_contains("-v DIR:PATH")
    .run();
    let run_task = s.path("bin/run-task");
    std::fs::create_dir_all(s.path("bin")).unwrap();
    common::write_executable(
        &run_task,
        "#!/bin/sh\nwhile [ \"$1\" != -- ]; do shift; done\nshift\nexec \"$@\"\n",
    );
    s.write(
        "t3.yml",
        format!(
            "payload:\n  maxRunTime: 30\n  command: [[{}, --ci-checkout=checkouts/ci, --, /bin/sh, -c, 'cat checkouts/ci/README && echo changed > checkouts/ci/made']]\n",
            run_task.display()
        ),
    );
    // A dry run uses nothing, so it asks nothing (no --yes off a terminal) and runs nothing.
    let plan = run_local(&s, "t3.yml", &["--develop=ci", "--checkout", checkout])
        .args(["--dry-run", "--format", "json"])
        .run()
        .json();
    assert!(
        plan["definition"]["payload"]["command"].is_array(),
        "{plan}"
    );
    assert!(!s.exists("checkout/made"));
    run_json(
        &s,
        "t3.yml",
        &["--develop=ci", "--checkout", checkout, "--yes"],
    )
    .stderr_contains("local work")
    .run();
    assert_eq!(s.read("checkout/made"), "changed\n");
}

#[test]
fn container_options_are_refused_for_native_tasks() {
    let s = with_task(
        "t.yml",
        "payload:\n  maxRunTime: 30\n  command: [[/bin/true]]\n",
    );
    for (flags, named) in [
        (&["--image", "busybox"][..], "--image"),
        (&["--network", "none"][..], "--network"),
        (&["-v", "/tmp:/x"][..], "-v/--volume"),
    ] {
        run_local(&s, "t.yml", flags)
            .status(2)
            .stderr_contains(named)
            .stderr_contains("run natively")
            .run();
    }
}

#[test]
fn a_killed_tc_takes_the_task_and_its_background_children_with_it() {
    let s = TestDir::new();
    let pids_file = s.path("pids");
    s.write(
        "t.yml",
        format!(
            "payload:\n  maxRunTime: 600\n  env: {{PIDS: '{}'}}\n  command: [{}]\n",
            pids_file.display(),
            common::BACKGROUND_CHILD
        ),
    );
    let mut child = run_local(&s, "t.yml", &["--artifacts-dir", "A"])
        .command()
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
    let s = with_task(
        "t.yml",
        "payload:\n  maxRunTime: 30\n  command: [[/bin/true]]\n",
    );
    // A generic-worker payload is refused on Docker.
    run_json(&s, "t.yml", &["--engine", "docker"])
        .status(2)
        .stderr_lacks("native engine")
        .run();
    run_json(&s, "t.yml", &["--engine", "native"])
        .stderr_contains("native engine runs the task as you")
        .run();
}

#[test]
fn the_scopes_warning_points_at_no_unrelated_flag() {
    let s = with_task(
        "t.yml",
        "scopes: ['secrets:get:project/x']\npayload:\n  maxRunTime: 30\n  command: [[/bin/true]]\n",
    );
    let sum = run_json(&s, "t.yml", &[]).run().json();
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
    let s = with_task(
        "t.yml",
        "payload:\n  maxRunTime: 30\n  command: [[/bin/true]]\n  artifacts: [{type: file, path: nope.txt, name: public/nope.txt}]\n",
    );
    run_local(&s, "t.yml", &["--artifacts-dir", "A"])
        .status(1)
        .stdout_contains("Exit code: 0 ")
        .stdout_contains("Outcome: failed (artifact public/nope.txt missing)")
        .stderr_contains("artifact public/nope.txt missing")
        .run();
    let sum = run_json(&s, "t.yml", &[]).status(1).run().json();
    assert_eq!(sum["message"], "artifact public/nope.txt missing");
}

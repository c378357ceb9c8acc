//! Snapshots (insta) of what `tc run-local` shows and writes: the live log's header and footer,
//! the `--format json` summary, the manifest and the `--script` output. Task ids, times,
//! durations, paths and hashes are filtered out.

use crate::common::Test;

const TASK_ID: &str = "gE8_yN_LTs2mvuasaq9Nbw";

const TASK: &str = "metadata: {name: snapshot}\npayload:\n  maxRunTime: 30\n  env: {WHO: world}\n  command:\n    - [/bin/sh, -c, 'echo \"hello $WHO\" > hello.txt']\n    - [/bin/sh, -c, 'cat hello.txt; exit 3']\n  artifacts:\n    - {type: file, path: hello.txt, name: public/hello.txt}\n    - {type: file, path: missing.txt, name: public/missing.txt, optional: true}\n";

fn filters() -> Vec<(&'static str, &'static str)> {
    vec![
        (r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", "[TIME]"),
        (r"Duration: \d+\.\d{3}s", "Duration: [D]s"),
        (
            r#""durationSeconds":\s*[0-9.]+"#,
            r#""durationSeconds": [D]"#,
        ),
        (r"/[^ '\x22]*/cache/tasks/[A-Za-z0-9_-]+", "[TASK_DIR]"),
        (r#""sha256":\s*"[0-9a-f]{64}""#, r#""sha256": "[SHA]""#),
        (r#""size":\s*\d+"#, r#""size": [N]"#),
        (r"\(\d+ B\)", "([N] B)"),
        (r"default_cache_dir='[^']*'", "default_cache_dir='[CACHE]'"),
    ]
}

/// `tc run-local` of `task` (as snapshot.yml) with a fixed task id, artifacts in `A`.
fn run_local(task: &str, args: &[&str]) -> Test {
    Test::new()
        .file("snapshot.yml", task)
        .args(["run-local", "snapshot.yml", "--local-task-id", TASK_ID])
        .args(["--artifacts-dir", "A"])
        .args(args)
}

#[test]
fn live_log_header_and_footer() {
    let out = run_local(TASK, &[]).status(3).run();
    insta::with_settings!({filters => filters()}, {
        insta::assert_snapshot!(out.stdout);
    });
}

#[test]
fn json_summary_and_manifest() {
    let out = run_local(TASK, &["--format", "json"]).status(3).run();
    let summary = out.json();
    let manifest = out.dir.json("A/tc-manifest.json");
    insta::with_settings!({filters => filters()}, {
        insta::assert_json_snapshot!("summary", summary);
        insta::assert_json_snapshot!("manifest", manifest);
    });
}

#[test]
fn script_output() {
    let out = run_local(TASK, &["--script"]).run();
    insta::with_settings!({filters => filters()}, {
        insta::assert_snapshot!(out.stdout);
    });
}

const DOCKER_TASK: &str = "metadata: {name: docker snapshot}\npayload:\n  image: alpine:3\n  maxRunTime: 30\n  env: {WHO: world}\n  command: [sh, -c, 'echo \"hello $WHO\" > /out/hello.txt']\n  cache: {build-cache: /cache}\n  onExitStatus: {retry: [75], purgeCaches: [76]}\n  artifacts:\n    public/hello.txt: {type: file, path: /out/hello.txt}\n    public/out: {type: directory, path: /out}\n";

#[test]
fn docker_script_output() {
    let out = run_local(
        DOCKER_TASK,
        &["--script", "--pull", "never", "--network", "none"],
    )
    .run();
    insta::with_settings!({filters => filters()}, {
        insta::assert_snapshot!(out.stdout);
    });
}

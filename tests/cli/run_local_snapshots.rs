//! Snapshots (insta) of what `tc run-local` shows and writes: the live log's header and footer,
//! the `--format json` summary, the manifest and the `--script` output. Task ids, times,
//! durations, paths and hashes are filtered out.

use crate::common;

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

struct Run {
    dir: tempfile::TempDir,
}

impl Run {
    fn new() -> Run {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("snapshot.yml"), TASK).unwrap();
        Run { dir }
    }

    fn tc(&self, args: &[&str]) -> std::process::Output {
        common::tc()
            .current_dir(self.dir.path())
            .env("TC_CACHE_DIR", self.dir.path().join("cache"))
            .args([
                "run-local",
                "snapshot.yml",
                "--local-task-id",
                TASK_ID,
                "--artifacts-dir",
                "A",
            ])
            .args(args)
            .output()
            .unwrap()
    }
}

#[test]
fn live_log_header_and_footer() {
    let run = Run::new();
    let out = run.tc(&[]);
    assert_eq!(out.status.code(), Some(3));
    insta::with_settings!({filters => filters()}, {
        insta::assert_snapshot!(String::from_utf8(out.stdout).unwrap());
    });
}

#[test]
fn json_summary_and_manifest() {
    let run = Run::new();
    let out = run.tc(&["--format", "json"]);
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let manifest: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(run.dir.path().join("A/tc-manifest.json")).unwrap(),
    )
    .unwrap();
    insta::with_settings!({filters => filters()}, {
        insta::assert_json_snapshot!("summary", summary);
        insta::assert_json_snapshot!("manifest", manifest);
    });
}

#[test]
fn script_output() {
    let run = Run::new();
    let out = run.tc(&["--script"]);
    assert!(out.status.success());
    insta::with_settings!({filters => filters()}, {
        insta::assert_snapshot!(String::from_utf8(out.stdout).unwrap());
    });
}

const DOCKER_TASK: &str = "metadata: {name: docker snapshot}\npayload:\n  image: alpine:3\n  maxRunTime: 30\n  env: {WHO: world}\n  command: [sh, -c, 'echo \"hello $WHO\" > /out/hello.txt']\n  cache: {build-cache: /cache}\n  onExitStatus: {retry: [75], purgeCaches: [76]}\n  artifacts:\n    public/hello.txt: {type: file, path: /out/hello.txt}\n    public/out: {type: directory, path: /out}\n";

#[test]
fn docker_script_output() {
    let run = Run::new();
    std::fs::write(run.dir.path().join("snapshot.yml"), DOCKER_TASK).unwrap();
    let out = run.tc(&["--script", "--pull", "never", "--network", "none"]);
    assert!(out.status.success());
    insta::with_settings!({filters => filters()}, {
        insta::assert_snapshot!(String::from_utf8(out.stdout).unwrap());
    });
}

//! `tc run-local --script`: the script passes `bash -n` and shellcheck, never holds a secret
//! value, and running it gives the same outcome, exit status, artifacts and manifest as
//! `tc run-local` on the same task (worker.md §12, §14).

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

const TASK_ID: &str = "gE8_yN_LTs2mvuasaq9Nbw";

/// The fixtures: (name, task YAML, extra run-local arguments).
fn fixtures() -> Vec<(&'static str, String, Vec<&'static str>)> {
    vec![
        ("row1-completed", "payload:\n  maxRunTime: 30\n  env: {GREETING: \"it's $HOME `x`\"}\n  command:\n    - [/bin/sh, -c, 'mkdir -p out/sub && printf \"%s\\n\" \"$GREETING\" > out/a.txt && echo deep > out/sub/b.json && echo $TASK_ID > id.txt']\n  artifacts:\n    - {type: directory, path: out, name: public/out}\n    - {type: file, path: id.txt, name: public/id.txt, contentType: text/x-id}\n".into(), vec![]),
        ("row2-failed", "payload:\n  maxRunTime: 30\n  command: [[/bin/sh, -c, 'echo one'], [/bin/sh, -c, 'exit 7'], [/bin/sh, -c, 'echo never']]\n".into(), vec![]),
        ("row3-intermittent", "payload:\n  maxRunTime: 30\n  command: [[/bin/sh, -c, 'exit 5']]\n  onExitStatus: {retry: [4, 5]}\n".into(), vec![]),
        ("row4-max-run-time", "payload:\n  maxRunTime: 1\n  command: [[/bin/sh, -c, 'echo start; sleep 20']]\n".into(), vec![]),
        ("row10-missing", "payload:\n  maxRunTime: 30\n  command: [[/bin/true]]\n  artifacts:\n    - {type: file, path: gone.txt, name: public/gone.txt}\n    - {type: file, path: also-gone.txt, optional: true}\n".into(), vec![]),
        ("row11-escapes", "payload:\n  maxRunTime: 30\n  command: [[/bin/sh, -c, 'echo x > f.txt && ln -s /etc/hostname out.txt && mkdir d && ln -s /etc d/etc && echo y > d/y.txt']]\n  artifacts:\n    - {type: file, path: out.txt, name: public/out.txt}\n    - {type: file, path: f.txt, name: ../up.txt}\n    - {type: directory, path: d, name: public/d}\n".into(), vec![]),
        ("env-and-secrets", "payload:\n  maxRunTime: 30\n  env: {FROM_PAYLOAD: p, BOTH: payload}\n  command: [[/bin/sh, -c, 'echo \"$FROM_PAYLOAD $BOTH $CLI $TOKEN\" > env.txt']]\n  artifacts: [{type: file, path: env.txt, name: public/env.txt}]\n".into(), vec!["--env", "BOTH=cli", "--env", "CLI=c", "--secret", "TOKEN"]),
        ("mounts-and-caches", format!("payload:\n  maxRunTime: 30\n  command: [[/bin/sh, -c, 'cat conf.txt tree/hello/world.txt > out.txt; ls cache >> out.txt; echo warm > cache/state']]\n  artifacts: [{{type: file, path: out.txt}}]\n  mounts:\n    - {{file: conf.txt, content: {{raw: \"raw\\n\"}}}}\n    - {{directory: tree, format: tar.gz, content: {{base64: '{}'}}}}\n    - {{directory: cache, cacheName: c1, format: tar.gz, content: {{base64: '{}'}}}}\n", hello_tar_gz_base64(), hello_tar_gz_base64()), vec![]),
        ("hostile-archive", format!("payload:\n  maxRunTime: 30\n  command: [[/bin/true]]\n  mounts: [{{directory: d, format: tar.gz, content: {{base64: '{}'}}}}]\n", hostile_tar_gz_base64()), vec![]),
        ("unreachable-mount", "payload:\n  maxRunTime: 30\n  command: [[/bin/true]]\n  mounts: [{file: x, content: {url: 'http://127.0.0.1:9/x'}}]\n".into(), vec![]),
        ("ignore-policy", "payload:\n  maxRunTime: 30\n  command: [[/bin/true]]\n  artifacts: [{type: file, path: nothing}]\n".into(), vec!["--missing-artifacts", "ignore"]),
    ]
}

/// `entry` (made in a scratch directory by `make`) as a base64 tar.gz, by the system's tar.
fn tar_gz_base64(entry: &str, make: impl FnOnce(&std::path::Path)) -> String {
    use base64::Engine;
    let dir = tempfile::tempdir().unwrap();
    make(dir.path());
    let out = dir.path().join("archive.tar.gz");
    let made = Command::new("tar")
        .arg("-czf")
        .arg(&out)
        .arg("-C")
        .arg(dir.path())
        .arg(entry)
        .status();
    assert!(made.unwrap().success());
    base64::engine::general_purpose::STANDARD.encode(std::fs::read(out).unwrap())
}

/// A tar.gz holding `hello/world.txt`.
fn hello_tar_gz_base64() -> String {
    tar_gz_base64("hello", |d| {
        std::fs::create_dir_all(d.join("hello")).unwrap();
        std::fs::write(d.join("hello/world.txt"), "from the archive\n").unwrap();
    })
}

/// A tar.gz whose symlink points out of the mount directory.
fn hostile_tar_gz_base64() -> String {
    tar_gz_base64("escape", |d| {
        std::os::unix::fs::symlink("/etc/hostname", d.join("escape")).unwrap()
    })
}

/// Every file under `dir` (but the saved log and the manifest) with its bytes.
fn tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                let rel = path
                    .strip_prefix(root)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                if rel != "tc-manifest.json" && !rel.ends_with("live_backing.log") {
                    out.insert(rel, std::fs::read(&path).unwrap());
                }
            }
        }
    }
    walk(dir, dir, &mut out);
    out
}

/// The manifest without what legitimately differs: timestamps and the saved log's bytes.
fn manifest(dir: &Path) -> Value {
    let mut m: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("tc-manifest.json")).unwrap())
            .unwrap();
    for a in m["artifacts"].as_array_mut().unwrap() {
        let obj = a.as_object_mut().unwrap();
        obj.remove("expires");
        if obj["name"].as_str().unwrap().ends_with("live_backing.log") {
            obj.remove("size");
            obj.remove("sha256");
        }
    }
    m
}

fn shellcheck(script: &Path) {
    match Command::new("shellcheck").arg(script).output() {
        Ok(out) => assert!(
            out.status.success(),
            "shellcheck {}:\n{}",
            script.display(),
            String::from_utf8_lossy(&out.stdout)
        ),
        Err(_) if std::env::var("TC_REQUIRE_SHELLCHECK").is_ok_and(|v| !v.is_empty()) => {
            panic!("shellcheck is not installed and TC_REQUIRE_SHELLCHECK is set")
        }
        Err(_) => eprintln!(
            "skipped: shellcheck is not installed (set TC_REQUIRE_SHELLCHECK=1 to fail instead)"
        ),
    }
}

#[test]
fn scripts_behave_like_run_local() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    for (name, yaml, extra) in fixtures() {
        let yaml: String = yaml;
        let task = dir.path().join(format!("{name}.yml"));
        std::fs::write(&task, yaml).unwrap();
        let script = dir.path().join(format!("{name}.sh"));
        let out = common::tc()
            .current_dir(dir.path())
            .env("TC_CACHE_DIR", &cache)
            .env("TOKEN", "s3cr3t-token-value")
            .arg("run-local")
            .arg(&task)
            .args(["--script", "-o"])
            .arg(&script)
            .args([
                "--local-task-id",
                TASK_ID,
                "--artifacts-dir",
                &format!("{name}-script"),
            ])
            .args(&extra)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = std::fs::read_to_string(&script).unwrap();
        assert!(
            !text.contains("s3cr3t-token-value"),
            "{name}: a secret value is in the script"
        );
        assert!(
            Command::new("bash")
                .arg("-n")
                .arg(&script)
                .status()
                .unwrap()
                .success(),
            "{name}: bash -n"
        );
        shellcheck(&script);

        // Each side gets its own cache root, so neither sees the other's caches.
        let by_script = Command::new("bash")
            .arg(&script)
            .current_dir(dir.path())
            .env(
                "TC_CACHE_DIR",
                dir.path().join(format!("cache-script-{name}")),
            )
            .env("TOKEN", "s3cr3t-token-value")
            .output()
            .unwrap();
        let by_tc = common::tc()
            .current_dir(dir.path())
            .env("TC_CACHE_DIR", dir.path().join(format!("cache-tc-{name}")))
            .env("TOKEN", "s3cr3t-token-value")
            .arg("run-local")
            .arg(&task)
            .args([
                "--local-task-id",
                TASK_ID,
                "--artifacts-dir",
                &format!("{name}-tc"),
            ])
            .args(&extra)
            .output()
            .unwrap();
        assert_eq!(
            by_script.status.code(),
            by_tc.status.code(),
            "{name}: exit status\nscript stderr: {}",
            String::from_utf8_lossy(&by_script.stderr)
        );
        let (a, b): (PathBuf, PathBuf) = (
            dir.path().join(format!("{name}-script")),
            dir.path().join(format!("{name}-tc")),
        );
        assert_eq!(tree(&a), tree(&b), "{name}: artifact trees");
        assert_eq!(manifest(&a), manifest(&b), "{name}: manifests");
        let log = std::fs::read_to_string(a.join("public/logs/live_backing.log")).unwrap();
        assert!(log.contains("=== Task Finished ==="), "{name}: {log}");
        assert!(
            !log.contains("s3cr3t-token-value"),
            "{name}: the script's log masks secrets"
        );
    }
}

#[test]
fn script_refuses_what_it_cannot_do() {
    let dir = tempfile::tempdir().unwrap();
    let task = dir.path().join("t.yml");
    std::fs::write(&task, "payload: {command: [[/bin/true]], maxRunTime: 5}\n").unwrap();
    for extra in [&["--retries", "2"][..], &["--interactive"]] {
        let out = common::tc()
            .arg("run-local")
            .arg(&task)
            .arg("--script")
            .args(extra)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{extra:?}");
    }
    let out = common::tc()
        .arg("run-local")
        .arg(&task)
        .arg(&task)
        .arg("--script")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = common::tc()
        .arg("run-local")
        .arg(&task)
        .args(["--script"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("#!/usr/bin/env bash\n"));
}

#[test]
fn sigterm_stops_the_script_and_its_task_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let marker = dir.path().join("still-running");
    let task = dir.path().join("t.yml");
    std::fs::write(&task, format!("payload:\n  maxRunTime: 120\n  command: [[/bin/sh, -c, 'echo started; sleep 8; touch {}']]\n", marker.display())).unwrap();
    let script = dir.path().join("t.sh");
    let out = common::tc()
        .arg("run-local")
        .arg(&task)
        .args(["--script", "-o"])
        .arg(&script)
        .output()
        .unwrap();
    assert!(out.status.success());
    let mut child = Command::new("bash")
        .arg(&script)
        .current_dir(dir.path())
        .env("TC_CACHE_DIR", dir.path().join("cache"))
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    for line in std::io::BufRead::lines(std::io::BufReader::new(stdout)) {
        if line.unwrap() == "started" {
            break;
        }
    }
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(child.id() as i32),
        nix::sys::signal::Signal::SIGTERM,
    )
    .unwrap();
    assert_eq!(child.wait().unwrap().code(), Some(143));
    std::thread::sleep(std::time::Duration::from_secs(9));
    assert!(!marker.exists(), "the task was stopped with the script");
}

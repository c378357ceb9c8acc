//! `tc run-local --script`: the script passes `bash -n` and shellcheck, never holds a secret
//! value, and running it gives the same outcome, exit status, artifacts and manifest as
//! `tc run-local` on the same task (worker.md §12, §14).

use crate::common::{self, TestDir};

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
        ("secret-in-artifact-name", "payload:\n  maxRunTime: 30\n  command: [[/bin/sh, -c, 'mkdir out && echo k > \"out/key-$TOKEN.txt\" && ln -s nowhere \"out/gone-$TOKEN\"']]\n  artifacts: [{type: directory, path: out, name: public/out}]\n".into(), vec!["--secret", "TOKEN"]),
        ("mounts-and-caches", format!("payload:\n  maxRunTime: 30\n  command: [[/bin/sh, -c, 'cat conf.txt tree/hello/world.txt > out.txt; ls cache >> out.txt; echo warm > cache/state']]\n  artifacts: [{{type: file, path: out.txt}}]\n  mounts:\n    - {{file: conf.txt, content: {{raw: \"raw\\n\"}}}}\n    - {{directory: tree, format: tar.gz, content: {{base64: '{}'}}}}\n    - {{directory: cache, cacheName: c1, format: tar.gz, content: {{base64: '{}'}}}}\n", hello_tar_gz_base64(), hello_tar_gz_base64()), vec![]),
        ("special-entries", format!("payload:\n  maxRunTime: 30\n  command: [[/bin/sh, -c, 'find tree zip -printf \"%y %p\\\\n\" | sort > out.txt']]\n  artifacts: [{{type: file, path: out.txt}}]\n  mounts:\n    - {{directory: tree, format: tar.gz, content: {{base64: '{}'}}}}\n    - {{directory: zip, format: zip, content: {{base64: '{}'}}}}\n", special_tar_gz_base64(), special_zip_base64()), vec![]),
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
        std::os::unix::fs::symlink("/etc/hostname", d.join("escape")).unwrap();
    })
}

/// A tar.gz with device nodes and FIFOs (some with names that need care) among files: tc
/// leaves them out, so the script must too (run as root, tar would make them).
fn special_tar_gz_base64() -> String {
    use base64::Engine;
    use std::io::Write;
    let mut b = tar::Builder::new(Vec::new());
    let mut add = |name: &str, kind: tar::EntryType, data: &[u8]| {
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(kind);
        h.set_mode(0o644);
        h.set_size(data.len() as u64);
        if matches!(kind, tar::EntryType::Char | tar::EntryType::Block) {
            h.set_device_major(1).unwrap();
            h.set_device_minor(3).unwrap();
        }
        b.append_data(&mut h, name, data).unwrap();
    };
    add("keep.txt", tar::EntryType::Regular, b"kept\n");
    add("./sub/fifo", tar::EntryType::Fifo, b"");
    add("sub/null", tar::EntryType::Char, b"");
    add("blk ", tar::EntryType::Block, b"");
    add("we ird *[x]\\q%s", tar::EntryType::Fifo, b"");
    add("caf\u{e9}", tar::EntryType::Fifo, b"");
    add(
        "a/sub/null",
        tar::EntryType::Regular,
        b"a regular file of the same last name\n",
    );
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&b.into_inner().unwrap()).unwrap();
    base64::engine::general_purpose::STANDARD.encode(gz.finish().unwrap())
}

/// A zip with a FIFO, a device node and a socket among files (unzip makes them empty files).
fn special_zip_base64() -> String {
    use base64::Engine;
    use std::io::Write;
    let mut z = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let entries = [
        ("reg", 0o100_644),
        ("a*[b]", 0o010_644),
        ("aX[b]", 0o100_644),
        ("sub/dev", 0o020_644),
        ("x/sub/dev", 0o100_644),
        ("sock", 0o140_644),
    ];
    for (name, _) in entries {
        z.start_file(name, zip::write::SimpleFileOptions::default())
            .unwrap();
        z.write_all(name.as_bytes()).unwrap();
    }
    let mut bytes = z.finish().unwrap().into_inner();
    // The zip crate writes only permission bits: the file types go in by hand.
    for (name, mode) in entries {
        common::set_zip_mode(&mut bytes, name, mode);
    }
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Every file under `dir` (but the saved log and the manifest) with its bytes.
fn tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
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
    let mut out = BTreeMap::new();
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
        Err(e) if std::env::var("TC_REQUIRE_SHELLCHECK").is_ok_and(|v| !v.is_empty()) => {
            panic!("shellcheck is not installed ({e}) and TC_REQUIRE_SHELLCHECK is set")
        }
        Err(e) => eprintln!(
            "skipped: shellcheck is not installed ({e}; set TC_REQUIRE_SHELLCHECK=1 to fail instead)"
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
    let dir = TestDir::new();
    dir.write(
        "t.yml",
        "payload: {command: [[/bin/true]], maxRunTime: 5}\n",
    );
    for extra in [&["--retries", "2"][..], &["--interactive"]] {
        dir.test()
            .args(["run-local", "t.yml", "--script"])
            .args(extra)
            .status(2)
            .run();
    }
    dir.test()
        .args(["run-local", "t.yml", "t.yml", "--script"])
        .status(2)
        .run();
    let out = dir.test().args(["run-local", "t.yml", "--script"]).run();
    assert!(out.stdout.starts_with("#!/usr/bin/env bash\n"), "{out}");

    // docker-worker: what needs credentials, or an in-tree image without a graph root.
    let docker = |image: &str| {
        dir.write(
            "d.yml",
            format!("payload: {{image: {image}, command: ['true'], maxRunTime: 5}}\n"),
        );
        dir.test().args(["run-local", "d.yml", "--script"])
    };
    let refusals: [(&str, &[&str], &str); 4] = [
        (
            "{type: docker-image, name: base}",
            &["--root", "/nonexistent/taskcluster"],
            "no taskgraph directory at /nonexistent/taskcluster",
        ),
        (
            "alpine",
            &[
                "--image",
                "in-tree=base",
                "--root",
                "/nonexistent/taskcluster",
            ],
            "no taskgraph directory at /nonexistent/taskcluster",
        ),
        (
            "{type: task-image, taskId: fNm1Rd3bRLyEy7bA7ABtHg, path: private/image.tar}",
            &[],
            "needs credentials",
        ),
        (
            "alpine",
            &["--image", "index=some.namespace:secret/image.tar.zst"],
            "needs credentials",
        ),
    ];
    for (image, extra, message) in refusals {
        docker(image)
            .args(extra)
            .status(2)
            .stderr_contains(message)
            .run();
    }
    // Everything else renders, without a daemon.
    for (image, extra) in [
        ("alpine:3", &[][..]),
        (
            "{type: task-image, taskId: fNm1Rd3bRLyEy7bA7ABtHg, path: public/image.tar.zst}",
            &[],
        ),
        ("alpine", &["--image", "index=some.namespace"]),
    ] {
        docker(image)
            .env("DOCKER_HOST", "unix:///nonexistent/docker.sock")
            .args(["-o", "d.sh"])
            .args(extra)
            .run();
        shellcheck(&dir.path("d.sh"));
    }
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
        nix::unistd::Pid::from_raw(child.id().cast_signed()),
        nix::sys::signal::Signal::SIGTERM,
    )
    .unwrap();
    assert_eq!(child.wait().unwrap().code(), Some(143));
    std::thread::sleep(std::time::Duration::from_secs(9));
    assert!(!marker.exists(), "the task was stopped with the script");
}

/// Removes what a docker parity run may leave behind, even on failure: the container
/// `tc-<id>-0` and every volume labelled with the task id.
struct DockerLeftovers {
    task_id: String,
}

impl DockerLeftovers {
    fn containers(&self) -> Vec<String> {
        common::docker::listed(&["ps", "-aq"], &format!("name=^tc-{}-0$", self.task_id))
    }

    fn volumes(&self) -> Vec<String> {
        common::docker::listed(
            &["volume", "ls", "-q"],
            &format!("label=org.taskcluster.tc.task-id={}", self.task_id),
        )
    }
}

impl Drop for DockerLeftovers {
    fn drop(&mut self) {
        let _ = Command::new("docker")
            .args(["rm", "-f", &format!("tc-{}-0", self.task_id)])
            .output();
        for volume in self.volumes() {
            let _ = Command::new("docker")
                .args(["volume", "rm", "-f", &volume])
                .output();
        }
    }
}

/// docker-worker fixtures: (name, task YAML, extra arguments, exit status). `CACHE` becomes a
/// cache name of this test run only.
// A flat table of fixtures: splitting it would only scatter them.
#[allow(clippy::too_many_lines)]
fn docker_fixtures() -> Vec<(&'static str, &'static str, Vec<&'static str>, i32)> {
    vec![
        (
            "row1-completed",
            r#"
payload:
  image: placeholder
  command: [sh, -c, 'mkdir -p /out/sub; echo "$TASK_ID $RUN_ID $TASKCLUSTER_INSTANCE_TYPE $TC_LOCAL $GREETING $MULTI $TOKEN" > /out/env.txt; echo nested > /out/sub/n.json; ln -s /out/env.txt /out/link; ln -s /nowhere /out/dangling; echo task says $TOKEN']
  maxRunTime: 60
  env: {GREETING: "it's $HOME `x`", MULTI: "two\nlines"}
  artifacts:
    public/env.txt: {type: file, path: /out/env.txt}
    public/link.txt: {type: file, path: /out/link}
    public/out: {type: directory, path: /out}
"#,
            vec!["--secret", "TOKEN"],
            0,
        ),
        (
            "row2-failed",
            "payload:\n  image: x\n  command: [sh, -c, 'echo failing; exit 7']\n  maxRunTime: 60\n",
            vec![],
            7,
        ),
        (
            "row3-intermittent",
            "payload:\n  image: x\n  command: [sh, -c, 'touch /c/mark; exit 5']\n  maxRunTime: 60\n  cache: {CACHE: /c}\n  onExitStatus: {retry: [4, 5], purgeCaches: [5]}\n",
            vec![],
            3,
        ),
        (
            "row4-max-run-time",
            "payload:\n  image: x\n  command: [sh, -c, 'mkdir /o; echo partial > /o/p.txt; echo started; sleep 60']\n  maxRunTime: 2\n  artifacts:\n    public/p.txt: {type: file, path: /o/p.txt}\n",
            vec![],
            1,
        ),
        (
            "row9-missing",
            "payload:\n  image: x\n  command: [sh, -c, 'echo x > /tmp/x']\n  maxRunTime: 60\n  artifacts:\n    public/nope.txt: {type: file, path: /does/not/exist}\n    public/x.txt: {type: file, path: /tmp/x}\n",
            vec![],
            0,
        ),
        (
            "row9-missing-fails",
            "payload:\n  image: x\n  command: ['true']\n  maxRunTime: 60\n  artifacts:\n    public/nope: {type: directory, path: /nope}\n",
            vec!["--missing-artifacts", "fail"],
            1,
        ),
        (
            "row11-escapes",
            r#"
payload:
  image: x
  command: [sh, -c, 'mkdir -p /d/sub; echo y > /d/y.txt; echo b > "/d/back\\slash"; ln -s /d/sub /d/dirlink; ln -s /tmp /d/tmplink; echo x > /tmp/x']
  maxRunTime: 60
  artifacts:
    ../up.txt: {type: file, path: /tmp/x}
    public/d: {type: directory, path: /d}
    public/dir-as-file: {type: file, path: /d}
    public/file-as-dir: {type: directory, path: /tmp/x}
"#,
            vec![],
            0,
        ),
        (
            "image-default-no-artifacts",
            "payload:\n  image: x\n  maxRunTime: 60\n  features: {artifacts: false}\n  artifacts:\n    public/never: {type: file, path: /bin/busybox}\n",
            vec![],
            0,
        ),
        (
            "command-not-found",
            "payload:\n  image: x\n  command: [no-such-command]\n  maxRunTime: 60\n",
            vec![],
            127,
        ),
        (
            "registry-present",
            "payload:\n  image: tc-test/busybox:1\n  command: [echo, from the registry image]\n  maxRunTime: 60\n",
            vec!["--pull", "never"],
            0,
        ),
        (
            "registry-absent",
            "payload:\n  image: tc-test/absent-image:never\n  command: ['true']\n  maxRunTime: 60\n",
            vec!["--pull", "never"],
            2,
        ),
        (
            "task-image",
            "payload:\n  image: {type: task-image, taskId: fNm1Rd3bRLyEy7bA7ABtHg, path: public/image.tar}\n  command: [echo, from a task image]\n  maxRunTime: 60\n",
            vec!["--root-url", "ROOT_URL"],
            0,
        ),
        (
            "task-image-404",
            "payload:\n  image: {type: task-image, taskId: fNm1Rd3bRLyEy7bA7ABtHg, path: public/gone.tar}\n  command: ['true']\n  maxRunTime: 60\n",
            vec!["--root-url", "ROOT_URL"],
            2,
        ),
        (
            "no-caches",
            "payload:\n  image: x\n  command: [sh, -c, 'ls -A /c > /tmp/ls; touch /c/new']\n  maxRunTime: 60\n  cache: {CACHE: /c}\n  artifacts:\n    public/ls: {type: file, path: /tmp/ls}\n",
            vec!["--no-caches"],
            0,
        ),
    ]
}

/// What the run of the `name` fixture by its script saved in `artifacts`: a whole log that
/// masks secrets and tells what the fixture is about, and the values it passed to the task.
fn check_what_the_script_saved(name: &str, artifacts: &Path) {
    let log = std::fs::read_to_string(artifacts.join("public/logs/live_backing.log")).unwrap();
    assert!(log.contains("=== Task Finished ==="), "{name}: {log}");
    assert!(
        !log.contains("s3cr3t-token-value"),
        "{name}: the script's log masks secrets"
    );
    let expected = match name {
        "registry-present" => "Image tc-test/busybox:1: present locally",
        "registry-absent" => "not present locally and --pull never",
        "task-image" => "from a task image",
        "task-image-404" => "public%2Fgone.tar",
        "image-default-no-artifacts" => "image default",
        "command-not-found" => "Cannot run the command",
        _ => "",
    };
    assert!(log.contains(expected), "{name}: {log}");
    if name == "row1-completed" {
        // Literal, multi-line (by name) and secret (by name) values reach the task intact.
        let env = std::fs::read_to_string(artifacts.join("public/env.txt")).unwrap();
        assert!(
            env.ends_with(" 0 local 1 it's $HOME `x` two\nlines s3cr3t-token-value\n"),
            "{env}"
        );
    }
    if name == "row4-max-run-time" {
        assert!(
            log.contains("Task aborted: maxRunTime of 2 seconds exceeded"),
            "{log}"
        );
    }
}

/// `tc run-local ARGS --script -o SCRIPT` in `dir` for the `name` fixture, with no daemon to
/// ask: a script that holds no secret value and passes `bash -n` and shellcheck.
fn write_script(dir: &Path, name: &str, args: &[String], script: &Path) {
    let out = common::tc()
        .current_dir(dir)
        .env("DOCKER_HOST", "unix:///nonexistent/docker.sock")
        .env("TOKEN", "s3cr3t-token-value")
        .args(args)
        .args(["--script", "-o"])
        .arg(script)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{name}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(script).unwrap();
    assert!(
        !text.contains("s3cr3t-token-value"),
        "{name}: a secret value is in the script"
    );
    assert!(
        Command::new("bash")
            .arg("-n")
            .arg(script)
            .status()
            .unwrap()
            .success(),
        "{name}: bash -n"
    );
    shellcheck(script);
}

#[test]
fn docker_scripts_behave_like_run_local() {
    let Some(busybox) = common::docker_busybox() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let [archive, _, _] = common::docker::write_archives(
        dir.path(),
        &common::docker::image_archive(&busybox, "tc-test/busybox:1"),
    );
    let root_url = serve_image_artifact(std::fs::read(&archive).unwrap());
    let cache_name = format!("script-{}", std::process::id());
    for (name, yaml, extra, status) in docker_fixtures() {
        let task_id = tc_taskdef::slugid::nice();
        let leftovers = DockerLeftovers {
            task_id: task_id.clone(),
        };
        let task = dir.path().join(format!("{name}.yml"));
        std::fs::write(&task, yaml.replace("CACHE", &cache_name)).unwrap();
        let script = dir.path().join(format!("{name}.sh"));
        let args = |art: &str| {
            let mut args: Vec<String> = vec![
                "run-local".into(),
                task.display().to_string(),
                "--network".into(),
                "none".into(),
                "--local-task-id".into(),
                task_id.clone(),
                "--artifacts-dir".into(),
                art.into(),
            ];
            // The test image, unless the fixture is about where images come from.
            if yaml.contains("image: x\n") || yaml.contains("image: placeholder\n") {
                args.extend(["--image".into(), archive.display().to_string()]);
            }
            args.extend(extra.iter().map(|a| a.replace("ROOT_URL", &root_url)));
            args
        };
        write_script(dir.path(), name, &args(&format!("{name}-script")), &script);

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
        let script_log = format!(
            "script stdout:\n{}\nscript stderr:\n{}",
            String::from_utf8_lossy(&by_script.stdout),
            String::from_utf8_lossy(&by_script.stderr)
        );
        assert!(
            leftovers.containers().is_empty(),
            "{name}: the script left its container\n{script_log}"
        );
        let by_tc = common::tc()
            .current_dir(dir.path())
            .env("TC_CACHE_DIR", dir.path().join(format!("cache-tc-{name}")))
            .env("TOKEN", "s3cr3t-token-value")
            .args(args(&format!("{name}-tc")))
            .output()
            .unwrap();
        assert_eq!(
            (by_script.status.code(), by_tc.status.code()),
            (Some(status), Some(status)),
            "{name}: exit status\n{script_log}\ntc stdout:\n{}",
            String::from_utf8_lossy(&by_tc.stdout)
        );
        let (a, b): (PathBuf, PathBuf) = (
            dir.path().join(format!("{name}-script")),
            dir.path().join(format!("{name}-tc")),
        );
        assert_eq!(tree(&a), tree(&b), "{name}: artifact trees\n{script_log}");
        assert_eq!(
            manifest(&a),
            manifest(&b),
            "{name}: manifests\n{script_log}"
        );
        check_what_the_script_saved(name, &a);
        if name.starts_with("row3") || name == "no-caches" {
            // Purged, or thrown away, by both.
            let volumes = leftovers.volumes();
            assert!(volumes.is_empty(), "{name}: volumes left: {volumes:?}");
        }
    }
}

/// Serves `body` as every `public/image.tar` artifact at a root URL on 127.0.0.1 (any other
/// path is a 404), for as long as the test runs. Plain tar, so the script needs no `zstd`.
fn serve_image_artifact(body: Vec<u8>) -> String {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let root = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut request = Vec::new();
            let mut buf = [0u8; 1024];
            while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                match stream.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => request.extend_from_slice(&buf[..n]),
                }
            }
            let line = String::from_utf8_lossy(&request).into_owned();
            let path = line.split(' ').nth(1).unwrap_or("");
            let found = path.starts_with("/api/queue/v1/task/")
                && path.ends_with("/artifacts/public%2Fimage.tar");
            let (status, bytes): (&str, &[u8]) = if found {
                ("200 OK", &body)
            } else {
                ("404 Not Found", b"{\"code\":\"ResourceNotFound\"}")
            };
            let _ = write!(
                stream,
                "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                bytes.len()
            );
            let _ = stream.write_all(bytes);
        }
    });
    root
}

#[test]
fn sigterm_stops_a_docker_script_and_removes_its_container() {
    let Some(busybox) = common::docker_busybox() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let [archive, _, _] = common::docker::write_archives(
        dir.path(),
        &common::docker::image_archive(&busybox, "tc-test/busybox:1"),
    );
    let task_id = tc_taskdef::slugid::nice();
    let leftovers = DockerLeftovers {
        task_id: task_id.clone(),
    };
    let task = dir.path().join("t.yml");
    std::fs::write(
        &task,
        "payload:\n  image: x\n  command: [sh, -c, 'echo started; sleep 60']\n  maxRunTime: 120\n  artifacts:\n    public/x: {type: file, path: /bin/busybox}\n",
    )
    .unwrap();
    let script = dir.path().join("t.sh");
    let out = common::tc()
        .arg("run-local")
        .arg(&task)
        .arg("--image")
        .arg(&archive)
        .args(["--network", "none", "--local-task-id", &task_id])
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
        if line.unwrap().trim_end() == "started" {
            break;
        }
    }
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(child.id().cast_signed()),
        nix::sys::signal::Signal::SIGTERM,
    )
    .unwrap();
    assert_eq!(child.wait().unwrap().code(), Some(143));
    assert!(leftovers.containers().is_empty(), "the container is gone");
    // Canceled: no artifact is copied.
    let art = dir.path().join("artifacts").join(&task_id);
    assert!(!art.join("public/x").exists());
}

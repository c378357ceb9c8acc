//! `tc run-local LABEL` (worker.md §2.5): a task of the in-tree graph run natively, its
//! references resolved with `--dep`, the run's taskId and the root URL; label and graph errors;
//! `--script` from a label; and the label picker through a pseudo-terminal.

use crate::common;

use std::path::Path;

const CONFIG: &str = "\
trust-domain: lbl
task-priority: low
workers:
  aliases:
    native:
      provisioner: 'lbl-{level}'
      implementation: generic-worker
      os: linux
      worker-type: native
taskgraph:
  repositories:
    lbl:
      name: Label example
";

const BUILD: &str = "\
loader: taskgraph.loader.transform:loader
transforms: [taskgraph.transforms.task]
tasks:
  thing:
    description: stands in for a build
    worker-type: succeed
";

const HELLO: &str = "\
loader: taskgraph.loader.transform:loader
transforms: [taskgraph.transforms.task]
kind-dependencies: [build]
tasks:
  world:
    description: says hello natively
    worker-type: native
    dependencies: {build: build-thing}
    worker:
      max-run-time: 60
      command:
        - [sh, -c, 'echo \"hello from $SELF_ID, build $BUILD_ID, $ART\"']
      env:
        SELF_ID: {task-reference: '<self>'}
        BUILD_ID: {task-reference: '<build>'}
        ART: {artifact-reference: '<build/public/out.txt>'}
";

const BUILD_ID: &str = "fTW-mBb9Q7G4aDQ3MQfYmA";
const RUN_ID: &str = "aQ1Xc4ZKTmWjGz5Jm2o2Sg";

/// A committed repository with a `build` and a `hello` kind.
fn repo() -> tempfile::TempDir {
    let src = tempfile::tempdir().unwrap();
    let write = |path: &str, text: &str| {
        let p = src.path().join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    };
    write("taskcluster/config.yml", CONFIG);
    write("taskcluster/kinds/build/kind.yml", BUILD);
    write("taskcluster/kinds/hello/kind.yml", HELLO);
    let dir = tempfile::tempdir().unwrap();
    common::repo::commit_copy(src.path(), dir.path(), "https://github.com/example/lbl");
    dir
}

fn run_local(dir: &Path, args: &[&str]) -> std::process::Output {
    common::tc()
        .arg("run-local")
        .args(args)
        .current_dir(dir)
        .env("TC_CACHE_DIR", dir.join(".tc-cache"))
        .env_remove("TASKCLUSTER_ROOT_URL")
        .output()
        .unwrap()
}

#[test]
fn a_label_runs_with_its_references_resolved() {
    let dir = repo();
    let out = run_local(
        dir.path(),
        &[
            "hello-world",
            "--dep",
            &format!("build={BUILD_ID}"),
            "--local-task-id",
            RUN_ID,
            "--root-url",
            "https://tc.example.com/",
        ],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains(&format!(
            "hello from {RUN_ID}, build {BUILD_ID}, https://tc.example.com/api/queue/v1/task/{BUILD_ID}/artifacts/public/out.txt"
        )),
        "{stdout}"
    );
    assert!(
        stdout.contains("\"hello-world\""),
        "the label names the run: {stdout}"
    );
}

#[test]
fn missing_dependencies_and_unknown_labels_are_usage_errors() {
    let dir = repo();
    let out = run_local(dir.path(), &["hello-world"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("build") && err.contains("--dep build=TASKID"),
        "{err}"
    );
    assert!(out.stdout.is_empty(), "nothing ran");

    let out = run_local(dir.path(), &["hello-wrld"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("hello-wrld") && err.contains("hello-world"),
        "{err}"
    );

    let out = run_local(dir.path(), &["hello-world", "--dep", "build"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("NAME=TASKID"));
}

#[test]
fn graph_errors_read_as_tc_graph_prints_them() {
    let dir = repo();
    // Bad input: exit 2 with the position.
    std::fs::write(
        dir.path().join("taskcluster/kinds/hello/kind.yml"),
        HELLO.replace("worker-type: native", "worker-type: nosuch"),
    )
    .unwrap();
    let out = run_local(dir.path(), &["hello-world"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("No worker-type matching 'nosuch' nor 'default' found"),
        "{err}"
    );
    // The place, and the line itself.
    assert!(err.contains("kinds/hello/kind.yml:7:18"), "{err}");
    assert!(
        err.lines().any(|l| l.ends_with("    worker-type: nosuch")),
        "{err}"
    );

    // Unsupported input: exit 3.
    std::fs::write(
        dir.path().join("taskcluster/kinds/hello/kind.yml"),
        HELLO.replace(
            "transforms: [taskgraph.transforms.task]",
            "transforms: [lbl.transforms:transforms, taskgraph.transforms.task]",
        ),
    )
    .unwrap();
    let out = run_local(dir.path(), &["hello-world"]);
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr).contains("lbl.transforms:transforms"));
}

#[test]
fn a_yaml_error_in_a_task_file_shows_the_offending_line() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("bad.yml"),
        "payload:\n  command: [echo, hi\n  maxRunTime: 60\n",
    )
    .unwrap();
    let out = run_local(dir.path(), &["bad.yml"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("bad.yml:2:12: this '[' is not closed"),
        "the message with its place: {err}"
    );
    // The line itself, and a label under the bracket that is never closed.
    let line = err
        .lines()
        .position(|l| l.ends_with("  command: [echo, hi"))
        .unwrap_or_else(|| panic!("the offending line: {err}"));
    let below = err
        .lines()
        .skip(line + 1)
        .take(2)
        .collect::<Vec<_>>()
        .join("\n");
    assert!(
        below.contains("opened here, never closed"),
        "a label: {err}"
    );
    assert!(out.stdout.is_empty(), "nothing ran");
}

#[test]
fn a_label_makes_a_script() {
    let dir = repo();
    let out = run_local(
        dir.path(),
        &[
            "hello-world",
            "--script",
            "--dep",
            &format!("build={BUILD_ID}"),
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let script = String::from_utf8_lossy(&out.stdout);
    assert!(script.starts_with("#!/usr/bin/env bash"), "{script}");
    assert!(script.contains("hello-world"), "{script}");
    assert!(
        script.contains(BUILD_ID),
        "the dependency is resolved: {script}"
    );
}

#[test]
fn without_a_task_the_picker_runs_the_chosen_label() {
    let dir = repo();
    // Not on a terminal: no picker, a usage error.
    let out = run_local(dir.path(), &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("in-tree label"));

    if std::process::Command::new("script")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("skipped the picker: `script` (util-linux) is not installed");
        return;
    }
    let tc = assert_cmd::cargo::cargo_bin("tc");
    let inner = format!(
        "{} run-local --dep build={BUILD_ID} --local-task-id {RUN_ID}",
        tc.display()
    );
    // Type part of the label, then Enter.
    let out = std::process::Command::new("bash")
        .arg("-c")
        .arg(format!(
            "(sleep 2; printf 'hello'; sleep 1; printf '\\r') | timeout 60 script -qec \"{inner}\" /dev/null"
        ))
        .current_dir(dir.path())
        .env("TC_CACHE_DIR", dir.path().join(".tc-cache"))
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains(&format!("hello from {RUN_ID}, build {BUILD_ID}")),
        "{text}"
    );
}

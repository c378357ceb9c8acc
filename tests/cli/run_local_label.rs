//! `tc run-local LABEL` (worker.md §2.5): a task of the in-tree graph run natively, its
//! references resolved with `--dep`, the run's taskId and the root URL; label and graph errors;
//! `--script` from a label; and the label picker through a pseudo-terminal.

use crate::common::{self, Test, TestDir};

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
fn repo() -> TestDir {
    let src = TestDir::new();
    src.write("taskcluster/config.yml", CONFIG);
    src.write("taskcluster/kinds/build/kind.yml", BUILD);
    src.write("taskcluster/kinds/hello/kind.yml", HELLO);
    let dir = TestDir::new();
    common::repo::commit_copy(src.root(), dir.root(), "https://github.com/example/lbl");
    dir
}

/// `tc run-local ARGS` in the repository, its cache in `.tc-cache`.
fn run_local(dir: &TestDir, args: &[&str]) -> Test {
    dir.test()
        .arg("run-local")
        .args(args)
        .env("TC_CACHE_DIR", dir.path(".tc-cache"))
}

#[test]
fn a_label_runs_with_its_references_resolved() {
    let dir = repo();
    run_local(&dir, &["hello-world", "--dep", &format!("build={BUILD_ID}")])
        .args(["--local-task-id", RUN_ID, "--root-url", "https://tc.example.com/"])
        .stdout_contains(format!(
            "hello from {RUN_ID}, build {BUILD_ID}, https://tc.example.com/api/queue/v1/task/{BUILD_ID}/artifacts/public/out.txt"
        ))
        // The label names the run.
        .stdout_contains("\"hello-world\"")
        .run();
}

#[test]
fn missing_dependencies_and_unknown_labels_are_usage_errors() {
    let dir = repo();
    run_local(&dir, &["hello-world"])
        .status(2)
        .stderr_contains("build")
        .stderr_contains("--dep build=TASKID")
        // Nothing ran.
        .stdout("")
        .run();
    run_local(&dir, &["hello-wrld"])
        .status(2)
        .stderr_contains("hello-wrld")
        .stderr_contains("hello-world")
        .run();
    run_local(&dir, &["hello-world", "--dep", "build"])
        .status(2)
        .stderr_contains("NAME=TASKID")
        .run();
}

#[test]
fn graph_errors_read_as_tc_graph_prints_them() {
    let dir = repo();
    // Bad input: exit 2 with the position.
    dir.write(
        "taskcluster/kinds/hello/kind.yml",
        HELLO.replace("worker-type: native", "worker-type: nosuch"),
    );
    let out = run_local(&dir, &["hello-world"])
        .status(2)
        .stderr_contains("No worker-type matching 'nosuch' nor 'default' found")
        // The place, and the line itself.
        .stderr_contains("kinds/hello/kind.yml:7:18")
        .run();
    assert!(
        out.stderr
            .lines()
            .any(|l| l.ends_with("    worker-type: nosuch")),
        "{}",
        out.stderr
    );

    // Unsupported input: exit 3.
    dir.write(
        "taskcluster/kinds/hello/kind.yml",
        HELLO.replace(
            "transforms: [taskgraph.transforms.task]",
            "transforms: [lbl.transforms:transforms, taskgraph.transforms.task]",
        ),
    );
    run_local(&dir, &["hello-world"])
        .status(3)
        .stderr_contains("lbl.transforms:transforms")
        .run();
}

#[test]
fn a_yaml_error_in_a_task_file_shows_the_offending_line() {
    let dir = TestDir::new();
    dir.write(
        "bad.yml",
        "payload:\n  command: [echo, hi\n  maxRunTime: 60\n",
    );
    // The message with its place, and nothing ran.
    let out = run_local(&dir, &["bad.yml"])
        .status(2)
        .stderr_contains("bad.yml:2:12: this '[' is not closed")
        .stdout("")
        .run();
    let err = &out.stderr;
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
}

#[test]
fn a_label_makes_a_script() {
    let dir = repo();
    let script = run_local(
        &dir,
        &[
            "hello-world",
            "--script",
            "--dep",
            &format!("build={BUILD_ID}"),
        ],
    )
    .stdout_contains("hello-world")
    // The dependency is resolved.
    .stdout_contains(BUILD_ID)
    .run()
    .stdout;
    assert!(script.starts_with("#!/usr/bin/env bash"), "{script}");
}

#[test]
fn without_a_task_the_picker_runs_the_chosen_label() {
    let dir = repo();
    // Not on a terminal: no picker, a usage error.
    run_local(&dir, &[])
        .status(2)
        .stderr_contains("in-tree label")
        .run();

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
        .current_dir(dir.root())
        .env("TC_CACHE_DIR", dir.path(".tc-cache"))
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

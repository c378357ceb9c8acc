//! Snapshots (insta) of the human output people read: help, a `tc graph` table, a `tc run-local`
//! run of several tasks, and error renderings. Not a stable interface, but a change to it
//! should be seen in review. Anything that varies from run to run (task ids, times, durations,
//! temporary paths) is filtered out.

use crate::common::{self, Test, TestDir};

/// What varies between runs of `tc run-local`, and what stands for it in the snapshots.
fn run_filters() -> Vec<(&'static str, &'static str)> {
    vec![
        (r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", "[TIME]"),
        (r"Duration: \d+\.\d{3}s", "Duration: [D]s"),
        (r"Task: [A-Za-z0-9_-]{22} ", "Task: [TASK_ID] "),
        (r"Task dir: [^\n]*", "Task dir: [TASK_DIR]"),
    ]
}

/// The help of `tc ARGS --help`, as tc prints it off a terminal.
fn help(args: &[&str]) -> String {
    Test::new().args(args).arg("--help").run().stdout
}

#[test]
fn help_of_tc_and_its_main_commands() {
    insta::assert_snapshot!("help_tc", help(&[]));
    insta::assert_snapshot!("help_run_local", help(&["run-local"]));
    insta::assert_snapshot!("help_graph", help(&["graph"]));
    insta::assert_snapshot!("help_try_parse", help(&["try", "parse"]));
    insta::assert_snapshot!("help_queue_serve", help(&["queue", "serve"]));
}

#[test]
fn graph_table_of_the_example_repository() {
    let repo = TestDir::new();
    common::repo::commit_copy(
        &common::root().join("examples/intree"),
        repo.root(),
        "https://github.com/example/intree",
    );
    let table = repo
        .test()
        .args(["graph", "target", "--format", "table", "-p", "params.yml"])
        .env("TASKCLUSTER_ROOT_URL", "https://tc.example.com")
        .run()
        .stdout;
    insta::assert_snapshot!(table);
}

#[test]
fn run_local_of_two_tasks_on_the_native_engine() {
    let out = Test::new()
        .file(
            "build.yml",
            "metadata: {name: build}\npayload:\n  maxRunTime: 30\n  command: [[/bin/sh, -c, 'echo built > out.txt; echo done']]\n  artifacts: [{type: file, path: out.txt, name: public/out.txt}]\n",
        )
        .file(
            "test.yml",
            "payload:\n  maxRunTime: 30\n  command: [[/bin/sh, -c, 'echo testing'], [/bin/sh, -c, 'exit 3']]\n  artifacts: [{type: file, path: report.xml, name: public/report.xml}]\n",
        )
        .args(["run-local", "build.yml", "test.yml", "--artifacts-dir", "A"])
        .status(3)
        .run();
    insta::with_settings!({filters => run_filters()}, {
        insta::assert_snapshot!("run_local_two_tasks_stdout", out.stdout);
        insta::assert_snapshot!("run_local_two_tasks_stderr", out.stderr);
    });
}

#[test]
fn errors_in_a_task_file() {
    let unclosed = Test::new()
        .file("bad.yml", "payload:\n  command: [[true]\n  maxRunTime: 5\n")
        .args(["run-local", "bad.yml"])
        .status(2)
        .run();
    insta::assert_snapshot!("task_file_unclosed_bracket", unclosed.stderr);
    let unknown_key = Test::new()
        .file(
            "keys.yml",
            "payload: {command: [[/bin/true]], maxRunTime: 5}\ncolor: red\n",
        )
        .args(["run-local", "keys.yml"])
        .status(2)
        .run();
    insta::assert_snapshot!("task_file_unknown_key", unknown_key.stderr);
}

#[test]
fn errors_in_try_syntax_and_on_the_command_line() {
    let repo = TestDir::new();
    common::repo::commit_copy(
        &common::root().join("examples/intree"),
        repo.root(),
        "https://github.com/example/intree",
    );
    let unknown_platform = repo
        .test()
        .args([
            "graph",
            "target",
            "-p",
            "params.yml",
            "--try",
            "-b o -p nosuch",
        ])
        .env("TASKCLUSTER_ROOT_URL", "https://tc.example.com")
        .status(2)
        .run();
    insta::assert_snapshot!("graph_try_unknown_platform", unknown_platform.stderr);
    let bad_format = Test::new()
        .args(["run-local", "--format", "yaml", "task.yml"])
        .status(2)
        .run();
    insta::assert_snapshot!("usage_bad_format", bad_format.stderr);
}

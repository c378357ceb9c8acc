//! The small commands, the command tree, help and exit statuses.

use crate::common::{self, Test};

/// `tc ARGS`, which must exit 0: its stdout.
fn stdout_of(args: &[&str]) -> String {
    Test::new().args(args).run().stdout
}

#[test]
fn slugid_prints_nice_slugids() {
    let out = stdout_of(&["slugid", "-n", "50"]);
    let ids: Vec<&str> = out.lines().collect();
    assert_eq!(ids.len(), 50);
    for id in ids {
        assert_eq!(id.len(), 22);
        let first = id.as_bytes()[0];
        assert!(
            first.is_ascii_uppercase() || (b'a'..=b'f').contains(&first),
            "{id} is not nice"
        );
        let uuid = stdout_of(&["slugid", "decode", id]);
        assert_eq!(uuid.as_bytes()[14], b'4', "v4: {uuid}");
    }
}

#[test]
fn slugid_decode_and_encode_round_trip() {
    Test::new()
        .args(["slugid", "decode", "gE8_yN_LTs2mvuasaq9Nbw"])
        .stdout("804f3fc8-dfcb-4ecd-a6be-e6ac6aaf4d6f\n")
        .run();
    Test::new()
        .args(["slugid", "encode", "804f3fc8-dfcb-4ecd-a6be-e6ac6aaf4d6f"])
        .stdout("gE8_yN_LTs2mvuasaq9Nbw\n")
        .run();
    let v = Test::new()
        .args(["slugid", "-n", "2", "--v4", "--format", "json"])
        .run()
        .json();
    assert_eq!(v["slugids"].as_array().unwrap().len(), 2);
}

#[test]
fn slugid_rejects_non_v4_input() {
    Test::new()
        .args(["slugid", "encode", "804f3fc8-dfcb-1ecd-a6be-e6ac6aaf4d6f"])
        .status(2)
        .stderr_contains("v4")
        .run();
    Test::new()
        .args(["slugid", "decode", "-AAAAAAAAAAAAAAAAAAAAA"])
        .status(2)
        .run();
    Test::new()
        .args(["slugid", "decode", "not-a-slug"])
        .status(2)
        .run();
}

#[test]
fn from_now_adds_durations_in_the_queue_format() {
    Test::new()
        .args([
            "from-now",
            "1 day 2h",
            "--from",
            "2026-01-31T23:00:00.5678+01:00",
        ])
        .stdout("2026-02-02T00:00:00.567Z\n")
        .run();
    Test::new()
        .args(["from-now", "-1 year", "--from", "2026-01-01T00:00:00Z"])
        .stdout("2025-01-01T00:00:00.000Z\n")
        .run();
    Test::new()
        .args(["from-now", "3 months", "--from", "2026-01-01T00:00:00Z"])
        .args(["--format", "json"])
        .stdout("{\"time\":\"2026-04-01T00:00:00.000Z\"}\n")
        .run();
}

#[test]
fn from_now_defaults_to_now() {
    let out = stdout_of(&["from-now", "0s"]);
    let printed = chrono::DateTime::parse_from_rfc3339(out.trim()).unwrap();
    let drift = chrono::Utc::now()
        .signed_duration_since(printed)
        .num_seconds()
        .abs();
    assert!(drift < 60, "{out}");
    assert!(out.trim().ends_with('Z') && out.trim().len() == 24);
}

#[test]
fn from_now_rejects_bad_input_with_exit_2() {
    for args in [
        &["from-now", "1 fortnight"][..],
        &["from-now", "soon"],
        &["from-now", "1d", "--from", "yesterday"],
    ] {
        let out = Test::new().args(args).status(2).run();
        assert!(!out.stderr.is_empty(), "{out}");
    }
}

#[test]
fn every_subcommand_has_help() {
    fn walk(cmd: &clap::Command, path: &mut Vec<String>) {
        for sub in cmd.get_subcommands() {
            path.push(sub.get_name().to_owned());
            assert!(
                sub.get_about().is_some(),
                "`tc {}` has no help text",
                path.join(" ")
            );
            walk(sub, path);
            path.pop();
        }
    }
    walk(&tc::cli::command(), &mut Vec::new());
    let mut help = Test::new().arg("--help");
    for sub in [
        "try",
        "graph",
        "run-local",
        "submit",
        "queue",
        "worker",
        "task",
        "group",
        "scopes",
        "slugid",
        "from-now",
        "completions",
        "man",
        "doctor",
    ] {
        help = help.stdout_contains(format!("  {sub} "));
    }
    // The exit codes are in --help.
    help.stdout_contains("Exit status:")
        .stdout_contains("143")
        .run();
}

#[test]
fn usage_errors_exit_2() {
    Test::new()
        .arg("no-such-command")
        .status(2)
        .stderr_contains("no-such-command")
        .run();
    Test::new()
        .args(["try", "stats", "--top", "many"])
        .status(2)
        .run();
}

#[test]
fn version_prints_and_exits_0() {
    let out = stdout_of(&["--version"]);
    assert!(out.starts_with("tc "), "{out}");
}

/// Subcommands are built only when parsed (`src/cli/lazy.rs`); each one's help as tc prints it
/// must still be the whole tree's, its own about line first (not a flattened struct's).
#[test]
fn each_subcommand_prints_the_help_of_the_whole_tree() {
    fn walk(cmd: &mut clap::Command, path: &mut Vec<String>, seen: &mut usize) {
        let names: Vec<String> = cmd
            .get_subcommands()
            .map(|s| s.get_name().to_owned())
            .filter(|n| n != "help")
            .collect();
        for name in names {
            path.push(name.clone());
            let sub = cmd.find_subcommand_mut(&name).unwrap();
            let expected = sub.render_help().to_string();
            let mut args: Vec<&str> = path.iter().map(String::as_str).collect();
            args.push("-h");
            Test::new().args(&args).stdout(expected).run();
            *seen += 1;
            walk(sub, path, seen);
            path.pop();
        }
    }
    let mut cmd = tc::cli::command();
    cmd.build();
    let mut seen = 0;
    walk(&mut cmd, &mut Vec::new(), &mut seen);
    assert!(seen > 30, "{seen} subcommands");
}

/// The test images a test process makes are gone when it exits (the README's promise), and a
/// `tc-local/*` image that was there before it (perhaps the user's own) stays. Runs the helper
/// below in a child process of this binary, scoped to the probe's images (`TC_TEST_IMAGE_SCOPE`)
/// so that it leaves alone the images the Docker tests running beside it in this process use.
#[test]
fn docker_test_images_are_removed_when_the_test_binary_exits() {
    let Some(busybox) = common::docker_busybox() else {
        return;
    };
    let users_own = "tc-local/cleanup-probe-users-own:kept";
    load(&common::docker::image_archive(&busybox, users_own));
    let child = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--ignored",
            "--exact",
            "commands::makes_test_images_for_the_cleanup_test",
        ])
        .env("TC_TEST_IMAGE_SCOPE", TEST_IMAGE_SCOPE)
        .output()
        .unwrap();
    let left = common::docker::image_references("tc-*/*");
    // Forced: a container elsewhere on this daemon may use the same busybox image.
    docker_ok(&["image", "rm", "--force", users_own]);
    assert!(child.status.success(), "{child:?}");
    assert!(
        String::from_utf8_lossy(&child.stdout).contains("1 passed"),
        "the helper ran: {child:?}"
    );
    assert!(
        left.iter()
            .all(|r| r != TEST_IMAGE_PROBE_BASE && r != TEST_IMAGE_PROBE_BUILT),
        "left behind: {left:?}"
    );
    assert!(left.iter().any(|r| r == users_own), "{left:?}");
}

/// The prefix of the names of the cleanup probe's images (see `TC_TEST_IMAGE_SCOPE` in
/// tests/common/docker.rs).
const TEST_IMAGE_SCOPE: &str = "cleanup-probe";
const TEST_IMAGE_PROBE_BASE: &str = "tc-test/cleanup-probe:1";
const TEST_IMAGE_PROBE_BUILT: &str = "tc-local/cleanup-probe:0123456789abcdef";

/// Loads a test image and tags an in-tree-style image, as the Docker tests do (run by the
/// test above).
#[test]
#[ignore = "run by docker_test_images_are_removed_when_the_test_binary_exits"]
fn makes_test_images_for_the_cleanup_test() {
    let busybox = common::docker_busybox().expect("Docker and a static busybox");
    load(&common::docker::image_archive(
        &busybox,
        TEST_IMAGE_PROBE_BASE,
    ));
    docker_ok(&["tag", TEST_IMAGE_PROBE_BASE, TEST_IMAGE_PROBE_BUILT]);
}

/// `docker load` of an image archive.
fn load(archive: &[u8]) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("image.tar");
    std::fs::write(&path, archive).unwrap();
    docker_ok(&["load", "-i", path.to_str().unwrap()]);
}

fn docker_ok(args: &[&str]) {
    let out = std::process::Command::new("docker")
        .args(args)
        .output()
        .unwrap();
    assert!(out.status.success(), "docker {args:?}: {out:?}");
}

/// A test skipped for a missing tool says so once, past the harness's output capture, with what
/// to install.
#[test]
fn a_skip_for_a_missing_tool_is_reported_once_with_what_to_install() {
    let child = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--ignored",
            "--exact",
            "commands::asks_twice_for_a_missing_python_client",
        ])
        // A Python that cannot start: the client counts as missing.
        .env("PYTHONHOME", "/nonexistent")
        .env_remove("TC_REQUIRE_PYCLIENT")
        .output()
        .unwrap();
    assert!(child.status.success(), "{child:?}");
    let stderr = String::from_utf8_lossy(&child.stderr);
    let notes: Vec<&str> = stderr.lines().filter(|l| l.starts_with("note:")).collect();
    assert_eq!(notes.len(), 1, "{stderr}");
    assert!(
        notes[0].contains("the official Python client")
            && notes[0].contains("pip install taskcluster"),
        "{stderr}"
    );
}

#[test]
#[ignore = "run by a_skip_for_a_missing_tool_is_reported_once_with_what_to_install"]
fn asks_twice_for_a_missing_python_client() {
    assert!(!common::queue::pyclient_available());
    assert!(!common::queue::pyclient_available());
}

/// Each command takes, shows and completes only the formats it prints; commands that print no
/// document take no `--format`.
#[test]
fn each_command_takes_only_the_formats_it_prints() {
    let refused = |args: &[&str], possible: &str| {
        Test::new()
            .args(args)
            .status(2)
            .stderr_contains(format!("[possible values: {possible}]"))
            .run();
    };
    refused(&["slugid", "--format", "dot"], "human, json, yaml");
    refused(
        &["run-local", "--format", "yaml", "task.yml"],
        "human, json",
    );
    refused(
        &["graph", "--format", "xml"],
        "labels, json, yaml, dot, table",
    );
    refused(&["task", "def", "--format", "human-ish", "x"], "json, yaml");
    for args in [
        &["queue", "serve", "--format", "json"][..],
        &["worker", "--format", "json"],
        &["completions", "bash", "--format", "json"],
        &["task", "log", "x", "--format", "json"],
    ] {
        Test::new()
            .args(args)
            .status(2)
            .stderr_contains("unexpected argument '--format'")
            .run();
    }
    Test::new()
        .args(["run-local", "--help"])
        .stdout_contains("--format <FORMAT>")
        .stdout_lacks("yaml:")
        .run();
    Test::new()
        .args(["slugid", "--help"])
        .stdout_lacks("dot")
        .run();
    Test::new()
        .args(["completions", "bash"])
        .stdout_contains("human json yaml")
        .stdout_contains("labels json yaml dot table")
        // No command offers every format.
        .stdout_lacks("human json yaml labels")
        .run();
    // A subcommand's format also comes after its own subcommand.
    let out = Test::new()
        .args([
            "slugid",
            "decode",
            "gE8_yN_LTs2mvuasaq9Nbw",
            "--format",
            "json",
        ])
        .run();
    assert!(out.stdout.starts_with("{\"slugid\""), "{out}");
}

#[test]
fn submit_from_stdin_names_the_task_as_run_local_does() {
    let tasks = Test::new()
        .args(["submit", "-", "--dry-run", "--format", "json"])
        .stdin("payload:\n  command: [[/bin/true]]\n  maxRunTime: 60\n")
        .run()
        .json();
    let metadata = &tasks[0]["task"]["metadata"];
    assert_eq!(metadata["name"], "local task", "{metadata}");
    assert_eq!(
        metadata["source"], "https://localhost/tc-submit/stdin",
        "{metadata}"
    );
}

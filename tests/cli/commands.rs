//! The small commands, the command tree, help and exit statuses.

use crate::common;

use serde_json::Value;

fn stdout(args: &[&str]) -> (Option<i32>, String, String) {
    let out = common::tc().args(args).output().unwrap();
    (
        out.status.code(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[test]
fn slugid_prints_nice_slugids() {
    let (code, out, _) = stdout(&["slugid", "-n", "50"]);
    assert_eq!(code, Some(0));
    let ids: Vec<&str> = out.lines().collect();
    assert_eq!(ids.len(), 50);
    for id in ids {
        assert_eq!(id.len(), 22);
        let first = id.as_bytes()[0];
        assert!(
            first.is_ascii_uppercase() || (b'a'..=b'f').contains(&first),
            "{id} is not nice"
        );
        let (code, uuid, _) = stdout(&["slugid", "decode", id]);
        assert_eq!(code, Some(0));
        assert_eq!(uuid.as_bytes()[14], b'4', "v4: {uuid}");
    }
}

#[test]
fn slugid_decode_and_encode_round_trip() {
    let (_, uuid, _) = stdout(&["slugid", "decode", "gE8_yN_LTs2mvuasaq9Nbw"]);
    assert_eq!(uuid, "804f3fc8-dfcb-4ecd-a6be-e6ac6aaf4d6f\n");
    let (_, slug, _) = stdout(&["slugid", "encode", "804f3fc8-dfcb-4ecd-a6be-e6ac6aaf4d6f"]);
    assert_eq!(slug, "gE8_yN_LTs2mvuasaq9Nbw\n");
    let (_, json, _) = stdout(&["slugid", "-n", "2", "--v4", "--format", "json"]);
    let v: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["slugids"].as_array().unwrap().len(), 2);
}

#[test]
fn slugid_rejects_non_v4_input() {
    let (code, _, err) = stdout(&["slugid", "encode", "804f3fc8-dfcb-1ecd-a6be-e6ac6aaf4d6f"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("v4"), "{err}");
    let (code, _, _) = stdout(&["slugid", "decode", "-AAAAAAAAAAAAAAAAAAAAA"]);
    assert_eq!(code, Some(2));
    let (code, _, _) = stdout(&["slugid", "decode", "not-a-slug"]);
    assert_eq!(code, Some(2));
}

#[test]
fn from_now_adds_durations_in_the_queue_format() {
    let (code, out, _) = stdout(&[
        "from-now",
        "1 day 2h",
        "--from",
        "2026-01-31T23:00:00.5678+01:00",
    ]);
    assert_eq!(code, Some(0));
    assert_eq!(out, "2026-02-02T00:00:00.567Z\n");
    let (_, out, _) = stdout(&["from-now", "-1 year", "--from", "2026-01-01T00:00:00Z"]);
    assert_eq!(out, "2025-01-01T00:00:00.000Z\n");
    let (_, out, _) = stdout(&[
        "from-now",
        "3 months",
        "--from",
        "2026-01-01T00:00:00Z",
        "--format",
        "json",
    ]);
    assert_eq!(out, "{\"time\":\"2026-04-01T00:00:00.000Z\"}\n");
}

#[test]
fn from_now_defaults_to_now() {
    let (code, out, _) = stdout(&["from-now", "0s"]);
    assert_eq!(code, Some(0));
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
        let (code, _, err) = stdout(args);
        assert_eq!(code, Some(2), "{args:?}");
        assert!(!err.is_empty());
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
    let (code, out, _) = stdout(&["--help"]);
    assert_eq!(code, Some(0));
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
        assert!(out.contains(&format!("  {sub} ")), "--help lists {sub}");
    }
    assert!(
        out.contains("Exit status:") && out.contains("143"),
        "exit codes in --help"
    );
}

#[test]
fn usage_errors_exit_2() {
    let (code, _, err) = stdout(&["no-such-command"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("no-such-command"));
    let (code, _, _) = stdout(&["try", "stats", "--top", "many"]);
    assert_eq!(code, Some(2));
}

#[test]
fn version_prints_and_exits_0() {
    let (code, out, _) = stdout(&["--version"]);
    assert_eq!(code, Some(0));
    assert!(out.starts_with("tc "));
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
            let (code, out, _) = stdout(&args);
            assert_eq!(code, Some(0), "tc {}", args.join(" "));
            assert_eq!(out, expected, "tc {}", args.join(" "));
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
        let (code, _, err) = stdout(args);
        assert_eq!(code, Some(2), "{args:?}: {err}");
        assert!(
            err.contains(&format!("[possible values: {possible}]")),
            "{args:?}: {err}"
        );
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
        let (code, _, err) = stdout(args);
        assert_eq!(code, Some(2), "{args:?}: {err}");
        assert!(
            err.contains("unexpected argument '--format'"),
            "{args:?}: {err}"
        );
    }
    let (_, help, _) = stdout(&["run-local", "--help"]);
    assert!(
        help.contains("--format <FORMAT>") && !help.contains("yaml:"),
        "{help}"
    );
    let (_, help, _) = stdout(&["slugid", "--help"]);
    assert!(!help.contains("dot"), "{help}");
    let (_, bash, _) = stdout(&["completions", "bash"]);
    assert!(bash.contains("human json yaml") && bash.contains("labels json yaml dot table"));
    assert!(
        !bash.contains("human json yaml labels"),
        "no command offers every format"
    );
    // A subcommand's format also comes after its own subcommand.
    let (code, out, _) = stdout(&[
        "slugid",
        "decode",
        "gE8_yN_LTs2mvuasaq9Nbw",
        "--format",
        "json",
    ]);
    assert_eq!(code, Some(0));
    assert!(out.starts_with("{\"slugid\""), "{out}");
}

#[test]
fn submit_from_stdin_names_the_task_as_run_local_does() {
    let out = common::tc()
        .args(["submit", "-", "--dry-run", "--format", "json"])
        .env_remove("TASKCLUSTER_ROOT_URL")
        .write_stdin("payload:\n  command: [[/bin/true]]\n  maxRunTime: 60\n")
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let tasks: Value = serde_json::from_slice(&out.stdout).unwrap();
    let metadata = &tasks[0]["task"]["metadata"];
    assert_eq!(metadata["name"], "local task", "{metadata}");
    assert_eq!(
        metadata["source"], "https://localhost/tc-submit/stdin",
        "{metadata}"
    );
}

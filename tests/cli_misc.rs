//! The small commands, the command tree, help and exit statuses.

mod common;

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

//! Snapshots of the human output of `tc try parse` and `tc try stats` (for people; not a
//! stable interface, but changes to it should be seen in review).

use crate::common::{self, Test};

/// Stdout then stderr of `tc ARGS` reading `stdin`, whatever its exit status.
fn stdout_of(args: &[&str], stdin: &str) -> String {
    let out = Test::new().args(args).stdin(stdin).any_status().run();
    out.stdout + &out.stderr
}

#[test]
fn try_parse_human() {
    let ctx = common::root().join("examples/try-context.json");
    let ctx = ctx.to_str().unwrap();
    insta::assert_snapshot!(stdout_of(
        &[
            "try",
            "parse",
            "-b do -p linux64 -u mochitest-bc[Windows 10],gtest-1 -t none",
            "--context",
            ctx
        ],
        ""
    ));
}

#[test]
fn try_parse_human_without_context_and_without_try() {
    insta::assert_snapshot!(stdout_of(&["try", "parse", "-b o --rebuild 2"], ""));
    insta::assert_snapshot!(stdout_of(
        &["try", "parse", "--message", "Bug 1 - no try here"],
        ""
    ));
}

#[test]
fn try_parse_errors() {
    insta::assert_snapshot!(stdout_of(
        &["try", "parse", "--message", "Bug 2\ntry: -b do -u 'gtest"],
        ""
    ));
    let ctx = common::root().join("examples/try-context.json");
    insta::assert_snapshot!(stdout_of(
        &[
            "try",
            "parse",
            "-b o -u gtest[a]x",
            "--context",
            ctx.to_str().unwrap()
        ],
        ""
    ));
}

#[test]
fn try_stats_human() {
    let pushes = std::fs::read_to_string(common::root().join("examples/pushes.jsonl")).unwrap();
    insta::assert_snapshot!(stdout_of(&["try", "stats", "--top", "2"], &pushes));
}

//! `tc try parse` and `tc try stats` through the real binary: the JSON contract, human output,
//! input errors and exit statuses.

use crate::common;

use serde_json::{Value, json};

fn ctx_file(dir: &tempfile::TempDir) -> std::path::PathBuf {
    let doc: Value = serde_json::from_str(
        &std::fs::read_to_string(common::fixture("try-examples.json")).unwrap(),
    )
    .unwrap();
    let path = dir.path().join("ctx.json");
    std::fs::write(&path, doc["context"].to_string()).unwrap();
    path
}

fn json_of(out: &std::process::Output) -> Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)))
}

#[test]
fn parse_prints_the_contract_example() {
    let dir = tempfile::tempdir().unwrap();
    let out = common::tc()
        .args([
            "try",
            "parse",
            "-b do -p linux64 -u gtest[linux32]",
            "--format",
            "json",
            "--context",
        ])
        .arg(ctx_file(&dir))
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(
        out.stdout.ends_with(b"}\n") && out.stdout.iter().filter(|b| **b == b'\n').count() == 1
    );
    let want = json!({"try_found": true,
     "raw": {"build": "do", "platform": "linux64", "unittests": "gtest[linux32]", "talos": "none", "raptor": "none",
             "job": null, "interactive": false, "notify": null, "rebuild": 1, "rebuild_talos": 1, "rebuild_raptor": 1,
             "tag": null, "no_retry": false, "include_nightly": false, "taskcluster_worker": false, "artifact": false,
             "gecko_profile": false, "setenv": {}},
     "resolved": {"build_types": ["debug", "opt"], "platforms": ["linux64", "sm-plain-linux64", "sm-nojit-linux64"],
                  "unittests": [{"test": "gtest", "platforms": ["linux32"]}], "talos": [], "raptor": [], "jobs": []}});
    assert_eq!(json_of(&out), want);
}

#[test]
fn parse_without_context_leaves_resolved_null() {
    let out = common::tc()
        .args([
            "try",
            "parse",
            "-b do -p all -u all -t none",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    let v = json_of(&out);
    assert_eq!(v["resolved"], Value::Null);
    assert_eq!(v["raw"]["talos"], "none");
}

#[test]
fn a_message_without_try_is_not_an_error() {
    let out = common::tc()
        .args([
            "try",
            "parse",
            "--message",
            "Bug 1 - fix",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(
        json_of(&out),
        json!({"try_found": false, "raw": null, "resolved": null})
    );
    let out = common::tc()
        .args(["try", "parse", "--message", "Bug 1 - fix"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("No `try:`"));
}

#[test]
fn message_file_and_stdin_resolve() {
    let dir = tempfile::tempdir().unwrap();
    let msg = dir.path().join("msg.txt");
    std::fs::write(
        &msg,
        "Bug 2 - thing\n\ntry: -b o -p win64 -u none\nnot this line -b d\n",
    )
    .unwrap();
    let ctx = ctx_file(&dir);
    let out = common::tc()
        .args(["try", "parse", "--format", "json", "--message-file"])
        .arg(&msg)
        .arg("--context")
        .arg(&ctx)
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(json_of(&out)["resolved"]["platforms"], json!(["win64"]));
    let out = common::tc()
        .args(["try", "parse", "--format", "json", "--message-file", "-"])
        .write_stdin(b"try: -b \xff do".to_vec())
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(
        json_of(&out)["raw"]["build"],
        "\u{fffd}",
        "invalid UTF-8 becomes U+FFFD"
    );
}

#[test]
fn yaml_context_and_yaml_output() {
    let dir = tempfile::tempdir().unwrap();
    let ctx = dir.path().join("ctx.yml");
    std::fs::write(
        &ctx,
        "build_types: [opt]\nbuild_platforms: [linux64]\nunittest_try_names: [gtest]\n",
    )
    .unwrap();
    let out = common::tc()
        .args([
            "try",
            "parse",
            "-b o -p linux64",
            "--format",
            "yaml",
            "--context",
        ])
        .arg(&ctx)
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("try_found: true"), "{text}");
    assert!(text.contains("- test: gtest"), "{text}");
}

#[test]
fn try_errors_exit_2_with_a_caret_under_the_token() {
    let out = common::tc()
        .args(["try", "parse", "--message", "try: -b -p linux"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    assert_eq!(
        String::from_utf8(out.stderr).unwrap(),
        "error[options:missing-value]: -b/--build needs a value, for example `-b do`\n  try: -b -p linux\n       ^^\n"
    );
}

#[test]
fn caret_columns_count_characters_and_keep_tabs() {
    let out = common::tc()
        .args(["try", "parse", "é\t-b o --ta"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.ends_with("  é\t-b o --ta\n   \t     ^^^^\n"), "{err:?}");
    let out = common::tc()
        .args(["try", "parse", "-b 'do"])
        .output()
        .unwrap();
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.ends_with("  -b 'do\n     ^\n"),
        "a single caret for tokenize errors: {err:?}"
    );
}

#[test]
fn try_errors_in_json_go_to_stdout() {
    let out = common::tc()
        .args([
            "try",
            "parse",
            "--message",
            "try: -b o --reb 3",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let v = json_of(&out);
    assert_eq!(v["error"]["kind"], "options:ambiguous-prefix");
    assert_eq!(v["error"]["offset"], 10);
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("--rebuild")
    );
}

#[test]
fn input_problems_have_kinds_and_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("ctx.json");
    std::fs::write(&bad, r#"{"build_types": ["opt"], "platforms": []}"#).unwrap();
    for (args, kind) in [
        (
            vec!["--context", bad.to_str().unwrap()],
            "input:bad-context",
        ),
        (
            vec!["--context", "/nonexistent/ctx.json"],
            "input:unreadable",
        ),
    ] {
        let out = common::tc()
            .args(["try", "parse", "-b o", "--format", "json"])
            .args(&args)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{kind}");
        assert_eq!(
            json_of(&out),
            json!({"error": {"kind": kind, "message": json_of(&out)["error"]["message"], "offset": null}})
        );
        assert!(
            String::from_utf8_lossy(&out.stderr).contains(kind),
            "{kind} also on stderr"
        );
    }
    let out = common::tc()
        .args(["try", "parse", "--message-file", "/nonexistent"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("error[input:unreadable]"));
}

#[test]
fn exactly_one_input_is_required() {
    let out = common::tc().args(["try", "parse"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = common::tc()
        .args(["try", "parse", "-b o", "--message", "try: -b d"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn human_output_marks_what_the_try_text_set() {
    let dir = tempfile::tempdir().unwrap();
    let out = common::tc()
        .args([
            "try",
            "parse",
            "--message",
            "try: -b do -u mochitest-1 --rebuild 2",
            "--context",
        ])
        .arg(ctx_file(&dir))
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let row = |key: &str| {
        text.lines()
            .find(|l| l.contains(&format!(" {key} ")))
            .unwrap_or_default()
            .to_owned()
    };
    assert!(
        row("build").contains("\"do\"") && row("build").contains('*'),
        "{text}"
    );
    assert!(
        row("rebuild").contains('*') && !row("talos").contains('*'),
        "{text}"
    );
    assert!(text.contains("mochitest chunks 1"), "{text}");
    assert!(text.contains("debug, opt"), "{text}");
    let out = common::tc()
        .args(["try", "parse", "-b do"])
        .output()
        .unwrap();
    assert!(
        String::from_utf8(out.stderr).unwrap().contains("--context"),
        "hint without a context, on stderr"
    );
    assert!(
        !String::from_utf8(out.stdout).unwrap().contains("hint"),
        "stdout holds only the data"
    );
    let out = common::tc()
        .args(["-q", "try", "parse", "-b do"])
        .output()
        .unwrap();
    assert!(out.stderr.is_empty(), "-q hides the hint");
}

#[test]
fn no_color_means_no_escape_codes() {
    let out = common::tc().args(["try", "parse", "-b"]).output().unwrap();
    assert!(!out.stderr.contains(&0x1b));
}

fn stats(input: &str, extra: &[&str]) -> Value {
    let out = common::tc()
        .args(["try", "stats", "--format", "json"])
        .args(extra)
        .write_stdin(input)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    json_of(&out)
}

#[test]
fn stats_counts_lines_and_json_lines() {
    let input = "\
Bug 1 - no try here
{\"message\": \"Bug 2\\n\\ntry: -b do -p all\"}
{\"try_syntax\": \"try: -b do -p all\"}
{\"message\": 5, \"try_syntax\": \"try: -b o -p win64\"}

try: -b -p x
{\"nothing\": 1}
{broken
try: -b do -p all
";
    let v = stats(input, &[]);
    assert_eq!(v["pushes"], 8);
    assert_eq!(v["with_try_syntax"], 5);
    assert_eq!(v["parsed"], 4);
    assert_eq!(
        v["errors"],
        json!({"input:bad-json": 1, "input:no-message": 1, "options:missing-value": 1})
    );
    assert_eq!(
        v["options"]["build"][0],
        json!({"value": "do", "count": 3, "percent": 75.0})
    );
    assert_eq!(
        v["options"]["platform"][0],
        json!({"value": "all", "count": 3, "percent": 75.0})
    );
    assert_eq!(
        v["try_strings"][0],
        json!({"value": "try: -b do -p all", "count": 3, "percent": 75.0})
    );
    let keys: Vec<&String> = v["options"].as_object().unwrap().keys().collect();
    assert_eq!(keys, tc_try::RAW_KEYS.iter().collect::<Vec<_>>());
}

#[test]
fn stats_normalises_try_strings_and_ties_by_json_text() {
    let v = stats(
        "try:  -b do -u \"a b\"\ntry: -b do -u 'a b'\ntry: -b o\n",
        &[],
    );
    assert_eq!(
        v["try_strings"],
        json!([
        {"value": "try: -b do -u a b", "count": 2, "percent": 66.7},
        {"value": "try: -b o", "count": 1, "percent": 33.3}])
    );
    assert_eq!(
        v["options"]["build"],
        json!([
        {"value": "do", "count": 2, "percent": 66.7}, {"value": "o", "count": 1, "percent": 33.3}])
    );
    let v = stats("try: -b b\ntry: -b a\ntry: -b c\n", &["--top", "2"]);
    assert_eq!(
        v["options"]["build"],
        json!([
        {"value": "a", "count": 1, "percent": 33.3}, {"value": "b", "count": 1, "percent": 33.3}])
    );
}

#[test]
fn stats_compares_setenv_maps_regardless_of_order_and_top_zero_lists_all() {
    let v = stats(
        "try: --setenv A=1 --setenv B=2\ntry: --setenv B=2 --setenv A=1\ntry: -i\n",
        &["--top", "0"],
    );
    assert_eq!(
        v["options"]["setenv"],
        json!([
        {"value": {"A": "1", "B": "2"}, "count": 2, "percent": 66.7},
        {"value": {}, "count": 1, "percent": 33.3}])
    );
    assert_eq!(v["options"]["interactive"].as_array().unwrap().len(), 2);
}

#[test]
fn stats_reads_try_high_scores_documents() {
    let doc = json!({"fromdate": "2024-01-01", "todate": "2024-01-02", "generated": "x", "reporttime": 1,
        "scores": [{"user": "a", "hours": 1, "jobs": 2, "pushes": [
            {"revision": "r1", "hours": 1, "jobs": 1, "try_syntax": "try: -b do -p all"},
            {"revision": "r2", "hours": 1, "jobs": 1, "try_syntax": ""}]},
            {"user": "b", "hours": 1, "jobs": 2, "pushes": [
            {"revision": "r3", "hours": 1, "jobs": 1, "try_syntax": "try: -b o"}]}]});
    for text in [doc.to_string(), serde_json::to_string_pretty(&doc).unwrap()] {
        let v = stats(&text, &[]);
        assert_eq!(
            (
                v["pushes"].clone(),
                v["with_try_syntax"].clone(),
                v["parsed"].clone()
            ),
            (json!(3), json!(2), json!(2))
        );
    }
}

#[test]
fn stats_of_nothing_is_zero() {
    let v = stats("", &[]);
    assert_eq!(
        (v["pushes"].clone(), v["parsed"].clone()),
        (json!(0), json!(0))
    );
    assert_eq!(v["options"]["build"], json!([]));
}

#[test]
fn stats_of_a_missing_file_exits_2() {
    let out = common::tc()
        .args(["try", "stats", "/nonexistent/pushes.txt"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("input:unreadable"));
}

#[test]
fn stats_human_output_has_counts_and_tables() {
    let out = common::tc()
        .args(["try", "stats"])
        .write_stdin("try: -b do\nfoo\n")
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("with try syntax") && text.contains("50.0%"),
        "{text}"
    );
    assert!(text.contains("try: -b do"), "{text}");
}

/// A push whose try text holds a `-p` list of `n` platforms (wide characters included).
fn push_with_platforms(n: usize) -> String {
    let platforms: Vec<String> = (0..n).map(|i| format!("平台-{i}")).collect();
    format!("try: -b do -p {}\n", platforms.join(","))
}

#[test]
fn stats_human_tables_fit_columns_and_cut_long_cells() {
    let input = format!("{}try: -b do\nfoo\n", push_with_platforms(300));
    let out = common::tc()
        .env("COLUMNS", "60")
        .args(["try", "stats"])
        .write_stdin(input)
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    for line in text.lines() {
        assert!(common::display_width(line) <= 60, "{line:?} in\n{text}");
    }
    // The platforms value and the try string both end, cut, in `…` inside their cell.
    let cut = text.lines().filter(|l| l.contains("…")).count();
    assert_eq!(cut, 2, "{text}");
    assert!(!text.contains("平台-299"), "{text}");
    assert!(text.contains("with try syntax"), "{text}");
}

/// The widest line of `text`, in columns.
fn widest_line(text: &str) -> usize {
    text.lines().map(common::display_width).max().unwrap_or(0)
}

/// A 4 MB value once took a minute to print (split over and over by the table layout): what is
/// shown of it is now cut, with or without a width.
#[test]
fn stats_human_output_of_a_4_mb_line_shows_a_bounded_cut_of_it() {
    let input = push_with_platforms(400_000);
    assert!(input.len() > 4_000_000);
    // Without a width a cell keeps 1,000 characters (2 columns each here), on one line.
    for (columns, widest) in [(None, 2_100), (Some("80"), 80)] {
        let mut cmd = common::tc();
        if let Some(columns) = columns {
            cmd.env("COLUMNS", columns);
        }
        let out = cmd
            .args(["try", "stats"])
            .write_stdin(input.as_str())
            .output()
            .unwrap();
        assert!(out.status.success());
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(widest_line(&text) <= widest, "{columns:?}: {text}");
        assert!(text.len() < 100_000, "{columns:?}: {} bytes", text.len());
        assert!(text.contains("平台-1,"), "{columns:?}: {text}");
        assert_eq!(text.matches('…').count(), 2, "{columns:?}: {text}");
        assert!(!text.contains("平台-399999"), "{columns:?}");
    }
}

#[test]
fn parse_human_output_of_a_64_kb_message_shows_a_bounded_cut_of_it() {
    let message = format!("Bug 1 - many platforms\n\n{}", push_with_platforms(6_000));
    assert!(message.len() > 64_000);
    for (columns, widest) in [(None, 2_100), (Some("80"), 80)] {
        let mut cmd = common::tc();
        if let Some(columns) = columns {
            cmd.env("COLUMNS", columns);
        }
        let out = cmd
            .args(["try", "parse", "--message", &message])
            .output()
            .unwrap();
        assert!(out.status.success());
        let text = String::from_utf8(out.stdout).unwrap();
        // The try text above the tables is cut like a cell, on one line the terminal wraps.
        let (try_text, tables) = text.split_once('\n').unwrap();
        assert!(try_text.starts_with("try: -b do -p 平台-0,"), "{text}");
        assert!(try_text.ends_with('…'), "{columns:?}: {try_text}");
        assert!(try_text.chars().count() <= 1_000, "{columns:?}: {try_text}");
        assert!(widest_line(tables) <= widest, "{columns:?}: {tables}");
        assert!(text.len() < 100_000, "{columns:?}: {} bytes", text.len());
        assert_eq!(tables.matches('…').count(), 1, "{columns:?}: {tables}");
        assert!(!text.contains("平台-5999"), "{columns:?}");
    }
}

#[test]
fn stats_reads_a_large_file_in_parallel_blocks_with_the_same_counts() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pushes.jsonl");
    let mut text = String::new();
    for i in 0..60_000 {
        let line = match i % 3 {
            0 => {
                json!({"message": format!("Bug {i}\n\ntry: -b do -p linux64 --rebuild {}", i % 7)})
            }
            1 => json!({"message": format!("Bug {i} - plain")}),
            _ => json!({"try_syntax": "try: -b"}),
        };
        text.push_str(&line.to_string());
        text.push('\n');
    }
    std::fs::write(&path, &text).unwrap();
    let out = common::tc()
        .args(["try", "stats", "--format", "json", "--top", "0"])
        .arg(&path)
        .output()
        .unwrap();
    let v = json_of(&out);
    assert_eq!(
        (
            v["pushes"].clone(),
            v["with_try_syntax"].clone(),
            v["parsed"].clone()
        ),
        (json!(60000), json!(40000), json!(20000))
    );
    assert_eq!(v["errors"], json!({"options:missing-value": 20000}));
    assert_eq!(v["options"]["rebuild"].as_array().unwrap().len(), 7);
}

#[test]
fn a_try_string_that_looks_like_a_tc_flag_goes_after_double_dash() {
    let out = common::tc()
        .args(["try", "parse", "--format", "json", "--", "-h"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(
        json_of(&out)["raw"]["build"],
        Value::Null,
        "D1: -h is an unknown try option"
    );
    let out = common::tc()
        .args(["try", "parse", "--format", "json", "--", "--"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let out = common::tc()
        .args(["try", "parse", "--format", "json", "--message", "-h"])
        .output()
        .unwrap();
    assert_eq!(json_of(&out)["try_found"], false);
}

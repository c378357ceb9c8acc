//! `tc try parse` and `tc try stats` through the real binary: the JSON contract, human output,
//! input errors and exit statuses.

use crate::common::{self, Test};

use serde_json::{Value, json};

/// The context of try-examples.json, as a file `ctx.json` of a new test's directory.
fn with_context() -> Test {
    let doc: Value = serde_json::from_str(
        &std::fs::read_to_string(common::fixture("try-examples.json")).unwrap(),
    )
    .unwrap();
    Test::new().file("ctx.json", doc["context"].to_string())
}

#[test]
fn parse_prints_the_contract_example() {
    let out = with_context()
        .args(["try", "parse", "-b do -p linux64 -u gtest[linux32]"])
        .args(["--format", "json", "--context", "ctx.json"])
        .run();
    assert!(
        out.stdout.ends_with("}\n") && out.stdout.matches('\n').count() == 1,
        "{out}"
    );
    let want = json!({"try_found": true,
     "raw": {"build": "do", "platform": "linux64", "unittests": "gtest[linux32]", "talos": "none", "raptor": "none",
             "job": null, "interactive": false, "notify": null, "rebuild": 1, "rebuild_talos": 1, "rebuild_raptor": 1,
             "tag": null, "no_retry": false, "include_nightly": false, "taskcluster_worker": false, "artifact": false,
             "gecko_profile": false, "setenv": {}},
     "resolved": {"build_types": ["debug", "opt"], "platforms": ["linux64", "sm-plain-linux64", "sm-nojit-linux64"],
                  "unittests": [{"test": "gtest", "platforms": ["linux32"]}], "talos": [], "raptor": [], "jobs": []}});
    assert_eq!(out.json(), want);
}

#[test]
fn parse_without_context_leaves_resolved_null() {
    let v = Test::new()
        .args([
            "try",
            "parse",
            "-b do -p all -u all -t none",
            "--format",
            "json",
        ])
        .run()
        .json();
    assert_eq!(v["resolved"], Value::Null);
    assert_eq!(v["raw"]["talos"], "none");
}

#[test]
fn a_message_without_try_is_not_an_error() {
    Test::new()
        .args([
            "try",
            "parse",
            "--message",
            "Bug 1 - fix",
            "--format",
            "json",
        ])
        .stdout_json(json!({"try_found": false, "raw": null, "resolved": null}))
        .run();
    Test::new()
        .args(["try", "parse", "--message", "Bug 1 - fix"])
        .stdout_contains("No `try:`")
        .run();
}

#[test]
fn message_file_and_stdin_resolve() {
    let v = with_context()
        .file(
            "msg.txt",
            "Bug 2 - thing\n\ntry: -b o -p win64 -u none\nnot this line -b d\n",
        )
        .args([
            "try",
            "parse",
            "--format",
            "json",
            "--message-file",
            "msg.txt",
        ])
        .args(["--context", "ctx.json"])
        .run()
        .json();
    assert_eq!(v["resolved"]["platforms"], json!(["win64"]));
    let v = Test::new()
        .args(["try", "parse", "--format", "json", "--message-file", "-"])
        .stdin(b"try: -b \xff do".to_vec())
        .run()
        .json();
    assert_eq!(
        v["raw"]["build"], "\u{fffd}",
        "invalid UTF-8 becomes U+FFFD"
    );
}

#[test]
fn yaml_context_and_yaml_output() {
    Test::new()
        .file(
            "ctx.yml",
            "build_types: [opt]\nbuild_platforms: [linux64]\nunittest_try_names: [gtest]\n",
        )
        .args(["try", "parse", "-b o -p linux64", "--format", "yaml"])
        .args(["--context", "ctx.yml"])
        .stdout_contains("try_found: true")
        .stdout_contains("- test: gtest")
        .run();
}

#[test]
fn try_errors_exit_2_with_a_caret_under_the_token() {
    Test::new()
        .args(["try", "parse", "--message", "try: -b -p linux"])
        .status(2)
        .stdout("")
        .stderr("error[options:missing-value]: -b/--build needs a value, for example `-b do`\n  try: -b -p linux\n       ^^\n")
        .run();
}

#[test]
fn caret_columns_count_characters_and_keep_tabs() {
    let out = Test::new()
        .args(["try", "parse", "é\t-b o --ta"])
        .status(2)
        .run();
    let err = out.stderr;
    assert!(err.ends_with("  é\t-b o --ta\n   \t     ^^^^\n"), "{err:?}");
    let out = Test::new().args(["try", "parse", "-b 'do"]).status(2).run();
    let err = out.stderr;
    assert!(
        err.ends_with("  -b 'do\n     ^\n"),
        "a single caret for tokenize errors: {err:?}"
    );
}

#[test]
fn try_errors_in_json_go_to_stdout() {
    let v = Test::new()
        .args([
            "try",
            "parse",
            "--message",
            "try: -b o --reb 3",
            "--format",
            "json",
        ])
        .status(2)
        .run()
        .json();
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
    for (context, kind) in [
        ("ctx.json", "input:bad-context"),
        ("/nonexistent/ctx.json", "input:unreadable"),
    ] {
        let out = Test::new()
            .file("ctx.json", r#"{"build_types": ["opt"], "platforms": []}"#)
            .args([
                "try",
                "parse",
                "-b o",
                "--format",
                "json",
                "--context",
                context,
            ])
            .status(2)
            // The kind is also on stderr.
            .stderr_contains(kind)
            .run();
        let v = out.json();
        assert_eq!(
            v,
            json!({"error": {"kind": kind, "message": v["error"]["message"], "offset": null}})
        );
    }
    Test::new()
        .args(["try", "parse", "--message-file", "/nonexistent"])
        .status(2)
        .stderr_contains("error[input:unreadable]")
        .run();
}

#[test]
fn exactly_one_input_is_required() {
    Test::new().args(["try", "parse"]).status(2).run();
    Test::new()
        .args(["try", "parse", "-b o", "--message", "try: -b d"])
        .status(2)
        .run();
}

#[test]
fn human_output_marks_what_the_try_text_set() {
    let text = with_context()
        .args([
            "try",
            "parse",
            "--message",
            "try: -b do -u mochitest-1 --rebuild 2",
        ])
        .args(["--context", "ctx.json"])
        .run()
        .stdout;
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
    // A hint without a context, on stderr; stdout holds only the data.
    Test::new()
        .args(["try", "parse", "-b do"])
        .stderr_contains("--context")
        .stdout_lacks("hint")
        .run();
    // -q hides the hint.
    Test::new()
        .args(["-q", "try", "parse", "-b do"])
        .stderr("")
        .run();
}

#[test]
fn no_color_means_no_escape_codes() {
    Test::new()
        .args(["try", "parse", "-b"])
        .status(2)
        .stderr_lacks("\u{1b}")
        .run();
}

fn stats(input: &str, extra: &[&str]) -> Value {
    Test::new()
        .args(["try", "stats", "--format", "json"])
        .args(extra)
        .stdin(input)
        .run()
        .json()
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
    Test::new()
        .args(["try", "stats", "/nonexistent/pushes.txt"])
        .status(2)
        .stderr_contains("input:unreadable")
        .run();
}

#[test]
fn stats_human_output_has_counts_and_tables() {
    Test::new()
        .args(["try", "stats"])
        .stdin("try: -b do\nfoo\n")
        .stdout_contains("with try syntax")
        .stdout_contains("50.0%")
        .stdout_contains("try: -b do")
        .run();
}

/// A push whose try text holds a `-p` list of `n` platforms (wide characters included).
fn push_with_platforms(n: usize) -> String {
    let platforms: Vec<String> = (0..n).map(|i| format!("平台-{i}")).collect();
    format!("try: -b do -p {}\n", platforms.join(","))
}

#[test]
fn stats_human_tables_fit_columns_and_cut_long_cells() {
    let input = format!("{}try: -b do\nfoo\n", push_with_platforms(300));
    let text = Test::new()
        .env("COLUMNS", "60")
        .args(["try", "stats"])
        .stdin(input)
        .run()
        .stdout;
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
        let mut test = Test::new().args(["try", "stats"]).stdin(input.as_str());
        if let Some(columns) = columns {
            test = test.env("COLUMNS", columns);
        }
        let text = test.run().stdout;
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
        let mut test = Test::new().args(["try", "parse", "--message", &message]);
        if let Some(columns) = columns {
            test = test.env("COLUMNS", columns);
        }
        let text = test.run().stdout;
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
    let v = Test::new()
        .file("pushes.jsonl", &text)
        .args([
            "try",
            "stats",
            "--format",
            "json",
            "--top",
            "0",
            "pushes.jsonl",
        ])
        .run()
        .json();
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
    let v = Test::new()
        .args(["try", "parse", "--format", "json", "--", "-h"])
        .run()
        .json();
    assert_eq!(
        v["raw"]["build"],
        Value::Null,
        "D1: -h is an unknown try option"
    );
    Test::new()
        .args(["try", "parse", "--format", "json", "--", "--"])
        .run();
    let v = Test::new()
        .args(["try", "parse", "--format", "json", "--message", "-h"])
        .run()
        .json();
    assert_eq!(v["try_found"], false);
}

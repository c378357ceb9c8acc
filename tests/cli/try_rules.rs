//! The rules of try-syntax.md, case by case, through the library (the vectors and the CLI
//! are tested elsewhere). Each test names the rule it pins.

use crate::common;

use serde_json::{Value, json};
use tc::output::trysyntax::parse_document;
use tc_try::{Context, Input};

fn context() -> Context {
    let doc: Value = serde_json::from_str(
        &std::fs::read_to_string(common::fixture("try-examples.json")).unwrap(),
    )
    .unwrap();
    serde_json::from_value(doc["context"].clone()).unwrap()
}

/// The JSON document, or `{"error": kind, "offset": n}`.
fn run(input: Input, ctx: Option<&Context>) -> Value {
    match tc_try::parse(input, ctx) {
        Ok(parsed) => parse_document(parsed.as_ref()),
        Err(e) => json!({"error": e.kind.as_str(), "offset": e.offset()}),
    }
}

fn msg(text: &str) -> Value {
    run(Input::Message(text), Some(&context()))
}

/// The raw options alone (no context, so nothing is resolved).
fn raw(text: &str) -> Value {
    let v = run(Input::Message(text), None);
    assert!(v.get("error").is_none(), "{text}: {v}");
    v["raw"].clone()
}

fn resolved(text: &str) -> Value {
    msg(text)["resolved"].clone()
}

fn error(text: &str) -> (String, Value) {
    let v = msg(text);
    (
        v["error"]
            .as_str()
            .unwrap_or_else(|| panic!("no error for {text}: {v}"))
            .to_owned(),
        v["offset"].clone(),
    )
}

fn tests_of(text: &str, key: &str) -> Value {
    resolved(text)[key].clone()
}

// §2 Locate

#[test]
fn locate_takes_the_first_try_marker_to_the_end_of_its_line() {
    assert_eq!(msg("no marker here")["try_found"], json!(false));
    assert_eq!(msg("TRY: -b do")["try_found"], json!(false));
    assert_eq!(
        raw("fix: it's done\ntry: -b o\n-p win64")["platform"],
        "all"
    );
    assert_eq!(raw("retry: -b o")["build"], "o");
    assert_eq!(raw("try: -b o try: -p win64")["platform"], "win64");
    assert_eq!(raw("try: -b o\r\n")["build"], "o");
    assert_eq!(raw("x try:-b do")["build"], Value::Null);
}

#[test]
fn an_apostrophe_before_the_marker_is_harmless() {
    assert_eq!(raw("don't panic try: -b o")["build"], "o");
}

#[test]
fn try_strings_skip_locate_and_keep_every_token() {
    let ctx = context();
    let v = run(Input::TryString("  try:-b do"), Some(&ctx));
    assert_eq!(v["raw"]["build"], "do");
    let v = run(Input::TryString("-b do -p all"), None);
    assert_eq!(
        (v["try_found"].clone(), v["resolved"].clone()),
        (json!(true), Value::Null)
    );
    let v = run(Input::TryString("  -b -p x"), None);
    assert_eq!(v["offset"], 2, "offsets index the argument as given");
}

// §3 Tokenize

#[test]
fn tokenize_errors_point_at_the_quote_or_backslash() {
    assert_eq!(
        error("try: -b do -p linux # don't"),
        ("tokenize:unclosed-quote".into(), json!(25))
    );
    assert_eq!(
        error("try: -b \"do"),
        ("tokenize:unclosed-quote".into(), json!(8))
    );
    assert_eq!(
        error("try: -b do\\"),
        ("tokenize:dangling-escape".into(), json!(10))
    );
    assert_eq!(
        error("try: -b \"do\\"),
        ("tokenize:dangling-escape".into(), json!(11))
    );
}

#[test]
fn empty_quotes_are_tokens_and_values() {
    assert_eq!(raw("try: -b ''")["build"], "");
    assert_eq!(raw("try: --tag \"\"")["tag"], "");
}

#[test]
fn brackets_protect_spaces_even_in_quotes() {
    assert_eq!(
        raw("try: -u gtest[Windows 10] -b o")["unittests"],
        "gtest[Windows 10]"
    );
    assert_eq!(raw("try: -u 'gtest[a b]'")["unittests"], "gtest[a\\ b]");
    // Q12: an unclosed `[` protects every later space.
    assert_eq!(raw("try: -u gtest[a -b o")["unittests"], "gtest[a -b o");
    // Q11: a tab is not protected.
    assert_eq!(raw("try: -u gtest[a\tb] -b o")["unittests"], "gtest[a");
}

// §4 Options

#[test]
fn defaults_fill_all_eighteen_keys_in_order() {
    let r = raw("try:");
    let keys: Vec<&String> = r.as_object().unwrap().keys().collect();
    assert_eq!(keys, tc_try::RAW_KEYS.iter().collect::<Vec<_>>());
    assert_eq!(
        r,
        json!({"build": null, "platform": "all", "unittests": "all", "talos": "none", "raptor": "none",
               "job": null, "interactive": false, "notify": null, "rebuild": 1, "rebuild_talos": 1,
               "rebuild_raptor": 1, "tag": null, "no_retry": false, "include_nightly": false,
               "taskcluster_worker": false, "artifact": false, "gecko_profile": false, "setenv": {}})
    );
}

#[test]
fn bare_optional_values() {
    let r = raw("try: -p -u -t -r");
    assert_eq!(
        (r["platform"].clone(), r["unittests"].clone()),
        (json!("all"), json!("all"))
    );
    assert_eq!(
        (r["talos"].clone(), r["raptor"].clone()),
        (json!("all"), json!("all"))
    );
    assert_eq!(raw("try: -t -u none")["talos"], "all");
}

#[test]
fn last_value_wins_and_lists_collect() {
    let r = raw("try: -b o -b d -j a -j b,c --tag x --tag y -e -f");
    assert_eq!(r["build"], "d");
    assert_eq!(r["job"], json!(["a", "b,c"]));
    assert_eq!(r["tag"], "y");
    assert_eq!(r["notify"], "failure");
}

#[test]
fn flags_set_true() {
    let r = raw("try: --gecko-profile --no-retry --include-nightly --artifact -w -i");
    for k in [
        "gecko_profile",
        "no_retry",
        "include_nightly",
        "artifact",
        "taskcluster_worker",
        "interactive",
    ] {
        assert_eq!(r[k], true, "{k}");
    }
}

#[test]
fn double_dash_ends_options() {
    assert_eq!(raw("try: -b o -- -p win64")["platform"], "all");
    assert_eq!(
        raw("try: -- --reb")["build"],
        Value::Null,
        "no ambiguity after --"
    );
}

#[test]
fn unknown_options_are_ignored_and_take_nothing() {
    let r = raw("try: --foo -b o -x win64 -h --help");
    assert_eq!(r["build"], "o");
    assert_eq!(r["platform"], "all");
    assert_eq!(error("try: -b --foo").0, "options:missing-value");
}

#[test]
fn a_word_with_a_space_that_starts_with_dash_is_a_value() {
    assert_eq!(raw("try: -b '-x y'")["build"], "-x y");
    assert_eq!(raw("try: -p '-1'")["platform"], "-1");
}

#[test]
fn option_errors_point_at_their_tokens() {
    assert_eq!(
        error("try: -b -p linux"),
        ("options:missing-value".into(), json!(5))
    );
    assert_eq!(
        error("try: -b o --reb 3"),
        ("options:ambiguous-prefix".into(), json!(10))
    );
    assert_eq!(
        error("try: --rebuild x"),
        ("options:invalid-int".into(), json!(15))
    );
    assert_eq!(
        error("try: --rebuild=x"),
        ("options:invalid-int".into(), json!(5))
    );
    assert_eq!(
        error("try: --setenv A=B=C"),
        ("options:bad-setenv".into(), json!(14))
    );
    assert_eq!(
        error("try: -b o --artifact=1"),
        ("options:unexpected-value".into(), json!(10))
    );
    assert_eq!(
        error("try: -iz"),
        ("options:unexpected-value".into(), json!(5))
    );
}

#[test]
fn error_order_is_ambiguity_then_consumption_then_setenv() {
    assert_eq!(
        error("try: --setenv X --rebuild x --ta").0,
        "options:ambiguous-prefix"
    );
    assert_eq!(
        error("try: --setenv X --rebuild x").0,
        "options:invalid-int"
    );
    assert_eq!(error("try: --setenv X -b").0, "options:missing-value");
    assert_eq!(
        error("try: --setenv A=1 --setenv X --setenv Y").1,
        json!(27)
    );
}

// §5.2 Jobs, build types, platforms

#[test]
fn build_types_map_each_letter() {
    assert_eq!(
        resolved("try: -b do")["build_types"],
        json!(["debug", "opt"])
    );
    assert_eq!(
        resolved("try: -b dd")["build_types"],
        json!(["debug", "debug"])
    );
    assert_eq!(resolved("try: -b DO")["build_types"], json!([]));
    assert_eq!(resolved("try: -p all")["build_types"], json!([]));
}

#[test]
fn platforms_emit_ridealongs_and_the_macosx64_rule() {
    assert_eq!(
        resolved("try: -b o -p linux,win32")["platforms"],
        json!(["linux", "sm-plain-linux32", "win32", "sm-plain-win32"])
    );
    assert_eq!(
        resolved("try: -b o -p macosx64 -u none")["platforms"],
        json!(["macosx64"])
    );
    assert_eq!(
        resolved("try: -b o -p macosx64 -u none -t x")["platforms"],
        json!(["macosx64-shippable"])
    );
    assert_eq!(
        resolved("try: -b o -p linux64,linux64")["platforms"]
            .as_array()
            .unwrap()
            .len(),
        6
    );
    assert_eq!(
        resolved("try: -b o -p linux1804-64/opt")["platforms"],
        json!(["linux1804-64/opt"])
    );
}

#[test]
fn unknown_platforms_are_all_named() {
    let v = msg("try: -b o -p nope,all,linux");
    assert_eq!(v["error"], "resolve:unknown-platform");
    assert_eq!(v["offset"], 13);
    let e = tc_try::parse(Input::Message("try: -b o -p nope,all"), Some(&context())).unwrap_err();
    assert!(
        e.message.contains("`nope`") && e.message.contains("`all`"),
        "{}",
        e.message
    );
}

#[test]
fn unknown_build_type_points_at_the_value() {
    let mut ctx = context();
    ctx.build_types = vec!["opt".into()];
    let v = run(Input::Message("try: -bd -p linux64"), Some(&ctx));
    assert_eq!(
        (v["error"].clone(), v["offset"].clone()),
        (json!("resolve:unknown-build-type"), json!(5))
    );
}

#[test]
fn resolution_order_puts_build_types_before_platforms_before_tests() {
    let mut ctx = context();
    ctx.build_types = vec!["opt".into()];
    let v = run(Input::Message("try: -b d -p nope -u gtest[]"), Some(&ctx));
    assert_eq!(v["error"], "resolve:unknown-build-type");
    assert_eq!(
        msg("try: -b o -p nope -u gtest[]")["error"],
        "resolve:unknown-platform"
    );
    assert_eq!(
        msg("try: -b o -u gtest[] -t x]")["error"],
        "resolve:empty-platform-item"
    );
}

// §5.3 Test specs

#[test]
fn none_and_empty_values() {
    assert_eq!(tests_of("try: -b o -u none", "unittests"), json!([]));
    assert_eq!(tests_of("try: -b o -u ''", "unittests"), json!([]));
    assert_eq!(
        tests_of("try: -b o -u ' none'", "unittests"),
        json!([{"test": "none"}])
    );
}

#[test]
fn commas_leading_trailing_and_doubled() {
    assert_eq!(
        tests_of("try: -b o -u ,gtest", "unittests"),
        json!([{"test": "gtest"}])
    );
    assert_eq!(
        tests_of("try: -b o -u [a],gtest", "unittests"),
        json!([{"test": "gtest"}])
    );
    assert_eq!(
        tests_of("try: -b o -u gtest,", "unittests"),
        json!([{"test": ""}, {"test": "gtest"}])
    );
    assert_eq!(
        tests_of("try: -b o -u gtest,,x", "unittests"),
        json!([{"test": ""}, {"test": "gtest"}, {"test": "x"}])
    );
    assert_eq!(
        tests_of("try: -b o -u ' [a],x'", "unittests"),
        json!([{"test": "", "platforms": ["a"]}, {"test": "x"}])
    );
}

#[test]
fn bracket_items_are_stripped_negated_and_expanded() {
    assert_eq!(
        tests_of("try: -b o -u gtest[ linux32 , x64]", "unittests"),
        json!([{"test": "gtest", "platforms": ["linux32", "linux64", "linux64-asan", "linux1804-64", "linux1804-64-asan"]}])
    );
    assert_eq!(
        tests_of("try: -b o -u gtest[-linux1804-64,linux32]", "unittests")[0]["platforms"],
        json!([
            "android-em-7.0-x86_64",
            "linux1804-64-asan",
            "linux32",
            "macosx1015-64",
            "windows10-64",
            "linux32"
        ])
    );
    assert_eq!(
        tests_of("try: -b o -u gtest[x,-x]", "unittests"),
        json!([{"test": "gtest", "platforms": []}])
    );
    assert_eq!(
        tests_of("try: -b o -u gtest[a,a]", "unittests")[0]["platforms"],
        json!(["a", "a"])
    );
    assert_eq!(
        tests_of("try: -b o -u gtest[- a]", "unittests")[0]["platforms"]
            .as_array()
            .unwrap()
            .len(),
        6
    );
    assert_eq!(
        tests_of("try: -b o -u gtest[-Ubuntu]", "unittests")[0]["platforms"],
        json!(["android-em-7.0-x86_64", "macosx1015-64", "windows10-64"])
    );
}

#[test]
fn empty_bracket_items_are_errors() {
    for v in [
        "gtest[]",
        "gtest[a,]",
        "gtest[ ]",
        "gtest[-]",
        "x,gtest[,a]",
    ] {
        let text = format!("try: -b o -u {v}");
        assert_eq!(
            error(&text),
            ("resolve:empty-platform-item".into(), json!(13)),
            "{v}"
        );
    }
}

#[test]
fn malformed_brackets_are_errors() {
    for v in [
        "gtest]",
        "gtest[a[b]",
        "gtest[a",
        "gtest[a]x",
        "gtest[a][b]",
        "a[b],c]",
    ] {
        let text = format!("try: -b o -u {v}");
        assert_eq!(
            error(&text),
            ("resolve:bad-brackets".into(), json!(13)),
            "{v}"
        );
    }
    assert_eq!(
        tests_of("try: -b o -u 'gtest[a] ,x'", "unittests")
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert_eq!(
        error("try: -b o -u gtest[] -t a]").0,
        "resolve:empty-platform-item"
    );
    assert_eq!(error("try: -b o -u 'gtest[],x]'").0, "resolve:bad-brackets");
}

#[test]
fn all_first_expands_to_every_name_with_its_platforms() {
    let v = tests_of("try: -b o -t all[linux32],tp5o[x]", "talos");
    assert_eq!(v.as_array().unwrap().len(), 6);
    assert!(
        v.as_array()
            .unwrap()
            .iter()
            .all(|e| e["platforms"] == json!(["linux32"]))
    );
    assert_eq!(
        tests_of("try: -b o -t tp5o,all", "talos"),
        json!([{"test": "all"}, {"test": "tp5o"}])
    );
    assert_eq!(
        error("try: -b o -t all,x[]").0,
        "resolve:empty-platform-item"
    );
    assert_eq!(
        tests_of("try: -b o -t ' all '", "talos")
            .as_array()
            .unwrap()
            .len(),
        6
    );
}

#[test]
fn chunks_join_the_first_entry_for_their_base() {
    assert_eq!(
        tests_of("try: -b o -u gtest-1[a],gtest-3[b],gtest-1", "unittests"),
        json!([{"test": "gtest", "platforms": ["a"], "only_chunks": ["1", "3"]}])
    );
    assert_eq!(
        tests_of("try: -b o -u gtest-1,gtest", "unittests"),
        json!([{"test": "gtest"}])
    );
    assert_eq!(
        tests_of("try: -b o -u gtest,gtest-1", "unittests"),
        json!([{"test": "gtest", "only_chunks": ["1"]}])
    );
    assert_eq!(
        tests_of("try: -b o -u gtest-1,gtest,gtest-2", "unittests"),
        json!([{"test": "gtest"}])
    );
    assert_eq!(
        tests_of("try: -b o -u x-01,x-1", "unittests"),
        json!([{"test": "x", "only_chunks": ["01", "1"]}])
    );
    assert_eq!(
        tests_of("try: -b o -u a-1-2", "unittests"),
        json!([{"test": "a-1", "only_chunks": ["2"]}])
    );
}

#[test]
fn aliases_expand_to_matching_graph_names() {
    assert_eq!(
        tests_of("try: -b o -u mochitest-bc[linux32]", "unittests"),
        json!([{"test": "mochitest-browser-chrome", "platforms": ["linux32"]},
               {"test": "mochitest-browser-chrome-e10s", "platforms": ["linux32"]}])
    );
    assert_eq!(
        tests_of("try: -b o -u mochitest-chrome", "unittests"),
        json!([{"test": "mochitest-chrome"}])
    );
    assert_eq!(
        tests_of("try: -b o -u e10s", "unittests"),
        json!([
        {"test": "crashtest-e10s"}, {"test": "mochitest-browser-chrome-e10s"}])
    );
    assert_eq!(
        tests_of("try: -b o -u jittests", "unittests"),
        json!([{"test": "jittest"}])
    );
    assert_eq!(
        tests_of("try: -b o -u mochitest-gl", "unittests"),
        json!([
        {"test": "mochitest-webgl1-core"}, {"test": "mochitest-webgl2-ext"}])
    );
    assert_eq!(
        tests_of("try: -b o -u mochitest-vg", "unittests"),
        json!([])
    );
    assert_eq!(tests_of("try: -b o -t mochitest", "talos"), json!([]));
    assert_eq!(
        tests_of("try: -b o -u notanalias", "unittests"),
        json!([{"test": "notanalias"}])
    );
}

#[test]
fn the_last_entry_for_a_name_wins() {
    assert_eq!(
        tests_of("try: -b o -u gtest[a],gtest[b]", "unittests"),
        json!([{"test": "gtest", "platforms": ["b"]}])
    );
    assert_eq!(
        tests_of("try: -b o -u gtest[a],gtest", "unittests"),
        json!([{"test": "gtest"}])
    );
}

#[test]
fn results_are_sorted_by_byte_order() {
    let v = tests_of("try: -b o -u b,B,a,_", "unittests");
    let names: Vec<&str> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["test"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["B", "_", "a", "b"]);
}

#[test]
fn all_sends_graph_names_through_chunks_and_aliases() {
    let mut ctx = context();
    ctx.unittest_try_names = vec!["foo-2".into(), "mochitest-bc".into()];
    let v = run(Input::Message("try: -b o"), Some(&ctx));
    assert_eq!(
        v["resolved"]["unittests"],
        json!([{"test": "foo", "only_chunks": ["2"]}])
    );
}

#[test]
fn jobs_resolve() {
    assert_eq!(resolved("try: -j ' a , b '")["jobs"], json!(["a", "b"]));
    assert_eq!(resolved("try: -j all")["jobs"], Value::Null);
    assert_eq!(
        resolved("try: -j none -j none")["jobs"],
        json!(["none", "none"])
    );
    assert_eq!(resolved("try: -j ' none'")["jobs"], json!(["none"]));
}

#[test]
fn context_from_yaml_and_bad_contexts() {
    let ctx = Context::from_text(
        "ctx.yml",
        "build_types: [opt]\nridealong_builds:\n  linux: [a]\n",
    )
    .unwrap();
    assert_eq!(ctx.build_types, ["opt"]);
    assert!(Context::from_text("c.json", r#"{"nope": []}"#).is_err());
    assert!(Context::from_text("c.json", r#"{"build_types": "opt"}"#).is_err());
    assert!(Context::from_text("c.yaml", "build_types: {a: 1}").is_err());
}

//! The scope library (queue-api.md §6) against every vector of scope-examples.json, in the
//! library and through `tc scopes`; the command's output and exit statuses; and properties over
//! random scopes and expressions.

use crate::common::{self, Test};

use proptest::prelude::*;
use serde_json::{Value, json};
use tc_api::scopes::{self, Expression};

fn vectors() -> Value {
    let text = std::fs::read_to_string(common::fixture("scope-examples.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn section(name: &str, at_least: usize) -> Vec<Value> {
    let list = vectors()[name].as_array().cloned().unwrap_or_default();
    assert!(list.len() >= at_least, "{name} has {} vectors", list.len());
    list
}

fn strings(value: &Value) -> Vec<String> {
    serde_json::from_value(value.clone()).unwrap()
}

/// Runs `tc` and returns its exit status, stdout and stderr.
fn run(args: &[&str]) -> (Option<i32>, String, String) {
    let out = Test::new().args(args).any_status().run();
    (out.status, out.stdout, out.stderr)
}

fn run_json(args: &[&str]) -> (Option<i32>, Value) {
    // `tc scopes <subcommand> --format json …`: the format belongs to the subcommand.
    let mut all = args[..2].to_vec();
    all.extend(["--format", "json"]);
    all.extend_from_slice(&args[2..]);
    let (code, out, err) = run(&all);
    let doc = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out:?} {err}"));
    (code, doc)
}

/// The EXPRESSION argument for a vector's `required`: the scope itself, or its JSON.
fn expression_arg(required: &Value) -> String {
    match required {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

// --- the shared vectors ---

#[test]
fn the_shared_vectors_are_the_ones_tested() {
    let shared = common::root().join("../shared/spec/scope-examples.json");
    if let Ok(text) = std::fs::read_to_string(shared) {
        let shared: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(
            shared,
            vectors(),
            "tests/fixtures/scope-examples.json is out of date: copy ../shared/spec/scope-examples.json"
        );
    }
}

#[test]
fn every_section_of_the_vectors_is_tested() {
    let doc = vectors();
    let mut keys: Vec<&str> = doc
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "description",
            "merge",
            "normalize",
            "reference",
            "satisfaction",
            "valid_scope"
        ],
        "a new section needs a test here"
    );
}

#[test]
fn satisfaction_vectors_pass_in_the_library() {
    for v in section("satisfaction", 13) {
        let granted = strings(&v["granted"]);
        let required = Expression::from_json(&v["required"]).unwrap();
        let expect = v["expect"].as_bool().unwrap();
        assert_eq!(required.satisfied_by(&granted), expect, "{}", v["id"]);
        assert_eq!(
            required.unsatisfied(&granted).is_none(),
            expect,
            "{}",
            v["id"]
        );
    }
}

#[test]
fn satisfaction_vectors_pass_through_tc_scopes_satisfies() {
    for v in section("satisfaction", 13) {
        let have = v["granted"].to_string();
        let expression = expression_arg(&v["required"]);
        let (code, doc) = run_json(&["scopes", "satisfies", "--have-json", &have, &expression]);
        let expect = v["expect"].as_bool().unwrap();
        assert_eq!(code, Some(i32::from(!expect)), "{}", v["id"]);
        assert_eq!(doc["satisfied"], json!(expect), "{}", v["id"]);
        assert_eq!(doc["unsatisfied"].is_null(), expect, "{}: {doc}", v["id"]);
    }
}

#[test]
fn normalize_vectors_pass_in_the_library_and_through_tc() {
    for v in section("normalize", 3) {
        let input = strings(&v["input"]);
        let want = strings(&v["normalized"]);
        assert_eq!(scopes::normalize(&input), want, "{}", v["id"]);
        let mut args = vec!["scopes", "normalize"];
        args.extend(input.iter().map(String::as_str));
        let (code, doc) = run_json(&args);
        assert_eq!(code, Some(0), "{}", v["id"]);
        assert_eq!(doc, json!({ "normalized": want }), "{}", v["id"]);
    }
}

#[test]
fn merge_vectors_pass_in_the_library_and_through_tc() {
    for v in section("merge", 2) {
        let (a, b) = (strings(&v["a"]), strings(&v["b"]));
        let want = strings(&v["merged"]);
        assert_eq!(scopes::merge(&a, &b), want, "{}", v["id"]);
        let mut args = vec!["scopes", "normalize", "--have-json"];
        let b_json = v["b"].to_string();
        args.push(&b_json);
        args.extend(a.iter().map(String::as_str));
        let (code, doc) = run_json(&args);
        assert_eq!(code, Some(0), "{}", v["id"]);
        assert_eq!(doc, json!({ "normalized": want }), "{}", v["id"]);
    }
}

#[test]
fn valid_scope_vectors_pass_in_the_library_and_through_tc() {
    for v in section("valid_scope", 2) {
        let scope = v["scope"].as_str().unwrap();
        let valid = v["valid"].as_bool().unwrap();
        assert_eq!(scopes::valid(scope), valid, "{}", v["id"]);
        let (code, _, _) = run(&["scopes", "normalize", scope]);
        assert_eq!(code, Some(if valid { 0 } else { 2 }), "{}", v["id"]);
        let (code, _, _) = run(&["scopes", "satisfies", "--have", "*", scope]);
        assert_eq!(code, Some(if valid { 0 } else { 2 }), "{}", v["id"]);
    }
}

// --- tc scopes satisfies ---

#[test]
fn satisfies_prints_satisfied_and_exits_0() {
    let (code, out, err) = run(&["scopes", "satisfies", "--have", "queue:*", "queue:ping"]);
    assert_eq!(
        (code, out.as_str(), err.as_str()),
        (Some(0), "satisfied\n", "")
    );
}

#[test]
fn not_satisfied_prints_the_missing_part_on_one_line_and_exits_1() {
    let (code, out, _) = run(&[
        "scopes",
        "satisfies",
        "--have",
        "a",
        r#"{"AllOf": ["a", "b", {"AnyOf": ["c", "d"]}]}"#,
    ]);
    assert_eq!(code, Some(1));
    assert_eq!(
        out,
        "not satisfied: {\"AllOf\":[\"b\",{\"AnyOf\":[\"c\",\"d\"]}]}\n"
    );
}

#[test]
fn unsatisfied_has_remove_given_scopes_shape() {
    let cases = [
        // One missing scope of an AllOf: just that scope.
        (json!(["a"]), json!({"AllOf": ["a", "b"]}), json!("b")),
        // An AnyOf none of whose branches holds keeps its simplified branches.
        (
            json!(["a"]),
            json!({"AnyOf": [{"AllOf": ["a", "b"]}, "c"]}),
            json!({"AnyOf": ["b", "c"]}),
        ),
        // An empty AnyOf stays, even for `*`.
        (json!(["*"]), json!({"AnyOf": []}), json!({"AnyOf": []})),
        // A plain scope comes back as the scope.
        (json!([]), json!("queue:route:x"), json!("queue:route:x")),
    ];
    for (have, expression, want) in cases {
        let (code, doc) = run_json(&[
            "scopes",
            "satisfies",
            "--have-json",
            &have.to_string(),
            &expression_arg(&expression),
        ]);
        assert_eq!(code, Some(1));
        assert_eq!(
            doc,
            json!({"satisfied": false, "unsatisfied": want}),
            "{expression}"
        );
    }
}

#[test]
fn the_create_task_vector_leaves_the_priority_anyof_unsatisfied() {
    let v = section("satisfaction", 13)
        .into_iter()
        .find(|v| v["id"] == "createTask-only-lowest-granted")
        .unwrap();
    let (code, doc) = run_json(&[
        "scopes",
        "satisfies",
        "--have-json",
        &v["granted"].to_string(),
        &v["required"].to_string(),
    ]);
    assert_eq!(code, Some(1));
    let anyof = v["required"]["AllOf"].as_array().unwrap().last().unwrap();
    assert_eq!(doc["unsatisfied"], *anyof);
}

#[test]
fn satisfied_json_has_null_unsatisfied() {
    let (code, doc) = run_json(&["scopes", "satisfies", "--have", "*", ""]);
    assert_eq!(code, Some(0));
    assert_eq!(doc, json!({"satisfied": true, "unsatisfied": null}));
}

#[test]
fn have_and_have_json_are_united() {
    let expression = r#"{"AllOf": ["a", "b"]}"#;
    let (code, _, _) = run(&[
        "scopes",
        "satisfies",
        "--have",
        "a",
        "--have-json",
        r#"["b"]"#,
        expression,
    ]);
    assert_eq!(code, Some(0));
    let (code, _, _) = run(&["scopes", "satisfies", "--have", "a", expression]);
    assert_eq!(code, Some(1));
}

#[test]
fn no_scopes_satisfy_only_what_needs_none() {
    assert_eq!(run(&["scopes", "satisfies", r#"{"AllOf": []}"#]).0, Some(0));
    assert_eq!(run(&["scopes", "satisfies", "queue:ping"]).0, Some(1));
}

#[test]
fn scopes_may_start_with_a_hyphen() {
    let (code, out, _) = run(&["scopes", "satisfies", "--have", "-x*", "-xy"]);
    assert_eq!((code, out.as_str()), (Some(0), "satisfied\n"));
    let (code, out, _) = run(&["scopes", "normalize", "--", "-b", "-a"]);
    assert_eq!((code, out.as_str()), (Some(0), "-a\n-b\n"));
}

#[test]
fn bad_input_exits_2_with_a_message_naming_it() {
    let cases: [(&[&str], &str); 6] = [
        (&["--have", "tab\there", "x"], "\"tab\\there\""),
        (&["--have", "a", "caf\u{e9}"], "\"caf\u{e9}\""),
        (&[r#"{"AllOf": [], "AnyOf": []}"#], "exactly one key"),
        (&[r#"{"AllOf": ["a", 7]}"#], "/AllOf/1"),
        (&["{not json"], "not JSON"),
        (&["--have-json", r#"{"a": 1}"#, "x"], "--have-json"),
    ];
    for (args, needle) in cases {
        let mut all = vec!["scopes", "satisfies"];
        all.extend_from_slice(args);
        let (code, out, err) = run(&all);
        assert_eq!(code, Some(2), "{args:?}: {err}");
        assert!(out.is_empty(), "{args:?}: {out}");
        assert!(err.contains(needle), "{args:?}: {err}");
    }
}

// --- tc scopes normalize ---

#[test]
fn normalize_prints_one_scope_per_line() {
    let (code, out, _) = run(&[
        "scopes",
        "normalize",
        "b",
        "a*",
        "ab",
        "b",
        "--have-json",
        r#"["c"]"#,
    ]);
    assert_eq!((code, out.as_str()), (Some(0), "a*\nb\nc\n"));
}

#[test]
fn normalize_of_nothing_prints_nothing() {
    let (code, out, _) = run(&["scopes", "normalize"]);
    assert_eq!((code, out.as_str()), (Some(0), ""));
    assert_eq!(
        run_json(&["scopes", "normalize"]),
        (Some(0), json!({"normalized": []}))
    );
}

#[test]
fn normalize_refuses_invalid_scopes_with_exit_2() {
    let (code, out, err) = run(&[
        "scopes",
        "normalize",
        "ok",
        "--have-json",
        r#"["new\nline"]"#,
    ]);
    assert_eq!(code, Some(2));
    assert!(out.is_empty());
    assert!(err.contains("not a valid scope"), "{err}");
}

#[test]
fn yaml_is_the_same_document() {
    let (code, out, _) = run(&["scopes", "normalize", "--format", "yaml", "b", "a"]);
    assert_eq!(code, Some(0));
    assert!(
        out.contains("normalized:") && out.contains("- a") && out.contains("- b"),
        "{out}"
    );
}

#[test]
fn graph_only_formats_are_refused() {
    assert_eq!(
        run(&["--format", "dot", "scopes", "normalize", "a"]).0,
        Some(2)
    );
}

// --- properties ---

/// Scopes over a tiny alphabet, so that prefixes, stars and duplicates meet often.
fn scope() -> impl Strategy<Value = String> {
    "[ab:*]{0,5}"
}

fn scope_set() -> impl Strategy<Value = Vec<String>> {
    prop::collection::vec(scope(), 0..8)
}

fn expression() -> impl Strategy<Value = Expression> {
    scope()
        .prop_map(Expression::Scope)
        .prop_recursive(4, 32, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Expression::AllOf),
                prop::collection::vec(inner, 0..4).prop_map(Expression::AnyOf),
            ]
        })
}

/// Any JSON at all, to feed the expression reader.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<String>().prop_map(Value::from),
        scope().prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 32, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
            prop::collection::vec((prop_oneof!["AllOf", "AnyOf", ".*"], inner), 0..3)
                .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

proptest! {
    #[test]
    fn nothing_panics_on_any_strings(a in any::<String>(), b in any::<String>(), set in prop::collection::vec(any::<String>(), 0..6)) {
        let _ = scopes::valid(&a);
        let _ = scopes::satisfies(&a, &b);
        let _ = scopes::compare(&a, &b);
        let _ = scopes::normalize(&set);
        let _ = scopes::merge(&set, std::slice::from_ref(&a));
    }

    #[test]
    fn reading_any_json_never_panics_and_round_trips(value in json_value()) {
        if let Ok(expr) = Expression::from_json(&value) {
            prop_assert_eq!(expr.to_json(), value);
        }
    }

    #[test]
    fn unsatisfied_is_none_exactly_when_satisfied(expr in expression(), have in scope_set()) {
        prop_assert_eq!(expr.unsatisfied(&have).is_none(), expr.satisfied_by(&have));
    }

    #[test]
    fn unsatisfied_still_needs_what_the_expression_needs(expr in expression(), have in scope_set(), more in scope_set()) {
        // With any further scopes, the missing part holds exactly when the whole does.
        if let Some(missing) = expr.unsatisfied(&have) {
            let both: Vec<String> = have.iter().chain(&more).cloned().collect();
            prop_assert_eq!(missing.satisfied_by(&both), expr.satisfied_by(&both));
        }
    }

    #[test]
    fn compare_is_a_total_order(a in scope(), b in scope(), c in scope()) {
        use std::cmp::Ordering::*;
        prop_assert_eq!(scopes::compare(&a, &b), scopes::compare(&b, &a).reverse());
        prop_assert_eq!(scopes::compare(&a, &b) == Equal, a == b);
        if scopes::compare(&a, &b) != Greater && scopes::compare(&b, &c) != Greater {
            prop_assert_ne!(scopes::compare(&a, &c), Greater);
        }
    }

    #[test]
    fn a_star_scope_sorts_before_what_it_satisfies(a in scope(), b in scope()) {
        if a != b && a.ends_with('*') && scopes::satisfies(&a, &b) && !scopes::satisfies(&b, &a) {
            prop_assert_eq!(scopes::compare(&a, &b), std::cmp::Ordering::Less);
        }
    }

    #[test]
    fn normalize_keeps_meaning_and_drops_every_covered_scope(set in scope_set(), probe in scope()) {
        let normal = scopes::normalize(&set);
        for pair in normal.windows(2) {
            prop_assert_eq!(scopes::compare(&pair[0], &pair[1]), std::cmp::Ordering::Less);
        }
        for (i, s) in normal.iter().enumerate() {
            prop_assert!(set.contains(s));
            for (j, t) in normal.iter().enumerate() {
                prop_assert!(i == j || !scopes::satisfies(t, s), "{t} covers {s} in {normal:?}");
            }
        }
        for s in &set {
            prop_assert!(scopes::any_satisfies(&normal, s), "{s} lost from {normal:?}");
        }
        prop_assert_eq!(scopes::any_satisfies(&normal, &probe), scopes::any_satisfies(&set, &probe));
        prop_assert_eq!(scopes::normalize(&normal), normal);
    }

    #[test]
    fn merge_is_commutative_and_the_normalised_union(a in scope_set(), b in scope_set()) {
        let union: Vec<String> = a.iter().chain(&b).cloned().collect();
        prop_assert_eq!(scopes::merge(&a, &b), scopes::normalize(&union));
        prop_assert_eq!(scopes::merge(&a, &b), scopes::merge(&b, &a));
    }
}

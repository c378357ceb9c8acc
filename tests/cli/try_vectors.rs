//! Every vector of try-examples.json through the real binary (`tc try parse --message ...
//! --context ... --format json`), compared with the contract's comparison rules.

use crate::common::{self, Test};

use serde_json::{Value, json};

fn vectors() -> Value {
    let text = std::fs::read_to_string(common::fixture("try-examples.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// Sorts `platforms` and `only_chunks` inside test entries, as the comparison rules allow.
fn normalise_entries(resolved: &mut Value) {
    for key in ["unittests", "talos", "raptor"] {
        for entry in resolved[key].as_array_mut().into_iter().flatten() {
            for field in ["platforms", "only_chunks"] {
                if let Some(list) = entry.get_mut(field).and_then(Value::as_array_mut) {
                    list.sort_by_key(std::string::ToString::to_string);
                }
            }
        }
    }
}

#[test]
fn the_shared_vectors_are_the_ones_tested() {
    let shared = common::root().join("../shared/spec/try-examples.json");
    if let Ok(text) = std::fs::read_to_string(shared) {
        let shared: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(
            shared,
            vectors(),
            "tests/fixtures/try-examples.json is out of date: copy ../shared/spec/try-examples.json"
        );
    }
}

#[test]
fn every_vector_passes() {
    let doc = vectors();
    let mut failures = Vec::new();
    let vectors = doc["vectors"].as_array().unwrap();
    assert!(vectors.len() >= 26);
    for v in vectors {
        let mut ctx = doc["context"].clone();
        if let Some(over) = v.get("context_override").and_then(Value::as_object) {
            for (k, val) in over {
                ctx[k] = val.clone();
            }
        }
        let out = Test::new()
            .file("ctx.json", ctx.to_string())
            .args(["try", "parse", "--format", "json", "--context", "ctx.json"])
            .args(["--message", v["input"].as_str().unwrap()])
            .any_status()
            .run();
        let got: Value = serde_json::from_str(&out.stdout).unwrap_or(Value::Null);
        let expect = &v["expect"];
        let id = v["id"].as_str().unwrap();
        if expect["ok"] == json!(false) {
            let kind = &expect["error"]["kind"];
            if out.status != Some(2) || &got["error"]["kind"] != kind {
                failures.push(format!(
                    "{id}: expected {kind}, got {got} (exit {:?})",
                    out.status
                ));
            }
            continue;
        }
        let mut want_resolved = expect["resolved"].clone();
        let mut got_resolved = got["resolved"].clone();
        normalise_entries(&mut want_resolved);
        normalise_entries(&mut got_resolved);
        let ok = out.status == Some(0)
            && got["try_found"] == expect["try_found"]
            && got["raw"] == expect["raw"]
            && got_resolved == want_resolved;
        if !ok {
            failures.push(format!("{id}: expected {expect}\n  got {got}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

//! `task-defaults` under a task (taskgraph.md §1.5): the defaults are copied, then the task is
//! laid over them key by key; the first rule that applies wins.

use super::keyed::keyed_by;
use super::yaml::{Node, Value};

/// Python's type of a value, as taskgraph's merge compares them (bool, int, float and null are
/// all different).
fn python_type(v: &Value) -> u8 {
    match v {
        Value::Null => 0,
        Value::Bool(_) => 1,
        Value::Int(_) | Value::BigInt(_) => 2,
        Value::Float(_) => 3,
        Value::Str(_) => 4,
        Value::Date(_) => 5,
        Value::Seq(_) => 6,
        Value::Map(_) => 7,
    }
}

/// `task` over `defaults`.
pub fn merge(defaults: &Node, task: &Node) -> Node {
    // 1. A keyed-by task value replaces the default; 2. so does a value of another type.
    if keyed_by(task).is_some() || python_type(&defaults.value) != python_type(&task.value) {
        return task.clone();
    }
    match (&defaults.value, &task.value) {
        // 3. Two mappings merge key by key, the defaults' keys first.
        (Value::Map(base), Value::Map(over)) => {
            let mut out: Vec<(Node, Node)> = base.clone();
            for (k, v) in over {
                match out.iter_mut().find(|(bk, _)| bk.value == k.value) {
                    Some((_, existing)) => *existing = merge(existing, v),
                    None => out.push((k.clone(), v.clone())),
                }
            }
            Node {
                value: Value::Map(out),
                span: task.span.clone(),
            }
        }
        // 4. Two lists concatenate, defaults first (so task scopes follow default scopes).
        (Value::Seq(base), Value::Seq(over)) => Node {
            value: Value::Seq(base.iter().chain(over).cloned().collect()),
            span: task.span.clone(),
        },
        // 5. Otherwise the task wins.
        _ => task.clone(),
    }
}

/// [`merge`] that takes the task by value: its parts are moved into the result, not copied
/// (the loader merges every task of a kind once, and owns it).
pub fn merge_owned(defaults: &Node, task: Node) -> Node {
    if keyed_by(&task).is_some() || python_type(&defaults.value) != python_type(&task.value) {
        return task;
    }
    let Node { value, span } = task;
    let value = match (&defaults.value, value) {
        (Value::Map(base), Value::Map(over)) => {
            // The defaults' keys first, merged with the task's value for the same key; then the
            // task's other keys. Its keys are unique, so none meets an earlier task key.
            let mut over: Vec<Option<(Node, Node)>> = over.into_iter().map(Some).collect();
            let mut out = Vec::with_capacity(base.len() + over.len());
            for (bk, bv) in base {
                let mine = over
                    .iter_mut()
                    .find(|o| o.as_ref().is_some_and(|(k, _)| k.value == bk.value))
                    .and_then(Option::take);
                out.push(match mine {
                    Some((_, v)) => (bk.clone(), merge_owned(bv, v)),
                    None => (bk.clone(), bv.clone()),
                });
            }
            out.extend(over.into_iter().flatten());
            Value::Map(out)
        }
        (Value::Seq(base), Value::Seq(over)) => {
            let mut out = Vec::with_capacity(base.len() + over.len());
            out.extend(base.iter().cloned());
            out.extend(over);
            Value::Seq(out)
        }
        (_, value) => value,
    };
    Node { value, span }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::load;

    fn merged(defaults: &str, task: &str) -> serde_json::Value {
        let d = load("d.yml", defaults).unwrap().node;
        let t = load("t.yml", task).unwrap().node;
        let merged = merge(&d, &t).to_json().unwrap();
        assert_eq!(merge_owned(&d, t).to_json().unwrap(), merged);
        merged
    }

    #[test]
    fn every_rule_in_order() {
        // Mappings merge recursively; lists concatenate, defaults first.
        assert_eq!(
            merged(
                "{worker: {env: {A: '1'}, max-run-time: 10}, scopes: [a]}",
                "{worker: {env: {B: '2'}}, scopes: [b]}"
            ),
            serde_json::json!({"worker": {"env": {"A": "1", "B": "2"}, "max-run-time": 10}, "scopes": ["a", "b"]})
        );
        // A keyed-by task value replaces a mapping default instead of merging into it.
        assert_eq!(
            merged(
                "{x: {by-level: {'3': a, default: b}}}",
                "{x: {by-project: {default: c}}}"
            ),
            serde_json::json!({"x": {"by-project": {"default": "c"}}})
        );
        // A keyed-by default overlaid by a plain mapping becomes a two-key mapping.
        assert_eq!(
            merged("{x: {by-level: {default: b}}}", "{x: {y: 1}}"),
            serde_json::json!({"x": {"by-level": {"default": "b"}, "y": 1}})
        );
        // Different Python types: the task wins (true is not 1, 1 is not 1.0, null is a type).
        assert_eq!(
            merged("{a: 1}", "{a: true}"),
            serde_json::json!({"a": true})
        );
        assert_eq!(merged("{a: 1}", "{a: 1.5}"), serde_json::json!({"a": 1.5}));
        assert_eq!(
            merged("{a: [1]}", "{a: null}"),
            serde_json::json!({"a": null})
        );
        assert_eq!(
            merged("{a: {b: 1}}", "{a: [1]}"),
            serde_json::json!({"a": [1]})
        );
        // Scalars of one type: the task wins.
        assert_eq!(
            merged("{a: x, b: y}", "{a: z}"),
            serde_json::json!({"a": "z", "b": "y"})
        );
    }
}

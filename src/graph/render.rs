//! Graph output (taskgraph.md §4.7, §6): JSON as Python's `json.dumps(sort_keys=True,
//! indent=2)` writes it, labels, and dot.

use std::fmt::Write as _;

use serde_json::Value;

/// `value` as `json.dumps(value, sort_keys=True, indent=2)`: keys sorted by code point,
/// `", "`-free separators with newlines, non-ASCII escaped, floats as Python's `repr`.
pub fn python_json(value: &Value) -> String {
    let mut out = String::new();
    write_value(&mut out, value, 0);
    out
}

fn indent(out: &mut String, level: usize) {
    out.push('\n');
    for _ in 0..level {
        out.push_str("  ");
    }
}

fn write_value(out: &mut String, value: &Value, level: usize) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => match n.as_f64().filter(|_| n.is_f64()) {
            Some(f) => out.push_str(&python_float(f)),
            None => {
                let _ = write!(out, "{n}");
            }
        },
        Value::String(s) => write_string(out, s),
        Value::Array(items) if items.is_empty() => out.push_str("[]"),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                indent(out, level + 1);
                write_value(out, item, level + 1);
            }
            indent(out, level);
            out.push(']');
        }
        Value::Object(map) if map.is_empty() => out.push_str("{}"),
        Value::Object(map) => {
            // Python sorts str keys by code point; Rust's str order is byte order, which is the
            // same for UTF-8.
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, k) in keys.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                indent(out, level + 1);
                write_string(out, k);
                out.push_str(": ");
                write_value(out, &map[*k], level + 1);
            }
            indent(out, level);
            out.push('}');
        }
    }
}

/// A string with Python's `ensure_ascii` escapes (`/` is not escaped).
fn write_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{08}' => out.push_str("\\b"),
            '\u{0c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 || (c as u32) >= 0x7f => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    let _ = write!(out, "\\u{unit:04x}");
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// A float as `json.dumps` writes it: Python's `repr`, except the non-finite ones.
fn python_float(f: f64) -> String {
    if f.is_nan() {
        "NaN".into()
    } else if f.is_infinite() {
        if f > 0.0 {
            "Infinity".into()
        } else {
            "-Infinity".into()
        }
    } else {
        super::yaml::python_float_repr(f)
    }
}

/// `digraph taskgraph { … }`: one line per node and per edge, sorted, with `"` and `\` escaped.
pub fn dot(nodes: &[String], edges: &[(String, String, String)]) -> String {
    let esc = |s: &str| s.replace('\\', "\\\\").replace('"', "\\\"");
    let mut lines: Vec<String> = nodes.iter().map(|n| format!("  \"{}\";", esc(n))).collect();
    lines.sort();
    let mut edge_lines: Vec<String> = edges
        .iter()
        .map(|(from, to, name)| {
            format!(
                "  \"{}\" -> \"{}\" [label=\"{}\"];",
                esc(from),
                esc(to),
                esc(name)
            )
        })
        .collect();
    edge_lines.sort();
    let mut out = String::from("digraph taskgraph {\n");
    for l in lines.into_iter().chain(edge_lines) {
        out.push_str(&l);
        out.push('\n');
    }
    out.push_str("}\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn json_is_written_as_python_writes_it() {
        let v =
            json!({"b": [1, 2.5, {}], "a": {"x": null, "é": "caf\u{e9} \u{1f600}/\n"}, "c": []});
        assert_eq!(
            python_json(&v),
            "{\n  \"a\": {\n    \"x\": null,\n    \"\\u00e9\": \"caf\\u00e9 \\ud83d\\ude00/\\n\"\n  },\n  \"b\": [\n    1,\n    2.5,\n    {}\n  ],\n  \"c\": []\n}"
        );
    }

    #[test]
    fn floats_as_python_repr() {
        for (f, repr) in [
            (1.0, "1.0"),
            (0.1, "0.1"),
            (6.02e23, "6.02e+23"),
            (1e16, "1e+16"),
            (1e-7, "1e-07"),
            (0.0001, "0.0001"),
            (-2.5, "-2.5"),
            (123456789.0, "123456789.0"),
        ] {
            assert_eq!(python_float(f), repr, "{f}");
        }
    }

    #[test]
    fn dot_is_sorted_and_escaped() {
        let out = dot(
            &["b".into(), "a\"q".into()],
            &[("b".into(), "a\"q".into(), "dep".into())],
        );
        assert_eq!(
            out,
            "digraph taskgraph {\n  \"a\\\"q\";\n  \"b\";\n  \"b\" -> \"a\\\"q\" [label=\"dep\"];\n}\n"
        );
    }
}

//! Reading a task document: YAML 1.2 or JSON into a JSON value, with the file, line and
//! column of any syntax error (worker.md §2.2).

use serde_json::Value;

/// A document that could not be read, with where and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentError {
    pub message: String,
}

impl std::fmt::Display for DocumentError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// Parses `text` as JSON when `name` ends in `.json`, else as YAML 1.2 (which also accepts
/// JSON). One document whose top level is a mapping.
pub fn parse(name: &str, text: &str) -> Result<Value, DocumentError> {
    let at = |line: u64, col: u64, msg: &str| DocumentError {
        message: format!("{name}:{line}:{col}: {msg}"),
    };
    let value = if name.ends_with(".json") {
        serde_json::from_str::<Value>(text).map_err(|e| {
            let msg = e.to_string();
            let msg = msg.split(" at line ").next().unwrap_or(&msg).to_owned();
            at(e.line() as u64, e.column() as u64, &msg)
        })?
    } else {
        let mut options = serde_saphyr::options::Options::default();
        options.with_snippet = false;
        // YAML 1.2: `yes`, `no`, `on` and `off` are strings, as they are for the queue.
        options.strict_booleans = true;
        serde_saphyr::from_str_with_options::<Value>(text, options).map_err(|e| {
            let msg = e.to_string();
            match e.location() {
                Some(loc) => {
                    let msg = msg.split(" at line ").next().unwrap_or(&msg);
                    at(loc.line(), loc.column(), msg)
                }
                None => DocumentError {
                    message: format!("{name}: {msg}"),
                },
            }
        })?
    };
    if !value.is_object() {
        return Err(at(
            1,
            1,
            "the top level must be a mapping of task definition keys",
        ));
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_errors_carry_file_line_and_column() {
        let e = parse("task.yml", "payload:\n  command: [a, b\n  x: 1\n").unwrap_err();
        assert!(e.message.starts_with("task.yml:3:"), "{}", e.message);
        let e = parse("task.yml", "a: 1\n---\nb: 2\n").unwrap_err();
        assert!(e.message.starts_with("task.yml:3:1:"), "{}", e.message);
        let e = parse("task.yml", "- 1\n").unwrap_err();
        assert!(e.message.contains("mapping"), "{}", e.message);
    }

    #[test]
    fn json_errors_carry_file_line_and_column() {
        let e = parse("task.json", "{\n  \"a\": 1,\n}").unwrap_err();
        assert!(e.message.starts_with("task.json:3:1:"), "{}", e.message);
    }

    #[test]
    fn yaml_is_1_2() {
        let v = parse("t.yml", "a: yes\nb: on\nc: true\n").unwrap();
        assert_eq!(v, serde_json::json!({"a": "yes", "b": "on", "c": true}));
    }
}

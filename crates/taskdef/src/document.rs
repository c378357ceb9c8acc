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
                    match unclosed_flow_opener(text, loc.line(), loc.column()) {
                        Some(open) => at(
                            open.line,
                            open.column,
                            &format!(
                                "this '{}' is not closed (the parser stopped at line {} column {}: {msg})",
                                open.bracket,
                                loc.line(),
                                loc.column()
                            ),
                        ),
                        None => at(loc.line(), loc.column(), msg),
                    }
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

/// A `[` or `{` of a YAML flow collection and where it is (1-based).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FlowOpener {
    pub line: u64,
    pub column: u64,
    pub bracket: char,
}

/// The innermost flow `[` or `{` still open at `line:column` when it was opened on an earlier
/// line. The parser reports an unclosed bracket only where the next line stops making sense
/// (often as "illegal placement of ':'"); the bracket is the mistake to show. A light scan:
/// it skips quoted scalars, comments and block scalars, and takes brackets in block context
/// only where a value can start.
pub(crate) fn unclosed_flow_opener(text: &str, line: u64, column: u64) -> Option<FlowOpener> {
    let mut scan = FlowScan::default();
    for (ln, row) in (1u64..).zip(text.lines()) {
        if ln > line {
            break;
        }
        let stop = (ln == line).then_some(column);
        scan.line(ln, row, stop);
    }
    scan.open.last().copied().filter(|o| o.line < line)
}

#[derive(Default)]
struct FlowScan {
    open: Vec<FlowOpener>,
    /// The quote character of a quoted scalar that continues on the next line.
    quote: Option<char>,
    /// The indentation of the line that began a block scalar (`|` or `>`) being skipped.
    block_scalar: Option<usize>,
}

impl FlowScan {
    fn line(&mut self, ln: u64, row: &str, stop: Option<u64>) {
        let indent = row.len() - row.trim_start_matches(' ').len();
        if let Some(parent) = self.block_scalar {
            if row.trim().is_empty() || indent > parent {
                return;
            }
            self.block_scalar = None;
        }
        let chars: Vec<char> = row.chars().collect();
        // The last character before this one outside quotes ('\0' at the start of the line).
        let mut prev = '\0';
        let mut prev_token = '\0';
        let mut i = 0;
        while i < chars.len() {
            let c = chars[i];
            let col = i as u64 + 1;
            if stop.is_some_and(|s| col >= s) {
                return;
            }
            if let Some(q) = self.quote {
                // `\"` in double quotes and `''` in single quotes do not close them.
                let escaped = match q {
                    '"' => c == '\\',
                    _ => c == '\'' && chars.get(i + 1) == Some(&'\''),
                };
                if escaped {
                    i += 1;
                } else if c == q {
                    self.quote = None;
                    prev = c;
                    prev_token = c;
                }
                i += 1;
                continue;
            }
            let in_flow = !self.open.is_empty();
            let token_start = prev == '\0'
                || prev.is_whitespace()
                || (in_flow && matches!(prev, '[' | '{' | ','));
            let value_start = matches!(prev_token, '\0' | ':' | '-' | '?');
            match c {
                '#' if prev == '\0' || prev.is_whitespace() => return,
                '\'' | '"' if token_start => self.quote = Some(c),
                '[' | '{' if in_flow || value_start => self.open.push(FlowOpener {
                    line: ln,
                    column: col,
                    bracket: c,
                }),
                ']' | '}' if in_flow => {
                    self.open.pop();
                }
                '|' | '>' if !in_flow && value_start => {
                    self.block_scalar = Some(indent);
                    return;
                }
                _ => {}
            }
            prev = c;
            if !c.is_whitespace() {
                prev_token = c;
            }
            i += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_errors_carry_file_line_and_column() {
        let e = parse("task.yml", "a: 1\n---\nb: 2\n").unwrap_err();
        assert!(e.message.starts_with("task.yml:3:1:"), "{}", e.message);
        let e = parse("task.yml", "- 1\n").unwrap_err();
        assert!(e.message.contains("mapping"), "{}", e.message);
    }

    #[test]
    fn an_unclosed_flow_bracket_is_reported_where_it_opens() {
        let e = parse(
            "task.yml",
            "payload:\n  command: [echo, hi\n  maxRunTime: 60\n",
        )
        .unwrap_err();
        assert!(
            e.message
                .starts_with("task.yml:2:12: this '[' is not closed"),
            "{}",
            e.message
        );
        let e = parse("task.yml", "a: {b: 1\nc: 2\n").unwrap_err();
        assert!(
            e.message
                .starts_with("task.yml:1:4: this '{' is not closed"),
            "{}",
            e.message
        );
    }

    #[test]
    fn the_flow_scan_skips_quotes_comments_block_scalars_and_plain_brackets() {
        let text = "a: 'it''s [' # [\nb: |\n  [x\nc: foo[1]\nd: \"[\\\"\"\ne: [1,\n  2]\nf: [x\ng";
        assert_eq!(
            unclosed_flow_opener(text, 9, 1).map(|o| (o.line, o.column)),
            Some((8, 4))
        );
        assert_eq!(
            unclosed_flow_opener(text, 8, 6),
            None,
            "opened on the error's line"
        );
        assert_eq!(unclosed_flow_opener(text, 8, 1), None);
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

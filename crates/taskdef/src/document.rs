//! Reading a task document: YAML 1.2 or JSON into a JSON value, with the file, line and
//! column of any syntax error (worker.md §2.2).

use std::fmt;

use miette::{LabeledSpan, NamedSource, SourceCode, SourceSpan};
use serde_json::Value;

/// What kind of problem a document has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Problem {
    /// YAML or JSON that does not parse.
    Syntax,
    /// A flow `[` or `{` that is never closed: reported where it opens, the place the parser
    /// stopped (1-based line and column) kept as a second label.
    Unclosed { bracket: char, stopped: (u64, u64) },
    /// A document whose top level is not a mapping.
    NotAMapping,
}

/// A document that could not be read: the file, where (1-based line and column, when the
/// parser says) and why, with the file's text to show the place.
#[derive(Debug)]
pub struct DocumentError {
    pub file: String,
    pub line_column: Option<(u64, u64)>,
    pub problem: Problem,
    /// The parser's words (or tc's), without the place.
    pub reason: String,
    /// Boxed: the error is returned through every call that reads a document.
    shown: Box<Shown>,
}

/// The file's text and the places in it a diagnostic shows.
#[derive(Debug)]
struct Shown {
    source: NamedSource<String>,
    span: Option<SourceSpan>,
    /// Where the parser stopped, for an unclosed bracket.
    stopped: Option<SourceSpan>,
}

impl DocumentError {
    fn new(
        name: &str,
        text: &str,
        line_column: Option<(u64, u64)>,
        problem: Problem,
        reason: String,
    ) -> DocumentError {
        let span_at = |(line, column)| {
            let at = offset_of(text, line, column);
            let len = text[at..].chars().next().map_or(0, char::len_utf8);
            SourceSpan::from((at, len))
        };
        let stopped = match problem {
            Problem::Unclosed { stopped, .. } => Some(span_at(stopped)),
            _ => None,
        };
        DocumentError {
            file: name.to_owned(),
            line_column,
            problem,
            reason,
            shown: Box::new(Shown {
                source: NamedSource::new(name, text.to_owned()),
                span: line_column.map(span_at),
                stopped,
            }),
        }
    }
}

/// The byte offset of 1-based `line` and `column` (in characters) in `text`, at most its end:
/// where a diagnostic's span starts for a parser's position.
pub fn offset_of(text: &str, line: u64, column: u64) -> usize {
    let skip = usize::try_from(line.saturating_sub(1)).unwrap_or(usize::MAX);
    let start = if skip == 0 {
        0
    } else {
        text.match_indices('\n')
            .nth(skip - 1)
            .map_or(text.len(), |(i, _)| i + 1)
    };
    let column = usize::try_from(column.saturating_sub(1)).unwrap_or(usize::MAX);
    text[start..]
        .char_indices()
        .take_while(|(_, c)| *c != '\n')
        .nth(column)
        .map_or_else(
            || start + text[start..].find('\n').unwrap_or(text.len() - start),
            |(i, _)| start + i,
        )
}

impl fmt::Display for DocumentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line_column {
            Some((line, column)) => write!(f, "{}:{line}:{column}: {}", self.file, self.reason),
            None => write!(f, "{}: {}", self.file, self.reason),
        }
    }
}

impl std::error::Error for DocumentError {}

/// The file as the source, the place as the label.
impl miette::Diagnostic for DocumentError {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(match self.problem {
            Problem::Syntax | Problem::Unclosed { .. } => "tc::task::syntax",
            Problem::NotAMapping => "tc::task::not_a_mapping",
        }))
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        let help: Box<dyn fmt::Display> = match self.problem {
            Problem::Syntax => Box::new(
                "a task file is one YAML 1.2 or JSON document: check the indentation, quotes and brackets here",
            ),
            Problem::Unclosed { bracket, .. } => Box::new(if bracket == '[' {
                "add the ']' that ends this list"
            } else {
                "add the '}' that ends this mapping"
            }),
            Problem::NotAMapping => Box::new(
                "a task file is a mapping of task definition keys (payload, metadata, …), or a graph entry {label, task}",
            ),
        };
        Some(help)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        Some(&self.shown.source)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let label = match self.problem {
            Problem::Syntax => "here",
            Problem::Unclosed { .. } => "opened here, never closed",
            Problem::NotAMapping => "not a mapping",
        };
        let main = LabeledSpan::new_with_span(Some(label.to_owned()), self.shown.span?);
        let stopped = self
            .shown
            .stopped
            .map(|s| LabeledSpan::new_with_span(Some("the parser stopped here".to_owned()), s));
        Some(Box::new(std::iter::once(main).chain(stopped)))
    }
}

/// Parses `text` as JSON when `name` ends in `.json`, else as YAML 1.2 (which also accepts
/// JSON). One document whose top level is a mapping.
pub fn parse(name: &str, text: &str) -> Result<Value, DocumentError> {
    let error = |at: Option<(u64, u64)>, problem, reason: String| {
        DocumentError::new(name, text, at, problem, reason)
    };
    let json = std::path::Path::new(name)
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("json"));
    let value = if json {
        serde_json::from_str::<Value>(text).map_err(|e| {
            let msg = e.to_string();
            let msg = msg.split(" at line ").next().unwrap_or(&msg).to_owned();
            error(
                Some((e.line() as u64, e.column() as u64)),
                Problem::Syntax,
                msg,
            )
        })?
    } else {
        let mut options = serde_saphyr::options::Options::default();
        options.with_snippet = false;
        // YAML 1.2: `yes`, `no`, `on` and `off` are strings, as they are for the queue.
        options.strict_booleans = true;
        serde_saphyr::from_str_with_options::<Value>(text, options).map_err(|e| {
            let msg = e.to_string();
            let Some(loc) = e.location() else {
                return error(None, Problem::Syntax, msg);
            };
            let msg = msg.split(" at line ").next().unwrap_or(&msg);
            match unclosed_flow_opener(text, loc.line(), loc.column()) {
                Some(open) => error(
                    Some((open.line, open.column)),
                    Problem::Unclosed {
                        bracket: open.bracket,
                        stopped: (loc.line(), loc.column()),
                    },
                    format!(
                        "this '{}' is not closed (the parser stopped at line {} column {}: {msg})",
                        open.bracket,
                        loc.line(),
                        loc.column()
                    ),
                ),
                None => error(
                    Some((loc.line(), loc.column())),
                    Problem::Syntax,
                    msg.to_owned(),
                ),
            }
        })?
    };
    if !value.is_object() {
        return Err(error(
            Some((1, 1)),
            Problem::NotAMapping,
            "the top level must be a mapping of task definition keys".to_owned(),
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
        assert!(e.to_string().starts_with("task.yml:3:1:"), "{e}");
        let e = parse("task.yml", "- 1\n").unwrap_err();
        assert!(e.to_string().contains("mapping"), "{e}");
    }

    #[test]
    fn an_unclosed_flow_bracket_is_reported_where_it_opens() {
        let e = parse(
            "task.yml",
            "payload:\n  command: [echo, hi\n  maxRunTime: 60\n",
        )
        .unwrap_err();
        assert!(
            e.to_string()
                .starts_with("task.yml:2:12: this '[' is not closed"),
            "{e}"
        );
        let e = parse("task.yml", "a: {b: 1\nc: 2\n").unwrap_err();
        assert!(
            e.to_string()
                .starts_with("task.yml:1:4: this '{' is not closed"),
            "{e}"
        );
    }

    /// The file name, 1-based line and column, and text of the error's label.
    fn labelled(e: &DocumentError) -> (String, usize, usize, String) {
        use miette::Diagnostic;
        let label = e.labels().expect("a label").next().expect("one label");
        let contents = e
            .source_code()
            .expect("the file")
            .read_span(label.inner(), 0, 0)
            .expect("in the file");
        (
            contents.name().unwrap_or_default().to_owned(),
            contents.line() + 1,
            contents.column() + 1,
            String::from_utf8_lossy(contents.data()).into_owned(),
        )
    }

    #[test]
    fn a_document_error_shows_its_place_in_the_file() {
        use miette::Diagnostic;
        let e = parse(
            "task.yml",
            "payload:\n  command: [echo, hi\n  maxRunTime: 60\n",
        )
        .unwrap_err();
        assert_eq!(labelled(&e), ("task.yml".into(), 2, 12, "[".into()));
        assert_eq!(e.code().unwrap().to_string(), "tc::task::syntax");
        assert!(e.help().unwrap().to_string().contains("']'"));
        let stopped = e
            .labels()
            .unwrap()
            .nth(1)
            .expect("where the parser stopped");
        assert_eq!(stopped.label(), Some("the parser stopped here"));
        let e = parse("task.json", "{\n  \"a\": 1,\n}").unwrap_err();
        assert_eq!(labelled(&e), ("task.json".into(), 3, 1, "}".into()));
        let e = parse("task.yml", "- 1\n").unwrap_err();
        assert_eq!(e.code().unwrap().to_string(), "tc::task::not_a_mapping");
        assert_eq!(labelled(&e).1, 1);
    }

    #[test]
    fn offsets_count_characters_within_their_line() {
        let text = "ab\nçd\n";
        assert_eq!(offset_of(text, 1, 1), 0);
        assert_eq!(offset_of(text, 2, 2), 5);
        // Past the end of a line: its end; past the last line: the end of the text.
        assert_eq!(offset_of(text, 1, 9), 2);
        assert_eq!(offset_of(text, 9, 1), text.len());
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
        assert!(e.to_string().starts_with("task.json:3:1:"), "{e}");
    }

    #[test]
    fn yaml_is_1_2() {
        let v = parse("t.yml", "a: yes\nb: on\nc: true\n").unwrap();
        assert_eq!(v, serde_json::json!({"a": "yes", "b": "on", "c": true}));
    }
}

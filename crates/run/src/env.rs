//! The task's environment (worker.md §5): base, payload, `--env-file`, `--env`, secrets and
//! reserved variables, later layers winning.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::mask::MIN_SECRET_LEN;

/// Variables the native engine inherits from tc's own environment.
pub const NATIVE_INHERITED: [&str; 10] = [
    "HOME", "PATH", "USER", "LOGNAME", "SHELL", "LANG", "LC_ALL", "TZ", "TERM", "TMPDIR",
];

/// Names tc sets itself (§5.2).
pub const RESERVED: [&str; 12] = [
    "TASK_ID",
    "RUN_ID",
    "TASK_GROUP_ID",
    "TASKCLUSTER_ROOT_URL",
    "TASKCLUSTER_WORKER_POOL",
    "TASKCLUSTER_WORKER_TYPE",
    "TASKCLUSTER_WORKER_GROUP",
    "TASKCLUSTER_INSTANCE_TYPE",
    "TASKCLUSTER_WORKER_LOCATION",
    "TASK_WORKDIR",
    "TC_LOCAL",
    "TASKCLUSTER_PROXY_URL",
];

/// `[A-Za-z_][A-Za-z0-9_]*`.
pub fn is_valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Why the environment could not be composed: the payload is malformed (`PayloadNames`), or
/// the command line is wrong (the others).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
pub enum EnvError {
    /// Names in the payload's `env` that are not variable names.
    #[error("{}", payload_name_problems(names))]
    #[diagnostic(code(tc::run::env::payload_name))]
    PayloadNames { names: Vec<String> },

    #[error("{flag} {name}: not a valid variable name ([A-Za-z_][A-Za-z0-9_]*)")]
    #[diagnostic(code(tc::run::env::invalid_name))]
    InvalidName { flag: &'static str, name: String },

    #[error("{flag} {name}: tc sets {name} itself; choose another name")]
    #[diagnostic(code(tc::run::env::reserved_name))]
    ReservedName { flag: &'static str, name: String },

    #[error("{name} is given both as --env and as --secret: give it once")]
    #[diagnostic(code(tc::run::env::env_and_secret))]
    EnvAndSecret { name: String },

    #[error(
        "the secret {name} is too short to mask (under {MIN_SECRET_LEN} bytes): use a longer value or pass it with --env"
    )]
    #[diagnostic(code(tc::run::env::short_secret))]
    ShortSecret { name: String },
}

/// One `payload/env/<name>: …` line per bad name.
fn payload_name_problems(names: &[String]) -> String {
    let lines: Vec<String> = names
        .iter()
        .map(|name| {
            format!("payload/env/{name}: not a valid variable name ([A-Za-z_][A-Za-z0-9_]*)")
        })
        .collect();
    lines.join("\n")
}

/// A `--env` (or `--secret`) value without `=`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
#[error("{flag} {text}: write NAME=VALUE")]
#[diagnostic(code(tc::run::env::assignment))]
pub struct AssignmentError {
    pub flag: String,
    pub text: String,
}

/// A dotenv file (`--env-file`, `--secret-file`) that cannot be read, at its line.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
#[error("{name}:{line}: {problem}")]
#[diagnostic(code(tc::run::env::dotenv))]
pub struct DotenvError {
    /// The file as the user named it.
    pub name: String,
    /// 1-based.
    pub line: usize,
    pub problem: DotenvProblem,
    #[source_code]
    text: miette::NamedSource<String>,
    /// What the snippet marks: the line, or the quote that is never closed.
    #[label("{}", problem.label())]
    at: miette::SourceSpan,
}

impl DotenvError {
    /// Where in the file the problem is: (byte offset, length).
    pub fn span(&self) -> (usize, usize) {
        (self.at.offset(), self.at.len())
    }
}

/// What is wrong with a dotenv line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DotenvProblem {
    #[error("expected NAME=VALUE")]
    NotAnAssignment,
    #[error("the double quote is never closed")]
    UnclosedDoubleQuote,
    #[error("the single quote is never closed")]
    UnclosedSingleQuote,
}

impl DotenvProblem {
    fn label(self) -> &'static str {
        match self {
            DotenvProblem::NotAnAssignment => "no `=` on this line",
            DotenvProblem::UnclosedDoubleQuote | DotenvProblem::UnclosedSingleQuote => {
                "opened here, never closed"
            }
        }
    }
}

/// The composed environment, and the secret values the masker must hide.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Composed {
    pub vars: BTreeMap<String, String>,
    pub secret_values: Vec<String>,
    pub warnings: Vec<String>,
}

/// The layers of §5.1, each already read.
#[derive(Debug, Clone, Default)]
pub struct Layers<'a> {
    pub base: Vec<(String, String)>,
    pub payload: Option<&'a Map<String, Value>>,
    /// `--env-file` contents then `--env` values, in command-line order.
    pub cli: Vec<(String, String)>,
    pub secrets: Vec<(String, String)>,
    pub reserved: Vec<(String, String)>,
}

pub fn compose(layers: Layers<'_>) -> Result<Composed, EnvError> {
    let mut out = Composed::default();
    let mut vars: BTreeMap<String, String> = layers.base.into_iter().collect();
    let mut bad_names = Vec::new();
    if let Some(env) = layers.payload {
        for (name, value) in env {
            if !is_valid_name(name) {
                bad_names.push(name.clone());
                continue;
            }
            if RESERVED.contains(&name.as_str()) {
                out.warnings
                    .push(format!("payload/env/{name} is reserved: tc sets it itself"));
            }
            if let Some(v) = value.as_str() {
                vars.insert(name.clone(), v.to_owned());
            }
        }
    }
    if !bad_names.is_empty() {
        return Err(EnvError::PayloadNames { names: bad_names });
    }
    for (name, value) in &layers.cli {
        check_cli_name(name, "--env")?;
        vars.insert(name.clone(), value.clone());
    }
    for (name, value) in &layers.secrets {
        check_cli_name(name, "--secret")?;
        if layers.cli.iter().any(|(n, _)| n == name) {
            return Err(EnvError::EnvAndSecret { name: name.clone() });
        }
        if value.len() < MIN_SECRET_LEN {
            return Err(EnvError::ShortSecret { name: name.clone() });
        }
        vars.insert(name.clone(), value.clone());
        out.secret_values.push(value.clone());
    }
    for (name, value) in layers.reserved {
        vars.insert(name, value);
    }
    out.vars = vars;
    Ok(out)
}

fn check_cli_name(name: &str, flag: &'static str) -> Result<(), EnvError> {
    let name = name.to_owned();
    if !is_valid_name(&name) {
        return Err(EnvError::InvalidName { flag, name });
    }
    if RESERVED.contains(&name.as_str()) {
        return Err(EnvError::ReservedName { flag, name });
    }
    Ok(())
}

/// `K=V` from the command line (`K=` sets an empty value).
pub fn parse_assignment(text: &str, flag: &str) -> Result<(String, String), AssignmentError> {
    match text.split_once('=') {
        Some((k, v)) => Ok((k.to_owned(), v.to_owned())),
        None => Err(AssignmentError {
            flag: flag.to_owned(),
            text: text.to_owned(),
        }),
    }
}

/// The lines of `text` with the byte offset each starts at, without their line endings
/// (`\n` or `\r\n`, as `str::lines`).
fn lines_at(text: &str) -> impl Iterator<Item = (usize, &str)> {
    let mut offset = 0;
    text.split_inclusive('\n').map(move |raw| {
        let start = offset;
        offset += raw.len();
        let line = raw
            .strip_suffix('\n')
            .map_or(raw, |l| l.strip_suffix('\r').unwrap_or(l));
        (start, line)
    })
}

/// Reads dotenv text: `K=V` lines, `#` comments, blank lines, optional `export `, values
/// optionally in single quotes (literal) or double quotes (`\n`, `\"`, `\\` escapes).
/// The error is boxed: it carries the file's text, for the snippet.
pub fn parse_dotenv(name: &str, text: &str) -> Result<Vec<(String, String)>, Box<DotenvError>> {
    let error = |i: usize, problem: DotenvProblem, at: usize, len: usize| {
        Box::new(DotenvError {
            name: name.to_owned(),
            line: i + 1,
            problem,
            text: miette::NamedSource::new(name, text.to_owned()),
            at: (at, len).into(),
        })
    };
    let mut out = Vec::new();
    let mut lines = lines_at(text).enumerate();
    while let Some((i, (start, line))) = lines.next() {
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        // Where `trimmed` starts in `text`.
        let at = start + line.len() - line.trim_start().len();
        let (at, trimmed) = match trimmed.strip_prefix("export ") {
            Some(rest) => (at + "export ".len(), rest),
            None => (at, trimmed),
        };
        let Some((key, raw)) = trimmed.split_once('=') else {
            return Err(error(i, DotenvProblem::NotAnAssignment, at, trimmed.len()));
        };
        let key = key.trim();
        let raw = raw.trim_start();
        let quote_at = at + trimmed.len() - raw.len();
        let value = if let Some(rest) = raw.strip_prefix('"') {
            // A double-quoted value may continue on the next lines until its closing quote.
            let mut body = rest.to_owned();
            loop {
                if let Some(v) = closing_double_quote(&body) {
                    break v;
                }
                let Some((_, (_, next))) = lines.next() else {
                    return Err(error(i, DotenvProblem::UnclosedDoubleQuote, quote_at, 1));
                };
                body.push('\n');
                body.push_str(next);
            }
        } else if let Some(rest) = raw.strip_prefix('\'') {
            match rest.find('\'') {
                Some(end) => rest[..end].to_owned(),
                None => return Err(error(i, DotenvProblem::UnclosedSingleQuote, quote_at, 1)),
            }
        } else {
            let unquoted = match raw.find(" #") {
                Some(comment) => &raw[..comment],
                None => raw,
            };
            unquoted.trim_end().to_owned()
        };
        out.push((key.to_owned(), value));
    }
    Ok(out)
}

/// The value of a double-quoted string whose opening quote is gone, if it closes in `body`.
fn closing_double_quote(body: &str) -> Option<String> {
    let mut out = String::new();
    let mut chars = body.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => return Some(out),
            '\\' => match chars.next() {
                Some('n') => out.push('\n'),
                Some('t') => out.push('\t'),
                Some(other) => out.push(other),
                None => out.push('\\'),
            },
            c => out.push(c),
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pairs(xs: &[(&str, &str)]) -> Vec<(String, String)> {
        xs.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn later_layers_win() {
        let payload = json!({"A": "payload", "B": "payload", "TASK_ID": "mine"});
        let c = compose(Layers {
            base: pairs(&[("A", "base"), ("HOME", "/h")]),
            payload: payload.as_object(),
            cli: pairs(&[("B", "cli")]),
            secrets: pairs(&[("S", "s3cret")]),
            reserved: pairs(&[("TASK_ID", "abc")]),
        })
        .unwrap();
        assert_eq!(c.vars["A"], "payload");
        assert_eq!(c.vars["B"], "cli");
        assert_eq!(c.vars["HOME"], "/h");
        assert_eq!(c.vars["TASK_ID"], "abc", "tc's value wins");
        assert_eq!(c.secret_values, ["s3cret"]);
        assert_eq!(c.warnings.len(), 1);
    }

    #[test]
    fn bad_names_and_reserved_names() {
        let payload = json!({"1BAD": "x"});
        assert!(matches!(
            compose(Layers {
                payload: payload.as_object(),
                ..Default::default()
            }),
            Err(EnvError::PayloadNames { .. })
        ));
        for cli in [pairs(&[("A-B", "x")]), pairs(&[("RUN_ID", "1")])] {
            assert!(matches!(
                compose(Layers {
                    cli,
                    ..Default::default()
                }),
                Err(EnvError::InvalidName { .. } | EnvError::ReservedName { .. })
            ));
        }
        let both = Layers {
            cli: pairs(&[("K", "v")]),
            secrets: pairs(&[("K", "value")]),
            ..Default::default()
        };
        assert!(matches!(compose(both), Err(EnvError::EnvAndSecret { .. })));
        let short = Layers {
            secrets: pairs(&[("K", "abc")]),
            ..Default::default()
        };
        assert!(
            matches!(compose(short), Err(e @ EnvError::ShortSecret { .. }) if e.to_string().contains("too short"))
        );
    }

    #[test]
    fn dotenv_lines() {
        let text = "# comment\n\nA=1\nexport B = two words # note\nC='lit $X \\n'\nD=\"a\\nb \\\"q\\\"\"\nE=\"multi\nline\"\nF=\n";
        let got = parse_dotenv("f.env", text).unwrap();
        assert_eq!(
            got,
            pairs(&[
                ("A", "1"),
                ("B", "two words"),
                ("C", "lit $X \\n"),
                ("D", "a\nb \"q\""),
                ("E", "multi\nline"),
                ("F", "")
            ])
        );
        assert!(
            parse_dotenv("f.env", "NOEQUALS\n")
                .unwrap_err()
                .to_string()
                .starts_with("f.env:1:")
        );
        assert!(parse_dotenv("f.env", "A=\"open\n").is_err());
    }

    #[test]
    fn a_dotenv_error_names_its_line_and_marks_where_in_the_file() {
        let text = "A=1\r\n\n  export B = \"open\nC=3\n";
        let e = parse_dotenv("f.env", text).unwrap_err();
        assert_eq!((e.line, e.problem), (3, DotenvProblem::UnclosedDoubleQuote));
        assert_eq!(e.to_string(), "f.env:3: the double quote is never closed");
        let (at, len) = e.span();
        assert_eq!(&text[at..at + len], "\"");
        assert_eq!(at, text.find('"').unwrap());

        let text = "A=1\n  NOEQUALS here  \n";
        let e = parse_dotenv("f.env", text).unwrap_err();
        assert_eq!((e.line, e.problem), (2, DotenvProblem::NotAnAssignment));
        let (at, len) = e.span();
        assert_eq!(&text[at..at + len], "NOEQUALS here");

        let text = "export K= 'x\n";
        let e = parse_dotenv("f.env", text).unwrap_err();
        assert_eq!((e.line, e.problem), (1, DotenvProblem::UnclosedSingleQuote));
        assert_eq!(e.span(), (10, 1));
    }

    #[test]
    fn names() {
        assert!(is_valid_name("_A1") && is_valid_name("path"));
        assert!(
            !is_valid_name("")
                && !is_valid_name("1A")
                && !is_valid_name("A B")
                && !is_valid_name("Ä")
        );
    }
}

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

/// Why the environment could not be composed: the payload is malformed, or the command line
/// is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EnvError {
    Payload(Vec<String>),
    Usage(String),
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
    let mut payload_errors = Vec::new();
    if let Some(env) = layers.payload {
        for (name, value) in env {
            if !is_valid_name(name) {
                payload_errors.push(format!(
                    "payload/env/{name}: not a valid variable name ([A-Za-z_][A-Za-z0-9_]*)"
                ));
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
    if !payload_errors.is_empty() {
        return Err(EnvError::Payload(payload_errors));
    }
    for (name, value) in &layers.cli {
        check_cli_name(name, "--env")?;
        vars.insert(name.clone(), value.clone());
    }
    for (name, value) in &layers.secrets {
        check_cli_name(name, "--secret")?;
        if layers.cli.iter().any(|(n, _)| n == name) {
            return Err(EnvError::Usage(format!(
                "{name} is given both as --env and as --secret: give it once"
            )));
        }
        if value.len() < MIN_SECRET_LEN {
            return Err(EnvError::Usage(format!(
                "the secret {name} is too short to mask (under {MIN_SECRET_LEN} bytes): use a longer value or pass it with --env"
            )));
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

fn check_cli_name(name: &str, flag: &str) -> Result<(), EnvError> {
    if !is_valid_name(name) {
        return Err(EnvError::Usage(format!(
            "{flag} {name}: not a valid variable name ([A-Za-z_][A-Za-z0-9_]*)"
        )));
    }
    if RESERVED.contains(&name) {
        return Err(EnvError::Usage(format!(
            "{flag} {name}: tc sets {name} itself; choose another name"
        )));
    }
    Ok(())
}

/// `K=V` from the command line (`K=` sets an empty value).
pub fn parse_assignment(text: &str, flag: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((k, v)) => Ok((k.to_owned(), v.to_owned())),
        None => Err(format!("{flag} {text}: write NAME=VALUE")),
    }
}

/// Reads dotenv text: `K=V` lines, `#` comments, blank lines, optional `export `, values
/// optionally in single quotes (literal) or double quotes (`\n`, `\"`, `\\` escapes).
pub fn parse_dotenv(name: &str, text: &str) -> Result<Vec<(String, String)>, String> {
    let mut out = Vec::new();
    let mut lines = text.lines().enumerate();
    while let Some((i, line)) = lines.next() {
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let trimmed = trimmed.strip_prefix("export ").unwrap_or(trimmed);
        let Some((key, raw)) = trimmed.split_once('=') else {
            return Err(format!("{name}:{}: expected NAME=VALUE", i + 1));
        };
        let key = key.trim();
        let raw = raw.trim_start();
        let value = if let Some(rest) = raw.strip_prefix('"') {
            // A double-quoted value may continue on the next lines until its closing quote.
            let mut body = rest.to_owned();
            loop {
                if let Some(v) = closing_double_quote(&body) {
                    break v;
                }
                match lines.next() {
                    Some((_, next)) => {
                        body.push('\n');
                        body.push_str(next);
                    }
                    None => {
                        return Err(format!(
                            "{name}:{}: the double quote is never closed",
                            i + 1
                        ));
                    }
                }
            }
        } else if let Some(rest) = raw.strip_prefix('\'') {
            match rest.find('\'') {
                Some(end) => rest[..end].to_owned(),
                None => {
                    return Err(format!(
                        "{name}:{}: the single quote is never closed",
                        i + 1
                    ));
                }
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
            Err(EnvError::Payload(_))
        ));
        for cli in [pairs(&[("A-B", "x")]), pairs(&[("RUN_ID", "1")])] {
            assert!(matches!(
                compose(Layers {
                    cli,
                    ..Default::default()
                }),
                Err(EnvError::Usage(_))
            ));
        }
        let both = Layers {
            cli: pairs(&[("K", "v")]),
            secrets: pairs(&[("K", "value")]),
            ..Default::default()
        };
        assert!(matches!(compose(both), Err(EnvError::Usage(_))));
        let short = Layers {
            secrets: pairs(&[("K", "abc")]),
            ..Default::default()
        };
        assert!(matches!(compose(short), Err(EnvError::Usage(m)) if m.contains("too short")));
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
                .starts_with("f.env:1:")
        );
        assert!(parse_dotenv("f.env", "A=\"open\n").is_err());
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

//! The `--clients` file (queue-api.md §5.5): more permanent clients and a narrower anonymous
//! scope set, read once at startup; every problem stops the server with the file named.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::auth::{Client, Clients, DEFAULT_ANONYMOUS, QUEUE_CLIENT_ID};
use tc_api::scopes::{self, Expression};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    clients: Vec<Entry>,
    anonymous: Option<Vec<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Entry {
    client_id: String,
    access_token: Option<String>,
    access_token_env: Option<String>,
    #[serde(default)]
    scopes: Vec<String>,
    expires: Option<String>,
}

/// What is wrong with the `--clients` file; every message names the file.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum ClientsFileError {
    #[error("cannot read the clients file {}: {source}", path.display())]
    #[diagnostic(code(tc::queue::clients_file))]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    #[diagnostic(transparent)]
    Parse(Box<ParseError>),
    #[error("{}: {problem}", path.display())]
    #[diagnostic(code(tc::queue::clients_file))]
    Invalid { path: PathBuf, problem: Problem },
}

/// The file is not YAML, or not the file's shape (unknown or mistyped fields).
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
#[error("{}: {source}", path.display())]
#[diagnostic(
    code(tc::queue::clients_file),
    help(
        "the file holds `clients:` (clientId, accessToken or accessTokenEnv, scopes, expires) and `anonymous:` (scopes)"
    )
)]
pub struct ParseError {
    pub path: PathBuf,
    #[source]
    pub source: serde_saphyr::Error,
    #[source_code]
    pub text: miette::NamedSource<String>,
    #[label("here")]
    pub at: Option<miette::SourceSpan>,
}

/// A client or scope of the file that the queue cannot take.
#[derive(Debug, thiserror::Error)]
pub enum Problem {
    #[error("clientId `{0}` may only use A-Z a-z 0-9 ! @ / : . + | _ -")]
    BadClientId(String),
    #[error("clientId `{0}` is the root's or the queue's own; choose another")]
    ReservedClientId(String),
    #[error("clientId `{0}` appears twice")]
    DuplicateClientId(String),
    #[error("client `{client}` takes its token from ${var}, which is not set")]
    TokenEnvUnset { client: String, var: String },
    #[error("client `{0}` needs accessToken or accessTokenEnv (one of them)")]
    NoToken(String),
    #[error("scope `{scope}` of client `{client}` {why}")]
    BadScope {
        scope: String,
        client: String,
        why: ScopeProblem,
    },
    #[error("expires `{expires}` of client `{client}` is not a date-time")]
    BadExpires { expires: String, client: String },
    #[error("anonymous scope `{scope}` {why}")]
    BadAnonymousScope { scope: String, why: ScopeProblem },
    #[error("anonymous scope `{0}` is not in the default anonymous set; it may only narrow it")]
    WidensAnonymous(String),
}

/// Why a scope of the file is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ScopeProblem {
    #[error("is not a valid scope (printable ASCII only)")]
    Invalid,
    #[error("ends in `**`; use one `*`")]
    DoubleStar,
}

fn scope_problem(scope: &str) -> Option<ScopeProblem> {
    if !scopes::valid(scope) {
        Some(ScopeProblem::Invalid)
    } else if scope.ends_with("**") {
        Some(ScopeProblem::DoubleStar)
    } else {
        None
    }
}

/// Adds the file's clients to `clients` and applies its anonymous scopes.
pub fn load(path: &Path, clients: &mut Clients) -> Result<(), ClientsFileError> {
    let text = std::fs::read_to_string(path).map_err(|source| ClientsFileError::Read {
        path: path.to_owned(),
        source,
    })?;
    let file: File = serde_saphyr::from_str(&text).map_err(|source| {
        ClientsFileError::Parse(Box::new(ParseError {
            path: path.to_owned(),
            at: span_of(&source),
            source,
            text: miette::NamedSource::new(path.display().to_string(), text.clone()),
        }))
    })?;
    let invalid = |problem| ClientsFileError::Invalid {
        path: path.to_owned(),
        problem,
    };
    let reserved: Vec<String> = clients.clients.iter().map(|c| c.id.clone()).collect();
    let mut seen: Vec<String> = Vec::new();
    for e in file.clients {
        let client = read_client(e, &reserved, &seen).map_err(invalid)?;
        seen.push(client.id.clone());
        clients.clients.push(client);
    }
    if let Some(anonymous) = file.anonymous {
        for s in &anonymous {
            if let Some(why) = scope_problem(s) {
                return Err(invalid(Problem::BadAnonymousScope {
                    scope: s.clone(),
                    why,
                }));
            }
            if !Expression::Scope(s.clone()).satisfied_by(&DEFAULT_ANONYMOUS) {
                return Err(invalid(Problem::WidensAnonymous(s.clone())));
            }
        }
        clients.anonymous = anonymous;
    }
    Ok(())
}

/// One entry as a client, unless its id is taken (`reserved`, or `seen` earlier in the file).
fn read_client(e: Entry, reserved: &[String], seen: &[String]) -> Result<Client, Problem> {
    let id = e.client_id;
    let id_ok = !id.is_empty()
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!@/:.+|_-".contains(&b));
    if !id_ok {
        return Err(Problem::BadClientId(id));
    }
    if reserved.contains(&id) || id == QUEUE_CLIENT_ID {
        return Err(Problem::ReservedClientId(id));
    }
    if seen.contains(&id) {
        return Err(Problem::DuplicateClientId(id));
    }
    let token = match (e.access_token, e.access_token_env) {
        (Some(t), None) => t,
        (None, Some(var)) => match std::env::var(&var) {
            Ok(t) => t,
            Err(_) => return Err(Problem::TokenEnvUnset { client: id, var }),
        },
        _ => return Err(Problem::NoToken(id)),
    };
    for s in &e.scopes {
        if let Some(why) = scope_problem(s) {
            return Err(Problem::BadScope {
                scope: s.clone(),
                client: id,
                why,
            });
        }
    }
    let expires = match e.expires {
        None => None,
        Some(t) => match super::validate::parse_time(&t) {
            Some(time) => Some(time),
            None => {
                return Err(Problem::BadExpires {
                    expires: t,
                    client: id,
                });
            }
        },
    };
    Ok(Client {
        id,
        access_token: token,
        scopes: e.scopes,
        expires,
    })
}

/// Where in the file a parse error points (byte offsets; known when parsed from text).
fn span_of(e: &serde_saphyr::Error) -> Option<miette::SourceSpan> {
    let span = e.location()?.span();
    let offset = usize::try_from(span.byte_offset()?).ok()?;
    let len = usize::try_from(span.byte_len().unwrap_or(0)).ok()?;
    Some(miette::SourceSpan::new(offset.into(), len))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `text` as a clients file in a directory of its own.
    fn file(text: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("tc-clients-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("clients.yml");
        std::fs::write(&path, text).unwrap();
        path
    }

    fn load_error(text: &str) -> (PathBuf, ClientsFileError) {
        let path = file(text);
        let mut clients = Clients {
            clients: Vec::new(),
            anonymous: Vec::new(),
        };
        let e = load(&path, &mut clients).unwrap_err();
        let _ = std::fs::remove_dir_all(path.parent().unwrap());
        (path, e)
    }

    #[test]
    fn a_field_the_file_does_not_have_points_at_its_line() {
        let (path, e) = load_error("clients:\n  - clientId: a\n    acessToken: t\n");
        let ClientsFileError::Parse(parse) = &e else {
            panic!("{e:?}");
        };
        assert!(
            e.to_string().starts_with(&format!("{}: ", path.display())),
            "{e}"
        );
        let at = parse.at.expect("a span");
        assert_eq!(
            &"clients:\n  - clientId: a\n    acessToken: t\n"[at.offset()..][..10],
            "acessToken"
        );
    }

    #[test]
    fn every_problem_names_the_file_and_the_client() {
        let (path, e) = load_error(
            "clients:\n  - {clientId: a, accessToken: t}\n  - {clientId: a, accessToken: u}\n",
        );
        assert_eq!(
            e.to_string(),
            format!("{}: clientId `a` appears twice", path.display())
        );
        let (path, e) =
            load_error("clients:\n  - {clientId: b, accessToken: t, scopes: ['x**']}\n");
        assert_eq!(
            e.to_string(),
            format!(
                "{}: scope `x**` of client `b` ends in `**`; use one `*`",
                path.display()
            )
        );
        let (_, e) = load_error("anonymous: ['queue:create-task:*']\n");
        assert!(
            e.to_string()
                .ends_with("anonymous scope `queue:create-task:*` is not in the default anonymous set; it may only narrow it"),
            "{e}"
        );
    }
}

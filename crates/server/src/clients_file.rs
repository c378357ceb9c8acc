//! The `--clients` file (queue-api.md §5.5): more permanent clients and a narrower anonymous
//! scope set, read once at startup; every problem stops the server with the file named.

use std::path::Path;

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

fn scope_problem(scope: &str) -> Option<&'static str> {
    if !scopes::valid(scope) {
        Some("is not a valid scope (printable ASCII only)")
    } else if scope.ends_with("**") {
        Some("ends in `**`; use one `*`")
    } else {
        None
    }
}

/// Adds the file's clients to `clients` and applies its anonymous scopes.
pub fn load(path: &Path, clients: &mut Clients) -> Result<(), String> {
    let name = path.display();
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read the clients file {name}: {e}"))?;
    let file: File = serde_saphyr::from_str(&text).map_err(|e| format!("{name}: {e}"))?;
    let id_ok = |id: &str| {
        !id.is_empty()
            && id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!@/:.+|_-".contains(&b))
    };
    let reserved: Vec<String> = clients.clients.iter().map(|c| c.id.clone()).collect();
    let mut seen: Vec<String> = Vec::new();
    for e in file.clients {
        let id = e.client_id;
        if !id_ok(&id) {
            return Err(format!(
                "{name}: clientId `{id}` may only use A-Z a-z 0-9 ! @ / : . + | _ -"
            ));
        }
        if reserved.contains(&id) || id == QUEUE_CLIENT_ID {
            return Err(format!(
                "{name}: clientId `{id}` is the root's or the queue's own; choose another"
            ));
        }
        if seen.contains(&id) {
            return Err(format!("{name}: clientId `{id}` appears twice"));
        }
        let token = match (e.access_token, e.access_token_env) {
            (Some(t), None) => t,
            (None, Some(var)) => std::env::var(&var).map_err(|_| {
                format!("{name}: client `{id}` takes its token from ${var}, which is not set")
            })?,
            _ => {
                return Err(format!(
                    "{name}: client `{id}` needs accessToken or accessTokenEnv (one of them)"
                ));
            }
        };
        for s in &e.scopes {
            if let Some(why) = scope_problem(s) {
                return Err(format!("{name}: scope `{s}` of client `{id}` {why}"));
            }
        }
        let expires = match e.expires {
            None => None,
            Some(t) => Some(super::validate::parse_time(&t).ok_or_else(|| {
                format!("{name}: expires `{t}` of client `{id}` is not a date-time")
            })?),
        };
        seen.push(id.clone());
        clients.clients.push(Client {
            id,
            access_token: token,
            scopes: e.scopes,
            expires,
        });
    }
    if let Some(anonymous) = file.anonymous {
        for s in &anonymous {
            if let Some(why) = scope_problem(s) {
                return Err(format!("{name}: anonymous scope `{s}` {why}"));
            }
            if !Expression::Scope(s.clone()).satisfied_by(&DEFAULT_ANONYMOUS) {
                return Err(format!(
                    "{name}: anonymous scope `{s}` is not in the default anonymous set; it may only narrow it"
                ));
            }
        }
        clients.anonymous = anonymous;
    }
    Ok(())
}

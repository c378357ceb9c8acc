//! `--develop[=REPO]` (worker.md §10): a local checkout takes the place of the one run-task
//! would clone. The task's run-task options for REPO go, and so does REPO's entry in
//! `REPOSITORIES`, so run-task does not clone; the engine binds (Docker) or links (native) the
//! checkout where run-task would have put it.

use serde_json::Value;

use tc_taskdef::TaskDef;

/// Where the checkout goes: an absolute container path (Docker) or a path relative to the
/// task directory (native).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckoutPath(pub String);

/// Why `--develop` cannot take the place of the task's checkout (exit 2).
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum DevelopError {
    #[error(
        "--develop: the task's env has no REPOSITORIES to take the repository from: give --develop=REPO"
    )]
    #[diagnostic(code(tc::run::develop::no_repositories))]
    NoRepositories,

    #[error(
        "--develop: REPOSITORIES names several repositories ({}): give --develop=REPO",
        names.join(", ")
    )]
    #[diagnostic(code(tc::run::develop::several_repositories))]
    SeveralRepositories { names: Vec<String> },

    #[error(
        "--develop: the command runs no run-task with --{repo}-checkout: bind the checkout yourself with -v DIR:PATH"
    )]
    #[diagnostic(code(tc::run::develop::no_run_task))]
    NoRunTask { repo: String },
}

/// Whether `argv` runs taskgraph's run-task (by its file name).
pub fn is_run_task(argv: &[String]) -> bool {
    argv.first()
        .is_some_and(|a| a.rsplit('/').next() == Some("run-task"))
}

/// The repository key: `repo` when given, else the only key of `REPOSITORIES`.
fn repository(def: &TaskDef, repo: Option<&str>) -> Result<String, DevelopError> {
    if let Some(r) = repo {
        return Ok(r.to_owned());
    }
    let text = def
        .payload
        .pointer("/env/REPOSITORIES")
        .and_then(Value::as_str)
        .unwrap_or("{}");
    let keys: Vec<String> = serde_json::from_str::<serde_json::Map<String, Value>>(text)
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default();
    match keys.as_slice() {
        [one] => Ok(one.clone()),
        [] => Err(DevelopError::NoRepositories),
        _ => Err(DevelopError::SeveralRepositories { names: keys }),
    }
}

/// Removes REPO's run-task options from one argv (before `--`); returns the checkout path.
fn strip_options(argv: &mut Vec<String>, repo: &str) -> Option<String> {
    let end = argv.iter().position(|a| a == "--").unwrap_or(argv.len());
    let checkout = format!("--{repo}-checkout");
    let sparse = format!("--{repo}-sparse-profile");
    let shallow = format!("--{repo}-shallow-clone");
    let mut path = None;
    let mut kept = Vec::with_capacity(argv.len());
    let mut i = 0;
    while i < argv.len() {
        let a = &argv[i];
        if i >= end || i == 0 {
            kept.push(a.clone());
            i += 1;
            continue;
        }
        let takes_value = |opt: &str| a == opt;
        if let Some(p) = a.strip_prefix(&format!("{checkout}=")) {
            path = Some(p.to_owned());
        } else if takes_value(&checkout) && argv.get(i + 1).is_some_and(|v| v != "--") {
            path = argv.get(i + 1).cloned();
            i += 1;
        } else if a.starts_with(&format!("{sparse}=")) || *a == shallow {
        } else if takes_value(&sparse) {
            if argv.get(i + 1).is_some_and(|v| v != "--") {
                i += 1;
            }
        } else {
            kept.push(a.clone());
        }
        i += 1;
    }
    *argv = kept;
    path
}

/// Rewrites the task for `--develop`; returns where the checkout goes.
pub fn apply(def: &mut TaskDef, repo: Option<&str>) -> Result<CheckoutPath, DevelopError> {
    let repo = repository(def, repo)?;
    let mut found = None;
    let command = def.payload.get_mut("command");
    let mut rewrite = |argv: &mut Vec<String>| {
        if is_run_task(argv)
            && let Some(p) = strip_options(argv, &repo)
        {
            found.get_or_insert(p);
        }
    };
    match command {
        // docker-worker: one argv.
        Some(Value::Array(items)) if items.iter().all(Value::is_string) => {
            let mut argv: Vec<String> = items
                .iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect();
            rewrite(&mut argv);
            *items = argv.into_iter().map(Value::String).collect();
        }
        // generic-worker: several.
        Some(Value::Array(items)) => {
            for item in items.iter_mut() {
                if let Value::Array(parts) = item {
                    let mut argv: Vec<String> = parts
                        .iter()
                        .filter_map(|v| v.as_str().map(str::to_owned))
                        .collect();
                    rewrite(&mut argv);
                    *parts = argv.into_iter().map(Value::String).collect();
                }
            }
        }
        _ => {}
    }
    let Some(path) = found else {
        return Err(DevelopError::NoRunTask { repo });
    };
    if let Some(Value::String(text)) = def.payload.pointer_mut("/env/REPOSITORIES")
        && let Ok(mut repos) = serde_json::from_str::<serde_json::Map<String, Value>>(text)
    {
        repos.remove(&repo);
        *text = Value::Object(repos).to_string();
    }
    Ok(CheckoutPath(path))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn def(payload: &Value) -> TaskDef {
        let doc = json!({"payload": payload});
        let defaults = tc_taskdef::Defaults {
            now: chrono::Utc::now(),
            name: None,
            source_name: "test".into(),
            source_tool: "tc-run-local",
        };
        TaskDef::from_document(doc.as_object().unwrap(), &defaults).unwrap()
    }

    #[test]
    fn docker_worker_run_task_options_go_and_the_repository_entry_too() {
        let mut d = def(&json!({
            "image": "x", "maxRunTime": 1,
            "env": {"REPOSITORIES": "{\"gecko\":\"Gecko\",\"comm\":\"Comm\"}"},
            "command": ["/usr/local/bin/run-task", "--gecko-checkout=/builds/worker/checkouts/gecko",
                        "--gecko-sparse-profile", "build/sparse", "--gecko-shallow-clone", "--comm-checkout=/c",
                        "--", "bash", "-c", "--gecko-checkout=/not/an/option"]
        }));
        let path = apply(&mut d, Some("gecko")).unwrap();
        assert_eq!(path.0, "/builds/worker/checkouts/gecko");
        assert_eq!(
            d.payload["command"],
            json!([
                "/usr/local/bin/run-task",
                "--comm-checkout=/c",
                "--",
                "bash",
                "-c",
                "--gecko-checkout=/not/an/option"
            ])
        );
        assert_eq!(d.payload["env"]["REPOSITORIES"], "{\"comm\":\"Comm\"}");
    }

    #[test]
    fn the_repository_comes_from_repositories_or_must_be_named() {
        let payload = |repos: &str| {
            json!({
                "image": "x", "maxRunTime": 1, "env": {"REPOSITORIES": repos},
                "command": ["run-task", "--ci-checkout", "/src", "--", "true"]
            })
        };
        let mut d = def(&payload("{\"ci\":\"CI\"}"));
        assert_eq!(apply(&mut d, None).unwrap().0, "/src");
        let mut d = def(&payload("{\"a\":\"A\",\"b\":\"B\"}"));
        assert!(
            apply(&mut d, None)
                .unwrap_err()
                .to_string()
                .contains("give --develop=REPO")
        );
        let mut d = def(&json!({"image": "x", "maxRunTime": 1, "command": ["sh", "-c", "make"]}));
        assert!(
            apply(&mut d, Some("ci"))
                .unwrap_err()
                .to_string()
                .contains("-v DIR:PATH")
        );
    }

    #[test]
    fn generic_worker_commands_are_rewritten_too() {
        let mut d = def(&json!({
            "maxRunTime": 1,
            "command": [["echo", "first"], ["run-task", "--ci-checkout=checkouts/src", "--", "make"]]
        }));
        assert_eq!(apply(&mut d, Some("ci")).unwrap().0, "checkouts/src");
        assert_eq!(d.payload["command"][1], json!(["run-task", "--", "make"]));
    }
}

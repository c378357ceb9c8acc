//! From command-line arguments to `Task`s (worker.md §2): which document TASK names, its
//! forms, relative times and defaults.

use std::path::{Path, PathBuf};

use chrono::Utc;
use serde_json::Value;

use tc_taskdef::{Defaults, TaskDef, document, reltime};

/// A task read from a file or stdin: its definition and its display name.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub def: TaskDef,
    pub label: Option<String>,
    /// The file name (or `-`) it came from.
    pub source: String,
    /// The taskId its references were resolved with (a label's `<self>`), which the run keeps.
    pub task_id: Option<String>,
}

/// Why TASK cannot be read as a task: every one means exit 2.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum InputError {
    #[error("cannot read the task from stdin")]
    #[diagnostic(code(tc::run::input::stdin))]
    Stdin {
        #[source]
        source: std::io::Error,
    },

    #[error("{arg}: no such file")]
    #[diagnostic(code(tc::run::input::no_such_file))]
    NoSuchFile { arg: String },

    #[error(
        "{arg} is neither a file nor a task label: no graph config (taskcluster/config.yml) was found; give --root DIR pointing at one for labels"
    )]
    #[diagnostic(code(tc::run::input::not_a_label))]
    NotFileNorLabel { arg: String },

    #[error("cannot read {arg}")]
    #[diagnostic(code(tc::run::input::read))]
    Read {
        arg: String,
        #[source]
        source: std::io::Error,
    },

    /// Not YAML or JSON: the parser's message names the file, line and column.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Syntax(document::DocumentError),

    #[error("{name}: {reason}")]
    #[diagnostic(code(tc::run::input::relative_time))]
    RelativeTime {
        name: String,
        reason: tc_taskdef::reltime::RelativeTimeError,
    },

    #[error("{name}: the top level must be a mapping")]
    #[diagnostic(code(tc::run::input::not_a_mapping))]
    NotMapping { name: String },

    #[error("{name}: `task` must be a mapping")]
    #[diagnostic(code(tc::run::input::task_not_a_mapping))]
    TaskNotMapping { name: String },

    #[error("{name} is not a task definition:\n  {}", problems.join("\n  "))]
    #[diagnostic(code(tc::run::input::not_a_task))]
    NotTaskDefinition { name: String, problems: Vec<String> },
}

/// Reads `arg` (a file, or `-` for stdin). Errors list every problem and mean exit 2.
pub fn load(arg: &str) -> Result<Loaded, InputError> {
    let (name, text) = if arg == "-" {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin().lock(), &mut text)
            .map_err(|source| InputError::Stdin { source })?;
        ("<stdin>".to_owned(), text)
    } else {
        let path = Path::new(arg);
        if !path.is_file() {
            let arg = arg.to_owned();
            return Err(if has_document_extension(&arg) || path.exists() {
                InputError::NoSuchFile { arg }
            } else {
                InputError::NotFileNorLabel { arg }
            });
        }
        let text = std::fs::read_to_string(path).map_err(|source| InputError::Read {
            arg: arg.to_owned(),
            source,
        })?;
        (arg.to_owned(), text)
    };
    let value = document::parse(&name, &text).map_err(InputError::Syntax)?;
    from_document(arg, &name, value)
}

/// A name that says it is a task document.
fn has_document_extension(arg: &str) -> bool {
    [".json", ".yml", ".yaml"]
        .iter()
        .any(|ext| arg.ends_with(ext))
}

/// Whether TASK names an in-tree label rather than a document (worker.md §2.1): not stdin,
/// not an existing path, and not a file name that merely does not exist.
pub fn is_label(arg: &str) -> bool {
    arg != "-" && !Path::new(arg).exists() && !has_document_extension(arg)
}

/// A parsed document (`name` for messages, `arg` as given) read as one of the §2.2 forms.
pub fn from_document(arg: &str, name: &str, mut value: Value) -> Result<Loaded, InputError> {
    // "Now" is sampled once per document (worker.md §2.4).
    let now = Utc::now();
    reltime::resolve_relative(&mut value, now).map_err(|reason| InputError::RelativeTime {
        name: name.to_owned(),
        reason,
    })?;
    let Value::Object(mut doc) = value else {
        return Err(InputError::NotMapping {
            name: name.to_owned(),
        });
    };
    // Form (c): a graph entry `{label, task}`.
    let mut label = None;
    if doc.contains_key("task") && doc.contains_key("label") && !doc.contains_key("payload") {
        label = doc.get("label").and_then(Value::as_str).map(str::to_owned);
        match doc.remove("task") {
            Some(Value::Object(task)) => doc = task,
            _ => {
                return Err(InputError::TaskNotMapping {
                    name: name.to_owned(),
                });
            }
        }
    }
    let file_name = Path::new(arg)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned());
    let stem = Path::new(arg)
        .file_stem()
        .map(|n| n.to_string_lossy().into_owned());
    let defaults = Defaults {
        now,
        name: label.clone().or(if arg == "-" { None } else { stem }),
        source_name: label
            .clone()
            .or(file_name)
            .unwrap_or_else(|| "stdin".into()),
        source_tool: "tc-run-local",
    };
    let def = TaskDef::from_document(&doc, &defaults).map_err(|problems| {
        InputError::NotTaskDefinition {
            name: name.to_owned(),
            problems,
        }
    })?;
    Ok(Loaded {
        def,
        label,
        source: name.to_owned(),
        task_id: None,
    })
}

/// The graph root `R` (worker.md §0): `--root`, else `./taskcluster` when it holds
/// `config.yml`, else `<git top level>/taskcluster`; none when nothing is found.
pub fn graph_root(flag: Option<&Path>) -> Option<PathBuf> {
    if let Some(dir) = flag {
        return Some(dir.to_path_buf());
    }
    let local = PathBuf::from("taskcluster");
    if local.join("config.yml").is_file() {
        return std::fs::canonicalize(local).ok();
    }
    let top = std::process::Command::new("git")
        .args(["rev-parse", "--show-toplevel"])
        .stderr(std::process::Stdio::null())
        .output()
        .ok()
        .filter(|o| o.status.success())?;
    let top = String::from_utf8(top.stdout).ok()?;
    let root = PathBuf::from(top.trim()).join("taskcluster");
    root.is_dir().then_some(root)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_partial_definition_with_relative_times() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("hello.yml");
        std::fs::write(&path, "payload:\n  command: [[true]]\n  maxRunTime: 5\ndeadline: {relative-datestamp: 2 hours}\n").unwrap();
        let t = load(path.to_str().unwrap()).unwrap();
        assert_eq!(t.def.metadata.name, "hello");
        assert!(t.def.deadline.ends_with('Z'));
    }

    #[test]
    fn reads_a_graph_entry() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("entry.json");
        std::fs::write(&path, r#"{"label": "build-linux", "task": {"payload": {"command": [["true"]], "maxRunTime": 5}}}"#).unwrap();
        let t = load(path.to_str().unwrap()).unwrap();
        assert_eq!(t.label.as_deref(), Some("build-linux"));
        assert_eq!(t.def.metadata.name, "build-linux");
    }

    #[test]
    fn missing_files_and_labels_are_named() {
        assert!(
            load("/nonexistent/task.yml")
                .unwrap_err()
                .to_string()
                .contains("no such file")
        );
        assert!(
            load("build-linux/opt")
                .unwrap_err()
                .to_string()
                .contains("neither a file nor a task label")
        );
    }
}

//! `tc run-local LABEL` (worker.md §2.5): one task of the in-tree full graph, with its
//! references resolved for a run on this machine, and the label picker.

use std::path::PathBuf;

use serde_json::json;

use super::input::{self, InputError, Loaded};
use tc_graph::generate::{self, GraphError, Options, Stage};
use tc_graph::references::References;

/// Why a label cannot be run: the graph cannot be made (printed as `tc graph` prints it),
/// or the label or its references are the user's to fix (exit 2).
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum LabelError {
    #[error("{}", graph_message(.0))]
    #[diagnostic(code(tc::run::label::graph))]
    Graph(GraphError),

    #[error(transparent)]
    #[diagnostic(transparent)]
    Task(#[from] TaskLabelError),
}

/// What a graph error says, for messages (the command line prints it as `tc graph` does).
fn graph_message(e: &GraphError) -> String {
    match e {
        GraphError::Invalid { message, .. } => message.clone(),
        GraphError::Unsupported(lines) => lines.join("\n"),
        GraphError::Try { error, .. } => error.message.clone(),
    }
}

/// A label that names no task, or a task this run cannot resolve.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum TaskLabelError {
    #[error(
        "no task labelled '{label}' in the graph of {}{}",
        root.display(),
        did_you_mean(near)
    )]
    #[diagnostic(code(tc::run::label::unknown))]
    Unknown {
        label: String,
        root: PathBuf,
        /// The few labels near it, closest first.
        near: Vec<String>,
    },

    #[error(
        "task '{label}' refers to dependencies this run does not have: {}; give {}",
        missing.join(", "),
        dep_flags(missing)
    )]
    #[diagnostic(code(tc::run::label::dependencies))]
    MissingDependencies { label: String, missing: Vec<String> },

    /// A reference the graph's resolver cannot make (its own message).
    #[error("{problem}")]
    #[diagnostic(code(tc::run::label::reference))]
    Reference { problem: String },

    #[error(transparent)]
    #[diagnostic(transparent)]
    Input(#[from] InputError),
}

fn did_you_mean(near: &[String]) -> String {
    if near.is_empty() {
        String::new()
    } else {
        format!("; did you mean:\n  {}", near.join("\n  "))
    }
}

fn dep_flags(missing: &[String]) -> String {
    let flags: Vec<String> = missing
        .iter()
        .map(|n| format!("--dep {n}=TASKID"))
        .collect();
    flags.join(" ")
}

/// A `--dep` value that is not `NAME=TASKID`.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum DepError {
    #[error("--dep {flag}: give NAME=TASKID")]
    #[diagnostic(code(tc::run::dep::syntax))]
    Syntax { flag: String },

    #[error("--dep {flag}: {reason}")]
    #[diagnostic(code(tc::run::dep::task_id))]
    TaskId {
        flag: String,
        reason: tc_taskdef::slugid::SlugidError,
    },
}

/// Where the graph comes from; it is made once, however many labels are asked for.
pub struct Source {
    pub root: PathBuf,
    pub parameters: Option<PathBuf>,
    /// The deployment the tasks' script URLs point to.
    pub root_url: String,
    pub graph: std::cell::OnceCell<generate::Graph>,
    /// The graph's warnings, for the command line to show.
    warnings: std::cell::RefCell<Vec<String>>,
}

impl Source {
    pub fn new(root: PathBuf, parameters: Option<PathBuf>, root_url: &str) -> Source {
        Source {
            root,
            parameters,
            root_url: root_url.to_owned(),
            graph: std::cell::OnceCell::new(),
            warnings: std::cell::RefCell::default(),
        }
    }

    fn full(&self) -> Result<&generate::Graph, GraphError> {
        if let Some(g) = self.graph.get() {
            return Ok(g);
        }
        let g = self.make()?;
        Ok(self.graph.get_or_init(|| g))
    }

    fn make(&self) -> Result<generate::Graph, GraphError> {
        let opts = Options {
            root: self.root.clone(),
            parameters: self.parameters.clone(),
            target_kinds: Vec::new(),
            stage: Stage::Full,
            try_syntax: None,
            root_url: Some(self.root_url.clone()),
        };
        let mut warnings = Vec::new();
        let generated = generate::generate(&opts, &mut warnings)?;
        self.warnings.borrow_mut().extend(warnings);
        Ok(generated.graph)
    }

    /// The warnings of making the graph that were not taken yet.
    pub fn take_warnings(&self) -> Vec<String> {
        std::mem::take(&mut *self.warnings.borrow_mut())
    }

    /// Every label of the full graph, sorted (for the picker).
    pub fn labels(&self) -> Result<Vec<String>, GraphError> {
        Ok(self.full()?.tasks.keys().cloned().collect())
    }

    /// The task labelled `label`, its references resolved: `<self>` is `task_id`, `<NAME>` the
    /// `--dep NAME=TASKID` given, artifact references are under the source's root URL.
    pub fn load(
        &self,
        label: &str,
        deps: &tc_graph::deps::Dependencies,
        task_id: &str,
    ) -> Result<Loaded, LabelError> {
        let graph = self.full().map_err(LabelError::Graph)?;
        let Some(task) = graph.tasks.get(label) else {
            return Err(TaskLabelError::Unknown {
                label: label.to_owned(),
                root: self.root.clone(),
                near: nearest(label, graph.tasks.keys()),
            }
            .into());
        };
        let root_url = Ok(self.root_url.trim_end_matches('/').to_owned());
        let mut refs = References::new(label, task_id, deps, &root_url);
        let resolved = refs.resolve(&task.task.value());
        if !refs.missing.is_empty() {
            return Err(TaskLabelError::MissingDependencies {
                label: label.to_owned(),
                missing: refs.missing,
            }
            .into());
        }
        if let Some(problem) = refs.problems.into_iter().next() {
            return Err(TaskLabelError::Reference { problem }.into());
        }
        let doc = json!({"label": label, "task": resolved});
        let mut loaded = input::from_document(label, label, doc).map_err(TaskLabelError::from)?;
        loaded.task_id = Some(task_id.to_owned());
        Ok(loaded)
    }
}

/// At most three labels near `label`: those containing it (when it is long enough to mean
/// something), then those within a small edit distance, closest first. Nothing rather than
/// unrelated labels: a one-letter typo is near almost every label by substring and by distance.
fn nearest<'a>(label: &str, labels: impl Iterator<Item = &'a String>) -> Vec<String> {
    let len = label.chars().count();
    let max_distance = (len / 3).max(1);
    let mut scored: Vec<(usize, &String)> = labels
        .filter_map(|l| {
            if len >= 3 && l.contains(label) {
                return Some((0, l));
            }
            let distance = strsim::levenshtein(label, l);
            (distance <= max_distance).then_some((distance, l))
        })
        .collect();
    scored.sort();
    scored.into_iter().take(3).map(|(_, l)| l.clone()).collect()
}

/// `--dep NAME=TASKID` values by name.
pub fn deps(flags: &[String]) -> Result<tc_graph::deps::Dependencies, DepError> {
    let mut out = tc_graph::deps::Dependencies::default();
    for flag in flags {
        let Some((name, id)) = flag
            .split_once('=')
            .filter(|(n, i)| !n.is_empty() && !i.is_empty())
        else {
            return Err(DepError::Syntax { flag: flag.clone() });
        };
        tc_taskdef::slugid::decode(id).map_err(|reason| DepError::TaskId {
            flag: flag.clone(),
            reason,
        })?;
        out.insert(name.to_owned(), id.to_owned());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::nearest;

    fn labels() -> Vec<String> {
        [
            "build-linux",
            "build-linux-debug",
            "build-linux-asan",
            "build-linux-tsan",
            "build-mac",
            "docker-image-x",
            "lint-x",
            "test-linux-x64",
            "test-mac-x64",
            "toolchain-linux-x64",
            "xpcshell",
            "hello-world",
        ]
        .map(String::from)
        .to_vec()
    }

    #[test]
    fn a_one_letter_typo_suggests_no_unrelated_labels() {
        assert!(nearest("x", labels().iter()).is_empty());
    }

    #[test]
    fn suggestions_are_the_few_nearest() {
        assert_eq!(nearest("hello-wrld", labels().iter()), ["hello-world"]);
        let near = nearest("build-linux", labels().iter());
        assert_eq!(near.len(), 3, "{near:?}");
        assert!(
            near.iter().all(|l| l.starts_with("build-linux")),
            "{near:?}"
        );
    }
}

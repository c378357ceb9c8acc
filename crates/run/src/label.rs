//! `tc run-local LABEL` (worker.md §2.5): one task of the in-tree full graph, with its
//! references resolved for a run on this machine, and the label picker.

use std::path::PathBuf;

use serde_json::json;

use super::input::{self, Loaded};
use tc_graph::generate::{self, GraphError, Options, Stage};
use tc_graph::references::References;

/// Why a label cannot be run: the graph cannot be made (printed as `tc graph` prints it),
/// or the label or its references are the user's to fix (exit 2).
#[derive(Debug)]
pub enum LabelError {
    Graph(GraphError),
    Usage(String),
}

/// Where the graph comes from; it is made once, however many labels are asked for.
pub struct Source {
    pub root: PathBuf,
    pub parameters: Option<PathBuf>,
    /// The deployment the tasks' script URLs point to.
    pub root_url: String,
    pub graph: std::cell::OnceCell<generate::Graph>,
}

impl Source {
    pub fn new(root: PathBuf, parameters: Option<PathBuf>, root_url: &str) -> Source {
        Source {
            root,
            parameters,
            root_url: root_url.to_owned(),
            graph: std::cell::OnceCell::new(),
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
        for w in warnings {
            eprintln!("warning: {w}");
        }
        Ok(generated.graph)
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
            let near = nearest(label, graph.tasks.keys());
            return Err(LabelError::Usage(if near.is_empty() {
                format!(
                    "no task labelled '{label}' in the graph of {}",
                    self.root.display()
                )
            } else {
                format!(
                    "no task labelled '{label}' in the graph of {}; did you mean:\n  {}",
                    self.root.display(),
                    near.join("\n  ")
                )
            }));
        };
        let root_url = Ok(self.root_url.trim_end_matches('/').to_owned());
        let mut refs = References::new(label, task_id, deps, &root_url);
        let resolved = refs.resolve(&task.task.value());
        if !refs.missing.is_empty() {
            let flags: Vec<String> = refs
                .missing
                .iter()
                .map(|n| format!("--dep {n}=TASKID"))
                .collect();
            return Err(LabelError::Usage(format!(
                "task '{label}' refers to dependencies this run does not have: {}; give {}",
                refs.missing.join(", "),
                flags.join(" ")
            )));
        }
        if let Some(problem) = refs.problems.first() {
            return Err(LabelError::Usage(problem.clone()));
        }
        let doc = json!({"label": label, "task": resolved});
        let mut loaded = input::from_document(label, label, doc).map_err(LabelError::Usage)?;
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
pub fn deps(flags: &[String]) -> Result<tc_graph::deps::Dependencies, String> {
    let mut out = tc_graph::deps::Dependencies::default();
    for flag in flags {
        let Some((name, id)) = flag
            .split_once('=')
            .filter(|(n, i)| !n.is_empty() && !i.is_empty())
        else {
            return Err(format!("--dep {flag}: give NAME=TASKID"));
        };
        tc_taskdef::slugid::decode(id).map_err(|e| format!("--dep {flag}: {e}"))?;
        out.insert(name.to_owned(), id.to_owned());
    }
    Ok(out)
}

/// The fuzzy label picker: the chosen label, or `None` when the user leaves it.
pub fn pick(labels: &[String]) -> Result<Option<String>, String> {
    let chosen = dialoguer::FuzzySelect::new()
        .with_prompt("task to run (type to filter, Enter to run, Esc to leave)")
        .items(labels)
        .max_length(15)
        .interact_opt()
        .map_err(|e| format!("the label picker failed: {e}"))?;
    Ok(chosen.map(|i| labels[i].clone()))
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

//! Kinds (taskgraph.md §1.4): `R/kinds/<name>/kind.yml`, its loader and transforms (only the
//! stock ones tc can run, §5), `kind-dependencies`, and its tasks with `task-defaults` merged
//! under them (§1.5), from `tasks` and then each `tasks-from` file.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

pub use super::load::load;
use super::merge::merge_owned;
use super::yaml::{self, Node, Value};

/// Which stock loader a kind uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Loader {
    /// `taskgraph.loader.transform:loader` with the task transform (and maybe `run`).
    Transform { run: bool },
    /// `taskgraph.loader.default:loader`: `run` then `task`, always.
    Default,
}

/// One task as the kind gives it, defaults merged.
#[derive(Debug, Clone)]
pub struct RawTask {
    /// Its key (taskgraph's `name`), as Python's `str()` prints it.
    pub key: String,
    /// Where the key is written (duplicate labels point at both keys).
    pub key_span: yaml::Span,
    pub node: Node,
    /// `kind.yml` or the `tasks-from` file name.
    pub task_from: String,
    /// Where each `dependencies` entry is written, kept when the transform uses up `node`.
    pub dependency_spans: Vec<(String, yaml::Span)>,
}

impl RawTask {
    /// The task `key: task` of a `tasks` mapping, merged over `defaults`.
    pub fn new(key: Node, task: Node, defaults: Option<&Node>, task_from: &str) -> RawTask {
        RawTask {
            key: python_str(&key.value),
            key_span: key.span,
            node: match defaults {
                Some(d) => merge_owned(d, task),
                None => task,
            },
            task_from: task_from.to_owned(),
            dependency_spans: Vec::new(),
        }
    }

    /// Where the `dependencies` entry `name` is written.
    pub fn dependency_span(&self, name: &str) -> Option<&yaml::Span> {
        match self.node.get("dependencies") {
            Some(deps) => deps.get(name).map(|n| &n.span),
            None => self
                .dependency_spans
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, s)| s),
        }
    }

    /// Takes the node out, keeping what errors after the transform need of it.
    pub fn take_node(&mut self) -> Node {
        if let Some(Value::Map(deps)) = self.node.get("dependencies").map(|d| &d.value) {
            self.dependency_spans = deps
                .iter()
                .filter_map(|(k, v)| match &k.value {
                    Value::Str(name) => Some((name.clone(), v.span.clone())),
                    _ => None,
                })
                .collect();
        }
        let span = self.node.span.clone();
        std::mem::replace(
            &mut self.node,
            Node {
                value: Value::Null,
                span,
            },
        )
    }
}

#[derive(Debug, Clone)]
pub struct Kind {
    pub name: String,
    pub dir: PathBuf,
    pub loader: Loader,
    pub dependencies: Vec<String>,
    pub tasks: Vec<RawTask>,
}

/// Why kinds cannot be loaded: bad input (exit 2) or input tc refuses to approximate (exit 3,
/// one line per kind, every kind checked first).
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum KindsError {
    /// A kind's loader, transforms, dependencies or tasks are wrong, at the offending node.
    #[error("{message}")]
    #[diagnostic(code(tc::graph::kind))]
    Invalid {
        message: String,
        at: Option<yaml::Span>,
    },
    /// A kind or `tasks-from` file's syntax or construction error, at its place.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Yaml(#[from] yaml::YamlError),
    /// `error` is part of the message.
    #[error("cannot read {}: {error}", path.display())]
    #[diagnostic(code(tc::graph::kind))]
    Unreadable {
        path: PathBuf,
        error: std::io::Error,
    },
    /// One line per kind tc cannot run.
    #[error("{}", .0.join("\n"))]
    #[diagnostic(code(tc::graph::unsupported))]
    Unsupported(Vec<String>),
}

pub(super) fn invalid(message: String, at: Option<&Node>) -> KindsError {
    KindsError::Invalid {
        message,
        at: at.map(|n| n.span.clone()),
    }
}

/// Why tc does not run a kind: the line that says so.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    #[error("kind '{kind}' uses transform '{transform}', which tc cannot run; use taskgraph")]
    Transform { kind: String, transform: String },
    #[error("kind '{kind}' uses loader '{loader}', which tc cannot run; use taskgraph")]
    Loader { kind: String, loader: String },
}

/// Python's `str()` of a task key (`yes:` is `True`, `010:` is `8`).
pub fn python_str(v: &Value) -> String {
    match v {
        Value::Str(s) | Value::Date(s) | Value::BigInt(s) => s.clone(),
        Value::Bool(true) => "True".into(),
        Value::Bool(false) => "False".into(),
        Value::Null => "None".into(),
        Value::Int(i) => i.to_string(),
        Value::Float(f) => yaml::python_float_repr(*f),
        Value::Seq(_) | Value::Map(_) => String::new(),
    }
}

const TASK: &str = "taskgraph.transforms.task:transforms";
const RUN: &str = "taskgraph.transforms.run:transforms";
const TRANSFORM_LOADER: &str = "taskgraph.loader.transform:loader";
const DEFAULT_LOADER: &str = "taskgraph.loader.default:loader";

/// `module[:object]` with a bare module meaning `:transforms`.
fn transform_name(s: &str) -> String {
    if s.contains(':') {
        s.to_owned()
    } else {
        format!("{s}:transforms")
    }
}

pub(super) fn strings(node: &Node, what: &str) -> Result<Vec<String>, KindsError> {
    match &node.value {
        Value::Seq(items) => items
            .iter()
            .map(|i| match &i.value {
                Value::Str(s) => Ok(s.clone()),
                _ => Err(invalid(format!("{what}: expected a string"), Some(i))),
            })
            .collect(),
        _ => Err(invalid(format!("{what}: expected a list"), Some(node))),
    }
}

/// The loader of one kind (`Ok(Ok)`), or why tc refuses it (`Ok(Err)`), or why it is wrong
/// (`Err`).
pub(super) fn loader(name: &str, doc: &Node) -> Result<Result<Loader, Refused>, KindsError> {
    let loader = match doc.get("loader").map(|l| &l.value) {
        None => DEFAULT_LOADER.to_owned(),
        Some(Value::Str(s)) => s.clone(),
        Some(_) => {
            return Err(invalid(
                format!("kind '{name}': loader must be a string"),
                doc.get("loader"),
            ));
        }
    };
    let transforms = match doc.get("transforms") {
        Some(t) => Some(strings(t, &format!("kind '{name}': transforms"))?),
        None => None,
    };
    let transforms: Option<Vec<String>> =
        transforms.map(|t| t.iter().map(|s| transform_name(s)).collect());
    if loader == DEFAULT_LOADER {
        return Ok(match transforms.as_deref() {
            None | Some([]) => Ok(Loader::Default),
            Some(list) if list.iter().all(|t| t == TASK || t == RUN) => {
                return Err(invalid(
                    format!(
                        "kind '{name}': the default loader adds {RUN} and {TASK} itself; remove them from `transforms`"
                    ),
                    doc.get("transforms"),
                ));
            }
            Some(list) => {
                let other = list
                    .iter()
                    .find(|t| *t != TASK && *t != RUN)
                    .cloned()
                    .unwrap_or_default();
                Err(Refused::Transform {
                    kind: name.to_owned(),
                    transform: other,
                })
            }
        });
    }
    if loader != TRANSFORM_LOADER {
        return Ok(Err(Refused::Loader {
            kind: name.to_owned(),
            loader,
        }));
    }
    let Some(list) = transforms else {
        return Err(invalid(
            format!(
                "kind '{name}': the transform loader needs `transforms` (taskgraph fails with KeyError: 'transforms')"
            ),
            Some(doc),
        ));
    };
    Ok(
        match list
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>()
            .as_slice()
        {
            [TASK] => Ok(Loader::Transform { run: false }),
            [RUN, TASK] => Ok(Loader::Transform { run: true }),
            _ => {
                let other = list
                    .iter()
                    .find(|t| *t != TASK && *t != RUN)
                    .cloned()
                    .unwrap_or_else(|| list.join(", "));
                Err(Refused::Transform {
                    kind: name.to_owned(),
                    transform: other,
                })
            }
        },
    )
}

/// The `{key: task}` entries of a `tasks` mapping, each merged over `defaults`.
pub(super) fn tasks_of(
    node: Node,
    defaults: Option<&Node>,
    task_from: &str,
    out: &mut Vec<RawTask>,
) -> Result<(), KindsError> {
    use rayon::prelude::*;
    let Value::Map(entries) = node.value else {
        return Err(invalid(
            format!("{task_from}: `tasks` must be a mapping"),
            Some(&node),
        ));
    };
    let raw = |(key, task): (Node, Node)| RawTask::new(key, task, defaults, task_from);
    out.reserve(entries.len());
    let threads = super::threads();
    if defaults.is_none() || threads == 1 || entries.len() < 1024 {
        out.extend(entries.into_iter().map(raw));
        return Ok(());
    }
    // Merging copies the defaults into every task: big kinds do it on all cores.
    out.par_extend(entries.into_par_iter().map(raw));
    Ok(())
}

/// One concrete cycle in the kind dependencies, first node repeated at the end.
pub(super) fn find_cycle(deps: &BTreeMap<String, Vec<String>>) -> Option<Vec<String>> {
    fn visit(
        n: &str,
        deps: &BTreeMap<String, Vec<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(i) = path.iter().position(|p| p == n) {
            let mut cycle = path[i..].to_vec();
            cycle.push(n.to_owned());
            return Some(cycle);
        }
        if done.contains(n) {
            return None;
        }
        path.push(n.to_owned());
        for d in deps.get(n).into_iter().flatten() {
            if let Some(c) = visit(d, deps, path, done) {
                return Some(c);
            }
        }
        path.pop();
        done.insert(n.to_owned());
        None
    }
    let mut done = BTreeSet::new();
    for n in deps.keys() {
        if let Some(c) = visit(n, deps, &mut Vec::new(), &mut done) {
            return Some(c);
        }
    }
    None
}

//! Kinds (taskgraph.md §1.4): `R/kinds/<name>/kind.yml`, its loader and transforms (only the
//! stock ones tc can run, §5), `kind-dependencies`, and its tasks with `task-defaults` merged
//! under them (§1.5), from `tasks` and then each `tasks-from` file.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use super::merge::{merge, merge_owned};
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
#[derive(Debug, Clone, PartialEq)]
pub enum KindsError {
    Invalid { message: String, at: Option<String> },
    Unsupported(Vec<String>),
}

fn invalid(message: String, at: Option<&Node>) -> KindsError {
    KindsError::Invalid {
        message,
        at: at.map(|n| n.span.to_string()),
    }
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

fn strings(node: &Node, what: &str) -> Result<Vec<String>, KindsError> {
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

/// The loader of one kind, or why tc refuses it (`Err(Ok(line))`) or it is wrong (`Err(Err)`).
fn loader(name: &str, doc: &Node) -> Result<Result<Loader, String>, KindsError> {
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
                Err(format!(
                    "kind '{name}' uses transform '{other}', which tc cannot run; use taskgraph"
                ))
            }
        });
    }
    if loader != TRANSFORM_LOADER {
        return Ok(Err(format!(
            "kind '{name}' uses loader '{loader}', which tc cannot run; use taskgraph"
        )));
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
                Err(format!(
                    "kind '{name}' uses transform '{other}', which tc cannot run; use taskgraph"
                ))
            }
        },
    )
}

/// The `{key: task}` entries of a `tasks` mapping, each merged over `defaults`.
fn tasks_of(
    node: Node,
    defaults: Option<&Node>,
    task_from: &str,
    out: &mut Vec<RawTask>,
) -> Result<(), KindsError> {
    let Value::Map(entries) = node.value else {
        return Err(invalid(
            format!("{task_from}: `tasks` must be a mapping"),
            Some(&node),
        ));
    };
    let raw = |(key, task): (Node, Node)| RawTask {
        key: python_str(&key.value),
        key_span: key.span,
        node: match defaults {
            Some(d) => merge_owned(d, task),
            None => task,
        },
        task_from: task_from.to_owned(),
        dependency_spans: Vec::new(),
    };
    out.reserve(entries.len());
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, 8);
    if defaults.is_none() || threads == 1 || entries.len() < 1024 {
        out.extend(entries.into_iter().map(raw));
        return Ok(());
    }
    // Merging copies the defaults into every task: big kinds do it on all cores.
    let size = entries.len().div_ceil(threads);
    let mut entries = entries.into_iter();
    let parts: Vec<Vec<(Node, Node)>> = (0..threads)
        .map(|_| entries.by_ref().take(size).collect())
        .collect();
    std::thread::scope(|s| {
        let handles: Vec<_> = parts
            .into_iter()
            .map(|p| s.spawn(|| p.into_iter().map(raw).collect::<Vec<_>>()))
            .collect();
        for h in handles {
            out.extend(h.join().expect("merging does not panic"));
        }
    });
    Ok(())
}

fn load_yaml(path: &Path, warnings: &mut Vec<String>) -> Result<Node, KindsError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| invalid(format!("cannot read {}: {e}", path.display()), None))?;
    let loaded =
        yaml::load(&path.display().to_string(), &text).map_err(|e| KindsError::Invalid {
            message: e.message,
            at: Some(e.span.to_string()),
        })?;
    warnings.extend(loaded.warnings);
    Ok(loaded.node)
}

/// Loads every kind under `R/kinds` (or only `wanted` and their dependencies), refusing
/// unsupported kinds all at once before any task is read.
pub fn load(
    root: &Path,
    wanted: &[String],
    warnings: &mut Vec<String>,
) -> Result<Vec<Kind>, KindsError> {
    let kinds_dir = root.join("kinds");
    let mut found: Vec<(String, PathBuf)> = Vec::new();
    if let Ok(entries) = std::fs::read_dir(&kinds_dir) {
        for entry in entries.flatten() {
            let dir = entry.path();
            if dir.join("kind.yml").is_file() {
                found.push((entry.file_name().to_string_lossy().into_owned(), dir));
            }
        }
    }
    let mut docs: BTreeMap<String, (PathBuf, Node)> = BTreeMap::new();
    // Results in directory order, so warnings and the first error are as a serial load's.
    for ((name, dir), loaded) in found.iter().zip(load_all(&found)) {
        let (doc, file_warnings) = loaded?;
        warnings.extend(file_warnings);
        docs.insert(name.clone(), (dir.clone(), doc));
    }
    // kind-dependencies: known kinds, no cycles.
    let mut deps: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (name, (_, doc)) in &docs {
        let list = match doc.get("kind-dependencies") {
            Some(n) => {
                let list = strings(n, &format!("kind '{name}': kind-dependencies"))?;
                for (i, d) in list.iter().enumerate() {
                    if !docs.contains_key(d) {
                        let available: Vec<String> =
                            docs.keys().map(|k| format!(" - \"{k}\"")).collect();
                        let at = match &n.value {
                            Value::Seq(items) => items.get(i),
                            _ => Some(n),
                        };
                        return Err(invalid(
                            format!(
                                "could not find the kind \"{d}\"\navailable kinds:\n{}",
                                available.join("\n")
                            ),
                            at,
                        ));
                    }
                }
                list
            }
            None => Vec::new(),
        };
        deps.insert(name.clone(), list);
    }
    if let Some(cycle) = find_cycle(&deps) {
        return Err(invalid(
            format!("kind dependencies form a cycle: {}", cycle.join(" -> ")),
            None,
        ));
    }
    // Only the wanted kinds and what they depend on (--target-kind).
    let selected: BTreeSet<String> = if wanted.is_empty() {
        docs.keys().cloned().collect()
    } else {
        let mut set = BTreeSet::new();
        let mut stack: Vec<String> = wanted.to_vec();
        while let Some(k) = stack.pop() {
            if !docs.contains_key(&k) {
                return Err(invalid(format!("could not find the kind \"{k}\""), None));
            }
            if set.insert(k.clone()) {
                stack.extend(deps[&k].iter().cloned());
            }
        }
        set
    };
    // Every kind is checked before any is loaded: one line per refused kind.
    let mut refused = Vec::new();
    let mut loaders = BTreeMap::new();
    for name in &selected {
        match loader(name, &docs[name].1)? {
            Ok(l) => {
                loaders.insert(name.clone(), l);
            }
            Err(line) => refused.push(line),
        }
    }
    if !refused.is_empty() {
        return Err(KindsError::Unsupported(refused));
    }
    let mut kinds = Vec::new();
    for name in selected {
        let Some((dir, mut doc)) = docs.remove(&name) else {
            continue;
        };
        for old in ["jobs", "job-defaults", "jobs-from"] {
            if doc.get(old).is_some() {
                let new = old.replace("job", "task");
                warnings.push(format!(
                    "kind '{name}': '{old}' is ignored by taskgraph>=2.0; rename to '{new}'"
                ));
            }
        }
        // Taken out of the document: each task is moved into its merged node, not copied.
        let defaults = take(&mut doc, "task-defaults");
        let defaults = defaults.as_ref();
        let mut tasks = Vec::new();
        if let Some(t) = take(&mut doc, "tasks") {
            tasks_of(t, defaults, "kind.yml", &mut tasks)?;
        }
        if let Some(files) = doc.get("tasks-from") {
            for file in strings(files, &format!("kind '{name}': tasks-from"))? {
                let sub = load_yaml(&dir.join(&file), warnings)?;
                // A file's own task-defaults go on top of the kind's.
                let file_defaults = match (defaults, sub.get("task-defaults")) {
                    (Some(k), Some(f)) => Some(merge(k, f)),
                    (None, Some(f)) => Some(f.clone()),
                    (k, None) => k.cloned(),
                };
                let Value::Map(entries) = &sub.value else {
                    return Err(invalid(
                        format!("{file}: expected a mapping of tasks"),
                        Some(&sub),
                    ));
                };
                let only_tasks = Node {
                    value: Value::Map(
                        entries
                            .iter()
                            .filter(|(k, _)| k.value != Value::Str("task-defaults".into()))
                            .cloned()
                            .collect(),
                    ),
                    span: sub.span.clone(),
                };
                tasks_of(only_tasks, file_defaults.as_ref(), &file, &mut tasks)?;
            }
        }
        kinds.push(Kind {
            loader: loaders[&name],
            dependencies: deps[&name].clone(),
            dir: dir.clone(),
            name,
            tasks,
        });
    }
    Ok(kinds)
}

/// The value of a string key of a mapping, removed from it.
fn take(doc: &mut Node, key: &str) -> Option<Node> {
    let Value::Map(pairs) = &mut doc.value else {
        return None;
    };
    let i = pairs
        .iter()
        .position(|(k, _)| matches!(&k.value, Value::Str(s) if s == key))?;
    Some(pairs.remove(i).1)
}

/// Every `kind.yml`, read and parsed on all cores: files, and the pieces of big files (see
/// `yaml_split`), are shared out among the threads; big kinds dominate the load.
fn load_all(found: &[(String, PathBuf)]) -> Vec<Result<(Node, Vec<String>), KindsError>> {
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, 8);
    let yaml_error = |e: yaml::YamlError| KindsError::Invalid {
        message: e.message,
        at: Some(e.span.to_string()),
    };
    let texts: Vec<(PathBuf, Result<String, KindsError>)> = found
        .iter()
        .map(|(_, dir)| {
            let path = dir.join("kind.yml");
            let text = std::fs::read_to_string(&path)
                .map_err(|e| invalid(format!("cannot read {}: {e}", path.display()), None));
            (path, text)
        })
        .collect();
    // Pieces small enough that every core gets a few even when one file holds most tasks,
    // and big enough that each is worth a parser.
    let total: usize = texts
        .iter()
        .map(|(_, t)| t.as_ref().map_or(0, String::len))
        .sum();
    let piece = (total / (threads * 4)).clamp(16 * 1024, 128 * 1024);
    // Each file: its name, its text, and its pieces when it is cut.
    let files: Vec<Result<(String, String, Option<Vec<String>>), KindsError>> = texts
        .into_iter()
        .map(|(path, text)| {
            let text = text?;
            let pieces = (threads > 1)
                .then(|| super::yaml_split::split(&text, piece))
                .flatten();
            Ok((path.display().to_string(), text, pieces))
        })
        .collect();
    let jobs: Vec<(&str, &str)> = files
        .iter()
        .flatten()
        .flat_map(|(name, text, pieces)| match pieces {
            Some(p) => p.iter().map(|p| (name.as_str(), p.as_str())).collect(),
            None => vec![(name.as_str(), text.as_str())],
        })
        .collect();
    let mut parsed =
        parallel_map(&jobs, threads, |(name, text)| yaml::load(name, text)).into_iter();
    files
        .iter()
        .map(|file| {
            let (name, text, pieces) = file.as_ref().map_err(Clone::clone)?;
            let loaded = match pieces {
                None => parsed.next().unwrap_or_else(|| yaml::load(name, text)),
                Some(p) => {
                    let parts: Result<Vec<_>, _> = parsed.by_ref().take(p.len()).collect();
                    // Anything unusual: the whole file, as one parse gives it.
                    match parts.ok().and_then(super::yaml_split::join) {
                        Some(l) => Ok(l),
                        None => yaml::load(name, text),
                    }
                }
            };
            loaded.map(|l| (l.node, l.warnings)).map_err(yaml_error)
        })
        .collect()
}

/// `f` of every item on up to `threads` threads, each taking the next item; results in order.
fn parallel_map<T: Sync, R: Send>(
    items: &[T],
    threads: usize,
    f: impl Fn(&T) -> R + Sync,
) -> Vec<R> {
    let threads = threads.min(items.len());
    if threads <= 1 {
        return items.iter().map(f).collect();
    }
    let next = std::sync::atomic::AtomicUsize::new(0);
    let slots: Vec<std::sync::Mutex<Option<R>>> =
        items.iter().map(|_| std::sync::Mutex::new(None)).collect();
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some(item) = items.get(i) else { break };
                    let r = f(item);
                    *slots[i].lock().unwrap_or_else(|e| e.into_inner()) = Some(r);
                }
            });
        }
    });
    slots
        .into_iter()
        .map(|slot| {
            slot.into_inner()
                .unwrap_or_else(|e| e.into_inner())
                .expect("every item was taken")
        })
        .collect()
}

/// One concrete cycle in the kind dependencies, first node repeated at the end.
fn find_cycle(deps: &BTreeMap<String, Vec<String>>) -> Option<Vec<String>> {
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

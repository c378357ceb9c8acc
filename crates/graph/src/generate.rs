//! Generation stages (taskgraph.md §4): `tasks` (every task of the loaded kinds), `full` (with
//! the dependency edges checked and verified), then `target` and `optimized` through
//! target.rs and optimize.rs. Configuration, parameters and kinds are read first; unsupported
//! input is refused before any task is made.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use rayon::slice::ParallelSliceMut as _;
use serde_json::{Map, Value};

pub use super::error::{GraphError, InvalidKind};

use super::config::{Config, ConfigError};
use super::kinds::{self, KindsError, Loader};
use super::load;
use super::parameters::Parameters;
use super::transform::{self, Context, PerKind, Task};
use super::yaml::{Span, YamlError};

/// A generated graph: tasks by label, and the edges `(label, dependency label, name)`.
#[derive(Debug, Default)]
pub struct Graph {
    /// Boxed: a task is big, and the map moves its entries as it grows.
    pub tasks: BTreeMap<String, Box<Task>>,
    pub edges: Vec<(String, String, String)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    Tasks,
    Full,
    Target,
    Optimized,
}

/// Which tasks of the full graph a stage shows.
#[derive(Debug)]
pub enum Shown {
    /// `tasks` and `full`: every task.
    All,
    /// `target`: the target task set.
    Target(BTreeSet<String>),
    /// `optimized`: the kept tasks by label, with their taskIds and resolved definitions.
    Optimized(BTreeMap<String, super::optimize::Optimized>),
}

/// A stage's result: the full graph (`tasks` has no edges) and what the stage shows of it.
#[derive(Debug)]
pub struct Generated {
    pub graph: Graph,
    pub shown: Shown,
    /// The kinds as read (their tasks' YAML spent): returned, not dropped, so a caller about
    /// to exit may skip freeing a few allocations per task.
    pub kinds: Vec<kinds::Kind>,
}

/// What generation needs from the command line.
pub struct Options {
    /// The graph root `R`.
    pub root: PathBuf,
    /// A `-p` file.
    pub parameters: Option<PathBuf>,
    pub target_kinds: Vec<String>,
    pub stage: Stage,
    /// `--try`: try syntax chooses the target tasks.
    pub try_syntax: Option<String>,
    /// The root URL that references and script URLs point to; taskgraph reads
    /// `$TASKCLUSTER_ROOT_URL`, which is what `None` means.
    pub root_url: Option<String>,
}

/// How bad input reads as a graph error: at its place, with the file shown.
fn invalid(kind: InvalidKind, message: impl Into<String>, at: Option<Span>) -> GraphError {
    GraphError::invalid_at(kind, message, at)
}

impl From<YamlError> for GraphError {
    fn from(e: YamlError) -> GraphError {
        invalid(InvalidKind::Yaml, e.message, Some(e.span))
    }
}

impl From<ConfigError> for GraphError {
    fn from(e: ConfigError) -> GraphError {
        match e {
            ConfigError::Yaml(e) => e.into(),
            e => {
                let at = e.at().cloned();
                invalid(InvalidKind::Config, e.to_string(), at)
            }
        }
    }
}

impl From<KindsError> for GraphError {
    fn from(e: KindsError) -> GraphError {
        match e {
            KindsError::Yaml(e) => e.into(),
            KindsError::Invalid { message, at } => invalid(InvalidKind::Kind, message, at),
            e @ KindsError::Unreadable { .. } => invalid(InvalidKind::Kind, e.to_string(), None),
            KindsError::Unsupported(lines) => GraphError::Unsupported(lines),
        }
    }
}

/// The git top level that holds `root`, else its parent.
fn vcs_root(root: &Path) -> PathBuf {
    // The nearest directory with a `.git` is the top level; git is asked only when none is.
    if let Some(top) = root.ancestors().find(|d| d.join(".git").exists()) {
        return top.to_path_buf();
    }
    std::process::Command::new("git")
        .args(["rev-parse", "--show-toplevel"])
        .current_dir(root)
        .stderr(std::process::Stdio::null())
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()))
        .or_else(|| root.parent().map(Path::to_path_buf))
        .unwrap_or_else(|| root.to_path_buf())
}

/// The local defaults overlaid with the `-p` file (§2).
pub fn parameters(vcs: &Path, file: Option<&Path>) -> Result<Parameters, GraphError> {
    let Some(file) = file else {
        return Ok(Parameters::defaults(vcs, chrono::Local::now()));
    };
    let name = file.display().to_string();
    let text = std::fs::read_to_string(file).map_err(|e| {
        GraphError::invalid(
            InvalidKind::Parameters,
            format!("cannot read the parameters {name}: {e}"),
        )
    })?;
    let loaded = super::yaml::load(&name, &text)?;
    // An integer beyond 64 bits cannot become a value; where a parameter takes no int, the
    // type error is what taskgraph reports too.
    if let super::yaml::Value::Map(entries) = &loaded.node.value {
        for (k, v) in entries {
            if let (super::yaml::Value::Str(key), super::yaml::Value::BigInt(_)) =
                (&k.value, &v.value)
            {
                Parameters::check_int(key).map_err(|e| {
                    invalid(
                        InvalidKind::Parameters,
                        format!("{e} ({name})"),
                        Some(v.span.clone()),
                    )
                })?;
            }
        }
    }
    let values = match loaded.node.to_json() {
        Ok(Value::Object(map)) => map,
        Ok(Value::Null) => Map::new(),
        Ok(_) => {
            return Err(invalid(
                InvalidKind::Parameters,
                format!("{name}: the parameters must be a mapping"),
                Some(loaded.node.span),
            ));
        }
        Err(e) => return Err(e.into()),
    };
    let mut params =
        Parameters::defaults_except(vcs, chrono::Local::now(), &|k| values.contains_key(k));
    params
        .overlay(values)
        .map_err(|e| GraphError::invalid(InvalidKind::Parameters, format!("{e} ({name})")))?;
    Ok(params)
}

/// What became of one task as it was read.
enum Made {
    /// Boxed: a task is moved a few times on its way into the graph.
    Task(Result<Box<Task>, transform::TransformError>),
    /// The run transform excludes it: the line that says so.
    Refused(String),
    /// Not made: something else is refused already.
    Skipped,
}

fn refusal_line(kind: &kinds::Kind, raw: &kinds::RawTask, why: &str) -> String {
    let label = match raw.node.get("label").map(|l| &l.value) {
        Some(super::yaml::Value::Str(l)) => l.clone(),
        _ => format!("{}-{}", kind.name, raw.key),
    };
    format!(
        "kind '{}': task '{label}' {why}, which tc cannot run; use taskgraph ({})",
        kind.name, raw.key_span
    )
}

/// What tc refuses before reading a kind: project code the configuration or the environment
/// asks for.
fn refused_up_front(config: &Config) -> Vec<String> {
    let mut refused = Vec::new();
    if config.registers_code {
        refused.push(
            "taskgraph.register runs project code, which tc cannot run; use taskgraph".to_owned(),
        );
    }
    if std::env::var_os("TASKGRAPH_OPTIMIZE_STRATEGIES").is_some() {
        refused.push("TASKGRAPH_OPTIMIZE_STRATEGIES is set: custom optimization strategies are project code, which tc cannot run; use taskgraph".to_owned());
    }
    refused
}

pub fn generate(opts: &Options, warnings: &mut Vec<String>) -> Result<Generated, GraphError> {
    let root = std::fs::canonicalize(&opts.root).unwrap_or_else(|_| opts.root.clone());
    let config = Config::load(&root)?;
    warnings.extend(config.warnings.iter().cloned());
    let mut refused = refused_up_front(&config);
    // The kinds are read on the pool (its threads start meanwhile, and make the tasks next)
    // while this thread reads the parameters, whose error comes first.
    let mut kind_warnings = Vec::new();
    let mut loading = None;
    let (vcs, params) = rayon::in_place_scope(|scope| {
        scope.spawn(|_| {
            loading = Some(load::begin(&root, &opts.target_kinds, &mut kind_warnings));
        });
        let vcs = vcs_root(&root);
        let params = parameters(&vcs, opts.parameters.as_deref());
        (vcs, params)
    });
    let loading = loading.expect("the scope waits for the kinds");
    let params = params?;
    warnings.extend(kind_warnings);
    if !params
        .0
        .get("optimize_strategies")
        .is_none_or(Value::is_null)
    {
        refused.push("the parameter optimize_strategies names project code, which tc cannot run; use taskgraph".to_owned());
    }
    let loading = match loading {
        Ok(l) => l,
        Err(KindsError::Unsupported(lines)) => {
            refused.extend(lines);
            return Err(GraphError::Unsupported(refused));
        }
        Err(e) => return Err(e.into()),
    };
    let task_id = std::env::var("TASK_ID").ok();
    let ctx = Context {
        config: &config,
        params: &params,
        graph_root: &root,
        vcs_root: &vcs,
        task_id_env: task_id.as_deref(),
        root_url: opts.root_url.as_deref(),
    };
    let per_kind: Vec<PerKind> = loading.kinds.iter().map(|k| PerKind::of(k, &ctx)).collect();
    // Each task is made as soon as it is read, so the parsed tasks are never all held at once.
    // Tasks are only made when nothing is refused so far; a refusal found among them (the run
    // transform's exclusions) still comes before any task's error.
    let make_tasks = refused.is_empty();
    let made = loading.finish(warnings, |k, kind, raw| {
        let why = (kind.loader != Loader::Transform { run: false })
            .then(|| super::run::refusal(raw, &config))
            .flatten();
        match why {
            Some(why) => Made::Refused(refusal_line(kind, raw, &why)),
            None if make_tasks => {
                Made::Task(transform::transform_raw(kind, &per_kind[k], raw, &ctx).map(Box::new))
            }
            None => Made::Skipped,
        }
    });
    let (kinds, made) = match made {
        Ok(m) => m,
        Err(KindsError::Unsupported(lines)) => {
            refused.extend(lines);
            return Err(GraphError::Unsupported(refused));
        }
        Err(e) => return Err(e.into()),
    };
    // The run transform's exclusions, one line per kind.
    for tasks in &made {
        if let Some(line) = tasks.iter().find_map(|m| match m {
            Made::Refused(line) => Some(line),
            _ => None,
        }) {
            refused.push(line.clone());
        }
    }
    if !refused.is_empty() {
        return Err(GraphError::Unsupported(refused));
    }
    let (tasks, written) = by_label(&kinds, made)?;
    let mut graph = Graph {
        tasks,
        edges: Vec::new(),
    };
    let shown = if opts.stage == Stage::Tasks {
        Shown::All
    } else {
        let later = Later {
            written: &written,
            config: &config,
            params: &params,
        };
        later.show(&mut graph, opts)?
    };
    drop(written);
    Ok(Generated {
        graph,
        shown,
        kinds,
    })
}

/// The tasks by label, and where each is written, in label order.
type ByLabel<'k> = (BTreeMap<String, Box<Task>>, Vec<&'k kinds::RawTask>);

/// The tasks made, by label, and where each is written; or the error a serial walk of the
/// kinds meets first: a duplicate label before the first failed task, that task.
fn by_label(kinds: &[kinds::Kind], made: Vec<Vec<Made>>) -> Result<ByLabel<'_>, GraphError> {
    let all: Vec<Result<Box<Task>, transform::TransformError>> = made
        .into_iter()
        .flatten()
        .filter_map(|m| match m {
            Made::Task(t) => Some(t),
            Made::Refused(_) | Made::Skipped => None,
        })
        .collect();
    // The tasks up to the first failure, in kind and task order, with their raw tasks.
    let raws = kinds
        .iter()
        .flat_map(|k| k.tasks.iter().map(move |t| (k, t)));
    let mut made: Vec<(Box<Task>, &kinds::RawTask, usize)> = Vec::with_capacity(all.len());
    let mut failure = None;
    for (i, ((kind, raw), task)) in raws.zip(all).enumerate() {
        match task {
            Ok(task) => made.push((task, raw, i)),
            Err(e) => {
                failure = Some(if e.unsupported {
                    GraphError::Unsupported(vec![e.message])
                } else {
                    invalid(InvalidKind::Task, e.message, e.at)
                        .in_context(format!("in kind '{}', task '{}'", kind.name, raw.key))
                });
                break;
            }
        }
    }
    // Sorted by label on all cores (stable: a repeated label's first task comes first), the
    // graph is built in one go; a duplicate label met before the failure is the error a serial
    // walk meets.
    made.par_sort_by(|a, b| a.0.label.cmp(&b.0.label));
    let duplicate = made
        .windows(2)
        .filter_map(|w| match w {
            [earlier, second] if earlier.0.label == second.0.label => Some((earlier, second)),
            _ => None,
        })
        .min_by_key(|(_, second)| second.2);
    // The earliest repeat; before it in the window is the label's first task.
    if let Some((earlier, second)) = duplicate {
        return Err(invalid(
            InvalidKind::Task,
            format!(
                "duplicate task label '{}' ({} and {})",
                second.0.label, earlier.1.key_span, second.1.key_span
            ),
            Some(second.1.key_span.clone()),
        ));
    }
    if let Some(failure) = failure {
        return Err(failure);
    }
    // Where each task is written, in label order (the order of `graph.tasks`).
    let mut written: Vec<&kinds::RawTask> = Vec::with_capacity(made.len());
    let tasks = made
        .into_iter()
        .map(|(task, raw, _)| {
            written.push(raw);
            (task.label.clone(), task)
        })
        .collect();
    Ok((tasks, written))
}

/// What the stages after `tasks` read besides the graph.
struct Later<'a> {
    /// Where each task is written, in label order.
    written: &'a [&'a kinds::RawTask],
    config: &'a Config,
    params: &'a Parameters,
}

impl Later<'_> {
    /// The edges, checked and verified (`full`), then the target set or the optimized graph.
    fn show(&self, graph: &mut Graph, opts: &Options) -> Result<Shown, GraphError> {
        let (config, params) = (self.config, self.params);
        // Both only read the tasks: the verifications run beside the edges, whose error comes
        // first.
        let (found, verified) = rayon::join(
            || edges(&graph.tasks, self.written),
            || {
                let checked = super::verify::Params {
                    trust_domain: &config.trust_domain,
                    level: params.get_str("level"),
                    project: params.get_str("project"),
                };
                super::verify::verify(&graph.tasks, &checked)
            },
        );
        graph.edges = found?;
        verified.map_err(GraphError::from)?;
        Ok(match opts.stage {
            Stage::Tasks | Stage::Full => Shown::All,
            Stage::Target | Stage::Optimized => {
                let targets =
                    super::target::targets(graph, params, config, opts.try_syntax.as_deref())?;
                if opts.stage == Stage::Target {
                    Shown::Target(targets.set)
                } else {
                    Shown::Optimized(super::optimize::optimize(
                        graph,
                        &targets,
                        params,
                        opts.root_url.as_deref(),
                    )?)
                }
            }
        })
    }
}

/// Labels to their places in label order.
type Index<'a> = rustc_hash::FxHashMap<&'a str, usize>;

/// The dependency edges, each dependency checked to exist, and no cycle (§4.1).
fn edges(
    tasks: &BTreeMap<String, Box<Task>>,
    written: &[&kinds::RawTask],
) -> Result<Vec<(String, String, String)>, GraphError> {
    let index: Index = tasks
        .keys()
        .enumerate()
        .map(|(i, l)| (l.as_str(), i))
        .collect();
    // Each task's dependencies as places, all in one list: `starts[i]..starts[i + 1]` are
    // task `i`'s (each label is looked up once).
    let mut starts = Vec::with_capacity(tasks.len() + 1);
    let mut places = Vec::new();
    let mut out = Vec::new();
    for ((label, task), raw) in tasks.iter().zip(written) {
        starts.push(places.len());
        for (name, dep) in &task.dependencies {
            let Some(&place) = index.get(dep.as_str()) else {
                // At the `dependencies` entry that names it.
                let at = raw.dependency_span(name).unwrap_or(&task.span).clone();
                return Err(invalid(
                    InvalidKind::Dependencies,
                    format!("Task '{label}' lists a dependency that does not exist: '{dep}'"),
                    Some(at),
                ));
            };
            places.push(place);
            out.push((label.clone(), dep.clone(), name.clone()));
        }
    }
    starts.push(places.len());
    let deps = |i: usize| &places[starts[i]..starts[i + 1]];
    if let Some(cycle) = cycle(tasks.len(), deps) {
        let labels: Vec<&String> = tasks.keys().collect();
        let cycle: Vec<&str> = cycle.iter().map(|&i| labels[i].as_str()).collect();
        let stuck: BTreeSet<&str> = cycle.iter().copied().collect();
        let stuck: Vec<&str> = stuck.into_iter().collect();
        return Err(invalid(
            InvalidKind::Dependencies,
            format!(
                "dependency loop: {} (tasks in the loop: {})",
                cycle.join(" -> "),
                stuck.join(", ")
            ),
            tasks.get(cycle[0]).map(|t| t.span.clone()),
        ));
    }
    Ok(out)
}

/// One concrete dependency cycle among places `0..count` in label order, as places, its first
/// repeated at the end.
fn cycle<'a>(count: usize, deps: impl Fn(usize) -> &'a [usize]) -> Option<Vec<usize>> {
    // Iterative depth-first search: graphs can be deep. Dependencies are taken from the end.
    let mut state = vec![0u8; count]; // 1 = on the path, 2 = done
    for start in 0..count {
        if state[start] != 0 {
            continue;
        }
        let mut path: Vec<(usize, &[usize])> = Vec::new();
        state[start] = 1;
        path.push((start, deps(start)));
        while let Some((node, pending)) = path.last_mut() {
            let node = *node;
            if let Some((&next, rest)) = pending.split_last() {
                *pending = rest;
                match state[next] {
                    1 => {
                        let from = path.iter().position(|(n, _)| *n == next).unwrap_or(0);
                        let mut c: Vec<usize> = path[from..].iter().map(|(n, _)| *n).collect();
                        c.push(next);
                        return Some(c);
                    }
                    2 => {}
                    _ => {
                        state[next] = 1;
                        path.push((next, deps(next)));
                    }
                }
            } else {
                state[node] = 2;
                path.pop();
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::cycle;

    fn found(deps: &[&[usize]]) -> Option<Vec<usize>> {
        cycle(deps.len(), |i| deps[i])
    }

    #[test]
    fn a_cycle_is_found_as_its_places() {
        // 0 -> 1 -> 2 -> 1, and 3 alone.
        assert_eq!(found(&[&[1], &[2], &[1], &[]]), Some(vec![1, 2, 1]));
        assert_eq!(found(&[&[0]]), Some(vec![0, 0]));
        // A diamond is no cycle; nor is a long chain.
        assert_eq!(found(&[&[1, 2], &[3], &[3], &[]]), None);
        let chain: Vec<Vec<usize>> = (0..100_000).map(|i| vec![i + 1]).chain([vec![]]).collect();
        let chain: Vec<&[usize]> = chain.iter().map(Vec::as_slice).collect();
        assert_eq!(found(&chain), None);
    }
}

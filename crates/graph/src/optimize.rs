//! The `optimized` stage (taskgraph.md §4.6): strategies, the three phases of taskgraph's
//! optimizer (removal, replacement, result), taskIds and reference resolution.

use std::collections::{BTreeMap, BTreeSet};

use regex::Regex;
use serde_json::{Map, Value as J};

use super::def::Def;
use super::error::{GraphError, InvalidKind};
use super::generate::Graph;
use super::parameters::Parameters;
use super::references::References;
use super::run::root_url;
use super::target::Targets;
use super::transform::Task;

/// An optimized task: its taskId and the task with references resolved.
#[derive(Debug)]
pub struct Optimized {
    pub task_id: String,
    pub task: Box<Task>,
}

enum Strategy {
    Never,
    Always,
    SkipUnlessChanged(Vec<String>),
}

/// A task's strategy (the first key of `optimization`), checked before anything is removed.
fn strategy(task: &Task) -> Result<Strategy, GraphError> {
    let Some((name, arg)) = task.optimization.as_object().and_then(|o| o.iter().next()) else {
        return Ok(Strategy::Never);
    };
    match name.as_str() {
        "never" => Ok(Strategy::Never),
        "always" => Ok(Strategy::Always),
        "skip-unless-changed" => {
            let patterns: Option<Vec<String>> = arg
                .as_array()
                .and_then(|a| a.iter().map(|p| p.as_str().map(str::to_owned)).collect());
            // taskgraph fails on anything but a list (a null included); never guess.
            patterns.map(Strategy::SkipUnlessChanged).ok_or_else(|| {
                GraphError::invalid(
                    InvalidKind::Optimization,
                    format!(
                        "task '{}': skip-unless-changed needs a list of file patterns, not {arg}",
                        task.label
                    ),
                )
            })
        }
        "index-search" => Err(GraphError::Unsupported(vec![format!(
            "task '{}' uses index-search optimization, which needs the Taskcluster index; not supported offline",
            task.label
        )])),
        other => Err(GraphError::invalid(
            InvalidKind::Optimization,
            format!(
                "task '{}' uses the unknown optimization strategy '{other}' (taskgraph: KeyError: '{other}'); use never, always, skip-unless-changed or index-search",
                task.label
            ),
        )),
    }
}

/// taskgraph's `util.path.match` pattern as a regular expression: `*` within a segment,
/// `**/` and a trailing `/**` across segments, everything else literal.
fn glob_regex(pattern: &str) -> Regex {
    let mut out = String::from("^");
    let chars: Vec<char> = pattern.chars().collect();
    let mut i = 0;
    // Whether a `**` here may start a `**/` group: at the start or after a literal `/`.
    let mut at_boundary = true;
    while i < chars.len() {
        let rest: String = chars[i..].iter().collect();
        if at_boundary && rest.starts_with("**/") {
            out.push_str("(?:.+/)?");
            i += 3;
            at_boundary = false;
        } else if i == 0 && rest == "**" {
            out.push_str("(?:.+)?");
            i += 2;
        } else if chars[i] == '/' && rest == "/**" {
            out.push_str("(?:/.+)?");
            i += 3;
        } else if chars[i] == '*' {
            out.push_str("[^/]*");
            i += 1;
            at_boundary = false;
        } else {
            out.push_str(&regex::escape(&chars[i].to_string()));
            at_boundary = chars[i] == '/';
            i += 1;
        }
    }
    out.push_str("(?:/.*)?$");
    Regex::new(&out).unwrap_or_else(|_| Regex::new("$^").expect("a valid regex"))
}

/// Whether `path` matches `pattern` (an empty pattern matches everything).
pub fn path_matches(path: &str, pattern: &str) -> bool {
    pattern.is_empty() || glob_regex(pattern).is_match(path)
}

/// Compiled file patterns, each compiled once per graph.
#[derive(Default)]
struct Globs(std::cell::RefCell<std::collections::HashMap<String, Regex>>);

impl Globs {
    fn matches(&self, path: &str, pattern: &str) -> bool {
        if pattern.is_empty() {
            return true;
        }
        let mut cache = self.0.borrow_mut();
        cache
            .entry(pattern.to_owned())
            .or_insert_with(|| glob_regex(pattern))
            .is_match(path)
    }
}

fn should_remove(strategy: &Strategy, params: &Parameters, globs: &Globs) -> bool {
    match strategy {
        Strategy::Never => false,
        Strategy::Always => true,
        Strategy::SkipUnlessChanged(patterns) => {
            let base = params.get_str("base_rev");
            if !base.is_empty() && params.get_str("head_rev") == base {
                return false;
            }
            let changed: Vec<&str> = match params.0.get("files_changed") {
                Some(J::Array(f)) => f.iter().filter_map(J::as_str).collect(),
                _ => Vec::new(),
            };
            !patterns
                .iter()
                .any(|p| changed.iter().any(|path| globs.matches(path, p)))
        }
    }
}

/// The edges of the target graph: (task, dependency, name).
struct Links<'a> {
    dependencies: BTreeMap<&'a str, BTreeSet<&'a str>>,
    dependents: BTreeMap<&'a str, BTreeSet<&'a str>>,
}

impl<'a> Links<'a> {
    fn new(graph: &'a Graph, nodes: &'a BTreeSet<String>) -> Self {
        let mut dependencies: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
        let mut dependents: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
        for label in nodes {
            dependencies.entry(label).or_default();
            dependents.entry(label).or_default();
        }
        for label in nodes {
            for dep in graph.tasks[label].dependencies.values() {
                dependencies.entry(label).or_default().insert(dep);
                dependents.entry(dep).or_default().insert(label);
            }
        }
        Links {
            dependencies,
            dependents,
        }
    }

    /// Every node after all its dependents (`dependents_first`), or after all its dependencies
    /// (Kahn's algorithm, ties in label order).
    fn order(&self, dependents_first: bool) -> Vec<&'a str> {
        let (before, after) = if dependents_first {
            (&self.dependents, &self.dependencies)
        } else {
            (&self.dependencies, &self.dependents)
        };
        let mut indegree: BTreeMap<&str, usize> =
            before.iter().map(|(n, b)| (*n, b.len())).collect();
        let mut queue: std::collections::VecDeque<&str> = indegree
            .iter()
            .filter(|(_, d)| **d == 0)
            .map(|(n, _)| *n)
            .collect();
        let mut out = Vec::with_capacity(indegree.len());
        while let Some(node) = queue.pop_front() {
            out.push(node);
            for next in &after[node] {
                let d = indegree.get_mut(next).expect("a node of the graph");
                *d -= 1;
                if *d == 0 {
                    queue.push_back(next);
                }
            }
        }
        out
    }
}

/// Phase 1: the labels removed from the target graph.
fn remove_tasks<'a>(
    graph: &'a Graph,
    links: &Links<'a>,
    strategies: &BTreeMap<&str, Strategy>,
    requested: &BTreeSet<String>,
    do_not_optimize: &BTreeSet<String>,
    params: &Parameters,
) -> BTreeSet<&'a str> {
    let mut removed: BTreeSet<&str> = BTreeSet::new();
    let mut candidates: BTreeSet<&str> = BTreeSet::new();
    let globs = Globs::default();
    // Dependents first.
    for label in links.order(true) {
        let task = &graph.tasks[label];
        let dependents = &links.dependents[label];
        let prune_deps: BTreeSet<&str> = dependents
            .iter()
            .copied()
            .filter(|d| candidates.contains(d))
            .filter(|d| {
                let ifs = &graph.tasks[*d].if_dependencies;
                ifs.is_empty() || ifs.iter().any(|l| l == label)
            })
            .collect();
        let keep = |candidates: &mut BTreeSet<&'a str>| {
            let mut queue: Vec<&str> = prune_deps.iter().copied().collect();
            while let Some(l) = queue.pop() {
                if !candidates.contains(l) || graph.tasks[l].if_dependencies.is_empty() {
                    continue;
                }
                candidates.remove(l);
                queue.extend(
                    links.dependents[l]
                        .iter()
                        .copied()
                        .filter(|r| candidates.contains(r)),
                );
            }
        };
        let remove = |candidates: &mut BTreeSet<&'a str>, removed: &mut BTreeSet<&'a str>| {
            if prune_deps.is_empty() {
                removed.insert(label);
            } else {
                candidates.insert(label);
            }
        };
        if do_not_optimize.contains(label) {
            keep(&mut candidates);
            continue;
        }
        if dependents
            .iter()
            .any(|d| !removed.contains(d) && !prune_deps.contains(d))
        {
            keep(&mut candidates);
            continue;
        }
        if !requested.contains(label) {
            remove(&mut candidates, &mut removed);
            continue;
        }
        if should_remove(&strategies[label], params, &globs) {
            remove(&mut candidates, &mut removed);
            continue;
        }
        if task.if_dependencies.is_empty() {
            keep(&mut candidates);
        } else {
            candidates.insert(label);
        }
    }
    let pruned: Vec<&str> = candidates
        .iter()
        .copied()
        .filter(|l| {
            !links.dependents[l]
                .iter()
                .any(|d| !candidates.contains(d) && !removed.contains(d))
        })
        .collect();
    removed.extend(pruned);
    removed
}

/// Phase 2: tasks replaced by `existing_tasks` (the offline strategies never replace).
fn replace_tasks<'a>(
    links: &Links<'a>,
    removed: &BTreeSet<&'a str>,
    do_not_optimize: &BTreeSet<String>,
    existing: &Map<String, J>,
    label_to_id: &mut BTreeMap<&'a str, String>,
) -> BTreeSet<&'a str> {
    let mut replaced: BTreeSet<&str> = BTreeSet::new();
    // Dependencies first.
    for label in links.order(false) {
        if do_not_optimize.contains(label) {
            continue;
        }
        if links.dependencies[label]
            .iter()
            .any(|d| !replaced.contains(d) && !removed.contains(d))
        {
            continue;
        }
        if let Some(id) = existing
            .get(label)
            .and_then(J::as_str)
            .filter(|s| !s.is_empty())
        {
            label_to_id.insert(label, id.to_owned());
            replaced.insert(label);
        }
    }
    replaced
}

/// The tasks never optimized away: the `do_not_optimize` parameter's, and the target tasks
/// unless `optimize_target_tasks`.
fn do_not_optimize(params: &Parameters, targets: &Targets) -> BTreeSet<String> {
    let mut kept: BTreeSet<String> = match params.0.get("do_not_optimize") {
        Some(J::Array(l)) => l.iter().filter_map(J::as_str).map(str::to_owned).collect(),
        _ => BTreeSet::new(),
    };
    if params.0.get("optimize_target_tasks") == Some(&J::Bool(false)) {
        kept.extend(targets.set.iter().cloned());
    }
    kept
}

/// Each task's strategy, every one checked before anything is removed.
fn strategies<'a>(
    graph: &Graph,
    targets: &'a Targets,
    do_not_optimize: &BTreeSet<String>,
) -> Result<BTreeMap<&'a str, Strategy>, GraphError> {
    let mut strategies = BTreeMap::new();
    for label in &targets.graph {
        let s = if do_not_optimize.contains(label) {
            Strategy::Never
        } else {
            strategy(&graph.tasks[label])?
        };
        strategies.insert(label.as_str(), s);
    }
    Ok(strategies)
}

/// Phase 3: no kept task may depend on a removed one.
fn no_kept_task_needs_a_removed_one(
    graph: &Graph,
    targets: &Targets,
    removed: &BTreeSet<&str>,
) -> Result<(), GraphError> {
    let mut problems = Vec::new();
    for label in &targets.graph {
        if removed.contains(label.as_str()) {
            continue;
        }
        for (name, dep) in &graph.tasks[label].dependencies {
            if removed.contains(dep.as_str()) {
                problems.push(format!(
                    "{label} depends on {dep} as {name} but it has been removed"
                ));
            }
        }
    }
    if problems.is_empty() {
        return Ok(());
    }
    Err(GraphError::invalid(
        InvalidKind::Optimization,
        format!("Optimization error: {}", problems.join(", ")),
    ))
}

/// The optimized graph (§4.6): the kept tasks, by label, with their taskIds.
pub fn optimize(
    graph: &Graph,
    targets: &Targets,
    params: &Parameters,
    root_url_given: Option<&str>,
) -> Result<BTreeMap<String, Optimized>, GraphError> {
    let do_not_optimize = do_not_optimize(params, targets);
    let strategies = strategies(graph, targets, &do_not_optimize)?;
    let links = Links::new(graph, &targets.graph);
    let removed = remove_tasks(
        graph,
        &links,
        &strategies,
        &targets.requested,
        &do_not_optimize,
        params,
    );
    let existing = match params.0.get("existing_tasks") {
        Some(J::Object(m)) => m.clone(),
        _ => Map::new(),
    };
    let mut label_to_id: BTreeMap<&str, String> = BTreeMap::new();
    let replaced = replace_tasks(
        &links,
        &removed,
        &do_not_optimize,
        &existing,
        &mut label_to_id,
    );
    no_kept_task_needs_a_removed_one(graph, targets, &removed)?;
    for label in &targets.graph {
        if !removed.contains(label.as_str()) && !label_to_id.contains_key(label.as_str()) {
            label_to_id.insert(label, tc_taskdef::slugid::nice());
        }
    }
    let omitted = |l: &str| removed.contains(l) || replaced.contains(l);
    let root_url = root_url(root_url_given, std::env::var("TASK_ID").ok().as_deref());
    let mut out = BTreeMap::new();
    for label in &targets.graph {
        if omitted(label) {
            continue;
        }
        let source = &graph.tasks[label];
        let task_id = label_to_id[label.as_str()].clone();
        let mut named: super::deps::Dependencies = source
            .dependencies
            .iter()
            .map(|(name, dep)| (name.clone(), label_to_id[dep.as_str()].clone()))
            .collect();
        for soft in &source.soft_dependencies {
            if let Some(id) = label_to_id.get(soft.as_str()).filter(|_| !omitted(soft)) {
                named.insert(soft.clone(), id.clone());
            }
        }
        let mut refs = References::new(label, &task_id, &named, &root_url);
        let mut task = source.clone();
        let mut def = refs.resolve(&source.task.value());
        if let Some(name) = refs.missing.first() {
            return Err(GraphError::invalid(
                InvalidKind::Optimization,
                format!("task '{label}' has no dependency named '{name}'"),
            ));
        }
        if let Some(problem) = refs.problems.first() {
            return Err(GraphError::invalid(
                InvalidKind::Optimization,
                problem.clone(),
            ));
        }
        let mut ids: Vec<J> = named.values().map(|id| J::String(id.clone())).collect();
        ids.sort_by(|a, b| a.as_str().cmp(&b.as_str()));
        if let Some(def) = def.as_object_mut() {
            match def
                .entry("dependencies")
                .or_insert_with(|| J::Array(Vec::new()))
            {
                J::Array(list) => list.extend(ids),
                _ => {
                    return Err(GraphError::invalid(
                        InvalidKind::Optimization,
                        format!("task '{label}': task.dependencies must be a list"),
                    ));
                }
            }
        }
        task.dependencies.extend(named);
        task.task = Def::new(&def);
        if task.task.facts.worker_type.as_deref() == Some("always-optimized") {
            return Err(GraphError::invalid(
                InvalidKind::Optimization,
                format!(
                    "Could not optimize the task '{label}': an always-optimized task must be removed by its optimization"
                ),
            ));
        }
        out.insert(label.clone(), Optimized { task_id, task });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_follow_taskgraph() {
        for (path, pattern, want) in [
            ("foo", "*", true),
            ("foo", "f*", true),
            ("foo/bar", "foo/*/bar", false),
            ("foo/x/bar", "foo/*/bar", true),
            ("foo/bar", "foo", true),
            ("foobar", "foo", false),
            ("foo/bar", "foo/**/bar", true),
            ("foo/a/b/bar", "foo/**/bar", true),
            ("foo/bar", "**/bar", true),
            ("bar", "**/bar", true),
            ("a/b/c", "a/**", true),
            ("a", "a/**", true),
            ("anything/at/all", "**", true),
            ("a?c", "a?c", true),
            ("abc", "a?c", false),
            ("a[b]c", "a[b]c", true),
            ("src/x.py", "src/*.py", true),
            ("src/sub/x.py", "src/*.py", false),
            ("x/src/a", "src/**", false),
        ] {
            assert_eq!(path_matches(path, pattern), want, "{path} ~ {pattern}");
        }
        assert!(path_matches("whatever", ""));
    }
}

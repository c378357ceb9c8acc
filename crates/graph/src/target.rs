//! The `target` stage (taskgraph.md §4.3–§4.5): the target task set chosen by the parameters'
//! `filters` and `target_tasks_method` (or try syntax), then the target graph, its closure
//! over the full graph's edges with the always-target tasks.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value as J, json};

use super::jv::Jv;

use super::config::Config;
use super::error::{GraphError, InvalidKind};
use super::generate::Graph;
use super::parameters::Parameters;
use super::transform::Task;
use tc_try::{Input, Resolved, TestEntry};

/// The target task set and the target graph of a full graph.
#[derive(Debug, Default)]
pub struct Targets {
    /// What the target method chose.
    pub set: BTreeSet<String>,
    /// `set` plus the always-target tasks.
    pub requested: BTreeSet<String>,
    /// The transitive closure of `requested` over the edges.
    pub graph: BTreeSet<String>,
}

fn strings(v: Option<&Jv>) -> Vec<&str> {
    match v {
        Some(Jv::Array(items)) => items.iter().filter_map(Jv::as_str).collect(),
        _ => Vec::new(),
    }
}

/// An attribute as Python's `str()` of a scalar; missing, null or a container never matches.
fn attr(task: &Task, key: &str) -> Option<String> {
    match task.attributes.get(key)? {
        Jv::String(s) => Some(s.clone()),
        Jv::Bool(true) => Some("True".into()),
        Jv::Bool(false) => Some("False".into()),
        n @ (Jv::Int(_) | Jv::Float(_)) => Some(n.to_string()),
        _ => None,
    }
}

fn truthy(v: Option<&Jv>) -> bool {
    v.is_some_and(Jv::truthy)
}

/// taskgraph's `standard_filter`: cron, shipping phase, project, tasks-for, git branch.
fn standard_filter(task: &Task, params: &Parameters) -> Result<bool, GraphError> {
    let a = &task.attributes;
    if truthy(a.get("cron")) {
        return Ok(false);
    }
    if !matches!(a.get("shipping_phase"), None | Some(Jv::Null))
        && a.get("shipping_phase").and_then(Jv::as_str) != Some("build")
    {
        return Ok(false);
    }
    let projects = strings(a.get("run_on_projects"));
    let project = params.get_str("project");
    if !projects.iter().any(|p| *p == "all" || *p == project) {
        return Ok(false);
    }
    let tasks_for = params.get_str("tasks_for");
    let run_on_tasks_for = match a.get("run_on_tasks_for") {
        None => vec!["all"],
        v => strings(v),
    };
    if !run_on_tasks_for
        .iter()
        .any(|t| *t == "all" || *t == tasks_for)
    {
        return Ok(false);
    }
    if params.0.get("repository_type").and_then(J::as_str) != Some("git")
        || tasks_for.starts_with("github-pull-request")
    {
        return Ok(true);
    }
    let branches = match a.get("run_on_git_branches") {
        None => vec!["all"],
        v => strings(v),
    };
    if branches.contains(&"all") {
        return Ok(true);
    }
    let head_ref = params.get_str("head_ref");
    let branch = head_ref.strip_prefix("refs/heads/").unwrap_or(head_ref);
    for pattern in branches {
        // `re.match`: anchored at the start only.
        // Python's `re` takes syntax Rust's engine does not (look-around, backreferences).
        let re = regex::Regex::new(&format!("^(?:{pattern})")).map_err(|e| {
            GraphError::Unsupported(vec![format!(
                "task '{}': tc cannot match run-on-git-branches entry '{pattern}' as Python's re would ({e}); use taskgraph",
                task.label
            )])
        })?;
        if re.is_match(branch) {
            return Ok(true);
        }
    }
    Ok(false)
}

/// The labels one `target_tasks_method` keeps out of `among`.
fn method(
    name: &str,
    graph: &Graph,
    among: &BTreeSet<String>,
    params: &Parameters,
) -> Result<BTreeSet<String>, GraphError> {
    let mut out = BTreeSet::new();
    match name {
        "nothing" => {}
        "default" | "codereview" => {
            for label in among {
                let task = &graph.tasks[label];
                if standard_filter(task, params)?
                    && (name == "default" || truthy(task.attributes.get("code-review")))
                {
                    out.insert(label.clone());
                }
            }
        }
        other => {
            return Err(GraphError::invalid(
                InvalidKind::Target,
                format!(
                    "unknown target_tasks_method '{other}'; use default, nothing, codereview or try_option_syntax"
                ),
            ));
        }
    }
    Ok(out)
}

/// Where try syntax comes from: `--try`, or the `message` parameter.
#[derive(Debug, Clone, Copy)]
pub enum TrySource<'a> {
    String(&'a str),
    Message(&'a str),
}

/// The target set, then the target graph (§4.3–§4.5). Try syntax (`try_option_syntax`) also
/// changes tasks: attributes of the selected ones and notification routes of every task.
pub fn targets(
    graph: &mut Graph,
    params: &Parameters,
    config: &Config,
    try_string: Option<&str>,
) -> Result<Targets, GraphError> {
    let filters = match params.0.get("filters") {
        Some(J::Array(f)) if !f.is_empty() => f.iter().filter_map(J::as_str).collect(),
        _ => vec!["target_tasks_method"],
    };
    let mut set: BTreeSet<String> = graph.tasks.keys().cloned().collect();
    for filter in filters {
        if filter != "target_tasks_method" {
            return Err(GraphError::invalid(
                InvalidKind::Target,
                format!(
                    "unknown filter '{filter}' in the parameter filters; taskgraph has only target_tasks_method"
                ),
            ));
        }
        let name = match try_string {
            Some(_) => "try_option_syntax",
            None => params
                .0
                .get("target_tasks_method")
                .and_then(J::as_str)
                .unwrap_or("default"),
        };
        set = if name == "try_option_syntax" {
            let source = match try_string {
                Some(s) => TrySource::String(s),
                None => TrySource::Message(params.get_str("message")),
            };
            try_select(graph, &set, params, config, source)?
        } else {
            method(name, graph, &set, params)?
        };
    }
    let always = match params.0.get("enable_always_target") {
        Some(J::Bool(true)) => graph
            .tasks
            .values()
            .filter(|t| truthy(t.attributes.get("always_target")))
            .map(|t| t.label.clone())
            .collect(),
        Some(J::Array(kinds)) => graph
            .tasks
            .values()
            .filter(|t| truthy(t.attributes.get("always_target")))
            .filter(|t| kinds.iter().any(|k| k.as_str() == Some(t.kind.as_str())))
            .map(|t| t.label.clone())
            .collect(),
        _ => BTreeSet::new(),
    };
    let requested: BTreeSet<String> = set.union(&always).cloned().collect();
    let closure = closure(graph, &requested);
    Ok(Targets {
        set,
        requested,
        graph: closure,
    })
}

/// `requested` and every task they depend on, directly or not.
fn closure(graph: &Graph, requested: &BTreeSet<String>) -> BTreeSet<String> {
    let mut out = requested.clone();
    let mut queue: Vec<&String> = requested.iter().collect();
    while let Some(label) = queue.pop() {
        if let Some(task) = graph.tasks.get(label) {
            for dep in task.dependencies.values() {
                if out.insert(dep.clone()) {
                    queue.push(dep);
                }
            }
        }
    }
    out
}

/// The try context of a full graph (try-syntax.md §11): distinct attribute values.
fn try_context(graph: &Graph, config: &Config) -> Result<tc_try::Context, GraphError> {
    let distinct = |key: &str| -> Vec<String> {
        let set: BTreeSet<String> = graph.tasks.values().filter_map(|t| attr(t, key)).collect();
        set.into_iter().collect()
    };
    let mut ridealong_builds = BTreeMap::new();
    if let Some(node) = &config.ridealong_builds {
        let value = node.to_json()?;
        let J::Object(map) = value else {
            return Err(GraphError::invalid_at(
                InvalidKind::Config,
                "try.ridealong-builds in config.yml must map platforms to lists of platforms",
                Some(node.span.clone()),
            ));
        };
        for (platform, builds) in map {
            let builds: Option<Vec<String>> = match builds {
                J::Array(items) => items
                    .iter()
                    .map(|b| b.as_str().map(str::to_owned))
                    .collect(),
                _ => None,
            };
            let builds = builds.ok_or_else(|| {
                GraphError::invalid_at(
                    InvalidKind::Config,
                    format!(
                        "try.ridealong-builds.{platform} in config.yml must be a list of platforms"
                    ),
                    Some(node.span.clone()),
                )
            })?;
            ridealong_builds.insert(platform, builds);
        }
    }
    Ok(tc_try::Context {
        build_types: distinct("build_type"),
        build_platforms: distinct("build_platform"),
        test_platforms: distinct("test_platform"),
        ridealong_builds,
        unittest_try_names: distinct("unittest_try_name"),
        talos_try_names: distinct("talos_try_name"),
        raptor_try_names: distinct("raptor_try_name"),
    })
}

const BUILD_KINDS: [&str; 6] = [
    "build",
    "artifact-build",
    "hazard",
    "l10n",
    "valgrind",
    "spidermonkey",
];

fn tier(task: &Task) -> Option<i64> {
    task.task.facts.tier
}

/// What the resolved options select, as gecko's `task_matches` (try-syntax.md §11).
struct Selector<'a> {
    graph: &'a Graph,
    resolved: &'a Resolved,
    /// The tiers of the `kind: test` tasks by `unittest_try_name`.
    test_tiers: BTreeMap<String, BTreeSet<Option<i64>>>,
}

impl Selector<'_> {
    fn all_run(task: &Task) -> bool {
        strings(task.attributes.get("run_on_projects")).contains(&"all")
    }

    fn platform_ok(&self, task: &Task) -> bool {
        match &self.resolved.platforms {
            None => true,
            Some(p) => attr(task, "build_platform").is_some_and(|b| p.contains(&b)),
        }
    }

    fn matches(&self, task: &Task) -> bool {
        if truthy(task.attributes.get("job_try_name")) {
            let job = attr(task, "job_try_name").unwrap_or_default();
            return match &self.resolved.jobs {
                Some(jobs) => jobs.contains(&job),
                None => self.platform_ok(task) && Self::all_run(task),
            };
        }
        if BUILD_KINDS.contains(&task.kind.as_str()) {
            let build_type_ok =
                attr(task, "build_type").is_some_and(|b| self.resolved.build_types.contains(&b));
            return build_type_ok
                && match &self.resolved.platforms {
                    None => Self::all_run(task),
                    Some(_) => self.platform_ok(task),
                };
        }
        if task.kind == "test" {
            return [
                (&self.resolved.unittests, "unittest_try_name"),
                (&self.resolved.talos, "talos_try_name"),
                (&self.resolved.raptor, "raptor_try_name"),
            ]
            .iter()
            .any(|(entries, name)| self.test_matches(task, entries, name));
        }
        false
    }

    fn test_matches(&self, task: &Task, entries: &[TestEntry], name: &str) -> bool {
        let build_type_ok =
            attr(task, "build_type").is_some_and(|b| self.resolved.build_types.contains(&b));
        let platform_ok = match &self.resolved.platforms {
            None => attr(task, "build_platform").is_some(),
            Some(_) => self.platform_ok(task),
        };
        if !build_type_ok || !platform_ok {
            return false;
        }
        // An empty selection (`-u none`) is no entries; "all" is resolved to every name.
        let Some(value) = attr(task, name) else {
            return false;
        };
        let Some(entry) = entries.iter().find(|e| e.test == value) else {
            return false;
        };
        if let Some(chunks) = &entry.only_chunks {
            // taskgraph.md §4.4: `test_chunk` is compared as given, so only a string matches.
            let chunk = task.attributes.get("test_chunk").and_then(Jv::as_str);
            if !chunk.is_some_and(|c| chunks.contains(c)) {
                return false;
            }
        }
        if let Some(platforms) = &entry.platforms {
            let test_platform = attr(task, "test_platform").unwrap_or_default();
            let base = test_platform.split('/').next().unwrap_or_default();
            return platforms.iter().any(|p| p == "all" || p == base);
        }
        let own = tier(task);
        if own != Some(1) {
            let build_tier = task
                .dependencies
                .get("build")
                .and_then(|b| self.graph.tasks.get(b))
                .and_then(|t| tier(t));
            if let (Some(own), Some(build)) = (own, build_tier)
                && own <= build
            {
                return true;
            }
            let same_name = attr(task, "unittest_try_name").unwrap_or_default();
            return !self
                .test_tiers
                .get(&same_name)
                .is_some_and(|t| t.contains(&Some(1)));
        }
        Self::all_run(task)
    }
}

/// `try_option_syntax` (§4.4): parse against the graph's context, select, then gecko's side
/// effects on attributes and routes.
fn try_select(
    graph: &mut Graph,
    among: &BTreeSet<String>,
    params: &Parameters,
    config: &Config,
    source: TrySource,
) -> Result<BTreeSet<String>, GraphError> {
    let context = try_context(graph, config)?;
    let (input, text) = match source {
        TrySource::String(s) => (Input::TryString(s), s.to_owned()),
        TrySource::Message(m) => (
            Input::Message(m),
            tc_try::try_line(m).unwrap_or_default().to_owned(),
        ),
    };
    let parsed =
        tc_try::parse(input, Some(&context)).map_err(|error| GraphError::Try { error, text })?;
    let Some(parsed) = parsed else {
        // A message without `try:` selects nothing, as in gecko.
        return Ok(BTreeSet::new());
    };
    let Some(resolved) = parsed.resolved.as_ref() else {
        return Ok(BTreeSet::new());
    };
    let mut test_tiers: BTreeMap<String, BTreeSet<Option<i64>>> = BTreeMap::new();
    for task in graph.tasks.values().filter(|t| t.kind == "test") {
        if let Some(name) = attr(task, "unittest_try_name") {
            test_tiers.entry(name).or_default().insert(tier(task));
        }
    }
    let selector = Selector {
        graph,
        resolved,
        test_tiers,
    };
    let selected: BTreeSet<String> = among
        .iter()
        .filter(|l| selector.matches(&graph.tasks[*l]))
        .cloned()
        .collect();

    let raw = &parsed.options.raw;
    for label in &selected {
        let Some(task) = graph.tasks.get_mut(label) else {
            continue;
        };
        if let Some(suite) = task.attributes.get("unittest_suite").cloned() {
            let duplicates = match suite.as_str() {
                Some("talos") if raw.rebuild_talos > 1 => raw.rebuild_talos,
                Some("raptor") if raw.rebuild_raptor > 1 => raw.rebuild_raptor,
                _ => raw.rebuild,
            };
            task.attributes
                .insert("task_duplicates".into(), Jv::from_serde(&json!(duplicates)));
        }
        task.attributes
            .insert("no_retry".into(), Jv::from_serde(&json!(raw.no_retry)));
        task.attributes
            .insert("tag".into(), Jv::from_serde(&json!(raw.tag)));
    }
    let routes: Vec<String> = match raw.notify.as_deref() {
        Some("all") => vec!["on-any".into()],
        Some("failure") => vec!["on-failed".into(), "on-exception".into()],
        _ => Vec::new(),
    };
    if !routes.is_empty() {
        let owner = params.get_str("owner").to_owned();
        for task in graph.tasks.values_mut() {
            task.task.edit(|def| {
                let Some(def) = def.as_object_mut() else {
                    return;
                };
                let list = def.entry("routes").or_insert_with(|| json!([]));
                if let Some(list) = list.as_array_mut() {
                    for r in &routes {
                        list.push(J::String(format!("notify.email.{owner}.{r}")));
                    }
                }
            });
        }
    }
    Ok(selected)
}

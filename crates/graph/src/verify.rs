//! The verifications taskgraph runs on the full graph (taskgraph.md §4.2), in its order; the
//! first failure is the error.

use std::collections::BTreeMap;
use std::hash::BuildHasher as _;

use rayon::prelude::*;
use rustc_hash::{FxBuildHasher, FxHashMap};

use super::jv::Jv;

use super::def::Treeherder;
use super::error::{GraphError, InvalidKind};
use super::transform::Task;

const NOTIFY_FILTERS: [&str; 9] = [
    "on-any",
    "on-completed",
    "on-defined",
    "on-failed",
    "on-exception",
    "on-pending",
    "on-resolved",
    "on-running",
    "on-transition",
];

fn tier(task: &Task) -> Option<i64> {
    task.task.facts.tier
}

fn identifier_ok(s: &str) -> bool {
    (1..=38).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

fn index_route_ok(rest: &str) -> bool {
    let segment_ok = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"_!~*'()%-".contains(&b))
    };
    rest.split('.').all(segment_ok)
}

/// The names a task's `toolchain-alias` attribute gives (a string or a list of them).
fn toolchain_aliases_of(task: &Task) -> Vec<&str> {
    match task.attributes.get("toolchain-alias") {
        Some(Jv::String(s)) => vec![s.as_str()],
        Some(Jv::Array(items)) => items.iter().filter_map(Jv::as_str).collect(),
        _ => Vec::new(),
    }
}

/// What the checks read besides a task.
struct Context<'a> {
    tasks: &'a BTreeMap<String, Box<Task>>,
    index_prefix: String,
    cache_prefix: String,
    /// The `project` parameter: when it is empty, index routes built from it have an empty part.
    project: &'a str,
}

/// A task as the checks see it: its label, the task, and what one look at each task found
/// for the checks that compare tasks.
struct Seen<'a> {
    label: &'a str,
    task: &'a Task,
    /// The `Each` passes (by place in `PASSES`) this task fails.
    failed: u16,
    /// The hash of its treeherder key, when it has one.
    symbol: Option<u64>,
    toolchain_aliases: Vec<&'a str>,
}

/// The first failure of taskgraph's verifications (its words), naming the tasks.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
#[diagnostic(code(tc::graph::verification))]
pub enum VerifyError {
    #[error("Task {label} has {count} collections, expected exactly one")]
    Collections { label: String, count: usize },
    /// `symbol` is `group(symbol)`, the group `None` when there is none (Python's words).
    #[error(
        "Duplicate treeherder platform and symbol in tasks `{other}` and `{label}`: {platform}/{collection} {symbol}"
    )]
    DuplicateSymbol {
        other: String,
        label: String,
        platform: String,
        collection: String,
        symbol: String,
    },
    #[error("conflict between {other}:{label} for route: {route}")]
    DuplicateRoute {
        other: String,
        label: String,
        route: String,
    },
    #[error("{label} has invalid notification filter ({filter})")]
    NotificationFilter { label: String, filter: String },
    /// `empty_project`: the route has an empty part where the (empty) project goes.
    #[error("{label} has invalid index route: {route}")]
    IndexRoute {
        label: String,
        route: String,
        empty_project: bool,
    },
    #[error("{label} (tier {tier}) cannot depend on {dependency} (tier {})", dependency_tier.map_or_else(|| "unknown".to_owned(), |t| t.to_string()))]
    DependencyTier {
        label: String,
        tier: i64,
        dependency: String,
        dependency_tier: Option<i64>,
    },
    #[error("Duplicate toolchain-alias in tasks `{other}`and `{label}`: {name}")]
    DuplicateToolchainAlias {
        other: String,
        label: String,
        name: String,
    },
    #[error("{label} uses cache {name}: cache names must start with {prefix}")]
    CachePrefix {
        label: String,
        name: String,
        prefix: String,
    },
    #[error("{label} uses the reserved cache {name} without run-task (or without its hash)")]
    ReservedCache { label: String, name: String },
    #[error("{label} has an invalid {field}: '{value}'")]
    Identifier {
        label: String,
        field: &'static str,
        value: String,
    },
    #[error("task {label} has too many dependencies ({count} > 9999)")]
    TooManyDependencies { label: String, count: usize },
}

impl From<VerifyError> for GraphError {
    fn from(e: VerifyError) -> GraphError {
        let error = GraphError::invalid(InvalidKind::Verification, e.to_string());
        match e.hint() {
            Some(hint) => error.with_help(hint),
            None => error,
        }
    }
}

impl VerifyError {
    /// What to do beyond the message, when tc knows.
    pub fn hint(&self) -> Option<&'static str> {
        match self {
            VerifyError::IndexRoute {
                empty_project: true,
                ..
            } => Some(EMPTY_PROJECT_HINT),
            _ => None,
        }
    }
}

/// One check of one task.
type Each = fn(&str, &Task, &Context) -> Result<(), VerifyError>;

/// One verification: of each task on its own, or of the tasks together.
enum Pass {
    Each(Each),
    Whole(fn(&[Seen], &Context) -> Result<(), VerifyError>),
}

/// taskgraph's verifications in the order it runs them, each over every task before the next
/// (so of two failures, the earlier verification's is the error).
const PASSES: [Pass; 9] = [
    Pass::Whole(treeherder_symbols),
    Pass::Whole(trust_domain_routes),
    Pass::Each(notification_filters),
    Pass::Each(index_routes),
    Pass::Each(dependency_tiers),
    Pass::Whole(toolchain_aliases),
    Pass::Each(run_task_caches),
    Pass::Each(identifiers),
    Pass::Each(dependency_count),
];
const _: () = assert!(
    PASSES.len() <= u16::BITS as usize,
    "a bit of `Seen::failed` each"
);

/// The parameters the checks read.
pub struct Params<'a> {
    pub trust_domain: &'a str,
    pub level: &'a str,
    pub project: &'a str,
}

/// Checks the full graph; `Err` is the first failure.
pub fn verify(tasks: &BTreeMap<String, Box<Task>>, params: &Params) -> Result<(), VerifyError> {
    let cx = Context {
        tasks,
        index_prefix: format!("index.{}.v2", params.trust_domain),
        cache_prefix: format!("{}-level-{}-", params.trust_domain, params.level),
        project: params.project,
    };
    let all: Vec<(&str, &Task)> = tasks.iter().map(|(l, t)| (l.as_str(), &**t)).collect();
    // Each task is looked at once, on all cores: tasks lie far apart in memory and the checks
    // mostly wait for it. A failing task's message is made again when it is the one reported.
    let seen: Vec<Seen> = all
        .par_iter()
        .map(|&(label, task)| {
            let mut failed = 0;
            for (i, pass) in PASSES.iter().enumerate() {
                if let Pass::Each(check) = pass
                    && check(label, task, &cx).is_err()
                {
                    failed |= 1 << i;
                }
            }
            Seen {
                label,
                task,
                failed,
                symbol: treeherder_key(task).map(|key| FxBuildHasher.hash_one(key)),
                toolchain_aliases: toolchain_aliases_of(task),
            }
        })
        .collect();
    for (i, pass) in PASSES.iter().enumerate() {
        match pass {
            Pass::Whole(check) => check(&seen, &cx)?,
            Pass::Each(check) => {
                if let Some(s) = seen.iter().find(|s| s.failed & (1 << i) != 0) {
                    check(s.label, s.task, &cx)?;
                }
            }
        }
    }
    Ok(())
}

/// A task's treeherder `(platform, collection, group, symbol)`, when it has one collection.
fn treeherder_key(task: &Task) -> Option<(&str, &str, &str, &str)> {
    let th = task.task.facts.treeherder.as_ref()?;
    let [collection] = th.collections.as_slice() else {
        return None;
    };
    Some((
        &th.platform,
        collection,
        th.group.as_deref().unwrap_or_default(),
        &th.symbol,
    ))
}

/// Treeherder: one collection, and a unique (platform, collection, group, symbol).
fn treeherder_symbols(seen: &[Seen], _: &Context) -> Result<(), VerifyError> {
    // By the keys' hashes, found on all cores.
    symbols_unique_by(seen, |s| s.symbol, true)
}

/// [`treeherder_symbols`] with the tasks' keys as `key` gives them; when `hashed`, two tasks
/// with one key have their whole keys compared, and should those differ, the check starts again
/// by the whole keys.
fn symbols_unique_by<'a, K: std::hash::Hash + Eq>(
    seen: &[Seen<'a>],
    key: fn(&Seen<'a>) -> Option<K>,
    hashed: bool,
) -> Result<(), VerifyError> {
    let mut first: FxHashMap<K, &Seen> = FxHashMap::default();
    for s in seen {
        let Some(th) = &s.task.task.facts.treeherder else {
            continue;
        };
        if th.collections.len() != 1 {
            return Err(VerifyError::Collections {
                label: s.label.to_owned(),
                count: th.collections.len(),
            });
        }
        let Some(k) = key(s) else { continue };
        if let Some(other) = first.insert(k, s) {
            if hashed && treeherder_key(other.task) != treeherder_key(s.task) {
                return symbols_unique_by(seen, |s| treeherder_key(s.task), false);
            }
            return Err(duplicate_symbol(other.label, s.label, th));
        }
    }
    Ok(())
}

fn duplicate_symbol(other: &str, label: &str, th: &Treeherder) -> VerifyError {
    let symbol = &th.symbol;
    let group = th.group.as_deref().unwrap_or("None");
    VerifyError::DuplicateSymbol {
        other: other.to_owned(),
        label: label.to_owned(),
        platform: th.platform.clone(),
        collection: th.collections[0].clone(),
        symbol: format!("{group}({symbol})"),
    }
}

/// The first name given twice, as (the earlier task's label, the later's, the name), of the
/// pairs (task label, name) in task order.
fn first_repeat<'a>(
    names: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> Option<(&'a str, &'a str, &'a str)> {
    let mut first: FxHashMap<&str, &str> = FxHashMap::default();
    names
        .into_iter()
        .find_map(|(label, name)| first.insert(name, label).map(|other| (other, label, name)))
}

/// `index.<trust domain>.v2` routes are unique.
fn trust_domain_routes(seen: &[Seen], cx: &Context) -> Result<(), VerifyError> {
    let routes = seen.iter().flat_map(|s| {
        let routes = s.task.task.facts.routes.iter();
        routes
            .filter(|r| r.starts_with(&cx.index_prefix))
            .map(move |r| (s.label, r.as_str()))
    });
    match first_repeat(routes) {
        Some((other, label, route)) => Err(VerifyError::DuplicateRoute {
            other: other.to_owned(),
            label: label.to_owned(),
            route: route.to_owned(),
        }),
        None => Ok(()),
    }
}

fn notification_filters(label: &str, task: &Task, _: &Context) -> Result<(), VerifyError> {
    for route in &task.task.facts.routes {
        if route.starts_with("notify.") {
            let last = route.rsplit('.').next().unwrap_or("");
            if !NOTIFY_FILTERS.contains(&last) {
                return Err(VerifyError::NotificationFilter {
                    label: label.to_owned(),
                    filter: last.to_owned(),
                });
            }
        }
    }
    Ok(())
}

fn index_routes(label: &str, task: &Task, cx: &Context) -> Result<(), VerifyError> {
    for route in &task.task.facts.routes {
        if let Some(rest) = route.strip_prefix("index.")
            && !index_route_ok(rest)
        {
            return Err(VerifyError::IndexRoute {
                label: label.to_owned(),
                route: route.clone(),
                empty_project: cx.project.is_empty() && rest.split('.').any(str::is_empty),
            });
        }
    }
    Ok(())
}

/// Why an index route may have an empty part, and what to do about it.
const EMPTY_PROJECT_HINT: &str = "the `project` parameter is empty: tc takes it from the \
     repository's `origin` remote only when that is on GitHub; set `project: <name>` in a -p file";

/// No dependency on a task of a higher tier number (a missing tier ranks above all).
fn dependency_tiers(label: &str, task: &Task, cx: &Context) -> Result<(), VerifyError> {
    let Some(mine) = tier(task) else {
        return Ok(());
    };
    for dep in task.dependencies.values() {
        let Some(d) = cx.tasks.get(dep) else { continue };
        let exempt = d.kind.contains("dummy")
            || d.task.facts.worker_type.as_deref() == Some("always-optimized");
        if exempt {
            continue;
        }
        match tier(d) {
            Some(t) if t <= mine => {}
            theirs => {
                return Err(VerifyError::DependencyTier {
                    label: label.to_owned(),
                    tier: mine,
                    dependency: dep.clone(),
                    dependency_tier: theirs,
                });
            }
        }
    }
    Ok(())
}

fn toolchain_aliases(seen: &[Seen], _: &Context) -> Result<(), VerifyError> {
    let aliases = seen
        .iter()
        .flat_map(|s| s.toolchain_aliases.iter().map(move |&name| (s.label, name)));
    match first_repeat(aliases) {
        Some((other, label, name)) => Err(VerifyError::DuplicateToolchainAlias {
            other: other.to_owned(),
            label: label.to_owned(),
            name: name.to_owned(),
        }),
        None => Ok(()),
    }
}

/// docker-worker caches carry the trust domain and level; run-task's own need run-task.
fn run_task_caches(label: &str, task: &Task, cx: &Context) -> Result<(), VerifyError> {
    let Some((caches, command)) = &task.task.facts.caches else {
        return Ok(());
    };
    let prefix = &cx.cache_prefix;
    let run_task = command.as_deref().is_some_and(|c| {
        c.rsplit('/')
            .next()
            .is_some_and(|b| b.starts_with("run-task"))
    });
    for name in caches {
        let Some(rest) = name.strip_prefix(prefix.as_str()) else {
            return Err(VerifyError::CachePrefix {
                label: label.to_owned(),
                name: name.clone(),
                prefix: prefix.clone(),
            });
        };
        if (rest.starts_with("checkouts") || rest.starts_with("tooltool-cache"))
            && !(run_task && name.contains("b501540836ece0d08200"))
        {
            return Err(VerifyError::ReservedCache {
                label: label.to_owned(),
                name: name.clone(),
            });
        }
    }
    Ok(())
}

/// `workerType` then `provisionerId` are identifiers.
fn identifiers(label: &str, task: &Task, _: &Context) -> Result<(), VerifyError> {
    let facts = &task.task.facts;
    for (field, value) in [
        ("workerType", &facts.worker_type),
        ("provisionerId", &facts.provisioner_id),
    ] {
        let value = value.as_deref().unwrap_or("");
        if !identifier_ok(value) {
            return Err(VerifyError::Identifier {
                label: label.to_owned(),
                field,
                value: value.to_owned(),
            });
        }
    }
    Ok(())
}

/// Dependencies of every sort together.
fn dependency_count(label: &str, task: &Task, _: &Context) -> Result<(), VerifyError> {
    let count = task.dependencies.len() + task.soft_dependencies.len() + task.if_dependencies.len();
    if count > 9999 {
        return Err(VerifyError::TooManyDependencies {
            label: label.to_owned(),
            count,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;
    use crate::def::Def;
    use crate::yaml::Span;

    fn task(label: &str, def: &Value) -> (String, Box<Task>) {
        let task = Task {
            label: label.into(),
            kind: "k".into(),
            description: String::new(),
            attributes: crate::jv::Obj::default(),
            dependencies: crate::deps::Dependencies::default(),
            soft_dependencies: Vec::new(),
            if_dependencies: Vec::new(),
            optimization: Value::Null,
            task: Def::new(def),
            span: Span {
                file: "f",
                line: 1,
                col: 1,
            },
        };
        (label.to_owned(), Box::new(task))
    }

    fn def(symbol: &str, routes: &[&str]) -> Value {
        json!({
            "provisionerId": "p",
            "workerType": "w",
            "routes": routes,
            "extra": {"treeherder": {
                "machine": {"platform": "linux"},
                "collection": {"opt": true},
                "symbol": symbol,
            }},
        })
    }

    fn verified(tasks: Vec<(String, Box<Task>)>) -> Result<(), VerifyError> {
        let params = Params {
            trust_domain: "td",
            level: "1",
            project: "proj",
        };
        verify(&tasks.into_iter().collect(), &params)
    }

    #[test]
    fn at_most_9999_dependencies_of_all_sorts() {
        let with = |soft: usize| {
            let (label, mut t) = task("many", &def("M", &[]));
            t.dependencies.insert("one".to_owned(), "x".to_owned());
            t.if_dependencies.push("x".to_owned());
            t.soft_dependencies = (0..soft).map(|i| format!("s{i}")).collect();
            verified(vec![(label, t)])
        };
        assert_eq!(with(9997), Ok(()));
        assert_eq!(
            with(9998).map_err(|e| e.to_string()),
            Err("task many has too many dependencies (10000 > 9999)".to_owned())
        );
    }

    /// The error of the graph of tasks `(label, definition)`.
    fn error(tasks: &[(&str, Value)]) -> String {
        let tasks = tasks.iter().map(|(l, d)| task(l, d)).collect();
        verified(tasks).expect_err("a failing graph").to_string()
    }

    #[test]
    fn an_earlier_verification_fails_first_whatever_the_labels() {
        // `a` fails the notification filters; `b` and `c` share a symbol, which taskgraph
        // checks first, over every task.
        let err = error(&[
            ("a", def("A", &["notify.email.x.on-nothing"])),
            ("b", def("S", &[])),
            ("c", def("S", &[])),
        ]);
        assert!(
            err.starts_with("Duplicate treeherder platform and symbol in tasks `b` and `c`"),
            "{err}"
        );
        // Without the shared symbol, `a`'s own failure is the error.
        let err = error(&[
            ("a", def("A", &["notify.email.x.on-nothing"])),
            ("b", def("B", &["notify.email.y.on-never"])),
            ("c", def("C", &[])),
        ]);
        assert_eq!(err, "a has invalid notification filter (on-nothing)");
        // Index routes come after the notification filters.
        let err = error(&[
            ("a", def("A", &["index.bad route"])),
            ("b", def("B", &["notify.email.y.on-never"])),
        ]);
        assert_eq!(err, "b has invalid notification filter (on-never)");
    }

    #[test]
    fn the_worker_type_is_checked_before_the_provisioner() {
        let mut bad = def("A", &[]);
        bad["provisionerId"] = json!("bad id");
        bad["workerType"] = json!("bad type");
        assert_eq!(
            error(&[("a", bad)]),
            "a has an invalid workerType: 'bad type'"
        );
    }

    #[test]
    fn cache_names_carry_the_trust_domain_and_level() {
        let with_cache = |name: &str| {
            let mut d = def("A", &[]);
            d["payload"] = json!({"cache": {"task-reference": {name: "/c"}}, "command": ["x"]});
            d
        };
        verified(vec![task("a", &with_cache("td-level-1-x"))]).unwrap();
        assert_eq!(
            error(&[("a", with_cache("td-level-3-x"))]),
            "a uses cache td-level-3-x: cache names must start with td-level-1-"
        );
    }

    #[test]
    fn a_valid_graph_passes_and_v2_routes_are_unique() {
        verified(vec![
            task(
                "a",
                &def("A", &["index.td.v2.a", "notify.email.x.on-failed"]),
            ),
            task("b", &def("B", &["index.td.v2.b"])),
        ])
        .unwrap();
        let err = error(&[
            ("a", def("A", &["index.td.v2.same"])),
            ("b", def("B", &["index.td.v2.same"])),
        ]);
        assert_eq!(err, "conflict between a:b for route: index.td.v2.same");
    }

    #[test]
    fn symbols_that_share_a_hash_are_compared_whole() {
        // Every key given the same hash.
        fn seen(tasks: &[(String, Box<Task>)]) -> Vec<Seen<'_>> {
            tasks
                .iter()
                .map(|(label, task)| Seen {
                    label,
                    task,
                    failed: 0,
                    symbol: Some(7),
                    toolchain_aliases: Vec::new(),
                })
                .collect()
        }
        let cx = Context {
            tasks: &BTreeMap::new(),
            index_prefix: String::new(),
            cache_prefix: String::new(),
            project: "",
        };
        let (a, b) = (task("a", &def("A", &[])), task("b", &def("B", &[])));
        assert_eq!(
            treeherder_symbols(&seen(&[a.clone(), b.clone()]), &cx),
            Ok(())
        );
        let err = treeherder_symbols(
            &seen(&[a.clone(), b.clone(), task("c", &def("A", &[]))]),
            &cx,
        );
        assert_eq!(
            err.unwrap_err().to_string(),
            "Duplicate treeherder platform and symbol in tasks `a` and `c`: linux/opt None(A)"
        );
        // Past the shared hash, every task is still checked for its one collection.
        let mut two = def("C", &[]);
        two["extra"]["treeherder"]["collection"]["debug"] = json!(true);
        let err = treeherder_symbols(&seen(&[a, b, task("d", &two)]), &cx);
        assert_eq!(
            err.unwrap_err().to_string(),
            "Task d has 2 collections, expected exactly one"
        );
    }
}

//! The verifications taskgraph runs on the full graph (taskgraph.md §4.2); the first failure
//! is the error.

use std::collections::BTreeMap;

use rustc_hash::FxHashMap;

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

/// Checks the full graph; `Err` is the first failure's message.
pub fn verify(
    tasks: &BTreeMap<String, Box<Task>>,
    trust_domain: &str,
    level: &str,
) -> Result<(), String> {
    // Hashed: only whether a key was seen before matters, and the labels come in order.
    let mut symbols: FxHashMap<(&str, &str, &str, &str), &str> = FxHashMap::default();
    let index_prefix = format!("index.{trust_domain}.v2");
    let cache_prefix = format!("{trust_domain}-level-{level}-");
    let mut index_routes: FxHashMap<&str, &str> = FxHashMap::default();
    let mut toolchain_aliases: BTreeMap<String, &str> = BTreeMap::new();
    for (label, task) in tasks {
        let def = &task.task.facts;
        // Treeherder: one collection, and a unique (platform, collection, group, symbol).
        if let Some(th) = &def.treeherder {
            if th.collections.len() != 1 {
                return Err(format!(
                    "Task {label} has {} collections, expected exactly one",
                    th.collections.len()
                ));
            }
            let (platform, group, symbol) = (&th.platform, th.group.as_deref(), &th.symbol);
            let key = (
                platform.as_str(),
                th.collections[0].as_str(),
                group.unwrap_or_default(),
                symbol.as_str(),
            );
            if let Some(other) = symbols.insert(key, label) {
                let shown = match group {
                    Some(g) => format!("{g}({symbol})"),
                    None => format!("None({symbol})"),
                };
                return Err(format!(
                    "Duplicate treeherder platform and symbol in tasks `{other}` and `{label}`: {platform}/{} {shown}",
                    th.collections[0]
                ));
            }
        }
        // Routes.
        for route in &def.routes {
            if let Some(rest) = route.strip_prefix("index.") {
                if !index_route_ok(rest) {
                    return Err(format!("{label} has invalid index route: {route}"));
                }
                if route.starts_with(&index_prefix) {
                    if let Some(other) = index_routes.insert(route, label) {
                        return Err(format!(
                            "conflict between {other}:{label} for route: {route}"
                        ));
                    }
                }
            }
            if route.starts_with("notify.") {
                let last = route.rsplit('.').next().unwrap_or("");
                if !NOTIFY_FILTERS.contains(&last) {
                    return Err(format!("{label} has invalid notification filter ({last})"));
                }
            }
        }
        // Identifiers.
        for (field, value) in [
            ("provisionerId", &def.provisioner_id),
            ("workerType", &def.worker_type),
        ] {
            let value = value.as_deref().unwrap_or("");
            if !identifier_ok(value) {
                return Err(format!("{label} has an invalid {field}: '{value}'"));
            }
        }
        // Dependencies of every sort together.
        let count =
            task.dependencies.len() + task.soft_dependencies.len() + task.if_dependencies.len();
        if count > 9999 {
            return Err(format!(
                "task {label} has too many dependencies ({count} > 9999)"
            ));
        }
        if let Some(alias) = task.attributes.get("toolchain-alias") {
            let names: Vec<String> = match alias {
                super::jv::Jv::String(s) => vec![s.clone()],
                super::jv::Jv::Array(items) => items
                    .iter()
                    .filter_map(|i| i.as_str().map(str::to_owned))
                    .collect(),
                _ => Vec::new(),
            };
            for name in names {
                if let Some(other) = toolchain_aliases.insert(name.clone(), label) {
                    return Err(format!(
                        "Duplicate toolchain-alias in tasks `{other}`and `{label}`: {name}"
                    ));
                }
            }
        }
        // docker-worker caches carry the trust domain and level.
        if let Some((caches, command)) = &def.caches {
            let prefix = &cache_prefix;
            let run_task = command.as_deref().is_some_and(|c| {
                c.rsplit('/')
                    .next()
                    .is_some_and(|b| b.starts_with("run-task"))
            });
            for name in caches {
                let Some(rest) = name.strip_prefix(prefix.as_str()) else {
                    return Err(format!(
                        "{label} uses cache {name}: cache names must start with {prefix}"
                    ));
                };
                if (rest.starts_with("checkouts") || rest.starts_with("tooltool-cache"))
                    && !(run_task && name.contains("b501540836ece0d08200"))
                {
                    return Err(format!(
                        "{label} uses the reserved cache {name} without run-task (or without its hash)"
                    ));
                }
            }
        }
    }
    // Tiers: no dependency on a task of a higher tier number (a missing tier ranks above all).
    for (label, task) in tasks {
        let Some(mine) = tier(task) else { continue };
        for dep in task.dependencies.values() {
            let Some(d) = tasks.get(dep) else { continue };
            let exempt = d.kind.contains("dummy")
                || d.task.facts.worker_type.as_deref() == Some("always-optimized");
            if exempt {
                continue;
            }
            match tier(d) {
                Some(t) if t <= mine => {}
                Some(t) => {
                    return Err(format!(
                        "{label} (tier {mine}) cannot depend on {dep} (tier {t})"
                    ));
                }
                None => {
                    return Err(format!(
                        "{label} (tier {mine}) cannot depend on {dep} (tier unknown)"
                    ));
                }
            }
        }
    }
    Ok(())
}

//! The verifications taskgraph runs on the full graph (taskgraph.md §4.2); the first failure
//! is the error.

use std::collections::BTreeMap;

use serde_json::Value;

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

/// The value at a path of keys (a JSON pointer without the parsing: this runs per task).
fn at<'a>(v: &'a Value, path: &[&str]) -> Option<&'a Value> {
    path.iter().try_fold(v, |v, k| v.get(k))
}

fn str_at<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    at(v, path).and_then(Value::as_str)
}

fn tier(task: &Task) -> Option<i64> {
    at(&task.task, &["extra", "treeherder", "tier"]).and_then(Value::as_i64)
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
    tasks: &BTreeMap<String, Task>,
    trust_domain: &str,
    level: &str,
) -> Result<(), String> {
    let mut symbols: BTreeMap<(&str, &str, &str, &str), &str> = BTreeMap::new();
    let index_prefix = format!("index.{trust_domain}.v2");
    let cache_prefix = format!("{trust_domain}-level-{level}-");
    let mut index_routes: BTreeMap<&str, &str> = BTreeMap::new();
    let mut toolchain_aliases: BTreeMap<String, &str> = BTreeMap::new();
    for (label, task) in tasks {
        let def = &task.task;
        // Treeherder: one collection, and a unique (platform, collection, group, symbol).
        if let Some(th) = at(def, &["extra", "treeherder"]) {
            let collections: Vec<&String> = th
                .get("collection")
                .and_then(Value::as_object)
                .map(|c| c.keys().collect())
                .unwrap_or_default();
            if collections.len() != 1 {
                return Err(format!(
                    "Task {label} has {} collections, expected exactly one",
                    collections.len()
                ));
            }
            let platform = str_at(th, &["machine", "platform"]).unwrap_or("");
            let group = str_at(th, &["groupSymbol"]);
            let symbol = str_at(th, &["symbol"]).unwrap_or("");
            let key = (
                platform,
                collections[0].as_str(),
                group.unwrap_or_default(),
                symbol,
            );
            if let Some(other) = symbols.insert(key, label) {
                let shown = match group {
                    Some(g) => format!("{g}({symbol})"),
                    None => format!("None({symbol})"),
                };
                return Err(format!(
                    "Duplicate treeherder platform and symbol in tasks `{other}` and `{label}`: {platform}/{} {shown}",
                    collections[0]
                ));
            }
        }
        // Routes.
        for route in def
            .get("routes")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let Some(route) = route.as_str() else {
                continue;
            };
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
        for field in ["provisionerId", "workerType"] {
            let value = str_at(def, &[field]).unwrap_or("");
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
                Value::String(s) => vec![s.clone()],
                Value::Array(items) => items
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
        if let Some(caches) =
            at(def, &["payload", "cache", "task-reference"]).and_then(Value::as_object)
        {
            let prefix = &cache_prefix;
            let command: Vec<&str> = at(def, &["payload", "command"])
                .and_then(Value::as_array)
                .map(|c| c.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            let run_task = command.first().is_some_and(|c| {
                c.rsplit('/')
                    .next()
                    .is_some_and(|b| b.starts_with("run-task"))
            });
            for name in caches.keys() {
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
                || str_at(&d.task, &["workerType"]) == Some("always-optimized");
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

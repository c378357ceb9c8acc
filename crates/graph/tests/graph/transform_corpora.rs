//! The stock task transform (taskgraph.md §3.1–§3.5) against the real taskgraph 24.5.1: for every
//! corpus whose kinds all use the transform loader without `run`, and on which taskgraph
//! succeeds, each task's JSON from `tc_graph::transform` must deep-equal `taskgraph tasks -J`'s.
//! The corpus is set up as compare.py does it (a committed git repository with a GitHub origin).

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common;

use common::repo;
use serde_json::Value as J;
use tc_graph::config::Config;
use tc_graph::kinds::{self, Loader};
use tc_graph::parameters::Parameters;
use tc_graph::transform::{self, Context};

/// Corpora that qualify but need something the transform does not do yet, with the reason.
const SKIPPED: &[(&str, &str)] = &[
    (
        "unsupported-in-tree-image",
        "`docker-image: {in-tree: …}` is refused by design (taskgraph.md §5); checked below",
    ),
    (
        "yaml-dates",
        "dates print as ISO strings only with orjson; tc's YAML-to-JSON refuses dates for now",
    ),
    (
        "yaml-dialect",
        "YAML aliases share one Python dict between tasks and taskgraph mutates it in place \
         (a later task sharing `worker` gets no implementation tags); not modelled yet",
    ),
];

fn corpora() -> PathBuf {
    common::corpora()
}

/// The corpus as a committed repository with its origin, as compare.py makes it.
fn make_repo(corpus: &Path, name: &str, dest: &Path) {
    let origin = std::fs::read_to_string(corpus.join("corpus.json"))
        .ok()
        .and_then(|t| serde_json::from_str::<J>(&t).ok())
        .and_then(|m| m.get("origin").and_then(J::as_str).map(str::to_owned))
        .unwrap_or_else(|| format!("https://github.com/example/{name}"));
    repo::commit_copy(corpus, dest, &origin);
}

fn taskgraph_tasks(repo: &Path) -> Result<serde_json::Map<String, J>, String> {
    let out = Command::new("taskgraph")
        .args(["tasks", "-J", "-p", "params.yml"])
        .env("TASKGRAPH_SERIAL", "1")
        .env("TASKCLUSTER_ROOT_URL", "https://tc.example.com")
        .env_remove("TASK_ID")
        .env_remove("MOZ_AUTOMATION")
        .env_remove("TASKGRAPH_OPTIMIZE_STRATEGIES")
        .current_dir(repo)
        .output()
        .map_err(|e| e.to_string())?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        return Err(err.lines().last().unwrap_or("").to_owned());
    }
    match serde_json::from_slice(&out.stdout) {
        Ok(J::Object(m)) => Ok(m),
        other => Err(format!("unreadable output: {other:?}")),
    }
}

/// The first difference between taskgraph's value and tc's, as `path: what`.
fn first_diff(a: &J, b: &J, path: &str) -> Option<String> {
    match (a, b) {
        (J::Object(x), J::Object(y)) => {
            let mut keys: Vec<&String> = x.keys().chain(y.keys()).collect();
            keys.sort();
            keys.dedup();
            for k in keys {
                let p = format!("{path}.{k}");
                match (x.get(k), y.get(k)) {
                    (Some(_), None) => return Some(format!("{p}: only in taskgraph")),
                    (None, Some(_)) => return Some(format!("{p}: only in tc")),
                    (Some(u), Some(v)) => {
                        if let Some(d) = first_diff(u, v, &p) {
                            return Some(d);
                        }
                    }
                    (None, None) => {}
                }
            }
            None
        }
        (J::Array(x), J::Array(y)) => {
            for (i, (u, v)) in x.iter().zip(y).enumerate() {
                if let Some(d) = first_diff(u, v, &format!("{path}[{i}]")) {
                    return Some(d);
                }
            }
            (x.len() != y.len()).then(|| {
                format!(
                    "{path}: lengths {} (taskgraph) vs {} (tc)",
                    x.len(),
                    y.len()
                )
            })
        }
        // Strict: 1 is not 1.0, and both must be the same JSON type.
        (J::Number(x), J::Number(y)) if x.is_f64() != y.is_f64() || x != y => {
            Some(format!("{path}: taskgraph {x} != tc {y}"))
        }
        _ if a == b => None,
        _ => Some(format!("{path}: taskgraph {a} != tc {b}")),
    }
}

/// Compares one corpus; `Ok(None)` when it does not qualify (and why).
fn compare(corpus: &Path, name: &str) -> Result<Option<String>, String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let repo = dir.path();
    make_repo(corpus, name, repo);
    let graph_root = repo.join("taskcluster");
    let kinds = match kinds::load(&graph_root, &[], &mut Vec::new()) {
        Ok(k) => k,
        Err(e) => return Ok(Some(format!("kinds do not load: {e:?}"))),
    };
    if kinds.is_empty()
        || kinds
            .iter()
            .any(|k| k.loader != (Loader::Transform { run: false }))
    {
        return Ok(Some("not only the transform loader without run".into()));
    }
    let theirs = match taskgraph_tasks(repo) {
        Ok(t) => t,
        Err(e) => return Ok(Some(format!("taskgraph fails: {e}"))),
    };
    let config = Config::load(&graph_root).map_err(|e| format!("config: {e}"))?;
    let text = std::fs::read_to_string(repo.join("params.yml")).map_err(|e| e.to_string())?;
    let values = tc_graph::yaml::load("params.yml", &text)
        .map_err(|e| e.to_string())?
        .node
        .to_json()
        .map_err(|e| e.to_string())?;
    let mut params = Parameters::defaults(repo, chrono::Local::now());
    if let J::Object(values) = values {
        params.overlay(values).map_err(|e| e.to_string())?;
    }
    let ctx = Context {
        config: &config,
        params: &params,
        graph_root: &graph_root,
        vcs_root: repo,
        task_id_env: None,
        root_url: None,
    };
    let mut count = 0;
    for kind in &kinds {
        for raw in &kind.tasks {
            let task = transform::transform(kind, raw, &ctx)
                .map_err(|e| format!("{}-{}: {} at {:?}", kind.name, raw.key, e.message, e.at))?;
            let Some(expected) = theirs.get(&task.label) else {
                return Err(format!("{}: not a taskgraph task", task.label));
            };
            if let Some(d) = first_diff(expected, &task.to_json(), &format!("[{}]", task.label)) {
                return Err(d);
            }
            count += 1;
        }
    }
    if count != theirs.len() {
        return Err(format!("{count} tasks, taskgraph has {}", theirs.len()));
    }
    Ok(None)
}

#[test]
fn transform_matches_taskgraph_on_every_qualifying_corpus() {
    let have_taskgraph = Command::new("taskgraph")
        .arg("--help")
        .output()
        .is_ok_and(|o| o.status.success());
    if !have_taskgraph {
        common::skip::missing(
            "TC_REQUIRE_PYCLIENT",
            "taskgraph",
            "pip install taskcluster-taskgraph==24.5.1",
        );
        return;
    }
    let mut names: Vec<String> = std::fs::read_dir(corpora())
        .unwrap()
        .filter_map(std::result::Result::ok)
        .filter(|e| e.path().join("taskcluster").is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    // Two at a time: taskgraph is slow to start and the machine has two cores.
    let chunks: Vec<Vec<String>> = vec![
        names.iter().step_by(2).cloned().collect(),
        names.iter().skip(1).step_by(2).cloned().collect(),
    ];
    let results: Vec<(String, Result<Option<String>, String>)> = std::thread::scope(|s| {
        let handles: Vec<_> = chunks
            .iter()
            .map(|chunk| {
                s.spawn(move || {
                    chunk
                        .iter()
                        .filter(|n| !SKIPPED.iter().any(|(s, _)| s == n))
                        .map(|n| (n.clone(), compare(&corpora().join(n), n)))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("no panic"))
            .collect()
    });
    let mut passed = Vec::new();
    let mut failed = Vec::new();
    for (name, result) in results {
        match result {
            Ok(None) => passed.push(name),
            Ok(Some(why)) => eprintln!("not compared: {name}: {why}"),
            Err(diff) => failed.push(format!("{name}: {diff}")),
        }
    }
    for (name, why) in SKIPPED {
        eprintln!("skipped: {name}: {why}");
    }
    passed.sort();
    eprintln!("passed ({}): {}", passed.len(), passed.join(", "));
    assert!(failed.is_empty(), "mismatches:\n{}", failed.join("\n"));
    assert!(passed.len() >= 20, "only {} corpora compared", passed.len());
}

#[test]
fn in_tree_images_are_refused() {
    let corpus = corpora().join("unsupported-in-tree-image");
    let graph_root = corpus.join("taskcluster");
    let config = Config::load(&graph_root).unwrap();
    let kinds = kinds::load(&graph_root, &[], &mut Vec::new()).unwrap();
    let params = Parameters::defaults(&corpus, chrono::Local::now());
    let ctx = Context {
        config: &config,
        params: &params,
        graph_root: &graph_root,
        vcs_root: &corpus,
        task_id_env: None,
        root_url: None,
    };
    let err = kinds
        .iter()
        .flat_map(|k| k.tasks.iter().map(move |t| (k, t)))
        .find_map(|(k, t)| transform::transform(k, t, &ctx).err())
        .expect("a refusal");
    assert!(err.message.contains("in-tree"), "{}", err.message);
}

/// The transform's own errors on the error corpora name expect-error.json's facts.
#[test]
fn transform_errors_name_the_facts() {
    let names = [
        "err-dependency-name-self",
        "err-docker-artifact-no-name",
        "err-if-dependency-not-dep",
        "err-index-product",
        "err-keyed-by-default-only",
        "err-keyed-by-no-match",
        "err-keyed-typed-field",
        "err-missing-required",
        "err-non-github-repo",
        "err-symbol-too-long",
        "err-treeherder-group-no-name",
        "err-unknown-field",
        "err-unknown-worker-alias",
    ];
    for name in names {
        let corpus = corpora().join(name);
        let dir = tempfile::tempdir().unwrap();
        let repo = dir.path();
        make_repo(&corpus, name, repo);
        let graph_root = repo.join("taskcluster");
        let config = Config::load(&graph_root).unwrap();
        let kinds = kinds::load(&graph_root, &[], &mut Vec::new()).unwrap();
        let text = std::fs::read_to_string(repo.join("params.yml")).unwrap();
        let values = tc_graph::yaml::load("params.yml", &text)
            .unwrap()
            .node
            .to_json()
            .unwrap();
        let mut params = Parameters::defaults(repo, chrono::Local::now());
        if let J::Object(values) = values {
            params.overlay(values).unwrap();
        }
        let ctx = Context {
            config: &config,
            params: &params,
            graph_root: &graph_root,
            vcs_root: repo,
            task_id_env: None,
            root_url: None,
        };
        let err = kinds
            .iter()
            .flat_map(|k| k.tasks.iter().map(move |t| (k, t)))
            .find_map(|(k, t)| transform::transform(k, t, &ctx).err())
            .unwrap_or_else(|| panic!("{name}: no error"));
        let at = err.at.map(|at| at.to_string()).unwrap_or_default();
        let shown = format!("{} at {at}", err.message);
        let expect: J = serde_json::from_str(
            &std::fs::read_to_string(corpus.join("expect-error.json")).unwrap(),
        )
        .unwrap();
        for fact in expect["facts"].as_array().unwrap() {
            let fact = fact.as_str().unwrap();
            assert!(shown.contains(fact), "{name}: {fact:?} not in {shown:?}");
        }
    }
}

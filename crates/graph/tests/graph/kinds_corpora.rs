//! Kind loading (taskgraph.md §1.4–1.5) on the conformance corpora: every task taskgraph makes
//! is loaded, with the label it will get, and kind-level errors and refusals are reported as
//! §4.8 and §5 say. The labels are compared with the real taskgraph's when it is installed.

use crate::common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use tc_graph::kinds::{self, KindsError};

fn corpora() -> PathBuf {
    common::corpora()
}

/// The labels tc's loader gives: an explicit `label`, else `<kind>-<key>`.
fn labels(root: &Path) -> Result<BTreeSet<String>, KindsError> {
    let mut warnings = Vec::new();
    let kinds = kinds::load(&root.join("taskcluster"), &[], &mut warnings)?;
    Ok(kinds
        .iter()
        .flat_map(|k| {
            k.tasks
                .iter()
                .map(move |t| match t.node.get("label").map(|l| &l.value) {
                    Some(tc_graph::yaml::Value::Str(l)) => l.clone(),
                    _ => format!("{}-{}", k.name, t.key),
                })
        })
        .collect())
}

fn taskgraph_labels(corpus: &Path) -> Option<BTreeSet<String>> {
    let dir = tempfile::tempdir().unwrap();
    common::repo::commit_copy(corpus, dir.path(), "https://github.com/example/corpus");
    let out = Command::new("taskgraph")
        .args(["tasks", "-p", "params.yml"])
        .env("TASKGRAPH_SERIAL", "1")
        .env_remove("TASK_ID")
        .current_dir(dir.path())
        .output()
        .ok()?;
    out.status.success().then(|| {
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter(|l| !l.is_empty())
            .map(str::to_owned)
            .collect()
    })
}

#[test]
fn kinds_load_with_taskgraphs_tasks_and_errors() {
    let have_taskgraph = Command::new("taskgraph")
        .arg("--help")
        .output()
        .is_ok_and(|o| o.status.success());
    if !have_taskgraph {
        eprintln!("note: taskgraph is not installed; labels are not compared with it");
    }
    let mut compared = 0;
    for entry in std::fs::read_dir(corpora()).unwrap() {
        let corpus = entry.unwrap().path();
        let name = corpus.file_name().unwrap().to_string_lossy().into_owned();
        if !corpus.join("taskcluster/kinds").is_dir() {
            continue;
        }
        let ours = labels(&corpus);
        match name.as_str() {
            "err-kind-cycle" => {
                let Err(KindsError::Invalid { message, .. }) = ours else {
                    panic!("{name}: {ours:?}")
                };
                assert!(
                    message.contains("alpha") && message.contains("omega"),
                    "{message}"
                );
            }
            "err-unknown-kind" => {
                let Err(KindsError::Invalid { message, at }) = ours else {
                    panic!("{name}: {ours:?}")
                };
                assert!(message.contains("nonexistent-kind"), "{message}");
                assert!(at.unwrap().to_string().contains("kinds/test/kind.yml:6"));
            }
            "err-default-loader-transforms" | "err-transforms-missing" => {
                assert!(
                    matches!(ours, Err(KindsError::Invalid { .. })),
                    "{name}: {ours:?}"
                );
            }
            "unsupported-transform" | "unsupported-stock-transform" => {
                let Err(KindsError::Unsupported(lines)) = ours else {
                    panic!("{name}: {ours:?}")
                };
                assert!(
                    lines
                        .iter()
                        .all(|l| l.ends_with("which tc cannot run; use taskgraph")),
                    "{lines:?}"
                );
            }
            _ if name.starts_with("err-") || name.starts_with("unsupported-") => {}
            _ => {
                let ours = ours.unwrap_or_else(|e| panic!("{name}: {e:?}"));
                if have_taskgraph && let Some(theirs) = taskgraph_labels(&corpus) {
                    assert_eq!(ours, theirs, "{name}");
                    compared += 1;
                }
            }
        }
    }
    if have_taskgraph {
        assert!(compared > 20, "only {compared} corpora compared");
    }
}

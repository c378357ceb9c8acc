//! The local default parameters against the real taskgraph's (taskgraph.md §2), in a git
//! repository made by the test: same keys, same values apart from the clock.

use crate::common;

use std::process::Command;

use common::repo::{git, taskgraph_available};

#[test]
fn local_defaults_match_taskgraphs() {
    if !taskgraph_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path();
    git(repo, &["init", "-q", "-b", "main"]);
    git(
        repo,
        &[
            "remote",
            "add",
            "origin",
            "https://github.com/example/synth.git",
        ],
    );
    std::fs::write(repo.join("tracked"), "a\n").unwrap();
    std::fs::write(repo.join("version.txt"), "128.0a1\nsecond line\n").unwrap();
    git(repo, &["add", "tracked", "version.txt"]);
    git(repo, &["commit", "-qm", "first"]);
    // An unstaged change counts; a staged new file does not (taskgraph's quirk).
    std::fs::write(repo.join("tracked"), "b\n").unwrap();
    std::fs::write(repo.join("staged"), "s\n").unwrap();
    git(repo, &["add", "staged"]);

    let out = Command::new("python3")
        .arg("-c")
        .arg("import json, sys; from taskgraph.parameters import _get_defaults; print(json.dumps(_get_defaults(sys.argv[1]), default=str))")
        .arg(repo)
        .current_dir(repo)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let theirs: serde_json::Map<String, serde_json::Value> =
        serde_json::from_slice(&out.stdout).unwrap();
    let ours = tc_graph::parameters::Parameters::defaults(repo, chrono::Local::now()).0;
    let clock = ["build_date", "pushdate", "moz_build_date"];
    let mut keys: Vec<&String> = theirs
        .keys()
        .filter(|k| !clock.contains(&k.as_str()))
        .collect();
    keys.sort();
    for k in keys {
        assert_eq!(ours.get(k), theirs.get(k), "parameter {k}");
    }
    let ours_keys: std::collections::BTreeSet<&String> = ours.keys().collect();
    let theirs_keys: std::collections::BTreeSet<&String> = theirs.keys().collect();
    assert_eq!(ours_keys, theirs_keys);
}

//! `tc graph` runs a small graph without transparent huge pages and leaves a big one's setting
//! alone (`crates/graph/src/pages.rs`). The setting is inherited by child processes, so a stand-in `git`
//! reports what its process got, from `/proc/self/status`.

use crate::common::{self, TestDir};

use std::path::PathBuf;

/// `THP_enabled` of this process, or `None` where the kernel does not report it.
fn thp_enabled_here() -> Option<String> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("THP_enabled:"))
        .map(|v| v.trim().to_owned())
}

/// The real git on PATH.
fn real_git() -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|dir| dir.join("git"))
        .find(|git| git.is_file())
        .expect("git is on PATH")
}

/// The `THP_enabled` value every git that `tc graph full` started in `repo` was given (tc reads
/// the parameters' defaults from git after choosing); they must agree.
fn seen_by_git(repo: &TestDir) -> String {
    let bin = TestDir::new();
    let log = bin.path("thp.log");
    common::write_executable(
        &bin.path("git"),
        &format!(
            "#!/bin/sh\nsed -n 's/^THP_enabled:[[:space:]]*//p' /proc/self/status >> '{}'\nexec '{}' \"$@\"\n",
            log.display(),
            real_git().display()
        ),
    );
    let path = std::env::join_paths(
        std::iter::once(bin.root().to_path_buf())
            .chain(std::env::split_paths(&std::env::var_os("PATH").unwrap())),
    )
    .unwrap();
    repo.test()
        .args(["graph", "full"])
        .env("PATH", path)
        .env("TASKCLUSTER_ROOT_URL", "https://tc.example.com")
        .run();
    let seen: Vec<String> = std::fs::read_to_string(&log)
        .unwrap_or_default()
        .lines()
        .map(str::to_owned)
        .collect();
    assert!(!seen.is_empty(), "tc graph started no git");
    assert!(seen.iter().all(|v| *v == seen[0]), "gits saw {seen:?}");
    seen[0].clone()
}

#[test]
fn a_small_graph_runs_without_huge_pages_and_a_big_one_keeps_the_setting() {
    let Some(here) = thp_enabled_here() else {
        eprintln!("skipped: this kernel does not report THP_enabled in /proc/self/status");
        return;
    };
    let repo = TestDir::new();
    common::repo::commit_copy(
        &common::root().join("examples/intree"),
        repo.root(),
        "https://github.com/example/intree",
    );
    assert_eq!(seen_by_git(&repo), "0", "the example graph is small");
    // A file beside a kind.yml counts (tasks-from files live there): 256 KiB makes it big.
    repo.write("taskcluster/kinds/build/notes.txt", "#".repeat(256 * 1024));
    assert_eq!(seen_by_git(&repo), here, "a big graph keeps tc's setting");
}

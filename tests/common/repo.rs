//! In-tree repositories for the graph tests, set up as compare.py sets up a corpus: the files
//! committed on `main` of a fresh git repository with a GitHub `origin`.

use std::path::Path;
use std::process::Command;

/// Runs git in `dir` with a fixed identity and clock; a failure fails the test.
pub(crate) fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .args([
            "-c",
            "user.name=tc compat",
            "-c",
            "user.email=compat@example.com",
            "-c",
            "commit.gpgsign=false",
            "-c",
            "core.hooksPath=/dev/null",
        ])
        .args(args)
        .env("GIT_AUTHOR_DATE", "2023-11-14T22:13:20Z")
        .env("GIT_COMMITTER_DATE", "2023-11-14T22:13:20Z")
        .current_dir(dir)
        .output()
        .expect("git runs");
    assert!(out.status.success(), "git {args:?}: {out:?}");
}

/// Copies `src` into `dest` and commits it, with `origin` as the remote.
pub(crate) fn commit_copy(src: &Path, dest: &Path, origin: &str) {
    let copy = Command::new("cp")
        .arg("-r")
        .arg(format!("{}/.", src.display()))
        .arg(dest)
        .status()
        .expect("cp runs");
    assert!(copy.success(), "cp -r {}", src.display());
    git(dest, &["init", "-q"]);
    git(dest, &["symbolic-ref", "HEAD", "refs/heads/main"]);
    git(dest, &["add", "-A"]);
    git(dest, &["commit", "-q", "--no-verify", "-m", "corpus"]);
    git(dest, &["remote", "add", "origin", origin]);
}

/// Whether the real taskgraph can be run. Without it the test is skipped with a note, unless
/// `TC_REQUIRE_PYCLIENT` is set, when it fails.
pub(crate) fn taskgraph_available() -> bool {
    let ok = Command::new("python3")
        .args(["-c", "import taskgraph.parameters"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        super::skip::missing(
            "TC_REQUIRE_PYCLIENT",
            "taskgraph",
            "pip install taskcluster-taskgraph==24.5.1",
        );
    }
    ok
}

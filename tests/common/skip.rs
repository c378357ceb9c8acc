//! Tests that need a tool this machine lacks (Docker, the Python tools) are skipped, or fail
//! when the matching `TC_REQUIRE_*` variable is set (`.ci/run` sets both). A skip is never
//! silent: each missing tool is reported once per test binary, on stderr past the harness's
//! output capture, with what to install.

use std::collections::BTreeSet;
use std::io::Write;
use std::sync::Mutex;

/// Whether `var` (such as `TC_REQUIRE_DOCKER`) is set to something.
pub(crate) fn required(var: &str) -> bool {
    std::env::var(var).is_ok_and(|v| !v.is_empty())
}

/// A test found `what` missing: it fails when `var` is set, else the caller skips it (the note
/// says so once per binary). `install` says how to get it.
pub(crate) fn missing(var: &str, what: &str, install: &str) {
    static NOTED: Mutex<BTreeSet<String>> = Mutex::new(BTreeSet::new());
    assert!(
        !required(var),
        "{var} is set but {what} is missing ({install})"
    );
    let first = NOTED
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .insert(what.to_owned());
    if first {
        // `eprintln!` would be captured with the passing test's output and never shown.
        let _ = writeln!(
            std::io::stderr(),
            "note: {}: skipping the tests that need {what}: {install} (or set {var}=1 to fail instead)",
            binary_name()
        );
    }
}

/// This test binary's target name (`queue_cli` for `queue_cli-0123abcd`).
fn binary_name() -> String {
    let exe = std::env::current_exe().unwrap_or_default();
    let stem = exe.file_stem().and_then(|s| s.to_str()).unwrap_or("tests");
    stem.rsplit_once('-')
        .map_or(stem, |(name, _)| name)
        .to_owned()
}

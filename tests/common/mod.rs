//! Helpers shared by the integration tests: the real `tc` binary, run like a user would.
#![allow(dead_code)]

pub mod docker;
pub mod queue;
pub mod repo;

use std::path::PathBuf;

use assert_cmd::Command;

/// The `tc` binary built for this test run, with colour and terminal features off (`$COLUMNS`
/// unset too, so human tables are laid out the same whatever shell runs the tests).
pub fn tc() -> Command {
    let mut cmd = Command::cargo_bin("tc").expect("the tc binary is built");
    cmd.env("NO_COLOR", "1");
    cmd.env_remove("COLUMNS");
    cmd
}

/// Display width of `line` in columns (a wide character such as `界` takes two).
pub fn display_width(line: &str) -> usize {
    unicode_width::UnicodeWidthStr::width(line)
}

/// A file under `tests/fixtures/`.
pub fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// The project root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The shared Docker guard (worker.md §14): true when a daemon answers. Without one, the test
/// is skipped with a note, unless `TC_REQUIRE_DOCKER` is set, when it fails.
pub fn docker_available() -> bool {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    match runtime.block_on(tc::engine::docker::connect()) {
        Ok(_) => true,
        Err(e) if std::env::var("TC_REQUIRE_DOCKER").is_ok_and(|v| !v.is_empty()) => {
            panic!("TC_REQUIRE_DOCKER is set but {e}")
        }
        Err(_) => {
            eprintln!("skipped: no Docker daemon (set TC_REQUIRE_DOCKER=1 to fail instead)");
            false
        }
    }
}

/// The Docker guard plus a static busybox for the test image (a missing busybox counts as a
/// missing daemon, worker.md §14).
pub fn docker_busybox() -> Option<PathBuf> {
    if !docker_available() {
        return None;
    }
    match docker::static_busybox() {
        Some(b) => Some(b),
        None if std::env::var("TC_REQUIRE_DOCKER").is_ok_and(|v| !v.is_empty()) => {
            panic!(
                "TC_REQUIRE_DOCKER is set but no static busybox was found (set TC_TEST_BUSYBOX or install busybox-static)"
            )
        }
        None => {
            eprintln!("skipped: no static busybox for the test image (set TC_TEST_BUSYBOX)");
            None
        }
    }
}

/// Writes an executable file (a stand-in script for a test).
pub fn write_executable(path: &std::path::Path, text: &str) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::write(path, text).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

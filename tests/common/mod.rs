//! Helpers shared by the integration tests: the real `tc` binary, run like a user would.
#![allow(dead_code)]

pub mod docker;
pub mod queue;
pub mod repo;
pub mod skip;

use std::path::PathBuf;

use assert_cmd::Command;

/// The `tc` binary built for this test run, with colour and terminal features off.
pub fn tc() -> Command {
    let mut cmd = Command::cargo_bin("tc").expect("the tc binary is built");
    cmd.env("NO_COLOR", "1");
    cmd
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
        Err(e) => {
            skip::missing(
                "TC_REQUIRE_DOCKER",
                &format!("a Docker daemon ({e})"),
                "install docker.io and start dockerd",
            );
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
        Some(b) => {
            docker::remove_test_images_at_exit();
            Some(b)
        }
        None => {
            skip::missing(
                "TC_REQUIRE_DOCKER",
                "a static busybox for the test image",
                "install busybox-static, or set TC_TEST_BUSYBOX",
            );
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

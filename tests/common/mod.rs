//! Helpers shared by the integration tests: the real `tc` binary, run like a user would.
#![allow(dead_code)]

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

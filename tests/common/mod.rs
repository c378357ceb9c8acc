//! Helpers shared by the integration tests: the real `tc` binary, run like a user would.

pub(crate) mod archives;
pub(crate) mod docker;
pub(crate) mod paths;
pub(crate) mod queue;
pub(crate) mod repo;
pub(crate) mod skip;
pub(crate) mod test;

pub(crate) use archives::set_zip_mode;
pub(crate) use paths::{corpora, root};
pub(crate) use test::{Test, TestDir};

use std::path::PathBuf;

use assert_cmd::Command;

/// The `tc` binary built for this test run, with colour and terminal features off (`$COLUMNS`
/// unset too, so human tables are laid out the same whatever shell runs the tests).
pub(crate) fn tc() -> Command {
    let mut cmd = Command::cargo_bin("tc").expect("the tc binary is built");
    cmd.env("NO_COLOR", "1");
    cmd.env_remove("COLUMNS");
    cmd
}

/// A file under `tests/fixtures/`.
pub(crate) fn fixture(name: &str) -> PathBuf {
    root().join("tests/fixtures").join(name)
}

/// Display width of `line` in columns (a wide character such as `界` takes two).
pub(crate) fn display_width(line: &str) -> usize {
    unicode_width::UnicodeWidthStr::width(line)
}

/// The shared Docker guard (worker.md §14): true when a daemon answers. Without one, the test
/// is skipped with a note, unless `TC_REQUIRE_DOCKER` is set, when it fails.
pub(crate) fn docker_available() -> bool {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    match runtime.block_on(tc_run::engine::docker::connect()) {
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
pub(crate) fn docker_busybox() -> Option<PathBuf> {
    if !docker_available() {
        return None;
    }
    if let Some(b) = docker::static_busybox() {
        docker::remove_test_images_at_exit();
        Some(b)
    } else {
        skip::missing(
            "TC_REQUIRE_DOCKER",
            "a static busybox for the test image",
            "install busybox-static, or set TC_TEST_BUSYBOX",
        );
        None
    }
}

/// Writes an executable file (a stand-in script for a test).
pub(crate) fn write_executable(path: &std::path::Path, text: &str) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::write(path, text).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// A task command that starts a background child, writes both pids (the command's own last)
/// to `$PIDS`, and then waits: for tests that kill tc and look for what is left.
pub(crate) const BACKGROUND_CHILD: &str = r#"[/bin/sh, -c, 'sleep 600 & echo $! > "$PIDS.tmp"; echo $$ >> "$PIDS.tmp"; mv "$PIDS.tmp" "$PIDS"; wait']"#;

/// The pids a `BACKGROUND_CHILD` task wrote to `file`, once it has (waits up to two minutes).
pub(crate) fn pids_written(file: &std::path::Path) -> Vec<i32> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    loop {
        if let Ok(text) = std::fs::read_to_string(file) {
            return text.lines().map(|l| l.trim().parse().unwrap()).collect();
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the task never wrote {}",
            file.display()
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

/// Whether a process has ended: no longer there, or a zombie nobody has reaped yet (a
/// container's init may not reap orphans).
pub(crate) fn process_ended(pid: i32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        // The state follows the command name, which is in parentheses.
        Ok(stat) => stat
            .rsplit_once(')')
            .is_some_and(|(_, rest)| rest.trim_start().starts_with(['Z', 'X'])),
        Err(_) => true,
    }
}

/// Waits (up to 30 s) for every one of `pids` to end; the ones still running if some never do.
pub(crate) fn still_running_after_a_while(pids: &[i32]) -> Vec<i32> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let running: Vec<i32> = pids
            .iter()
            .copied()
            .filter(|p| !process_ended(*p))
            .collect();
        if running.is_empty() || std::time::Instant::now() > deadline {
            return running;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

/// SIGKILL to whatever of `pids` is left, so a failed test leaves nothing running.
pub(crate) fn kill_leftovers(pids: &[i32]) {
    for p in pids {
        let _ = nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(*p),
            nix::sys::signal::Signal::SIGKILL,
        );
    }
}

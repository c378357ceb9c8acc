//! `tc run-local --graph`: the target graph of a test repository run to the end on this machine
//! through an embedded queue and worker. Dependents run after their dependencies and read their
//! artifacts through the queue; a failed build leaves its test unscheduled, and the table says
//! why.

use crate::common::{self, Test, TestDir};

/// `tc run-local --graph` on the fixture repository, its cache in `dir`; `root_url` is the
/// `TASKCLUSTER_ROOT_URL` tc is given (none, or one where no queue answers): the graph's
/// references must point to the embedded queue anyway.
fn run_graph(dir: &TestDir, root_url: Option<&str>) -> Test {
    let fixture = common::fixture("graph-run");
    let test = dir
        .test()
        .args(["run-local", "--graph", "-j", "2", "--root"])
        .arg(fixture.join("taskcluster"))
        .arg("-p")
        .arg(fixture.join("params.yml"));
    match root_url {
        Some(url) => test.env("TASKCLUSTER_ROOT_URL", url),
        None => test,
    }
}

#[test]
fn the_graph_runs_in_dependency_order_and_a_failed_build_blocks_its_test() {
    // The failed build makes the whole run fail.
    let out = run_graph(&TestDir::new(), None).status(1).run();
    let (stdout, stderr) = (&out.stdout, &out.stderr);
    let row = |label: &str| {
        stdout
            .lines()
            .find(|l| l.contains(&format!(" {label} ")))
            .unwrap_or_else(|| panic!("no row for {label}: {stdout}"))
            .to_owned()
    };
    assert!(row("build-app").contains("completed"));
    assert!(row("build-broken").contains("failed"));
    // test-app fetched build-app's artifact from the embedded queue with curl.
    assert!(row("test-app").contains("completed"), "{stdout}\n{stderr}");
    let blocked = row("test-broken");
    assert!(
        blocked.contains("blocked") && blocked.contains("dependency build-broken did not complete"),
        "{blocked}"
    );
    assert!(
        stdout.contains("1 blocked, 2 completed, 1 failed"),
        "{stdout}"
    );
    // Progress lines (stderr is not a terminal): the test starts after its build completed.
    let at = |line: &str| {
        stderr
            .find(line)
            .unwrap_or_else(|| panic!("no `{line}` in {stderr}"))
    };
    assert!(at("[tc] build-app: completed") < at("[tc] test-app: running"));
    assert!(!stderr.contains("[tc] test-broken: running"));
}

/// `run-local --graph`'s table once ran past a narrow terminal: it now wraps cells inside `$COLUMNS`.
#[test]
fn the_summary_table_fits_the_columns() {
    let stdout = run_graph(&TestDir::new(), None)
        .env("COLUMNS", "60")
        .status(1)
        .run()
        .stdout;
    for line in stdout.lines() {
        assert!(common::display_width(line) <= 60, "{line:?} in\n{stdout}");
    }
    assert!(stdout.contains("test-broken"), "{stdout}");
    assert!(
        !stdout.contains('…'),
        "nothing is long enough to cut: {stdout}"
    );
    assert!(
        stdout.contains("1 blocked, 2 completed, 1 failed"),
        "{stdout}"
    );
}

#[test]
fn json_names_each_task_with_its_kept_log() {
    let dir = TestDir::new();
    let doc = run_graph(&dir, Some("http://127.0.0.1:9"))
        .args(["--format", "json", "--artifacts-dir", "runs"])
        .status(1)
        .run()
        .json();
    let rows = doc.as_array().unwrap();
    assert_eq!(rows.len(), 4);
    let by_label = |l: &str| rows.iter().find(|r| r["label"] == l).unwrap().clone();
    let test_app = by_label("test-app");
    assert_eq!(test_app["state"], "completed");
    let kept = dir.path(test_app["artifactsDir"].as_str().unwrap());
    assert!(kept.starts_with(dir.path("runs")));
    let log = std::fs::read_to_string(kept.join("public/logs/live_backing.log")).unwrap();
    let build_id = by_label("build-app")["taskId"].as_str().unwrap().to_owned();
    assert!(log.contains(&format!("built by {build_id}")), "{log}");
    assert!(
        !log.contains("dependencies are not run"),
        "a claimed run has no run-local warnings: {log}"
    );
    let broken = by_label("test-broken");
    assert_eq!(broken["state"], "blocked");
    assert!(broken["artifactsDir"].is_null());
}

#[test]
fn slots_outside_one_to_a_thousand_are_refused() {
    for jobs in ["0", "1001"] {
        Test::new()
            .args(["run-local", "--graph", "-j", jobs])
            .status(2)
            .stderr_contains("--jobs")
            .stderr_contains("1..=1000")
            .run();
    }
}

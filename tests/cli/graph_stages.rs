//! `tc graph target` with try syntax (taskgraph.md §4.4, try-syntax.md §11), `optimized`'s
//! taskIds, and the dot and table formats, on the README's example repository. (Equality with
//! taskgraph for every stage is the graph_compat module; taskgraph has no try syntax.)

use crate::common::{self, Test, TestDir};

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value as J;

/// The README's example repository, committed in a new test directory.
fn intree() -> TestDir {
    let dir = TestDir::new();
    common::repo::commit_copy(
        &common::root().join("examples/intree"),
        dir.root(),
        "https://github.com/example/intree",
    );
    dir
}

/// `tc graph ARGS -p params.yml` in `repo`.
fn graph(repo: &TestDir, args: &[&str]) -> Test {
    repo.test()
        .arg("graph")
        .args(args)
        .args(["-p", "params.yml"])
        .env("TASKCLUSTER_ROOT_URL", "https://tc.example.com")
}

/// The stdout of a `graph` that must succeed.
fn ok(repo: &TestDir, args: &[&str]) -> String {
    graph(repo, args).run().stdout
}

fn labels(repo: &TestDir, args: &[&str]) -> BTreeSet<String> {
    ok(repo, args).lines().map(str::to_owned).collect()
}

fn json(repo: &TestDir, args: &[&str]) -> serde_json::Map<String, J> {
    match graph(repo, args).args(["--format", "json"]).run().json() {
        J::Object(m) => m,
        other => panic!("not an object: {other}"),
    }
}

fn set(labels: &[&str]) -> BTreeSet<String> {
    labels.iter().map(|l| (*l).to_owned()).collect()
}

#[test]
fn try_syntax_selects_builds_and_tests_by_their_attributes() {
    let repo = intree();
    assert_eq!(
        labels(&repo, &["target", "--try", "-b o -p linux64 -u all"]),
        set(&[
            "build-linux64-opt",
            "test-linux64-opt-integration",
            "test-linux64-opt-unit"
        ])
    );
    // `-p all` keeps builds that run on all projects; the Windows ones only run on try.
    assert_eq!(
        labels(&repo, &["target", "--try", "-b do -p all -u none"]),
        set(&["build-linux64-debug", "build-linux64-opt"])
    );
    // A platform restriction on the test name decides alone: the Windows test runs although
    // it is not for all projects, and the Linux one with the same name does not.
    assert_eq!(
        labels(
            &repo,
            &[
                "target",
                "--try",
                "-b o -p linux64,win64 -u unit[windows11-64]"
            ]
        ),
        set(&[
            "build-linux64-opt",
            "build-win64-opt",
            "test-win64-opt-unit"
        ])
    );
    // The target graph adds the dependencies of what try syntax chose.
    let optimized = json(&repo, &["optimized", "--try", "-b d -p linux64 -u unit"]);
    let labels: BTreeSet<String> = optimized
        .values()
        .map(|t| t["label"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        labels,
        set(&["build-linux64-debug", "test-linux64-debug-unit"])
    );
}

#[test]
fn try_syntax_sets_attributes_and_notification_routes() {
    let repo = intree();
    let target = json(
        &repo,
        &[
            "target",
            "--try",
            "-b o -p linux64 -u unit --rebuild 3 --no-retry --tag t1 -f",
        ],
    );
    let test = &target["test-linux64-opt-unit"];
    assert_eq!(test["attributes"]["task_duplicates"], 3);
    assert_eq!(test["attributes"]["no_retry"], true);
    assert_eq!(test["attributes"]["tag"], "t1");
    let build = &target["build-linux64-opt"];
    assert!(
        build["attributes"].get("task_duplicates").is_none(),
        "only tasks with unittest_suite are duplicated"
    );
    for task in target.values() {
        let routes: Vec<&str> = task["task"]["routes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r.as_str().unwrap())
            .collect();
        let tail: Vec<&str> = routes[routes.len() - 2..].to_vec();
        assert_eq!(
            tail,
            [
                "notify.email.nobody@mozilla.com.on-failed",
                "notify.email.nobody@mozilla.com.on-exception"
            ],
            "{}",
            task["label"]
        );
    }
}

#[test]
fn try_errors_read_like_tc_try_parse() {
    let repo = intree();
    graph(&repo, &["target", "--try", "-b o -p nosuch"])
        .status(2)
        .stderr_contains("resolve:unknown-platform")
        .stderr_contains("nosuch")
        .run();
    graph(&repo, &["full", "--try", "-b o"])
        .status(2)
        .stderr_contains("--try selects target tasks")
        .run();
}

/// A kind whose task has a YAML construction error on line 6, column 27.
const BROKEN_KIND: &str = "\
loader: taskgraph.loader.transform:loader
transforms: [taskgraph.transforms.task]
tasks:
  oops:
    description: a broken task
    attributes: {retries: !!int three}
    worker-type: succeed
";

#[test]
fn a_broken_kind_file_is_reported_at_its_line() {
    let repo = intree();
    let kind = repo.write("taskcluster/kinds/broken/kind.yml", BROKEN_KIND);
    // tc names kind files from the canonical graph root.
    let file = std::fs::canonicalize(kind).unwrap().display().to_string();

    // For people: the message, file:line:column, and the line itself.
    let out = graph(&repo, &["full"])
        .status(2)
        .stderr_contains("invalid !!int value 'three'")
        .stderr_contains(format!("{file}:6:27"))
        .stdout("")
        .run();
    assert!(
        out.stderr
            .lines()
            .any(|l| l.ends_with("    attributes: {retries: !!int three}")),
        "{}",
        out.stderr
    );

    // For scripts: an error document with the same facts.
    let doc = graph(&repo, &["full", "--format", "json"])
        .status(2)
        .run()
        .json();
    let error = &doc["error"];
    assert_eq!(error["kind"], "tc::graph::yaml", "{doc}");
    assert_eq!(error["message"], "invalid !!int value 'three'", "{doc}");
    assert_eq!(error["file"], file.as_str(), "{doc}");
    assert_eq!(
        (error["line"].as_u64(), error["column"].as_u64()),
        (Some(6), Some(27)),
        "{doc}"
    );
}

#[test]
fn the_message_parameter_selects_with_try_option_syntax() {
    let repo = intree();
    let params = repo.read("params.yml");
    repo.test()
        .file(
            "try.yml",
            format!(
                "{params}\ntarget_tasks_method: try_option_syntax\nmessage: 'Bug 1 - fix it; try: -b o -p linux64 -u none'\n"
            ),
        )
        .args(["graph", "target", "-p", "try.yml"])
        .env("TASKCLUSTER_ROOT_URL", "https://tc.example.com")
        .stdout("build-linux64-opt\n")
        .run();
}

#[test]
fn optimized_tasks_have_nice_slugids_and_resolved_dependencies() {
    let repo = intree();
    let optimized = json(&repo, &["optimized"]);
    let by_label: BTreeMap<String, String> = optimized
        .iter()
        .map(|(id, t)| (t["label"].as_str().unwrap().to_owned(), id.clone()))
        .collect();
    // params.yml's files_changed leaves these two out (README).
    assert!(!by_label.contains_key("lint-yaml"));
    assert!(!by_label.contains_key("docs-spelling"));
    assert!(by_label.contains_key("lint-python"));
    for (id, task) in &optimized {
        assert_eq!(id.len(), 22, "{id}");
        assert!(
            id.starts_with(|c: char| c.is_ascii_uppercase() || ('a'..='f').contains(&c)),
            "a nice slugid: {id}"
        );
        assert_eq!(task["task_id"], J::String(id.clone()));
        let mut ids: Vec<String> = task["dependencies"]
            .as_object()
            .unwrap()
            .values()
            .map(|v| v.as_str().unwrap().to_owned())
            .collect();
        ids.sort();
        let listed: Vec<String> = task["task"]["dependencies"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_owned())
            .collect();
        assert_eq!(listed, ids, "task.dependencies of {id}");
        assert!(ids.iter().all(|d| optimized.contains_key(d)));
    }
    // The test's `<build>` artifact reference became the build's taskId.
    let test = &optimized[&by_label["test-linux64-opt-unit"]];
    let text = test["task"].to_string();
    let build_id = &by_label["build-linux64-opt"];
    assert!(
        text.contains(&format!(
            "https://tc.example.com/api/queue/v1/task/{build_id}/artifacts/"
        )),
        "{text}"
    );
    assert!(!text.contains("artifact-reference") && !text.contains("task-reference"));
}

#[test]
fn dot_and_table_show_labels_and_edges() {
    let repo = intree();
    let dot = ok(&repo, &["full", "--format", "dot"]);
    assert!(dot.starts_with("digraph taskgraph {\n"), "{dot}");
    assert!(dot.ends_with("}\n"), "{dot}");
    assert!(dot.contains("  \"lint-yaml\";\n"));
    assert!(
        dot.contains("  \"test-linux64-opt-unit\" -> \"build-linux64-opt\" [label=\"build\"];\n")
    );
    let nodes: Vec<&str> = dot.lines().filter(|l| l.ends_with("\";")).collect();
    let mut sorted = nodes.clone();
    sorted.sort_unstable();
    assert_eq!(nodes, sorted);
    assert_eq!(nodes.len(), labels(&repo, &["full"]).len());

    // optimized: nodes are labels, edges only between kept tasks.
    let dot = ok(&repo, &["optimized", "--format", "dot"]);
    assert!(dot.contains("  \"lint-python\";\n"));
    assert!(!dot.contains("lint-yaml"));

    let table = ok(
        &repo,
        &[
            "full",
            "--format",
            "table",
            "--tasks",
            "test-linux64-opt-unit",
        ],
    );
    for cell in [
        "Label",
        "Kind",
        "Worker type",
        "Dependencies",
        "test-linux64-opt-unit",
        "test",
    ] {
        assert!(table.contains(cell), "{cell} in\n{table}");
    }
    assert!(!table.contains("\u{1b}["), "no colour off a terminal");
    let rows = table.lines().filter(|l| l.contains("test-linux64")).count();
    assert_eq!(rows, 1, "--tasks filters the rows:\n{table}");
}

/// The README's example inside a clone of tc, whose `origin` is not on GitHub: its parameter file
/// names the repository and the project, and without them the errors name the parameter to set.
#[test]
fn the_example_works_in_a_clone_whose_origin_is_not_on_github() {
    let dir = TestDir::new();
    common::repo::commit_copy(
        &common::root().join("examples/intree"),
        dir.root(),
        "/srv/git/tc",
    );
    let without_project: String = dir
        .read("params.yml")
        .lines()
        .filter(|line| !line.starts_with("project:"))
        .flat_map(|line| [line, "\n"])
        .collect();
    dir.write("no-project.yml", without_project);
    let optimized = || {
        dir.test()
            .args(["graph", "optimized"])
            .env("TASKCLUSTER_ROOT_URL", "https://tc.example.com")
    };
    optimized().args(["-p", "params.yml"]).run();
    optimized()
        .status(2)
        .stderr_contains("head_repository")
        .run();
    optimized()
        .args(["-p", "no-project.yml"])
        .status(2)
        .stderr_contains("invalid index route")
        .stderr_contains("the `project` parameter is empty")
        .stderr_contains("project: <name>")
        .run();
}

/// `scripts/synthetic-repo.py`, the benchmark's fixture generator, lives in the project and
/// writes a repository of N tasks that `tc graph` renders.
#[test]
fn the_synthetic_benchmark_repository_is_generated_in_the_project() {
    let dir = TestDir::new();
    let repo = dir.path("synth");
    let made = std::process::Command::new("python3")
        .arg(common::root().join("scripts/synthetic-repo.py"))
        .arg(&repo)
        .arg("50")
        .output()
        .unwrap();
    assert!(made.status.success(), "{made:?}");
    common::repo::commit_copy(&repo, &dir.path("git"), "https://github.com/example/synth");
    let labels = dir
        .test()
        .args(["graph", "full"])
        .current_dir("git")
        .env("TASKCLUSTER_ROOT_URL", "https://tc.example.com")
        .run()
        .stdout;
    assert_eq!(labels.lines().count(), 50, "{labels}");
    assert!(labels.lines().any(|l| l == "test-t00000"), "{labels}");
}

//! tc's integration tests, in one test binary: the real `tc` binary run as a user runs it
//! (files in a scratch directory, a command line, exit status and output), against a real
//! `tc queue serve`, real Docker and the real taskgraph where a test needs them. One module per
//! behaviour area; the shared support (the `Test` builder, the queue, Docker) is in
//! tests/common. The tests that use only a domain crate's library are in that crate's
//! `tests/` (tc-graph, tc-run).

#[path = "../common/mod.rs"]
mod common;

mod commands;
mod doctor;
mod generated_files;
mod graph_compat;
mod graph_pages;
mod graph_stages;
mod human_output;
mod queue_cli;
mod queue_conformance;
mod queue_robustness;
mod run_local_docker;
mod run_local_graph;
mod run_local_label;
mod run_local_mounts;
mod run_local_native;
mod run_local_script;
mod run_local_snapshots;
mod run_local_task_id;
mod scopes;
mod scripts_lint;
mod try_commands;
mod try_never_panics;
mod try_rules;
mod try_snapshots;
mod try_vectors;
mod worker;

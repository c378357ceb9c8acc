//! tc-graph's integration tests, in one test binary: the library against the taskgraph
//! conformance corpora (tests/taskgraph-compat at the workspace root), against the real
//! taskgraph 24.5.1 and against PyYAML where they are installed.

/// The parts of the workspace's shared test support (tests/common) that need no `tc` binary.
#[path = "../../../../tests/common"]
mod common {
    #[path = "paths.rs"]
    mod paths;
    #[path = "repo.rs"]
    pub(crate) mod repo;
    #[path = "skip.rs"]
    pub(crate) mod skip;

    pub(crate) use paths::corpora;
}

mod config_corpora;
mod kinds_corpora;
mod parameters;
mod transform_corpora;
mod yaml_pyyaml;

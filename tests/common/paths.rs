//! Where the shared test inputs are: the workspace root's `tests/` (the taskgraph corpora,
//! fixtures, the queue scripts), found the same way from the `tc` package's tests and from a
//! crate's own.

use std::path::{Path, PathBuf};

/// The workspace root: the nearest directory above this package holding `tests/common`.
pub(crate) fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .find(|dir| dir.join("tests/common/paths.rs").is_file())
        .expect("the package lies inside the tc workspace")
        .to_path_buf()
}

/// The taskgraph conformance corpora (`tests/taskgraph-compat/corpora`).
pub(crate) fn corpora() -> PathBuf {
    root().join("tests/taskgraph-compat/corpora")
}

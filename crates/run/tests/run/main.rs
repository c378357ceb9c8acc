//! tc-run's integration tests, in one test binary: the mount machinery (archives, downloads)
//! through the library, with archives the tests write and a real HTTP server on 127.0.0.1.

/// The parts of the workspace's shared test support (tests/common) that need no `tc` binary.
#[path = "../../../../tests/common"]
mod common {
    #[path = "archives.rs"]
    mod archives;

    pub(crate) use archives::set_zip_mode;
}

mod mounts;

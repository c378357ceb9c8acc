//! Mounts (worker.md §9.2): generic-worker's `payload.mounts` on the native engine.
//!
//! Three steps, each usable on its own:
//! 1. [`parse`] reads `payload.mounts` into typed [`Mount`]s, listing every problem with its
//!    JSON pointer (malformed-payload before anything is fetched);
//! 2. [`fetch`] (or a reused [`Fetcher`]) turns a mount's [`Content`] into bytes or a file, with
//!    the download cache under `<C>/downloads/`, retries and sha256 checks;
//! 3. [`apply`] writes a file mount or extracts a directory mount into the task dir; [`extract`]
//!    is the archive extraction on its own (the cache module uses it to preload a new cache
//!    instance).
//!
//! Nothing is ever written outside the task dir (mount paths) or outside the mount directory
//! (archive entries): absolute names, `..`, escaping symlinks and hard links are refused, and no
//! entry is ever written through a symlink.

mod extract;
mod fetch;
mod size;
mod spec;

pub use extract::{apply, extract, extract_fetched};
pub use fetch::{FetchOptions, Fetched, Fetcher, fetch};
pub use size::{
    DEFAULT_MAX_MOUNT_SIZE, DEFAULT_MAX_MOUNT_SIZE_TEXT, SizeError, TooLarge, parse_size, show_size,
};
pub use spec::{
    ArchiveFormat, Base64Error, Content, FileFormat, Mount, SpecErrors, SpecProblem, parse,
};

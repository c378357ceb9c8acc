//! In-tree images (worker.md §4.3): built through the daemon's build endpoint.

use super::images::{ResolvedImage, Resolver};
use crate::run::outcome::TaskError;

pub async fn in_tree(_r: &Resolver<'_>, name: &str) -> Result<ResolvedImage, TaskError> {
    Err(TaskError::malformed(format!(
        "the in-tree image {name} cannot be built yet"
    )))
}

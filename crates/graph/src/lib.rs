//! Task graphs from in-tree YAML (taskgraph.md): the YAML layer with PyYAML's values and
//! positions, parameters, config.yml, kinds, keyed-by, the task-defaults merge, the stock task
//! transform, the `tasks` and `full` stages with their verifications, and the output formats.

pub mod config;
pub mod def;
pub mod deps;
pub mod error;
pub mod generate;
pub mod jv;
pub mod keyed;
pub mod kinds;
pub mod load;
pub mod merge;
pub mod optimize;
pub mod pages;
pub mod parameters;
pub mod references;
pub mod render;
pub mod run;
pub mod target;
pub mod transform;
pub mod verify;
pub mod yaml;
mod yaml_quick;
pub mod yaml_split;

pub use error::{GraphError, InvalidKind};

/// The threads the graph's parallel parts use: the cores, at most 8. Asked once, because the
/// standard library reads the cgroup files again on every call.
pub(crate) fn threads() -> usize {
    static THREADS: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *THREADS.get_or_init(|| {
        std::thread::available_parallelism()
            .map_or(1, std::num::NonZero::get)
            .clamp(1, 8)
    })
}

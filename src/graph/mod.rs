//! Task graphs from in-tree YAML (taskgraph.md). Groundwork so far: the YAML layer with
//! PyYAML's values and positions, config.yml, kinds, keyed-by, the task-defaults merge and the
//! parameters.

pub mod config;
pub mod keyed;
pub mod kinds;
pub mod merge;
pub mod parameters;
pub mod transform;
pub mod yaml;

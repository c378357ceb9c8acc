//! Task graphs from in-tree YAML (taskgraph.md). Groundwork so far: the YAML layer with
//! PyYAML's values and positions, config.yml, keyed-by, the task-defaults merge and the
//! parameters.

pub mod config;
pub mod keyed;
pub mod merge;
pub mod parameters;
pub mod yaml;

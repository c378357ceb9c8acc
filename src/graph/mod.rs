//! Task graphs from in-tree YAML (taskgraph.md). Groundwork so far: the YAML layer with
//! PyYAML's values and positions, and the parameters.

pub mod parameters;
pub mod yaml;

//! Task graphs from in-tree YAML (taskgraph.md)

pub mod yaml;

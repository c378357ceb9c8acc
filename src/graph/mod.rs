//! Task graphs from in-tree YAML (taskgraph.md): the YAML layer with PyYAML's values and
//! positions, parameters, config.yml, kinds, keyed-by, the task-defaults merge, the stock task
//! transform, the `tasks` and `full` stages with their verifications, and the output formats.

pub mod config;
pub mod def;
pub mod generate;
pub mod jv;
pub mod keyed;
pub mod kinds;
pub mod merge;
pub mod optimize;
pub mod parameters;
pub mod references;
pub mod render;
pub mod run;
pub mod target;
pub mod transform;
pub mod verify;
pub mod yaml;
pub mod yaml_split;

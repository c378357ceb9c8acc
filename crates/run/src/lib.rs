//! The task-run core (worker.md §13): the one place a task is executed.

pub mod artifacts;
pub mod caches;
pub mod develop;
pub mod engine;
pub mod env;
pub mod error;
pub mod exit_codes;
pub mod input;
pub mod intree;
pub mod label;
pub mod log;
pub mod mask;
pub mod mounting;
pub mod mounts;
pub mod outcome;
pub mod plan;
pub mod script;
mod script_docker;
pub mod taskrun;

pub use error::RunError;

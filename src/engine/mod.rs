//! Engines run a prepared task (worker.md §13.1): one small trait, two implementations
//! (native processes now, Docker next). `run::taskrun` drives them; nothing else does.

pub mod docker;
pub mod intree;
pub mod native;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use async_trait::async_trait;

use crate::run::artifacts::{ArtifactSpec, LocalDir, Record};
use crate::run::outcome::TaskError;
use crate::taskdef::Family;

/// Validated, fully resolved input of one run.
#[derive(Debug, Clone)]
pub struct RunSpec {
    pub task_id: String,
    pub run_id: u32,
    pub family: Family,
    pub commands: Vec<Vec<String>>,
    pub env: BTreeMap<String, String>,
    /// The native engine's task directory (made by `prepare`; see `native::task_dir`).
    pub task_dir: PathBuf,
    /// Open a shell on this terminal instead of running the commands (worker.md §10).
    pub interactive: bool,
}

/// Task output and tc's own lines about it, as they happen. Closed when the task is done.
pub type LogStream = tokio::sync::mpsc::Receiver<Vec<u8>>;

#[async_trait]
pub trait Engine: Send + Sync {
    /// `native` or `docker`.
    fn name(&self) -> &'static str;
    fn accepts(&self, family: Family) -> bool;
    /// Checks that the engine can run at all (platform, daemon).
    async fn preflight(&self) -> Result<(), TaskError>;
    async fn prepare(&self, spec: &RunSpec) -> Result<Box<dyn Sandbox>, TaskError>;
}

/// One prepared run. Every method takes `&self` so `terminate` can race `wait`.
#[async_trait]
pub trait Sandbox: Send + Sync {
    /// Lines for the log header that describe where and what runs.
    fn describe(&self) -> Vec<String>;
    /// Starts the task; the stream is attached before the first byte.
    async fn start(&self) -> Result<LogStream, TaskError>;
    /// The task's exit code (the first failing command's, for the native engine).
    async fn wait(&self) -> Result<i32, TaskError>;
    /// Stops the task: SIGTERM, then SIGKILL after `grace`. Idempotent.
    async fn terminate(&self, grace: Duration);
    /// Copies one artifact out into the artifacts directory.
    async fn extract(&self, artifact: &ArtifactSpec, sink: &LocalDir) -> Vec<Record>;
    /// Removes what the run made, unless `keep`; returns what was kept, for the user.
    async fn cleanup(&self, keep: bool) -> Result<Option<String>, TaskError>;
}

//! Engines run a prepared task (worker.md §13.1): one small trait, two implementations
//! (native processes, Docker containers). `run::taskrun` drives them; nothing else does.

pub mod docker;
pub mod guard;
pub mod native;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use async_trait::async_trait;

use crate::artifacts::{ArtifactSpec, LocalDir, Record};
use crate::outcome::TaskError;
use tc_taskdef::Family;

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
    /// What a docker-worker payload asks of the Docker engine.
    pub docker: Option<docker::DockerTask>,
    /// Lines for the live log while the run is prepared (image pulls and builds).
    pub notes: Option<tokio::sync::mpsc::UnboundedSender<String>>,
}

/// Task output and tc's own lines about it, as they happen. Closed when the task is done.
pub type LogStream = tokio::sync::mpsc::Receiver<Vec<u8>>;

/// A task's exit as a sandbox publishes it: none yet, an exit code, or why there is none.
pub type Exit = Option<Result<i32, TaskError>>;

/// Waits for the exit a sandbox publishes on `rx` (what `Sandbox::wait` does for both engines).
pub async fn wait_for_exit(rx: &tokio::sync::watch::Receiver<Exit>) -> Result<i32, TaskError> {
    let mut rx = rx.clone();
    let done = rx
        .wait_for(Option::is_some)
        .await
        .map_err(|_| TaskError::internal("the task's runner stopped without an exit code"))?;
    match done.clone() {
        Some(result) => result,
        None => Err(TaskError::internal("no exit code")),
    }
}

#[async_trait]
pub trait Engine: Send + Sync {
    /// `native` or `docker`.
    fn name(&self) -> &'static str;
    fn accepts(&self, family: Family) -> bool;
    /// More for the header's engine line (the Docker network).
    fn describe(&self) -> Option<String> {
        None
    }
    /// Checks that the engine can run at all (platform, daemon).
    async fn preflight(&self) -> Result<(), TaskError>;
    async fn prepare(&self, spec: &RunSpec) -> Result<Box<dyn Sandbox>, TaskError>;
    /// Removes what a `prepare` that was abandoned half-way (canceled) may have made.
    async fn abandon(&self, _spec: &RunSpec) {}
}

/// One prepared run. Every method takes `&self` so `terminate` can race `wait`.
#[async_trait]
pub trait Sandbox: Send + Sync {
    /// Lines for the log header that describe where and what runs.
    fn describe(&self) -> Vec<String>;
    /// The image, for the summary (`--format json`); none for the native engine.
    fn image(&self) -> Option<serde_json::Value> {
        None
    }
    /// Starts the task; the stream is attached before the first byte.
    async fn start(&self) -> Result<LogStream, TaskError>;
    /// The task's exit code (the first failing command's, for the native engine).
    async fn wait(&self) -> Result<i32, TaskError>;
    /// Stops the task: SIGTERM, then SIGKILL after `grace`. Idempotent.
    async fn terminate(&self, grace: Duration);
    /// Copies one artifact out into the artifacts directory.
    async fn extract(&self, artifact: &ArtifactSpec, sink: &LocalDir) -> Vec<Record>;
    /// Removes what the run made, unless `keep`, and gives back what it holds (`purge_caches`:
    /// the engine's own caches are deleted). Returns notes for the user: what was kept, what
    /// could not be removed.
    async fn cleanup(&self, keep: bool, purge_caches: bool) -> Vec<String>;
}

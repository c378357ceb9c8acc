//! Preparing a docker-worker run: resolve the image (§4), take the caches (§9.1), create the
//! container (§3.5). Everything after that is the sandbox's (`container`).

use std::path::PathBuf;
use std::sync::Arc;

use async_trait::async_trait;

use super::container::{self, ContainerConfig};
use super::images::{self, ImageSource, PullProgress, Resolver};
use super::volumes;
use crate::engine::{Engine, RunSpec, Sandbox};
use crate::outcome::{Reason, TaskError};
use tc_taskdef::Family;
use tc_taskdef::payload::DwCapabilities;

/// When to pull a registry image (worker.md §4.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PullPolicy {
    /// Pull, then use.
    Always,
    /// Use the local image if the daemon has it, else pull.
    #[default]
    Missing,
    /// Never pull: an absent image is an error.
    Never,
}

impl PullPolicy {
    pub fn as_str(self) -> &'static str {
        match self {
            PullPolicy::Always => "always",
            PullPolicy::Missing => "missing",
            PullPolicy::Never => "never",
        }
    }
}

/// How this machine runs docker-worker tasks: the same for every task of an invocation.
#[derive(Debug, Clone, Default)]
pub struct DockerOptions {
    pub pull: PullPolicy,
    /// `--network`; `None` is the daemon's default.
    pub network: Option<String>,
    /// `--image`: replaces the payload's image.
    pub image_override: Option<String>,
    /// `--volume HOST:CTR[:ro]`, HOST already absolute.
    pub binds: Vec<String>,
    /// The graph root `R`, for in-tree images.
    pub graph_root: Option<PathBuf>,
    /// `--develop`'s checkout (also in `binds`): tc warns when the container's user is not its
    /// owner.
    pub checkout: Option<PathBuf>,
    /// Where image pulls report their progress; none shows nothing.
    pub progress: Option<Arc<dyn PullProgress>>,
}

/// What a docker-worker payload asks of the engine, beyond commands and env.
#[derive(Debug, Clone, Default)]
pub struct DockerTask {
    /// The payload's `image` value.
    pub image: serde_json::Value,
    /// Empty: the image's Entrypoint/Cmd.
    pub command: Vec<String>,
    /// Cache name → absolute mount path.
    pub caches: Vec<(String, String)>,
    pub capabilities: DwCapabilities,
    pub allow_ptrace: bool,
}

pub struct DockerEngine {
    /// The connection `preflight` made, reused by `prepare`.
    pub client: tokio::sync::OnceCell<bollard::Docker>,
    pub options: DockerOptions,
    pub cache_root: PathBuf,
    pub root_url: String,
    /// Each cache is a fresh throwaway volume.
    pub no_caches: bool,
}

impl DockerEngine {
    async fn docker(&self) -> Result<&bollard::Docker, TaskError> {
        self.client
            .get_or_try_init(|| async {
                super::client()
                    .await
                    .map_err(|e| TaskError::caused(Reason::ResourceUnavailable, &e))
            })
            .await
    }
}

#[async_trait]
impl Engine for DockerEngine {
    fn name(&self) -> &'static str {
        "docker"
    }

    fn accepts(&self, family: Family) -> bool {
        family == Family::DockerWorker
    }

    fn describe(&self) -> Option<String> {
        Some(format!(
            "Network: {}",
            self.options.network.as_deref().unwrap_or("default")
        ))
    }

    async fn preflight(&self) -> Result<(), TaskError> {
        self.docker().await.map(drop)
    }

    async fn abandon(&self, spec: &RunSpec) {
        if let Ok(docker) = self.docker().await {
            container::remove_leftovers(docker, &spec.task_id, spec.run_id).await;
        }
    }

    async fn prepare(&self, spec: &RunSpec) -> Result<Box<dyn Sandbox>, TaskError> {
        let task = spec
            .docker
            .as_ref()
            .ok_or_else(|| TaskError::internal("a docker run without its docker payload"))?;
        let docker = self.docker().await?.clone();
        let source = ImageSource::chosen(self.options.image_override.as_deref(), &task.image)?;
        let resolver = Resolver {
            docker: &docker,
            pull: self.options.pull,
            cache_root: &self.cache_root,
            root_url: &self.root_url,
            graph_root: self.options.graph_root.as_deref(),
            network: self.options.network.as_deref(),
            notes: spec.notes.as_ref(),
            progress: self.options.progress.as_deref(),
        };
        // Caches first, then the image (pipeline stages 2 and 3).
        let caches = volumes::acquire(
            &docker,
            &self.cache_root,
            &task.caches,
            self.no_caches,
            &spec.task_id,
        )
        .await?;
        let image = match images::resolve(&resolver, &source).await {
            Ok(image) => image,
            Err(e) => {
                volumes::release(&docker, caches, false, false).await;
                return Err(e);
            }
        };
        let config = ContainerConfig {
            spec,
            task,
            image: &image,
            caches: &caches,
            options: &self.options,
        };
        match container::create(&docker, &config).await {
            Ok(name) => Ok(Box::new(container::DockerSandbox::new(
                docker, name, spec, image, caches,
            ))),
            Err(e) => {
                volumes::release(&docker, caches, false, false).await;
                Err(e)
            }
        }
    }
}

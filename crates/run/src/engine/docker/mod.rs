//! The Docker engine (worker.md §3.5, §4, §8.2, §9.1): docker-worker tasks in containers of
//! any Docker-API daemon (Docker, Podman) at `DOCKER_HOST` or the platform's default socket,
//! with the API version negotiated (Debian 12's docker.io serves 1.41).
//!
//! `engine` prepares a run (image, caches, container); `container` is the running sandbox;
//! `images` resolves and loads images; `archive` copies artifacts out; `volumes` holds caches.

mod archive;
mod build;
mod container;
mod engine;
pub mod images;
mod interactive;
mod load;
mod volumes;

use std::collections::HashMap;
use std::time::Duration;

use bollard::Docker;
use serde::Serialize;

pub use container::{SHM_SIZE, live_containers};
pub use engine::{DockerEngine, DockerOptions, DockerTask, PullPolicy};
pub use images::{PullProgress, PullSink};

/// The label on everything tc creates (containers, volumes, built images).
pub const LABEL: &str = "org.taskcluster.tc";

/// Labels for something tc creates for `task_id`. `TC_TEST_RUN_ID`, set by tc's own tests,
/// adds a label their clean-up finds everything by.
pub fn labels(task_id: Option<&str>) -> HashMap<String, String> {
    let mut labels = HashMap::from([(LABEL.to_owned(), "1".to_owned())]);
    if let Some(id) = task_id {
        labels.insert(format!("{LABEL}.task-id"), id.to_owned());
    }
    if let Some(run) = std::env::var("TC_TEST_RUN_ID")
        .ok()
        .filter(|r| !r.is_empty())
    {
        labels.insert(format!("{LABEL}.test"), run);
    }
    labels
}

/// No Docker daemon answers where tc looks for one (§11.1 row 8: resource-unavailable).
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
#[error("no Docker daemon answers at {address}")]
#[diagnostic(code(tc::run::docker::unreachable))]
pub struct DaemonUnreachable {
    /// Where tc looked, as `daemon_address` says it.
    pub address: String,
    #[source]
    pub reason: NoAnswer,
}

/// Why the daemon did not answer.
#[derive(Debug, thiserror::Error)]
pub enum NoAnswer {
    #[error("no answer within 5 s")]
    Timeout,
    #[error(transparent)]
    Api(#[from] bollard::errors::Error),
}

impl DaemonUnreachable {
    fn at(reason: impl Into<NoAnswer>) -> DaemonUnreachable {
        DaemonUnreachable {
            address: daemon_address(),
            reason: reason.into(),
        }
    }
}

/// Connects and pings with a 5 s limit (§11.1 row 8), without asking for anything else.
pub async fn client() -> Result<Docker, DaemonUnreachable> {
    let docker = Docker::connect_with_defaults().map_err(DaemonUnreachable::at)?;
    let docker = tokio::time::timeout(Duration::from_secs(5), docker.negotiate_version())
        .await
        .map_err(|_| DaemonUnreachable::at(NoAnswer::Timeout))?
        .map_err(DaemonUnreachable::at)?;
    Ok(docker)
}

/// Where tc looks for the daemon, as people read it.
pub fn daemon_address() -> String {
    std::env::var("DOCKER_HOST")
        .ok()
        .filter(|h| !h.is_empty())
        .map_or_else(
            || {
                "unix:///var/run/docker.sock (the default socket; set DOCKER_HOST for another)"
                    .into()
            },
            |h| format!("{h} (DOCKER_HOST)"),
        )
}

/// What the daemon says about itself.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Daemon {
    pub address: String,
    /// `Docker` or `Podman`.
    pub product: String,
    pub version: String,
    pub api_version: String,
    pub rootless: bool,
}

/// Connects and pings with a 5 s limit; the error names the address tried.
pub async fn connect() -> Result<(Docker, Daemon), DaemonUnreachable> {
    let docker = client().await?;
    tokio::time::timeout(Duration::from_secs(5), docker.ping())
        .await
        .map_err(|_| DaemonUnreachable::at(NoAnswer::Timeout))?
        .map_err(DaemonUnreachable::at)?;
    let version = docker.version().await.map_err(DaemonUnreachable::at)?;
    let info = docker.info().await.map_err(DaemonUnreachable::at)?;
    let address = daemon_address();
    let components: Vec<String> = version
        .components
        .iter()
        .flatten()
        .map(|c| c.name.clone())
        .collect();
    let product = if components
        .iter()
        .any(|c| c.to_ascii_lowercase().contains("podman"))
    {
        "Podman"
    } else {
        "Docker"
    };
    let rootless = info
        .security_options
        .iter()
        .flatten()
        .any(|o| o.contains("rootless"));
    Ok((
        docker,
        Daemon {
            address,
            product: product.into(),
            version: version.version.unwrap_or_default(),
            api_version: version.api_version.unwrap_or_default(),
            rootless,
        },
    ))
}

//! The Docker engine's connection to a daemon (worker.md §3.2): `DOCKER_HOST`, else the
//! platform's default socket; the API version is negotiated (Debian 12's docker.io serves 1.41).
//! Running tasks on it comes with the Docker engine work; `tc doctor` uses this today.

use std::time::Duration;

use bollard::Docker;
use serde::Serialize;

/// Where tc looks for the daemon, as people read it.
pub fn daemon_address() -> String {
    std::env::var("DOCKER_HOST")
        .ok()
        .filter(|h| !h.is_empty())
        .map(|h| format!("{h} (DOCKER_HOST)"))
        .unwrap_or_else(|| {
            "unix:///var/run/docker.sock (the default socket; set DOCKER_HOST for another)".into()
        })
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
pub async fn connect() -> Result<(Docker, Daemon), String> {
    let address = daemon_address();
    let unreachable = |why: String| format!("no Docker daemon answers at {address}: {why}");
    let docker = Docker::connect_with_defaults().map_err(|e| unreachable(e.to_string()))?;
    let docker = tokio::time::timeout(Duration::from_secs(5), docker.negotiate_version())
        .await
        .map_err(|_| unreachable("no answer within 5 s".into()))?
        .map_err(|e| unreachable(e.to_string()))?;
    tokio::time::timeout(Duration::from_secs(5), docker.ping())
        .await
        .map_err(|_| unreachable("no answer within 5 s".into()))?
        .map_err(|e| unreachable(e.to_string()))?;
    let version = docker
        .version()
        .await
        .map_err(|e| unreachable(e.to_string()))?;
    let info = docker
        .info()
        .await
        .map_err(|e| unreachable(e.to_string()))?;
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

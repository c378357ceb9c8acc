//! What the command line, the worker and `tc run-local --graph` ask of a task: its status, its
//! resolution, its latest run and an artifact's bytes (queue-api.md §8.1).

use std::time::Duration;

use serde_json::Value;
use tc_api::encode;

use crate::{Client, QueueError, api_error};

/// Why a task's status, run or artifact could not be had.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum TaskCallError {
    #[error(transparent)]
    #[diagnostic(transparent)]
    Queue(#[from] QueueError),
    #[error("task {0} has no runs yet")]
    #[diagnostic(code(tc::queue::no_runs))]
    NoRuns(String),
    #[error("artifact {name} is an error artifact: {reason}: {message}")]
    #[diagnostic(code(tc::queue::error_artifact))]
    ErrorArtifact {
        name: String,
        reason: String,
        message: String,
    },
    #[error("the queue gave no URL for {0}")]
    #[diagnostic(code(tc::queue::no_url))]
    NoUrl(String),
    #[error("{url}: {source}")]
    #[diagnostic(code(tc::queue::download))]
    Download {
        url: String,
        #[source]
        source: reqwest::Error,
    },
    #[error("{url} answered {status}")]
    #[diagnostic(code(tc::queue::download_status))]
    Status {
        url: String,
        status: reqwest::StatusCode,
    },
    #[error("{name}: not gzip: {source}")]
    #[diagnostic(code(tc::queue::not_gzip))]
    NotGzip {
        name: String,
        #[source]
        source: std::io::Error,
    },
}

/// Whether a task state is a resolution.
pub fn resolved(state: &str) -> bool {
    matches!(state, "completed" | "failed" | "exception")
}

impl Client {
    /// The task's status structure.
    pub async fn task_status(&self, id: &str) -> Result<Value, QueueError> {
        let a = self
            .ok("GET", &format!("task/{}/status", encode(id)), None)
            .await?;
        Ok(a.body["status"].clone())
    }

    /// Polls (2 s backing off to 10 s) until the task resolves; its last status.
    pub async fn wait_resolved(&self, id: &str) -> Result<Value, QueueError> {
        let mut pause = Duration::from_secs(2);
        loop {
            let s = self.task_status(id).await?;
            if resolved(s["state"].as_str().unwrap_or_default()) {
                return Ok(s);
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 3 / 2).min(Duration::from_secs(10));
        }
    }

    /// The latest run of a task, or the one asked for.
    pub async fn run_of(&self, id: &str, run: Option<u32>) -> Result<u32, TaskCallError> {
        if let Some(r) = run {
            return Ok(r);
        }
        let s = self.task_status(id).await?;
        s["runs"]
            .as_array()
            .and_then(|r| r.last())
            .and_then(|r| r["runId"].as_u64())
            .and_then(|r| u32::try_from(r).ok())
            .ok_or_else(|| TaskCallError::NoRuns(id.to_owned()))
    }

    /// The bytes of an artifact (from byte `range_from` on), `None` when it does not exist:
    /// getArtifact, then its redirect without credentials; a 424 is an error artifact.
    pub async fn artifact(
        &self,
        id: &str,
        run: u32,
        name: &str,
        range_from: Option<u64>,
    ) -> Result<Option<Vec<u8>>, TaskCallError> {
        let a = self
            .call(
                "GET",
                &format!("task/{}/runs/{run}/artifacts/{}", encode(id), encode(name)),
                None,
            )
            .await?;
        match a.status {
            303 => {}
            424 => {
                return Err(TaskCallError::ErrorArtifact {
                    name: name.to_owned(),
                    reason: a.body["reason"].as_str().unwrap_or_default().to_owned(),
                    message: a.body["message"].as_str().unwrap_or_default().to_owned(),
                });
            }
            404 => return Ok(None),
            _ => return Err(api_error(&a).into()),
        }
        let url = a
            .location
            .or_else(|| a.body["url"].as_str().map(str::to_owned))
            .ok_or_else(|| TaskCallError::NoUrl(name.to_owned()))?;
        download(&url, name, range_from).await.map(Some)
    }
}

/// An artifact's bytes from where the queue sent us, unzipped when served gzip-encoded.
async fn download(
    url: &str,
    name: &str,
    range_from: Option<u64>,
) -> Result<Vec<u8>, TaskCallError> {
    let mut req = reqwest::Client::new().get(url);
    if let Some(from) = range_from {
        req = req.header("Range", format!("bytes={from}-"));
    }
    let unavailable = |source: reqwest::Error| TaskCallError::Download {
        url: url.to_owned(),
        source,
    };
    let resp = req.send().await.map_err(unavailable)?;
    if resp.status() == reqwest::StatusCode::RANGE_NOT_SATISFIABLE {
        return Ok(Vec::new());
    }
    if !resp.status().is_success() {
        return Err(TaskCallError::Status {
            url: url.to_owned(),
            status: resp.status(),
        });
    }
    let gzip = resp
        .headers()
        .get("content-encoding")
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"gzip"));
    let bytes = resp.bytes().await.map_err(unavailable)?;
    if !gzip {
        return Ok(bytes.to_vec());
    }
    let mut out = Vec::new();
    std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&bytes[..]), &mut out).map_err(
        |source| TaskCallError::NotGzip {
            name: name.to_owned(),
            source,
        },
    )?;
    Ok(out)
}

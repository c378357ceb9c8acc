//! What the command line, the worker and `tc run-local --graph` ask of a task: its status, its
//! resolution, its latest run and an artifact's bytes (queue-api.md §8.1).

use std::time::Duration;

use serde_json::Value;
use tc_api::encode;

use crate::{Client, QueueError, api_error};

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
    pub async fn run_of(&self, id: &str, run: Option<u32>) -> Result<u32, QueueError> {
        if let Some(r) = run {
            return Ok(r);
        }
        let s = self.task_status(id).await?;
        s["runs"]
            .as_array()
            .and_then(|r| r.last())
            .and_then(|r| r["runId"].as_u64())
            .and_then(|r| u32::try_from(r).ok())
            .ok_or_else(|| QueueError::Refused(format!("task {id} has no runs yet")))
    }

    /// The bytes of an artifact (from byte `range_from` on), `None` when it does not exist:
    /// getArtifact, then its redirect without credentials; a 424 is an error artifact.
    pub async fn artifact(
        &self,
        id: &str,
        run: u32,
        name: &str,
        range_from: Option<u64>,
    ) -> Result<Option<Vec<u8>>, QueueError> {
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
                return Err(QueueError::Refused(format!(
                    "artifact {name} is an error artifact: {}: {}",
                    a.body["reason"].as_str().unwrap_or_default(),
                    a.body["message"].as_str().unwrap_or_default()
                )));
            }
            404 => return Ok(None),
            _ => return Err(api_error(&a)),
        }
        let url = a
            .location
            .or_else(|| a.body["url"].as_str().map(str::to_owned))
            .ok_or_else(|| QueueError::Refused(format!("the queue gave no URL for {name}")))?;
        download(&url, name, range_from).await.map(Some)
    }
}

/// An artifact's bytes from where the queue sent us, unzipped when served gzip-encoded.
async fn download(url: &str, name: &str, range_from: Option<u64>) -> Result<Vec<u8>, QueueError> {
    let mut req = reqwest::Client::new().get(url);
    if let Some(from) = range_from {
        req = req.header("Range", format!("bytes={from}-"));
    }
    let unavailable = |e: reqwest::Error| QueueError::Unavailable(format!("{url}: {e}"));
    let resp = req.send().await.map_err(unavailable)?;
    if resp.status() == reqwest::StatusCode::RANGE_NOT_SATISFIABLE {
        return Ok(Vec::new());
    }
    if !resp.status().is_success() {
        return Err(QueueError::Refused(format!(
            "{url} answered {}",
            resp.status()
        )));
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
    std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&bytes[..]), &mut out)
        .map_err(|e| QueueError::Refused(format!("{name}: not gzip: {e}")))?;
    Ok(out)
}

//! Artifacts into the queue with a run's claim credentials (queue-api.md §4.5, §9): `s3`
//! artifacts are created for a `putUrl` and their bytes PUT there; links and error artifacts
//! are created alone. Each upload is tried five times.

use std::path::Path;
use std::time::Duration;

use serde_json::{Value, json};

use super::error::UploadError;
use tc_api::encode;
use tc_client::{Client, api_error};

/// Attempts per artifact before the run resolves resource-unavailable.
const TRIES: u32 = 5;

/// One run's artifacts route.
pub(super) struct Run<'a> {
    pub http: &'a reqwest::Client,
    pub task_id: &'a str,
    pub id: u32,
}

impl Run<'_> {
    async fn create(
        &self,
        client: &Client,
        name: &str,
        body: &Value,
    ) -> Result<Value, UploadError> {
        let route = format!(
            "task/{}/runs/{}/artifacts/{}",
            encode(self.task_id),
            self.id,
            encode(name)
        );
        let a = client.call("POST", &route, Some(body)).await?;
        if a.status == 200 {
            Ok(a.body)
        } else {
            Err(api_error(&a).into())
        }
    }

    /// A `link` or `error` artifact (no bytes), tried `TRIES` times.
    pub(crate) async fn create_only(
        &self,
        client: &Client,
        name: &str,
        body: Value,
    ) -> Result<(), UploadError> {
        retry(|| async { self.create(client, name, &body).await.map(|_| ()) }).await
    }

    /// The file at `path` as an `s3` artifact, uploaded as is (no Content-Encoding).
    pub(crate) async fn file(
        &self,
        client: &Client,
        name: &str,
        path: &Path,
        content_type: &str,
        expires: &str,
    ) -> Result<(), UploadError> {
        retry(|| async {
            // Streamed, and only the bytes there are now: a log that is still growing is sent
            // as it is at this moment, with a Content-Length that S3 would check.
            let unreadable = |source| UploadError::Read {
                path: path.to_owned(),
                source,
            };
            let file = tokio::fs::File::open(path).await.map_err(unreadable)?;
            let size = file.metadata().await.map_err(unreadable)?.len();
            let stream =
                tokio_util::io::ReaderStream::new(tokio::io::AsyncReadExt::take(file, size));
            let body = json!({
                "storageType": "s3",
                "contentType": content_type,
                "expires": expires,
            });
            let answer = self.create(client, name, &body).await?;
            let url = answer["putUrl"].as_str().ok_or(UploadError::NoPutUrl)?;
            let resp = self
                .http
                .put(url)
                .header("Content-Type", content_type)
                .header("Content-Length", size)
                .body(reqwest::Body::wrap_stream(stream))
                .send()
                .await
                // Without the URL: its signature must not reach a log.
                .map_err(|e| UploadError::Put {
                    name: name.to_owned(),
                    source: e.without_url(),
                })?;
            if resp.status().is_success() {
                Ok(())
            } else {
                Err(UploadError::PutStatus {
                    name: name.to_owned(),
                    status: resp.status(),
                })
            }
        })
        .await
    }
}

/// Runs `attempt` up to `TRIES` times, pausing 1 s, 2 s, 4 s... between tries; the last
/// try's error when none succeeded.
async fn retry<F, Fut>(mut attempt: F) -> Result<(), UploadError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<(), UploadError>>,
{
    let mut tried = 1;
    loop {
        match attempt().await {
            Ok(()) => return Ok(()),
            Err(e) if tried >= TRIES => return Err(e),
            Err(_) => {}
        }
        tokio::time::sleep(Duration::from_secs(1 << (tried - 1))).await;
        tried += 1;
    }
}

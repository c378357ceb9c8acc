//! Fetching mount content (worker.md §9.2): inline text and base64, URLs, queue artifacts and
//! indexed artifacts, with the download cache `<C>/downloads/<sha256>`.
//!
//! Failures map to the outcome contract (§11.1 rows 6–7): a 4xx answer, an error artifact, a
//! sha256 mismatch or bad base64 → malformed-payload (a rerun would fail the same way);
//! network errors, timeouts and 5xx after every attempt → resource-unavailable.

use std::fs::File;
use std::io::{self, Cursor, Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use reqwest::{StatusCode, Url};
use sha2::{Digest, Sha256};

use super::spec::{Content, decode_base64};
use crate::error::chain;
use crate::outcome::{Reason, TaskError};

/// Fetched content.
#[derive(Debug)]
pub enum Fetched {
    /// Inline content (`raw`, `base64`).
    Bytes(Vec<u8>),
    /// A file in the download cache, named by its sha256; kept for later runs.
    Cached(PathBuf),
    /// A download without a sha256 to key it by; deleted when this is dropped.
    Temporary(tempfile::TempPath),
}

impl Fetched {
    /// The file holding the content, for downloads.
    pub fn path(&self) -> Option<&Path> {
        match self {
            Fetched::Bytes(_) => None,
            Fetched::Cached(p) => Some(p),
            Fetched::Temporary(p) => Some(p),
        }
    }

    /// Reads the content from the start.
    pub fn reader(&self) -> io::Result<Box<dyn Read + '_>> {
        match self {
            Fetched::Bytes(b) => Ok(Box::new(Cursor::new(b.as_slice()))),
            Fetched::Cached(p) => Ok(Box::new(io::BufReader::new(File::open(p)?))),
            Fetched::Temporary(p) => Ok(Box::new(io::BufReader::new(File::open(p)?))),
        }
    }
}

/// Timeouts and retries of downloads.
#[derive(Debug, Clone)]
pub struct FetchOptions {
    pub connect_timeout: Duration,
    /// The longest wait for the next bytes of an answer.
    pub read_timeout: Duration,
    /// The pauses before the second, third, … attempt: `len() + 1` attempts in all.
    pub retry_delays: Vec<Duration>,
}

impl Default for FetchOptions {
    /// Three attempts, retried after 1 s and 2 s.
    fn default() -> Self {
        FetchOptions {
            connect_timeout: Duration::from_secs(30),
            read_timeout: Duration::from_secs(60),
            retry_delays: vec![Duration::from_secs(1), Duration::from_secs(2)],
        }
    }
}

/// Fetches mount content; one per run, so that its HTTP connections are reused.
#[derive(Debug, Clone)]
pub struct Fetcher {
    client: reqwest::Client,
    downloads: PathBuf,
    root_url: String,
    options: FetchOptions,
}

/// How one attempt failed.
/// Runs `$once` (a future expression) up to `retry_delays.len() + 1` times while it fails
/// transiently. A macro rather than a function taking a closure, so the futures stay `Send`.
macro_rules! retrying {
    ($self:ident, $what:expr, $once:expr) => {{
        let mut last = None;
        let mut result = None;
        for attempt in 0..$self.options.retry_delays.len() + 1 {
            if attempt > 0 {
                tokio::time::sleep($self.options.retry_delays[attempt - 1]).await;
            }
            match $once.await {
                Ok(v) => {
                    result = Some(Ok(v));
                    break;
                }
                Err(Failure::Final(e)) => {
                    result = Some(Err(e));
                    break;
                }
                Err(Failure::Transient(why)) => last = Some(why),
            }
        }
        result.unwrap_or_else(|| Err($self.gave_up($what, last.as_ref())))
    }};
}

enum Failure {
    /// Retrying would not help.
    Final(TaskError),
    /// Network error, timeout, 5xx: worth another attempt.
    Transient(Transient),
}

/// A failure another attempt may not meet.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
enum Transient {
    /// `timed out`, `cannot connect` or `network error`.
    #[error("{kind}")]
    #[diagnostic(code(tc::run::fetch::network))]
    Network {
        kind: &'static str,
        #[source]
        source: reqwest::Error,
    },
    #[error("HTTP {status} from {url}")]
    #[diagnostic(code(tc::run::fetch::status))]
    Status { status: StatusCode, url: Url },
}

fn network(e: reqwest::Error) -> Failure {
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "cannot connect"
    } else {
        "network error"
    };
    Failure::Transient(Transient::Network { kind, source: e })
}

fn internal(what: String) -> impl FnOnce(io::Error) -> Failure {
    move |e| Failure::Final(TaskError::internal(format!("{what}: {e}")))
}

/// A non-success answer.
fn refused(status: StatusCode, body: &[u8], url: &Url, what: &str) -> Failure {
    if status.is_server_error()
        || status == StatusCode::TOO_MANY_REQUESTS
        || status == StatusCode::REQUEST_TIMEOUT
    {
        return Failure::Transient(Transient::Status {
            status,
            url: url.clone(),
        });
    }
    let message = match status.as_u16() {
        404 => {
            format!("{what} does not exist (HTTP {status} from {url}); check the payload's content")
        }
        410 => format!("{what} has expired (HTTP {status} from {url})"),
        // The queue answers an error artifact with 424 and `{reason, message}`.
        424 => {
            let v: serde_json::Value = serde_json::from_slice(body).unwrap_or_default();
            let field = |k: &str| v.get(k).and_then(|x| x.as_str()).unwrap_or("?").to_owned();
            format!(
                "{what} is an error artifact ({}: {}), so it has no content",
                field("reason"),
                field("message")
            )
        }
        _ => format!("cannot fetch {what}: HTTP {status} from {url}"),
    };
    Failure::Final(TaskError::malformed(message))
}

impl Fetcher {
    /// A fetcher with the default timeouts and retries. `downloads` is `<C>/downloads/`
    /// (created when first needed); `root_url` is the TaskCluster root URL for artifact and
    /// indexed content (may be empty when the payload has none).
    pub fn new(downloads: &Path, root_url: &str) -> Result<Fetcher, TaskError> {
        Fetcher::with_options(downloads, root_url, FetchOptions::default())
    }

    pub fn with_options(
        downloads: &Path,
        root_url: &str,
        options: FetchOptions,
    ) -> Result<Fetcher, TaskError> {
        let client = reqwest::Client::builder()
            .user_agent(concat!("tc/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(options.connect_timeout)
            .read_timeout(options.read_timeout)
            .build()
            .map_err(|e| TaskError::internal(format!("cannot set up HTTP: {}", chain(&e))))?;
        Ok(Fetcher {
            client,
            downloads: downloads.to_owned(),
            root_url: root_url.trim_end_matches('/').to_owned(),
            options,
        })
    }

    /// Fetches `content`.
    pub async fn fetch(&self, content: &Content) -> Result<Fetched, TaskError> {
        let what = content.describe();
        match content {
            Content::Raw(text) => Ok(Fetched::Bytes(text.as_bytes().to_vec())),
            Content::Base64(text) => decode_base64(text)
                .map(Fetched::Bytes)
                .map_err(|why| TaskError::malformed(format!("base64 content {why}"))),
            Content::Url { url, sha256 } => {
                let url = Url::parse(url)
                    .map_err(|e| TaskError::malformed(format!("`{url}` is not a URL ({e})")))?;
                self.download(&url, &what, sha256.as_deref()).await
            }
            Content::Artifact {
                task_id,
                artifact,
                sha256,
            } => {
                let url = self.artifact_url(task_id, artifact, &what)?;
                self.download(&url, &what, sha256.as_deref()).await
            }
            Content::Indexed {
                namespace,
                artifact,
            } => {
                let task_id = self.index_lookup(namespace, &what).await?;
                let what =
                    format!("artifact `{artifact}` of task {task_id} (indexed at `{namespace}`)");
                let url = self.artifact_url(&task_id, artifact, &what)?;
                self.download(&url, &what, None).await
            }
        }
    }

    /// `<root>/api/<service>/v1/<segments…>`, each segment percent-encoded (a `/` in an
    /// artifact name becomes `%2F`, as the official clients send it).
    fn api_url(&self, service: &str, segments: &[&str], what: &str) -> Result<Url, TaskError> {
        if self.root_url.is_empty() {
            return Err(TaskError::malformed(format!(
                "{what} comes from a TaskCluster deployment, but no root URL is set; set TASKCLUSTER_ROOT_URL"
            )));
        }
        let bad = |why: String| {
            TaskError::malformed(format!(
                "the TaskCluster root URL `{}` is not usable ({why}); fix TASKCLUSTER_ROOT_URL",
                self.root_url
            ))
        };
        let mut url = Url::parse(&self.root_url).map_err(|e| bad(e.to_string()))?;
        url.path_segments_mut()
            .map_err(|()| bad("it cannot hold a path".into()))?
            .pop_if_empty()
            .extend(["api", service, "v1"])
            .extend(segments);
        Ok(url)
    }

    /// The latest run's artifact (the queue redirects to the storage, without credentials).
    fn artifact_url(&self, task_id: &str, artifact: &str, what: &str) -> Result<Url, TaskError> {
        self.api_url("queue", &["task", task_id, "artifacts", artifact], what)
    }

    /// The taskId the index holds at `namespace`.
    pub async fn index_lookup(&self, namespace: &str, what: &str) -> Result<String, TaskError> {
        let url = self.api_url("index", &["task", namespace], what)?;
        let entry = format!("the index entry `{namespace}`");
        retrying!(self, &entry, self.index_once(&url, &entry))
    }

    async fn index_once(&self, url: &Url, entry: &str) -> Result<String, Failure> {
        let resp = self.client.get(url.clone()).send().await.map_err(network)?;
        let status = resp.status();
        let body = resp.bytes().await.map_err(network)?;
        if !status.is_success() {
            return Err(refused(status, &body, url, entry));
        }
        serde_json::from_slice::<serde_json::Value>(&body)
            .ok()
            .and_then(|v| v.get("taskId")?.as_str().map(str::to_owned))
            .ok_or_else(|| {
                Failure::Final(TaskError::new(
                    Reason::ResourceUnavailable,
                    format!("the index at {url} answered without a taskId"),
                ))
            })
    }

    /// The error after every attempt failed transiently.
    fn gave_up(&self, what: &str, last: Option<&Transient>) -> TaskError {
        let last = last.map(|e| chain(e)).unwrap_or_default();
        let attempts = self.options.retry_delays.len() + 1;
        let tries = if attempts == 1 {
            "1 attempt".to_owned()
        } else {
            format!("{attempts} attempts")
        };
        TaskError::new(
            Reason::ResourceUnavailable,
            format!(
                "cannot fetch {what} after {tries}: {last}; check the network and the server, then run the task again"
            ),
        )
    }

    /// Downloads `url`, from the cache when `sha256` names a file there.
    async fn download(
        &self,
        url: &Url,
        what: &str,
        sha256: Option<&str>,
    ) -> Result<Fetched, TaskError> {
        if let Some(want) = sha256
            && let Some(hit) = self.cached(want).await
        {
            return Ok(Fetched::Cached(hit));
        }
        std::fs::create_dir_all(&self.downloads).map_err(|e| {
            TaskError::internal(format!(
                "cannot create the download cache {}: {e}",
                self.downloads.display()
            ))
        })?;
        retrying!(self, what, self.download_once(url, what, sha256))
    }

    /// A cached download whose bytes still hash to `sha256`; a damaged one is removed.
    async fn cached(&self, sha256: &str) -> Option<PathBuf> {
        let path = self.downloads.join(sha256);
        if !path.is_file() {
            return None;
        }
        let hashed = path.clone();
        let got = tokio::task::spawn_blocking(move || -> io::Result<String> {
            let mut hasher = Sha256::new();
            io::copy(&mut File::open(&hashed)?, &mut hasher)?;
            Ok(hex::encode(hasher.finalize()))
        })
        .await
        .ok()?
        .ok()?;
        if got == sha256 {
            Some(path)
        } else {
            let _ = std::fs::remove_file(&path);
            None
        }
    }

    async fn download_once(
        &self,
        url: &Url,
        what: &str,
        sha256: Option<&str>,
    ) -> Result<Fetched, Failure> {
        let mut resp = self.client.get(url.clone()).send().await.map_err(network)?;
        let status = resp.status();
        if !status.is_success() {
            let answered = resp.url().clone();
            let body = resp.bytes().await.unwrap_or_default();
            return Err(refused(status, &body, &answered, what));
        }
        let tmp = tempfile::Builder::new()
            .prefix(".download-")
            .tempfile_in(&self.downloads)
            .map_err(internal(format!(
                "cannot create a file in the download cache {}",
                self.downloads.display()
            )))?;
        let mut hasher = Sha256::new();
        let mut file = tmp.as_file();
        while let Some(chunk) = resp.chunk().await.map_err(network)? {
            hasher.update(&chunk);
            // Small synchronous writes: the page cache absorbs them.
            file.write_all(&chunk)
                .map_err(internal(format!("cannot write {}", tmp.path().display())))?;
        }
        let got = hex::encode(hasher.finalize());
        match sha256 {
            Some(want) if want != got => Err(Failure::Final(TaskError::malformed(format!(
                "sha256 mismatch for {what}: the payload expects {want}, the download from {url} has {got}; fix `sha256` in the payload or the content at its source"
            )))),
            Some(want) => {
                let dest = self.downloads.join(want);
                tmp.persist(&dest).map_err(|e| {
                    Failure::Final(TaskError::internal(format!(
                        "cannot store {} in the download cache: {}",
                        dest.display(),
                        e.error
                    )))
                })?;
                Ok(Fetched::Cached(dest))
            }
            None => Ok(Fetched::Temporary(tmp.into_temp_path())),
        }
    }
}

/// Fetches `content` with a one-off [`Fetcher`]: `downloads` is `<C>/downloads/`, `root_url`
/// the TaskCluster root URL for artifact and indexed content.
pub async fn fetch(
    content: &Content,
    downloads: &Path,
    root_url: &str,
) -> Result<Fetched, TaskError> {
    Fetcher::new(downloads, root_url)?.fetch(content).await
}

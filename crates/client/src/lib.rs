//! tc's HTTP client for a TaskCluster queue (queue-api.md §8.1): the root URL and credentials
//! from TaskCluster's environment (or the local queue's credentials.json), Hawk signatures over
//! the exact path, query and body sent, retries of network errors and 5xx only, and redirects
//! never followed with credentials.

use std::path::PathBuf;
use std::time::Duration;

use base64::Engine;
use serde_json::Value;
use tc_api::encode;

mod tasks;
pub use tasks::resolved;

pub const DEFAULT_ROOT_URL: &str = "http://127.0.0.1:8080";

/// TaskCluster credentials.
#[derive(Clone)]
pub struct Credentials {
    pub client_id: String,
    access_token: String,
    certificate: Option<String>,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the token.
        write!(f, "Credentials({})", self.client_id)
    }
}

impl Credentials {
    pub fn new(client_id: &str, access_token: &str, certificate: Option<String>) -> Credentials {
        Credentials {
            client_id: client_id.to_owned(),
            access_token: access_token.to_owned(),
            certificate,
        }
    }

    /// The credentials in tc's environment; a client id without a token is a usage error.
    pub fn from_env() -> Result<Option<Credentials>, String> {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        match (var("TASKCLUSTER_CLIENT_ID"), var("TASKCLUSTER_ACCESS_TOKEN")) {
            (Some(client_id), Some(access_token)) => Ok(Some(Credentials {
                client_id,
                access_token,
                certificate: var("TASKCLUSTER_CERTIFICATE"),
            })),
            (Some(_), None) => Err("TASKCLUSTER_CLIENT_ID is set without TASKCLUSTER_ACCESS_TOKEN: set both, or neither for anonymous requests".into()),
            _ => Ok(None),
        }
    }

    /// The root client of the local `tc queue serve` when `root_url` is the one its
    /// credentials.json names.
    fn local(root_url: &str) -> Option<Credentials> {
        let dir = std::env::var_os("TC_QUEUE_STATE_DIR")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
            .or_else(|| {
                std::env::var_os("XDG_STATE_HOME")
                    .filter(|v| !v.is_empty())
                    .map(PathBuf::from)
                    .or_else(|| dirs::home_dir().map(|h| h.join(".local/state")))
                    .map(|d| d.join("tc/queue"))
            })?;
        let text = std::fs::read_to_string(dir.join("credentials.json")).ok()?;
        let v: Value = serde_json::from_str(&text).ok()?;
        let s = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_owned);
        (s("rootUrl")?.trim_end_matches('/') == root_url).then(|| Credentials {
            client_id: s("clientId").unwrap_or_default(),
            access_token: s("accessToken").unwrap_or_default(),
            certificate: None,
        })
    }

    /// The `Authorization` header for `method` on `url` (path and query exactly as sent), with
    /// the payload hash of `body` sent as `application/json`.
    fn header(
        &self,
        method: &str,
        url: &reqwest::Url,
        body: Option<&[u8]>,
    ) -> Result<String, String> {
        let key = hawk::Key::new(self.access_token.as_bytes(), hawk::DigestAlgorithm::Sha256)
            .map_err(|e| format!("unusable access token: {e}"))?;
        let creds = hawk::Credentials {
            id: self.client_id.clone(),
            key,
        };
        let host = url.host_str().unwrap_or_default();
        let port = url.port_or_known_default().unwrap_or(80);
        let path = match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_owned(),
        };
        // A certificate travels in `ext` as base64 of `{"certificate": <object>}`.
        let ext = match &self.certificate {
            Some(cert) => {
                let cert: Value = serde_json::from_str(cert)
                    .map_err(|e| format!("TASKCLUSTER_CERTIFICATE is not JSON: {e}"))?;
                Some(
                    base64::engine::general_purpose::STANDARD
                        .encode(serde_json::json!({ "certificate": cert }).to_string()),
                )
            }
            None => None,
        };
        let hash = match body {
            Some(b) => Some(
                hawk::PayloadHasher::hash("application/json", hawk::DigestAlgorithm::Sha256, b)
                    .map_err(|e| format!("cannot hash the body: {e}"))?,
            ),
            None => None,
        };
        let request = hawk::RequestBuilder::new(method, host, port, &path)
            .ext(ext.as_deref())
            .hash(hash.as_deref())
            .request();
        let header = request
            .make_header(&creds)
            .map_err(|e| format!("cannot sign the request: {e}"))?;
        Ok(format!("Hawk {header}"))
    }
}

/// Why a call failed, with the exit status it means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QueueError {
    /// 404: the thing asked for does not exist.
    NotFound(String),
    /// Network errors, timeouts, 5xx after the retries (exit 3).
    Unavailable(String),
    /// Another answer of the queue (exit 1): its code, first paragraph and missing scopes.
    Refused(String),
    /// The request could not be made (bad root URL, credentials): exit 2.
    Usage(String),
}

impl std::fmt::Display for QueueError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            QueueError::NotFound(m)
            | QueueError::Unavailable(m)
            | QueueError::Refused(m)
            | QueueError::Usage(m) => f.write_str(m),
        }
    }
}

/// How often a call is tried, and the pause before each retry.
#[derive(Debug, Clone, Copy)]
pub enum Retries {
    /// §8.1: five retries, exponential from 100 ms with jitter.
    Api,
    /// worker.md §2.6: three attempts, retries after 1 s and 2 s.
    TaskFetch,
}

impl Retries {
    fn pause(self, retry: u32) -> Option<Duration> {
        match self {
            Retries::Api if retry <= 5 => {
                let base = 100u64 << (retry - 1);
                let jitter = u64::from(uuid::Uuid::new_v4().as_bytes()[0]) * base / 512;
                Some(Duration::from_millis(base + jitter))
            }
            Retries::TaskFetch if retry <= 2 => Some(Duration::from_secs(u64::from(retry))),
            _ => None,
        }
    }
}

/// A queue's answer.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub body: Value,
    pub location: Option<String>,
    /// Whether the request went without credentials (so a 403 can say why).
    pub anonymous: bool,
}

/// A client of one queue.
#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    /// The root URL without a trailing `/`.
    pub root_url: String,
    creds: Option<Credentials>,
    retries: Retries,
}

impl Client {
    /// A client for `root_url` with explicit credentials.
    pub fn new(root_url: &str, creds: Option<Credentials>) -> Result<Client, QueueError> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(90))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| QueueError::Usage(e.to_string()))?;
        Ok(Client {
            http,
            root_url: root_url.trim_end_matches('/').to_owned(),
            creds,
            retries: Retries::Api,
        })
    }

    /// `--root-url`, else `TASKCLUSTER_ROOT_URL`, else the local default; credentials from the
    /// environment, else the local queue's credentials.json when it serves that root URL.
    pub fn from_env(root_url: Option<&str>) -> Result<Client, QueueError> {
        let root = root_url
            .map(str::to_owned)
            .or_else(|| {
                std::env::var("TASKCLUSTER_ROOT_URL")
                    .ok()
                    .filter(|v| !v.is_empty())
            })
            .unwrap_or_else(|| DEFAULT_ROOT_URL.to_owned());
        let root = root.trim_end_matches('/').to_owned();
        let creds = match Credentials::from_env().map_err(QueueError::Usage)? {
            Some(c) => Some(c),
            None => Credentials::local(&root),
        };
        Client::new(&root, creds)
    }

    /// The same client (and connection pool) calling with other credentials, e.g. a claim's.
    pub fn with_credentials(&self, creds: Option<Credentials>) -> Client {
        Client {
            creds,
            ..self.clone()
        }
    }

    pub fn with_retries(mut self, retries: Retries) -> Client {
        self.retries = retries;
        self
    }

    /// The deployment this client calls, without a trailing slash.
    pub fn root_url(&self) -> &str {
        &self.root_url
    }

    pub fn client_id(&self) -> Option<&str> {
        self.creds.as_ref().map(|c| c.client_id.as_str())
    }

    /// `METHOD <root>/api/queue/v1/<route>[?query]` with a JSON body; 4xx answers are returned,
    /// network errors and 5xx are retried.
    pub async fn call(
        &self,
        method: &str,
        route: &str,
        body: Option<&Value>,
    ) -> Result<Answer, QueueError> {
        // String concatenation, never URL resolution: a root URL may hold a path.
        let text = format!("{}/api/queue/v1/{route}", self.root_url);
        let url = reqwest::Url::parse(&text).map_err(|e| {
            QueueError::Usage(format!(
                "the root URL `{}` is not usable ({e})",
                self.root_url
            ))
        })?;
        let bytes = body.map(|b| b.to_string().into_bytes());
        let verb = reqwest::Method::from_bytes(method.as_bytes())
            .map_err(|e| QueueError::Usage(e.to_string()))?;
        let mut last = String::new();
        let mut retry = 0;
        loop {
            if retry > 0 {
                match self.retries.pause(retry) {
                    Some(p) => tokio::time::sleep(p).await,
                    None => break,
                }
            }
            retry += 1;
            let mut req = self.http.request(verb.clone(), url.clone());
            if let Some(creds) = &self.creds {
                let header = creds
                    .header(method, &url, bytes.as_deref())
                    .map_err(QueueError::Usage)?;
                req = req.header("Authorization", header);
            }
            if let Some(b) = &bytes {
                req = req
                    .header("Content-Type", "application/json")
                    .body(b.clone());
            }
            match req.send().await {
                Err(e) => last = format!("{e}"),
                Ok(resp) if resp.status().is_server_error() => {
                    let status = resp.status();
                    let body = resp.text().await.unwrap_or_default();
                    last = format!("{status}: {}", first_paragraph(&body));
                }
                Ok(resp) => {
                    let status = resp.status().as_u16();
                    let location = resp
                        .headers()
                        .get("location")
                        .and_then(|v| v.to_str().ok())
                        .map(str::to_owned);
                    let raw = resp
                        .bytes()
                        .await
                        .map_err(|e| QueueError::Unavailable(format!("{url}: {e}")))?;
                    let body = if raw.is_empty() {
                        Value::Null
                    } else {
                        serde_json::from_slice(&raw).unwrap_or_else(|_| {
                            Value::String(String::from_utf8_lossy(&raw).into_owned())
                        })
                    };
                    return Ok(Answer {
                        status,
                        body,
                        location,
                        anonymous: self.creds.is_none(),
                    });
                }
            }
        }
        if self.root_url == DEFAULT_ROOT_URL {
            return Err(QueueError::Unavailable(format!(
                "no queue is answering at {DEFAULT_ROOT_URL} — start one with 'tc queue serve', or set TASKCLUSTER_ROOT_URL to a TaskCluster deployment ({last})"
            )));
        }
        Err(QueueError::Unavailable(format!(
            "no answer from the queue at {} after the retries ({last}); check the network and --root-url",
            self.root_url
        )))
    }

    /// Like `call`, but only a 2xx (or 303) answer is a success; other answers become errors
    /// that name the code, the first paragraph and, for 403, the missing scopes.
    pub async fn ok(
        &self,
        method: &str,
        route: &str,
        body: Option<&Value>,
    ) -> Result<Answer, QueueError> {
        let a = self.call(method, route, body).await?;
        if (200..300).contains(&a.status) || a.status == 303 {
            return Ok(a);
        }
        Err(api_error(&a))
    }
}

impl Client {
    /// Every item of a paged list (`GET route`, the items under `field`), following
    /// `continuationToken` until the queue gives none.
    pub async fn list_all(&self, route: &str, field: &str) -> Result<Vec<Value>, QueueError> {
        let mut all = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let query = match &token {
                Some(t) => format!("?continuationToken={}", encode(t)),
                None => String::new(),
            };
            let page = self.ok("GET", &format!("{route}{query}"), None).await?.body;
            all.extend(page[field].as_array().cloned().unwrap_or_default());
            token = page["continuationToken"].as_str().map(str::to_owned);
            if token.is_none() {
                return Ok(all);
            }
        }
    }
}

/// Why an anonymous request may be refused, and what to do.
const NO_CREDENTIALS_HINT: &str = "hint: the request carried no credentials: set TASKCLUSTER_CLIENT_ID and TASKCLUSTER_ACCESS_TOKEN (for a local `tc queue serve`, `eval \"$(tc queue serve --print-env)\"` with its --state-dir; its credentials.json is used only when TASKCLUSTER_ROOT_URL is the rootUrl it names)";

/// The first paragraph of an error message (before upstream's `---` block).
fn first_paragraph(text: &str) -> String {
    text.split("\n\n").next().unwrap_or_default().to_owned()
}

/// An error answer as the CLI shows it.
pub fn api_error(a: &Answer) -> QueueError {
    let code = a.body.get("code").and_then(Value::as_str).unwrap_or("");
    let message = a
        .body
        .get("message")
        .and_then(Value::as_str)
        .map_or_else(|| a.body.to_string(), first_paragraph);
    let mut text = if code.is_empty() {
        format!("the queue answered {}: {message}", a.status)
    } else {
        format!("{code}: {message}")
    };
    if let Some(u) = a.body.pointer("/details/unsatisfied") {
        text.push_str(&format!("\nmissing scopes: {u}"));
    } else if let Some(r) = a.body.pointer("/details/required") {
        text.push_str(&format!("\nrequired scopes: {r}"));
    }
    if a.status == 403 && a.anonymous {
        text.push_str(&format!("\n{NO_CREDENTIALS_HINT}"));
    }
    if a.status == 404 {
        QueueError::NotFound(text)
    } else {
        QueueError::Refused(text)
    }
}

/// `GET <root>/api/queue/v1/task/<taskId>` for `tc run-local --task-id` (worker.md §2.6).
pub async fn task_definition(root_url: &str, task_id: &str) -> Result<Value, QueueError> {
    let creds = Credentials::from_env().map_err(QueueError::Usage)?;
    let client = Client::new(root_url, creds)?.with_retries(Retries::TaskFetch);
    let a = client
        .call("GET", &format!("task/{}", encode(task_id)), None)
        .await?;
    match a.status {
        200 => Ok(a.body),
        404 => Err(QueueError::NotFound(format!(
            "task {task_id} does not exist at {}; check the taskId and --root-url",
            client.root_url
        ))),
        _ => Err(api_error(&a)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signs_path_query_and_body() {
        let creds = Credentials::new("tester", "secret", None);
        let url = reqwest::Url::parse("http://127.0.0.1:8080/api/queue/v1/task/x?limit=2").unwrap();
        let header = creds.header("GET", &url, None).unwrap();
        assert!(header.starts_with("Hawk id=\"tester\""), "{header}");
        assert!(!header.contains("secret"));
        let with_body = creds.header("PUT", &url, Some(b"{}")).unwrap();
        assert!(with_body.contains("hash=\""), "{with_body}");
    }

    #[test]
    fn api_retries_back_off_five_times() {
        let pauses: Vec<Duration> = (1..=6).filter_map(|r| Retries::Api.pause(r)).collect();
        assert_eq!(pauses.len(), 5);
        assert!(pauses[0] >= Duration::from_millis(100) && pauses[0] < Duration::from_millis(200));
        assert!(pauses[4] >= Duration::from_millis(1600));
        assert_eq!(Retries::TaskFetch.pause(1), Some(Duration::from_secs(1)));
        assert_eq!(Retries::TaskFetch.pause(3), None);
    }
}

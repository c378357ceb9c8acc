//! tc's HTTP client for a TaskCluster queue (queue-api.md §8.1): the root URL and credentials
//! from TaskCluster's environment (or the local queue's credentials.json), Hawk signatures over
//! the exact path, query and body sent, retries of network errors and 5xx only, and redirects
//! never followed with credentials.

mod error;

use std::path::PathBuf;
use std::time::Duration;

use base64::Engine;
use serde_json::Value;
use tc_api::encode;

mod tasks;
pub use error::{
    Failure, InvalidMethod, NotFound, QueueError, Refusal, Scopes, Unavailable, UrlParseError,
    UsageError,
};
pub use tasks::{TaskCallError, resolved};

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
    pub fn from_env() -> Result<Option<Credentials>, UsageError> {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        match (
            var("TASKCLUSTER_CLIENT_ID"),
            var("TASKCLUSTER_ACCESS_TOKEN"),
        ) {
            (Some(client_id), Some(access_token)) => Ok(Some(Credentials {
                client_id,
                access_token,
                certificate: var("TASKCLUSTER_CERTIFICATE"),
            })),
            (Some(_), None) => Err(UsageError::TokenMissing),
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
    ) -> Result<String, UsageError> {
        let key = hawk::Key::new(self.access_token.as_bytes(), hawk::DigestAlgorithm::Sha256)
            .map_err(UsageError::AccessToken)?;
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
                let cert: Value = serde_json::from_str(cert).map_err(UsageError::Certificate)?;
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
                    .map_err(UsageError::Hash)?,
            ),
            None => None,
        };
        let request = hawk::RequestBuilder::new(method, host, port, &path)
            .ext(ext.as_deref())
            .hash(hash.as_deref())
            .request();
        let header = request.make_header(&creds).map_err(UsageError::Sign)?;
        Ok(format!("Hawk {header}"))
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
    /// The request's method and URL path (without the query), for error messages.
    pub method: String,
    pub path: String,
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
            .map_err(UsageError::HttpClient)?;
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
        let creds = match Credentials::from_env()? {
            Some(c) => Some(c),
            None => Credentials::local(&root),
        };
        Client::new(&root, creds)
    }

    /// The same client (and connection pool) calling with other credentials, e.g. a claim's.
    #[must_use]
    pub fn with_credentials(&self, creds: Option<Credentials>) -> Client {
        Client {
            creds,
            ..self.clone()
        }
    }

    #[must_use]
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
        let url = reqwest::Url::parse(&text).map_err(|source| UsageError::RootUrl {
            root_url: self.root_url.clone(),
            source,
        })?;
        let bytes = body.map(|b| b.to_string().into_bytes());
        let verb = reqwest::Method::from_bytes(method.as_bytes()).map_err(|source| {
            UsageError::Method {
                method: method.to_owned(),
                source,
            }
        })?;
        let mut retry = 0;
        let last = loop {
            let failure = match self.try_once(&verb, &url, bytes.as_deref()).await? {
                Ok(answer) => return Ok(answer),
                Err(failure) => failure,
            };
            retry += 1;
            match self.retries.pause(retry) {
                Some(p) => tokio::time::sleep(p).await,
                None => break failure,
            }
        };
        Err(Unavailable::NoAnswer {
            root_url: self.root_url.clone(),
            method: method.to_owned(),
            path: url.path().to_owned(),
            last,
        }
        .into())
    }

    /// One try of a call: the answer, or the failure that a retry may overcome (no answer, or
    /// a 5xx).
    async fn try_once(
        &self,
        verb: &reqwest::Method,
        url: &reqwest::Url,
        bytes: Option<&[u8]>,
    ) -> Result<Result<Answer, Failure>, QueueError> {
        let mut req = self.http.request(verb.clone(), url.clone());
        if let Some(creds) = &self.creds {
            req = req.header("Authorization", creds.header(verb.as_str(), url, bytes)?);
        }
        if let Some(b) = bytes {
            req = req
                .header("Content-Type", "application/json")
                .body(b.to_vec());
        }
        let resp = match req.send().await {
            Err(e) => return Ok(Err(Failure::Transport(e))),
            Ok(resp) => resp,
        };
        let status = resp.status();
        if status.is_server_error() {
            let body = resp.text().await.unwrap_or_default();
            let message = first_paragraph(&body);
            return Ok(Err(Failure::Server { status, message }));
        }
        let location = resp
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let raw = resp
            .bytes()
            .await
            .map_err(|source| Unavailable::Unreadable {
                url: url.to_string(),
                source,
            })?;
        let body = if raw.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&raw)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&raw).into_owned()))
        };
        Ok(Ok(Answer {
            method: verb.to_string(),
            path: url.path().to_owned(),
            status: status.as_u16(),
            body,
            location,
            anonymous: self.creds.is_none(),
        }))
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

/// The first paragraph of an error message (before upstream's `---` block).
fn first_paragraph(text: &str) -> String {
    text.split("\n\n").next().unwrap_or_default().to_owned()
}

/// An error answer as the CLI shows it: 404 is [`QueueError::NotFound`], anything else
/// [`QueueError::Refused`].
pub fn api_error(a: &Answer) -> QueueError {
    refusal(a).into()
}

/// What an error answer says: its code, the first paragraph of its message, the scopes of a 403.
pub fn refusal(a: &Answer) -> Refusal {
    let code = a
        .body
        .get("code")
        .and_then(Value::as_str)
        .filter(|c| !c.is_empty());
    let message = a
        .body
        .get("message")
        .and_then(Value::as_str)
        .map_or_else(|| a.body.to_string(), first_paragraph);
    let scopes = match (
        a.body.pointer("/details/unsatisfied"),
        a.body.pointer("/details/required"),
    ) {
        (Some(u), _) => Some(Scopes::Missing(u.clone())),
        (None, Some(r)) => Some(Scopes::Required(r.clone())),
        (None, None) => None,
    };
    Refusal {
        method: a.method.clone(),
        path: a.path.clone(),
        status: a.status,
        code: code.map(str::to_owned),
        message,
        scopes,
        anonymous: a.anonymous,
    }
}

/// `GET <root>/api/queue/v1/task/<taskId>` for `tc run-local --task-id` (worker.md §2.6).
pub async fn task_definition(root_url: &str, task_id: &str) -> Result<Value, QueueError> {
    let creds = Credentials::from_env()?;
    let client = Client::new(root_url, creds)?.with_retries(Retries::TaskFetch);
    let a = client
        .call("GET", &format!("task/{}", encode(task_id)), None)
        .await?;
    match a.status {
        200 => Ok(a.body),
        404 => Err(NotFound::Task {
            task_id: task_id.to_owned(),
            root_url: client.root_url.clone(),
        }
        .into()),
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

    fn answer(status: u16, body: Value, anonymous: bool) -> Answer {
        Answer {
            method: "GET".into(),
            path: "/api/queue/v1/task/x/status".into(),
            status,
            body,
            location: None,
            anonymous,
        }
    }

    #[test]
    fn an_error_answer_reads_as_the_queue_put_it() {
        let not_found = api_error(&answer(
            404,
            serde_json::json!({"code": "ResourceNotFound", "message": "task `x` not found\n\n---\n\n* method: status"}),
            false,
        ));
        assert!(matches!(
            not_found,
            QueueError::NotFound(NotFound::Answer(_))
        ));
        assert_eq!(
            not_found.to_string(),
            "ResourceNotFound: task `x` not found"
        );
        let r = not_found.refusal().unwrap();
        assert_eq!(
            (r.method.as_str(), r.path.as_str(), r.status),
            ("GET", "/api/queue/v1/task/x/status", 404)
        );
        assert_eq!(r.code.as_deref(), Some("ResourceNotFound"));

        let forbidden = api_error(&answer(
            403,
            serde_json::json!({"code": "InsufficientScopes", "message": "no", "details": {"required": "a", "unsatisfied": "b"}}),
            false,
        ));
        assert!(matches!(forbidden, QueueError::Refused(_)));
        assert_eq!(
            forbidden.to_string(),
            "InsufficientScopes: no\nmissing scopes: \"b\""
        );
        let code = miette::Diagnostic::code(&forbidden).unwrap().to_string();
        assert_eq!(code, "tc::queue::insufficient_scopes");

        let anonymous = api_error(&answer(
            403,
            serde_json::json!({"code": "InsufficientScopes", "message": "no", "details": {"required": "a"}}),
            true,
        ));
        let text = anonymous.to_string();
        assert!(text.starts_with("InsufficientScopes: no\nrequired scopes: \"a\"\nhint: the request carried no credentials"), "{text}");

        let bare = api_error(&answer(409, Value::String("conflict".into()), false));
        assert_eq!(bare.to_string(), "the queue answered 409: \"conflict\"");
    }

    #[test]
    fn no_answer_says_how_to_start_a_queue_or_check_the_network() {
        let failure = || Failure::Server {
            status: reqwest::StatusCode::BAD_GATEWAY,
            message: "upstream down".into(),
        };
        let local = QueueError::from(Unavailable::NoAnswer {
            root_url: DEFAULT_ROOT_URL.into(),
            method: "GET".into(),
            path: "/api/queue/v1/ping".into(),
            last: failure(),
        });
        assert_eq!(
            local.to_string(),
            "no queue is answering at http://127.0.0.1:8080 — start one with 'tc queue serve', or set TASKCLUSTER_ROOT_URL to a TaskCluster deployment (502 Bad Gateway: upstream down)"
        );
        let remote = QueueError::from(Unavailable::NoAnswer {
            root_url: "https://tc.example.com".into(),
            method: "GET".into(),
            path: "/api/queue/v1/ping".into(),
            last: failure(),
        });
        assert_eq!(
            remote.to_string(),
            "no answer from the queue at https://tc.example.com after the retries (502 Bad Gateway: upstream down); check the network and --root-url"
        );
        assert_eq!(
            miette::Diagnostic::code(&remote).unwrap().to_string(),
            "tc::queue::unavailable"
        );
    }

    #[tokio::test]
    async fn an_unusable_root_url_is_a_usage_error() {
        let client = Client::new("http://[::1", None)
            .unwrap()
            .with_retries(Retries::TaskFetch);
        let e = client.call("GET", "ping", None).await.unwrap_err();
        assert!(
            matches!(e, QueueError::Usage(UsageError::RootUrl { .. })),
            "{e:?}"
        );
        assert!(
            e.to_string()
                .starts_with("the root URL `http://[::1` is not usable ("),
            "{e}"
        );
    }
}

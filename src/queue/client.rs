//! tc's HTTP client for the queue (queue-api.md §8.1): TaskCluster's environment variables,
//! Hawk signatures over the exact path and query sent, retries of network errors and 5xx.

use std::time::Duration;

use base64::Engine;
use serde_json::Value;

/// TaskCluster credentials from `TASKCLUSTER_CLIENT_ID`, `TASKCLUSTER_ACCESS_TOKEN` and the
/// optional `TASKCLUSTER_CERTIFICATE`.
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

    /// The `Authorization` header for `method` on `url` (path and query exactly as sent).
    fn header(&self, method: &str, url: &reqwest::Url) -> Result<String, String> {
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
        let request = hawk::RequestBuilder::new(method, host, port, &path)
            .ext(ext.as_deref())
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
    /// 404: the thing asked for does not exist (exit 2).
    NotFound(String),
    /// Network errors, timeouts, 5xx after the retries (exit 3).
    Unavailable(String),
    /// Another answer of the queue (exit 1).
    Refused(String),
    /// The request could not be made (bad root URL, credentials): exit 2.
    Usage(String),
}

/// The pauses before the second and third attempt (worker.md §2.6).
const RETRY_DELAYS: [Duration; 2] = [Duration::from_secs(1), Duration::from_secs(2)];

/// `GET <root>/api/queue/v1/task/<taskId>`: a task's definition.
pub async fn task_definition(root_url: &str, task_id: &str) -> Result<Value, QueueError> {
    let creds = Credentials::from_env().map_err(QueueError::Usage)?;
    let base = root_url.trim_end_matches('/');
    // String concatenation, never URL resolution: a root URL may hold a path.
    let url = reqwest::Url::parse(&format!("{base}/api/queue/v1/task/{}", encode(task_id)))
        .map_err(|e| QueueError::Usage(format!("the root URL `{root_url}` is not usable ({e})")))?;
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| QueueError::Usage(e.to_string()))?;
    let mut last = String::new();
    for attempt in 0..=RETRY_DELAYS.len() {
        if attempt > 0 {
            tokio::time::sleep(RETRY_DELAYS[attempt - 1]).await;
        }
        let mut request = client.get(url.clone());
        if let Some(creds) = &creds {
            request = request.header(
                "Authorization",
                creds.header("GET", &url).map_err(QueueError::Usage)?,
            );
        }
        match request.send().await {
            Err(e) => last = format!("{url}: {e}"),
            Ok(resp) if resp.status().is_server_error() => {
                last = format!("{url} answered {}", resp.status())
            }
            Ok(resp) if resp.status() == reqwest::StatusCode::NOT_FOUND => {
                return Err(QueueError::NotFound(format!(
                    "task {task_id} does not exist at {base}; check the taskId and --root-url"
                )));
            }
            Ok(resp) if !resp.status().is_success() => {
                let status = resp.status();
                let body = resp.text().await.unwrap_or_default();
                let first = body.split("\n\n").next().unwrap_or_default().to_owned();
                return Err(QueueError::Refused(format!(
                    "{url} answered {status}: {first}"
                )));
            }
            Ok(resp) => {
                let body = resp
                    .bytes()
                    .await
                    .map_err(|e| QueueError::Unavailable(format!("{url}: {e}")))?;
                return serde_json::from_slice(&body).map_err(|e| {
                    QueueError::Unavailable(format!(
                        "{url} answered with something that is not JSON: {e}"
                    ))
                });
            }
        }
    }
    Err(QueueError::Unavailable(format!(
        "no answer from the queue after 3 attempts ({last}); check the network and --root-url"
    )))
}

/// Percent-encodes a path parameter, keeping only RFC 3986 unreserved characters.
pub fn encode(param: &str) -> String {
    let mut out = String::with_capacity(param.len());
    for b in param.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_only_unreserved_characters_as_is() {
        assert_eq!(encode("proj-tc/ci"), "proj-tc%2Fci");
        assert_eq!(encode("public/logs/live.log"), "public%2Flogs%2Flive.log");
        assert_eq!(encode("a b+c"), "a%20b%2Bc");
    }

    #[test]
    fn signs_path_and_query() {
        let creds = Credentials {
            client_id: "tester".into(),
            access_token: "secret".into(),
            certificate: None,
        };
        let url = reqwest::Url::parse("http://127.0.0.1:8080/api/queue/v1/task/x?limit=2").unwrap();
        let header = creds.header("GET", &url).unwrap();
        assert!(header.starts_with("Hawk id=\"tester\""), "{header}");
        assert!(!header.contains("secret"));
    }
}

//! Why a call to the queue failed. The four variants of [`QueueError`] are the four outcomes the
//! CLI maps to exit statuses (queue-api.md §8.2); each holds what is known about the failure.

use std::fmt;

use miette::Diagnostic;
use serde_json::Value;

/// What `Url::parse` fails with (named through reqwest, which re-exports `Url` only).
pub type UrlParseError = <reqwest::Url as std::str::FromStr>::Err;
/// What `Method::from_bytes` fails with.
pub type InvalidMethod = <reqwest::Method as std::str::FromStr>::Err;

/// Why a call failed, with the exit status it means.
#[derive(Debug, thiserror::Error, Diagnostic)]
pub enum QueueError {
    /// 404: the thing asked for does not exist.
    #[error(transparent)]
    #[diagnostic(transparent)]
    NotFound(NotFound),
    /// Network errors, timeouts, 5xx after the retries (exit 3).
    #[error(transparent)]
    #[diagnostic(transparent)]
    Unavailable(Unavailable),
    /// Another answer of the queue (exit 1): its code, first paragraph and missing scopes.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Refused(Box<Refusal>),
    /// The request could not be made (bad root URL, credentials): exit 2.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Usage(UsageError),
}

/// What does not exist.
#[derive(Debug, thiserror::Error, Diagnostic)]
pub enum NotFound {
    /// The queue answered 404.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Answer(Box<Refusal>),
    /// The task `tc run-local --task-id` asked for (worker.md §2.6).
    #[error("task {task_id} does not exist at {root_url}; check the taskId and --root-url")]
    #[diagnostic(code(tc::queue::no_such_task))]
    Task { task_id: String, root_url: String },
}

/// No usable answer came.
#[derive(Debug, thiserror::Error, Diagnostic)]
pub enum Unavailable {
    /// Every try failed; `last` is the last failure.
    #[error("{}", no_answer(root_url, last))]
    #[diagnostic(code(tc::queue::unavailable))]
    NoAnswer {
        root_url: String,
        method: String,
        /// The URL path called (without the query).
        path: String,
        #[source]
        last: Failure,
    },
    /// The answer's body could not be read.
    #[error("{url}: {source}")]
    #[diagnostic(code(tc::queue::unreadable_answer))]
    Unreadable {
        url: String,
        #[source]
        source: reqwest::Error,
    },
}

/// One failed try.
#[derive(Debug, thiserror::Error)]
pub enum Failure {
    /// No answer: connection, timeout, TLS...
    #[error("{0}")]
    Transport(#[source] reqwest::Error),
    /// A 5xx answer, with the first paragraph of its body.
    #[error("{status}: {message}")]
    Server {
        status: reqwest::StatusCode,
        message: String,
    },
}

fn no_answer(root_url: &str, last: &Failure) -> String {
    if root_url == crate::DEFAULT_ROOT_URL {
        format!(
            "no queue is answering at {root_url} — start one with 'tc queue serve', or set TASKCLUSTER_ROOT_URL to a TaskCluster deployment ({last})"
        )
    } else {
        format!(
            "no answer from the queue at {root_url} after the retries ({last}); check the network and --root-url"
        )
    }
}

/// Why a request could not be made.
#[derive(Debug, thiserror::Error, Diagnostic)]
pub enum UsageError {
    #[error(
        "TASKCLUSTER_CLIENT_ID is set without TASKCLUSTER_ACCESS_TOKEN: set both, or neither for anonymous requests"
    )]
    #[diagnostic(code(tc::queue::credentials))]
    TokenMissing,
    #[error("unusable access token: {0}")]
    #[diagnostic(
        code(tc::queue::credentials),
        help("TASKCLUSTER_ACCESS_TOKEN must be the client's access token as TaskCluster gave it")
    )]
    AccessToken(#[source] hawk::Error),
    #[error("TASKCLUSTER_CERTIFICATE is not JSON: {0}")]
    #[diagnostic(
        code(tc::queue::credentials),
        help(
            "set TASKCLUSTER_CERTIFICATE to the certificate of temporary credentials, or unset it"
        )
    )]
    Certificate(#[source] serde_json::Error),
    #[error("cannot hash the body: {0}")]
    #[diagnostic(code(tc::queue::signing))]
    Hash(#[source] hawk::Error),
    #[error("cannot sign the request: {0}")]
    #[diagnostic(code(tc::queue::signing))]
    Sign(#[source] hawk::Error),
    #[error("the root URL `{root_url}` is not usable ({source})")]
    #[diagnostic(
        code(tc::queue::root_url),
        help(
            "give the deployment's URL, such as https://tc.example.com, with --root-url or TASKCLUSTER_ROOT_URL"
        )
    )]
    RootUrl {
        root_url: String,
        #[source]
        source: UrlParseError,
    },
    #[error("{source}")]
    #[diagnostic(code(tc::queue::method))]
    Method {
        method: String,
        #[source]
        source: InvalidMethod,
    },
    /// The HTTP client could not be built (no TLS roots, for one).
    #[error("{0}")]
    #[diagnostic(code(tc::queue::http_client))]
    HttpClient(#[source] reqwest::Error),
}

/// An answer of the queue that is not a success: what was asked and what the queue said.
#[derive(Debug, Clone, PartialEq)]
pub struct Refusal {
    pub method: String,
    /// The URL path called (without the query).
    pub path: String,
    pub status: u16,
    /// The error code of the answer (`ResourceNotFound`, `InsufficientScopes`...), if it has one.
    pub code: Option<String>,
    /// The first paragraph of the answer's message (the body as JSON when it has none).
    pub message: String,
    pub scopes: Option<Scopes>,
    /// The request carried no credentials.
    pub anonymous: bool,
}

/// The scopes a 403 names (`details`).
#[derive(Debug, Clone, PartialEq)]
pub enum Scopes {
    /// `details.unsatisfied`: what the client lacks.
    Missing(Value),
    /// `details.required`: what the request needs (an anonymous request has no scopes to lack).
    Required(Value),
}

/// Why an anonymous request may be refused, and what to do.
const NO_CREDENTIALS_HINT: &str = "hint: the request carried no credentials: set TASKCLUSTER_CLIENT_ID and TASKCLUSTER_ACCESS_TOKEN (for a local `tc queue serve`, `eval \"$(tc queue serve --print-env)\"` with its --state-dir; its credentials.json is used only when TASKCLUSTER_ROOT_URL is the rootUrl it names)";

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.code {
            Some(code) => write!(f, "{code}: {}", self.message)?,
            None => write!(f, "the queue answered {}: {}", self.status, self.message)?,
        }
        match &self.scopes {
            Some(Scopes::Missing(u)) => write!(f, "\nmissing scopes: {u}")?,
            Some(Scopes::Required(r)) => write!(f, "\nrequired scopes: {r}")?,
            None => {}
        }
        if self.status == 403 && self.anonymous {
            write!(f, "\n{NO_CREDENTIALS_HINT}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Refusal {}

impl Diagnostic for Refusal {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        let code = match self.status {
            404 => "tc::queue::not_found",
            401 => "tc::queue::authentication_failed",
            403 => "tc::queue::insufficient_scopes",
            _ => "tc::queue::refused",
        };
        Some(Box::new(code))
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        let help = match self.status {
            401 => {
                "check TASKCLUSTER_CLIENT_ID and TASKCLUSTER_ACCESS_TOKEN: the queue does not know this client, or its token"
            }
            // An anonymous request's message already says what to do.
            403 if !self.anonymous => "use a client that has the missing scopes",
            _ => return None,
        };
        Some(Box::new(help))
    }
}

impl From<Refusal> for QueueError {
    /// A 404 is [`QueueError::NotFound`], any other answer [`QueueError::Refused`].
    fn from(r: Refusal) -> Self {
        if r.status == 404 {
            QueueError::NotFound(NotFound::Answer(Box::new(r)))
        } else {
            QueueError::Refused(Box::new(r))
        }
    }
}

impl From<UsageError> for QueueError {
    fn from(e: UsageError) -> Self {
        QueueError::Usage(e)
    }
}

impl From<Unavailable> for QueueError {
    fn from(e: Unavailable) -> Self {
        QueueError::Unavailable(e)
    }
}

impl From<NotFound> for QueueError {
    fn from(e: NotFound) -> Self {
        QueueError::NotFound(e)
    }
}

impl QueueError {
    /// The queue's answer, when the error is one (a 404 or another refusal).
    pub fn refusal(&self) -> Option<&Refusal> {
        match self {
            QueueError::NotFound(NotFound::Answer(r)) | QueueError::Refused(r) => Some(r),
            _ => None,
        }
    }
}

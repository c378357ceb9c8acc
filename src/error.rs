//! The one error type of the command line, with its exit status.

use tc_run::exit_codes;
use tc_try::{ErrorKind, TryError};

#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum Error {
    /// The command line asks for something impossible.
    #[error("{0}")]
    Usage(String),

    /// Bad try syntax; `text` is the try text its span indexes.
    #[error("{error}")]
    Try { error: TryError, text: String },

    /// A problem with the input itself (unreadable file, bad context), with its stable kind.
    #[error("{message}")]
    Input { kind: ErrorKind, message: String },

    /// The queue (or another service) cannot be reached, or failed after the retries.
    #[error("{0}")]
    Unavailable(String),

    /// The queue answered with an error.
    #[error("{0}")]
    Api(String),

    /// A bug or an unexpected failure inside tc.
    #[error("{0}")]
    Internal(String),

    /// A graph that cannot be made: bad input (exit 2) or input tc does not run (exit 3). Its
    /// try-syntax errors become `Try` (see the `From` below).
    #[error(transparent)]
    #[diagnostic(transparent)]
    Graph(tc_graph::GraphError),

    /// A task file that does not parse, shown at its line (exit 2).
    #[error(transparent)]
    #[diagnostic(transparent)]
    Document(#[from] tc_taskdef::document::DocumentError),

    /// Writing the output failed.
    #[error("cannot write the output: {0}")]
    Output(#[from] std::io::Error),
}

impl Error {
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Usage(_) => exit_codes::USAGE,
            Error::Try { .. } | Error::Input { .. } => exit_codes::USAGE,
            Error::Document(_) => exit_codes::USAGE,
            Error::Graph(e) => match e {
                tc_graph::GraphError::Unsupported(_) => exit_codes::EXCEPTION,
                tc_graph::GraphError::Invalid { .. } | tc_graph::GraphError::Try { .. } => {
                    exit_codes::USAGE
                }
            },
            Error::Output(_) => exit_codes::FAILED,
            Error::Internal(_) | Error::Unavailable(_) => exit_codes::EXCEPTION,
            Error::Api(_) => exit_codes::FAILED,
        }
    }

    /// The stable kind, offset and message for JSON output, when the error has one.
    pub fn as_try_json(&self) -> Option<serde_json::Value> {
        let (kind, message, offset) = match self {
            Error::Try { error, .. } => (error.kind, error.message.as_str(), error.offset()),
            Error::Input { kind, message } => (*kind, message.as_str(), None),
            _ => return None,
        };
        Some(serde_json::json!({
            "error": {"kind": kind.as_str(), "message": message, "offset": offset}
        }))
    }
}

/// Try syntax in a graph (`tc graph --try`, the `message` parameter) is reported as any try
/// syntax is (try-syntax.md §9); the rest of a graph's errors as diagnostics.
impl From<tc_graph::GraphError> for Error {
    fn from(e: tc_graph::GraphError) -> Self {
        match e {
            tc_graph::GraphError::Try { error, text } => Error::Try { error, text },
            e => Error::Graph(e),
        }
    }
}

impl From<tc_client::QueueError> for Error {
    fn from(e: tc_client::QueueError) -> Self {
        match e {
            tc_client::QueueError::NotFound(m) | tc_client::QueueError::Refused(m) => Error::Api(m),
            tc_client::QueueError::Unavailable(m) => Error::Unavailable(m),
            tc_client::QueueError::Usage(m) => Error::Usage(m),
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

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

    /// Writing the output failed.
    #[error("cannot write the output: {0}")]
    Output(#[from] std::io::Error),

    /// A call to the queue failed.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Queue(#[from] tc_client::QueueError),

    /// `tc worker` gave up.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Worker(#[from] tc_worker::WorkerError),

    /// `tc queue serve` could not start (its state dir, database, clients file or address).
    #[error(transparent)]
    #[diagnostic(transparent)]
    Serve(#[from] tc_server::ServeError),
}

impl Error {
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Usage(_) => exit_codes::USAGE,
            Error::Try { .. } | Error::Input { .. } => exit_codes::USAGE,
            Error::Output(_) => exit_codes::FAILED,
            Error::Internal(_) | Error::Unavailable(_) => exit_codes::EXCEPTION,
            Error::Api(_) => exit_codes::FAILED,
            Error::Queue(e) => match e {
                tc_client::QueueError::NotFound(_) | tc_client::QueueError::Refused(_) => {
                    exit_codes::FAILED
                }
                tc_client::QueueError::Unavailable(_) => exit_codes::EXCEPTION,
                tc_client::QueueError::Usage(_) => exit_codes::USAGE,
            },
            Error::Worker(_) => exit_codes::FAILED,
            Error::Serve(_) => exit_codes::USAGE,
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

pub type Result<T, E = Error> = std::result::Result<T, E>;

//! The one error type of the command line: every command returns it, `exit_code` maps it to
//! the process's exit status (the only place that does), and `output::render_error` prints it.

use tc_run::exit_codes;
use tc_try::{ErrorKind, TryError};

#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum Error {
    /// The command line asks for something impossible.
    #[error("{0}")]
    #[diagnostic(code(tc::usage))]
    Usage(String),

    /// Bad try syntax; `text` is the try text its span indexes.
    #[error("{error}")]
    Try { error: TryError, text: String },

    /// A problem with the input itself (unreadable file, bad context), with its stable kind.
    #[error("{message}")]
    #[diagnostic(code(tc::input))]
    Input { kind: ErrorKind, message: String },

    /// The queue (or another service) cannot be reached, or failed after the retries.
    #[error("{0}")]
    #[diagnostic(code(tc::unavailable))]
    Unavailable(String),

    /// The queue answered with an error.
    #[error("{0}")]
    #[diagnostic(code(tc::api))]
    Api(String),

    /// A bug or an unexpected failure inside tc.
    #[error("{0}")]
    #[diagnostic(code(tc::internal))]
    Internal(String),

    /// The embedded queue of `tc run-local --graph` did not start.
    #[error(transparent)]
    #[diagnostic(transparent)]
    LocalQueue(#[from] tc_local::EmbeddedError),

    /// `tc run-local --graph` could not go on.
    #[error(transparent)]
    #[diagnostic(transparent)]
    LocalRun(#[from] tc_local::RunError),
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
    #[diagnostic(code(tc::output))]
    Output(#[from] std::io::Error),

    /// Bad input to a local run (the task, its files, the run's flags).
    #[error(transparent)]
    #[diagnostic(transparent)]
    Run(#[from] tc_run::RunError),

    /// A task's status, run or artifact could not be had.
    #[error(transparent)]
    #[diagnostic(transparent)]
    TaskCall(#[from] tc_client::TaskCallError),

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

/// A queue's answer as an exit status: not found or refused is a failed call, an unreachable
/// queue an exception, a request tc could not make a usage error.
fn queue_exit_code(e: &tc_client::QueueError) -> i32 {
    match e {
        tc_client::QueueError::NotFound(_) | tc_client::QueueError::Refused(_) => {
            exit_codes::FAILED
        }
        tc_client::QueueError::Unavailable(_) => exit_codes::EXCEPTION,
        tc_client::QueueError::Usage(_) => exit_codes::USAGE,
    }
}

impl Error {
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Queue(e)
            | Error::LocalRun(tc_local::RunError::Queue(e))
            | Error::TaskCall(tc_client::TaskCallError::Queue(e)) => queue_exit_code(e),
            Error::Usage(_)
            | Error::Try { .. }
            | Error::Input { .. }
            | Error::Document(_)
            | Error::Run(_)
            | Error::Serve(_)
            | Error::Graph(
                tc_graph::GraphError::Invalid { .. } | tc_graph::GraphError::Try { .. },
            ) => exit_codes::USAGE,
            Error::Internal(_)
            | Error::Unavailable(_)
            | Error::LocalQueue(_)
            | Error::LocalRun(tc_local::RunError::WorkerPanicked(_))
            | Error::TaskCall(tc_client::TaskCallError::Download { .. })
            | Error::Graph(tc_graph::GraphError::Unsupported(_)) => exit_codes::EXCEPTION,
            // The other task calls: the queue answered, but not with what was asked for.
            Error::Output(_)
            | Error::Api(_)
            | Error::Worker(_)
            | Error::LocalRun(tc_local::RunError::Worker(_))
            | Error::TaskCall(_) => exit_codes::FAILED,
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

pub type Result<T, E = Error> = std::result::Result<T, E>;

//! Why the worker stops with an error (the CLI exits 1), and why one artifact upload failed.

use std::path::PathBuf;

use tc_client::QueueError;

/// Why `tc worker` gave up: what it needs cannot be had, or a claim loop broke.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum WorkerError {
    #[error("cannot create {}: {source}; choose a writable --cache-dir", path.display())]
    #[diagnostic(code(tc::worker::runs_dir))]
    RunsDir {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The HTTP client for blob uploads could not be built.
    #[error("{0}")]
    #[diagnostic(code(tc::worker::http_client))]
    HttpClient(#[source] reqwest::Error),
    /// The queue refused the worker's own credentials: claiming cannot go on.
    #[error(
        "the queue refused claimWork on {queue}: {refusal}\nThe worker's client needs queue:claim-work:{queue} and queue:worker-id:{worker_group}/{worker_id}: check TASKCLUSTER_CLIENT_ID and TASKCLUSTER_ACCESS_TOKEN (or the local queue's credentials.json)"
    )]
    #[diagnostic(code(tc::worker::claim_refused))]
    ClaimRefused {
        queue: String,
        worker_group: String,
        worker_id: String,
        #[source]
        refusal: Box<QueueError>,
    },
    /// A claim loop panicked: a bug in tc.
    #[error("a claim loop failed inside tc: {0}")]
    #[diagnostic(code(tc::worker::internal))]
    ClaimLoop(#[source] tokio::task::JoinError),
    /// The run slots went away under a claim loop: a bug in tc.
    #[error("{0}")]
    #[diagnostic(code(tc::worker::internal))]
    Slots(#[source] tokio::sync::AcquireError),
}

/// Why one try of an artifact upload failed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum UploadError {
    /// createArtifact failed or was refused.
    #[error(transparent)]
    Queue(#[from] QueueError),
    #[error("cannot read {}: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the queue's answer to createArtifact has no putUrl")]
    NoPutUrl,
    /// The PUT of the bytes got no answer; `source` holds no URL (its signature must not reach
    /// a log).
    #[error("PUT {name}: {source}")]
    Put {
        name: String,
        #[source]
        source: reqwest::Error,
    },
    #[error("PUT {name}: {status}")]
    PutStatus {
        name: String,
        status: reqwest::StatusCode,
    },
}

/// Why a claim as claimWork gave it cannot be read.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ClaimError {
    #[error("no {0}")]
    Missing(&'static str),
    /// `takenUntil` is not a timestamp: why.
    #[error("{0}")]
    TakenUntil(tc_taskdef::reltime::TimeError),
}

/// Why a claimed task definition cannot be run.
#[derive(Debug, thiserror::Error)]
pub(crate) enum DefinitionError {
    #[error("the claim holds no task definition")]
    NotAnObject,
    /// The problems `TaskDef::from_document` found.
    #[error("{}", .0.join("\n  "))]
    Problems(Vec<String>),
}

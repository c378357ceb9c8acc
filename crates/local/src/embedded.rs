//! The embedded queue: `tc queue serve` in this process, on a loopback port, with its state in
//! a temporary directory that goes when the run ends.

use tc_client::{Client, Credentials};
use tc_server::{Config, Limits};
use tokio::sync::oneshot;

const ROOT_CLIENT: &str = "static/taskcluster/root";

/// Why the embedded queue did not start.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum EmbeddedError {
    #[error("cannot make the queue's state directory: {0}")]
    #[diagnostic(code(tc::local::state_dir))]
    StateDir(#[source] std::io::Error),
    #[error(transparent)]
    #[diagnostic(transparent)]
    Serve(#[from] tc_server::ServeError),
    #[error("the embedded queue did not start")]
    #[diagnostic(code(tc::local::start))]
    NotStarted,
    #[error(transparent)]
    #[diagnostic(transparent)]
    Client(#[from] tc_client::QueueError),
}

/// A running embedded queue and a client with its root credentials.
pub struct Embedded {
    pub root_url: String,
    pub client: Client,
    stop: oneshot::Sender<()>,
    server: tokio::task::JoinHandle<Result<(), tc_server::ServeError>>,
    _state: tempfile::TempDir,
}

impl Embedded {
    /// Starts a queue that takes artifacts of any size (as `tc run-local` of one task does) and
    /// answers an idle claim quickly, so the worker notices the end of the graph soon.
    pub async fn start() -> Result<Self, EmbeddedError> {
        let state = tempfile::Builder::new()
            .prefix("tc-graph-queue-")
            .tempdir()
            .map_err(EmbeddedError::StateDir)?;
        let token = tc_taskdef::slugid::v4() + &tc_taskdef::slugid::v4();
        let config = Config {
            listen: ([127, 0, 0, 1], 0).into(),
            state_dir: state.path().to_path_buf(),
            root_client_id: ROOT_CLIENT.into(),
            root_access_token: Some(token.clone()),
            public_url: None,
            clients_file: None,
            limits: Limits {
                claim_work_timeout: 1.0,
                max_blob_size: 1 << 40,
                ..Limits::DEFAULT
            },
        };
        let (stop, stopped) = oneshot::channel::<()>();
        let (ready_tx, ready_rx) = oneshot::channel();
        let server = tokio::spawn(tc_server::serve_until(
            config,
            async move {
                let _ = stopped.await;
            },
            Some(ready_tx),
        ));
        let Ok(root_url) = ready_rx.await else {
            return Err(match server.await {
                Ok(Err(e)) => EmbeddedError::Serve(e),
                _ => EmbeddedError::NotStarted,
            });
        };
        let client = Client::new(&root_url, Some(Credentials::new(ROOT_CLIENT, &token, None)))?;
        Ok(Embedded {
            root_url,
            client,
            stop,
            server,
            _state: state,
        })
    }

    /// Stops the queue and removes its state.
    pub async fn stop(self) {
        let _ = self.stop.send(());
        let _ = self.server.await;
    }
}

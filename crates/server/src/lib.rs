//! `tc queue serve` (queue-api.md §1–§7): the TaskCluster queue API on this machine, over
//! axum and SQLite, with Hawk authentication and scopes.

pub mod artifact_routes;
pub mod artifacts;
pub mod auth;
pub mod blobs;
pub mod clients_file;
pub mod connections;
pub mod db;
pub mod error;
pub mod hawk;
pub mod routes;
pub mod state_lock;
pub mod store;
pub mod validate;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use base64::Engine;

use auth::{Client, Clients, DEFAULT_ANONYMOUS, QUEUE_CLIENT_ID};

/// The limits of §4.1 and §5.5.
#[derive(Debug, Clone)]
pub struct Limits {
    pub claim_timeout: i64,
    pub claim_work_timeout: f64,
    pub max_deadline_days: i64,
    pub max_dependencies: usize,
    pub max_blob_size: u64,
    /// Connection timeouts and cap (§5.5).
    pub connections: connections::ConnectionLimits,
}

impl Limits {
    /// The spec's defaults (`tc queue serve`'s flags start from them).
    pub const DEFAULT: Limits = Limits {
        claim_timeout: 1200,
        claim_work_timeout: 20.0,
        max_deadline_days: 5,
        max_dependencies: 10_000,
        max_blob_size: 2 * 1024 * 1024 * 1024,
        connections: connections::ConnectionLimits::DEFAULT,
    };
}

/// How the server is set up.
#[derive(Debug, Clone)]
pub struct Config {
    pub listen: SocketAddr,
    pub state_dir: PathBuf,
    pub root_client_id: String,
    pub root_access_token: Option<String>,
    pub public_url: Option<String>,
    /// A `--clients` file: more clients and the anonymous scopes.
    pub clients_file: Option<PathBuf>,
    pub limits: Limits,
}

/// What every request shares.
pub struct State {
    pub db: db::Db,
    pub clients: Clients,
    /// The token of the queue's own client, which signs claim credentials; never sent.
    pub queue_token: String,
    pub config: Limits,
    /// Signs blob URLs; made with the database, never sent.
    pub blob_secret: Vec<u8>,
    pub blobs: PathBuf,
    pub public_url: Option<String>,
    /// Woken whenever a run becomes pending.
    pub pending: tokio::sync::Notify,
    pub started: std::time::Instant,
    stopping: AtomicBool,
    /// Held for the server's life: one server per state directory.
    _lock: state_lock::StateLock,
}

impl State {
    pub fn shutting_down(&self) -> bool {
        self.stopping.load(Ordering::Relaxed)
    }

    /// The access token of the client `id` (the root client's, for `--print-env`).
    pub fn access_token(&self, id: &str) -> Option<&str> {
        self.clients
            .clients
            .iter()
            .find(|c| c.id == id)
            .map(|c| c.access_token.as_str())
    }
}

/// 44 random URL-safe characters.
fn random_token() -> String {
    let mut bytes = [0u8; 33];
    for chunk in bytes.chunks_mut(16) {
        let u = uuid::Uuid::new_v4();
        chunk.copy_from_slice(&u.as_bytes()[..chunk.len()]);
    }
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// The root URL clients use: `--public-url`, else the listen address (an unspecified one
/// becomes 127.0.0.1).
pub fn root_url(config: &Config) -> String {
    if let Some(url) = &config.public_url {
        return url.trim_end_matches('/').to_owned();
    }
    let mut addr = config.listen;
    if addr.ip().is_unspecified() {
        addr.set_ip(std::net::IpAddr::from([127, 0, 0, 1]));
    }
    format!("http://{addr}")
}

/// Why the state directory could not be opened.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum OpenError {
    #[error("cannot create the state dir {}: {source}", path.display())]
    #[diagnostic(
        code(tc::queue::state_dir),
        help("choose a writable directory with --state-dir")
    )]
    CreateDir {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// Another server holds it, or it cannot be locked.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Lock(#[from] state_lock::LockError),
    #[error(transparent)]
    #[diagnostic(transparent)]
    Database(#[from] db::DbError),
    #[error(transparent)]
    #[diagnostic(transparent)]
    ClientsFile(#[from] clients_file::ClientsFileError),
}

impl OpenError {
    /// Another server holds the state directory.
    pub fn is_busy(&self) -> bool {
        matches!(self, OpenError::Lock(state_lock::LockError::Held { .. }))
    }
}

/// Why the server could not start.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum ServeError {
    #[error(transparent)]
    #[diagnostic(transparent)]
    Open(#[from] OpenError),
    #[error("cannot listen on {addr}: {source}; choose another --listen")]
    #[diagnostic(code(tc::queue::listen))]
    Listen {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    /// The bound socket has no address (never seen).
    #[error("{0}")]
    #[diagnostic(code(tc::queue::listen))]
    LocalAddr(#[source] std::io::Error),
}

/// Opens the state directory: its lock, the database, the tokens, `credentials.json`.
pub fn open(config: &Config) -> Result<(Arc<State>, String), OpenError> {
    open_locked(config, lock_state_dir(config)?)
}

/// Creates the state directory and takes its lock.
fn lock_state_dir(config: &Config) -> Result<state_lock::StateLock, OpenError> {
    std::fs::create_dir_all(&config.state_dir).map_err(|source| OpenError::CreateDir {
        path: config.state_dir.clone(),
        source,
    })?;
    Ok(state_lock::StateLock::acquire(&config.state_dir)?)
}

/// [`open`] with the lock already held.
fn open_locked(
    config: &Config,
    lock: state_lock::StateLock,
) -> Result<(Arc<State>, String), OpenError> {
    let db = db::Db::open(&config.state_dir.join("queue.db"))?;
    let root_token = match &config.root_access_token {
        Some(t) => t.clone(),
        None => db.meta("root_access_token", random_token)?,
    };
    if root_token.len() < 20 {
        eprintln!(
            "warning: the root access token is shorter than 20 characters; use it for tests only"
        );
    }
    let queue_token = db.meta("queue_access_token", random_token)?;
    let blob_secret = db.meta("blob_secret", random_token)?.into_bytes();
    let root_url = root_url(config);
    write_credentials(config, &root_url, &root_token);
    let mut clients = Clients {
        clients: vec![
            Client {
                id: config.root_client_id.clone(),
                access_token: root_token,
                scopes: vec!["*".into()],
                expires: None,
            },
            Client {
                id: QUEUE_CLIENT_ID.into(),
                access_token: queue_token.clone(),
                scopes: vec!["*".into()],
                expires: None,
            },
        ],
        anonymous: DEFAULT_ANONYMOUS.iter().map(|s| (*s).to_owned()).collect(),
    };
    if let Some(file) = &config.clients_file {
        clients_file::load(file, &mut clients)?;
    }
    let state = State {
        db,
        clients,
        queue_token,
        config: config.limits.clone(),
        blob_secret,
        blobs: config.state_dir.join("blobs"),
        public_url: config
            .public_url
            .as_ref()
            .map(|u| u.trim_end_matches('/').to_owned()),
        pending: tokio::sync::Notify::new(),
        started: std::time::Instant::now(),
        stopping: AtomicBool::new(false),
        _lock: lock,
    };
    Ok((Arc::new(state), root_url))
}

/// Writes `credentials.json` (mode 0600) when its content changes: a temporary file, fsync,
/// then a rename, so readers see the old file or the new one. A failure (a full disk) is a
/// warning: the database is intact and clients can be given the credentials another way.
fn write_credentials(config: &Config, root_url: &str, token: &str) {
    let path = config.state_dir.join("credentials.json");
    let doc = serde_json::json!({"rootUrl": root_url, "clientId": config.root_client_id, "accessToken": token});
    let text = doc.to_string();
    if credentials_file_holds(&path, &text) {
        return;
    }
    let tmp = config.state_dir.join(".credentials.json.tmp");
    if let Err(e) = replace_file(&path, &tmp, text.as_bytes()) {
        let _ = std::fs::remove_file(&tmp);
        eprintln!(
            "warning: cannot write {}: {e}; the queue serves anyway, but its clients must be given the credentials (tc queue serve --print-env prints them)",
            path.display()
        );
    }
}

/// Whether `path` is private to its owner and holds exactly `text`.
fn credentials_file_holds(path: &Path, text: &str) -> bool {
    use std::os::unix::fs::PermissionsExt;
    let private = std::fs::metadata(path).is_ok_and(|m| m.permissions().mode() & 0o777 == 0o600);
    private && std::fs::read(path).is_ok_and(|old| old == text.as_bytes())
}

/// Replaces `path` with `bytes` through `tmp` (mode 0600), durably.
fn replace_file(path: &Path, tmp: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .write(true)
        .truncate(true)
        .mode(0o600)
        .open(tmp)?;
    // A stale temporary file keeps its mode through `open`: make it private in any case.
    f.set_permissions(std::os::unix::fs::PermissionsExt::from_mode(0o600))?;
    f.write_all(bytes)?;
    f.sync_all()?;
    std::fs::rename(tmp, path)?;
    if let Some(dir) = path.parent() {
        std::fs::File::open(dir)?.sync_all()?;
    }
    Ok(())
}

/// Runs the resolvers once (§4.4).
async fn resolve_due(state: &State) {
    let now = chrono::Utc::now();
    match state.db.write(move |tx| store::resolve_due(tx, now)).await {
        Ok(woken) if woken > 0 => state.pending.notify_waiters(),
        Ok(_) => {}
        Err(e) => eprintln!("tc queue: the resolvers failed: {}", e.message),
    }
}

/// The hourly expiration sweep (§4.4): rows first, then their blob files.
async fn sweep(state: &State) {
    let now = chrono::Utc::now();
    match state
        .db
        .write(move |tx| store::sweep_expired(tx, now))
        .await
    {
        Ok(blobs) => {
            for (task_id, run_id, name) in blobs {
                let path = artifacts::blob_path(&state.blobs, &task_id, run_id, &name);
                let _ = tokio::fs::remove_file(path).await;
            }
        }
        Err(e) => eprintln!("tc queue: the expiration sweep failed: {}", e.message),
    }
}

/// Serves until SIGINT or SIGTERM.
pub async fn serve(config: Config) -> Result<(), ServeError> {
    serve_until(config, shutdown_signal(), None).await
}

/// Serves until `stop` completes; `ready` gets the root URL once requests are accepted (an
/// embedded queue, as `tc run-local --graph` runs one).
pub async fn serve_until(
    mut config: Config,
    stop: impl std::future::Future<Output = ()> + Send + 'static,
    ready: Option<tokio::sync::oneshot::Sender<String>>,
) -> Result<(), ServeError> {
    // Locked first: a second server on the directory names the first even on the same port.
    let lock = lock_state_dir(&config)?;
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(|source| ServeError::Listen {
            addr: config.listen,
            source,
        })?;
    // Port 0 picks a free port; the root URL names the real one.
    config.listen = listener.local_addr().map_err(ServeError::LocalAddr)?;
    let (state, root_url) = open_locked(&config, lock)?;
    // Claims and deadlines that fell due while the server was down resolve before serving.
    resolve_due(&state).await;
    if !config.listen.ip().is_loopback() {
        eprintln!(
            "warning: tc queue listens on {}, beyond this machine; traffic is unencrypted (put TLS in a reverse proxy)",
            config.listen
        );
    }
    if ready.is_none() {
        eprintln!(
            "tc queue: serving {root_url} (state {}, root client {})",
            config.state_dir.display(),
            config.root_client_id
        );
    }
    let resolver_state = state.clone();
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(std::time::Duration::from_secs(1)).await;
            resolve_due(&resolver_state).await;
        }
    });
    let sweeper_state = state.clone();
    tokio::spawn(async move {
        loop {
            sweep(&sweeper_state).await;
            tokio::time::sleep(std::time::Duration::from_secs(3600)).await;
        }
    });
    let stop_state = state.clone();
    if let Some(ready) = ready {
        let _ = ready.send(root_url.clone());
    }
    let stop = async move {
        stop.await;
        // Long polls answer with no tasks at once, so their connections can close.
        stop_state.stopping.store(true, Ordering::Relaxed);
        stop_state.pending.notify_waiters();
    };
    connections::serve(listener, state, config.limits.connections.clone(), stop).await;
    Ok(())
}

async fn shutdown_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut term), Ok(mut int)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) else {
        return std::future::pending().await;
    };
    tokio::select! {
        _ = term.recv() => {}
        _ = int.recv() => {}
    }
}

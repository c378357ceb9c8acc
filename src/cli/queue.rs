//! `tc queue serve` (queue-api.md §5.5): the embedded queue, configured by flags or env.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::Subcommand;

use crate::error::{Error, Result};
use tc_server::connections::ConnectionLimits;
use tc_server::{self, Config, Limits, ServeError};

#[derive(Debug, Subcommand)]
pub enum QueueCommand {
    /// Serve the TaskCluster queue API on this machine (SQLite, Hawk, scopes).
    ///
    /// The Queue v1 API, faithful enough for the official clients: tasks with the queue's
    /// defaults and date rules, dependencies, task groups (seal, cancel), claimWork long polls
    /// by priority then FIFO, reclaims, reports with automatic retries, claim-expiry and deadline
    /// resolvers, artifacts (s3 through the server's own signed blob URLs, reference, link,
    /// error) and the upstream error bodies. Authentication is always on: Hawk headers and
    /// bewits, temporary credentials, authorizedScopes, and read-only anonymous scopes.
    ///
    /// The state dir holds queue.db (SQLite), blobs/, and credentials.json (mode 0600) with the
    /// root client (scopes `*`) and the root URL. --print-env prints them as the environment
    /// TaskCluster clients read; `tc submit`, `tc task`, `tc group` and `tc worker` without
    /// credentials use them by themselves when the state dir is the default or
    /// TC_QUEUE_STATE_DIR. A reply leaves only after its transaction committed. A second server
    /// on the same state dir exits 2, naming the process that holds queue.lock.
    ///
    /// It listens on 127.0.0.1 by default; another address is served with a warning, since the
    /// traffic is plain HTTP.
    ///
    /// Guide: docs/queue-and-worker.md in tc's source.
    Serve(ServeArgs),
}

#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Address and port to listen on (a non-loopback address is served with a warning).
    #[arg(
        long,
        env = "TC_QUEUE_LISTEN",
        default_value = "127.0.0.1:8080",
        value_name = "ADDR:PORT"
    )]
    pub listen: SocketAddr,

    /// Directory of the database, the blobs and credentials.json (default
    /// $XDG_STATE_HOME/tc/queue, else ~/.local/state/tc/queue).
    #[arg(long, env = "TC_QUEUE_STATE_DIR", value_name = "DIR")]
    pub state_dir: Option<PathBuf>,

    /// The root client's id (scopes `*`).
    #[arg(
        long,
        env = "TC_QUEUE_ROOT_CLIENT_ID",
        default_value = "static/taskcluster/root",
        value_name = "ID"
    )]
    pub root_client_id: String,

    /// The root client's access token (default: generated once and kept in the database).
    #[arg(
        long,
        env = "TC_QUEUE_ROOT_ACCESS_TOKEN",
        value_name = "TOKEN",
        hide_env_values = true
    )]
    pub root_access_token: Option<String>,

    /// A YAML file of more clients (`clients: [{clientId, accessToken | accessTokenEnv, scopes,
    /// expires?}]`) and `anonymous: [...]` scopes.
    #[arg(long, env = "TC_QUEUE_CLIENTS", value_name = "FILE.yaml")]
    pub clients: Option<PathBuf>,

    /// The root URL clients reach the queue at (default http://<listen address>).
    #[arg(long, value_name = "URL")]
    pub public_url: Option<String>,

    /// Seconds a claim lasts before it must be reclaimed.
    #[arg(long, default_value_t = Limits::DEFAULT.claim_timeout, value_name = "S")]
    pub claim_timeout: i64,

    /// Seconds claimWork waits for work before answering with no tasks.
    #[arg(long, default_value_t = Limits::DEFAULT.claim_work_timeout, value_name = "S")]
    pub claim_work_timeout: f64,

    /// How many days ahead a task's deadline may be.
    #[arg(long, default_value_t = Limits::DEFAULT.max_deadline_days, value_name = "D")]
    pub max_deadline_days: i64,

    /// How many dependencies a task may have.
    #[arg(long, default_value_t = Limits::DEFAULT.max_dependencies, value_name = "N")]
    pub max_dependencies: usize,

    /// The largest blob (s3 artifact) upload accepted, in bytes.
    #[arg(long, default_value_t = Limits::DEFAULT.max_blob_size, value_name = "BYTES")]
    pub max_blob_size: u64,

    /// Seconds a client may take to send a request's head (a slow one is disconnected).
    #[arg(long, default_value_t = ConnectionLimits::DEFAULT.header_read_timeout.as_secs(), value_name = "S")]
    pub header_read_timeout: u64,

    /// Seconds a connection may sit idle between requests before it is closed.
    #[arg(long, default_value_t = ConnectionLimits::DEFAULT.idle_timeout.as_secs(), value_name = "S")]
    pub idle_timeout: u64,

    /// How many connections may be open at once; more wait until one closes.
    #[arg(long, default_value_t = ConnectionLimits::DEFAULT.max_connections, value_name = "N")]
    pub max_connections: usize,

    /// Print the environment that points TaskCluster clients at this queue, and exit.
    #[arg(long)]
    pub print_env: bool,
}

fn default_state_dir() -> PathBuf {
    std::env::var_os("XDG_STATE_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| dirs::home_dir().map(|h| h.join(".local/state")))
        .unwrap_or_else(|| PathBuf::from("."))
        .join("tc/queue")
}

/// The connection flags, checked: timeouts of 1 s to a day, 1 to 100 000 connections.
fn connection_limits(args: &ServeArgs) -> Result<ConnectionLimits> {
    let timeouts = 1..=86_400;
    if !timeouts.contains(&args.header_read_timeout) || !timeouts.contains(&args.idle_timeout) {
        return Err(Error::Usage(
            "--header-read-timeout and --idle-timeout take 1..86400 seconds".into(),
        ));
    }
    if !(1..=100_000).contains(&args.max_connections) {
        return Err(Error::Usage("--max-connections takes 1..100000".into()));
    }
    Ok(ConnectionLimits {
        header_read_timeout: Duration::from_secs(args.header_read_timeout),
        idle_timeout: Duration::from_secs(args.idle_timeout),
        max_connections: args.max_connections,
    })
}

pub(super) fn run(cmd: QueueCommand) -> Result<i32> {
    let QueueCommand::Serve(args) = cmd;
    if !(1..=86_400).contains(&args.claim_timeout) || args.claim_work_timeout <= 0.0 {
        return Err(Error::Usage(
            "--claim-timeout takes 1..86400 seconds and --claim-work-timeout a positive number"
                .into(),
        ));
    }
    let connections = connection_limits(&args)?;
    let config = Config {
        listen: args.listen,
        state_dir: args.state_dir.unwrap_or_else(default_state_dir),
        root_client_id: args.root_client_id,
        root_access_token: args.root_access_token,
        public_url: args.public_url,
        clients_file: args.clients,
        limits: Limits {
            claim_timeout: args.claim_timeout,
            claim_work_timeout: args.claim_work_timeout,
            max_deadline_days: args.max_deadline_days,
            max_dependencies: args.max_dependencies,
            max_blob_size: args.max_blob_size,
            connections,
        },
    };
    if args.print_env {
        return print_env(&config);
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Internal(format!("cannot start the async runtime: {e}")))?;
    runtime.block_on(tc_server::serve(config))?;
    Ok(0)
}

/// `--print-env`: the root client's environment. While a server runs on the state dir, that
/// server's credentials.json is the truth (its root URL, not this command's --listen).
fn print_env(config: &Config) -> Result<i32> {
    let (root_url, client_id, token) = match tc_server::open(config) {
        Ok((state, root_url)) => {
            let token = state
                .access_token(&config.root_client_id)
                .unwrap_or_default()
                .to_owned();
            (root_url, config.root_client_id.clone(), token)
        }
        Err(e) if e.is_busy() => running_server_env(config)?,
        Err(e) => return Err(ServeError::from(e).into()),
    };
    println!("export TASKCLUSTER_ROOT_URL={root_url}");
    println!("export TASKCLUSTER_CLIENT_ID={client_id}");
    println!("export TASKCLUSTER_ACCESS_TOKEN={token}");
    Ok(0)
}

/// (rootUrl, clientId, accessToken) from the credentials.json of the server holding the dir.
fn running_server_env(config: &Config) -> Result<(String, String, String)> {
    let path = config.state_dir.join("credentials.json");
    let creds = std::fs::read_to_string(&path)
        .map_err(|e| Error::Internal(format!("cannot read {}: {e}", path.display())))?;
    let creds: serde_json::Value = serde_json::from_str(&creds)
        .map_err(|e| Error::Internal(format!("{} is not JSON: {e}", path.display())))?;
    let s = |k: &str| creds[k].as_str().unwrap_or_default().to_owned();
    Ok((s("rootUrl"), s("clientId"), s("accessToken")))
}

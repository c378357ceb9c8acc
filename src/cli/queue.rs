//! `tc queue serve` (queue-api.md §5.5): the embedded queue, configured by flags or env.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Subcommand;

use crate::error::{Error, Result};
use crate::queue::server::{self, Config, Limits};

#[derive(Debug, Subcommand)]
pub enum QueueCommand {
    /// Serve the TaskCluster queue API on this machine (SQLite, Hawk, scopes).
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

pub fn run(cmd: QueueCommand) -> Result<i32> {
    let QueueCommand::Serve(args) = cmd;
    if !(1..=86_400).contains(&args.claim_timeout) || args.claim_work_timeout <= 0.0 {
        return Err(Error::Usage(
            "--claim-timeout takes 1..86400 seconds and --claim-work-timeout a positive number"
                .into(),
        ));
    }
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
        },
    };
    if args.print_env {
        let (_, root_url) = server::open(&config).map_err(Error::Usage)?;
        let creds = std::fs::read_to_string(config.state_dir.join("credentials.json"))
            .map_err(|e| Error::Internal(format!("cannot read credentials.json: {e}")))?;
        let creds: serde_json::Value = serde_json::from_str(&creds)
            .map_err(|e| Error::Internal(format!("credentials.json is not JSON: {e}")))?;
        let s = |k: &str| creds[k].as_str().unwrap_or_default().to_owned();
        println!("export TASKCLUSTER_ROOT_URL={root_url}");
        println!("export TASKCLUSTER_CLIENT_ID={}", s("clientId"));
        println!("export TASKCLUSTER_ACCESS_TOKEN={}", s("accessToken"));
        return Ok(0);
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Internal(format!("cannot start the async runtime: {e}")))?;
    runtime
        .block_on(server::serve(config))
        .map_err(Error::Usage)?;
    Ok(0)
}

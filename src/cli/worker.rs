//! `tc worker` (queue-api.md §9, worker.md §3.6): claim tasks from a queue, run them through
//! the task-run core, report the results.

use std::path::PathBuf;
use std::time::Duration;

use tokio::sync::watch;

use super::engine_args::{EngineArg, MissingArg, PullArg, PullDisplay};
use super::queue_args::QueueArgs;
use super::runtime;
use crate::error::{Error, Result};
use tc_run::engine::docker::DockerOptions;
use tc_run::log::Terminal;
use tc_run::taskrun::{EngineChoice, MissingPolicy, RunOptions};
use tc_worker::{self, Stop};

#[derive(Debug, clap::Args)]
#[command(after_help = tc_run::exit_codes::HELP)]
pub struct WorkerArgs {
    /// A task queue to claim from (repeatable).
    #[arg(
        long = "task-queue",
        value_name = "QUEUE",
        default_value = "local/default"
    )]
    pub task_queues: Vec<String>,

    /// The worker group this worker reports.
    #[arg(long, default_value = "local", value_name = "GROUP")]
    pub worker_group: String,

    /// The worker id (default: the host name, characters outside [a-zA-Z0-9-_] as -, at most 38).
    #[arg(long, value_name = "ID")]
    pub worker_id: Option<String>,

    /// How many tasks run at once, 1 to 1000.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=1000), value_name = "N")]
    pub capacity: u32,

    /// Claim one task, run it, and exit by its outcome (0 completed, 1 failed, 3 exception,
    /// 4 nothing claimed within --wait-timeout).
    #[arg(long)]
    pub once: bool,

    /// With --once: give up after this many seconds without a task.
    #[arg(long, value_name = "S", requires = "once")]
    pub wait_timeout: Option<u64>,

    /// Seconds running tasks get to finish after SIGTERM/SIGINT before they are stopped and
    /// reported worker-shutdown (a second signal skips them).
    #[arg(long, default_value_t = 30, value_name = "S")]
    pub shutdown_grace: u64,

    /// Which engines run tasks: auto runs docker-worker payloads on Docker and generic-worker
    /// payloads natively; a payload for an engine not enabled is malformed-payload.
    #[arg(long, value_enum, default_value_t = EngineArg::Auto)]
    pub engine: EngineArg,

    /// The largest maxRunTime accepted, in seconds (a larger one is malformed-payload).
    #[arg(long, default_value_t = 86400, value_name = "SECS")]
    pub max_task_run_time: u64,

    /// When to pull a registry image.
    #[arg(long, value_enum, default_value_t = PullArg::Missing)]
    pub pull: PullArg,

    /// The containers' network mode: none, host or a network name (default: the daemon's).
    #[arg(long, value_name = "MODE")]
    pub network: Option<String>,

    /// Accept docker-worker capabilities (privileged, devices, disableSeccomp).
    #[arg(long)]
    pub allow_capabilities: bool,

    /// The cache root (default $TC_CACHE_DIR, else your user cache directory + /tc).
    #[arg(long, value_name = "DIR")]
    pub cache_dir: Option<PathBuf>,

    /// The most one mount may write into the task dir, decompressed (bytes, or with K, M, G
    /// or T); a mount that expands past it is malformed-payload.
    #[arg(long, value_name = "SIZE", default_value = tc_run::mounts::DEFAULT_MAX_MOUNT_SIZE_TEXT, value_parser = tc_run::mounts::parse_size)]
    pub max_mount_size: u64,

    /// Whether a missing artifact fails the task.
    #[arg(long, value_enum, default_value_t = MissingArg::Family)]
    pub missing_artifacts: MissingArg,

    #[command(flatten)]
    pub queue: QueueArgs,
}

/// The run options every claimed task gets.
pub(super) fn run_options(
    engine: EngineChoice,
    missing: MissingPolicy,
    cache_root: PathBuf,
    docker: DockerOptions,
) -> RunOptions {
    RunOptions {
        engine,
        missing,
        max_run_time: None,
        max_run_time_cap: None,
        cache_root,
        keep: false,
        no_caches: false,
        interactive: false,
        // The queue's root URL and the worker group are filled in per run.
        root_url: String::new(),
        cli_env: Vec::new(),
        secrets: Vec::new(),
        allow_capabilities: false,
        terminal: Terminal::Nowhere,
        prefix: None,
        local: false,
        claimed: true,
        worker_group: String::new(),
        links: Vec::new(),
        docker,
        max_mount_size: tc_run::mounts::DEFAULT_MAX_MOUNT_SIZE,
    }
}

pub(super) fn run(args: WorkerArgs) -> Result<i32> {
    // Before any thread: a kill -9 of the worker must not leave its tasks running.
    tc_run::engine::guard::start();
    let client = args.queue.client()?;
    let cache_root = tc_run::caches::root(args.cache_dir.as_deref());
    let mut opts = run_options(
        args.engine.into(),
        args.missing_artifacts.into(),
        cache_root.clone(),
        DockerOptions {
            pull: args.pull.into(),
            network: args.network.clone(),
            image_override: None,
            binds: Vec::new(),
            graph_root: None,
            checkout: None,
            progress: Some(std::sync::Arc::new(PullDisplay)),
        },
    );
    opts.allow_capabilities = args.allow_capabilities;
    opts.max_run_time_cap = Some(args.max_task_run_time);
    opts.max_mount_size = args.max_mount_size;
    let cfg = tc_worker::Config {
        client,
        queues: args.task_queues.clone(),
        worker_group: args.worker_group.clone(),
        worker_id: args
            .worker_id
            .clone()
            .unwrap_or_else(tc_worker::default_worker_id),
        capacity: args.capacity as usize,
        once: args.once,
        wait_timeout: args.wait_timeout.map(Duration::from_secs),
        shutdown_grace: Duration::from_secs(args.shutdown_grace),
        run: opts,
        runs_dir: cache_root.join("worker-runs"),
        keep_runs: false,
        events: None,
    };
    let rt = runtime()?;
    rt.block_on(async {
        let stop = watch_signals()?;
        tc_worker::work(cfg, stop).await.map_err(Error::Worker)
    })
}

/// The first SIGTERM/SIGINT drains the worker; a second one stops the runs at once (they
/// are still reported worker-shutdown).
fn watch_signals() -> Result<watch::Receiver<Stop>> {
    let (tx, rx) = watch::channel(Stop::Running);
    let again = tx.clone();
    super::signals::on_signals(
        move |code| {
            let _ = tx.send(Stop::Draining(code));
        },
        move |code| {
            eprintln!("[tc worker] second signal: stopping the running tasks now");
            let _ = again.send(Stop::Now(code));
        },
    )
    .map_err(|e| Error::Internal(format!("cannot watch signals: {e}")))?;
    Ok(rx)
}

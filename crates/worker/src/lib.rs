//! `tc worker` (queue-api.md §9): a claim loop per task queue up to the capacity; each claimed
//! run goes through the task-run core (`run::taskrun`) with a reclaimer beside it, its log and
//! artifacts go to the queue, and its outcome is reported. Nothing here assumes the embedded
//! queue: only the public API and the claim's credentials are used.

mod claims;
mod error;
mod job;
mod upload;

pub use error::WorkerError;

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use tokio::sync::{Semaphore, mpsc, watch};

use tc_api::states::{ReasonResolved, Resolution};
use tc_client::Client;
use tc_run::taskrun::RunOptions;

/// How the worker is set up.
pub struct Config {
    /// The worker's own client (claimWork); runs use their claim's credentials.
    pub client: Client,
    pub queues: Vec<String>,
    pub worker_group: String,
    pub worker_id: String,
    pub capacity: usize,
    /// Claim one task, run it, exit by its outcome.
    pub once: bool,
    /// With `once`: give up when nothing was claimed for this long.
    pub wait_timeout: Option<Duration>,
    pub shutdown_grace: Duration,
    /// What every run gets (engine, caches, pull policy...); the root URL is the queue's.
    pub run: RunOptions,
    /// Where each run's files wait for upload (`<dir>/<taskId>-<runId>`); removed afterwards
    /// unless `keep_runs`.
    pub runs_dir: PathBuf,
    /// Keep each run's local directory (`tc run-local --graph` shows them afterwards).
    pub keep_runs: bool,
    /// Progress for a caller that shows it (`tc run-local --graph`); without one, the worker
    /// prints a line per claim and per resolution on stderr.
    pub events: Option<mpsc::UnboundedSender<Event>>,
}

/// What the worker tells a caller about its runs.
#[derive(Debug, Clone)]
pub enum Event {
    Started { task_id: String, run_id: u32 },
    Finished(Finished),
}

/// A run that ended.
#[derive(Debug, Clone)]
pub struct Finished {
    pub task_id: String,
    pub run_id: u32,
    pub ending: Ending,
    pub message: Option<String>,
    /// Where the run's files are, when they were kept.
    pub dir: Option<PathBuf>,
}

/// How a run ended for the worker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// Resolved so (reported to the queue, unless the run broke inside tc).
    Resolved(Resolution),
    /// A reclaim got 409 (the task was canceled, or its claim expired): nothing was reported.
    Aborted,
}

impl Finished {
    /// `completed`, `failed`, `exception`, or `aborted`.
    pub fn state(&self) -> &'static str {
        match self.ending {
            Ending::Resolved(r) => r.state().as_str(),
            Ending::Aborted => "aborted",
        }
    }

    /// The exception reason (or `failed`/`completed`; `canceled` when aborted).
    pub fn reason(&self) -> ReasonResolved {
        match self.ending {
            Ending::Resolved(r) => r.reason(),
            Ending::Aborted => ReasonResolved::Canceled,
        }
    }

    /// `tc worker --once`'s exit status for this run (queue-api.md §8.2).
    fn exit_code(&self) -> i32 {
        match self.ending {
            Ending::Resolved(Resolution::Completed) => tc_run::exit_codes::OK,
            Ending::Resolved(Resolution::Failed) => tc_run::exit_codes::FAILED,
            _ => tc_run::exit_codes::EXCEPTION,
        }
    }
}

/// How far the worker is in stopping: running, draining (no more claims; runs get the grace
/// period), or stopping now. The exit status of the signal rides along.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    Running,
    Draining(i32),
    Now(i32),
}

impl Stop {
    fn stopping(self) -> bool {
        self != Stop::Running
    }

    fn signal_code(self) -> Option<i32> {
        match self {
            Stop::Running => None,
            Stop::Draining(c) | Stop::Now(c) => Some(c),
        }
    }
}

/// What the claim loops and the runs share.
struct Ctx {
    cfg: Config,
    /// Blob uploads (signed URLs, no credentials).
    http: reqwest::Client,
    slots: Arc<Semaphore>,
    /// Cleared when no more claims may be made (`--once` after its claim, or its timeout).
    claiming: AtomicBool,
    /// Set when `--once`'s wait has ended without a claim: a claimWork still waiting is
    /// closed, so the wait ends on time (the queue claims nothing for a closed request).
    gave_up: watch::Sender<bool>,
    claimed: AtomicUsize,
    stop: watch::Receiver<Stop>,
    done: mpsc::UnboundedSender<Finished>,
}

impl Ctx {
    fn may_claim(&self) -> bool {
        self.claiming.load(Ordering::SeqCst) && !self.stop.borrow().stopping()
    }

    /// A line on stderr when nobody else shows progress.
    fn say(&self, line: &str) {
        if self.cfg.events.is_none() {
            eprintln!("[tc worker] {line}");
        }
    }

    fn event(&self, e: Event) {
        if let Some(tx) = &self.cfg.events {
            let _ = tx.send(e);
        }
    }
}

/// The default worker id: the host name with characters outside `[a-zA-Z0-9-_]` mapped to
/// `-`, at most 38 characters.
pub fn default_worker_id() -> String {
    let host = nix::unistd::gethostname()
        .ok()
        .and_then(|h| h.into_string().ok())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".to_owned());
    worker_id_from(&host)
}

fn worker_id_from(host: &str) -> String {
    host.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .take(38)
        .collect()
}

/// Works the queues until `stop` says so (or, with `once`, for one task). Returns the exit
/// status: 0 after a shutdown; with `once`, the run's (or 4 when nothing came, or the
/// signal's).
pub async fn work(cfg: Config, stop: watch::Receiver<Stop>) -> Result<i32, WorkerError> {
    std::fs::create_dir_all(&cfg.runs_dir).map_err(|source| WorkerError::RunsDir {
        path: cfg.runs_dir.clone(),
        source,
    })?;
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(600))
        .build()
        .map_err(WorkerError::HttpClient)?;
    let capacity = if cfg.once { 1 } else { cfg.capacity };
    let (done_tx, mut done_rx) = mpsc::unbounded_channel();
    let ctx = Arc::new(Ctx {
        slots: Arc::new(Semaphore::new(capacity)),
        claiming: AtomicBool::new(true),
        gave_up: watch::Sender::new(false),
        claimed: AtomicUsize::new(0),
        stop: stop.clone(),
        done: done_tx,
        http,
        cfg,
    });
    ctx.say(&format!(
        "{}/{} works {} at {} with capacity {capacity}",
        ctx.cfg.worker_group,
        ctx.cfg.worker_id,
        ctx.cfg.queues.join(", "),
        ctx.cfg.client.root_url
    ));
    let mut loops = tokio::task::JoinSet::new();
    for queue in ctx.cfg.queues.clone() {
        loops.spawn(claims::claim_loop(ctx.clone(), queue));
    }
    let mut stop_rx = stop.clone();
    let code = if ctx.cfg.once {
        // The wait ends with a claim: a run may outlast it.
        let timeout = async {
            match ctx.cfg.wait_timeout {
                Some(t) => tokio::time::sleep(t).await,
                None => std::future::pending().await,
            }
            if ctx.claimed.load(Ordering::SeqCst) > 0 {
                std::future::pending::<()>().await;
            }
        };
        tokio::select! {
            finished = done_rx.recv() => {
                let signal = ctx.stop.borrow().signal_code();
                once_exit(finished.as_ref(), signal)
            }
            message = fatal(&mut loops) => return Err(drain(&ctx, capacity, message).await),
            () = timeout => {
                // A claimWork still waiting is closed: the queue's long poll (20 s on a real
                // queue) would otherwise outlast the wait.
                ctx.claiming.store(false, Ordering::SeqCst);
                ctx.gave_up.send_replace(true);
                while loops.join_next().await.is_some() {}
                if ctx.claimed.load(Ordering::SeqCst) == 0 { tc_run::exit_codes::NO_TASK } else {
                    let finished = done_rx.recv().await;
                    let signal = ctx.stop.borrow().signal_code();
                    once_exit(finished.as_ref(), signal)
                }
            }
            () = stopping(&mut stop_rx) => {
                while loops.join_next().await.is_some() {}
                let signal = ctx.stop.borrow().signal_code().unwrap_or(tc_run::exit_codes::SIGTERM);
                match ctx.claimed.load(Ordering::SeqCst) {
                    0 => signal,
                    _ => once_exit(done_rx.recv().await.as_ref(), Some(signal)),
                }
            }
        }
    } else {
        tokio::select! {
            message = fatal(&mut loops) => return Err(drain(&ctx, capacity, message).await),
            () = stopping(&mut stop_rx) => {}
        }
        ctx.say("shutting down: no more claims; running tasks get the grace period");
        while loops.join_next().await.is_some() {}
        tc_run::exit_codes::OK
    };
    // Every run gives its slot back when it has reported.
    let _all = ctx.slots.acquire_many(permits(capacity)).await;
    Ok(code)
}

/// `--once`'s exit status: the run's (queue-api.md §8.2), unless a signal cut it short and it
/// was reported worker-shutdown: then the signal's.
fn once_exit(finished: Option<&Finished>, signal: Option<i32>) -> i32 {
    match (finished, signal) {
        (Some(f), Some(code)) if f.reason() == ReasonResolved::WorkerShutdown => code,
        (Some(f), _) => f.exit_code(),
        (None, Some(code)) => code,
        (None, None) => tc_run::exit_codes::EXCEPTION,
    }
}

/// Stops claiming and lets the running tasks finish and report before the worker gives up
/// with `error`: exiting under them would leave their claims to expire.
async fn drain(ctx: &Ctx, capacity: usize, error: WorkerError) -> WorkerError {
    ctx.claiming.store(false, Ordering::SeqCst);
    if ctx.slots.available_permits() < capacity {
        ctx.say(&format!(
            "{error}; waiting for the running tasks before exiting"
        ));
    }
    let _all = ctx.slots.acquire_many(permits(capacity)).await;
    error
}

/// The semaphore's count for `capacity` slots (the CLI caps the capacity far below `u32::MAX`).
fn permits(capacity: usize) -> u32 {
    u32::try_from(capacity).unwrap_or(u32::MAX)
}

/// The first claim loop that fails for good (its error); never, when they all end well.
async fn fatal(loops: &mut tokio::task::JoinSet<Result<(), WorkerError>>) -> WorkerError {
    while let Some(ended) = loops.join_next().await {
        match ended {
            Ok(Ok(())) => {}
            Ok(Err(error)) => return error,
            Err(e) => return WorkerError::ClaimLoop(e),
        }
    }
    std::future::pending().await
}

/// Until the worker starts stopping (the watch guard is not held across awaits).
async fn stopping(rx: &mut watch::Receiver<Stop>) {
    let _ = rx.wait_for(|s| s.stopping()).await;
}

#[cfg(test)]
mod tests {
    use super::{Ending, Finished, once_exit};
    use tc_api::states::{ReasonResolved, Resolution};
    use tc_run::exit_codes::{EXCEPTION, FAILED, OK, SIGINT, SIGTERM};

    #[test]
    fn once_exits_by_the_run_unless_a_signal_cut_it_short() {
        let run = |resolution| Finished {
            task_id: "t".into(),
            run_id: 0,
            ending: Ending::Resolved(resolution),
            message: None,
            dir: None,
        };
        let shutdown = run(Resolution::Exception(ReasonResolved::WorkerShutdown));
        let failed = run(Resolution::Failed);
        let completed = run(Resolution::Completed);
        let malformed = run(Resolution::Exception(ReasonResolved::MalformedPayload));
        for (finished, signal, code) in [
            (Some(&completed), None, OK),
            (Some(&failed), None, FAILED),
            (Some(&malformed), None, EXCEPTION),
            (Some(&shutdown), None, EXCEPTION),
            // Cut short by the signal: its status.
            (Some(&shutdown), Some(SIGTERM), SIGTERM),
            // Finished on its own within the grace: the run's.
            (Some(&failed), Some(SIGINT), FAILED),
            (Some(&completed), Some(SIGTERM), OK),
            // Nothing ran.
            (None, Some(SIGINT), SIGINT),
            (None, None, EXCEPTION),
        ] {
            assert_eq!(
                once_exit(finished, signal),
                code,
                "{:?} {signal:?}",
                finished.map(Finished::reason)
            );
        }
    }

    #[test]
    fn host_names_become_worker_ids() {
        assert_eq!(
            super::worker_id_from("build.example.com"),
            "build-example-com"
        );
        assert_eq!(super::worker_id_from("a_b-C9"), "a_b-C9");
        assert_eq!(super::worker_id_from(&"x".repeat(60)).len(), 38);
    }
}

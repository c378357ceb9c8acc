//! `TaskRun` (worker.md §13.2): validate → env → (mounts, caches, image) → start → live log
//! → maxRunTime → wait → artifacts → outcome. `tc run-local` and `tc worker` both go through
//! `run`, so a task behaves the same on a laptop and on a worker.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use serde::Serialize;
use serde_json::{Value, json};
use tokio::sync::watch;

use super::artifacts::{ArtifactSpec, LocalDir, Record};
use super::env::{self, EnvError, Layers};
use super::log::{LiveLog, Terminal};
use super::mask::Masker;
use super::mounting::{MountedCaches, mount_all};
use super::outcome::{Interrupt, Outcome, Resolution, RunEvents, TaskError, resolve};
use super::plan::{LogNames, Plan, log_name_problems, log_names, validate};
use crate::engine::docker::DockerOptions;
use crate::engine::{RunSpec, Sandbox};
use crate::error::chain;
use tc_taskdef::TaskDef;
use tc_taskdef::payload::Family;
use tc_taskdef::reltime::format_timestamp;

/// Which engine runs a task.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EngineChoice {
    /// docker-worker payloads on Docker, generic-worker payloads natively.
    Auto,
    Docker,
    Native,
}

/// How missing or refused artifacts change the outcome (worker.md §8.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MissingPolicy {
    /// docker-worker: never; generic-worker: unless the artifact is optional.
    Family,
    /// Any missing artifact fails the task.
    Fail,
    /// Never.
    Ignore,
}

/// Everything about a run that does not come from the task itself.
// The bools are independent command-line switches (--keep, --no-caches, …): a state machine
// or enums would only rename them.
#[allow(clippy::struct_excessive_bools)]
#[derive(Debug, Clone)]
pub struct RunOptions {
    pub engine: EngineChoice,
    pub missing: MissingPolicy,
    /// Overrides `maxRunTime`; `Some(0)` means no limit.
    pub max_run_time: Option<u64>,
    pub cache_root: PathBuf,
    pub keep: bool,
    /// Each cache is a fresh throwaway directory.
    pub no_caches: bool,
    /// A shell on this terminal instead of the commands; no maxRunTime.
    pub interactive: bool,
    pub root_url: String,
    /// `--env-file` then `--env` assignments, in command-line order.
    pub cli_env: Vec<(String, String)>,
    pub secrets: Vec<(String, String)>,
    pub allow_capabilities: bool,
    /// Where the live log is shown: stdout, stderr (with `--format json`), or nowhere (`tc
    /// worker`, whose logs go to the queue).
    pub terminal: Terminal,
    /// `tc worker --max-task-run-time`: a larger maxRunTime is a malformed payload.
    pub max_run_time_cap: Option<u64>,
    /// `[<name>] ` before each terminal line when several tasks run at once.
    pub prefix: Option<String>,
    /// `TC_LOCAL=1` for run-local; `tc worker` leaves it out.
    pub local: bool,
    /// The run was claimed from a queue (`tc worker`), which already checked scopes, ordered
    /// dependencies and kept the deadline: no warnings about those.
    pub claimed: bool,
    pub worker_group: String,
    /// `--develop` on the native engine: (path in the task dir, checkout) symlinks.
    pub links: Vec<(String, PathBuf)>,
    /// How the Docker engine pulls, networks and binds.
    pub docker: DockerOptions,
    /// The most one mount may write into the task dir, decompressed (`--max-mount-size`).
    pub max_mount_size: u64,
}

/// One task to run.
#[derive(Debug, Clone)]
pub struct Task {
    pub def: TaskDef,
    pub task_id: String,
    pub label: Option<String>,
}

/// The `--format json` summary (worker.md §11.3).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Summary {
    pub task_id: String,
    pub run_id: u32,
    pub label: Option<String>,
    pub family: Option<Family>,
    pub engine: Option<&'static str>,
    pub outcome: &'static str,
    pub reason: &'static str,
    pub exit_code: i32,
    pub task_exit_code: Option<i32>,
    pub started: String,
    pub resolved: String,
    pub duration_seconds: f64,
    pub image: Option<Value>,
    pub artifacts_dir: String,
    pub artifacts: Vec<Record>,
    pub warnings: Vec<String>,
    /// `warnings[late_warnings..]` came after the footer (kept directories, cleanup problems):
    /// in text mode they go to stderr, since the log is already closed.
    #[serde(skip)]
    pub late_warnings: usize,
    pub message: Option<String>,
    #[serde(skip)]
    pub outcome_kind: Option<Outcome>,
}

fn reserved_env(
    task: &Task,
    run_id: u32,
    opts: &RunOptions,
    family: Family,
    task_dir: Option<&str>,
) -> Vec<(String, String)> {
    let def = &task.def;
    let mut vars = vec![
        ("TASK_ID".to_owned(), task.task_id.clone()),
        ("RUN_ID".to_owned(), run_id.to_string()),
        (
            "TASK_GROUP_ID".to_owned(),
            def.task_group_id
                .clone()
                .unwrap_or_else(|| task.task_id.clone()),
        ),
        ("TASKCLUSTER_ROOT_URL".to_owned(), opts.root_url.clone()),
        (
            "TASKCLUSTER_WORKER_POOL".to_owned(),
            def.task_queue_id.clone(),
        ),
        (
            "TASKCLUSTER_WORKER_TYPE".to_owned(),
            def.worker_type().to_owned(),
        ),
        (
            "TASKCLUSTER_WORKER_GROUP".to_owned(),
            opts.worker_group.clone(),
        ),
    ];
    match family {
        Family::GenericWorker => {
            if let Some(dir) = task_dir {
                vars.push(("TASK_WORKDIR".to_owned(), dir.to_owned()));
            }
        }
        Family::DockerWorker => {
            vars.push(("TASKCLUSTER_INSTANCE_TYPE".to_owned(), "local".to_owned()));
            vars.push((
                "TASKCLUSTER_WORKER_LOCATION".to_owned(),
                r#"{"cloud":"local"}"#.to_owned(),
            ));
        }
    }
    if opts.local {
        vars.push(("TC_LOCAL".to_owned(), "1".to_owned()));
    }
    vars
}

fn native_base_env() -> Vec<(String, String)> {
    env::NATIVE_INHERITED
        .iter()
        .filter_map(|k| std::env::var(k).ok().map(|v| ((*k).to_owned(), v)))
        .collect()
}

fn human_size(bytes: u64) -> String {
    match bytes {
        b if b < 1024 => format!("{b} B"),
        b if b < 1024 * 1024 => format!("{:.1} KiB", b as f64 / 1024.0),
        b if b < 1024 * 1024 * 1024 => format!("{:.1} MiB", b as f64 / 1_048_576.0),
        b => format!("{:.2} GiB", b as f64 / 1_073_741_824.0),
    }
}

/// Runs one run of a task, writing its live log, artifacts and manifest into `sink`.
pub async fn run(
    task: &Task,
    run_id: u32,
    opts: &RunOptions,
    sink: &LocalDir,
    mut cancel: watch::Receiver<Option<Interrupt>>,
) -> Summary {
    let started = format_timestamp(Utc::now());
    let mut warnings: Vec<String> = Vec::new();
    let secret_values: Vec<String> = opts.secrets.iter().map(|(_, v)| v.clone()).collect();
    let mut log = LiveLog::new(
        Masker::new(&secret_values),
        opts.terminal,
        opts.prefix.clone(),
    );
    let mut events = RunEvents::default();

    // The log names come from the payload: they are checked like artifact names, and an
    // unsafe one is reported by validation instead of being written.
    let names = log_names(&task.def);
    let sink = &log_sink(sink, &names, &secret_values);
    events.before_start = save_log(sink, &names, &mut log).err();
    log.line(&format!(
        "Task: {} run {run_id} \"{}\"",
        task.task_id, task.def.metadata.name
    ));

    // A task still queued when the run was canceled never starts.
    if let (None, Some(why)) = (&events.before_start, *cancel.borrow()) {
        events.before_start = Some(TaskError::new(why.reason(), "stopped before it started"));
    }
    let plan = match events.before_start.clone() {
        Some(e) => Err(e),
        None => validate(task, opts, &mut warnings),
    };
    for w in &warnings {
        log.line(&format!("Warning: {w}"));
    }
    let mut ran = Ran::default();
    match plan {
        Err(e) => events.before_start = Some(e),
        Ok(plan) => {
            let mut stage = Stage {
                task,
                run_id,
                opts,
                sink,
                log: &mut log,
                events: &mut events,
                warnings: &mut warnings,
            };
            ran = stage.execute(&plan, &mut cancel).await;
        }
    }
    if let Some(err) = &events.before_start {
        log.line(&format!("Error: {}", err.message));
    }
    let canceled = *cancel.borrow();
    // A worker's shutdown that comes after the task exited does not undo its outcome.
    let finished_in_grace = canceled == Some(Interrupt::Shutdown) && events.exit_code.is_some();
    if events.interrupted.is_none() && !finished_in_grace {
        events.interrupted = canceled;
    }
    let resolution = resolve(&events);
    footer(&mut log, &ran, &events, &resolution);
    let saved_digest = log.finish_saved();
    drop(log);

    let late_warnings = warnings.len();
    if let Some(sb) = &ran.sandbox {
        warnings.extend(sb.cleanup(opts.keep, ran.purge).await);
    }

    // Everything saved or printed from here on is masked field by field.
    let masker = Masker::new(&secret_values);
    let message = resolution.message.as_deref().map(|m| masker.mask_str(m));
    let saved = saved_digest.map(|digest| (&names, digest, task.def.expires.as_str()));
    let records = manifest_records(ran.records, saved, &masker);
    let manifest = json!({
        "taskId": task.task_id, "runId": run_id,
        "family": ran.family.map(Family::as_str), "engine": ran.engine,
        "outcome": resolution.outcome.state(), "reason": resolution.outcome.reason(),
        "artifacts": records,
    });
    if let Err(e) = sink.write_manifest(&manifest) {
        warnings.push(chain(&e));
    }
    Summary {
        task_id: task.task_id.clone(),
        run_id,
        label: task.label.clone(),
        family: ran.family,
        engine: ran.engine,
        outcome: resolution.outcome.state(),
        reason: resolution.outcome.reason(),
        exit_code: resolution.exit_code,
        task_exit_code: task_exit_code(&events),
        started,
        resolved: format_timestamp(Utc::now()),
        duration_seconds: (ran.duration.as_secs_f64() * 1000.0).round() / 1000.0,
        image: ran.image,
        artifacts_dir: sink.root().display().to_string(),
        artifacts: records,
        warnings: warnings.iter().map(|w| masker.mask_str(w)).collect(),
        message,
        late_warnings,
        outcome_kind: Some(resolution.outcome),
    }
}

/// The manifest's entries: the artifacts and the log's two (with the saved log's size and
/// digest, and the task's expiry), in name order, masked.
fn manifest_records(
    mut records: Vec<Record>,
    saved: Option<(&LogNames, (u64, String), &str)>,
    masker: &Masker,
) -> Vec<Record> {
    if let Some((names, (size, sha), expires)) = saved {
        records.push(Record::file(
            &names.backing,
            size,
            sha,
            "text/plain; charset=utf-8".into(),
            expires,
        ));
        records.push(Record::link(&names.live, &names.backing));
    }
    records.sort_by(|a, b| a.name.cmp(&b.name));
    records.into_iter().map(|r| r.masked(masker)).collect()
}

/// The artifacts directory as this run writes into it: names with a secret masked, and the
/// live log's name kept for its link (when the log names are safe to write).
fn log_sink(sink: &LocalDir, names: &LogNames, secret_values: &[String]) -> LocalDir {
    let mut sink = sink.clone();
    sink.mask_names(Masker::new(secret_values));
    if log_name_problems(names).is_empty() {
        sink.reserve(&names.live);
    }
    sink
}

/// The saved log (`features.backingLog`), written as the live log goes.
fn save_log(sink: &LocalDir, names: &LogNames, log: &mut LiveLog) -> Result<(), TaskError> {
    if !names.save || !log_name_problems(names).is_empty() {
        return Ok(());
    }
    let file = sink
        .create(&names.backing)
        .map_err(|e| TaskError::internal(format!("cannot write the saved log: {}", chain(&e))))?;
    log.save_to(file);
    Ok(())
}

/// The task's own exit code, when it has one that is its own (not a maxRunTime kill, not a
/// cancellation).
fn task_exit_code(events: &RunEvents) -> Option<i32> {
    events
        .exit_code
        .filter(|_| !events.max_run_time_exceeded && events.interrupted.is_none())
}

/// What the stages after validation made.
#[derive(Default)]
struct Ran {
    family: Option<Family>,
    engine: Option<&'static str>,
    records: Vec<Record>,
    duration: Duration,
    sandbox: Option<Arc<dyn Sandbox>>,
    image: Option<Value>,
    /// `onExitStatus.purgeCaches` matched: the engine deletes its caches.
    purge: bool,
}

/// A validated run on its way: what the stages after validation share.
struct Stage<'a> {
    task: &'a Task,
    run_id: u32,
    opts: &'a RunOptions,
    sink: &'a LocalDir,
    log: &'a mut LiveLog,
    events: &'a mut RunEvents,
    warnings: &'a mut Vec<String>,
}

impl Stage<'_> {
    /// Stages 1–8: the engine line, prepare and start, supervise, artifacts, caches back.
    async fn execute(
        &mut self,
        plan: &Plan,
        cancel: &mut watch::Receiver<Option<Interrupt>>,
    ) -> Ran {
        let mut ran = Ran {
            family: Some(plan.family),
            engine: Some(plan.engine.name()),
            ..Ran::default()
        };
        self.events
            .retry_codes
            .clone_from(&plan.on_exit_status.retry);
        let more = plan
            .engine
            .describe()
            .map(|d| format!("  {d}"))
            .unwrap_or_default();
        self.log.line(&format!(
            "Worker pool: {}  Engine: {}{more}",
            self.task.def.task_queue_id,
            plan.engine.name()
        ));
        let started = self.start(plan, cancel).await;
        let (sb, stream, mounted) = match started {
            Ok(started) => started,
            Err(e) => {
                self.events.before_start = Some(e);
                return ran;
            }
        };
        ran.image = sb.image();
        ran.sandbox = Some(sb.clone());
        let (ev, took) = supervise(&sb, stream, plan, self.log, cancel).await;
        let events = &mut *self.events;
        events.exit_code = ev.exit_code;
        events.max_run_time_exceeded = ev.max_run_time_exceeded;
        events.interrupted = ev.interrupted;
        events.internal_error = ev.internal_error;
        ran.duration = took;
        if events.interrupted.is_none() && plan.copy_artifacts {
            ran.records = self.copy_artifacts(&sb, plan).await;
        }
        let events = &mut *self.events;
        // A write failure of the machine's (disk full, <A> not writable) turns a task that
        // would complete into an internal error (row 13).
        if let Some(failure) = self.sink.io_failure()
            && events.exit_code == Some(0)
            && !events.max_run_time_exceeded
        {
            events.internal_error = Some(format!("cannot store the artifacts: {failure}"));
        }
        // Caches leave the task dir before it is removed; purgeCaches deletes them.
        // maxRunTime aborts and cancellations have no exit code to match.
        ran.purge = events.interrupted.is_none()
            && !events.max_run_time_exceeded
            && events
                .exit_code
                .is_some_and(|c| plan.on_exit_status.purge_caches.contains(&c));
        self.warnings.extend(mounted.release(ran.purge));
        ran
    }

    /// Stage 7: every artifact out of the sandbox; the failing ones are noted for the outcome.
    async fn copy_artifacts(&mut self, sb: &Arc<dyn Sandbox>, plan: &Plan) -> Vec<Record> {
        let mut records = Vec::new();
        for spec in &plan.artifacts {
            records.extend(sb.extract(spec, self.sink).await);
        }
        for name in self.sink.masked_names() {
            let w = format!(
                "artifact {name}: its path holds a secret value, so it is stored under this masked name"
            );
            self.log.line(&format!("Warning: {w}"));
            self.warnings.push(w);
        }
        self.events.failing_artifacts = records
            .iter()
            .filter(|r| counts_as_failure(r, plan.family, self.opts.missing))
            .map(failing_artifact)
            .collect();
        records
    }
}

/// The log's footer: the artifacts, the exit code, the duration and the outcome.
fn footer(log: &mut LiveLog, ran: &Ran, events: &RunEvents, resolution: &Resolution) {
    log.line("=== Task Finished ===");
    for r in &ran.records {
        if r.is_error() {
            log.line(&format!(
                "Artifact error {}: {}: {}",
                r.name,
                r.reason.as_deref().unwrap_or_default(),
                r.message.as_deref().unwrap_or_default()
            ));
        } else {
            log.line(&format!(
                "Artifact {} ({})",
                r.name,
                human_size(r.size.unwrap_or(0))
            ));
        }
    }
    let exit_shown = task_exit_code(events).map_or_else(|| "none".to_owned(), |c| c.to_string());
    // "Exit code: 0 ... Outcome: failed" says why: only failing artifacts give that pair.
    let why_failed = match (&resolution.outcome, &resolution.message) {
        (Outcome::Failed, Some(m)) => format!(" ({m})"),
        _ => String::new(),
    };
    log.line(&format!(
        "Exit code: {exit_shown}  Duration: {:.3}s  Outcome: {}{why_failed}",
        ran.duration.as_secs_f64(),
        resolution.outcome.describe()
    ));
    log.flush();
}

fn counts_as_failure(r: &Record, family: Family, policy: MissingPolicy) -> bool {
    if !r.is_error() {
        return false;
    }
    match policy {
        MissingPolicy::Ignore => false,
        MissingPolicy::Fail => true,
        MissingPolicy::Family => family == Family::GenericWorker && r.optional != Some(true),
    }
}

/// `<name> missing` or `<name> invalid`, for the outcome's explanation.
fn failing_artifact(r: &Record) -> String {
    let what = match r.reason.as_deref() {
        Some(super::artifacts::MISSING) => "missing",
        _ => "invalid",
    };
    format!("{} {what}", r.name)
}

/// The live log's line for `--interactive`: the shell itself is not recorded.
const INTERACTIVE_BANNER: &str =
    "Interactive shell (not recorded): `exec-task` runs the task's commands; `exit` ends the task";

impl Stage<'_> {
    /// Stages 1 and 4: the environment, then prepare and start, with the header just before.
    async fn start(
        &mut self,
        plan: &Plan,
        cancel: &watch::Receiver<Option<Interrupt>>,
    ) -> Result<(Arc<dyn Sandbox>, crate::engine::LogStream, MountedCaches), TaskError> {
        let opts = self.opts;
        let (mut spec, notes) = self.run_spec(plan)?;
        plan.engine.preflight().await?;
        let prepared = prepare(plan, &mut spec, notes, self.log, cancel).await?;
        let sandbox: Arc<dyn Sandbox> = Arc::from(prepared);
        let mounted = match mount_all(
            &plan.mounts,
            &spec.task_dir,
            &opts.cache_root,
            &opts.root_url,
            opts.no_caches,
            opts.max_mount_size,
            cancel,
        )
        .await
        {
            Ok(m) => m,
            Err(e) => {
                sandbox.cleanup(opts.keep, false).await;
                return Err(e);
            }
        };
        for (inside, checkout) in &opts.links {
            if let Err(e) = link_checkout(&spec.task_dir, inside, checkout) {
                mounted.release(false);
                sandbox.cleanup(opts.keep, false).await;
                return Err(e);
            }
        }
        for line in sandbox.describe() {
            self.log.line(&line);
        }
        self.log
            .line(&format!("Started: {}", format_timestamp(Utc::now())));
        self.log.line("=== Task Starting ===");
        if spec.interactive {
            // Written before the engine starts: the shell's prompt must come after it.
            self.log.line(INTERACTIVE_BANNER);
        }
        match sandbox.start().await {
            Ok(stream) => Ok((sandbox, stream, mounted)),
            Err(e) => {
                mounted.release(false);
                sandbox.cleanup(opts.keep, false).await;
                Err(e)
            }
        }
    }

    /// Stage 1: the environment composed, and what the engine runs; the receiver gets the
    /// engine's notes while it prepares.
    fn run_spec(&mut self, plan: &Plan) -> Result<(RunSpec, Notes), TaskError> {
        let (task, opts, run_id) = (self.task, self.opts, self.run_id);
        let native = plan.family == Family::GenericWorker;
        let task_dir = if native {
            crate::engine::native::task_dir(&opts.cache_root, &task.task_id, run_id)
        } else {
            PathBuf::new()
        };
        let dir_text = task_dir.display().to_string();
        let composed = env::compose(Layers {
            // The Docker engine's base is the image's own Env, which the daemon applies.
            base: if native {
                native_base_env()
            } else {
                Vec::new()
            },
            payload: Some(&plan.env),
            cli: opts.cli_env.clone(),
            secrets: opts.secrets.clone(),
            reserved: reserved_env(task, run_id, opts, plan.family, Some(&dir_text)),
        })
        .map_err(|e| env_problem(&e))?;
        for w in &composed.warnings {
            self.log.line(&format!("Warning: {w}"));
        }
        self.warnings.extend(composed.warnings.iter().cloned());
        let (notes_tx, notes) = tokio::sync::mpsc::unbounded_channel();
        let spec = RunSpec {
            task_id: task.task_id.clone(),
            run_id,
            family: plan.family,
            commands: plan.commands.clone(),
            env: composed.vars,
            task_dir,
            interactive: opts.interactive,
            docker: plan.docker.clone(),
            notes: Some(notes_tx),
        };
        Ok((spec, notes))
    }
}

/// The engine's notes while it prepares a run (pulls, builds).
type Notes = tokio::sync::mpsc::UnboundedReceiver<String>;

/// Stage 4's preparation, which can take minutes (pulls, builds): its notes reach the log as
/// they come, and a cancellation stops it (whatever it had made goes).
async fn prepare(
    plan: &Plan,
    spec: &mut RunSpec,
    mut notes: Notes,
    log: &mut LiveLog,
    cancel: &watch::Receiver<Option<Interrupt>>,
) -> Result<Box<dyn Sandbox>, TaskError> {
    let mut canceled = cancel.clone();
    let prepared = {
        let prepare = plan.engine.prepare(spec);
        tokio::pin!(prepare);
        loop {
            tokio::select! {
                done = &mut prepare => break done,
                Some(line) = notes.recv() => log.raw_line(&line),
                _ = canceled.wait_for(Option::is_some) => {
                    break Err(TaskError::new(super::outcome::Reason::Canceled, "canceled while preparing the run"));
                }
            }
        }
    };
    if prepared
        .as_ref()
        .err()
        .is_some_and(|e| e.reason == super::outcome::Reason::Canceled)
    {
        // The preparation stopped half-way: whatever it had made goes.
        plan.engine.abandon(spec).await;
    }
    // The sender goes, so the last notes can be read to the end.
    spec.notes = None;
    while let Ok(line) = notes.try_recv() {
        log.raw_line(&line);
    }
    prepared
}

/// `--develop` natively: the checkout appears at `inside` (relative to the task dir) as a
/// symlink, its parents made inside the task dir.
fn link_checkout(
    task_dir: &std::path::Path,
    inside: &str,
    checkout: &std::path::Path,
) -> Result<(), TaskError> {
    let rel = std::path::Path::new(inside);
    let safe = rel
        .components()
        .all(|c| matches!(c, std::path::Component::Normal(_)));
    if !safe {
        return Err(TaskError::malformed(format!(
            "--develop: the checkout path {inside} must be relative to the task directory, without `..`"
        )));
    }
    let at = task_dir.join(rel);
    let made = at
        .parent()
        .map_or(Ok(()), std::fs::create_dir_all)
        .and_then(|()| std::os::unix::fs::symlink(checkout, &at));
    made.map_err(|e| TaskError::internal(format!("--develop: cannot link {}: {e}", at.display())))
}

/// An environment that cannot be composed is the payload's (or the command line's) fault.
fn env_problem(e: &EnvError) -> TaskError {
    TaskError::malformed(e.to_string())
}

/// What happened between start and exit.
#[derive(Default)]
struct Supervised {
    exit_code: Option<i32>,
    max_run_time_exceeded: bool,
    interrupted: Option<Interrupt>,
    internal_error: Option<String>,
}

/// The grace between SIGTERM and SIGKILL (worker.md §7.1).
const GRACE: Duration = Duration::from_secs(5);

/// Stages 5–7: forward the log, enforce maxRunTime, watch for cancellation, wait for exit.
/// Termination runs alongside, so the log keeps moving while the task gets its grace period,
/// and it is seen through to its SIGKILL before returning.
async fn supervise(
    sandbox: &Arc<dyn Sandbox>,
    mut stream: crate::engine::LogStream,
    plan: &Plan,
    log: &mut LiveLog,
    cancel: &mut watch::Receiver<Option<Interrupt>>,
) -> (Supervised, Duration) {
    let began = Instant::now();
    // A maxRunTime too large to represent is no limit.
    let deadline = plan
        .max_run_time
        .and_then(|d| tokio::time::Instant::now().checked_add(d));
    let mut out = Supervised::default();
    let mut terminating: Option<tokio::task::JoinHandle<()>> = None;
    let mut cancel_open = true;
    let terminate = |sb: &Arc<dyn Sandbox>| {
        let sb = sb.clone();
        Some(tokio::spawn(async move { sb.terminate(GRACE).await }))
    };
    let exit = loop {
        tokio::select! {
            chunk = stream.recv() => {
                if let Some(bytes) = chunk {
                    log.output(bytes);
                }
            }
            code = sandbox.wait() => break code,
            () = async { tokio::time::sleep_until(deadline.unwrap_or_else(tokio::time::Instant::now)).await },
                if deadline.is_some() && terminating.is_none() => {
                out.max_run_time_exceeded = true;
                let secs = plan.max_run_time.map_or(0, |d| d.as_secs());
                log.line(&format!("Task aborted: maxRunTime of {secs} seconds exceeded"));
                terminating = terminate(sandbox);
            }
            () = tokio::time::sleep(Duration::from_millis(500)), if log.has_partial_line() => {
                log.flush_partial_line();
            }
            changed = cancel.changed(), if cancel_open && out.interrupted.is_none() => {
                cancel_open = changed.is_ok();
                let signal = *cancel.borrow();
                if let (Ok(()), Some(signal)) = (changed, signal) {
                    out.interrupted = Some(signal);
                    log.line(signal.log_line());
                    if terminating.is_none() {
                        terminating = terminate(sandbox);
                    }
                }
            }
        }
    };
    let took = began.elapsed();
    if let Some(handle) = terminating {
        let _ = handle.await;
    }
    // Everything the task wrote before it exited is already in the stream.
    while let Ok(bytes) = stream.try_recv() {
        log.output(bytes);
    }
    match exit {
        Ok(code) => out.exit_code = Some(code),
        Err(e) => out.internal_error = Some(e.message),
    }
    (out, took)
}

/// What `--script` and `--dry-run` show: the same validation and environment as a run,
/// without running.
pub struct StaticPlan {
    pub family: Family,
    pub commands: Vec<Vec<String>>,
    pub mounts: Vec<super::mounts::Mount>,
    /// docker-worker image, caches and capabilities.
    pub docker: Option<crate::engine::docker::DockerTask>,
    /// docker-worker `features.artifacts`.
    pub copy_artifacts: bool,
    pub purge_codes: Vec<i32>,
    /// Payload `env`, then `--env-file`/`--env`, in order (the last of a name wins).
    pub literal_env: Vec<(String, String)>,
    /// Reserved variables, `TASK_WORKDIR` included (the script substitutes its own).
    pub reserved_env: Vec<(String, String)>,
    pub artifacts: Vec<ArtifactSpec>,
    pub retry_codes: Vec<i32>,
    /// Effective maxRunTime in seconds; 0 = no limit.
    pub max_run_time: u64,
    pub live_log: String,
    pub backing_log: String,
    /// `features.backingLog`: whether there is a saved log at all.
    pub save_log: bool,
    pub warnings: Vec<String>,
}

pub fn static_plan(task: &Task, opts: &RunOptions) -> Result<StaticPlan, TaskError> {
    let mut warnings = Vec::new();
    let plan = validate(task, opts, &mut warnings)?;
    let composed = env::compose(Layers {
        base: Vec::new(),
        payload: Some(&plan.env),
        cli: opts.cli_env.clone(),
        secrets: opts.secrets.clone(),
        reserved: Vec::new(),
    })
    .map_err(|e| env_problem(&e))?;
    warnings.extend(composed.warnings);
    let mut literal_env: Vec<(String, String)> = plan
        .env
        .iter()
        .filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_owned())))
        .filter(|(k, _)| !env::RESERVED.contains(&k.as_str()))
        .collect();
    literal_env.extend(opts.cli_env.iter().cloned());
    let names = log_names(&task.def);
    Ok(StaticPlan {
        family: plan.family,
        commands: plan.commands.clone(),
        mounts: plan.mounts.clone(),
        docker: plan.docker.clone(),
        copy_artifacts: plan.copy_artifacts,
        purge_codes: plan.on_exit_status.purge_caches.clone(),
        literal_env,
        reserved_env: reserved_env(task, 0, opts, plan.family, Some("")),
        artifacts: plan.artifacts,
        retry_codes: plan.on_exit_status.retry.clone(),
        max_run_time: plan.max_run_time.map_or(0, |d| d.as_secs()),
        live_log: names.live,
        backing_log: names.backing,
        save_log: names.save,
        warnings,
    })
}

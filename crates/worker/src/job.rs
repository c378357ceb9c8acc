//! One claimed run (queue-api.md §9): the reclaimer and the log uploader beside the task-run
//! core, then the artifacts and the report, all with the claim's credentials.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use tokio::sync::{OwnedSemaphorePermit, watch};

use super::error::{ClaimError, DefinitionError};
use super::upload;
use super::{Ctx, Ending, Event, Finished, Stop};
use tc_api::encode;
use tc_api::states::{ReasonResolved, Resolution};
use tc_client::{Client, Credentials, api_error};
use tc_run::artifacts::LocalDir;
use tc_run::outcome::{Interrupt, Outcome, Reason};
use tc_run::plan::{LogNames, log_name_problems, log_names};
use tc_run::taskrun::{self, Summary, Task};
use tc_taskdef::TaskDef;
use tc_taskdef::reltime::parse_timestamp;

/// The backing log is re-uploaded this often while it changes...
const LOG_EVERY: Duration = Duration::from_secs(10);
/// ...until it grows past this.
const LOG_MAX: u64 = 50 * 1024 * 1024;

/// A claim as claimWork gives it.
struct Claim {
    task_id: String,
    run_id: u32,
    task: Value,
    taken_until: DateTime<Utc>,
    credentials: Credentials,
}

fn parse_claim(v: &Value) -> Result<Claim, ClaimError> {
    let s = |p: &str| v.pointer(p).and_then(Value::as_str);
    let task_id = s("/status/taskId")
        .ok_or(ClaimError::Missing("status.taskId"))?
        .to_owned();
    let run_id = run_id_of(v).ok_or(ClaimError::Missing("runId"))?;
    let taken_until = s("/takenUntil").ok_or(ClaimError::Missing("takenUntil"))?;
    let taken_until = parse_timestamp(taken_until).map_err(ClaimError::TakenUntil)?;
    let credentials = credentials(&v["credentials"]).ok_or(ClaimError::Missing("credentials"))?;
    Ok(Claim {
        task_id,
        run_id,
        task: v["task"].clone(),
        taken_until,
        credentials,
    })
}

/// The claim's `runId` (the queue gives 0..1000).
fn run_id_of(claim: &Value) -> Option<u32> {
    claim["runId"].as_u64().and_then(|r| u32::try_from(r).ok())
}

fn credentials(c: &Value) -> Option<Credentials> {
    Some(Credentials::new(
        c["clientId"].as_str()?,
        c["accessToken"].as_str()?,
        c["certificate"].as_str().map(str::to_owned),
    ))
}

/// What the pieces of one claimed run share: the claim's client (replaced after every
/// reclaim), and whether the queue took the run back (a reclaim 409).
struct Shared {
    client: Mutex<Client>,
    aborted: AtomicBool,
    /// Stops the task: `Aborted` after a 409, `Shutdown` when the grace period is over.
    cancel: watch::Sender<Option<Interrupt>>,
}

impl Shared {
    fn client(&self) -> Client {
        self.client
            .lock()
            .map_or_else(|p| p.into_inner().clone(), |c| c.clone())
    }

    fn aborted(&self) -> bool {
        self.aborted.load(Ordering::SeqCst)
    }

    /// The run is no longer ours: stop the task; nothing more is uploaded or reported.
    fn abort(&self) {
        self.aborted.store(true, Ordering::SeqCst);
        self.cancel.send_replace(Some(Interrupt::Aborted));
    }
}

/// Runs one claimed task to its report; the slot is given back at the end. A panic inside
/// the run still ends it (as internal-error), so `--once` never waits forever.
pub(super) async fn run(ctx: Arc<Ctx>, claim: Value, permit: OwnedSemaphorePermit) {
    let task_id = claim
        .pointer("/status/taskId")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let run_id = run_id_of(&claim).unwrap_or(0);
    let broken = |message: String| Finished {
        task_id: task_id.clone(),
        run_id,
        ending: Ending::Resolved(Resolution::Exception(ReasonResolved::InternalError)),
        message: Some(message),
        dir: None,
    };
    let finished = match parse_claim(&claim) {
        Ok(c) => match tokio::spawn(run_claim(ctx.clone(), c)).await {
            Ok(f) => f,
            Err(e) => {
                let message = format!("the run failed inside tc: {e}; its claim will expire");
                ctx.say(&format!("{task_id} run {run_id}: {message}"));
                broken(message)
            }
        },
        Err(e) => {
            let message = format!("a claim tc cannot read ({e}); it will expire");
            ctx.say(&message);
            broken(message)
        }
    };
    drop(permit);
    ctx.event(Event::Finished(finished.clone()));
    if ctx.cfg.once {
        let _ = ctx.done.send(finished);
    }
}

/// One claimed run as its steps see it.
struct ThisRun {
    ctx: Arc<Ctx>,
    shared: Arc<Shared>,
    task_id: String,
    run_id: u32,
}

impl ThisRun {
    /// A line about this run.
    fn say(&self, what: &str) {
        self.ctx
            .say(&format!("{} run {}: {what}", self.task_id, self.run_id));
    }

    fn finished(&self, ending: Ending, message: Option<String>, dir: Option<PathBuf>) -> Finished {
        Finished {
            task_id: self.task_id.clone(),
            run_id: self.run_id,
            ending,
            message,
            dir,
        }
    }

    /// An exception before the task could start: said, reported, and the run ends.
    async fn give_up(&self, reason: ReasonResolved, message: Option<String>) -> Finished {
        if let Some(m) = &message {
            self.say(m);
        }
        let how = Resolution::Exception(reason);
        self.report(how).await;
        self.finished(Ending::Resolved(how), message, None)
    }

    fn uploads(&self) -> upload::Run<'_> {
        upload::Run {
            http: &self.ctx.http,
            task_id: &self.task_id,
            id: self.run_id,
        }
    }

    /// reportCompleted, reportFailed or reportException; a 409 (already resolved) is only
    /// noted. A run the queue took back, or one canceled, is never reported.
    async fn report(&self, how: Resolution) {
        if self.shared.aborted() || how == Resolution::Exception(ReasonResolved::Canceled) {
            return;
        }
        let client = self.shared.client();
        let base = format!("task/{}/runs/{}", encode(&self.task_id), self.run_id);
        let (route, body) = match how {
            Resolution::Completed => (format!("{base}/completed"), None),
            Resolution::Failed => (format!("{base}/failed"), None),
            Resolution::Exception(reason) => {
                (format!("{base}/exception"), Some(json!({"reason": reason})))
            }
        };
        match client.call("POST", &route, body.as_ref()).await {
            Ok(a) if a.status == 200 => {}
            Ok(a) => self.say(&format!(
                "the report was refused (ignored): {}",
                api_error(&a)
            )),
            Err(e) => self.say(&format!("the report failed: {e}")),
        }
    }
}

// One claimed run from start to report, its helpers (reclaimer, log uploader) set up inline.
#[allow(clippy::too_many_lines)]
async fn run_claim(ctx: Arc<Ctx>, claim: Claim) -> Finished {
    let (cancel, cancel_rx) = watch::channel(None::<Interrupt>);
    let shared = Arc::new(Shared {
        client: Mutex::new(
            ctx.cfg
                .client
                .with_credentials(Some(claim.credentials.clone())),
        ),
        aborted: AtomicBool::new(false),
        cancel,
    });
    let this = ThisRun {
        ctx: ctx.clone(),
        shared: shared.clone(),
        task_id: claim.task_id.clone(),
        run_id: claim.run_id,
    };
    let (task_id, run_id) = (claim.task_id.clone(), claim.run_id);
    // A claim that arrives while the worker stops goes straight back to the queue.
    if ctx.stop.borrow().stopping() {
        return this.give_up(ReasonResolved::WorkerShutdown, None).await;
    }
    // The claim is kept alive from the start: everything below may take a while.
    let reclaimer = tokio::spawn(reclaim_loop(
        ctx.clone(),
        shared.clone(),
        task_id.clone(),
        run_id,
        claim.taken_until,
    ));
    let _stop_reclaiming = AbortOnDrop(reclaimer);
    let name = claim.task["metadata"]["name"].as_str().unwrap_or_default();
    ctx.say(&format!("{task_id} run {run_id} \"{name}\": claimed"));
    ctx.event(Event::Started {
        task_id: task_id.clone(),
        run_id,
    });
    let def = match read_definition(&claim.task) {
        Ok(def) => def,
        Err(problems) => {
            let message = format!("the task definition cannot be read:\n  {problems}");
            return this
                .give_up(ReasonResolved::MalformedPayload, Some(message))
                .await;
        }
    };
    // `prepare` empties a directory tc wrote before and refuses anything else.
    let dir = ctx.cfg.runs_dir.join(format!("{task_id}-{run_id}"));
    let sink = match LocalDir::prepare(&dir) {
        Ok(s) => s,
        Err(e) => {
            return this
                .give_up(
                    ReasonResolved::InternalError,
                    Some(tc_run::error::chain(&e)),
                )
                .await;
        }
    };
    let task = Task {
        def,
        task_id,
        label: None,
    };
    let names = log_names(&task.def);
    let logs_ok = names.save && log_name_problems(&names).is_empty();
    let summary = run_task(
        &this,
        &task,
        logs_ok.then_some(&names),
        &dir,
        &sink,
        cancel_rx,
    )
    .await;
    let keep = ctx.cfg.keep_runs.then(|| dir.clone());
    let remove_dir = || {
        if !ctx.cfg.keep_runs {
            let _ = std::fs::remove_dir_all(&dir);
        }
    };
    let upload_error = upload_artifacts(&this, &task, &summary, (&names, logs_ok), &dir).await;
    if shared.aborted() {
        this.say("the queue refused the reclaim (canceled, or the claim expired): stopped, nothing reported");
        remove_dir();
        return this.finished(Ending::Aborted, summary.message, keep);
    }
    let (how, message) = match upload_error {
        Some(e) => (
            Resolution::Exception(ReasonResolved::ResourceUnavailable),
            Some(format!(
                "an artifact could not be uploaded after 5 tries: {e}"
            )),
        ),
        None => (resolution_of(&summary), summary.message.clone()),
    };
    this.report(how).await;
    let (state, took) = (how.state(), summary.duration_seconds);
    let line = match &message {
        Some(m) if how != Resolution::Completed => {
            format!("{state} ({}) after {took:.1}s: {m}", how.reason())
        }
        _ => format!("{state} after {took:.1}s"),
    };
    this.say(&line);
    remove_dir();
    this.finished(Ending::Resolved(how), message, keep)
}

/// The task through the task-run core, with the live log linked and uploaded while it runs
/// (`logs`, when the task saves a valid one) and the worker's shutdown watched.
async fn run_task(
    this: &ThisRun,
    task: &Task,
    logs: Option<&LogNames>,
    dir: &Path,
    sink: &LocalDir,
    cancel: watch::Receiver<Option<Interrupt>>,
) -> Summary {
    let ctx = &this.ctx;
    let expires = &task.def.expires;
    if let Some(names) = logs {
        let link = json!({"storageType": "link", "artifact": names.backing, "expires": expires});
        let created = this
            .uploads()
            .create_only(&this.shared.client(), &names.live, link)
            .await;
        if let Err(e) = created {
            this.say(&format!("cannot create {}: {e}", names.live));
        }
    }
    let shutdown = AbortOnDrop(tokio::spawn(shutdown_watch(
        ctx.clone(),
        this.shared.clone(),
    )));
    let log_uploader = logs.map(|names| {
        AbortOnDrop(tokio::spawn(upload_log_while_running(
            ctx.clone(),
            this.shared.clone(),
            (this.task_id.clone(), this.run_id),
            dir.join(&names.backing),
            names.clone(),
            expires.clone(),
        )))
    });
    let mut opts = ctx.cfg.run.clone();
    opts.root_url = ctx.cfg.client.root_url.clone();
    opts.worker_group = ctx.cfg.worker_group.clone();
    opts.claimed = true;
    let summary = taskrun::run(task, this.run_id, &opts, sink, cancel).await;
    drop(shutdown);
    if let Some(uploader) = log_uploader {
        uploader.stop().await;
    }
    summary
}

/// The final log (when `logs_ok`), then every other artifact, before the report; a reclaim
/// 409 stops all. The first upload that failed after its tries, as `<name>: <why>`.
async fn upload_artifacts(
    this: &ThisRun,
    task: &Task,
    summary: &Summary,
    (names, logs_ok): (&LogNames, bool),
    dir: &Path,
) -> Option<String> {
    let expires = task.def.expires.as_str();
    let mut uploads = Vec::new();
    if logs_ok && dir.join(&names.backing).is_file() {
        uploads.push(Upload::File {
            name: &names.backing,
            content_type: "text/plain; charset=utf-8",
            expires,
        });
    }
    for r in &summary.artifacts {
        if r.name == names.backing || r.name == names.live {
            continue;
        }
        match r.kind {
            "file" => uploads.push(Upload::File {
                name: &r.name,
                content_type: r
                    .content_type
                    .as_deref()
                    .unwrap_or("application/octet-stream"),
                expires: r.expires.as_deref().unwrap_or(expires),
            }),
            "error" => uploads.push(Upload::Error {
                name: &r.name,
                reason: r.reason.as_deref().unwrap_or_default(),
                message: r.message.as_deref().unwrap_or_default(),
            }),
            _ => {}
        }
    }
    let up = this.uploads();
    for u in uploads {
        if this.shared.aborted() {
            return None;
        }
        let client = this.shared.client();
        let (name, result) = match u {
            Upload::File {
                name,
                content_type,
                expires,
            } => (
                name,
                up.file(&client, name, &dir.join(name), content_type, expires)
                    .await,
            ),
            Upload::Error {
                name,
                reason,
                message,
            } => {
                let body = json!({
                    "storageType": "error",
                    "reason": reason,
                    "message": message.chars().take(4096).collect::<String>(),
                    "expires": expires,
                });
                (name, up.create_only(&client, name, body).await)
            }
        };
        if let Err(e) = result {
            return Some(format!("{name}: {e}"));
        }
    }
    None
}

/// How the task-run core resolved the run.
fn resolution_of(summary: &Summary) -> Resolution {
    match summary.outcome_kind {
        Some(Outcome::Completed) => Resolution::Completed,
        Some(Outcome::Failed) => Resolution::Failed,
        Some(Outcome::Exception(reason)) => Resolution::Exception(match reason {
            Reason::MalformedPayload => ReasonResolved::MalformedPayload,
            Reason::ResourceUnavailable => ReasonResolved::ResourceUnavailable,
            Reason::InternalError => ReasonResolved::InternalError,
            Reason::IntermittentTask => ReasonResolved::IntermittentTask,
            Reason::Canceled => ReasonResolved::Canceled,
            Reason::WorkerShutdown => ReasonResolved::WorkerShutdown,
        }),
        // The core always says; a summary without an outcome is a bug in tc.
        None => Resolution::Exception(ReasonResolved::InternalError),
    }
}

/// One upload of the run's end.
enum Upload<'a> {
    File {
        name: &'a str,
        content_type: &'a str,
        expires: &'a str,
    },
    Error {
        name: &'a str,
        reason: &'a str,
        message: &'a str,
    },
}

/// Aborts a helper task when the run is done with it, however the run ends.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl AbortOnDrop {
    /// Aborts the task and waits until it has stopped.
    async fn stop(mut self) {
        self.0.abort();
        let _ = (&mut self.0).await;
    }
}

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// The claimed definition as a TaskDef (the queue stored a full one).
fn read_definition(task: &Value) -> Result<TaskDef, DefinitionError> {
    let Some(doc) = task.as_object() else {
        return Err(DefinitionError::NotAnObject);
    };
    let defaults = tc_taskdef::Defaults {
        now: Utc::now(),
        name: None,
        source_name: "claim".into(),
        source_tool: "tc-worker",
    };
    TaskDef::from_document(doc, &defaults).map_err(DefinitionError::Problems)
}

/// Reclaims at `takenUntil − min(180 s, (takenUntil − now) / 2)`, swapping in the new
/// credentials. A 409 aborts the run; other failures (an answer without new credentials
/// among them) are retried until the claim runs out, and then the run is aborted too.
async fn reclaim_loop(
    ctx: Arc<Ctx>,
    shared: Arc<Shared>,
    task_id: String,
    run_id: u32,
    mut taken_until: DateTime<Utc>,
) {
    let route = format!("task/{}/runs/{run_id}/reclaim", encode(&task_id));
    loop {
        let left = (taken_until - Utc::now()).to_std().unwrap_or_default();
        tokio::time::sleep(reclaim_after(left)).await;
        loop {
            let why = match shared.client().call("POST", &route, None).await {
                Ok(a) if a.status == 200 => {
                    let fresh = credentials(&a.body["credentials"]);
                    let until = a.body["takenUntil"]
                        .as_str()
                        .and_then(|t| parse_timestamp(t).ok());
                    if let (Some(c), Some(until)) = (fresh, until) {
                        if let Ok(mut slot) = shared.client.lock() {
                            *slot = ctx.cfg.client.with_credentials(Some(c));
                        }
                        taken_until = until;
                        break;
                    }
                    "the answer holds no new credentials or takenUntil".to_owned()
                }
                Ok(a) if a.status == 409 => {
                    shared.abort();
                    return;
                }
                Ok(a) => api_error(&a).to_string(),
                Err(e) => e.to_string(),
            };
            if Utc::now() >= taken_until {
                ctx.say(&format!(
                    "{task_id} run {run_id}: the claim ran out while reclaiming failed ({why}): stopped"
                ));
                shared.abort();
                return;
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    }
}

/// How long to wait before reclaiming a claim that has `left` to run: until
/// `takenUntil − min(180 s, left / 2)`.
fn reclaim_after(left: Duration) -> Duration {
    left.saturating_sub((left / 2).min(Duration::from_secs(180)))
}

/// When the worker drains, the run gets the grace period to finish; then (or at a second
/// signal) it is stopped as worker-shutdown, unless the queue already took it back.
async fn shutdown_watch(ctx: Arc<Ctx>, shared: Arc<Shared>) {
    let mut stop = ctx.stop.clone();
    if stop.wait_for(|s| s.stopping()).await.is_err() {
        return;
    }
    tokio::select! {
        () = tokio::time::sleep(ctx.cfg.shutdown_grace) => {}
        _ = stop.wait_for(|s| matches!(s, Stop::Now(_))) => {}
    }
    shared.cancel.send_if_modified(|now| {
        let first = now.is_none();
        if first {
            *now = Some(Interrupt::Shutdown);
        }
        first
    });
}

/// Uploads the backing log soon after the start and then every 10 s while it changes, so
/// the live log can be followed while the task runs; never after a reclaim 409.
async fn upload_log_while_running(
    ctx: Arc<Ctx>,
    shared: Arc<Shared>,
    (task_id, run_id): (String, u32),
    path: PathBuf,
    names: LogNames,
    expires: String,
) {
    let up = upload::Run {
        http: &ctx.http,
        task_id: &task_id,
        id: run_id,
    };
    let mut sent = None;
    tokio::time::sleep(Duration::from_secs(1)).await;
    while !shared.aborted() {
        let size = size_of(&path);
        if size.is_some() && size != sent && size <= Some(LOG_MAX) {
            let ok = up
                .file(
                    &shared.client(),
                    &names.backing,
                    &path,
                    "text/plain; charset=utf-8",
                    &expires,
                )
                .await;
            if ok.is_ok() {
                sent = size;
            }
        }
        tokio::time::sleep(LOG_EVERY).await;
    }
}

fn size_of(path: &Path) -> Option<u64> {
    std::fs::metadata(path).ok().map(|m| m.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reclaims_three_minutes_early_or_halfway_for_short_claims() {
        let s = Duration::from_secs;
        assert_eq!(reclaim_after(s(1200)), s(1020));
        assert_eq!(reclaim_after(s(360)), s(180));
        assert_eq!(reclaim_after(s(4)), s(2));
        assert_eq!(reclaim_after(Duration::ZERO), Duration::ZERO);
    }

    #[test]
    fn a_claim_is_read_with_its_credentials() {
        let v = serde_json::json!({
            "status": {"taskId": "fN1SbArXTPSVFNUvaOlinQ"}, "runId": 2,
            "takenUntil": "2026-11-26T12:00:00.000Z", "task": {"payload": {}},
            "credentials": {"clientId": "task-client/x", "accessToken": "t", "certificate": "{}"},
        });
        let c = parse_claim(&v).unwrap();
        assert_eq!(
            (c.task_id.as_str(), c.run_id),
            ("fN1SbArXTPSVFNUvaOlinQ", 2)
        );
        assert_eq!(c.credentials.client_id, "task-client/x");
        let mut broken = v.clone();
        broken["credentials"] = Value::Null;
        assert!(parse_claim(&broken).is_err());
    }
}

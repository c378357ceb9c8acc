//! One claimed run (queue-api.md §9): the reclaimer and the log uploader beside the task-run
//! core, then the artifacts and the report, all with the claim's credentials.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use tokio::sync::{OwnedSemaphorePermit, watch};

use super::upload;
use super::{Ctx, Event, Finished, Stop};
use crate::queue::client::{Client, Credentials, api_error, encode};
use crate::run::artifacts::LocalDir;
use crate::run::outcome::Interrupt;
use crate::run::plan::{LogNames, log_name_problems, log_names};
use crate::run::taskrun::{self, Task};
use crate::taskdef::TaskDef;
use crate::taskdef::reltime::parse_timestamp;

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

fn parse_claim(v: &Value) -> Result<Claim, String> {
    let s = |p: &str| v.pointer(p).and_then(Value::as_str);
    let task_id = s("/status/taskId").ok_or("no status.taskId")?.to_owned();
    let run_id = v["runId"].as_u64().ok_or("no runId")? as u32;
    let taken_until = parse_timestamp(s("/takenUntil").ok_or("no takenUntil")?)?;
    let credentials = credentials(&v["credentials"]).ok_or("no credentials")?;
    Ok(Claim {
        task_id,
        run_id,
        task: v["task"].clone(),
        taken_until,
        credentials,
    })
}

fn credentials(c: &Value) -> Option<Credentials> {
    Some(Credentials::new(
        c["clientId"].as_str()?,
        c["accessToken"].as_str()?,
        c["certificate"].as_str().map(str::to_owned),
    ))
}

/// The claim's client, replaced after every reclaim.
type Current = Arc<Mutex<Client>>;

fn current(c: &Current) -> Client {
    c.lock()
        .map(|c| c.clone())
        .unwrap_or_else(|p| p.into_inner().clone())
}

/// Runs one claimed task to its report; the slot is given back at the end.
pub(super) async fn run(ctx: Arc<Ctx>, claim: Value, permit: OwnedSemaphorePermit) {
    let finished = match parse_claim(&claim) {
        Ok(c) => run_claim(&ctx, c).await,
        Err(e) => {
            let message = format!("a claim tc cannot read ({e}); it will expire");
            ctx.say(&message);
            Finished {
                task_id: claim
                    .pointer("/status/taskId")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned(),
                run_id: 0,
                state: "exception",
                reason: "internal-error",
                message: Some(message),
                dir: None,
            }
        }
    };
    drop(permit);
    ctx.event(Event::Finished(finished.clone()));
    let _ = ctx.done.send(finished);
}

async fn run_claim(ctx: &Arc<Ctx>, claim: Claim) -> Finished {
    let (task_id, run_id) = (claim.task_id.clone(), claim.run_id);
    let client: Current = Arc::new(Mutex::new(
        ctx.cfg
            .client
            .with_credentials(Some(claim.credentials.clone())),
    ));
    let name = claim.task["metadata"]["name"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let finish = |state, reason, message: Option<String>, dir: Option<PathBuf>| Finished {
        task_id: task_id.clone(),
        run_id,
        state,
        reason,
        message,
        dir,
    };
    // A claim that arrives while the worker stops goes straight back to the queue.
    if ctx.stop.borrow().stopping() {
        report(
            ctx,
            &current(&client),
            &task_id,
            run_id,
            "exception",
            "worker-shutdown",
        )
        .await;
        return finish("exception", "worker-shutdown", None, None);
    }
    ctx.say(&format!("{task_id} run {run_id} \"{name}\": claimed"));
    ctx.event(Event::Started {
        task_id: task_id.clone(),
        run_id,
    });
    let def = match read_definition(&claim.task) {
        Ok(def) => def,
        Err(problems) => {
            let message = format!("the task definition cannot be read:\n  {problems}");
            ctx.say(&format!("{task_id} run {run_id}: {message}"));
            report(
                ctx,
                &current(&client),
                &task_id,
                run_id,
                "exception",
                "malformed-payload",
            )
            .await;
            return finish("exception", "malformed-payload", Some(message), None);
        }
    };
    let dir = ctx.cfg.runs_dir.join(format!("{task_id}-{run_id}"));
    let _ = std::fs::remove_dir_all(&dir);
    let sink = match LocalDir::prepare(&dir) {
        Ok(s) => s,
        Err(e) => {
            report(
                ctx,
                &current(&client),
                &task_id,
                run_id,
                "exception",
                "internal-error",
            )
            .await;
            return finish("exception", "internal-error", Some(e), None);
        }
    };
    let names = log_names(&def);
    let logs_ok = names.save && log_name_problems(&names).is_empty();
    let up = upload::Run {
        http: &ctx.http,
        task_id: &task_id,
        run_id,
    };
    if logs_ok {
        let link =
            json!({"storageType": "link", "artifact": names.backing, "expires": def.expires});
        if let Err(e) = up.create_only(&current(&client), &names.live, link).await {
            ctx.say(&format!(
                "{task_id} run {run_id}: cannot create {}: {e}",
                names.live
            ));
        }
    }

    let (cancel_tx, cancel_rx) = watch::channel(None::<Interrupt>);
    let cancel_tx = Arc::new(cancel_tx);
    let reclaimer = tokio::spawn(reclaim_loop(
        ctx.clone(),
        client.clone(),
        task_id.clone(),
        run_id,
        claim.taken_until,
        cancel_tx.clone(),
    ));
    let shutdown = tokio::spawn(shutdown_watch(ctx.clone(), cancel_tx.clone()));
    let log_path = dir.join(&names.backing);
    let log_uploader = logs_ok.then(|| {
        tokio::spawn(upload_log_while_running(
            ctx.clone(),
            client.clone(),
            (task_id.clone(), run_id),
            log_path.clone(),
            names.clone(),
            def.expires.clone(),
            cancel_rx.clone(),
        ))
    });

    let task = Task {
        def,
        task_id: task_id.clone(),
        label: None,
    };
    let mut opts = ctx.cfg.run.clone();
    opts.root_url = ctx.cfg.client.root_url.clone();
    opts.worker_group = ctx.cfg.worker_group.clone();
    opts.claimed = true;
    let summary = taskrun::run(&task, run_id, &opts, &sink, cancel_rx.clone()).await;
    shutdown.abort();
    if let Some(h) = log_uploader {
        h.abort();
        let _ = h.await;
    }
    let aborted = *cancel_rx.borrow() == Some(Interrupt::Aborted);
    let keep = ctx.cfg.keep_runs.then(|| dir.clone());
    if aborted {
        reclaimer.abort();
        ctx.say(&format!(
            "{task_id} run {run_id}: the queue refused the reclaim (canceled, or the claim expired): stopped, nothing reported"
        ));
        if !ctx.cfg.keep_runs {
            let _ = std::fs::remove_dir_all(&dir);
        }
        return finish("aborted", "canceled", summary.message, keep);
    }

    // The final log, then every other artifact, before the report.
    let uploading = current(&client);
    let mut upload_error = None;
    if logs_ok && log_path.is_file() {
        if let Err(e) = up
            .file(
                &uploading,
                &names.backing,
                &log_path,
                "text/plain; charset=utf-8",
                &task.def.expires,
            )
            .await
        {
            upload_error = Some(format!("{}: {e}", names.backing));
        }
    }
    for r in &summary.artifacts {
        if upload_error.is_some() {
            break;
        }
        if r.name == names.backing || r.name == names.live {
            continue;
        }
        let client = current(&client);
        let result = match r.kind {
            "file" => {
                up.file(
                    &client,
                    &r.name,
                    &dir.join(&r.name),
                    r.content_type
                        .as_deref()
                        .unwrap_or("application/octet-stream"),
                    r.expires.as_deref().unwrap_or(&task.def.expires),
                )
                .await
            }
            "error" => {
                let body = json!({
                    "storageType": "error",
                    "reason": r.reason,
                    "message": r.message.as_deref().unwrap_or_default().chars().take(4096).collect::<String>(),
                    "expires": task.def.expires,
                });
                up.create_only(&client, &r.name, body).await
            }
            _ => Ok(()),
        };
        if let Err(e) = result {
            upload_error = Some(format!("{}: {e}", r.name));
        }
    }
    let (state, reason, message) = match upload_error {
        Some(e) => (
            "exception",
            "resource-unavailable",
            Some(format!(
                "an artifact could not be uploaded after 5 tries: {e}"
            )),
        ),
        None => (summary.outcome, summary.reason, summary.message.clone()),
    };
    if *cancel_rx.borrow() == Some(Interrupt::Aborted) {
        reclaimer.abort();
        return finish("aborted", "canceled", message, keep);
    }
    report(ctx, &current(&client), &task_id, run_id, state, reason).await;
    reclaimer.abort();
    let took = summary.duration_seconds;
    match &message {
        Some(m) if state != "completed" => ctx.say(&format!(
            "{task_id} run {run_id}: {state} ({reason}) after {took:.1}s: {m}"
        )),
        _ => ctx.say(&format!("{task_id} run {run_id}: {state} after {took:.1}s")),
    }
    if !ctx.cfg.keep_runs {
        let _ = std::fs::remove_dir_all(&dir);
    }
    finish(state, reason, message, keep)
}

/// The claimed definition as a TaskDef (the queue stored a full one).
fn read_definition(task: &Value) -> Result<TaskDef, String> {
    let Some(doc) = task.as_object() else {
        return Err("the claim holds no task definition".into());
    };
    let defaults = crate::taskdef::Defaults {
        now: Utc::now(),
        name: None,
        source_name: "claim".into(),
        source_tool: "tc-worker",
    };
    TaskDef::from_document(doc, &defaults).map_err(|p| p.join("\n  "))
}

/// reportCompleted, reportFailed or reportException; a 409 (already resolved) is only noted.
async fn report(ctx: &Ctx, client: &Client, task_id: &str, run_id: u32, state: &str, reason: &str) {
    let base = format!("task/{}/runs/{run_id}", encode(task_id));
    let (route, body) = match state {
        "completed" => (format!("{base}/completed"), None),
        "failed" => (format!("{base}/failed"), None),
        _ => (format!("{base}/exception"), Some(json!({"reason": reason}))),
    };
    match client.call("POST", &route, body.as_ref()).await {
        Ok(a) if a.status == 200 => {}
        Ok(a) => ctx.say(&format!(
            "{task_id} run {run_id}: the report was refused (ignored): {}",
            api_error(&a)
        )),
        Err(e) => ctx.say(&format!("{task_id} run {run_id}: the report failed: {e}")),
    }
}

/// Reclaims at `takenUntil − min(180 s, (takenUntil − now) / 2)`, swapping in the new
/// credentials. A 409 aborts the run; other failures are retried until the claim runs out,
/// and then the run is aborted too.
async fn reclaim_loop(
    ctx: Arc<Ctx>,
    client: Current,
    task_id: String,
    run_id: u32,
    mut taken_until: DateTime<Utc>,
    cancel: Arc<watch::Sender<Option<Interrupt>>>,
) {
    let route = format!("task/{}/runs/{run_id}/reclaim", encode(&task_id));
    loop {
        let left = (taken_until - Utc::now()).to_std().unwrap_or_default();
        let wait = left.saturating_sub((left / 2).min(Duration::from_secs(180)));
        tokio::time::sleep(wait).await;
        loop {
            let answer = current(&client).call("POST", &route, None).await;
            match answer {
                Ok(a) if a.status == 200 => {
                    let fresh = credentials(&a.body["credentials"]);
                    let until = a.body["takenUntil"]
                        .as_str()
                        .and_then(|t| parse_timestamp(t).ok());
                    if let (Some(c), Some(until)) = (fresh, until) {
                        if let Ok(mut slot) = client.lock() {
                            *slot = ctx.cfg.client.with_credentials(Some(c));
                        }
                        taken_until = until;
                    }
                    break;
                }
                Ok(a) if a.status == 409 => {
                    let _ = cancel.send(Some(Interrupt::Aborted));
                    return;
                }
                other => {
                    let why = match other {
                        Ok(a) => api_error(&a).to_string(),
                        Err(e) => e.to_string(),
                    };
                    if Utc::now() >= taken_until {
                        ctx.say(&format!(
                            "{task_id} run {run_id}: the claim ran out while reclaiming failed ({why}): stopped"
                        ));
                        let _ = cancel.send(Some(Interrupt::Aborted));
                        return;
                    }
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
        }
    }
}

/// When the worker drains, the run gets the grace period to finish; then (or at a second
/// signal) it is stopped as worker-shutdown.
async fn shutdown_watch(ctx: Arc<Ctx>, cancel: Arc<watch::Sender<Option<Interrupt>>>) {
    let mut stop = ctx.stop.clone();
    if stop.wait_for(|s| s.stopping()).await.is_err() {
        return;
    }
    tokio::select! {
        () = tokio::time::sleep(ctx.cfg.shutdown_grace) => {}
        _ = stop.wait_for(|s| matches!(s, Stop::Now(_))) => {}
    }
    let _ = cancel.send(Some(Interrupt::Shutdown));
}

/// Uploads the backing log at once and then every 10 s while it changes, so the live log
/// can be followed while the task runs.
async fn upload_log_while_running(
    ctx: Arc<Ctx>,
    client: Current,
    (task_id, run_id): (String, u32),
    path: PathBuf,
    names: LogNames,
    expires: String,
    cancel: watch::Receiver<Option<Interrupt>>,
) {
    let up = upload::Run {
        http: &ctx.http,
        task_id: &task_id,
        run_id,
    };
    let mut sent = None;
    // The first look comes soon after the start, so a follower sees the header quickly.
    tokio::time::sleep(Duration::from_secs(1)).await;
    // After a reclaim 409 the run is no longer ours: nothing more is uploaded.
    while *cancel.borrow() != Some(Interrupt::Aborted) {
        let size = size_of(&path);
        if size.is_some() && size != sent && size <= Some(LOG_MAX) {
            let ok = up
                .file(
                    &current(&client),
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

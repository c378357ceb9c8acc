//! Tasks, runs, dependencies and groups in the database (queue-api.md §3–§4): each function
//! is one step of the run state machine inside the caller's transaction.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};
use serde_json::{Map, Value, json};

use super::db::{Word, exec, page_rows, row, sql};
use super::error::ApiError;
use super::validate::{Checked, PRIORITIES};
use tc_api::states::{ReasonCreated, ReasonResolved, RunState, TaskState};
use tc_taskdef::reltime::format_timestamp;

pub use tc_api::states::Resolution;

/// Runs per task at most (§4.1).
pub const MAX_RUNS: i64 = 50;

fn ts(t: DateTime<Utc>) -> String {
    format_timestamp(t)
}

/// The stored definition of `task_id`.
pub fn definition(tx: &Connection, task_id: &str) -> Result<Option<Map<String, Value>>, ApiError> {
    let text: Option<String> = sql(tx
        .query_row(
            "SELECT definition FROM tasks WHERE task_id = ?1",
            [task_id],
            |r| r.get(0),
        )
        .optional())?;
    match text {
        None => Ok(None),
        Some(t) => match serde_json::from_str(&t) {
            Ok(Value::Object(m)) => Ok(Some(m)),
            _ => Err(ApiError::internal(format!(
                "task {task_id} has a corrupt definition"
            ))),
        },
    }
}

/// Whether the task exists (without reading its definition).
pub fn exists(tx: &Connection, task_id: &str) -> Result<bool, ApiError> {
    sql(row(
        tx,
        "SELECT EXISTS (SELECT 1 FROM tasks WHERE task_id = ?1)",
        [task_id],
        |r| r.get(0),
    ))
}

/// The status structure (§3.4), or `None` for an unknown task.
pub fn status(tx: &Connection, task_id: &str) -> Result<Option<Value>, ApiError> {
    let Some(def) = definition(tx, task_id)? else {
        return Ok(None);
    };
    let retries_left: i64 = sql(row(
        tx,
        "SELECT retries_left FROM tasks WHERE task_id = ?1",
        [task_id],
        |r| r.get(0),
    ))?;
    let mut stmt = sql(tx.prepare_cached(
        "SELECT run_id, state, reason_created, reason_resolved, worker_group, worker_id, taken_until, scheduled, started, resolved
         FROM runs WHERE task_id = ?1 ORDER BY run_id",
    ))?;
    let runs: Vec<(RunState, Value)> = sql(stmt
        .query_map([task_id], run_status)
        .and_then(Iterator::collect::<rusqlite::Result<Vec<_>>>))?;
    let state = TaskState::of_latest_run(runs.last().map(|(s, _)| *s));
    let runs: Vec<Value> = runs.into_iter().map(|(_, run)| run).collect();
    let field = |k: &str| def.get(k).cloned().unwrap_or(Value::Null);
    Ok(Some(json!({
        "taskId": task_id,
        "provisionerId": field("provisionerId"),
        "workerType": field("workerType"),
        "taskQueueId": field("taskQueueId"),
        "schedulerId": field("schedulerId"),
        "projectId": field("projectId"),
        "taskGroupId": field("taskGroupId"),
        "priority": field("priority"),
        "deadline": field("deadline"),
        "expires": field("expires"),
        "retriesLeft": retries_left,
        "state": state,
        "runs": runs,
    })))
}

/// One run of the status structure, and its state.
fn run_status(r: &rusqlite::Row<'_>) -> rusqlite::Result<(RunState, Value)> {
    let Word(state) = r.get::<_, Word<RunState>>(1)?;
    let Word(created) = r.get::<_, Word<ReasonCreated>>(2)?;
    let mut run = Map::new();
    run.insert("runId".into(), json!(r.get::<_, i64>(0)?));
    run.insert("state".into(), json!(state));
    run.insert("reasonCreated".into(), json!(created));
    if let Some(Word(reason)) = r.get::<_, Option<Word<ReasonResolved>>>(3)? {
        run.insert("reasonResolved".into(), json!(reason));
    }
    for (i, key) in [(4, "workerGroup"), (5, "workerId"), (6, "takenUntil")] {
        if let Some(v) = r.get::<_, Option<String>>(i)? {
            run.insert(key.into(), json!(v));
        }
    }
    run.insert("scheduled".into(), json!(r.get::<_, String>(7)?));
    for (i, key) in [(8, "started"), (9, "resolved")] {
        if let Some(v) = r.get::<_, Option<String>>(i)? {
            run.insert(key.into(), json!(v));
        }
    }
    Ok((state, Value::Object(run)))
}

pub fn status_of(tx: &Connection, task_id: &str) -> Result<Value, ApiError> {
    status(tx, task_id)?.ok_or_else(|| ApiError::not_found(format!("task `{task_id}` not found")))
}

fn next_pending_seq(tx: &Connection) -> Result<i64, ApiError> {
    sql(row(
        tx,
        "SELECT COALESCE(MAX(pending_seq), 0) + 1 FROM runs",
        [],
        |r| r.get(0),
    ))
}

/// Adds a pending run.
fn add_pending_run(
    tx: &Connection,
    task_id: &str,
    run_id: i64,
    reason: ReasonCreated,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    let seq = next_pending_seq(tx)?;
    sql(exec(
        tx,
        "INSERT INTO runs (task_id, run_id, state, reason_created, scheduled, pending_seq)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            task_id,
            run_id,
            RunState::Pending.as_str(),
            reason.as_str(),
            ts(now),
            seq
        ],
    ))?;
    Ok(())
}

fn run_count(tx: &Connection, task_id: &str) -> Result<i64, ApiError> {
    sql(row(
        tx,
        "SELECT COUNT(*) FROM runs WHERE task_id = ?1",
        [task_id],
        |r| r.get(0),
    ))
}

/// Run 0, when the task has none and its deadline has not passed (the "schedule" row).
fn schedule(tx: &Connection, task_id: &str, now: DateTime<Utc>) -> Result<bool, ApiError> {
    let deadline: String = sql(row(
        tx,
        "SELECT deadline FROM tasks WHERE task_id = ?1",
        [task_id],
        |r| r.get(0),
    ))?;
    if run_count(tx, task_id)? > 0 || deadline < ts(now) {
        return Ok(false);
    }
    sql(exec(
        tx,
        "UPDATE tasks SET retries_left = retries WHERE task_id = ?1",
        [task_id],
    ))?;
    add_pending_run(tx, task_id, 0, ReasonCreated::Scheduled, now)?;
    Ok(true)
}

/// What a createTask needs besides the checked body.
pub struct CreateLimits {
    pub max_dependencies: usize,
}

/// createTask steps 5–8 (§3.2); the caller did the schema, authorization and date checks.
/// Returns the status and whether a run became pending.
pub fn create_task(
    tx: &Connection,
    task_id: &str,
    checked: &Checked,
    limits: &CreateLimits,
    now: DateTime<Utc>,
) -> Result<(Value, bool), ApiError> {
    let def = &checked.def;
    if let Some(existing) = definition(tx, task_id)? {
        if &existing == def {
            return Ok((status_of(tx, task_id)?, false));
        }
        return Err(ApiError::conflict(format!(
            "taskId `{task_id}` is taken by a task with a different definition; use a new taskId"
        )));
    }
    let s = |k: &str| {
        def.get(k)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    let group = s("taskGroupId");
    let scheduler = s("schedulerId");
    let group_row: Option<(String, Option<String>, String)> = sql(tx
        .query_row(
            "SELECT scheduler_id, sealed, expires FROM groups WHERE task_group_id = ?1",
            [&group],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional())?;
    let group_expires = ts(checked.expires + chrono::TimeDelta::hours(1));
    match &group_row {
        Some((other, _, _)) if *other != scheduler => {
            return Err(ApiError::conflict(format!(
                "task group `{group}` belongs to schedulerId `{other}`, not `{scheduler}`"
            )));
        }
        Some((_, Some(_), _)) => {
            return Err(ApiError::conflict(format!(
                "task group `{group}` is sealed and takes no new tasks; use another taskGroupId"
            )));
        }
        _ => {}
    }
    let deps: Vec<String> = def
        .get("dependencies")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    if deps.len() > limits.max_dependencies {
        return Err(ApiError::input(format!(
            "the task has {} dependencies; this queue allows at most {}",
            deps.len(),
            limits.max_dependencies
        )));
    }
    let deadline = ts(checked.deadline);
    let edges = dependency_edges(tx, task_id, &deps, &deadline, &s("requires"))?;
    let unsatisfied = edges.iter().filter(|(_, done)| !done).count();
    let unsatisfied = i64::try_from(unsatisfied).unwrap_or(i64::MAX);
    match group_row {
        None => sql(exec(
            tx,
            "INSERT INTO groups (task_group_id, scheduler_id, expires) VALUES (?1, ?2, ?3)",
            params![group, scheduler, group_expires],
        ))?,
        Some((_, _, exp)) if exp < group_expires => sql(exec(
            tx,
            "UPDATE groups SET expires = ?2 WHERE task_group_id = ?1",
            params![group, group_expires],
        ))?,
        Some(_) => 0,
    };
    let priority = s("priority");
    let rank = PRIORITIES
        .iter()
        .zip(0i64..)
        .find(|(p, _)| **p == priority)
        .map_or(6, |(_, rank)| rank);
    let retries = def.get("retries").and_then(Value::as_i64).unwrap_or(5);
    let text = serde_json::to_string(def).map_err(ApiError::internal)?;
    sql(exec(tx,
        "INSERT INTO tasks (task_id, definition, task_group_id, task_queue_id, priority_rank, requires, retries, retries_left, deadline, expires, unsatisfied)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7, ?8, ?9, ?10)",
        params![task_id, text, group, checked.task_queue_id, rank, s("requires"), retries, deadline, ts(checked.expires), unsatisfied],
    ))?;
    for (dep, done) in edges {
        sql(exec(
            tx,
            "INSERT INTO deps (task_id, dep_id, satisfied) VALUES (?1, ?2, ?3)",
            params![task_id, dep, done],
        ))?;
    }
    let scheduled = unsatisfied == 0 && schedule(tx, task_id, now)?;
    Ok((status_of(tx, task_id)?, scheduled))
}

/// The edges of a new task to its dependencies `deps`, each with whether it is satisfied
/// already; the 400 when one does not exist or expires before the task's `deadline`.
fn dependency_edges(
    tx: &Connection,
    task_id: &str,
    deps: &[String],
    deadline: &str,
    requires: &str,
) -> Result<Vec<(String, bool)>, ApiError> {
    let mut missing = Vec::new();
    let mut short_lived = Vec::new();
    let mut edges = Vec::new();
    for dep in deps {
        if dep == task_id {
            // Waits for scheduleTask.
            edges.push((dep.clone(), false));
            continue;
        }
        let row: Option<String> = sql(tx
            .query_row("SELECT expires FROM tasks WHERE task_id = ?1", [dep], |r| {
                r.get(0)
            })
            .optional())?;
        match row {
            None => missing.push(dep.clone()),
            Some(exp) if exp.as_str() < deadline => short_lived.push(dep.clone()),
            Some(_) => edges.push((dep.clone(), dependency_satisfied(tx, dep, requires)?)),
        }
    }
    if !missing.is_empty() {
        return Err(ApiError::input(format!(
            "dependencies that do not exist: {}; create them first",
            missing.join(", ")
        )));
    }
    if !short_lived.is_empty() {
        return Err(ApiError::input(format!(
            "dependencies that expire before this task's deadline {deadline}: {}",
            short_lived.join(", ")
        )));
    }
    Ok(edges)
}

/// Whether `dep` has already resolved in a way that satisfies an edge with `requires`.
fn dependency_satisfied(tx: &Connection, dep: &str, requires: &str) -> Result<bool, ApiError> {
    // Sticky: any run of D that resolved so counts (a retry's exception does not resolve).
    let states: Vec<RunState> = {
        let mut stmt =
            sql(tx.prepare_cached("SELECT state FROM runs WHERE task_id = ?1 ORDER BY run_id"))?;
        sql(stmt
            .query_map([dep], |r| r.get::<_, Word<RunState>>(0).map(|Word(s)| s))
            .and_then(|rows| rows.collect()))?
    };
    let n = states.len();
    Ok(states.iter().enumerate().any(|(i, state)| match state {
        RunState::Completed => true,
        // An exception followed by a retry run was not a resolution.
        RunState::Failed | RunState::Exception => requires == "all-resolved" && i + 1 == n,
        RunState::Pending | RunState::Running => false,
    }))
}

/// After `task_id` resolved as `state` (a resolution that feeds §3.3): satisfy edges and
/// schedule dependents whose last edge this was. Returns how many runs became pending.
fn resolved(
    tx: &Connection,
    task_id: &str,
    state: RunState,
    now: DateTime<Utc>,
) -> Result<usize, ApiError> {
    let dependents: Vec<(String, String)> = {
        let mut stmt = sql(tx.prepare_cached(
            "SELECT d.task_id, t.requires FROM deps d JOIN tasks t ON t.task_id = d.task_id
             WHERE d.dep_id = ?1 AND d.satisfied = 0",
        ))?;
        sql(stmt
            .query_map([task_id], |r| Ok((r.get(0)?, r.get(1)?)))
            .and_then(|rows| rows.collect()))?
    };
    let mut woken = 0;
    for (dependent, requires) in dependents {
        if dependent == task_id {
            continue;
        }
        if state != RunState::Completed && requires != "all-resolved" {
            continue;
        }
        sql(exec(
            tx,
            "UPDATE deps SET satisfied = 1 WHERE task_id = ?1 AND dep_id = ?2",
            params![dependent, task_id],
        ))?;
        sql(exec(
            tx,
            "UPDATE tasks SET unsatisfied = unsatisfied - 1 WHERE task_id = ?1",
            [&dependent],
        ))?;
        let left: i64 = sql(row(
            tx,
            "SELECT unsatisfied FROM tasks WHERE task_id = ?1",
            [&dependent],
            |r| r.get(0),
        ))?;
        if left == 0 && schedule(tx, &dependent, now)? {
            woken += 1;
        }
    }
    Ok(woken)
}

/// The latest run: (run_id, state).
fn latest_run(tx: &Connection, task_id: &str) -> Result<Option<(i64, RunState)>, ApiError> {
    sql(tx
        .query_row(
            "SELECT run_id, state FROM runs WHERE task_id = ?1 ORDER BY run_id DESC LIMIT 1",
            [task_id],
            |r| Ok((r.get(0)?, r.get::<_, Word<RunState>>(1)?.0)),
        )
        .optional())
}

fn deadline_passed(tx: &Connection, task_id: &str, now: DateTime<Utc>) -> Result<bool, ApiError> {
    let deadline: String = sql(row(
        tx,
        "SELECT deadline FROM tasks WHERE task_id = ?1",
        [task_id],
        |r| r.get(0),
    ))?;
    Ok(deadline < ts(now))
}

/// One claimed run, as claimWork returns it before credentials are added.
pub struct Claimed {
    pub task_id: String,
    pub run_id: i64,
    pub taken_until: DateTime<Utc>,
}

/// Claims up to `n` pending runs of `queue` (§4.3 order).
pub fn claim(
    tx: &Connection,
    queue: &str,
    n: usize,
    worker: (&str, &str),
    now: DateTime<Utc>,
    claim_timeout: i64,
) -> Result<Vec<Claimed>, ApiError> {
    let picked: Vec<(String, i64)> = {
        let mut stmt = sql(tx.prepare_cached(
            "SELECT r.task_id, r.run_id FROM runs r JOIN tasks t ON t.task_id = r.task_id
             WHERE r.state = 'pending' AND t.task_queue_id = ?1 AND t.deadline >= ?2
             ORDER BY t.priority_rank, r.pending_seq, r.task_id LIMIT ?3",
        ))?;
        sql(stmt
            .query_map(
                params![queue, ts(now), i64::try_from(n).unwrap_or(i64::MAX)],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .and_then(|rows| rows.collect()))?
    };
    let taken_until = round_up_seconds(now + chrono::TimeDelta::seconds(claim_timeout));
    let mut out = Vec::new();
    for (task_id, run_id) in picked {
        sql(exec(tx,
            "UPDATE runs SET state = 'running', worker_group = ?3, worker_id = ?4, started = ?5, taken_until = ?6, pending_seq = NULL
             WHERE task_id = ?1 AND run_id = ?2",
            params![task_id, run_id, worker.0, worker.1, ts(now), ts(taken_until)],
        ))?;
        out.push(Claimed {
            task_id,
            run_id,
            taken_until,
        });
    }
    Ok(out)
}

fn round_up_seconds(t: DateTime<Utc>) -> DateTime<Utc> {
    let ms = t.timestamp_millis();
    let secs = ms.div_euclid(1000) + i64::from(ms.rem_euclid(1000) > 0);
    DateTime::from_timestamp(secs, 0).unwrap_or(t)
}

/// The running run `run_id` of `task_id`, or the §2 errors (404 / 409).
fn running_run(tx: &Connection, task_id: &str, run_id: i64) -> Result<(), ApiError> {
    let state: Option<RunState> = sql(tx
        .query_row(
            "SELECT state FROM runs WHERE task_id = ?1 AND run_id = ?2",
            params![task_id, run_id],
            |r| r.get::<_, Word<RunState>>(0).map(|Word(s)| s),
        )
        .optional())?;
    match state {
        None => Err(ApiError::not_found(format!(
            "run {run_id} of task `{task_id}` not found"
        ))),
        Some(RunState::Running) => Ok(()),
        Some(s) => Err(ApiError::conflict(format!(
            "run {run_id} of task `{task_id}` is {s}, not running"
        ))),
    }
}

/// reclaimTask: a new `takenUntil`.
pub fn reclaim(
    tx: &Connection,
    task_id: &str,
    run_id: i64,
    now: DateTime<Utc>,
    claim_timeout: i64,
) -> Result<DateTime<Utc>, ApiError> {
    if !exists(tx, task_id)? {
        return Err(ApiError::not_found(format!("task `{task_id}` not found")));
    }
    running_run(tx, task_id, run_id)?;
    if deadline_passed(tx, task_id, now)? {
        return Err(ApiError::conflict(format!(
            "task `{task_id}` is past its deadline"
        )));
    }
    if latest_run(tx, task_id)?.map(|(r, _)| r) != Some(run_id) {
        return Err(ApiError::conflict(format!(
            "run {run_id} is not the latest run of `{task_id}`"
        )));
    }
    let taken_until = round_up_seconds(now + chrono::TimeDelta::seconds(claim_timeout));
    sql(exec(
        tx,
        "UPDATE runs SET taken_until = ?3 WHERE task_id = ?1 AND run_id = ?2",
        params![task_id, run_id, ts(taken_until)],
    ))?;
    Ok(taken_until)
}

/// reportCompleted / reportFailed / reportException. Returns (status, runs made pending).
pub fn report(
    tx: &Connection,
    task_id: &str,
    run_id: i64,
    how: Resolution,
    now: DateTime<Utc>,
) -> Result<(Value, usize), ApiError> {
    if !exists(tx, task_id)? {
        return Err(ApiError::not_found(format!("task `{task_id}` not found")));
    }
    let row: Option<(RunState, Option<ReasonResolved>)> = sql(tx
        .query_row(
            "SELECT state, reason_resolved FROM runs WHERE task_id = ?1 AND run_id = ?2",
            params![task_id, run_id],
            |r| {
                let Word(state) = r.get(0)?;
                let reason = r.get::<_, Option<Word<ReasonResolved>>>(1)?;
                Ok((state, reason.map(|Word(r)| r)))
            },
        )
        .optional())?;
    let Some((state, reason)) = row else {
        return Err(ApiError::not_found(format!(
            "run {run_id} of task `{task_id}` not found"
        )));
    };
    let latest = latest_run(tx, task_id)?.map(|(r, _)| r) == Some(run_id);
    if state != RunState::Running {
        // Idempotent repeats of the same resolution.
        let same = state == how.state() && reason == Some(how.reason());
        if same && (latest || matches!(how, Resolution::Exception(_))) {
            return Ok((status_of(tx, task_id)?, 0));
        }
        return Err(ApiError::conflict(format!(
            "run {run_id} of task `{task_id}` is {state}, not running"
        )));
    }
    resolve_run(tx, task_id, run_id, how, now)
}

/// Resolves a running or pending run, with the retry rules, and feeds §3.3.
fn resolve_run(
    tx: &Connection,
    task_id: &str,
    run_id: i64,
    how: Resolution,
    now: DateTime<Utc>,
) -> Result<(Value, usize), ApiError> {
    sql(exec(
        tx,
        "UPDATE runs SET state = ?3, reason_resolved = ?4, resolved = ?5, pending_seq = NULL
         WHERE task_id = ?1 AND run_id = ?2",
        params![
            task_id,
            run_id,
            how.state().as_str(),
            how.reason().as_str(),
            ts(now)
        ],
    ))?;
    let retry_reason = how.reason().retried_as();
    let mut woken = 0;
    let retries_left: i64 = sql(row(
        tx,
        "SELECT retries_left FROM tasks WHERE task_id = ?1",
        [task_id],
        |r| r.get(0),
    ))?;
    match retry_reason {
        Some(created) if retries_left > 0 && run_count(tx, task_id)? < MAX_RUNS => {
            sql(exec(
                tx,
                "UPDATE tasks SET retries_left = retries_left - 1 WHERE task_id = ?1",
                [task_id],
            ))?;
            add_pending_run(tx, task_id, run_id + 1, created, now)?;
            woken += 1;
        }
        _ => woken += resolved(tx, task_id, how.state(), now)?,
    }
    Ok((status_of(tx, task_id)?, woken))
}

/// The claim-expiry and deadline resolvers (§4.4). Returns how many runs became pending.
pub fn resolve_due(tx: &Connection, now: DateTime<Utc>) -> Result<usize, ApiError> {
    let now_s = ts(now);
    let expired: Vec<(String, i64)> = {
        let mut stmt = sql(tx.prepare_cached(
            "SELECT r.task_id, r.run_id FROM runs r JOIN tasks t ON t.task_id = r.task_id
             WHERE r.state = 'running' AND r.taken_until < ?1 AND t.deadline >= ?1",
        ))?;
        sql(stmt
            .query_map([&now_s], |r| Ok((r.get(0)?, r.get(1)?)))
            .and_then(|rows| rows.collect()))?
    };
    let mut woken = 0;
    for (task_id, run_id) in expired {
        let expired = Resolution::Exception(ReasonResolved::ClaimExpired);
        woken += resolve_run(tx, &task_id, run_id, expired, now)?.1;
    }
    let overdue: Vec<String> = {
        let mut stmt = sql(tx.prepare_cached(
            "SELECT t.task_id FROM tasks t WHERE t.deadline < ?1 AND NOT EXISTS (
                SELECT 1 FROM runs r WHERE r.task_id = t.task_id AND r.state IN ('completed', 'failed', 'exception')
                AND r.run_id = (SELECT MAX(run_id) FROM runs WHERE task_id = t.task_id))
             ORDER BY t.deadline",
        ))?;
        sql(stmt
            .query_map([&now_s], |r| r.get(0))
            .and_then(|rows| rows.collect()))?
    };
    for task_id in overdue {
        woken += end_unresolved(tx, &task_id, ReasonResolved::DeadlineExceeded, now)?;
    }
    Ok(woken)
}

/// Resolves an unscheduled, pending or running task as `exception/<reason>` (deadline or
/// cancel), feeding §3.3.
fn end_unresolved(
    tx: &Connection,
    task_id: &str,
    reason: ReasonResolved,
    now: DateTime<Utc>,
) -> Result<usize, ApiError> {
    let exception = RunState::Exception.as_str();
    match latest_run(tx, task_id)? {
        Some((run_id, state)) if state.is_open() => {
            sql(exec(tx,
                "UPDATE runs SET state = ?3, reason_resolved = ?4, resolved = ?5, pending_seq = NULL
                 WHERE task_id = ?1 AND run_id = ?2",
                params![task_id, run_id, exception, reason.as_str(), ts(now)],
            ))?;
        }
        Some(_) => return Ok(0),
        None => {
            sql(exec(tx,
                "INSERT INTO runs (task_id, run_id, state, reason_created, reason_resolved, scheduled, resolved)
                 VALUES (?1, 0, ?2, ?3, ?4, ?5, ?5)",
                params![task_id, exception, ReasonCreated::Exception.as_str(), reason.as_str(), ts(now)],
            ))?;
        }
    }
    resolved(tx, task_id, RunState::Exception, now)
}

/// cancelTask.
pub fn cancel(
    tx: &Connection,
    task_id: &str,
    now: DateTime<Utc>,
) -> Result<(Value, usize), ApiError> {
    if !exists(tx, task_id)? {
        return Err(ApiError::not_found(format!("task `{task_id}` not found")));
    }
    if deadline_passed(tx, task_id, now)? {
        return Err(ApiError::conflict(format!(
            "task `{task_id}` is past its deadline"
        )));
    }
    let woken = end_unresolved(tx, task_id, ReasonResolved::Canceled, now)?;
    Ok((status_of(tx, task_id)?, woken))
}

/// scheduleTask: run 0 regardless of dependencies.
pub fn schedule_task(
    tx: &Connection,
    task_id: &str,
    now: DateTime<Utc>,
) -> Result<(Value, bool), ApiError> {
    if !exists(tx, task_id)? {
        return Err(ApiError::not_found(format!("task `{task_id}` not found")));
    }
    if deadline_passed(tx, task_id, now)? {
        return Err(ApiError::conflict(format!(
            "task `{task_id}` is past its deadline"
        )));
    }
    let added = schedule(tx, task_id, now)?;
    Ok((status_of(tx, task_id)?, added))
}

/// rerunTask.
pub fn rerun(
    tx: &Connection,
    task_id: &str,
    now: DateTime<Utc>,
) -> Result<(Value, bool), ApiError> {
    if !exists(tx, task_id)? {
        return Err(ApiError::not_found(format!("task `{task_id}` not found")));
    }
    if deadline_passed(tx, task_id, now)? {
        return Err(ApiError::conflict(format!(
            "task `{task_id}` is past its deadline"
        )));
    }
    let latest = latest_run(tx, task_id)?;
    if let Some((_, state)) = latest
        && state.is_open()
    {
        return Ok((status_of(tx, task_id)?, false));
    }
    let count = run_count(tx, task_id)?;
    if count >= MAX_RUNS {
        return Err(ApiError::conflict(format!(
            "task `{task_id}` has {MAX_RUNS} runs, the most a task may have"
        )));
    }
    let next = latest.map_or(0, |(r, _)| r + 1);
    let reason = if next == 0 {
        ReasonCreated::Scheduled
    } else {
        ReasonCreated::Rerun
    };
    add_pending_run(tx, task_id, next, reason, now)?;
    sql(exec(
        tx,
        "UPDATE tasks SET retries_left = MIN(retries, ?2) WHERE task_id = ?1",
        params![task_id, MAX_RUNS - (count + 1)],
    ))?;
    Ok((status_of(tx, task_id)?, true))
}

/// The group object (§4.2).
pub fn group(tx: &Connection, group_id: &str) -> Result<Option<Value>, ApiError> {
    let row: Option<(String, String, Option<String>)> = sql(tx
        .query_row(
            "SELECT scheduler_id, expires, sealed FROM groups WHERE task_group_id = ?1",
            [group_id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional())?;
    Ok(row.map(|(scheduler, expires, sealed)| {
        let mut g = json!({"taskGroupId": group_id, "schedulerId": scheduler, "expires": expires});
        if let Some(s) = sealed {
            g["sealed"] = json!(s);
        }
        g
    }))
}

/// A page of `{status, task}` entries: the taskIds `select` gives for `key` after `after`
/// (keyset on taskId), and the last one when more may exist.
fn task_page(
    tx: &Connection,
    select: &str,
    key: &str,
    after: &str,
    limit: usize,
) -> Result<(Vec<Value>, Option<String>), ApiError> {
    let ids: Vec<String> = {
        let mut stmt = sql(tx.prepare_cached(select))?;
        sql(stmt
            .query_map(params![key, after, page_rows(limit)], |r| r.get(0))
            .and_then(|rows| rows.collect()))?
    };
    let mut out = Vec::new();
    for id in ids.iter().take(limit) {
        let task = definition(tx, id)?.map_or(Value::Null, Value::Object);
        out.push(json!({"status": status_of(tx, id)?, "task": task}));
    }
    Ok((out, (ids.len() > limit).then(|| ids[limit - 1].clone())))
}

/// A page of a group's tasks.
pub fn list_group(
    tx: &Connection,
    group_id: &str,
    after: &str,
    limit: usize,
) -> Result<(Vec<Value>, Option<String>), ApiError> {
    task_page(
        tx,
        "SELECT task_id FROM tasks WHERE task_group_id = ?1 AND task_id > ?2 ORDER BY task_id LIMIT ?3",
        group_id,
        after,
        limit,
    )
}

/// sealTaskGroup.
pub fn seal(tx: &Connection, group_id: &str, now: DateTime<Utc>) -> Result<Value, ApiError> {
    sql(exec(
        tx,
        "UPDATE groups SET sealed = ?2 WHERE task_group_id = ?1 AND sealed IS NULL",
        params![group_id, ts(now)],
    ))?;
    group(tx, group_id)?
        .ok_or_else(|| ApiError::not_found(format!("task group `{group_id}` not found")))
}

/// A page of the tasks that depend on `task_id`.
pub fn dependents(
    tx: &Connection,
    task_id: &str,
    after: &str,
    limit: usize,
) -> Result<(Vec<Value>, Option<String>), ApiError> {
    task_page(
        tx,
        "SELECT task_id FROM deps WHERE dep_id = ?1 AND task_id > ?2 ORDER BY task_id LIMIT ?3",
        task_id,
        after,
        limit,
    )
}

/// cancelTaskGroup: every unscheduled, pending or running member becomes exception/canceled.
/// Returns (group size, the canceled taskIds).
pub fn cancel_group(
    tx: &Connection,
    group_id: &str,
    now: DateTime<Utc>,
) -> Result<(i64, Vec<String>), ApiError> {
    let ids: Vec<String> = {
        let mut stmt = sql(tx.prepare_cached(
            "SELECT task_id FROM tasks WHERE task_group_id = ?1 ORDER BY task_id",
        ))?;
        sql(stmt
            .query_map([group_id], |r| r.get(0))
            .and_then(|rows| rows.collect()))?
    };
    let mut canceled = Vec::new();
    for id in &ids {
        if deadline_passed(tx, id, now)? {
            continue;
        }
        let open = match latest_run(tx, id)? {
            None => true,
            Some((_, state)) => state.is_open(),
        };
        if open {
            end_unresolved(tx, id, ReasonResolved::Canceled, now)?;
            canceled.push(id.clone());
        }
    }
    Ok((i64::try_from(ids.len()).unwrap_or(i64::MAX), canceled))
}

/// The expiration sweep (§4.4): artifacts past `expires`, then tasks past `expires` with their
/// runs, edges and artifacts, then groups past `expires`. Returns the blobs to delete as
/// (taskId, runId, name).
pub fn sweep_expired(
    tx: &Connection,
    now: DateTime<Utc>,
) -> Result<Vec<(String, i64, String)>, ApiError> {
    let now = ts(now);
    let blobs: Vec<(String, i64, String)> = {
        let mut stmt = sql(tx.prepare_cached(
            "SELECT a.task_id, a.run_id, a.name FROM artifacts a
             WHERE a.storage_type = 's3' AND (a.expires < ?1
                OR a.task_id IN (SELECT task_id FROM tasks WHERE expires < ?1))",
        ))?;
        sql(stmt
            .query_map([&now], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .and_then(|rows| rows.collect()))?
    };
    sql(exec(
        tx,
        "DELETE FROM artifacts WHERE expires < ?1 OR task_id IN (SELECT task_id FROM tasks WHERE expires < ?1)",
        [&now],
    ))?;
    sql(exec(
        tx,
        "DELETE FROM runs WHERE task_id IN (SELECT task_id FROM tasks WHERE expires < ?1)",
        [&now],
    ))?;
    sql(exec(
        tx,
        "DELETE FROM deps WHERE task_id IN (SELECT task_id FROM tasks WHERE expires < ?1)
            OR dep_id IN (SELECT task_id FROM tasks WHERE expires < ?1)",
        [&now],
    ))?;
    sql(exec(tx, "DELETE FROM tasks WHERE expires < ?1", [&now]))?;
    sql(exec(tx, "DELETE FROM groups WHERE expires < ?1", [&now]))?;
    Ok(blobs)
}

#[cfg(test)]
mod tests;

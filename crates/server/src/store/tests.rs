//! The run state machine (queue-api.md §3–§4) driven through the store's functions on a real
//! SQLite file, each call in its own transaction as the routes make it: every allowed
//! transition with the task state and runs it leaves, and the refused ones with the error the
//! queue answers. The clock is an argument of every step, so deadlines and claim expiry are
//! reached by passing a later `now`, never by waiting.

use chrono::{DateTime, TimeDelta, Utc};
use rusqlite::Connection;
use serde_json::{Value, json};

use super::{CreateLimits, MAX_RUNS, Resolution};
use crate::db::Db;
use crate::error::ApiError;
use crate::validate::task_definition;

/// The clock at the start of every test; tasks are created then, with a deadline a day later.
fn t0() -> DateTime<Utc> {
    "2030-01-01T00:00:00Z".parse().unwrap()
}

const DEADLINE: TimeDelta = TimeDelta::days(1);
const QUEUE: &str = "proj/ci";
const CLAIM_TIMEOUT: i64 = 1200;
const WORKER: (&str, &str) = ("group-1", "worker-1");

/// A queue database in a temporary directory, and the store's steps on it.
struct Store {
    db: Db,
    runtime: tokio::runtime::Runtime,
    _dir: tempfile::TempDir,
}

impl Store {
    fn new() -> Store {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&dir.path().join("queue.sqlite")).expect("the database opens");
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        Store {
            db,
            runtime,
            _dir: dir,
        }
    }

    /// One store call in its own transaction (committed before the result comes back).
    fn call<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, ApiError> + Send + 'static,
    {
        self.runtime.block_on(self.db.write(f))
    }

    /// Creates a task on `QUEUE` at `t0` with the fields of `extra` added to a minimal
    /// definition; returns its id, its status and whether a run became pending.
    fn create_with(&self, extra: &Value) -> (String, Value, bool) {
        let task_id = slugid::nice();
        let (status, scheduled) = self
            .try_create(&task_id, extra)
            .unwrap_or_else(|e| panic!("createTask: {e:?}"));
        (task_id, status, scheduled)
    }

    fn try_create(&self, task_id: &str, extra: &Value) -> Result<(Value, bool), ApiError> {
        let mut body = json!({
            "taskQueueId": QUEUE,
            "created": super::ts(t0()),
            "deadline": super::ts(t0() + DEADLINE),
            "payload": {},
            "metadata": {"name": "t", "description": "d", "owner": "o@example.com", "source": "https://example.com/t"},
        });
        for (k, v) in extra.as_object().into_iter().flatten() {
            body[k] = v.clone();
        }
        let checked = task_definition(task_id, &body)?;
        let id = task_id.to_owned();
        let limits = CreateLimits {
            max_dependencies: 100,
        };
        self.call(move |tx| super::create_task(tx, &id, &checked, &limits, t0()))
    }

    /// A task with no dependencies: pending at once.
    fn pending_task(&self) -> String {
        self.create_with(&json!({})).0
    }

    fn status(&self, task_id: &str) -> Value {
        let id = task_id.to_owned();
        self.call(move |tx| super::status_of(tx, &id)).unwrap()
    }

    /// claimWork for up to `n` runs of `QUEUE` at `now`: the (taskId, runId) claimed.
    fn claim_at(&self, n: usize, now: DateTime<Utc>) -> Vec<(String, i64)> {
        self.call(move |tx| super::claim(tx, QUEUE, n, WORKER, now, CLAIM_TIMEOUT))
            .unwrap()
            .into_iter()
            .map(|c| (c.task_id, c.run_id))
            .collect()
    }

    /// A task claimed at `t0`: its run 0 is running (made before any other task is pending,
    /// since the claim takes the oldest pending run).
    fn running_task(&self) -> String {
        let task_id = self.pending_task();
        assert_eq!(self.claim_at(1, t0()), [(task_id.clone(), 0)]);
        task_id
    }

    fn report(
        &self,
        task_id: &str,
        run_id: i64,
        how: Resolution,
        now: DateTime<Utc>,
    ) -> Result<(Value, usize), ApiError> {
        let id = task_id.to_owned();
        self.call(move |tx| super::report(tx, &id, run_id, how, now))
    }

    fn reclaim(
        &self,
        task_id: &str,
        run_id: i64,
        now: DateTime<Utc>,
    ) -> Result<DateTime<Utc>, ApiError> {
        let id = task_id.to_owned();
        self.call(move |tx| super::reclaim(tx, &id, run_id, now, CLAIM_TIMEOUT))
    }

    fn resolve_due(&self, now: DateTime<Utc>) -> usize {
        self.call(move |tx| super::resolve_due(tx, now)).unwrap()
    }

    fn cancel(&self, task_id: &str, now: DateTime<Utc>) -> Result<(Value, usize), ApiError> {
        let id = task_id.to_owned();
        self.call(move |tx| super::cancel(tx, &id, now))
    }

    fn rerun(&self, task_id: &str, now: DateTime<Utc>) -> Result<(Value, bool), ApiError> {
        let id = task_id.to_owned();
        self.call(move |tx| super::rerun(tx, &id, now))
    }

    fn schedule(&self, task_id: &str, now: DateTime<Utc>) -> Result<(Value, bool), ApiError> {
        let id = task_id.to_owned();
        self.call(move |tx| super::schedule_task(tx, &id, now))
    }
}

/// The task's state and, per run, (state, reasonCreated, reasonResolved or "").
fn runs(status: &Value) -> (String, Vec<(String, String, String)>) {
    let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
    let runs = status["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                text(&r["state"]),
                text(&r["reasonCreated"]),
                text(&r["reasonResolved"]),
            )
        })
        .collect();
    (text(&status["state"]), runs)
}

/// `(state, [(run state, reasonCreated, reasonResolved)])`, for comparing with `runs`.
fn expect(state: &str, want: &[(&str, &str, &str)]) -> (String, Vec<(String, String, String)>) {
    (
        state.to_owned(),
        want.iter()
            .map(|(s, c, r)| ((*s).to_owned(), (*c).to_owned(), (*r).to_owned()))
            .collect(),
    )
}

/// The message of a refusal with `code` (such as `RequestConflict`, a 409).
#[track_caller]
fn refused<T: std::fmt::Debug>(result: Result<T, ApiError>, code: &str) -> String {
    let e = result.expect_err("the store refuses");
    assert_eq!(e.code.as_str(), code, "{e:?}");
    e.message
}

fn conflict<T: std::fmt::Debug>(result: Result<T, ApiError>) -> String {
    refused(result, "RequestConflict")
}

// --- creation and scheduling ---

#[test]
fn a_task_without_dependencies_is_created_with_a_pending_run_0() {
    let store = Store::new();
    let (task_id, status, scheduled) = store.create_with(&json!({}));
    assert!(scheduled);
    assert_eq!(
        runs(&status),
        expect("pending", &[("pending", "scheduled", "")])
    );
    assert_eq!(status["runs"][0]["scheduled"], "2030-01-01T00:00:00.000Z");
    assert_eq!(status["retriesLeft"], 5);
    assert_eq!(store.status(&task_id), status);
}

#[test]
fn creating_the_same_task_again_is_idempotent_and_a_different_one_is_a_conflict() {
    let store = Store::new();
    let (task_id, status, _) = store.create_with(&json!({"priority": "high"}));
    let (again, scheduled) = store
        .try_create(&task_id, &json!({"priority": "high"}))
        .unwrap();
    assert_eq!((again, scheduled), (status, false), "no second run 0");
    let message = conflict(store.try_create(&task_id, &json!({"priority": "low"})));
    assert!(message.contains("different definition"), "{message}");
}

#[test]
fn a_task_waiting_on_a_dependency_is_unscheduled_until_it_completes() {
    let store = Store::new();
    let dep = store.running_task();
    let (task_id, status, scheduled) = store.create_with(&json!({"dependencies": [dep]}));
    assert!(!scheduled);
    assert_eq!(runs(&status), expect("unscheduled", &[]));
    assert!(store.claim_at(10, t0()).is_empty(), "nothing to claim");
    let (_, woken) = store.report(&dep, 0, Resolution::Completed, t0()).unwrap();
    assert_eq!(woken, 1);
    assert_eq!(
        runs(&store.status(&task_id)),
        expect("pending", &[("pending", "scheduled", "")])
    );
}

#[test]
fn a_failed_dependency_schedules_only_the_tasks_that_require_all_resolved() {
    let store = Store::new();
    let dep = store.running_task();
    let (completed_only, _, _) = store.create_with(&json!({"dependencies": [dep]}));
    let (any_end, _, _) = store.create_with(&json!({
        "dependencies": [dep],
        "requires": "all-resolved",
    }));
    let (_, woken) = store.report(&dep, 0, Resolution::Failed, t0()).unwrap();
    assert_eq!(woken, 1);
    assert_eq!(
        runs(&store.status(&completed_only)),
        expect("unscheduled", &[])
    );
    assert_eq!(
        runs(&store.status(&any_end)),
        expect("pending", &[("pending", "scheduled", "")])
    );
}

#[test]
fn schedule_task_makes_run_0_of_an_unscheduled_task_once() {
    let store = Store::new();
    let dep = store.pending_task();
    let (task_id, _, _) = store.create_with(&json!({"dependencies": [dep]}));
    let (status, added) = store.schedule(&task_id, t0()).unwrap();
    assert!(added);
    assert_eq!(
        runs(&status),
        expect("pending", &[("pending", "scheduled", "")])
    );
    let (status, added) = store.schedule(&task_id, t0()).unwrap();
    assert!(!added, "a task with a run is not scheduled again");
    assert_eq!(status["runs"].as_array().unwrap().len(), 1);
}

// --- claim, reclaim and resolution ---

#[test]
fn claim_takes_pending_runs_by_priority_then_age_and_marks_them_running() {
    let store = Store::new();
    let (low, _, _) = store.create_with(&json!({"priority": "low"}));
    let first = store.pending_task();
    let (high, _, _) = store.create_with(&json!({"priority": "high"}));
    let second = store.pending_task();
    let claimed = store.claim_at(3, t0());
    assert_eq!(
        claimed,
        [(high.clone(), 0), (low.clone(), 0), (first.clone(), 0)],
        "high before low before lowest (the default), then the order they became pending"
    );
    let status = store.status(&high);
    assert_eq!(
        runs(&status),
        expect("running", &[("running", "scheduled", "")])
    );
    let run = &status["runs"][0];
    assert_eq!(
        (&run["workerGroup"], &run["workerId"]),
        (&json!("group-1"), &json!("worker-1"))
    );
    assert_eq!(run["started"], "2030-01-01T00:00:00.000Z");
    assert_eq!(run["takenUntil"], "2030-01-01T00:20:00.000Z");
    assert_eq!(
        store.claim_at(3, t0()),
        [(second, 0)],
        "a run is claimed once"
    );
}

#[test]
fn reclaim_moves_taken_until_of_the_running_run() {
    let store = Store::new();
    let task_id = store.running_task();
    let later = t0() + TimeDelta::minutes(10) + TimeDelta::milliseconds(1);
    let until = store.reclaim(&task_id, 0, later).unwrap();
    // Rounded up to the second.
    assert_eq!(
        super::ts(until),
        "2030-01-01T00:30:01.000Z",
        "claim timeout after the reclaim"
    );
    assert_eq!(
        store.status(&task_id)["runs"][0]["takenUntil"],
        "2030-01-01T00:30:01.000Z"
    );
}

#[test]
fn a_running_run_resolves_as_completed_failed_or_exception() {
    let store = Store::new();
    for (how, state, reason) in [
        (Resolution::Completed, "completed", "completed"),
        (Resolution::Failed, "failed", "failed"),
        (
            Resolution::Exception(reason("malformed-payload")),
            "exception",
            "malformed-payload",
        ),
    ] {
        let task_id = store.running_task();
        let later = t0() + TimeDelta::minutes(5);
        let (status, woken) = store.report(&task_id, 0, how, later).unwrap();
        assert_eq!(woken, 0);
        assert_eq!(
            runs(&status),
            expect(state, &[(state, "scheduled", reason)])
        );
        assert_eq!(status["runs"][0]["resolved"], "2030-01-01T00:05:00.000Z");
    }
}

#[test]
fn reporting_the_same_resolution_again_is_idempotent() {
    let store = Store::new();
    let task_id = store.running_task();
    let (first, _) = store
        .report(&task_id, 0, Resolution::Completed, t0())
        .unwrap();
    let (again, woken) = store
        .report(
            &task_id,
            0,
            Resolution::Completed,
            t0() + TimeDelta::minutes(1),
        )
        .unwrap();
    assert_eq!(
        (again, woken),
        (first, 0),
        "nothing changes, not even `resolved`"
    );
}

#[test]
fn a_worker_shutdown_or_intermittent_task_makes_a_retry_run_while_retries_last() {
    let store = Store::new();
    let (task_id, _, _) = store.create_with(&json!({"retries": 1}));
    store.claim_at(1, t0());
    let (status, woken) = store
        .report(
            &task_id,
            0,
            Resolution::Exception(reason("worker-shutdown")),
            t0(),
        )
        .unwrap();
    assert_eq!(woken, 1);
    assert_eq!(
        runs(&status),
        expect(
            "pending",
            &[
                ("exception", "scheduled", "worker-shutdown"),
                ("pending", "retry", "")
            ]
        )
    );
    assert_eq!(status["retriesLeft"], 0);
    assert_eq!(store.claim_at(1, t0()), [(task_id.clone(), 1)]);
    // No retries left: the exception resolves the task.
    let (status, woken) = store
        .report(
            &task_id,
            1,
            Resolution::Exception(reason("intermittent-task")),
            t0(),
        )
        .unwrap();
    assert_eq!(woken, 0);
    assert_eq!(
        runs(&status),
        expect(
            "exception",
            &[
                ("exception", "scheduled", "worker-shutdown"),
                ("exception", "retry", "intermittent-task")
            ]
        )
    );
}

#[test]
fn an_intermittent_task_retries_as_task_retry() {
    let store = Store::new();
    let task_id = store.running_task();
    let (status, _) = store
        .report(
            &task_id,
            0,
            Resolution::Exception(reason("intermittent-task")),
            t0(),
        )
        .unwrap();
    assert_eq!(status["runs"][1]["reasonCreated"], "task-retry");
    assert_eq!(status["retriesLeft"], 4);
}

// --- refused steps ---

#[test]
fn resolving_a_run_that_is_not_running_is_a_conflict() {
    let store = Store::new();
    let done = store.running_task();
    let pending = store.pending_task();
    let message = conflict(store.report(&pending, 0, Resolution::Completed, t0()));
    assert!(
        message.contains(&format!(
            "run 0 of task `{pending}` is pending, not running"
        )),
        "{message}"
    );
    assert_eq!(
        runs(&store.status(&pending)),
        expect("pending", &[("pending", "scheduled", "")]),
        "the refused call changed nothing"
    );
    store.report(&done, 0, Resolution::Completed, t0()).unwrap();
    let message = conflict(store.report(&done, 0, Resolution::Failed, t0()));
    assert!(message.contains("is completed, not running"), "{message}");
}

#[test]
fn resolving_an_unknown_run_or_task_is_not_found() {
    let store = Store::new();
    let task_id = store.running_task();
    refused(
        store.report(&task_id, 1, Resolution::Completed, t0()),
        "ResourceNotFound",
    );
    refused(
        store.report(&slugid::nice(), 0, Resolution::Completed, t0()),
        "ResourceNotFound",
    );
}

#[test]
fn reclaiming_a_run_that_is_not_running_or_past_the_deadline_is_a_conflict() {
    let store = Store::new();
    let running = store.running_task();
    let pending = store.pending_task();
    let message = conflict(store.reclaim(&pending, 0, t0()));
    assert!(message.contains("is pending, not running"), "{message}");
    let past = t0() + DEADLINE + TimeDelta::seconds(1);
    let message = conflict(store.reclaim(&running, 0, past));
    assert!(message.contains("past its deadline"), "{message}");
    store.report(&running, 0, Resolution::Failed, t0()).unwrap();
    conflict(store.reclaim(&running, 0, t0()));
}

// --- the resolvers: claim expiry and deadline ---

#[test]
fn an_expired_claim_becomes_claim_expired_with_a_retry_run() {
    let store = Store::new();
    let task_id = store.running_task();
    let taken_until = t0() + TimeDelta::seconds(CLAIM_TIMEOUT);
    assert_eq!(
        store.resolve_due(taken_until),
        0,
        "not yet: takenUntil itself"
    );
    assert_eq!(
        runs(&store.status(&task_id)).0,
        "running",
        "the claim holds up to takenUntil"
    );
    let woken = store.resolve_due(taken_until + TimeDelta::seconds(1));
    assert_eq!(woken, 1);
    assert_eq!(
        runs(&store.status(&task_id)),
        expect(
            "pending",
            &[
                ("exception", "scheduled", "claim-expired"),
                ("pending", "retry", "")
            ]
        )
    );
    // The worker that lost the claim can no longer report.
    conflict(store.report(
        &task_id,
        0,
        Resolution::Completed,
        taken_until + TimeDelta::seconds(2),
    ));
}

#[test]
fn the_deadline_ends_unscheduled_pending_and_running_tasks_as_deadline_exceeded() {
    let store = Store::new();
    // A deadline before the claims expire, so that only the deadline resolver acts.
    let deadline = t0() + TimeDelta::minutes(10);
    let due = json!({"deadline": super::ts(deadline)});
    let (done, _, _) = store.create_with(&due);
    assert_eq!(store.claim_at(1, t0()), [(done.clone(), 0)]);
    store.report(&done, 0, Resolution::Completed, t0()).unwrap();
    let (running, _, _) = store.create_with(&due);
    assert_eq!(store.claim_at(1, t0()), [(running.clone(), 0)]);
    let (pending, _, _) = store.create_with(&due);
    let (unscheduled, _, _) = store.create_with(&json!({
        "deadline": super::ts(deadline),
        "dependencies": [pending],
    }));
    store.resolve_due(deadline);
    assert_eq!(
        runs(&store.status(&pending)).0,
        "pending",
        "at the deadline itself"
    );
    store.resolve_due(deadline + TimeDelta::seconds(1));
    for task_id in [&running, &pending] {
        assert_eq!(
            runs(&store.status(task_id)),
            expect(
                "exception",
                &[("exception", "scheduled", "deadline-exceeded")]
            ),
            "{task_id}"
        );
    }
    assert_eq!(
        runs(&store.status(&unscheduled)),
        expect(
            "exception",
            &[("exception", "exception", "deadline-exceeded")]
        ),
        "an unscheduled task gets a run 0 to carry the exception"
    );
    assert_eq!(
        runs(&store.status(&done)),
        expect("completed", &[("completed", "scheduled", "completed")]),
        "a resolved task stays as it was"
    );
}

#[test]
fn nothing_past_its_deadline_is_claimed() {
    let store = Store::new();
    store.pending_task();
    assert!(
        store
            .claim_at(1, t0() + DEADLINE + TimeDelta::seconds(1))
            .is_empty()
    );
    assert_eq!(
        store.claim_at(1, t0() + DEADLINE).len(),
        1,
        "up to the deadline itself"
    );
}

// --- cancel, rerun ---

#[test]
fn cancel_ends_an_unscheduled_pending_or_running_task_and_leaves_a_resolved_one() {
    let store = Store::new();
    let running = store.running_task();
    let (status, _) = store.cancel(&running, t0()).unwrap();
    assert_eq!(
        runs(&status),
        expect("exception", &[("exception", "scheduled", "canceled")])
    );
    conflict(store.report(&running, 0, Resolution::Completed, t0()));
    let pending = store.pending_task();
    let (status, _) = store.cancel(&pending, t0()).unwrap();
    assert_eq!(
        runs(&status),
        expect("exception", &[("exception", "scheduled", "canceled")])
    );
    let dep = store.running_task();
    let (unscheduled, _, _) = store.create_with(&json!({"dependencies": [dep]}));
    let (status, _) = store.cancel(&unscheduled, t0()).unwrap();
    assert_eq!(
        runs(&status),
        expect("exception", &[("exception", "exception", "canceled")])
    );
    store.report(&dep, 0, Resolution::Completed, t0()).unwrap();
    let (status, woken) = store.cancel(&dep, t0()).unwrap();
    assert_eq!(woken, 0);
    assert_eq!(
        runs(&status),
        expect("completed", &[("completed", "scheduled", "completed")])
    );
}

#[test]
fn a_canceled_dependency_schedules_the_tasks_that_require_all_resolved() {
    let store = Store::new();
    let dep = store.pending_task();
    let (waiting, _, _) = store.create_with(&json!({
        "dependencies": [dep],
        "requires": "all-resolved",
    }));
    let (_, woken) = store.cancel(&dep, t0()).unwrap();
    assert_eq!(woken, 1);
    assert_eq!(runs(&store.status(&waiting)).0, "pending");
}

#[test]
fn rerun_adds_a_pending_run_to_a_resolved_task_only() {
    let store = Store::new();
    let task_id = store.running_task();
    let (status, added) = store.rerun(&task_id, t0()).unwrap();
    assert!(!added, "a running task is not rerun");
    assert_eq!(status["runs"].as_array().unwrap().len(), 1);
    store.report(&task_id, 0, Resolution::Failed, t0()).unwrap();
    let (status, added) = store.rerun(&task_id, t0()).unwrap();
    assert!(added);
    assert_eq!(
        runs(&status),
        expect(
            "pending",
            &[("failed", "scheduled", "failed"), ("pending", "rerun", "")]
        )
    );
    assert_eq!(store.claim_at(1, t0()), [(task_id, 1)]);
}

#[test]
fn rerun_of_an_unscheduled_task_makes_run_0() {
    let store = Store::new();
    let dep = store.pending_task();
    let (task_id, _, _) = store.create_with(&json!({"dependencies": [dep]}));
    let (status, added) = store.rerun(&task_id, t0()).unwrap();
    assert!(added);
    assert_eq!(
        runs(&status),
        expect("pending", &[("pending", "scheduled", "")])
    );
}

#[test]
fn steps_past_the_deadline_are_conflicts() {
    let store = Store::new();
    let task_id = store.pending_task();
    let past = t0() + DEADLINE + TimeDelta::seconds(1);
    for message in [
        conflict(store.cancel(&task_id, past)),
        conflict(store.rerun(&task_id, past)),
        conflict(store.schedule(&task_id, past)),
    ] {
        assert!(message.contains("past its deadline"), "{message}");
    }
    assert_eq!(runs(&store.status(&task_id)).0, "pending");
}

#[test]
fn a_task_has_at_most_max_runs_runs() {
    let store = Store::new();
    let task_id = store.pending_task();
    // Each cancel ends the latest run; each rerun adds the next.
    for _ in 1..MAX_RUNS {
        store.cancel(&task_id, t0()).unwrap();
        let (_, added) = store.rerun(&task_id, t0()).unwrap();
        assert!(added);
    }
    let (status, _) = store.cancel(&task_id, t0()).unwrap();
    assert_eq!(
        status["runs"].as_array().unwrap().len(),
        usize::try_from(MAX_RUNS).unwrap()
    );
    let message = conflict(store.rerun(&task_id, t0()));
    assert!(message.contains("50 runs"), "{message}");
}

/// A resolution reason by its wire name.
fn reason(name: &str) -> tc_api::states::ReasonResolved {
    name.parse().expect("a reasonResolved")
}

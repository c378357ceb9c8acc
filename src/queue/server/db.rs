//! The queue's SQLite database (queue-api.md §7): WAL, `synchronous=FULL`, one `BEGIN
//! IMMEDIATE` transaction per mutating call, replies only after the commit.

use std::path::Path;
use std::sync::{Arc, Mutex};

use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior, params};

use super::error::ApiError;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS tasks (
    task_id TEXT PRIMARY KEY,
    definition TEXT NOT NULL,
    task_group_id TEXT NOT NULL,
    task_queue_id TEXT NOT NULL,
    priority_rank INTEGER NOT NULL,
    requires TEXT NOT NULL,
    retries INTEGER NOT NULL,
    retries_left INTEGER NOT NULL,
    deadline TEXT NOT NULL,
    expires TEXT NOT NULL,
    unsatisfied INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS tasks_by_group ON tasks (task_group_id, task_id);
CREATE INDEX IF NOT EXISTS tasks_by_deadline ON tasks (deadline);
CREATE TABLE IF NOT EXISTS runs (
    task_id TEXT NOT NULL,
    run_id INTEGER NOT NULL,
    state TEXT NOT NULL,
    reason_created TEXT NOT NULL,
    reason_resolved TEXT,
    worker_group TEXT,
    worker_id TEXT,
    taken_until TEXT,
    scheduled TEXT NOT NULL,
    started TEXT,
    resolved TEXT,
    pending_seq INTEGER,
    PRIMARY KEY (task_id, run_id)
);
CREATE INDEX IF NOT EXISTS runs_pending ON runs (state, pending_seq);
CREATE INDEX IF NOT EXISTS runs_taken ON runs (state, taken_until);
CREATE TABLE IF NOT EXISTS deps (
    task_id TEXT NOT NULL,
    dep_id TEXT NOT NULL,
    satisfied INTEGER NOT NULL,
    PRIMARY KEY (task_id, dep_id)
);
CREATE INDEX IF NOT EXISTS deps_by_dep ON deps (dep_id, task_id);
CREATE TABLE IF NOT EXISTS artifacts (
    task_id TEXT NOT NULL,
    run_id INTEGER NOT NULL,
    name TEXT NOT NULL,
    storage_type TEXT NOT NULL,
    content_type TEXT NOT NULL,
    expires TEXT NOT NULL,
    details TEXT NOT NULL,
    uploaded_size INTEGER,
    content_encoding TEXT,
    PRIMARY KEY (task_id, run_id, name)
);
CREATE INDEX IF NOT EXISTS artifacts_by_expiry ON artifacts (expires);
CREATE TABLE IF NOT EXISTS groups (
    task_group_id TEXT PRIMARY KEY,
    scheduler_id TEXT NOT NULL,
    expires TEXT NOT NULL,
    sealed TEXT
);
";

/// The one connection, shared; every call runs on a blocking thread.
#[derive(Clone)]
pub struct Db(Arc<Mutex<Connection>>);

impl Db {
    pub fn open(path: &Path) -> Result<Db, String> {
        let conn = Connection::open(path)
            .map_err(|e| format!("cannot open the queue database {}: {e}", path.display()))?;
        conn.execute_batch(
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=OFF; PRAGMA busy_timeout=5000;",
        )
        .and_then(|()| conn.execute_batch(SCHEMA))
        .map_err(|e| format!("cannot set up the queue database {}: {e}", path.display()))?;
        Ok(Db(Arc::new(Mutex::new(conn))))
    }

    /// Runs `f` in one `BEGIN IMMEDIATE` transaction, committed when it returns `Ok`.
    pub async fn write<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&Transaction) -> Result<T, ApiError> + Send + 'static,
    {
        let db = self.0.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = db
                .lock()
                .map_err(|_| ApiError::internal("the database lock is poisoned"))?;
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(ApiError::internal)?;
            let out = f(&tx)?;
            tx.commit().map_err(ApiError::internal)?;
            Ok(out)
        })
        .await
        .map_err(ApiError::internal)?
    }

    /// A value of `meta`, created with `make` the first time.
    pub fn meta(&self, key: &str, make: impl FnOnce() -> String) -> Result<String, String> {
        let conn = self
            .0
            .lock()
            .map_err(|_| "the database lock is poisoned".to_owned())?;
        let found: Option<String> = conn
            .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
            .optional()
            .map_err(|e| e.to_string())?;
        if let Some(v) = found {
            return Ok(v);
        }
        let v = make();
        conn.execute(
            "INSERT INTO meta (key, value) VALUES (?1, ?2)",
            params![key, v],
        )
        .map_err(|e| e.to_string())?;
        Ok(v)
    }
}

/// A database error inside a transaction is a 500.
pub fn sql<T>(r: rusqlite::Result<T>) -> Result<T, ApiError> {
    r.map_err(ApiError::internal)
}

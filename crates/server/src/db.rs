//! The queue's SQLite database (queue-api.md §7): WAL, `synchronous=FULL`, one `BEGIN
//! IMMEDIATE` transaction per mutating call, replies only after the commit.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rusqlite::{Connection, OptionalExtension, params};

use super::error::ApiError;

/// Why the database could not be opened or read at start-up.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum DbError {
    #[error("cannot open the queue database {}: {source}", path.display())]
    #[diagnostic(
        code(tc::queue::database),
        help("the state dir must be writable; choose another with --state-dir")
    )]
    Open {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
    #[error("cannot set up the queue database {}: {source}", path.display())]
    #[diagnostic(code(tc::queue::database))]
    Setup {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
    #[error("cannot start the database thread: {0}")]
    #[diagnostic(code(tc::queue::database))]
    Thread(#[source] std::io::Error),
    #[error("the database thread stopped")]
    #[diagnostic(code(tc::queue::database))]
    Stopped,
    /// A start-up read or write failed (its cause is logged with the incident id).
    #[error("{}", .0.message)]
    #[diagnostic(code(tc::queue::database))]
    Call(#[source] ApiError),
}

/// Why a batch's transaction failed: shared by every call of the batch.
type CommitError = Arc<rusqlite::Error>;

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

/// A unit of work for the writer thread: it runs inside the batch's transaction and gives back
/// whether it succeeded and how to deliver its result once the batch is committed (or not).
type Job = Box<dyn FnOnce(Option<&Connection>) -> (bool, Finish) + Send>;
type Finish = Box<dyn FnOnce(Result<(), CommitError>) + Send>;

/// The most calls one transaction carries.
const BATCH: usize = 256;

/// The database, owned by one writer thread. Calls that arrive together share one transaction
/// and one fsync (group commit); each call runs in its own savepoint, so a failing call leaves
/// no trace, and every reply waits for the commit.
#[derive(Clone)]
pub struct Db(std::sync::mpsc::Sender<Job>);

impl Db {
    pub fn open(path: &Path) -> Result<Db, DbError> {
        let conn = Connection::open(path).map_err(|source| DbError::Open {
            path: path.to_owned(),
            source,
        })?;
        conn.execute_batch(
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=OFF; PRAGMA busy_timeout=5000;",
        )
        .and_then(|()| conn.execute_batch(SCHEMA))
        .map_err(|source| DbError::Setup {
            path: path.to_owned(),
            source,
        })?;
        // Every statement of the queue stays prepared.
        conn.set_prepared_statement_cache_capacity(128);
        let (tx, rx) = std::sync::mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("tc-queue-db".into())
            .spawn(move || writer(&conn, &rx))
            .map_err(DbError::Thread)?;
        Ok(Db(tx))
    }

    fn submit<T, F>(&self, f: F, deliver: impl FnOnce(Result<T, ApiError>) + Send + 'static)
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, ApiError> + Send + 'static,
    {
        let job: Job = Box::new(move |conn| {
            // No connection: the batch could not begin; the job must not run outside it.
            let result = match conn {
                Some(c) => f(c),
                None => Err(ApiError::internal(
                    "the database could not begin a transaction",
                )),
            };
            let ok = result.is_ok();
            let finish: Finish = Box::new(move |commit| {
                deliver(match commit {
                    Ok(()) => result,
                    Err(e) => Err(ApiError::internal(e)),
                });
            });
            (ok, finish)
        });
        // A closed channel means the writer is gone; the caller then sees an internal error.
        let _ = self.0.send(job);
    }

    /// Runs `f` inside a transaction; the reply comes after the commit.
    pub async fn write<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, ApiError> + Send + 'static,
    {
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.submit(f, move |r| {
            let _ = tx.send(r);
        });
        rx.await
            .map_err(|_| ApiError::internal("the database thread stopped"))?
    }

    /// A value of `meta`, created with `make` the first time (blocking; for start-up).
    pub fn meta(
        &self,
        key: &str,
        make: impl FnOnce() -> String + Send + 'static,
    ) -> Result<String, DbError> {
        let key = key.to_owned();
        let (tx, rx) = std::sync::mpsc::channel();
        self.submit(
            move |conn| {
                let found: Option<String> = sql(conn
                    .query_row("SELECT value FROM meta WHERE key = ?1", [&key], |r| {
                        r.get(0)
                    })
                    .optional())?;
                if let Some(v) = found {
                    return Ok(v);
                }
                let v = make();
                sql(conn.execute(
                    "INSERT INTO meta (key, value) VALUES (?1, ?2)",
                    params![key, v],
                ))?;
                Ok(v)
            },
            move |r| {
                let _ = tx.send(r);
            },
        );
        rx.recv()
            .map_err(|_| DbError::Stopped)?
            .map_err(DbError::Call)
    }
}

/// The writer thread: takes what is queued (up to `BATCH`), runs it in one transaction with a
/// savepoint per job, commits, then delivers every result.
fn writer(conn: &Connection, rx: &std::sync::mpsc::Receiver<Job>) {
    while let Ok(first) = rx.recv() {
        let mut jobs = vec![first];
        while jobs.len() < BATCH {
            match rx.try_recv() {
                Ok(j) => jobs.push(j),
                Err(_) => break,
            }
        }
        let mut finishes = Vec::with_capacity(jobs.len());
        let begun = conn.execute_batch("BEGIN IMMEDIATE").map_err(Arc::new);
        for job in jobs {
            if let Err(e) = &begun {
                let (_, finish) = job(None);
                finishes.push((finish, Some(e.clone())));
                continue;
            }
            let _ = conn.execute_batch("SAVEPOINT job");
            let outcome =
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| job(Some(conn))));
            match outcome {
                Ok((true, finish)) => {
                    let _ = conn.execute_batch("RELEASE job");
                    finishes.push((finish, None));
                }
                Ok((false, finish)) => {
                    let _ = conn.execute_batch("ROLLBACK TO job; RELEASE job");
                    finishes.push((finish, None));
                }
                // The job's reply channel went with the panic: its caller sees an internal error.
                Err(_) => {
                    let _ = conn.execute_batch("ROLLBACK TO job; RELEASE job");
                }
            }
        }
        let committed = match &begun {
            Ok(()) => conn.execute_batch("COMMIT").map_err(|e| {
                let _ = conn.execute_batch("ROLLBACK");
                Arc::new(e)
            }),
            Err(e) => Err(e.clone()),
        };
        for (finish, failed) in finishes {
            finish(match failed {
                Some(e) => Err(e),
                None => committed.clone(),
            });
        }
    }
}

/// `query_row` through the statement cache (statements are parsed once per connection).
pub fn row<T, P: rusqlite::Params, F: FnOnce(&rusqlite::Row<'_>) -> rusqlite::Result<T>>(
    conn: &Connection,
    sql: &str,
    params: P,
    f: F,
) -> rusqlite::Result<T> {
    conn.prepare_cached(sql)?.query_row(params, f)
}

/// `execute` through the statement cache.
pub fn exec<P: rusqlite::Params>(
    conn: &Connection,
    sql: &str,
    params: P,
) -> rusqlite::Result<usize> {
    conn.prepare_cached(sql)?.execute(params)
}

/// A wire word (a state or a reason) in a text column, parsed as it is read: a word the queue
/// never writes is a database error, not a value passed on.
pub struct Word<T>(pub T);

impl<T> rusqlite::types::FromSql for Word<T>
where
    T: std::str::FromStr,
    T::Err: std::error::Error + Send + Sync + 'static,
{
    fn column_result(value: rusqlite::types::ValueRef<'_>) -> rusqlite::types::FromSqlResult<Self> {
        let text = value.as_str()?;
        text.parse()
            .map(Word)
            .map_err(|e| rusqlite::types::FromSqlError::Other(Box::new(e)))
    }
}

/// The `LIMIT` for a page of `limit` rows: one more, to tell whether more exist.
pub fn page_rows(limit: usize) -> i64 {
    i64::try_from(limit).map_or(i64::MAX, |n| n.saturating_add(1))
}

/// A database error inside a transaction is a 500.
pub fn sql<T>(r: rusqlite::Result<T>) -> Result<T, ApiError> {
    r.map_err(ApiError::internal)
}

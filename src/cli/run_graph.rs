//! `tc run-local --graph`: the whole target graph on this machine — an embedded queue in a
//! temporary directory, every task of the optimized graph submitted to it, and an in-process
//! `tc worker` with `-j` slots — shown as one progress line per task and a table of outcomes.
//! Dependents see their dependencies' artifacts through that queue.

use std::collections::{BTreeMap, HashMap};
use std::io::IsTerminal;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::sync::{mpsc, oneshot, watch};

use super::run_local::{RunLocalArgs, binds, read_cli_env, read_secrets, run_options};
use super::submit::{Entry, graph_entries};
use crate::error::{Error, Result};
use crate::output::{self, Format};
use tc_api::encode;
use tc_client::{Client, Credentials};
use tc_run::log::Terminal;
use tc_server::{self, Config, Limits};
use tc_worker::{self, Event, Finished, Stop};

const ROOT_CLIENT: &str = "static/taskcluster/root";

/// One task of the graph as the run goes.
struct Row {
    label: String,
    task_id: String,
    dependencies: Vec<String>,
    all_completed: bool,
    state: String,
    reason: String,
    /// Where the last run's files are.
    dir: Option<String>,
    bar: Option<indicatif::ProgressBar>,
}

impl Row {
    fn resolved(&self) -> bool {
        matches!(self.state.as_str(), "completed" | "failed" | "exception")
    }

    fn show(&self) {
        let text = match self.reason.as_str() {
            "" => self.state.clone(),
            r if r == self.state => self.state.clone(),
            r => format!("{} ({r})", self.state),
        };
        match &self.bar {
            Some(b) => {
                b.set_message(format!("{}  {text}", self.label));
                if self.resolved() || self.state == "blocked" {
                    b.finish();
                }
            }
            None => eprintln!("[tc] {}: {text}", self.label.trim_end()),
        }
    }
}

/// The task queue a definition names.
fn queue_of(def: &Value) -> String {
    match def["taskQueueId"].as_str() {
        Some(q) => q.to_owned(),
        None => format!(
            "{}/{}",
            def["provisionerId"].as_str().unwrap_or_default(),
            def["workerType"].as_str().unwrap_or_default()
        ),
    }
}

pub(super) fn run(args: &RunLocalArgs, format: Format) -> Result<i32> {
    let cli_env = read_cli_env(args)?;
    let secrets = read_secrets(args)?;
    let mut opts = run_options(args, cli_env, secrets, format, binds(&args.volumes)?);
    opts.terminal = Terminal::Nowhere;
    let runs_dir = args
        .artifacts_dir
        .clone()
        .unwrap_or_else(|| "artifacts".into());
    let state = tempfile::Builder::new()
        .prefix("tc-graph-queue-")
        .tempdir()
        .map_err(|e| Error::Internal(format!("cannot make the queue's state directory: {e}")))?;
    let token = tc_taskdef::slugid::v4() + &tc_taskdef::slugid::v4();
    let config = Config {
        listen: ([127, 0, 0, 1], 0).into(),
        state_dir: state.path().to_path_buf(),
        root_client_id: ROOT_CLIENT.into(),
        root_access_token: Some(token.clone()),
        public_url: None,
        clients_file: None,
        limits: Limits {
            // Short, so the worker notices the end quickly.
            claim_work_timeout: 1.0,
            // A local run takes artifacts of any size, as `tc run-local` of one task does.
            max_blob_size: 1 << 40,
            ..Limits::DEFAULT
        },
    };
    let rt = super::task::runtime()?;
    rt.block_on(async move {
        let (server_stop_tx, server_stop_rx) = oneshot::channel::<()>();
        let (ready_tx, ready_rx) = oneshot::channel();
        let server = tokio::spawn(tc_server::serve_until(
            config,
            async move {
                let _ = server_stop_rx.await;
            },
            Some(ready_tx),
        ));
        let root_url = if let Ok(url) = ready_rx.await {
            url
        } else {
            let why = match server.await {
                Ok(Err(e)) => e.to_string(),
                _ => "the embedded queue did not start".into(),
            };
            return Err(Error::Internal(why));
        };
        // The graph is made once the queue has its URL: dependents fetch their dependencies'
        // artifacts from it.
        let code = match graph_entries(
            args.root.as_deref(),
            args.parameters.clone(),
            args.try_syntax.clone(),
            &root_url,
        ) {
            Ok(entries) if entries.is_empty() => {
                eprintln!("[tc] the target graph is empty: nothing to run");
                Ok(0)
            }
            Ok(mut entries) => {
                let group = entries[0].task_id.clone();
                for e in &mut entries {
                    e.def["taskGroupId"] = json!(group);
                }
                let creds = Credentials::new(ROOT_CLIENT, &token, None);
                match Client::new(&root_url, Some(creds)) {
                    Ok(client) => {
                        let jobs = args.jobs as usize;
                        run_graph(&client, entries, opts, jobs, runs_dir, format).await
                    }
                    Err(e) => Err(e.into()),
                }
            }
            Err(e) => Err(e),
        };
        let _ = server_stop_tx.send(());
        let _ = server.await;
        drop(state);
        code
    })
}

async fn run_graph(
    client: &Client,
    entries: Vec<Entry>,
    opts: tc_run::taskrun::RunOptions,
    jobs: usize,
    runs_dir: std::path::PathBuf,
    format: Format,
) -> Result<i32> {
    // Signals are watched before the first task is created, so Ctrl-C always ends here (and
    // the queue's temporary directory goes).
    let (signals, mut interrupt) = watch_signals(&opts.cache_root.join("tasks"))?;
    let multi = std::io::stderr()
        .is_terminal()
        .then(indicatif::MultiProgress::new);
    let mut rows: Vec<Row> = Vec::new();
    let mut queues: Vec<String> = Vec::new();
    let width = entries
        .iter()
        .map(|e| e.label.as_deref().unwrap_or(&e.task_id).chars().count())
        .max()
        .unwrap_or(0);
    for e in &entries {
        if let Some(code) = *interrupt.borrow() {
            return Ok(code);
        }
        client
            .ok("PUT", &format!("task/{}", encode(&e.task_id)), Some(&e.def))
            .await?;
        let q = queue_of(&e.def);
        if !queues.contains(&q) {
            queues.push(q);
        }
        let label = e.label.clone().unwrap_or_else(|| e.task_id.clone());
        let bar = multi.as_ref().map(|m| {
            let b = m.add(indicatif::ProgressBar::new_spinner());
            b.set_style(
                indicatif::ProgressStyle::with_template("{spinner} {msg} {elapsed:.dim}")
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
            );
            b.enable_steady_tick(Duration::from_millis(120));
            b
        });
        let row = Row {
            label: format!("{label:<width$}"),
            task_id: e.task_id.clone(),
            dependencies: e.def["dependencies"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .filter(|d| *d != e.task_id)
                .map(str::to_owned)
                .collect(),
            all_completed: e.def["requires"].as_str() != Some("all-resolved"),
            state: "waiting".into(),
            reason: String::new(),
            dir: None,
            bar,
        };
        row.show();
        rows.push(row);
    }
    let index: HashMap<String, usize> = rows
        .iter()
        .enumerate()
        .map(|(i, r)| (r.task_id.clone(), i))
        .collect();

    let (events_tx, mut events) = mpsc::unbounded_channel();
    let (stop_tx, stop_rx) = watch::channel(Stop::Running);
    let cfg = tc_worker::Config {
        client: client.clone(),
        queues,
        worker_group: "local".into(),
        worker_id: "run-local".into(),
        capacity: jobs,
        once: false,
        wait_timeout: None,
        shutdown_grace: Duration::ZERO,
        run: opts,
        runs_dir,
        keep_runs: true,
        events: Some(events_tx),
    };
    let worker = tokio::spawn(tc_worker::work(cfg, stop_rx));
    loop {
        let event = tokio::select! {
            e = events.recv() => e,
            _ = interrupt.wait_for(Option::is_some) => break,
        };
        match event {
            Some(e) => {
                if apply(client, &mut rows, &index, e).await {
                    break;
                }
            }
            None => break,
        }
    }
    let interrupted = *interrupt.borrow();
    let _ = stop_tx.send(match interrupted {
        Some(code) => Stop::Now(code),
        None => Stop::Draining(0),
    });
    let stopped = worker.await;
    // What the worker said while stopping still belongs in the table.
    while let Ok(e) = events.try_recv() {
        apply(client, &mut rows, &index, e).await;
    }
    signals.abort();
    match stopped {
        Ok(Ok(_)) => {}
        Ok(Err(e)) => return Err(e.into()),
        Err(e) => return Err(Error::Internal(format!("the worker failed inside tc: {e}"))),
    }
    if let Some(m) = &multi {
        let _ = m.clear();
    }
    report(&rows, format)?;
    let worst = rows
        .iter()
        .map(|r| match r.state.as_str() {
            "completed" => 0,
            "failed" | "blocked" => tc_run::exit_codes::FAILED,
            _ => tc_run::exit_codes::EXCEPTION,
        })
        .max()
        .unwrap_or(0);
    Ok(interrupted.unwrap_or(worst))
}

/// Shows one event of the worker; true when nothing is left to run.
async fn apply(
    client: &Client,
    rows: &mut [Row],
    index: &HashMap<String, usize>,
    event: Event,
) -> bool {
    match event {
        Event::Started { task_id, .. } => {
            if let Some(&i) = index.get(&task_id) {
                rows[i].state = "running".into();
                rows[i].reason.clear();
                rows[i].show();
            }
            false
        }
        Event::Finished(f) => {
            finished(client, rows, index, f).await;
            settle(rows, index)
        }
    }
}

/// The first SIGINT/SIGTERM (its exit status) stops the run; a second one stops tc at once,
/// killing what runs.
fn watch_signals(
    tasks_dir: &std::path::Path,
) -> Result<(tokio::task::JoinHandle<()>, watch::Receiver<Option<i32>>)> {
    let left = format!("task directories may be left in {}", tasks_dir.display());
    let (tx, rx) = watch::channel(None);
    let handle = super::signals::on_signals(
        move |code| {
            let _ = tx.send(Some(code));
        },
        move |code| super::signals::stop_now(code, &left),
    )
    .map_err(|e| Error::Internal(format!("cannot watch signals: {e}")))?;
    Ok((handle, rx))
}

/// A run ended: the task's state is what the queue now says (a retry run may follow).
async fn finished(client: &Client, rows: &mut [Row], index: &HashMap<String, usize>, f: Finished) {
    let Some(&i) = index.get(&f.task_id) else {
        return;
    };
    let status = client
        .ok("GET", &format!("task/{}/status", encode(&f.task_id)), None)
        .await
        .map_or(Value::Null, |a| a.body["status"].clone());
    let row = &mut rows[i];
    row.dir = f.dir.as_ref().map(|d| d.display().to_string());
    match status["state"].as_str() {
        Some("pending") => {
            row.state = "pending".into();
            row.reason = format!("retry after {}", f.reason());
        }
        Some(state) => {
            row.state = state.to_owned();
            row.reason = f.reason().to_string();
        }
        None => {
            row.state = f.state().to_owned();
            row.reason = f.reason().to_string();
        }
    }
    row.show();
}

/// Marks the tasks that can never run (an `all-completed` dependency did not complete, or is
/// itself blocked); true when nothing is left to run.
fn settle(rows: &mut [Row], index: &HashMap<String, usize>) -> bool {
    loop {
        let mut changed = false;
        for i in 0..rows.len() {
            if rows[i].resolved() || rows[i].state != "waiting" {
                continue;
            }
            let blocker = rows[i].dependencies.iter().find_map(|d| {
                let dep = &rows[*index.get(d)?];
                let stuck = dep.state == "blocked"
                    || (rows[i].all_completed && dep.resolved() && dep.state != "completed");
                stuck.then(|| dep.label.trim_end().to_owned())
            });
            if let Some(label) = blocker {
                rows[i].state = "blocked".into();
                rows[i].reason = format!("dependency {label} did not complete");
                rows[i].show();
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    rows.iter().all(|r| r.resolved() || r.state == "blocked")
}

fn report(rows: &[Row], format: Format) -> Result<()> {
    if format == Format::Json {
        let doc: Vec<Value> = rows
            .iter()
            .map(|r| {
                json!({"label": r.label.trim_end(), "taskId": r.task_id, "state": r.state,
                       "reason": r.reason, "artifactsDir": r.dir})
            })
            .collect();
        return output::print_document(Format::Json, &doc);
    }
    let mut table = output::table::new(&["Task", "Outcome", "Why", "Artifacts and log"]);
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for r in rows {
        *counts.entry(r.state.as_str()).or_default() += 1;
        let why = if r.reason == r.state { "" } else { &r.reason };
        table.add_row(vec![
            r.label.trim_end(),
            &r.state,
            why,
            r.dir.as_deref().unwrap_or(""),
        ]);
    }
    let summary: Vec<String> = counts.iter().map(|(k, n)| format!("{n} {k}")).collect();
    output::print_text(&format!("{table}\n{}\n", summary.join(", ")))
}

//! `tc run-local --graph` as people see it: one progress line per task while tc-local runs the
//! optimized graph on an embedded queue, then a table (or JSON) of the outcomes.

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{Value, json};
use tc_local::{Embedded, Observer, Outcome, Settings, TaskView};
use tokio::sync::watch;

use crate::error::{Error, Result};
use crate::output::{self, Format};

/// Which graph to run.
pub(super) struct GraphChoice {
    pub root: Option<PathBuf>,
    pub parameters: Option<PathBuf>,
    pub try_syntax: Option<String>,
}

pub(super) fn run(graph: GraphChoice, settings: Settings, format: Format) -> Result<i32> {
    let rt = super::runtime()?;
    rt.block_on(async move {
        let queue = Embedded::start().await?;
        // The graph is made once the queue has its URL: dependents fetch their dependencies'
        // artifacts from it.
        let code = match super::submit::graph_entries(
            graph.root.as_deref(),
            graph.parameters,
            graph.try_syntax,
            &queue.root_url,
        ) {
            Ok(tasks) if tasks.is_empty() => {
                eprintln!("[tc] the target graph is empty: nothing to run");
                Ok(0)
            }
            Ok(mut tasks) => {
                let group = tasks[0].task_id.clone();
                for t in &mut tasks {
                    t.definition["taskGroupId"] = json!(group);
                }
                run_tasks(&queue, tasks, settings, format).await
            }
            Err(e) => Err(e),
        };
        queue.stop().await;
        code
    })
}

async fn run_tasks(
    queue: &Embedded,
    tasks: Vec<tc_api::NewTask>,
    settings: Settings,
    format: Format,
) -> Result<i32> {
    // Signals are watched before the first task is created, so Ctrl-C always ends here (and
    // the queue's temporary directory goes).
    let (signals, interrupt) = watch_signals(&settings.run.cache_root.join("tasks"))?;
    let width = tasks
        .iter()
        .map(|t| t.label.as_deref().unwrap_or(&t.task_id).chars().count())
        .max()
        .unwrap_or(0);
    let mut progress = Progress::new(width);
    let outcome = tc_local::run(&queue.client, tasks, settings, interrupt, &mut progress).await;
    signals.abort();
    let (tasks, interrupted) = match outcome.map_err(Error::from)? {
        Outcome::Interrupted(code) => return Ok(code),
        Outcome::Ran { tasks, interrupted } => (tasks, interrupted),
    };
    progress.clear();
    report(&tasks, format)?;
    let worst = tasks
        .iter()
        .map(|t| match t.state.as_str() {
            "completed" => 0,
            "failed" | "blocked" => tc_run::exit_codes::FAILED,
            _ => tc_run::exit_codes::EXCEPTION,
        })
        .max()
        .unwrap_or(0);
    Ok(interrupted.unwrap_or(worst))
}

/// A spinner line per task on a terminal, else a line on stderr per change.
struct Progress {
    multi: Option<indicatif::MultiProgress>,
    bars: BTreeMap<String, indicatif::ProgressBar>,
    width: usize,
}

impl Progress {
    fn new(width: usize) -> Self {
        let multi = std::io::stderr()
            .is_terminal()
            .then(indicatif::MultiProgress::new);
        Progress {
            multi,
            bars: BTreeMap::new(),
            width,
        }
    }

    fn clear(&self) {
        if let Some(m) = &self.multi {
            let _ = m.clear();
        }
    }

    fn show(&self, task: &TaskView) {
        let text = match task.reason.as_str() {
            "" => task.state.clone(),
            r if r == task.state => task.state.clone(),
            r => format!("{} ({r})", task.state),
        };
        match self.bars.get(&task.task_id) {
            Some(bar) => {
                bar.set_message(format!("{:<w$}  {text}", task.label, w = self.width));
                if task.settled() {
                    bar.finish();
                }
            }
            None => eprintln!("[tc] {}: {text}", task.label),
        }
    }
}

impl Observer for Progress {
    fn created(&mut self, task: &TaskView) {
        if let Some(m) = &self.multi {
            let bar = m.add(indicatif::ProgressBar::new_spinner());
            bar.set_style(
                indicatif::ProgressStyle::with_template("{spinner} {msg} {elapsed:.dim}")
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
            );
            bar.enable_steady_tick(Duration::from_millis(120));
            self.bars.insert(task.task_id.clone(), bar);
        }
        self.show(task);
    }

    fn changed(&mut self, task: &TaskView) {
        self.show(task);
    }
}

/// The first SIGINT/SIGTERM (its exit status) stops the run; a second one stops tc at once,
/// killing what runs.
fn watch_signals(
    tasks_dir: &Path,
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

fn report(tasks: &[TaskView], format: Format) -> Result<()> {
    if format == Format::Json {
        let doc: Vec<Value> = tasks
            .iter()
            .map(|t| {
                json!({"label": t.label, "taskId": t.task_id, "state": t.state,
                       "reason": t.reason, "artifactsDir": t.dir})
            })
            .collect();
        return output::print_document(Format::Json, &doc);
    }
    let mut table = output::table::new(&["Task", "Outcome", "Why", "Artifacts and log"]);
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for t in tasks {
        *counts.entry(t.state.as_str()).or_default() += 1;
        let why = if t.reason == t.state { "" } else { &t.reason };
        table.add_row(vec![
            t.label.as_str(),
            &t.state,
            why,
            t.dir.as_deref().unwrap_or(""),
        ]);
    }
    let summary: Vec<String> = counts.iter().map(|(k, n)| format!("{n} {k}")).collect();
    output::print_text(&format!("{table}\n{}\n", summary.join(", ")))
}

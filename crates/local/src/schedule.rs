//! Runs a graph's tasks on a queue with an in-process worker, and follows each task to its end:
//! a task whose `all-completed` dependency did not complete can never run, and is marked
//! blocked, so the run ends when every task is resolved or blocked.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

use tc_api::{NewTask, encode};
use tc_client::Client;
use tc_run::taskrun::RunOptions;
use tc_worker::{Event, Finished, Stop};
use tokio::sync::{mpsc, watch};

/// How the in-process worker runs the tasks.
pub struct Settings {
    pub run: RunOptions,
    /// How many tasks run at once.
    pub jobs: usize,
    /// Where each run's directory is kept.
    pub runs_dir: PathBuf,
}

/// One task as the run goes.
#[derive(Debug, Clone)]
pub struct TaskView {
    pub label: String,
    pub task_id: String,
    /// `waiting`, `running`, `pending` (a retry follows), `blocked`, or the resolution:
    /// `completed`, `failed`, `exception`.
    pub state: String,
    /// Why: the exception reason, the retry, the blocking dependency.
    pub reason: String,
    /// Where the last run's files are.
    pub dir: Option<String>,
    dependencies: Vec<String>,
    all_completed: bool,
}

impl TaskView {
    fn new(task: &NewTask) -> Self {
        TaskView {
            label: task.label.clone().unwrap_or_else(|| task.task_id.clone()),
            task_id: task.task_id.clone(),
            state: "waiting".into(),
            reason: String::new(),
            dir: None,
            dependencies: task.dependencies().map(str::to_owned).collect(),
            all_completed: task.definition["requires"].as_str() != Some("all-resolved"),
        }
    }

    pub fn resolved(&self) -> bool {
        matches!(self.state.as_str(), "completed" | "failed" | "exception")
    }

    /// Resolved, or blocked: nothing more will happen to it.
    pub fn settled(&self) -> bool {
        self.resolved() || self.state == "blocked"
    }
}

/// What a caller shows of the run.
pub trait Observer {
    /// A task was created on the queue.
    fn created(&mut self, task: &TaskView);
    /// A task's state or reason changed.
    fn changed(&mut self, task: &TaskView);
}

/// How the run ended.
pub enum Outcome {
    /// Interrupted (with this exit status) before every task was created.
    Interrupted(i32),
    /// The tasks as they ended; `interrupted` when a signal stopped the run first.
    Ran {
        tasks: Vec<TaskView>,
        interrupted: Option<i32>,
    },
}

/// Why the run could not go on.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum RunError {
    #[error(transparent)]
    #[diagnostic(transparent)]
    Queue(#[from] tc_client::QueueError),
    #[error(transparent)]
    #[diagnostic(transparent)]
    Worker(#[from] tc_worker::WorkerError),
    #[error("the worker failed inside tc: {0}")]
    #[diagnostic(code(tc::local::worker_panicked))]
    WorkerPanicked(#[source] tokio::task::JoinError),
}

/// Creates `tasks` (dependencies first) on the queue of `client` and runs them with an
/// in-process worker until each is settled or `interrupt` carries an exit status.
pub async fn run(
    client: &Client,
    tasks: Vec<NewTask>,
    settings: Settings,
    mut interrupt: watch::Receiver<Option<i32>>,
    observer: &mut dyn Observer,
) -> Result<Outcome, RunError> {
    let mut views = Vec::with_capacity(tasks.len());
    let mut queues: Vec<String> = Vec::new();
    for task in &tasks {
        if let Some(code) = *interrupt.borrow() {
            return Ok(Outcome::Interrupted(code));
        }
        client
            .ok(
                "PUT",
                &format!("task/{}", encode(&task.task_id)),
                Some(&task.definition),
            )
            .await?;
        let queue = task.queue();
        if !queues.contains(&queue) {
            queues.push(queue);
        }
        let view = TaskView::new(task);
        observer.created(&view);
        views.push(view);
    }
    let mut graph = Graph::new(views);
    let (events_tx, mut events) = mpsc::unbounded_channel();
    let (stop_tx, stop_rx) = watch::channel(Stop::Running);
    let worker = tokio::spawn(tc_worker::work(
        worker_config(client, queues, settings, events_tx),
        stop_rx,
    ));
    loop {
        let event = tokio::select! {
            e = events.recv() => e,
            _ = interrupt.wait_for(Option::is_some) => break,
        };
        let Some(event) = event else { break };
        if graph.apply(client, event, observer).await {
            break;
        }
    }
    let interrupted = *interrupt.borrow();
    let _ = stop_tx.send(interrupted.map_or(Stop::Draining(0), Stop::Now));
    let stopped = worker.await;
    // What the worker said while stopping still belongs to the outcome.
    while let Ok(event) = events.try_recv() {
        graph.apply(client, event, observer).await;
    }
    match stopped {
        Ok(Ok(_)) => Ok(Outcome::Ran {
            tasks: graph.tasks,
            interrupted,
        }),
        Ok(Err(e)) => Err(RunError::Worker(e)),
        Err(e) => Err(RunError::WorkerPanicked(e)),
    }
}

fn worker_config(
    client: &Client,
    queues: Vec<String>,
    settings: Settings,
    events: mpsc::UnboundedSender<Event>,
) -> tc_worker::Config {
    tc_worker::Config {
        client: client.clone(),
        queues,
        worker_group: "local".into(),
        worker_id: "run-local".into(),
        capacity: settings.jobs,
        once: false,
        wait_timeout: None,
        shutdown_grace: Duration::ZERO,
        run: settings.run,
        runs_dir: settings.runs_dir,
        keep_runs: true,
        events: Some(events),
    }
}

/// The tasks, and where each taskId is among them.
struct Graph {
    tasks: Vec<TaskView>,
    index: HashMap<String, usize>,
}

impl Graph {
    fn new(tasks: Vec<TaskView>) -> Self {
        let index = tasks
            .iter()
            .enumerate()
            .map(|(i, t)| (t.task_id.clone(), i))
            .collect();
        Graph { tasks, index }
    }

    /// Takes in one event of the worker; true when every task is settled.
    async fn apply(&mut self, client: &Client, event: Event, observer: &mut dyn Observer) -> bool {
        match event {
            Event::Started { task_id, .. } => {
                if let Some(&i) = self.index.get(&task_id) {
                    let task = &mut self.tasks[i];
                    task.state = "running".into();
                    task.reason.clear();
                    observer.changed(task);
                }
                false
            }
            Event::Finished(f) => {
                self.finished(client, f, observer).await;
                self.settle(observer)
            }
        }
    }

    /// A run ended: the task's state is what the queue now says (a retry run may follow).
    async fn finished(&mut self, client: &Client, f: Finished, observer: &mut dyn Observer) {
        let Some(&i) = self.index.get(&f.task_id) else {
            return;
        };
        let status = client
            .ok("GET", &format!("task/{}/status", encode(&f.task_id)), None)
            .await
            .map_or(serde_json::Value::Null, |a| a.body["status"].clone());
        let task = &mut self.tasks[i];
        task.dir = f.dir.as_ref().map(|d| d.display().to_string());
        match status["state"].as_str() {
            Some("pending") => {
                task.state = "pending".into();
                task.reason = format!("retry after {}", f.reason());
            }
            Some(state) => {
                state.clone_into(&mut task.state);
                task.reason = f.reason().to_string();
            }
            None => {
                f.state().clone_into(&mut task.state);
                task.reason = f.reason().to_string();
            }
        }
        observer.changed(task);
    }

    /// Marks the tasks that can never run (an `all-completed` dependency did not complete, or
    /// is itself blocked); true when every task is settled.
    fn settle(&mut self, observer: &mut dyn Observer) -> bool {
        while let Some((i, dependency)) = self.next_blocked() {
            let task = &mut self.tasks[i];
            task.state = "blocked".into();
            task.reason = format!("dependency {dependency} did not complete");
            observer.changed(task);
        }
        self.tasks.iter().all(TaskView::settled)
    }

    /// A waiting task that can never run, and the label of the dependency that stops it.
    fn next_blocked(&self) -> Option<(usize, String)> {
        self.tasks.iter().enumerate().find_map(|(i, task)| {
            if task.state != "waiting" {
                return None;
            }
            task.dependencies.iter().find_map(|d| {
                let dep = &self.tasks[*self.index.get(d)?];
                let stuck = dep.state == "blocked"
                    || (task.all_completed && dep.resolved() && dep.state != "completed");
                stuck.then(|| (i, dep.label.clone()))
            })
        })
    }
}

//! `tc group …` (queue-api.md §8.2): a task group's status with the blocked-task hint, its
//! tasks, cancel (whole or filtered) and seal.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Duration;

use clap::Subcommand;
use serde_json::{Value, json};

use super::confirm::confirm;
use super::format::DocumentFormatArg;
use super::queue_args::{QueueArgs, check_id};
use super::runtime;
use crate::error::Result;
use crate::output::{self, Format};
use tc_api::encode;
use tc_client::Client;

#[derive(Debug, Subcommand)]
pub enum GroupCommand {
    /// Counts per state, the failed tasks and the blocked-task hint of a group.
    Status(StatusArgs),
    /// The tasks of a group.
    List(ListArgs),
    /// Cancel a group's unresolved tasks (all of them, or those the filters keep).
    Cancel(CancelArgs),
    /// Seal a group so that no task can join it (irreversible).
    Seal(SealArgs),
}

#[derive(Debug, clap::Args)]
pub struct StatusArgs {
    /// The taskGroupId.
    pub group: String,
    /// Wait until nothing is pending or running and no unscheduled task can still run.
    #[arg(long)]
    pub wait: bool,
    #[command(flatten)]
    pub queue: QueueArgs,
    #[command(flatten)]
    pub format: DocumentFormatArg,
}

#[derive(Debug, clap::Args)]
pub struct Filters {
    /// Only tasks in these states (comma-separated: unscheduled, pending, running, completed,
    /// failed, exception).
    #[arg(long, value_name = "S,…", value_delimiter = ',')]
    pub state: Vec<String>,
    /// Only tasks of this task queue.
    #[arg(long, value_name = "QUEUE")]
    pub task_queue: Option<String>,
}

#[derive(Debug, clap::Args)]
pub struct ListArgs {
    /// The taskGroupId.
    pub group: String,
    #[command(flatten)]
    pub filters: Filters,
    #[command(flatten)]
    pub queue: QueueArgs,
    #[command(flatten)]
    pub format: DocumentFormatArg,
}

#[derive(Debug, clap::Args)]
pub struct CancelArgs {
    /// The taskGroupId.
    pub group: String,
    /// Seal the group first, then cancel it as a whole.
    #[arg(long)]
    pub seal: bool,
    #[command(flatten)]
    pub filters: Filters,
    /// Do not ask for confirmation.
    #[arg(short = 'y', long)]
    pub yes: bool,
    /// Print the calls that would be made, and make none.
    #[arg(long)]
    pub dry_run: bool,
    #[command(flatten)]
    pub queue: QueueArgs,
    #[command(flatten)]
    pub format: DocumentFormatArg,
}

#[derive(Debug, clap::Args)]
pub struct SealArgs {
    /// The taskGroupId.
    pub group: String,
    /// Do not ask for confirmation.
    #[arg(short = 'y', long)]
    pub yes: bool,
    /// Print the call that would be made, and make none.
    #[arg(long)]
    pub dry_run: bool,
    #[command(flatten)]
    pub queue: QueueArgs,
    #[command(flatten)]
    pub format: DocumentFormatArg,
}

impl GroupCommand {
    /// The format this subcommand prints in (its errors too).
    pub fn format(&self) -> Format {
        match self {
            GroupCommand::Status(a) => a.format.get(),
            GroupCommand::List(a) => a.format.get(),
            GroupCommand::Cancel(a) => a.format.get(),
            GroupCommand::Seal(a) => a.format.get(),
        }
    }
}

/// Every `{status, task}` of a group, page by page.
async fn members(client: &Client, group: &str) -> Result<Vec<Value>> {
    let route = format!("task-group/{}/list", encode(group));
    Ok(client.list_all(&route, "tasks").await?)
}

fn state(t: &Value) -> &str {
    t["status"]["state"].as_str().unwrap_or_default()
}

fn keep(t: &Value, f: &Filters) -> bool {
    (f.state.is_empty() || f.state.iter().any(|s| s == state(t)))
        && f.task_queue
            .as_deref()
            .is_none_or(|q| t["status"]["taskQueueId"] == json!(q))
}

/// Unscheduled `all-completed` tasks whose dependency in the group failed (§3.3).
fn blocked(tasks: &[Value]) -> Vec<&Value> {
    let states: BTreeMap<&str, &str> = tasks
        .iter()
        .map(|t| (t["status"]["taskId"].as_str().unwrap_or_default(), state(t)))
        .collect();
    tasks
        .iter()
        .filter(|t| state(t) == "unscheduled" && t["task"]["requires"] == json!("all-completed"))
        .filter(|t| {
            t["task"]["dependencies"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|d| {
                    matches!(
                        states.get(d.as_str().unwrap_or_default()),
                        Some(&"failed" | &"exception")
                    )
                })
        })
        .collect()
}

fn summary(group: &str, tasks: &[Value]) -> String {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for t in tasks {
        *counts.entry(state(t)).or_default() += 1;
    }
    let mut out = format!("task group {group}: {} tasks\n", tasks.len());
    for (s, n) in &counts {
        let _ = writeln!(out, "  {s:<12} {n}");
    }
    for t in tasks
        .iter()
        .filter(|t| matches!(state(t), "failed" | "exception"))
    {
        let _ = writeln!(
            out,
            "  {} {} {}",
            state(t),
            t["status"]["taskId"].as_str().unwrap_or_default(),
            t["task"]["metadata"]["name"].as_str().unwrap_or_default()
        );
    }
    let stuck = blocked(tasks);
    if !stuck.is_empty() {
        let until = stuck
            .iter()
            .filter_map(|t| t["task"]["deadline"].as_str())
            .max()
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "  {} unscheduled task(s) wait on a dependency that did not complete (requires: all-completed); they resolve exception/deadline-exceeded at their deadlines (the last at {until}). Rerun the failed dependency, `tc task rerun` them (ignores dependencies), or cancel them",
            stuck.len()
        );
    }
    out
}

/// Whether the group is done: nothing pending or running, nothing unscheduled that can run.
fn settled(tasks: &[Value]) -> bool {
    let stuck = blocked(tasks).len();
    let unscheduled = tasks.iter().filter(|t| state(t) == "unscheduled").count();
    !tasks
        .iter()
        .any(|t| matches!(state(t), "pending" | "running"))
        && unscheduled == stuck
}

pub(super) fn run(cmd: GroupCommand, format: Format) -> Result<i32> {
    runtime()?.block_on(run_async(cmd, format))
}

async fn run_async(cmd: GroupCommand, format: Format) -> Result<i32> {
    match cmd {
        GroupCommand::Status(a) => {
            check_id(&a.group)?;
            let client = a.queue.client()?;
            let mut pause = Duration::from_secs(2);
            loop {
                let tasks = members(&client, &a.group).await?;
                if !a.wait || settled(&tasks) {
                    match format {
                        Format::Human => output::print_text(&summary(&a.group, &tasks))?,
                        _ => output::print_document(
                            format,
                            &json!({"taskGroupId": a.group, "tasks": tasks}),
                        )?,
                    }
                    let failed = tasks
                        .iter()
                        .any(|t| matches!(state(t), "failed" | "exception"));
                    return Ok(if a.wait && failed {
                        tc_run::exit_codes::FAILED
                    } else {
                        0
                    });
                }
                tokio::time::sleep(pause).await;
                pause = (pause * 3 / 2).min(Duration::from_secs(10));
            }
        }
        GroupCommand::List(a) => {
            check_id(&a.group)?;
            let client = a.queue.client()?;
            let tasks = members(&client, &a.group).await?;
            let kept: Vec<&Value> = tasks.iter().filter(|t| keep(t, &a.filters)).collect();
            match format {
                Format::Human => {
                    let mut text = String::new();
                    for t in &kept {
                        let _ = writeln!(
                            text,
                            "{}  {:<11}  {}",
                            t["status"]["taskId"].as_str().unwrap_or_default(),
                            state(t),
                            t["task"]["metadata"]["name"].as_str().unwrap_or_default()
                        );
                    }
                    output::print_text(&text)?;
                }
                _ => {
                    output::print_document(
                        format,
                        &json!({"taskGroupId": a.group, "tasks": kept}),
                    )?;
                }
            }
            Ok(0)
        }
        GroupCommand::Seal(a) => {
            check_id(&a.group)?;
            let client = a.queue.client()?;
            let route = format!("task-group/{}/seal", encode(&a.group));
            if a.dry_run {
                output::print_text(&format!("POST {route}\n"))?;
                return Ok(0);
            }
            confirm(
                &format!("seal task group {} (irreversible)", a.group),
                a.yes,
            )?;
            let g = client.ok("POST", &route, None).await?.body;
            output::print_document(
                if format == Format::Human {
                    Format::Json
                } else {
                    format
                },
                &g,
            )?;
            Ok(0)
        }
        GroupCommand::Cancel(a) => cancel(a, format).await,
    }
}

async fn cancel(a: CancelArgs, format: Format) -> Result<i32> {
    check_id(&a.group)?;
    let client = a.queue.client()?;
    let group = client
        .ok("GET", &format!("task-group/{}", encode(&a.group)), None)
        .await?
        .body;
    let sealed = group.get("sealed").is_some();
    let filtered = !a.filters.state.is_empty() || a.filters.task_queue.is_some();
    let tasks = members(&client, &a.group).await?;
    let open: Vec<&Value> = tasks
        .iter()
        .filter(|t| matches!(state(t), "unscheduled" | "pending" | "running"))
        .filter(|t| keep(t, &a.filters))
        .collect();
    let whole = !filtered && (sealed || a.seal);
    // The calls to make: `--dry-run` prints them, a run makes them in order.
    let open_ids: Vec<String> = open
        .iter()
        .map(|t| {
            t["status"]["taskId"]
                .as_str()
                .unwrap_or_default()
                .to_owned()
        })
        .collect();
    let mut calls: Vec<String> = Vec::new();
    let seals = whole && !sealed;
    if whole {
        if seals {
            calls.push(format!("task-group/{}/seal", encode(&a.group)));
        }
        calls.push(format!("task-group/{}/cancel", encode(&a.group)));
    } else {
        calls.extend(
            open_ids
                .iter()
                .map(|id| format!("task/{}/cancel", encode(id))),
        );
    }
    if a.dry_run {
        let lines: Vec<String> = calls.iter().map(|r| format!("POST {r}\n")).collect();
        output::print_text(&lines.concat())?;
        return Ok(0);
    }
    if !whole && !sealed {
        eprintln!(
            "warning: the group is not sealed: new tasks can still join it (use --seal to seal it first)"
        );
    }
    // Nothing to cancel and nothing to seal: no change to confirm.
    if open.is_empty() && !seals {
        calls.clear();
    } else {
        let (n, group, all) = (open.len(), &a.group, tasks.len());
        let what = if seals {
            format!(
                "seal task group {group} (irreversible) and cancel its {n} unresolved task(s) ({all} tasks)"
            )
        } else {
            format!("cancel {n} unresolved task(s) of group {group} ({all} tasks)")
        };
        confirm(&what, a.yes)?;
    }
    let mut last = Value::Null;
    for route in &calls {
        last = client.ok("POST", route, None).await?.body;
    }
    // cancelTaskGroup (the last call) answers with the tasks it canceled; one by one, they
    // are the open ones.
    let canceled: Vec<String> = if whole {
        last["taskIds"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect()
    } else {
        open_ids
    };
    match format {
        Format::Human => output::print_text(&format!("canceled {} task(s)\n", canceled.len()))?,
        _ => output::print_document(
            format,
            &json!({"taskGroupId": a.group, "canceled": canceled}),
        )?,
    }
    Ok(0)
}

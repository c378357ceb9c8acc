//! `tc task …` (queue-api.md §8.2): one task of a queue — status, definition, log, artifacts,
//! cancel, rerun and retrigger — through tc's client.

use std::fmt::Write as _;
use std::io::Write;
use std::path::PathBuf;

use clap::Subcommand;
use serde_json::{Value, json};

use crate::error::{Error, Result};
use crate::output::{self, Format};
use tc_api::encode;
use tc_client::Client;
use tc_run::exit_codes;

use super::confirm::confirm;
use super::format::DocumentFormatArg;
use super::queue_args::{QueueArgs, check_id};
use super::runtime;
use super::task_log::print_log;
use tc_run::exit_codes::for_resolution;

#[derive(Debug, Subcommand)]
pub enum TaskCommand {
    /// State, runs and deadline of a task.
    Status(StatusArgs),
    /// A task's definition as JSON.
    Def(DefArgs),
    /// A task's log (public/logs/live.log), optionally followed until it resolves.
    Log(LogArgs),
    /// List or download a task's artifacts.
    Artifacts(ArtifactsArgs),
    /// Cancel a task.
    Cancel(ConfirmArgs),
    /// Run a resolved task again (dependencies are not checked).
    Rerun(ConfirmArgs),
    /// Create a new task from a task's definition, with fresh times.
    Retrigger(RetriggerArgs),
}

#[derive(Debug, clap::Args)]
pub struct RetriggerArgs {
    #[command(flatten)]
    pub confirm: ConfirmArgs,
    /// Drop the dependencies.
    #[arg(long)]
    pub no_deps: bool,
    /// Keep the routes (dropped by default, so indexes and notifications do not fire twice).
    #[arg(long)]
    pub keep_routes: bool,
    /// Keep everything but the times: dependencies and routes.
    #[arg(long)]
    pub exact: bool,
    /// Put the new task in a new group (its own id).
    #[arg(long)]
    pub new_group: bool,
}

#[derive(Debug, clap::Args)]
pub struct IdArgs {
    /// The taskId.
    pub task_id: String,
    #[command(flatten)]
    pub queue: QueueArgs,
}

#[derive(Debug, clap::Args)]
pub struct DefArgs {
    #[command(flatten)]
    pub id: IdArgs,
    /// Output format: `json` (also `human`) or `yaml`.
    #[arg(long, value_enum, default_value_t = DefFormat::Json)]
    pub format: DefFormat,
}

/// A definition prints as JSON, for people too, or as YAML.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DefFormat {
    /// Indented JSON.
    #[value(alias = "human")]
    Json,
    /// The same document as YAML.
    Yaml,
}

#[derive(Debug, clap::Args)]
pub struct StatusArgs {
    #[command(flatten)]
    pub id: IdArgs,
    /// Wait until the task resolves; exit 0 completed, 1 failed, 3 exception.
    #[arg(long)]
    pub wait: bool,
    #[command(flatten)]
    pub format: DocumentFormatArg,
}

#[derive(Debug, clap::Args)]
pub struct LogArgs {
    #[command(flatten)]
    pub id: IdArgs,
    /// The run (default the latest).
    #[arg(long, value_name = "N")]
    pub run: Option<u32>,
    /// Keep printing new output until the task resolves.
    #[arg(long)]
    pub follow: bool,
}

#[derive(Debug, clap::Args)]
pub struct ArtifactsArgs {
    #[command(flatten)]
    pub id: IdArgs,
    /// The run (default the latest).
    #[arg(long, value_name = "N")]
    pub run: Option<u32>,
    /// Download this artifact.
    #[arg(long, value_name = "NAME", conflicts_with = "all")]
    pub get: Option<String>,
    /// Download every artifact.
    #[arg(long)]
    pub all: bool,
    /// Where to write (a file for --get, or - for stdout; a directory for --all).
    #[arg(short = 'o', long = "output", value_name = "PATH")]
    pub output: Option<PathBuf>,
    #[command(flatten)]
    pub format: DocumentFormatArg,
}

#[derive(Debug, clap::Args)]
pub struct ConfirmArgs {
    #[command(flatten)]
    pub id: IdArgs,
    /// Do not ask for confirmation.
    #[arg(short = 'y', long)]
    pub yes: bool,
    /// Print the call that would be made, and make none.
    #[arg(long)]
    pub dry_run: bool,
    #[command(flatten)]
    pub format: DocumentFormatArg,
}

impl TaskCommand {
    /// The format this subcommand prints in (its errors too).
    pub fn format(&self) -> Format {
        match self {
            TaskCommand::Status(a) => a.format.get(),
            TaskCommand::Def(a) => match a.format {
                DefFormat::Json => Format::Json,
                DefFormat::Yaml => Format::Yaml,
            },
            TaskCommand::Log(_) => Format::Human,
            TaskCommand::Artifacts(a) => a.format.get(),
            TaskCommand::Cancel(a) | TaskCommand::Rerun(a) => a.format.get(),
            TaskCommand::Retrigger(a) => a.confirm.format.get(),
        }
    }
}

/// The human form of a status: state, runs and deadline.
pub(super) fn describe_status(s: &Value) -> String {
    let mut out = format!(
        "{}  {}  queue {}  deadline {}\n",
        s["taskId"].as_str().unwrap_or_default(),
        s["state"].as_str().unwrap_or_default(),
        s["taskQueueId"].as_str().unwrap_or_default(),
        s["deadline"].as_str().unwrap_or_default()
    );
    for r in s["runs"].as_array().into_iter().flatten() {
        let f = |k: &str| r.get(k).and_then(Value::as_str).unwrap_or("-");
        let _ = writeln!(
            out,
            "  run {}  {}  created {}  resolved {}  worker {}/{}  {} → {}",
            r["runId"],
            f("state"),
            f("reasonCreated"),
            f("reasonResolved"),
            f("workerGroup"),
            f("workerId"),
            f("started"),
            f("resolved")
        );
    }
    out
}

/// For an unscheduled task: the dependencies that block it, and the §3.3 hint.
async fn blocking_hint(client: &Client, id: &str) -> Result<Option<String>> {
    let def = client
        .ok("GET", &format!("task/{}", encode(id)), None)
        .await?
        .body;
    let deps: Vec<String> = def["dependencies"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|d| d.as_str().map(str::to_owned))
        .collect();
    let mut lines = Vec::new();
    let mut failed = false;
    for d in deps.iter().filter(|d| *d != id) {
        let s = client.task_status(d).await?;
        let state = s["state"].as_str().unwrap_or_default().to_owned();
        if state != "completed" {
            failed |= state == "failed" || state == "exception";
            lines.push(format!("  waiting on {d} ({state})"));
        }
    }
    if lines.is_empty() {
        return Ok(None);
    }
    if failed && def["requires"] == json!("all-completed") {
        lines.push(format!(
            "  a dependency did not complete: this task stays unscheduled until its deadline ({}), then resolves exception/deadline-exceeded. Rerun the dependency, `tc task rerun {id}` (ignores dependencies), or cancel it",
            def["deadline"].as_str().unwrap_or_default()
        ));
    }
    Ok(Some(lines.join("\n")))
}

pub(super) fn run(cmd: TaskCommand, format: Format) -> Result<i32> {
    let rt = runtime()?;
    rt.block_on(run_async(cmd, format))
}

async fn run_async(cmd: TaskCommand, format: Format) -> Result<i32> {
    match cmd {
        TaskCommand::Status(a) => {
            check_id(&a.id.task_id)?;
            let client = a.id.queue.client()?;
            let s = if a.wait {
                client.wait_resolved(&a.id.task_id).await?
            } else {
                client.task_status(&a.id.task_id).await?
            };
            match format {
                Format::Human => {
                    let mut text = describe_status(&s);
                    if s["state"] == json!("unscheduled")
                        && let Some(h) = blocking_hint(&client, &a.id.task_id).await?
                    {
                        text.push_str(&h);
                        text.push('\n');
                    }
                    output::print_text(&text)?;
                }
                _ => output::print_document(format, &json!({"status": s}))?,
            }
            Ok(if a.wait {
                for_resolution(s["state"].as_str().unwrap_or_default())
            } else {
                0
            })
        }
        TaskCommand::Def(a) => {
            check_id(&a.id.task_id)?;
            let client = a.id.queue.client()?;
            let def = client
                .ok("GET", &format!("task/{}", encode(&a.id.task_id)), None)
                .await?
                .body;
            match a.format {
                DefFormat::Yaml => output::print_document(format, &def)?,
                DefFormat::Json => {
                    output::print_text(&serde_json::to_string_pretty(&def).unwrap_or_default())?;
                }
            }
            Ok(0)
        }
        TaskCommand::Log(a) => log(a).await,
        TaskCommand::Artifacts(a) => artifacts(a, format).await,
        TaskCommand::Cancel(a) => mutate("cancel", a, format).await,
        TaskCommand::Rerun(a) => mutate("rerun", a, format).await,
        TaskCommand::Retrigger(a) => retrigger(a, format).await,
    }
}

/// A new task from T's definition: `created` now, `deadline` and `expires` at their old
/// offsets from `created` (§8.2).
async fn retrigger(a: RetriggerArgs, format: Format) -> Result<i32> {
    let c = &a.confirm;
    check_id(&c.id.task_id)?;
    let client = c.id.queue.client()?;
    let old = client
        .ok("GET", &format!("task/{}", encode(&c.id.task_id)), None)
        .await?
        .body;
    let Value::Object(mut def) = old else {
        return Err(Error::Api(
            "the queue gave a task definition that is not an object".into(),
        ));
    };
    let time = |k: &str| {
        def.get(k)
            .and_then(Value::as_str)
            .and_then(|t| tc_taskdef::reltime::parse_timestamp(t).ok())
    };
    let (created, deadline, expires) = (time("created"), time("deadline"), time("expires"));
    let now = chrono::Utc::now();
    let fmt = tc_taskdef::reltime::format_timestamp;
    def.insert("created".into(), json!(fmt(now)));
    if let (Some(c0), Some(d)) = (created, deadline) {
        def.insert("deadline".into(), json!(fmt(now + (d - c0))));
    }
    if let (Some(c0), Some(e)) = (created, expires) {
        def.insert("expires".into(), json!(fmt(now + (e - c0))));
    }
    if a.no_deps && !a.exact {
        def.insert("dependencies".into(), json!([]));
    }
    if !a.keep_routes && !a.exact {
        def.insert("routes".into(), json!([]));
    }
    let new_id = tc_taskdef::slugid::nice();
    if a.new_group {
        def.insert("taskGroupId".into(), json!(new_id));
    }
    let body = Value::Object(def);
    if c.dry_run {
        output::print_text(&format!(
            "PUT {}/api/queue/v1/task/{new_id}
{}
",
            client.root_url,
            serde_json::to_string_pretty(&body).unwrap_or_default()
        ))?;
        return Ok(0);
    }
    confirm(
        &format!("retrigger task {} as {new_id}", c.id.task_id),
        c.yes,
    )?;
    let answer = client
        .call("PUT", &format!("task/{}", encode(&new_id)), Some(&body))
        .await?;
    if answer.status == 409
        && answer.body["message"]
            .as_str()
            .is_some_and(|m| m.contains("sealed"))
    {
        return Err(Error::Api(format!(
            "the task group {} is sealed and takes no new tasks; retrigger with --new-group",
            body["taskGroupId"].as_str().unwrap_or_default()
        )));
    }
    if !(200..300).contains(&answer.status) {
        return Err(tc_client::api_error(&answer).into());
    }
    match format {
        Format::Human => output::print_text(&format!("{new_id}\n"))?,
        _ => output::print_document(
            format,
            &json!({"taskId": new_id, "status": answer.body["status"]}),
        )?,
    }
    Ok(0)
}

/// cancelTask or rerunTask after a confirmation.
async fn mutate(action: &str, a: ConfirmArgs, format: Format) -> Result<i32> {
    check_id(&a.id.task_id)?;
    {
        let client = a.id.queue.client()?;
        let id = &a.id.task_id;
        let route = format!("task/{}/{action}", encode(id));
        if a.dry_run {
            output::print_text(&format!("POST {}/api/queue/v1/{route}\n", client.root_url))?;
            return Ok(0);
        }
        let s = client.task_status(id).await?;
        let def = client
            .ok("GET", &format!("task/{}", encode(id)), None)
            .await?
            .body;
        if action == "rerun" {
            let deps = def["dependencies"].as_array().map_or(0, Vec::len);
            if deps > 0 {
                eprintln!("warning: rerun ignores the task's {deps} dependencies, resolved or not");
            }
        }
        confirm(
            &format!(
                "{action} task {id} \"{}\" ({}, queue {})",
                def.pointer("/metadata/name")
                    .and_then(Value::as_str)
                    .unwrap_or_default(),
                s["state"].as_str().unwrap_or_default(),
                s["taskQueueId"].as_str().unwrap_or_default()
            ),
            a.yes,
        )?;
        let s = client.ok("POST", &route, None).await?.body["status"].clone();
        match format {
            Format::Human => output::print_text(&describe_status(&s))?,
            _ => output::print_document(format, &json!({"status": s}))?,
        }
        Ok(0)
    }
}

async fn log(a: LogArgs) -> Result<i32> {
    check_id(&a.id.task_id)?;
    let client = a.id.queue.client()?;
    print_log(&client, &a.id.task_id, a.run, a.follow).await
}

async fn artifacts(a: ArtifactsArgs, format: Format) -> Result<i32> {
    check_id(&a.id.task_id)?;
    let client = a.id.queue.client()?;
    let id = &a.id.task_id;
    let run = client.run_of(id, a.run).await?;
    let list = client
        .list_all(
            &format!("task/{}/runs/{run}/artifacts", encode(id)),
            "artifacts",
        )
        .await?;
    if let Some(name) = &a.get {
        let bytes = client
            .artifact(id, run, name, None)
            .await?
            .ok_or_else(|| Error::Api(format!("task {id} run {run} has no artifact {name}")))?;
        if writes_to_stdout(a.output.as_deref()) {
            let mut out = std::io::stdout().lock();
            out.write_all(&bytes)?;
            out.flush()?;
            return Ok(0);
        }
        let path = a
            .output
            .clone()
            .unwrap_or_else(|| PathBuf::from(name.rsplit('/').next().unwrap_or("artifact")));
        write_atomically(&path, &bytes)?;
        eprintln!("{name} → {} ({} bytes)", path.display(), bytes.len());
        return Ok(0);
    }
    if a.all {
        if writes_to_stdout(a.output.as_deref()) {
            return Err(Error::Usage(
                "--all writes a directory; -o - (stdout) is for one artifact with --get".into(),
            ));
        }
        let dir = a
            .output
            .clone()
            .unwrap_or_else(|| PathBuf::from(id.as_str()));
        let mut worst = 0;
        for art in &list {
            let name = art["name"].as_str().unwrap_or_default();
            if art["storageType"] == json!("link") {
                continue;
            }
            match client.artifact(id, run, name, None).await {
                Ok(Some(bytes)) => {
                    let path = inside(&dir, name).ok_or_else(|| {
                        Error::Api(format!(
                            "artifact name {name} would leave {}; not written",
                            dir.display()
                        ))
                    })?;
                    write_atomically(&path, &bytes)?;
                    eprintln!("{name} → {}", path.display());
                }
                Ok(None) => {}
                Err(e) => {
                    eprintln!("error: {e}");
                    worst = exit_codes::FAILED;
                }
            }
        }
        return Ok(worst);
    }
    match format {
        Format::Human => {
            let mut t = output::table::new(&["Name", "Storage", "Content type", "Expires"]);
            for art in &list {
                let f = |k: &str| art[k].as_str().unwrap_or_default().to_owned();
                t.add_row(vec![
                    f("name"),
                    f("storageType"),
                    f("contentType"),
                    f("expires"),
                ]);
            }
            output::print_text(&format!("{t}\n"))?;
        }
        _ => output::print_document(format, &json!({"artifacts": list}))?,
    }
    Ok(0)
}

/// Whether `-o -` asks for the artifact on stdout, as `-` means elsewhere in tc.
fn writes_to_stdout(output: Option<&std::path::Path>) -> bool {
    output == Some(std::path::Path::new("-"))
}

/// `dir/name` when `name` stays inside `dir` (no `..`, no absolute path).
fn inside(dir: &std::path::Path, name: &str) -> Option<PathBuf> {
    use std::path::Component;
    let rel = std::path::Path::new(name);
    rel.components()
        .all(|c| matches!(c, Component::Normal(_)))
        .then(|| dir.join(rel))
}

/// Writes through a temporary file, then renames it into place.
fn write_atomically(path: &std::path::Path, bytes: &[u8]) -> Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let tmp = path.with_extension("tc-download");
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path)?;
    Ok(())
}

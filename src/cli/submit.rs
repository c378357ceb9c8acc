//! `tc submit` (queue-api.md §8.2): task files (the `tc run-local` document forms, or
//! `{tasks: [...]}`), or the optimized graph of an in-tree directory, created in one task group.

use super::format::DocumentFormatArg;
use std::collections::{BTreeMap, HashSet};
use std::io::IsTerminal;
use std::path::PathBuf;

use chrono::Utc;
use serde_json::{Map, Value, json};

use super::confirm::confirm;
use super::queue_args::QueueArgs;
use super::runtime;
use crate::error::{Error, Result};
use crate::output::{self, Format};
use tc_api::NewTask;
use tc_api::encode;
use tc_graph::generate::{self, Generated, Options, Shown, Stage};
use tc_run::exit_codes::for_resolution;
use tc_taskdef::{Defaults, TaskDef, document, reltime};

#[derive(Debug, clap::Args)]
pub struct SubmitArgs {
    /// A task file (YAML or JSON) or - for stdin; not with --graph.
    #[arg(
        value_name = "FILE",
        required_unless_present = "graph",
        conflicts_with = "graph"
    )]
    pub file: Option<String>,

    /// Submit the optimized graph of the in-tree taskcluster/ directory.
    #[arg(long)]
    pub graph: bool,

    /// The graph root (with --graph).
    #[arg(long, value_name = "DIR", requires = "graph")]
    pub root: Option<PathBuf>,

    /// Parameters file for the graph (with --graph).
    #[arg(
        short = 'p',
        long = "parameters",
        value_name = "FILE",
        requires = "graph"
    )]
    pub parameters: Option<PathBuf>,

    /// Try syntax choosing the graph's target tasks (with --graph).
    #[arg(
        long = "try",
        value_name = "STRING",
        requires = "graph",
        allow_hyphen_values = true
    )]
    pub try_syntax: Option<String>,

    /// The taskId of a single task (default a new slugid).
    #[arg(long, value_name = "ID")]
    pub task_id: Option<String>,

    /// The task queue of tasks that name none (default local/default).
    #[arg(long, value_name = "QUEUE")]
    pub task_queue: Option<String>,

    /// Set each task's deadline to its created time plus this duration (e.g. "2 hours").
    #[arg(long, value_name = "DURATION")]
    pub deadline: Option<String>,

    /// The task group (default the first task's id).
    #[arg(long, value_name = "ID")]
    pub group: Option<String>,

    /// Wait for every task to resolve; exit by the worst state.
    #[arg(long)]
    pub wait: bool,

    /// Print the task's log as it runs, until it resolves; exit by its state (one task).
    #[arg(long, conflicts_with = "graph")]
    pub follow: bool,

    /// Print the final definitions and create nothing.
    #[arg(long)]
    pub dry_run: bool,

    /// Do not ask before submitting more than 100 tasks.
    #[arg(short = 'y', long)]
    pub yes: bool,

    #[command(flatten)]
    pub queue: QueueArgs,

    #[command(flatten)]
    pub format: DocumentFormatArg,
}

fn usage(m: impl Into<String>) -> Error {
    Error::Usage(m.into())
}

/// One entry of a task file: its label, its taskId, its task.
type Item = (Option<String>, Option<String>, Map<String, Value>);

/// The file's tasks: one document, or `{tasks: [{label?, taskId?, task}]}` with `@label`
/// dependencies.
#[allow(clippy::too_many_lines)] // one pass over the file's entries, in the order they are checked
fn from_file(args: &SubmitArgs) -> Result<Vec<NewTask>> {
    let file = args.file.as_deref().unwrap_or("-");
    let (name, text) = if file == "-" {
        let mut t = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin().lock(), &mut t)?;
        ("<stdin>".to_owned(), t)
    } else {
        let t =
            std::fs::read_to_string(file).map_err(|e| usage(format!("cannot read {file}: {e}")))?;
        (file.to_owned(), t)
    };
    let mut doc = document::parse(&name, &text)?;
    let now = Utc::now();
    reltime::resolve_relative(&mut doc, now).map_err(|e| usage(format!("{name}: {e}")))?;
    let Value::Object(top) = doc else {
        return Err(usage(format!("{name}: the top level must be a mapping")));
    };
    // Stdin has no file name: the task gets run-local's defaults ("local task", source "stdin").
    let from_stdin = file == "-";
    let file_name = match std::path::Path::new(file).file_name() {
        Some(n) if !from_stdin => n.to_string_lossy().into_owned(),
        _ => "stdin".to_owned(),
    };
    let items: Vec<Item> = match top.get("tasks") {
        Some(Value::Array(list)) if !top.contains_key("payload") => {
            let mut out = Vec::new();
            for (i, item) in list.iter().enumerate() {
                let label = item.get("label").and_then(Value::as_str).map(str::to_owned);
                let id = item
                    .get("taskId")
                    .and_then(Value::as_str)
                    .map(str::to_owned);
                let Some(Value::Object(task)) = item.get("task") else {
                    return Err(usage(format!("{name}: tasks[{i}] needs a `task` mapping")));
                };
                out.push((label, id, task.clone()));
            }
            out
        }
        _ => {
            let (label, task) = match (top.get("label"), top.get("task")) {
                (Some(Value::String(l)), Some(Value::Object(t)))
                    if !top.contains_key("payload") =>
                {
                    (Some(l.clone()), t.clone())
                }
                _ => (None, top.clone()),
            };
            vec![(label, args.task_id.clone(), task)]
        }
    };
    if items.len() > 1 && args.task_id.is_some() {
        return Err(usage("--task-id names one task; this file has several"));
    }
    let mut ids: BTreeMap<String, String> = BTreeMap::new();
    let mut out = Vec::new();
    for (label, id, mut task) in items {
        let task_id = id.unwrap_or_else(tc_taskdef::slugid::nice);
        tc_taskdef::slugid::decode(&task_id).map_err(|e| usage(e.to_string()))?;
        // `@label` names an earlier entry's task.
        if let Some(Value::Array(deps)) = task.get_mut("dependencies") {
            for d in deps.iter_mut() {
                if let Some(l) = d.as_str().and_then(|s| s.strip_prefix('@')) {
                    let resolved = ids.get(l).ok_or_else(|| {
                        usage(format!(
                            "{name}: dependency @{l} must name an earlier entry's label"
                        ))
                    })?;
                    *d = json!(resolved);
                }
            }
        }
        let names_queue = ["taskQueueId", "provisionerId", "workerType"]
            .iter()
            .any(|k| task.contains_key(*k));
        if let (Some(q), false) = (&args.task_queue, names_queue) {
            task.insert("taskQueueId".into(), json!(q));
        }
        let defaults = Defaults {
            now,
            name: label.clone().or_else(|| {
                std::path::Path::new(file)
                    .file_stem()
                    .filter(|_| !from_stdin)
                    .map(|s| s.to_string_lossy().into_owned())
            }),
            source_name: file_name.clone(),
            source_tool: "tc-submit",
        };
        let def = TaskDef::from_document(&task, &defaults).map_err(|p| {
            usage(format!(
                "{name} is not a task definition:\n  {}",
                p.join("\n  ")
            ))
        })?;
        if let Some(l) = &label {
            ids.insert(l.clone(), task_id.clone());
        }
        let value = serde_json::to_value(&def).map_err(|e| Error::Internal(e.to_string()))?;
        out.push(NewTask {
            task_id,
            label,
            definition: value,
        });
    }
    Ok(out)
}

/// The optimized graph's tasks, each after its dependencies (`tc submit --graph` and
/// `tc run-local --graph`); references point to the queue at `root_url`.
pub(super) fn graph_entries(
    root: Option<&std::path::Path>,
    parameters: Option<PathBuf>,
    try_syntax: Option<String>,
    root_url: &str,
) -> Result<Vec<NewTask>> {
    let root = tc_run::input::graph_root(root)
        .ok_or_else(|| usage("no taskcluster directory here: run tc in a repository that has one, or give --root DIR"))?;
    let opts = Options {
        root,
        parameters,
        target_kinds: Vec::new(),
        stage: Stage::Optimized,
        try_syntax,
        root_url: Some(root_url.to_owned()),
    };
    let mut warnings = Vec::new();
    let generated = generate::generate(&opts, &mut warnings);
    for w in &warnings {
        eprintln!("warning: {w}");
    }
    let Generated { shown, .. } = generated?;
    let Shown::Optimized(tasks) = shown else {
        return Err(Error::Internal(
            "the optimized stage gave no optimized tasks".into(),
        ));
    };
    let now = Utc::now();
    let mut pending: Vec<NewTask> = Vec::new();
    for (label, t) in tasks {
        let mut def = t.task.task.value();
        reltime::resolve_relative(&mut def, now).map_err(|e| usage(format!("{label}: {e}")))?;
        pending.push(NewTask {
            task_id: t.task_id,
            label: Some(label),
            definition: def,
        });
    }
    // Dependencies first; a dependency outside the graph (a replaced task) already exists.
    let in_graph: HashSet<String> = pending.iter().map(|e| e.task_id.clone()).collect();
    let mut done: HashSet<String> = HashSet::new();
    let mut ordered = Vec::new();
    while !pending.is_empty() {
        let before = pending.len();
        let (ready, rest): (Vec<NewTask>, Vec<NewTask>) = pending.into_iter().partition(|e| {
            e.definition["dependencies"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .all(|d| !in_graph.contains(d) || done.contains(d) || d == e.task_id)
        });
        for e in &ready {
            done.insert(e.task_id.clone());
        }
        ordered.extend(ready);
        pending = rest;
        if pending.len() == before {
            return Err(Error::Internal(
                "the optimized graph has a dependency cycle".into(),
            ));
        }
    }
    Ok(ordered)
}

pub(super) fn run(args: SubmitArgs, format: Format) -> Result<i32> {
    let client = args.queue.client()?;
    let mut entries = if args.graph {
        graph_entries(
            args.root.as_deref(),
            args.parameters.clone(),
            args.try_syntax.clone(),
            client.root_url(),
        )?
    } else {
        from_file(&args)?
    };
    if entries.is_empty() {
        eprintln!("nothing to submit");
        return Ok(0);
    }
    let group = match &args.group {
        Some(g) => {
            tc_taskdef::slugid::decode(g).map_err(|e| usage(e.to_string()))?;
            g.clone()
        }
        None => entries[0].task_id.clone(),
    };
    let deadline = match &args.deadline {
        Some(d) => {
            Some(reltime::parse_duration(d).map_err(|e| usage(format!("--deadline {d}: {e}")))?)
        }
        None => None,
    };
    for e in &mut entries {
        e.definition["taskGroupId"] = json!(group);
        if let Some(d) = deadline {
            let created = e.definition["created"]
                .as_str()
                .and_then(|c| reltime::parse_timestamp(c).ok())
                .unwrap_or_else(Utc::now);
            let when = reltime::add(created, d).map_err(|e| usage(e.to_string()))?;
            e.definition["deadline"] = json!(reltime::format_timestamp(when));
        }
    }
    if args.follow && entries.len() != 1 {
        return Err(usage(
            "--follow tails one task's log; this submission has several (use --wait)",
        ));
    }
    if args.dry_run {
        let doc: Vec<Value> = entries
            .iter()
            .map(|e| json!({"taskId": e.task_id, "label": e.label, "task": e.definition}))
            .collect();
        output::print_text(&serde_json::to_string_pretty(&doc).unwrap_or_default())?;
        return Ok(0);
    }
    if entries.len() > 100 && std::io::stdout().is_terminal() {
        confirm(
            &format!("submit {} tasks to group {group}", entries.len()),
            args.yes,
        )?;
    }
    let rt = runtime()?;
    rt.block_on(async {
        let bar = (entries.len() > 1 && std::io::stderr().is_terminal())
            .then(|| indicatif::ProgressBar::new(entries.len() as u64));
        let mut created = Vec::new();
        for e in &entries {
            client
                .ok("PUT", &format!("task/{}", encode(&e.task_id)), Some(&e.definition))
                .await?;
            if let Some(b) = &bar {
                b.inc(1);
            }
            created.push(e.task_id.clone());
        }
        if let Some(b) = bar {
            b.finish_and_clear();
        }
        match format {
            Format::Human => output::print_text(&format!("{}\n", created.join("\n")))?,
            _ => output::print_document(
                format,
                &json!({"taskGroupId": group, "tasks": entries.iter().map(|e| json!({"taskId": e.task_id, "label": e.label})).collect::<Vec<_>>()}),
            )?,
        }
        if let (true, [id]) = (args.follow, created.as_slice()) {
            super::task_log::print_log(&client, id, None, true).await?;
            let s = client.wait_resolved(id).await?;
            return Ok(for_resolution(s["state"].as_str().unwrap_or_default()));
        }
        if !args.wait {
            return Ok(0);
        }
        let mut worst = 0;
        for id in &created {
            let s = client.wait_resolved(id).await?;
            worst = worst.max(for_resolution(s["state"].as_str().unwrap_or_default()));
        }
        Ok::<i32, Error>(worst)
    })
}

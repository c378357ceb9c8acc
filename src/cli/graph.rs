//! `tc graph` (taskgraph.md §6): a stage of the task graph of an in-tree `taskcluster/`
//! directory, in one of the output formats. What tc cannot run is refused with exit 3, never
//! approximated.

use std::path::PathBuf;

use crate::error::{Error, Result};
use tc_graph::generate::{self, Generated, Options, Shown};
use tc_graph::transform::Task;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Stage {
    /// Every task the kinds generate.
    Tasks,
    /// The full graph, with dependencies verified.
    Full,
    /// The target task set the target method (or --try) chooses.
    Target,
    /// The target graph after optimization, keyed by taskId.
    Optimized,
}

#[derive(Debug, clap::Args)]
pub struct GraphArgs {
    /// Which stage of the graph to print.
    #[arg(value_enum, default_value_t = Stage::Full)]
    pub stage: Stage,

    /// The graph root (default ./taskcluster when it holds config.yml, else
    /// <git top level>/taskcluster).
    #[arg(long, value_name = "DIR")]
    pub root: Option<PathBuf>,

    /// Parameters file (YAML or JSON) over the local defaults.
    #[arg(short = 'p', long = "parameters", value_name = "FILE")]
    pub parameters: Option<PathBuf>,

    /// Try syntax selecting the target tasks (target and optimized only).
    #[arg(long = "try", value_name = "STRING", allow_hyphen_values = true)]
    pub try_syntax: Option<String>,

    /// Load only these kinds and the kinds they depend on (repeatable).
    #[arg(long = "target-kind", value_name = "KIND")]
    pub target_kinds: Vec<String>,

    /// Keep the labels this regular expression matches from their start.
    #[arg(long, value_name = "REGEX")]
    pub tasks: Option<String>,

    /// Write the output to FILE instead of stdout.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// The TaskCluster deployment that artifact references and run-task script URLs point to
    /// (default $TASKCLUSTER_ROOT_URL, as taskgraph).
    #[arg(long, value_name = "URL")]
    pub root_url: Option<String>,

    /// Output format: the labels for people (`human` is the same), `json` or `yaml` as
    /// taskgraph writes them, `dot` for Graphviz, or a `table`.
    #[arg(long, value_enum, default_value_t = GraphFormat::Labels)]
    pub format: GraphFormat,
}

/// What `tc graph` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum GraphFormat {
    /// The sorted labels, one per line (the human form).
    #[value(alias = "human")]
    Labels,
    /// The graph as taskgraph's JSON (stable).
    Json,
    /// The same document as YAML.
    Yaml,
    /// A Graphviz digraph of the tasks and their dependencies.
    Dot,
    /// A table of label, kind, worker type and dependency count.
    Table,
}

impl GraphFormat {
    /// How errors print: as JSON or YAML when asked for, else for people.
    pub fn errors(self) -> crate::output::Format {
        match self {
            GraphFormat::Json => crate::output::Format::Json,
            GraphFormat::Yaml => crate::output::Format::Yaml,
            _ => crate::output::Format::Human,
        }
    }
}

fn usage(msg: impl Into<String>) -> Error {
    Error::Usage(msg.into())
}

/// One task as a stage shows it: its label, taskId (optimized only) and task.
struct Row<'a> {
    label: &'a str,
    task_id: Option<&'a str>,
    task: &'a Task,
}

// The command's flow, step by step; its steps are the functions it calls.
#[allow(clippy::too_many_lines)]
pub(super) fn run(args: GraphArgs, quiet: bool) -> Result<i32> {
    if args.try_syntax.is_some() && !matches!(args.stage, Stage::Target | Stage::Optimized) {
        return Err(usage(
            "--try selects target tasks: use it with `tc graph target` or `tc graph optimized`",
        ));
    }
    let stage = match args.stage {
        Stage::Tasks => generate::Stage::Tasks,
        Stage::Full => generate::Stage::Full,
        Stage::Target => generate::Stage::Target,
        Stage::Optimized => generate::Stage::Optimized,
    };
    let root = tc_run::input::graph_root(args.root.as_deref())
        .ok_or_else(|| usage("no taskcluster directory here: run tc in a repository that has one, or give --root DIR"))?;
    let filter = match &args.tasks {
        Some(re) => Some(
            regex::Regex::new(&format!("^(?:{re})"))
                .map_err(|e| usage(format!("--tasks {re}: {e}")))?,
        ),
        None => None,
    };
    let opts = Options {
        root,
        parameters: args.parameters.clone(),
        target_kinds: args.target_kinds.clone(),
        stage,
        try_syntax: args.try_syntax.clone(),
        root_url: args.root_url.clone(),
    };
    tc_graph::pages::small_pages_for_small_graphs(&opts.root);
    let mut warnings = Vec::new();
    let generated = generate::generate(&opts, &mut warnings);
    if !quiet {
        for w in &warnings {
            eprintln!("warning: {w}");
        }
    }
    // Bad input exits 2, input tc does not run 3 (taskgraph.md §4.8, §5).
    let Generated {
        graph,
        shown,
        kinds,
    } = generated?;
    let keep = |label: &str| filter.as_ref().is_none_or(|re| re.is_match(label));
    let rows: Vec<Row> = match &shown {
        Shown::All => graph
            .tasks
            .iter()
            .map(|(l, t)| Row {
                label: l,
                task_id: None,
                task: t,
            })
            .collect(),
        Shown::Target(set) => set
            .iter()
            .filter_map(|l| graph.tasks.get(l).map(|t| (l, t)))
            .map(|(l, t)| Row {
                label: l,
                task_id: None,
                task: t,
            })
            .collect(),
        Shown::Optimized(kept) => kept
            .iter()
            .map(|(l, o)| Row {
                label: l,
                task_id: Some(&o.task_id),
                task: &o.task,
            })
            .collect(),
    };
    let rows: Vec<Row> = rows.into_iter().filter(|r| keep(r.label)).collect();
    // JSON is written straight to the output, task by task: no copy of the document.
    let mut json = None;
    let text = match args.format {
        GraphFormat::Labels => {
            let mut out = String::new();
            for r in &rows {
                out.push_str(r.label);
                out.push('\n');
            }
            out
        }
        GraphFormat::Json => {
            let mut entries: Vec<tc_graph::render::Entry> = rows
                .iter()
                .map(|r| (r.task_id.unwrap_or(r.label), r.task, r.task_id))
                .collect();
            // Keys in code-point order, as json.dumps(sort_keys=True): taskIds for `optimized`.
            entries.sort_unstable_by(|a, b| a.0.cmp(b.0));
            json = Some(entries);
            String::new()
        }
        GraphFormat::Yaml => {
            let doc: serde_json::Map<String, serde_json::Value> = rows
                .iter()
                .map(|r| {
                    let mut json = r.task.to_json();
                    if let (Some(id), Some(obj)) = (r.task_id, json.as_object_mut()) {
                        obj.insert("task_id".into(), id.into());
                    }
                    (r.task_id.unwrap_or(r.label).to_owned(), json)
                })
                .collect();
            serde_saphyr::to_string(&serde_json::Value::Object(doc))
                .map_err(|e| usage(format!("cannot write YAML: {e}")))?
        }
        GraphFormat::Dot => {
            // Edges of the shown stage between shown tasks: `tasks` and `target` have none.
            let shown: std::collections::BTreeSet<&str> = rows.iter().map(|r| r.label).collect();
            let nodes: Vec<String> = rows.iter().map(|r| r.label.to_owned()).collect();
            let edges: Vec<(String, String, String)> =
                if matches!(args.stage, Stage::Full | Stage::Optimized) {
                    graph
                        .edges
                        .iter()
                        .filter(|(a, b, _)| {
                            shown.contains(a.as_str()) && shown.contains(b.as_str())
                        })
                        .cloned()
                        .collect()
                } else {
                    Vec::new()
                };
            tc_graph::render::dot(&nodes, &edges)
        }
        GraphFormat::Table => {
            let mut table =
                crate::output::table::new(&["Label", "Kind", "Worker type", "Dependencies"]);
            for r in &rows {
                let facts = &r.task.task.facts;
                let field = |f: &Option<String>| f.clone().unwrap_or_default();
                table.add_row(vec![
                    r.label.to_owned(),
                    r.task.kind.clone(),
                    format!(
                        "{}/{}",
                        field(&facts.provisioner_id),
                        field(&facts.worker_type)
                    ),
                    r.task.dependencies.len().to_string(),
                ]);
            }
            format!("{table}\n")
        }
    };
    let write = |out: &mut dyn std::io::Write| -> std::io::Result<()> {
        match &json {
            Some(entries) => {
                tc_graph::render::write_tasks_json(entries, out)?;
                out.write_all(b"\n")?;
            }
            None => out.write_all(text.as_bytes())?,
        }
        out.flush()
    };
    match &args.output {
        None if json.is_none() => crate::output::print_text(&text)?,
        None => write(&mut std::io::stdout().lock())?,
        Some(path) => std::fs::File::create(path)
            .and_then(|f| write(&mut std::io::BufWriter::with_capacity(1 << 16, f)))
            .map_err(|e| {
                Error::Output(std::io::Error::new(
                    e.kind(),
                    format!(
                        "cannot write {}: {e}; choose another -o FILE",
                        path.display()
                    ),
                ))
            })?,
    }
    // The process ends next: freeing every task one by one would only cost time.
    drop(json);
    std::mem::forget(graph);
    std::mem::forget(kinds);
    Ok(0)
}

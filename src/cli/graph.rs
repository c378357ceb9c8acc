//! `tc graph` (taskgraph.md §6): the task graph of an in-tree `taskcluster/` directory.
//! This version makes the `tasks` and `full` stages of kinds that use the transform loader with
//! the stock task transform; everything else is refused with exit 3, never approximated.

use std::path::PathBuf;

use crate::error::{Error, Result};
use crate::graph::generate::{self, GraphError, Options};
use crate::output::Format;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Stage {
    /// Every task the kinds generate.
    Tasks,
    /// The full graph, with dependencies verified.
    Full,
    /// The target tasks and their dependencies (not in this version).
    Target,
    /// The target graph after optimization, with taskIds (not in this version).
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
    #[arg(long = "try", value_name = "STRING")]
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
}

fn usage(msg: impl Into<String>) -> Error {
    Error::Usage(msg.into())
}

pub fn run(args: GraphArgs, format: Format, quiet: bool) -> Result<i32> {
    if args.try_syntax.is_some() && !matches!(args.stage, Stage::Target | Stage::Optimized) {
        return Err(usage(
            "--try selects target tasks: use it with `tc graph target` or `tc graph optimized`",
        ));
    }
    let stage = match args.stage {
        Stage::Tasks => generate::Stage::Tasks,
        Stage::Full => generate::Stage::Full,
        Stage::Target | Stage::Optimized => {
            return Err(Error::NotImplemented {
                command: "graph target|optimized",
                when: "this version makes the `tasks` and `full` stages",
            });
        }
    };
    let root = crate::run::input::graph_root(args.root.as_deref())
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
    };
    let mut warnings = Vec::new();
    let generated = generate::generate(&opts, &mut warnings);
    if !quiet {
        for w in &warnings {
            eprintln!("warning: {w}");
        }
    }
    let graph = match generated {
        Ok(g) => g,
        Err(GraphError::Unsupported(lines)) => {
            for l in &lines {
                eprintln!("error: {l}");
            }
            return Ok(crate::exit_codes::EXCEPTION);
        }
        Err(GraphError::Invalid {
            message,
            at,
            context,
        }) => {
            eprintln!("error: {message}");
            if let Some(at) = at {
                eprintln!("  --> {at}");
            }
            if let Some(c) = context {
                eprintln!("  = {c}");
            }
            return Ok(crate::exit_codes::USAGE);
        }
    };
    let keep = |label: &str| filter.as_ref().is_none_or(|re| re.is_match(label));
    let text = match format {
        Format::Human => {
            let mut out = String::new();
            for label in graph.tasks.keys().filter(|l| keep(l)) {
                out.push_str(label);
                out.push('\n');
            }
            out
        }
        Format::Json => {
            let tasks: Vec<_> = graph
                .tasks
                .iter()
                .filter(|(l, _)| keep(l))
                .map(|(l, t)| (l.as_str(), t))
                .collect();
            let mut s = crate::graph::render::tasks_json(&tasks);
            s.push('\n');
            s
        }
        Format::Yaml => {
            let doc: serde_json::Map<String, serde_json::Value> = graph
                .tasks
                .iter()
                .filter(|(l, _)| keep(l))
                .map(|(l, t)| (l.clone(), t.to_json()))
                .collect();
            serde_saphyr::to_string(&serde_json::Value::Object(doc))
                .map_err(|e| usage(format!("cannot write YAML: {e}")))?
        }
    };
    // The process ends next: freeing every task one by one would only cost time.
    std::mem::forget(graph);
    match &args.output {
        None => crate::output::print_text(&text)?,
        Some(path) => std::fs::write(path, text).map_err(|e| {
            Error::Output(std::io::Error::new(
                e.kind(),
                format!(
                    "cannot write {}: {e}; choose another -o FILE",
                    path.display()
                ),
            ))
        })?,
    }
    Ok(0)
}

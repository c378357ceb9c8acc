//! The command line: clap definitions and dispatch. One file per subcommand; the logic lives
//! in the domain modules.

mod confirm;
mod doctor;
mod format;
mod from_now;
mod generate;
mod graph;
mod group;
mod lazy;
mod queue;
mod queue_args;
mod run_local;
mod run_local_graph;
mod scopes;
mod signals;
mod slugid;
mod submit;
mod task;
mod task_log;
mod try_cmd;
mod worker;

use clap::{Parser, Subcommand};

use lazy::Lazy;

use crate::error::Result;
use crate::output::Format;
use tc_run::exit_codes;

#[derive(Debug, Parser)]
#[command(
    name = "tc",
    version,
    about = "TaskCluster for your terminal: try syntax, task graphs, local runs, a queue and a worker",
    long_about = "tc brings Mozilla's TaskCluster CI to a developer's terminal: it parses try syntax, \
renders in-tree task graphs, runs a task on this machine (Docker or native), submits tasks to a \
queue (a real deployment, or `tc queue serve`) and works a queue with `tc worker`.",
    after_help = exit_codes::HELP,
    propagate_version = true
)]
pub struct Cli {
    /// Print only the requested data: no progress bars or hints on stderr.
    #[arg(short, long, global = true)]
    pub quiet: bool,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Mozilla try syntax: parse a try string or commit message, or count options over pushes.
    #[command(subcommand)]
    Try(Lazy<try_cmd::TryCommand>),
    /// Render the task graph of an in-tree `taskcluster/` directory, like taskgraph.
    Graph(Lazy<graph::GraphArgs>),
    /// Run a task (or the whole in-tree graph) on this machine with the real worker rules.
    RunLocal(Lazy<run_local::RunLocalArgs>),
    /// Send a task, a list of tasks or a whole graph to a TaskCluster queue.
    Submit(Lazy<submit::SubmitArgs>),
    /// The embedded TaskCluster queue.
    #[command(subcommand)]
    Queue(Lazy<queue::QueueCommand>),
    /// Claim tasks from a queue, run them and report the results.
    Worker(Lazy<worker::WorkerArgs>),
    /// Look at and act on one task of a queue.
    #[command(subcommand)]
    Task(Lazy<task::TaskCommand>),
    /// Look at and act on a task group of a queue.
    #[command(subcommand)]
    Group(Lazy<group::GroupCommand>),
    /// TaskCluster scope satisfaction and normalisation.
    #[command(subcommand)]
    Scopes(Lazy<scopes::ScopesCommand>),
    /// Make slugids (TaskCluster's 22-character task ids), or convert them to and from UUIDs.
    Slugid(Lazy<slugid::SlugidArgs>),
    /// Print the time a relative duration from now (or from --from) as the queue writes it.
    FromNow(Lazy<from_now::FromNowArgs>),
    /// Print a shell completion script.
    Completions(Lazy<generate::CompletionsArgs>),
    /// Print tc's man page, or write a page for tc and every subcommand to a directory.
    Man(Lazy<generate::ManArgs>),
    /// Check what tc would use on this machine: Docker, caches, the queue.
    Doctor(Lazy<doctor::DoctorArgs>),
}

impl Command {
    /// The format the command prints in, and its errors with it: each command has its own
    /// `--format` with only the formats it prints.
    pub fn format(&self) -> Format {
        match self {
            Command::Try(Lazy(cmd)) => cmd.format(),
            Command::Graph(Lazy(args)) => args.format.errors(),
            Command::RunLocal(Lazy(args)) => args.format.get(),
            Command::Submit(Lazy(args)) => args.format.get(),
            Command::Task(Lazy(cmd)) => cmd.format(),
            Command::Group(Lazy(cmd)) => cmd.format(),
            Command::Scopes(Lazy(cmd)) => cmd.format(),
            Command::Slugid(Lazy(args)) => args.format.get(),
            Command::FromNow(Lazy(args)) => args.format.get(),
            Command::Doctor(Lazy(args)) => args.format.get(),
            Command::Queue(_) | Command::Worker(_) | Command::Completions(_) | Command::Man(_) => {
                Format::Human
            }
        }
    }
}

/// Runs the command; returns the exit status for success paths that are not 0.
pub fn run(cli: Cli) -> Result<i32> {
    let format = cli.command.format();
    match cli.command {
        Command::Try(Lazy(cmd)) => try_cmd::run(cmd, format, cli.quiet),
        Command::Slugid(Lazy(args)) => slugid::run(args, format),
        Command::FromNow(Lazy(args)) => from_now::run(args, format),
        Command::Completions(Lazy(args)) => generate::completions(args),
        Command::Man(Lazy(args)) => generate::man(args),
        Command::Graph(Lazy(args)) => graph::run(args, cli.quiet),
        Command::RunLocal(Lazy(args)) => run_local::run(args, format),
        Command::Submit(Lazy(args)) => submit::run(args, format),
        Command::Queue(Lazy(cmd)) => queue::run(cmd),
        Command::Worker(Lazy(args)) => worker::run(args),
        Command::Task(Lazy(cmd)) => task::run(cmd, format),
        Command::Group(Lazy(cmd)) => group::run(cmd, format),
        Command::Scopes(Lazy(cmd)) => scopes::run(cmd, format),
        Command::Doctor(Lazy(args)) => doctor::run(args, format),
    }
}

/// The clap command, for completions, man pages and tests: the whole tree, built as it is.
pub fn command() -> clap::Command {
    lazy::build_whole_tree();
    <Cli as clap::CommandFactory>::command()
}

/// The async runtime of the commands that talk to a queue or run tasks.
fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| crate::error::Error::Internal(format!("cannot start the async runtime: {e}")))
}

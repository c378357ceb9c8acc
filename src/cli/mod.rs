//! The command line: clap definitions and dispatch. One file per subcommand; the logic lives
//! in the domain modules.

mod confirm;
mod doctor;
mod engine_args;
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
queue (a real deployment, or `tc queue serve`) and works a queue with `tc worker`.

Each command takes its own --format, after the command: `human` for people, `json` (and `yaml` \
where it fits) for scripts, which is stable. Only the requested data goes to stdout; hints, \
progress bars and errors go to stderr. Colour is on for a terminal unless NO_COLOR is set; tables \
fit $COLUMNS, else the terminal's width.

`tc help COMMAND` is the reference for a command; the guides are in docs/ of tc's source.",
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

// Parsed once per process: the size of the largest variant costs nothing worth a box.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Mozilla try syntax: parse a try string or commit message, or count options over pushes.
    ///
    /// The syntax is gecko's (`try_option_syntax.py`, read with Python's shlex and argparse),
    /// quirks included; the few deliberate differences turn silent misreadings into errors.
    /// Guide: docs/try-syntax.md in tc's source.
    #[command(subcommand)]
    Try(Lazy<try_cmd::TryCommand>),
    /// Render the task graph of an in-tree `taskcluster/` directory, like taskgraph.
    ///
    /// tc reads `config.yml` and `kinds/*/kind.yml` as taskgraph 24.5.1 does (PyYAML's YAML 1.1
    /// values, task-defaults, keyed-by, parameters from git with -p FILE over them), runs the
    /// stock `run` transform for `run.using: run-task` and the stock task transform, and prints
    /// one STAGE: `tasks`, `full` (edges and taskgraph's verifications), `target` (what the
    /// parameters' target_tasks_method, or --try, keeps) or `optimized` (the target graph after
    /// taskgraph's optimizer, with fresh taskIds and resolved references).
    ///
    /// Exit status: 2 for an error in the input (reported with its file, line and column, kind
    /// and task); 3 for input tc cannot render exactly as taskgraph would (project transforms,
    /// other loaders, taskgraph.register, custom optimization strategies, `docker-image:
    /// {in-tree: ...}`, fetches, run.using other than run-task, checkout maps, index-search),
    /// one line per kind. tc never prints a graph that differs from taskgraph's.
    ///
    /// Guide: docs/graph.md in tc's source.
    Graph(Lazy<graph::GraphArgs>),
    /// Run a task (or the whole in-tree graph) on this machine with the real worker rules.
    ///
    /// A TASK file may hold a full queue definition, a graph entry `{label, task}`, or just a
    /// `payload`: the rest gets the queue's defaults (taskQueueId local/default, deadline now +
    /// 1 day, metadata.name the file name, ...; --dry-run prints them). `{"relative-datestamp":
    /// "1 day"}` and `{"$fromNow": "2 hours"}` become timestamps. A label's task comes from the
    /// full graph as `tc graph full` makes it; its dependencies are not run (give their taskIds
    /// with --dep).
    ///
    /// generic-worker payloads run natively: each command directly (no shell) in a fresh task
    /// directory under the cache root, with only HOME, PATH, USER, LOGNAME, SHELL, LANG, LC_ALL,
    /// TZ, TERM and TMPDIR inherited from tc. docker-worker payloads run in a container of the
    /// Docker daemon at DOCKER_HOST or the default socket. Over that environment come the
    /// payload's env, --env-file, --env, the secrets, and the variables tc sets: TASK_ID, RUN_ID,
    /// TASK_GROUP_ID, TASKCLUSTER_ROOT_URL, TASKCLUSTER_WORKER_POOL/_TYPE/_GROUP, TASK_WORKDIR,
    /// TC_LOCAL=1.
    ///
    /// Artifacts are copied into --artifacts-dir with a tc-manifest.json; the log goes to stdout
    /// (stderr with --format json) and to public/logs/live_backing.log there. Secrets are
    /// masked as *** in everything tc prints or saves.
    ///
    /// Exit status: 0 completed; the task's own exit code when it failed (1 when maxRunTime ran
    /// out or a required artifact is missing); 2 for malformed-payload or a bad invocation
    /// (then nothing runs); 3 for the other exceptions (intermittent-task,
    /// resource-unavailable, internal-error); 130/143 on SIGINT/SIGTERM. With several TASKs the
    /// highest status wins; with --graph, the worst outcome (1 failed or blocked, 3 exception).
    ///
    /// Guide: docs/run-local.md in tc's source.
    RunLocal(Lazy<run_local::RunLocalArgs>),
    /// Send a task, a list of tasks or a whole graph to a TaskCluster queue.
    ///
    /// FILE holds what `tc run-local` reads (a partial definition gets the same defaults, and
    /// relative times become timestamps) or a list `{tasks: [{label, taskId?, task}]}`, where
    /// `dependencies: ['@label']` names an earlier entry. --graph sends the optimized graph of the
    /// in-tree taskcluster/ directory, in dependency order. Every task goes into one group.
    ///
    /// Credentials come from TASKCLUSTER_CLIENT_ID and TASKCLUSTER_ACCESS_TOKEN (with
    /// TASKCLUSTER_CERTIFICATE for temporary ones), else from the credentials.json of the local
    /// `tc queue serve` state dir (TC_QUEUE_STATE_DIR, else the default one) when it serves the
    /// root URL in use. Requests are Hawk-signed; network errors and 5xx answers are retried five
    /// times with backoff, 4xx never. The same holds for `tc task`, `tc group` and `tc worker`.
    ///
    /// Guide: docs/queue-and-worker.md in tc's source.
    Submit(Lazy<submit::SubmitArgs>),
    /// The embedded TaskCluster queue.
    ///
    /// Guide: docs/queue-and-worker.md in tc's source.
    #[command(subcommand)]
    Queue(Lazy<queue::QueueCommand>),
    /// Claim tasks from a queue, run them and report the results.
    ///
    /// A claim loop per --task-queue asks claimWork for as many tasks as there are free slots
    /// (--capacity, shared fairly between the queues). Each task runs through the same core as
    /// `tc run-local`, with the claim's temporary credentials; tasks never see the worker's own.
    /// The worker reclaims at takenUntil - min(180 s, half the time left); a reclaim answered 409
    /// (canceled, or the claim expired) stops the task and reports nothing. The live log is
    /// uploaded as public/logs/live_backing.log every 10 s while it changes; artifacts are
    /// uploaded before the report, and one that fails five uploads makes the run
    /// resource-unavailable.
    ///
    /// The first SIGTERM or SIGINT stops claiming and gives running tasks --shutdown-grace
    /// seconds; then they are stopped and reported worker-shutdown. A second signal skips the
    /// wait. If tc itself is killed, a small tc-guard process stops its tasks.
    ///
    /// The worker needs the scopes queue:claim-work:<queue> and
    /// queue:worker-id:<group>/<id>. Queue and credentials as for `tc submit`.
    ///
    /// Guide: docs/queue-and-worker.md in tc's source.
    Worker(Lazy<worker::WorkerArgs>),
    /// Look at and act on one task of a queue.
    ///
    /// Queue and credentials as for `tc submit`. cancel, rerun and retrigger show what they will
    /// touch and ask `Proceed? [y/N]`; without a terminal they need -y, and --dry-run prints the
    /// calls instead. status points out a task that waits on a failed dependency.
    #[command(subcommand)]
    Task(Lazy<task::TaskCommand>),
    /// Look at and act on a task group of a queue.
    ///
    /// Queue and credentials as for `tc submit`. cancel and seal show what they will touch and
    /// ask `Proceed? [y/N]`; without a terminal they need -y, and --dry-run prints the calls
    /// instead. status points out tasks that wait on a failed dependency.
    #[command(subcommand)]
    Group(Lazy<group::GroupCommand>),
    /// TaskCluster scope satisfaction and normalisation.
    ///
    /// The rules are TaskCluster's (taskcluster-lib-scopes), as the queue applies them; no
    /// `assume:` roles are expanded.
    #[command(subcommand)]
    Scopes(Lazy<scopes::ScopesCommand>),
    /// Make slugids (TaskCluster's 22-character task ids), or convert them to and from UUIDs.
    ///
    /// New slugids are "nice" (the first character is one of A-Z, a-f, so they never look like
    /// an option) unless --v4. decode and encode accept only v4 slugids and UUIDs (else exit 2).
    /// JSON: `{"slugids": [...]}`, and `{"slugid", "uuid"}` for decode and encode.
    Slugid(Lazy<slugid::SlugidArgs>),
    /// Print the time a relative duration from now (or from --from) as the queue writes it.
    ///
    /// DURATION is an optional sign, then `<number><unit>` groups (spaces allowed). Units, in any
    /// case: s, sec(s), second(s); m, min(s), minute(s); h, hr(s), hour(s); d, day(s); w, wk(s),
    /// week(s); mo, mon, month(s) (30 days); y, yr(s), year(s) (365 days). The time is printed
    /// as the queue writes it, YYYY-MM-DDTHH:MM:SS.mmmZ; JSON: `{"time"}`.
    FromNow(Lazy<from_now::FromNowArgs>),
    /// Print a shell completion script.
    Completions(Lazy<generate::CompletionsArgs>),
    /// Print tc's man page, or write a page for tc and every subcommand to a directory.
    Man(Lazy<generate::ManArgs>),
    /// Check what tc would use on this machine: Docker, caches, the queue.
    ///
    /// tc pings the Docker daemon at DOCKER_HOST or the default socket (5 s limit; Docker or
    /// Podman, API version negotiated, rootless noted), checks that the cache root is writable,
    /// and asks the queue at --root-url for `ping`. It exits 1 when Docker or the cache root
    /// fails; a queue that does not answer is only noted, since local runs need none. JSON:
    /// `{"checks": [{"check", "ok", "detail"}], "ok"}`.
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
        Command::Completions(Lazy(args)) => Ok(generate::completions(args)),
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

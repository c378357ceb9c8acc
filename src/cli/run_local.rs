//! `tc run-local`: one task on this machine through the task-run core (worker.md §1).

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::engine_args::{EngineArg, MissingArg, PullArg, PullDisplay};
use super::format::ReportFormatArg;
use crate::error::{Error, Result};
use crate::output::{self, Format};
use tc_run::RunError;
use tc_run::artifacts::LocalDir;
use tc_run::engine::docker::DockerOptions;
use tc_run::env;
use tc_run::log::Terminal;
use tc_run::outcome::Interrupt;
use tc_run::taskrun::{self, EngineChoice, RunOptions, Task};
use tc_run::{input, label};
use tc_taskdef::slugid;

/// The fuzzy label picker: the chosen label, or `None` when the user leaves it.
fn pick(labels: &[String]) -> Result<Option<String>> {
    let chosen = dialoguer::FuzzySelect::new()
        .with_prompt("task to run (type to filter, Enter to run, Esc to leave)")
        .items(labels)
        .max_length(15)
        .interact_opt()
        .map_err(|e| usage(format!("the label picker failed: {e}")))?;
    Ok(chosen.map(|i| labels[i].clone()))
}

/// The graph's warnings, once it is made.
fn show_warnings(source: &label::Source) {
    for w in source.take_warnings() {
        eprintln!("warning: {w}");
    }
}

#[derive(Debug, clap::Args)]
#[command(after_help = tc_run::exit_codes::HELP)]
pub struct RunLocalArgs {
    /// A task file (YAML or JSON), `-` for stdin, or a label of the in-tree task graph. With
    /// none on a terminal, tc offers a picker of the graph's labels.
    #[arg(value_name = "TASK")]
    pub tasks: Vec<String>,

    /// Parameters file for the graph a label is taken from (as `tc graph -p`).
    #[arg(short = 'p', long = "parameters", value_name = "FILE")]
    pub parameters: Option<PathBuf>,

    /// The taskId a label's references to dependency NAME resolve to (repeatable).
    #[arg(long = "dep", value_name = "NAME=TASKID")]
    pub deps: Vec<String>,

    /// Run the task with this taskId from the queue at --root-url (instead of a TASK file).
    #[arg(long, value_name = "ID", conflicts_with = "tasks")]
    pub task_id: Option<String>,

    /// The taskId the run uses (default: a fresh slugid, or the --task-id).
    #[arg(long, value_name = "ID")]
    pub local_task_id: Option<String>,

    /// Which engine runs the task: docker-worker payloads need Docker, generic-worker ones run natively.
    #[arg(long, value_enum, default_value_t = EngineArg::Auto)]
    pub engine: EngineArg,

    /// Set a variable for the task (repeatable; `K=` sets it empty).
    #[arg(long = "env", value_name = "K=V")]
    pub env: Vec<String>,

    /// Read variables from a dotenv file (repeatable).
    #[arg(long = "env-file", value_name = "FILE")]
    pub env_files: Vec<PathBuf>,

    /// A secret variable: masked as *** in everything tc prints or saves (best effort: artifact
    /// files are not scanned, encoded forms are not recognised). `K` alone reads it from tc's
    /// environment, else asks for it on a terminal.
    #[arg(long = "secret", value_name = "K[=V]")]
    pub secrets: Vec<String>,

    /// Read secret variables from a dotenv file (repeatable).
    #[arg(long = "secret-file", value_name = "FILE")]
    pub secret_files: Vec<PathBuf>,

    /// Where artifacts go (default ./artifacts/<taskId>/).
    #[arg(long, value_name = "DIR")]
    pub artifacts_dir: Option<PathBuf>,

    /// Whether a missing artifact fails the task.
    #[arg(long, value_enum, default_value_t = MissingArg::Family)]
    pub missing_artifacts: MissingArg,

    /// Override the payload's maxRunTime (0 = no limit).
    #[arg(long, value_name = "SECS")]
    pub max_run_time: Option<u64>,

    /// Extra runs after an intermittent-task exit (onExitStatus.retry), 0 to 49.
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u32).range(0..=49))]
    pub retries: u32,

    /// The cache root (default $TC_CACHE_DIR, else your user cache directory + /tc).
    #[arg(long, value_name = "DIR")]
    pub cache_dir: Option<PathBuf>,

    /// The most one mount may write into the task dir, decompressed (bytes, or with K, M, G
    /// or T); a mount that expands past it is malformed-payload.
    #[arg(long, value_name = "SIZE", default_value = tc_run::mounts::DEFAULT_MAX_MOUNT_SIZE_TEXT, value_parser = tc_run::mounts::parse_size)]
    pub max_mount_size: u64,

    /// Give each cache a fresh, empty, throwaway directory instead of a kept instance.
    #[arg(long)]
    pub no_caches: bool,

    /// Keep the task directory (native) or container (Docker) afterwards.
    #[arg(long)]
    pub keep: bool,

    /// Accept docker-worker capabilities (privileged, devices, disableSeccomp).
    #[arg(long)]
    pub allow_capabilities: bool,

    /// The TaskCluster deployment the task sees as TASKCLUSTER_ROOT_URL.
    #[arg(
        long,
        env = "TASKCLUSTER_ROOT_URL",
        default_value = "http://127.0.0.1:8080",
        value_name = "URL"
    )]
    pub root_url: String,

    /// Validate and print the resolved definition and the plan; run nothing.
    #[arg(long)]
    pub dry_run: bool,

    /// The image to run instead of the payload's: an image tarball (.tar, .tar.gz, .tar.zst,
    /// .tar.lz4), task-id=ID[:PATH], index=NS[:PATH], in-tree=NAME, or a registry reference.
    #[arg(long, value_name = "VALUE")]
    pub image: Option<String>,

    /// When to pull a registry image.
    #[arg(long, value_enum, default_value_t = PullArg::Missing)]
    pub pull: PullArg,

    /// Bind-mount HOST:CTR[:ro] into the container (Docker engine; repeatable).
    #[arg(short = 'v', long = "volume", value_name = "HOST:CTR[:ro]")]
    pub volumes: Vec<String>,

    /// The container's network mode: none, host or a network name (default: the daemon's).
    #[arg(long, value_name = "MODE")]
    pub network: Option<String>,

    /// The graph root (a taskcluster directory) for labels and in-tree images (default
    /// ./taskcluster when it holds config.yml, else <git top level>/taskcluster).
    #[arg(long, value_name = "DIR")]
    pub root: Option<PathBuf>,

    /// Open a shell in the task's directory and environment instead of running it; `exec-task`
    /// runs the task's commands. Needs a terminal and one task.
    #[arg(short, long)]
    pub interactive: bool,

    /// Print an equivalent bash script instead of running (secrets by name only).
    #[arg(long)]
    pub script: bool,

    /// With --script: write the script to FILE (mode 0755) instead of stdout.
    #[arg(short = 'o', long = "output", value_name = "FILE", requires = "script")]
    pub output: Option<PathBuf>,

    /// Use a local checkout where the task's run-task would clone REPO (default: the only
    /// repository in the task's REPOSITORIES): its run-task options go and the checkout is
    /// bound (Docker) or linked (native) in their place. The task may change your files.
    #[arg(long, value_name = "REPO", num_args = 0..=1, require_equals = true, default_missing_value = "")]
    pub develop: Option<String>,

    /// With --develop: the checkout to use (default: the repository root, the parent of the
    /// graph root).
    #[arg(long, value_name = "DIR", requires = "develop")]
    pub checkout: Option<PathBuf>,

    /// With --develop: do not ask before letting the task use the checkout.
    #[arg(long)]
    pub yes: bool,

    /// How many of several TASKs (or of the --graph's tasks) run at once, 1 to 1000.
    #[arg(short = 'j', long = "jobs", default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=1000), value_name = "N")]
    pub jobs: u32,

    /// Run the whole target graph of the in-tree taskcluster/ directory: an embedded queue,
    /// every task submitted to it, a worker with -j slots, dependents after their
    /// dependencies; one progress line per task and a table of outcomes.
    #[arg(long, conflicts_with_all = ["tasks", "task_id", "script", "interactive", "dry_run", "develop", "local_task_id"])]
    pub graph: bool,

    /// With --graph: try syntax choosing the target tasks (as `tc graph --try`).
    #[arg(
        long = "try",
        value_name = "STRING",
        requires = "graph",
        allow_hyphen_values = true
    )]
    pub try_syntax: Option<String>,

    #[command(flatten)]
    pub format: ReportFormatArg,
}

fn usage(msg: impl Into<String>) -> Error {
    Error::Usage(msg.into())
}

/// `--develop`: rewrites the task and returns (checkout, where it goes), after the user agreed.
fn develop(task: &mut Task, repo: &str, args: &RunLocalArgs) -> Result<(PathBuf, String, String)> {
    let dir = match &args.checkout {
        Some(d) => d.clone(),
        None => tc_run::input::graph_root(args.root.as_deref())
            .and_then(|r| r.parent().map(Path::to_path_buf))
            .ok_or_else(|| usage("--develop: no repository found here: give --checkout DIR"))?,
    };
    let dir = std::fs::canonicalize(&dir)
        .map_err(|e| usage(format!("--checkout {}: {e}", dir.display())))?;
    let repo = (!repo.is_empty()).then_some(repo);
    let target = tc_run::develop::apply(&mut task.def, repo).map_err(RunError::from)?;
    let in_container = task.def.payload.get("image").is_some();
    if in_container && !target.0.starts_with('/') {
        return Err(usage(format!(
            "--develop: the checkout path {} is not absolute, so it cannot be bound into the container",
            target.0
        )));
    }
    let warning = format!(
        "--develop: the task uses {} as its checkout at {} and may change or delete files there",
        dir.display(),
        target.0
    );
    if !args.script {
        eprintln!("tc: warning: {warning}");
        // A dry run only shows the plan: nothing uses the checkout, so there is nothing to ask.
        if !args.yes && !args.dry_run {
            if !std::io::stdin().is_terminal() {
                return Err(usage(
                    "--develop asks before it lets the task use your checkout: give --yes off a terminal",
                ));
            }
            let agreed = dialoguer::Confirm::new()
                .with_prompt("Proceed?")
                .default(false)
                .interact()
                .map_err(|e| usage(format!("--develop: {e}")))?;
            if !agreed {
                return Err(usage("--develop: not confirmed; nothing was run"));
            }
        }
    }
    Ok((dir, target.0, warning))
}

/// `-v HOST:CTR[:ro]`: HOST must exist and is made absolute; CTR must be absolute.
fn binds(volumes: &[String]) -> Result<Vec<String>> {
    let mut out = Vec::new();
    for v in volumes {
        let mut parts = v.splitn(3, ':');
        let (host, ctr, mode) = (parts.next().unwrap_or(""), parts.next(), parts.next());
        let (Some(ctr), true) = (ctr, matches!(mode, None | Some("ro" | "rw"))) else {
            return Err(usage(format!("-v {v}: expected HOST:CTR or HOST:CTR:ro")));
        };
        let host = std::fs::canonicalize(host)
            .map_err(|e| usage(format!("-v {v}: the host path {host}: {e}")))?;
        if !ctr.starts_with('/') {
            return Err(usage(format!(
                "-v {v}: the container path {ctr} must be absolute"
            )));
        }
        let mut bind = format!("{}:{ctr}", host.display());
        if let Some(m) = mode {
            bind.push(':');
            bind.push_str(m);
        }
        out.push(bind);
    }
    Ok(out)
}

/// `--secret K[=V]` and `--secret-file`, read now so nothing runs without them.
fn read_secrets(args: &RunLocalArgs) -> Result<Vec<(String, String)>> {
    let mut out = Vec::new();
    for s in &args.secrets {
        if let Some((k, v)) = s.split_once('=') {
            out.push((k.to_owned(), v.to_owned()));
        } else {
            let value = match std::env::var(s) {
                Ok(v) => v,
                Err(_) if std::io::stdin().is_terminal() => dialoguer::Password::new()
                    .with_prompt(format!("Secret {s}"))
                    .interact()
                    .map_err(|e| usage(format!("--secret {s}: {e}")))?,
                Err(_) => {
                    return Err(usage(format!(
                        "--secret {s}: no value: give {s}=VALUE, set {s} in tc's environment, or run on a terminal to be asked"
                    )));
                }
            };
            out.push((s.clone(), value));
        }
    }
    for file in &args.secret_files {
        let text = std::fs::read_to_string(file)
            .map_err(|e| usage(format!("cannot read {}: {e}", file.display())))?;
        out.extend(env::parse_dotenv(&file.display().to_string(), &text).map_err(RunError::from)?);
    }
    Ok(out)
}

/// The run options the command line sets (one place for run-local and --script).
fn run_options(
    args: &RunLocalArgs,
    cli_env: Vec<(String, String)>,
    secrets: Vec<(String, String)>,
    format: Format,
    binds: Vec<String>,
) -> RunOptions {
    RunOptions {
        engine: args.engine.into(),
        missing: args.missing_artifacts.into(),
        max_run_time: args.max_run_time,
        cache_root: tc_run::caches::root(args.cache_dir.as_deref()),
        keep: args.keep,
        no_caches: args.no_caches,
        interactive: args.interactive,
        root_url: args.root_url.trim_end_matches('/').to_owned(),
        cli_env,
        secrets,
        allow_capabilities: args.allow_capabilities,
        terminal: if format == Format::Json {
            Terminal::Stderr
        } else {
            Terminal::Stdout
        },
        max_run_time_cap: None,
        prefix: None,
        local: true,
        claimed: false,
        worker_group: "local".into(),
        links: Vec::new(),
        docker: DockerOptions {
            pull: args.pull.into(),
            network: args.network.clone(),
            image_override: args.image.clone(),
            binds,
            graph_root: args.root.clone(),
            checkout: None,
            progress: Some(Arc::new(PullDisplay)),
        },
        max_mount_size: args.max_mount_size,
    }
}

fn read_cli_env(args: &RunLocalArgs) -> Result<Vec<(String, String)>> {
    let mut out = Vec::new();
    for file in &args.env_files {
        let text = std::fs::read_to_string(file)
            .map_err(|e| usage(format!("cannot read {}: {e}", file.display())))?;
        out.extend(env::parse_dotenv(&file.display().to_string(), &text).map_err(RunError::from)?);
    }
    for e in &args.env {
        out.push(env::parse_assignment(e, "--env").map_err(RunError::from)?);
    }
    Ok(out)
}

/// `--graph`: the whole target graph on an embedded queue, `--jobs` tasks at once.
fn run_graph(args: &RunLocalArgs, format: Format) -> Result<i32> {
    let cli_env = read_cli_env(args)?;
    let secrets = read_secrets(args)?;
    let mut run = run_options(args, cli_env, secrets, format, binds(&args.volumes)?);
    run.terminal = Terminal::Nowhere;
    let settings = tc_local::Settings {
        run,
        jobs: args.jobs as usize,
        runs_dir: args
            .artifacts_dir
            .clone()
            .unwrap_or_else(|| "artifacts".into()),
    };
    let graph = super::run_local_graph::GraphChoice {
        root: args.root.clone(),
        parameters: args.parameters.clone(),
        try_syntax: args.try_syntax.clone(),
    };
    super::run_local_graph::run(graph, settings, format)
}

// The command's flow, step by step; its steps are the functions it calls.
#[allow(clippy::too_many_lines)]
pub(super) fn run(args: RunLocalArgs, format: Format) -> Result<i32> {
    if !args.script && !args.dry_run {
        // Before any thread: a kill -9 of tc must not leave its tasks running.
        tc_run::engine::guard::start();
    }
    if args.graph {
        return run_graph(&args, format);
    }
    let mut binds = binds(&args.volumes)?;
    let deps = label::deps(&args.deps).map_err(RunError::from)?;
    let graph = tc_run::input::graph_root(args.root.as_deref())
        .filter(|r| r.join("config.yml").is_file())
        .map(|root| label::Source::new(root, args.parameters.clone(), &args.root_url));
    let mut task_args = args.tasks.clone();
    if task_args.is_empty() && args.task_id.is_none() {
        let terminal = std::io::stdin().is_terminal() && std::io::stdout().is_terminal();
        let Some(source) = graph.as_ref().filter(|_| terminal) else {
            return Err(usage(
                "give a TASK (a task file, YAML or JSON, - for stdin, or an in-tree label) or --task-id ID",
            ));
        };
        let labels = source.labels()?;
        show_warnings(source);
        match pick(&labels)? {
            Some(chosen) => task_args.push(chosen),
            None => return Err(usage("no task chosen")),
        }
    }
    if args.interactive && !args.script {
        if task_args.len() > 1 {
            return Err(usage(
                "--interactive opens a shell for one task: give one TASK",
            ));
        }
        if !std::io::stdin().is_terminal() || !std::io::stdout().is_terminal() {
            return Err(usage("--interactive needs a terminal on stdin and stdout"));
        }
    }
    if task_args.len() > 1 && args.local_task_id.is_some() {
        return Err(usage(
            "--local-task-id names one task: give one TASK with it",
        ));
    }
    if task_args.iter().filter(|t| t.as_str() == "-").count() > 1 {
        return Err(usage("stdin (-) can be read only once"));
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| usage(format!("cannot start the async runtime: {e}")))?;
    let mut loaded = Vec::new();
    if !task_args.iter().any(|a| input::is_label(a))
        && (!deps.is_empty() || args.parameters.is_some())
    {
        eprintln!(
            "warning: --dep and -p/--parameters only apply to in-tree labels; no TASK here is one"
        );
    }
    for arg in &task_args {
        match graph.as_ref().filter(|_| input::is_label(arg)) {
            Some(source) => {
                let task_id = args.local_task_id.clone().unwrap_or_else(slugid::nice);
                let result = source.load(arg, &deps, &task_id);
                show_warnings(source);
                match result {
                    Ok(l) => loaded.push(l),
                    Err(label::LabelError::Task(e)) => return Err(RunError::from(e).into()),
                    Err(label::LabelError::Graph(e)) => return Err(e.into()),
                }
            }
            None => loaded.push(input::load(arg).map_err(RunError::from)?),
        }
    }
    if let Some(id) = &args.task_id {
        loaded.push(runtime.block_on(from_queue(id, &args.root_url))?);
    }
    let cli_env = read_cli_env(&args)?;
    let secrets = read_secrets(&args)?;
    // Bad names, reserved names and short secrets are the command line's fault: refuse
    // before anything runs or is written.
    if let Err(e) = env::compose(env::Layers {
        cli: cli_env.clone(),
        secrets: secrets.clone(),
        ..Default::default()
    }) {
        return Err(RunError::from(e).into());
    }
    let mut tasks = Vec::new();
    for l in loaded {
        let task_id = match (&args.local_task_id, &args.task_id) {
            (Some(id), _) => {
                slugid::decode(id).map_err(|e| usage(format!("--local-task-id: {e}")))?;
                id.clone()
            }
            (None, Some(id)) => id.clone(),
            (None, None) => l.task_id.clone().unwrap_or_else(slugid::nice),
        };
        let name = l
            .label
            .clone()
            .unwrap_or_else(|| source_stem(&l.source).unwrap_or_else(|| task_id.clone()));
        tasks.push((
            Task {
                def: l.def,
                task_id,
                label: l.label,
            },
            name,
        ));
    }
    let native = |t: &Task| {
        tc_taskdef::payload::family(&t.def.payload)
            == Ok(tc_taskdef::payload::Family::GenericWorker)
    };
    if tasks.iter().any(|(t, _)| native(t)) {
        for (used, flag) in [
            (!args.volumes.is_empty(), "-v/--volume"),
            (args.image.is_some(), "--image"),
            (args.network.is_some(), "--network"),
        ] {
            if used {
                return Err(usage(format!(
                    "{flag} is for containers: generic-worker tasks run natively, without one"
                )));
            }
        }
    }
    let mut links = Vec::new();
    let mut develop_warning = None;
    let mut checkout = None;
    if let Some(repo) = &args.develop {
        let [(task, _)] = tasks.as_mut_slice() else {
            return Err(usage("--develop works on one task: give one TASK"));
        };
        let (dir, target, warning) = develop(task, repo, &args)?;
        develop_warning = Some(warning);
        if native(task) {
            links.push((target, dir));
        } else {
            binds.push(format!("{}:{target}", dir.display()));
            checkout = Some(dir);
        }
    }
    if args.script {
        return script(
            &tasks,
            &args,
            (cli_env, secrets),
            binds,
            (links, develop_warning),
        );
    }
    if args.dry_run {
        let mut worst = 0;
        for (task, _) in &tasks {
            worst = worst.max(dry_run(task, &args, format)?);
        }
        return Ok(worst);
    }
    let several = tasks.len() > 1;
    let width = tasks
        .iter()
        .map(|(_, n)| n.chars().count())
        .max()
        .unwrap_or(0);
    let mut base = run_options(&args, cli_env, secrets, format, binds.clone());
    base.links = links;
    base.docker.checkout = checkout;
    let color = several && output::use_color_on_stdout();
    let mut jobs = Vec::new();
    for (i, (task, name)) in tasks.into_iter().enumerate() {
        // With several tasks, each gets its own directory (under --artifacts-dir if given)
        // and a prefix on every terminal line.
        let dir = match (&args.artifacts_dir, several) {
            (Some(d), false) => d.clone(),
            (Some(d), true) => d.join(&task.task_id),
            (None, _) => PathBuf::from("artifacts").join(&task.task_id),
        };
        let mut opts = base.clone();
        if several {
            let padded = format!("{name:<width$}");
            opts.prefix = Some(if color {
                format!("\x1b[{}m[{padded}]\x1b[0m ", 31 + (i % 6))
            } else {
                format!("[{padded}] ")
            });
        }
        jobs.push((task, opts, dir));
    }
    runtime.block_on(run_all(jobs, args.retries, args.jobs as usize, format))
}

/// `--task-id ID`: the definition from the queue's `task` method (worker.md §2.6), read as a
/// full definition. Nothing is run or written when that fails.
async fn from_queue(id: &str, root_url: &str) -> Result<input::Loaded> {
    use tc_client::{QueueError, task_definition};
    slugid::decode(id).map_err(|e| usage(format!("--task-id: {e}")))?;
    let def = task_definition(root_url, id).await.map_err(|e| match e {
        // A task that is not there is a wrong --task-id: a usage error here.
        QueueError::NotFound(_) => usage(e.to_string()),
        e => Error::Queue(e),
    })?;
    let Some(doc) = def.as_object() else {
        return Err(Error::Api(format!(
            "the queue answered for task {id} with something that is not a task definition"
        )));
    };
    let defaults = tc_taskdef::Defaults {
        now: chrono::Utc::now(),
        name: None,
        source_name: id.to_owned(),
        source_tool: "tc-run-local",
    };
    let def = tc_taskdef::TaskDef::from_document(doc, &defaults).map_err(|problems| {
        Error::Api(format!(
            "task {id} from the queue is not a task definition tc can read:\n  {}",
            problems.join("\n  ")
        ))
    })?;
    Ok(input::Loaded {
        def,
        label: None,
        source: id.to_owned(),
        task_id: None,
    })
}

/// `--script`: one task, no interactive shell, no retries (worker.md §12).
/// Variables as `NAME=value` pairs (`--env`, `--secret`).
type Pairs = Vec<(String, String)>;

/// What `--develop` made: the checkout's links into the task, and its warning.
type Developed = (Vec<(String, PathBuf)>, Option<String>);

/// `--script`: (cli env, secrets), binds, and what `--develop` made.
fn script(
    tasks: &[(Task, String)],
    args: &RunLocalArgs,
    (cli_env, secrets): (Pairs, Pairs),
    binds: Vec<String>,
    (links, develop_warning): Developed,
) -> Result<i32> {
    let mut refused = Vec::new();
    if tasks.len() > 1 {
        refused.push("several tasks (--script renders exactly one)");
    }
    if args.interactive {
        refused.push("--interactive");
    }
    if args.retries > 0 {
        refused.push("--retries");
    }
    if !refused.is_empty() {
        return Err(usage(format!("--script cannot do: {}", refused.join(", "))));
    }
    let (task, _) = &tasks[0];
    let mut opts = run_options(args, cli_env, secrets, Format::Human, binds);
    opts.links = links;
    let input = tc_run::script::ScriptInput {
        develop_warning,
        task,
        opts: &opts,
        artifacts_dir: args.artifacts_dir.as_ref().map(|d| d.display().to_string()),
        source: args
            .tasks
            .first()
            .map(String::as_str)
            .or(args.task_id.as_deref())
            .unwrap_or("-"),
    };
    let text = tc_run::script::render(&input).map_err(RunError::from)?;
    match &args.output {
        None => output::print_text(&text)?,
        Some(path) => {
            use std::os::unix::fs::PermissionsExt;
            std::fs::write(path, &text)
                .map_err(|e| usage(format!("cannot write {}: {e}", path.display())))?;
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))
                .map_err(|e| usage(format!("cannot make {} executable: {e}", path.display())))?;
        }
    }
    Ok(0)
}

fn source_stem(source: &str) -> Option<String> {
    (source != "<stdin>").then(|| {
        Path::new(source)
            .file_stem()
            .map_or_else(|| source.to_owned(), |s| s.to_string_lossy().into_owned())
    })
}

/// Cancels every run on the first SIGINT/SIGTERM; a second one kills what runs and leaves at
/// once, saying what was left behind.
fn watch_signals(cache_root: PathBuf) -> Result<tokio::sync::watch::Receiver<Option<Interrupt>>> {
    let (cancel_tx, cancel_rx) = tokio::sync::watch::channel(None);
    super::signals::on_signals(
        move |code| {
            let which = if code == tc_run::exit_codes::SIGINT {
                Interrupt::Sigint
            } else {
                Interrupt::Sigterm
            };
            let _ = cancel_tx.send(Some(which));
        },
        move |code| {
            let left = format!(
                "task directories may be left in {}",
                cache_root.join("tasks").display()
            );
            super::signals::stop_now(code, &left)
        },
    )
    .map_err(|e| Error::Internal(format!("cannot watch signals: {e}")))?;
    Ok(cancel_rx)
}

/// Where run N's artifacts move before run N + 1: `<A>.run<N>` beside `<A>`.
fn retry_dir(dir: &Path, run_id: u32) -> PathBuf {
    let name = dir
        .file_name()
        .map_or_else(|| "artifacts".into(), |n| n.to_string_lossy().into_owned());
    dir.with_file_name(format!("{name}.run{run_id}"))
}

/// Whether the native engine runs the task (with `--engine docker` a generic-worker payload
/// is refused, so it runs nowhere).
fn runs_natively(task: &Task, engine: EngineChoice) -> bool {
    let family = tc_taskdef::payload::family(&task.def.payload);
    engine != EngineChoice::Docker && family == Ok(tc_taskdef::Family::GenericWorker)
}

/// Runs the tasks, at most `jobs` at once; the highest exit status wins.
async fn run_all(
    jobs: Vec<(Task, RunOptions, PathBuf)>,
    retries: u32,
    parallel: usize,
    format: Format,
) -> Result<i32> {
    let cancel = watch_signals(
        jobs.first()
            .map(|(_, o, _)| o.cache_root.clone())
            .unwrap_or_default(),
    )?;
    if jobs.iter().any(|(t, o, _)| runs_natively(t, o.engine)) {
        eprintln!("[tc] note: the native engine runs the task as you, with no isolation");
    }
    // Every artifacts directory (and where retries would move it) is checked before anything
    // runs: nothing the user owns is overwritten.
    for (_, _, dir) in &jobs {
        LocalDir::prepare(dir).map_err(RunError::from)?;
        for run_id in 0..retries {
            let aside = retry_dir(dir, run_id);
            if aside.exists() && !aside.join(tc_run::artifacts::MANIFEST).is_file() {
                return Err(usage(format!(
                    "{} holds files tc did not write, and --retries would replace it: move it away or choose another --artifacts-dir",
                    aside.display()
                )));
            }
        }
    }
    let slots = std::sync::Arc::new(tokio::sync::Semaphore::new(parallel));
    let mut handles = Vec::new();
    for (task, opts, dir) in jobs {
        // Slots are taken here, in command-line order, so tasks start in the order given.
        let slot = slots.clone().acquire_owned().await;
        let cancel = cancel.clone();
        handles.push(tokio::spawn(async move {
            let _slot = slot;
            run_with_retries(task, opts, dir, retries, format, cancel).await
        }));
    }
    let mut worst = 0;
    for handle in handles {
        let code = handle
            .await
            .map_err(|e| Error::Internal(format!("a run failed inside tc: {e}")))??;
        worst = worst.max(code);
    }
    Ok(worst)
}

async fn run_with_retries(
    task: Task,
    opts: RunOptions,
    dir: PathBuf,
    retries: u32,
    format: Format,
    cancel: tokio::sync::watch::Receiver<Option<Interrupt>>,
) -> Result<i32> {
    let mut run_id = 0;
    loop {
        let sink = LocalDir::prepare(&dir).map_err(RunError::from)?;
        let summary = taskrun::run(&task, run_id, &opts, &sink, cancel.clone()).await;
        if format == Format::Json {
            output::print_document(Format::Json, &summary)?;
        } else {
            // The log went to stdout; problems also go to stderr, where people look for them.
            if let Some(message) = summary
                .message
                .as_deref()
                .filter(|_| summary.exit_code != 0)
            {
                eprintln!("[tc] {}: {}: {message}", task.task_id, summary.reason);
            }
            for w in summary.warnings.iter().skip(summary.late_warnings) {
                eprintln!("[tc] {w}");
            }
        }
        let intermittent = summary.reason == "intermittent-task";
        if intermittent && run_id < retries && cancel.borrow().is_none() {
            // Checked before anything ran: this is tc's own earlier output, if anything.
            let moved = retry_dir(&dir, run_id);
            let _ = std::fs::remove_dir_all(&moved);
            std::fs::rename(&dir, &moved)
                .map_err(|e| usage(format!("cannot move {} aside: {e}", dir.display())))?;
            eprintln!(
                "[tc] {}: intermittent-task, run {} starts ({} of {retries} retries)",
                task.task_id,
                run_id + 1,
                run_id + 1
            );
            run_id += 1;
            continue;
        }
        return Ok(summary.exit_code);
    }
}

fn dry_run(task: &Task, args: &RunLocalArgs, format: Format) -> Result<i32> {
    use tc_taskdef::payload;
    let def = &task.def;
    // The same validation and environment a run does, without running.
    let cli_env = read_cli_env(args)?;
    let secrets = read_secrets(args)?;
    let opts = run_options(args, cli_env, secrets, format, binds(&args.volumes)?);
    let family = payload::family(&def.payload).ok();
    let (problems, warnings) = match taskrun::static_plan(task, &opts) {
        Ok(plan) => (Vec::new(), plan.warnings),
        Err(e) => (e.message.lines().map(str::to_owned).collect(), Vec::new()),
    };
    let engine = match (args.engine, family) {
        (EngineArg::Native, _) | (EngineArg::Auto, Some(tc_taskdef::Family::GenericWorker)) => {
            "native"
        }
        _ => "docker",
    };
    let payload = &def.payload;
    let env_names: Vec<&String> = payload
        .get("env")
        .and_then(|e| e.as_object())
        .map(|m| m.keys().collect())
        .unwrap_or_default();
    let plan = serde_json::json!({
        "taskId": task.task_id,
        "family": family.map(tc_taskdef::Family::as_str),
        "engine": engine,
        "image": args.image.as_ref().map(|i| serde_json::Value::String(i.clone())).or_else(|| payload.get("image").cloned()),
        "commands": payload.get("command"),
        "env": env_names,
        "caches": payload.get("cache"),
        "mounts": payload.get("mounts"),
        "artifacts": payload.get("artifacts"),
        "warnings": warnings,
        "problems": problems,
    });
    let doc = serde_json::json!({"definition": def, "plan": plan});
    if format == Format::Json {
        output::print_document(Format::Json, &doc)?;
    } else {
        let text = serde_saphyr::to_string(&doc).map_err(|e| usage(e.to_string()))?;
        output::print_text(&text)?;
    }
    if problems.is_empty() {
        Ok(0)
    } else {
        Ok(tc_run::exit_codes::USAGE)
    }
}

//! The `run` transform of the default loader, for `run.using: run-task` (taskgraph.md §3.6).
//! It turns a run description into a task description, which the task transform then
//! finishes. Its steps follow `taskgraph.transforms.run` in order: validation, `when`, the
//! implementation, the label, fetches, then the run-task set-up (checkout, caches, command).

use serde_json::{Map, Value as J, json};

use super::config;
use super::kinds::{Kind, RawTask};
use super::transform::{
    Bad, Context, OPT_STRS, OPTIMIZATION, P, S, T, TASK, TransformError, check, fail, get_mut,
    kind_path, refuse, remove, resolve_alias, set, set_default, truthy_node, type_name,
};
use super::yaml::{Node, Span, Value};

static RUN_CONFIG: S = S {
    fields: &[("using", T::Str, true), ("workdir", T::Opt(&T::Str), false)],
    forbid_unknown: false,
};
static WHEN: S = S {
    fields: &[("files-changed", OPT_STRS, false)],
    forbid_unknown: true,
};
/// The run description's own fields; the others it shares with the task description (`TASK`),
/// and unknown ones pass through to it.
const RUN_DESCRIPTION: &[(&str, T, bool)] = &[
    ("run", T::Struct(&RUN_CONFIG), true),
    ("name", T::Opt(&T::Str), false),
    ("label", T::Opt(&T::Str), false),
    ("description", T::Str, true),
    ("worker-type", T::Str, true),
    ("always-target", T::Opt(&T::Bool), false),
    ("needs-sccache", T::Opt(&T::Bool), false),
    ("optimization", T::Opt(&T::Struct(&OPTIMIZATION)), false),
    ("when", T::Opt(&T::Struct(&WHEN)), false),
    ("fetches", T::Opt(&T::Dict(&T::List(&T::Any))), false),
    ("worker", T::Opt(&T::Dict(&T::Any)), false),
];
const CACHE_TYPES: &[&str] = &["cargo", "checkout", "npm", "pip", "uv"];
static RUN_TASK: S = S {
    fields: &[
        ("using", T::Lit(&["run-task"]), true),
        (
            "command",
            T::Either(&T::List(&T::TaskRef), &T::TaskRef),
            true,
        ),
        (
            "checkout",
            T::Either(&T::Bool, &T::Dict(&T::Dict(&T::Any))),
            true,
        ),
        ("workdir", T::Str, true),
        (
            "use-caches",
            T::Opt(&T::Either(&T::Bool, &T::List(&T::Lit(CACHE_TYPES)))),
            false,
        ),
        ("cwd", T::Opt(&T::Str), false),
        ("exec-with", T::Opt(&T::Lit(&["bash", "powershell"])), false),
        ("run-task-command", T::Opt(&T::List(&T::Any)), false),
        ("run-as-root", T::Opt(&T::Bool), false),
    ],
    forbid_unknown: false,
};

/// msgspec's check of the run description: keys in input order, then the required fields.
fn check_description(n: &Node) -> Result<(), Bad> {
    let Value::Map(entries) = &n.value else {
        return Err(Bad(
            format!("Expected `object`, got `{}`", type_name(&n.value)),
            n.span.clone(),
        ));
    };
    for (k, v) in entries {
        let Value::Str(name) = &k.value else { continue };
        let field = RUN_DESCRIPTION
            .iter()
            .chain(TASK.fields)
            .find(|(f, _, _)| f == name);
        if let Some((f, t, _)) = field {
            check(v, *t, &P::Field(&P::Root, f), false)?;
        }
    }
    for (f, _, required) in RUN_DESCRIPTION {
        if *required && n.get(f).is_none() {
            return Err(Bad(
                format!("Object missing required field `{f}`"),
                n.span.clone(),
            ));
        }
    }
    Ok(())
}

/// A JSON value as a YAML node written at `span` (values the transform adds).
fn node_of(j: &J, span: &Span) -> Node {
    let value = match j {
        J::Null => Value::Null,
        J::Bool(b) => Value::Bool(*b),
        J::Number(n) => n
            .as_i64()
            .map_or(Value::Float(n.as_f64().unwrap_or(0.0)), Value::Int),
        J::String(s) => Value::Str(s.clone()),
        J::Array(items) => Value::Seq(items.iter().map(|i| node_of(i, span)).collect()),
        J::Object(m) => Value::Map(
            m.iter()
                .map(|(k, v)| (node_of(&J::String(k.clone()), span), node_of(v, span)))
                .collect(),
        ),
    };
    Node {
        value,
        span: span.clone(),
    }
}

/// The mapping at `key` of `n`, created when missing; anything else is an error at it.
fn map_at<'a>(n: &'a mut Node, key: &str, what: &str) -> Result<&'a mut Node, TransformError> {
    set_default(n, key, Value::Map(Vec::new()));
    let span = n.span.clone();
    match get_mut(n, key) {
        Some(m) if matches!(m.value, Value::Map(_)) => Ok(m),
        Some(m) => Err(fail(format!("{what} must be a mapping"), Some(&m.span))),
        None => Err(fail(format!("{what} must be a mapping"), Some(&span))),
    }
}

/// Appends to the list at `key` of `n`, created when missing.
fn push_at(n: &mut Node, key: &str, item: &J) -> Result<(), TransformError> {
    set_default(n, key, Value::Seq(Vec::new()));
    let span = n.span.clone();
    match get_mut(n, key) {
        Some(Node {
            value: Value::Seq(items),
            ..
        }) => {
            items.push(node_of(item, &span));
            Ok(())
        }
        Some(other) => Err(fail(format!("`{key}` must be a list"), Some(&other.span))),
        None => Err(fail(format!("`{key}` must be a list"), Some(&span))),
    }
}

/// Why there is no root URL (taskgraph's words).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
#[diagnostic(code(tc::graph::root_url))]
pub enum RootUrlError {
    #[error("$TASKCLUSTER_ROOT_URL must be set when running in a task")]
    InTask,
    #[error(
        "Could not detect Taskcluster instance, set $TASKCLUSTER_ROOT_URL (or give --root-url)"
    )]
    Undetected,
}

/// The root URL without a trailing slash: the one the caller gives, else
/// `$TASKCLUSTER_ROOT_URL` as taskgraph finds it offline.
pub(super) fn root_url(
    given: Option<&str>,
    task_id_env: Option<&str>,
) -> Result<String, RootUrlError> {
    let url = match given {
        Some(url) => Ok(url.to_owned()),
        None => std::env::var("TASKCLUSTER_ROOT_URL"),
    };
    match url {
        Ok(url) => Ok(url.trim_end_matches('/').to_owned()),
        Err(_) if task_id_env.is_some() => Err(RootUrlError::InTask),
        Err(_) => Err(RootUrlError::Undetected),
    }
}

/// Python's `posixpath.normpath`.
fn normpath(path: &str) -> String {
    if path.is_empty() {
        return ".".into();
    }
    // POSIX keeps exactly two leading slashes; three or more become one.
    let lead = match path.bytes().take_while(|b| *b == b'/').count() {
        0 => "",
        2 => "//",
        _ => "/",
    };
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." if parts.last().is_some_and(|p| *p != "..") => {
                parts.pop();
            }
            ".." if !lead.is_empty() => {}
            _ => parts.push(part),
        }
    }
    let joined = format!("{lead}{}", parts.join("/"));
    if joined.is_empty() {
        ".".into()
    } else {
        joined
    }
}

/// Python's `os.path.join(a, b)` on POSIX.
fn join(a: &str, b: &str) -> String {
    if b.starts_with('/') {
        b.to_owned()
    } else if a.is_empty() || a.ends_with('/') {
        format!("{a}{b}")
    } else {
        format!("{a}/{b}")
    }
}

/// Where a task's worker and run place things.
struct Layout<'a> {
    docker: bool,
    os: &'a str,
    workdir: &'a str,
}

impl Layout<'_> {
    fn checkout_dir(&self) -> String {
        if self.os == "windows" {
            "build".into()
        } else if self.docker {
            format!("{}/checkouts", self.workdir)
        } else {
            "checkouts".into()
        }
    }
}

/// Why tc cannot run a task's run description (§3.6 exclusions), seen before any task is
/// transformed so that every kind is checked first (§5).
pub(super) fn refusal(raw: &RawTask, config: &config::Config) -> Option<String> {
    let node = &raw.node;
    if node.get("fetches").is_some_and(truthy_node) {
        return Some("uses `fetches`".into());
    }
    let run = node.get("run")?;
    if let Some(Value::Str(using)) = run.get("using").map(|u| &u.value)
        && ["toolchain", "index-search", "always-optimized"].contains(&using.as_str())
    {
        return Some(format!("uses `run.using: {using}`"));
    }
    let checkout = run.get("checkout");
    if checkout.is_some_and(|c| matches!(&c.value, Value::Map(m) if !m.is_empty())) {
        return Some("names its checkouts in `run.checkout`".into());
    }
    let checks_out = checkout.is_none_or(truthy_node);
    if checks_out && config.repositories.len() > 1 {
        return Some("checks out one of several repositories".into());
    }
    None
}

/// The raw task as a run description (`prefix` starts its messages): a mapping, with
/// `task-from` and `name` set, that the schema takes, and not both `optimization` and `when`.
fn run_description(raw: &RawTask, prefix: &str) -> Result<Node, TransformError> {
    let mut node = raw.node.clone();
    if !matches!(node.value, Value::Map(_)) {
        return Err(fail(
            format!(
                "{prefix}: Expected `object`, got `{}`",
                type_name(&node.value)
            ),
            Some(&node.span),
        ));
    }
    set(&mut node, "task-from", Value::Str(raw.task_from.clone()));
    set(&mut node, "name", Value::Str(raw.key.clone()));
    check_description(&node).map_err(|b| fail(format!("{prefix}: {}", b.0), Some(&b.1)))?;
    let given = |key: &str| node.get(key).filter(|v| !matches!(v.value, Value::Null));
    if let (Some(_), Some(when)) = (given("optimization"), given("when")) {
        return Err(fail(
            format!("{prefix}: 'optimization' and 'when' are mutually exclusive; keep one of them"),
            Some(&when.span),
        ));
    }
    Ok(node)
}

/// `when.files-changed` as the skip-unless-changed optimization, the kind's own files added
/// (`when` removed).
fn when_to_optimization(
    node: &mut Node,
    kind: &Kind,
    raw: &RawTask,
    ctx: &Context,
    prefix: &str,
) -> Result<(), TransformError> {
    let Some(when) = node.get("when").cloned() else {
        return Ok(());
    };
    remove(node, "when");
    if !truthy_node(&when) {
        return Ok(());
    }
    let Some(Value::Seq(mut files)) = when.get("files-changed").map(|f| f.value.clone()) else {
        return Err(fail(
            format!("{prefix}: `when` needs a `files-changed` list"),
            Some(&when.span),
        ));
    };
    let dir = kind_path(kind, ctx);
    files.push(node_of(&J::String(format!("{dir}/kind.yml")), &when.span));
    if raw.task_from != "kind.yml" {
        files.push(node_of(
            &J::String(format!("{dir}/{}", raw.task_from)),
            &when.span,
        ));
    }
    let strategy = Node {
        value: Value::Str("skip-unless-changed".into()),
        span: when.span.clone(),
    };
    let files = Node {
        value: Value::Seq(files),
        span: when.span.clone(),
    };
    set(node, "optimization", Value::Map(vec![(strategy, files)]));
    Ok(())
}

/// The worker alias's implementation and OS, set in the tags and the worker (which must not
/// name an implementation itself).
fn set_implementation(
    node: &mut Node,
    ctx: &Context,
    prefix: &str,
    span: &Span,
) -> Result<config::Worker, TransformError> {
    let Some(Value::Str(alias)) = node.get("worker-type").map(|w| w.value.clone()) else {
        return Err(fail(
            format!("{prefix}: `worker-type` must be a string"),
            Some(span),
        ));
    };
    let worker_type_span = node.get("worker-type").map(|w| w.span.clone());
    let alias = resolve_alias(ctx, &alias, worker_type_span.as_ref())?;
    let (implementation, os) = (&alias.implementation, &alias.os);
    let tags = map_at(node, "tags", "`tags`")?;
    if !os.is_empty() {
        set(tags, "os", Value::Str(os.clone()));
    }
    set(
        tags,
        "worker-implementation",
        Value::Str(implementation.clone()),
    );
    let worker = map_at(node, "worker", "`worker`")?;
    if let Some(given) = worker.get("implementation") {
        return Err(fail(
            format!(
                "{prefix}: the run transform sets `worker.implementation` from the worker type; remove it"
            ),
            Some(&given.span),
        ));
    }
    set(worker, "implementation", Value::Str(implementation.clone()));
    if !os.is_empty() {
        set(worker, "os", Value::Str(os.clone()));
    }
    Ok(alias)
}

/// `run.using` is run-task, on a docker-worker or generic-worker worker tc can set up.
fn check_using(
    run_node: &Node,
    label: &str,
    implementation: &str,
    os: &str,
    span: &Span,
) -> Result<(), TransformError> {
    let using = match run_node.get("using").map(|u| &u.value) {
        Some(Value::Str(u)) => u.as_str(),
        _ => "",
    };
    let using_span = run_node
        .get("using")
        .map_or_else(|| span.clone(), |u| u.span.clone());
    match using {
        "run-task" => {}
        "toolchain" | "index-search" | "always-optimized" => {
            return Err(refuse(
                format!(
                    "task '{label}' uses `run.using: {using}`, which tc cannot run; use taskgraph"
                ),
                Some(&using_span),
            ));
        }
        other => {
            return Err(fail(
                format!("no functions for run.using '{other}' (tc knows run-task)"),
                Some(&using_span),
            ));
        }
    }
    if implementation != "docker-worker" && implementation != "generic-worker" {
        return Err(fail(
            format!(
                "no functions for run.using 'run-task' on '{implementation}'; use a docker-worker or generic-worker worker type"
            ),
            Some(&using_span),
        ));
    }
    if os == "linux-bitbar" {
        return Err(refuse(
            format!(
                "task '{label}' runs run-task on linux-bitbar, which tc cannot set up; use taskgraph"
            ),
            Some(&using_span),
        ));
    }
    Ok(())
}

/// One task's run description through the run transform: the task description the task
/// transform takes next (with `label`, `worker.implementation` and the tags set).
pub(super) fn describe(kind: &Kind, raw: &RawTask, ctx: &Context) -> Result<Node, TransformError> {
    let prefix = format!("In {} kind task '{}'", kind.name, raw.key);
    let mut node = run_description(raw, &prefix)?;
    let span = node.span.clone();
    // `when.files-changed` becomes skip-unless-changed, with the kind's own files added.
    when_to_optimization(&mut node, kind, raw, ctx, &prefix)?;
    // The implementation and OS of the worker alias.
    let config::Worker {
        implementation, os, ..
    } = set_implementation(&mut node, ctx, &prefix, &span)?;

    // The label, which replaces the name.
    if node.get("label").is_none() {
        set(
            &mut node,
            "label",
            Value::Str(format!("{}-{}", kind.name, raw.key)),
        );
    }
    remove(&mut node, "name");
    let label = match node.get("label").map(|l| &l.value) {
        Some(Value::Str(l)) => l.clone(),
        _ => format!("{}-{}", kind.name, raw.key),
    };

    if let Some(fetches) = node.get("fetches") {
        if truthy_node(fetches) {
            return Err(refuse(
                format!("task '{label}' uses `fetches`, which tc cannot resolve; use taskgraph"),
                Some(&fetches.span),
            ));
        }
        remove(&mut node, "fetches");
    }

    // The run-task set-up.
    let docker = implementation == "docker-worker";
    let run_node = map_at(&mut node, "run", "`run`")?;
    if docker || implementation == "generic-worker" {
        set_default(run_node, "workdir", Value::Str("/builds/worker".into()));
    }
    check_using(run_node, &label, &implementation, &os, &span)?;
    set_default(run_node, "checkout", Value::Bool(true));
    set_default(run_node, "run-as-root", Value::Bool(false));
    check(run_node, T::Struct(&RUN_TASK), &P::Root, false).map_err(|b| {
        fail(
            format!(
                "In task.run using 'run-task'/'{implementation}' for task '{label}': {}",
                b.0
            ),
            Some(&b.1),
        )
    })?;
    let run_span = run_node.span.clone();
    let J::Object(run) = run_node
        .to_json()
        .map_err(|e| fail(e.message, Some(&e.span)))?
    else {
        return Err(fail("`run` must be a mapping", Some(&run_span)));
    };
    if matches!(run.get("checkout"), Some(J::Object(m)) if !m.is_empty()) {
        return Err(refuse(
            format!(
                "task '{label}' names its checkouts in `run.checkout`, which tc cannot set up; use taskgraph"
            ),
            Some(&run_span),
        ));
    }
    for (key, default) in [
        ("attributes", Value::Map(Vec::new())),
        ("dependencies", Value::Map(Vec::new())),
        ("soft-dependencies", Value::Seq(Vec::new())),
        ("routes", Value::Seq(Vec::new())),
        ("scopes", Value::Seq(Vec::new())),
        ("extra", Value::Map(Vec::new())),
    ] {
        set_default(&mut node, key, default);
    }
    let workdir = run
        .get("workdir")
        .and_then(J::as_str)
        .unwrap_or("/builds/worker");
    let layout = Layout {
        docker,
        os: &os,
        workdir,
    };
    let setup = RunTask {
        ctx,
        label: &label,
        layout: &layout,
        run: &run,
        span: &run_span,
    };
    setup.apply(&mut node)?;
    remove(&mut node, "run");
    Ok(node)
}

/// The run-task set-up of one task (`run_task.py` and `common.py`).
struct RunTask<'a> {
    ctx: &'a Context<'a>,
    label: &'a str,
    layout: &'a Layout<'a>,
    run: &'a Map<String, J>,
    span: &'a Span,
}

impl RunTask<'_> {
    /// `run.checkout` is truthy (an empty map is not, and other maps are refused earlier).
    fn checkout(&self) -> bool {
        self.run.get("checkout") == Some(&J::Bool(true))
    }

    fn err(&self, message: impl Into<String>) -> TransformError {
        fail(message, Some(self.span))
    }

    /// A command given as a string, run by `run.exec-with` (bash by default).
    fn exec_with(&self, cmd: J) -> Result<Vec<J>, TransformError> {
        let mut wrapped = match self.run.get("exec-with") {
            None => vec![json!("bash"), json!("-cx")],
            Some(J::String(s)) if s == "bash" => vec![json!("bash"), json!("-cx")],
            Some(J::String(s)) if s == "powershell" => {
                vec![
                    json!("powershell.exe"),
                    json!("-ExecutionPolicy"),
                    json!("Bypass"),
                ]
            }
            _ => return Err(self.err("`run.exec-with` must be bash or powershell")),
        };
        wrapped.push(cmd);
        Ok(wrapped)
    }

    fn apply(&self, node: &mut Node) -> Result<(), TransformError> {
        let generic_default = if self.layout.os == "windows" {
            json!(["C:/mozilla-build/python3/python3.exe", "run-task"])
        } else {
            json!(["./run-task"])
        };
        let mut command: Vec<J> = match self.run.get("run-task-command") {
            Some(J::Array(c)) if !c.is_empty() || self.layout.docker => c.clone(),
            _ if self.layout.docker => vec![json!("/usr/local/bin/run-task")],
            _ => generic_default.as_array().cloned().unwrap_or_default(),
        };
        let mut env = Map::new();
        let mut scopes = Vec::new();
        let mut caches = Vec::new();
        self.common_setup(&mut command, &mut env, &mut scopes, &mut caches)?;

        for scope in &scopes {
            push_at(node, "scopes", scope)?;
        }
        let worker = map_at(node, "worker", "`worker`")?;
        let env_node = map_at(worker, "env", "`worker.env`")?;
        for (k, v) in &env {
            set(env_node, k, node_of(v, self.span).value);
        }
        if self.layout.docker && self.checkout() {
            set(worker, "taskcluster-proxy", Value::Bool(true));
        }
        let list = if self.layout.docker {
            "caches"
        } else {
            "mounts"
        };
        for cache in &caches {
            push_at(worker, list, cache)?;
        }

        let run_command = self.run.get("command").cloned().unwrap_or(J::Null);
        let as_root = self.run.get("run-as-root") == Some(&J::Bool(true));
        let root_args = ["--user", "root", "--group", "root"].map(|a| json!(a));
        if self.layout.docker {
            let args = match run_command {
                J::Array(items) => items,
                cmd => self.exec_with(cmd)?,
            };
            if as_root {
                command.extend(root_args);
            }
            command.push(json!("--"));
            command.extend(args);
            set(
                worker,
                "command",
                node_of(&J::Array(command), self.span).value,
            );
            return Ok(());
        }

        // generic-worker: run-task is mounted from the decision task's artifacts.
        let windows = self.layout.os == "windows";
        push_at(
            worker,
            "mounts",
            &json!({"content": {"url": self.script_url("run-task")?}, "file": "./run-task"}),
        )?;
        let fetches_env = worker
            .get("env")
            .and_then(|e| e.get("MOZ_FETCHES"))
            .is_some_and(truthy_node);
        if fetches_env {
            push_at(
                worker,
                "mounts",
                &json!({"content": {"url": self.script_url("fetch-content")?}, "file": "./fetch-content"}),
            )?;
        }
        let args: Vec<J> = match run_command {
            J::String(s) if windows => self.exec_with(J::String(format!("\"{s}\"")))?,
            J::String(s) => self.exec_with(J::String(s))?,
            J::Array(items) => items,
            // taskgraph extends the command with a task-reference mapping: its keys.
            J::Object(m) => m.keys().map(|k| J::String(k.clone())).collect(),
            other => vec![other],
        };
        if as_root {
            command.extend(root_args);
        }
        command.push(json!("--"));
        command.extend(args);
        let full = if windows {
            let mut words = Vec::new();
            for word in &command {
                match word {
                    J::String(s) => words.push(s.as_str()),
                    _ => {
                        return Err(self.err(
                            "on Windows the run-task command is joined into one string: every part must be a string",
                        ));
                    }
                }
            }
            json!([words.join(" ")])
        } else {
            json!([["chmod", "+x", "run-task"], command])
        };
        set(worker, "command", node_of(&full, self.span).value);
        Ok(())
    }

    /// Checkout, cwd, caches and the level (`common_setup`).
    fn common_setup(
        &self,
        command: &mut Vec<J>,
        env: &mut Map<String, J>,
        scopes: &mut Vec<J>,
        caches: &mut Vec<J>,
    ) -> Result<(), TransformError> {
        let ctx = self.ctx;
        let checkout = self.checkout();
        let mut cwd = self.run.get("cwd").and_then(J::as_str).map(str::to_owned);
        if checkout {
            let repo = match ctx.config.repositories.as_slice() {
                [one] => one,
                [] => return Err(self.err("config.yml has no taskgraph.repositories to check out")),
                _ => {
                    return Err(refuse(
                        format!(
                            "task '{}' checks out one of several repositories, which tc cannot set up; use taskgraph",
                            self.label
                        ),
                        Some(self.span),
                    ));
                }
            };
            let checkout_dir = self.layout.checkout_dir();
            let hg_store = if self.layout.os == "windows" {
                "y:/hg-shared".to_owned()
            } else if self.layout.docker {
                format!("{checkout_dir}/hg-store")
            } else {
                format!("{checkout_dir}/hg-shared")
            };
            let vcs = format!(
                "{checkout_dir}/{}",
                if self.layout.os == "windows" {
                    "src"
                } else {
                    "vcs"
                }
            );
            let repositories =
                serde_json::to_string(&json!({ repo.key.clone(): repo.name })).unwrap_or_default();
            env.insert("HG_STORE_PATH".into(), J::String(hg_store));
            env.insert("REPOSITORIES".into(), J::String(repositories));
            env.insert("VCS_PATH".into(), J::String(vcs.clone()));
            let upper = repo.key.to_uppercase();
            for (suffix, param) in [
                ("BASE_REPOSITORY", "base_repository"),
                ("HEAD_REPOSITORY", "head_repository"),
                ("HEAD_REV", "head_rev"),
                ("HEAD_REF", "head_ref"),
                ("REPOSITORY_TYPE", "repository_type"),
            ] {
                if let Some(v) = ctx.params.0.get(param).filter(|v| !v.is_null()) {
                    env.insert(format!("{upper}_{suffix}"), v.clone());
                }
            }
            if let Some(secret) = &repo.ssh_secret_name {
                env.insert(
                    format!("{upper}_SSH_SECRET_NAME"),
                    J::String(secret.clone()),
                );
                if !secret.is_empty() {
                    scopes.push(J::String(format!("secrets:get:{secret}")));
                }
            }
            command.push(J::String(format!(
                "--{}-checkout={}",
                repo.key,
                join(&vcs, "")
            )));
            if let Some(c) = &cwd {
                let formatted = config::format(c, &[("checkout", vcs.as_str())])
                    .map_err(|why| self.err(format!("run.cwd: {why}")))?;
                cwd = Some(normpath(&formatted));
            }
        } else if let Some(c) = cwd.as_deref().filter(|c| c.contains("{checkout}")) {
            return Err(self.err(format!(
                "Found `{{checkout}}` interpolation in `cwd` for task {} but the task doesn't have a checkout: {c}",
                self.label
            )));
        }
        if let Some(c) = cwd {
            command.extend([json!("--task-cwd"), J::String(c)]);
        }
        self.caches(checkout, env, caches)?;
        env.insert(
            "MOZ_SCM_LEVEL".into(),
            ctx.params.0.get("level").cloned().unwrap_or(J::Null),
        );
        Ok(())
    }

    /// The tool caches (`support_caches`), in taskgraph's fixed order.
    fn caches(
        &self,
        checkout: bool,
        env: &mut Map<String, J>,
        caches: &mut Vec<J>,
    ) -> Result<(), TransformError> {
        let use_caches = match self.run.get("use-caches").filter(|u| !u.is_null()) {
            Some(u) => u.clone(),
            None => match &self.ctx.config.use_caches {
                Some(n) => n.to_json().map_err(|e| fail(e.message, Some(&e.span)))?,
                None => json!(["checkout"]),
            },
        };
        let base = if self.layout.docker {
            // `workdir or "/builds/worker"`: an empty workdir falls back for caches.
            let workdir = Some(self.layout.workdir).filter(|w| !w.is_empty());
            join(workdir.unwrap_or("/builds/worker"), ".task-cache")
        } else {
            ".task-cache".to_owned()
        };
        for name in CACHE_TYPES {
            if *name == "checkout" && !checkout {
                continue;
            }
            let wanted = match &use_caches {
                J::Bool(b) => *b,
                J::Array(names) => names.iter().any(|n| n.as_str() == Some(name)),
                _ => {
                    return Err(self.err(
                        "taskgraph.run.use-caches must be true, false or a list of cache names",
                    ));
                }
            };
            if !wanted {
                continue;
            }
            let (dir, cache_name) = if *name == "checkout" {
                (self.layout.checkout_dir(), "checkouts")
            } else {
                (format!("{base}/{name}"), *name)
            };
            let var = match *name {
                "cargo" => Some("CARGO_HOME"),
                "npm" => Some("npm_config_cache"),
                "pip" => Some("PIP_CACHE_DIR"),
                "uv" => Some("UV_CACHE_DIR"),
                _ => None,
            };
            if let Some(var) = var {
                env.insert(var.into(), J::String(dir.clone()));
            }
            caches.push(if self.layout.docker {
                json!({"type": "persistent", "name": cache_name, "mount-point": dir, "skip-untrusted": false})
            } else {
                json!({"cache-name": cache_name, "directory": dir})
            });
        }
        Ok(())
    }

    /// The URL of a script the decision task publishes (`script_url`).
    fn script_url(&self, script: &str) -> Result<String, TransformError> {
        let task_id = self.ctx.task_id_env;
        if std::env::var_os("MOZ_AUTOMATION").is_some() && task_id.is_none() {
            return Err(self.err("TASK_ID must be defined to use run-task on generic-worker"));
        }
        let root = root_url(self.ctx.root_url, task_id).map_err(|e| self.err(e.to_string()))?;
        Ok(format!(
            "{root}/api/queue/v1/task/{}/artifacts/public/{script}",
            task_id.unwrap_or("<TASK_ID>")
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normpath_is_posixpaths() {
        for (given, want) in [
            ("", "."),
            (
                "/builds/worker/checkouts/vcs/sub/../tests",
                "/builds/worker/checkouts/vcs/tests",
            ),
            ("a/./b//c/", "a/b/c"),
            ("../a/..", ".."),
            ("/../a", "/a"),
            ("//x/y", "//x/y"),
            ("///x", "/x"),
            ("a/..", "."),
        ] {
            assert_eq!(normpath(given), want, "{given}");
        }
    }

    #[test]
    fn join_is_os_path_join() {
        assert_eq!(join("/w/vcs", ""), "/w/vcs/");
        assert_eq!(join("/w/", ".task-cache"), "/w/.task-cache");
        assert_eq!(join("/w", "/abs"), "/abs");
    }
}

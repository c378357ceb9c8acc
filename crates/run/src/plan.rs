//! Stage 0 of the pipeline (worker.md §13.2): family, field support, engine, and one plan for
//! either family, so everything after validation reads the same fields whatever the payload.

use std::time::Duration;

use chrono::Utc;
use serde_json::Value;

use super::artifacts::{self, ArtifactSpec, Kind};
use super::env;
use super::mounts::Mount;
use super::outcome::TaskError;
use super::taskrun::{EngineChoice, RunOptions, Task};
use crate::engine::Engine;
use crate::engine::docker::{DockerEngine, DockerTask};
use crate::engine::native::NativeEngine;
use tc_taskdef::TaskDef;
use tc_taskdef::payload::{self, DwPayload, Family, GwPayload, OnExitStatus};
use tc_taskdef::reltime::{format_timestamp, parse_timestamp};

/// The names of the two log artifacts.
#[derive(Debug, Clone)]
pub struct LogNames {
    pub live: String,
    pub backing: String,
    pub save: bool,
}

/// What validation made of the payload.
pub struct Plan {
    pub family: Family,
    pub engine: Box<dyn Engine>,
    /// generic-worker: the commands in order; docker-worker: one argv, or none for the
    /// image's default.
    pub commands: Vec<Vec<String>>,
    pub env: serde_json::Map<String, Value>,
    /// generic-worker mounts.
    pub mounts: Vec<Mount>,
    /// docker-worker image, caches and capabilities.
    pub docker: Option<DockerTask>,
    pub artifacts: Vec<ArtifactSpec>,
    /// docker-worker `features.artifacts: false` copies none.
    pub copy_artifacts: bool,
    pub on_exit_status: OnExitStatus,
    pub max_run_time: Option<Duration>,
    pub max_run_time_secs: u64,
}

fn engine_for(family: Family, opts: &RunOptions) -> Result<Box<dyn Engine>, TaskError> {
    match (opts.engine, family) {
        (EngineChoice::Auto | EngineChoice::Native, Family::GenericWorker) => {
            Ok(Box::new(NativeEngine))
        }
        (EngineChoice::Auto | EngineChoice::Docker, Family::DockerWorker) => {
            Ok(Box::new(DockerEngine {
                client: tokio::sync::OnceCell::default(),
                options: opts.docker.clone(),
                cache_root: opts.cache_root.clone(),
                root_url: opts.root_url.clone(),
                no_caches: opts.no_caches,
            }))
        }
        (EngineChoice::Native, Family::DockerWorker) => Err(TaskError::malformed(
            "a docker-worker payload cannot run on the native engine: use --engine auto (tc never translates one family into the other)",
        )),
        (EngineChoice::Docker, Family::GenericWorker) => Err(TaskError::malformed(
            "a generic-worker payload cannot run on the Docker engine: use --engine auto",
        )),
    }
}

/// One artifact as either family's payload gives it.
struct RawArtifact<'a> {
    pointer: String,
    name: String,
    kind: &'a str,
    path: &'a str,
    expires: Option<&'a str>,
    content_type: Option<String>,
    optional: bool,
}

/// Artifact specs with their names checked (a warning) and `expires` checked (an error, §8.4).
fn artifact_specs(
    def: &TaskDef,
    family: Family,
    raw: Vec<RawArtifact<'_>>,
    warnings: &mut Vec<String>,
    errors: &mut Vec<String>,
) -> Vec<ArtifactSpec> {
    let task_expires = def.expires_time();
    let deadline = def.deadline_time();
    let mut specs = Vec::new();
    for a in raw {
        let pointer = a.pointer;
        if let Err(why) = artifacts::check_name(&a.name) {
            warnings.push(format!("{pointer}: `{}` will be refused: {why}", a.name));
        }
        let expires = match a.expires {
            None => def.expires.clone(),
            Some(text) => match parse_timestamp(text) {
                Err(e) => {
                    errors.push(format!("{pointer}/expires: {e}"));
                    continue;
                }
                Ok(t) => {
                    if task_expires.is_some_and(|te| t > te) {
                        errors.push(format!(
                            "{pointer}/expires: later than the task's expires ({})",
                            def.expires
                        ));
                    }
                    // generic-worker also refuses artifacts that expire before the deadline.
                    if family == Family::GenericWorker && deadline.is_some_and(|d| t < d) {
                        errors.push(format!(
                            "{pointer}/expires: earlier than the task's deadline ({})",
                            def.deadline
                        ));
                    }
                    format_timestamp(t)
                }
            },
        };
        if family == Family::DockerWorker && a.kind == "volume" {
            warnings.push(format!("{pointer}: type volume is taken as directory"));
        }
        specs.push(ArtifactSpec {
            name: a.name,
            kind: if a.kind == "file" {
                Kind::File
            } else {
                Kind::Directory
            },
            path: a.path.to_owned(),
            expires,
            content_type: a.content_type,
            optional: a.optional,
        });
    }
    specs.sort_by(|a, b| a.name.cmp(&b.name));
    specs
}

/// Stage 0: family, field support, engine, typed payload, artifact names and expiry.
pub fn validate(
    task: &Task,
    opts: &RunOptions,
    warnings: &mut Vec<String>,
) -> Result<Plan, TaskError> {
    let def = &task.def;
    let family = payload::family(&def.payload).map_err(|e| TaskError::malformed(e.to_string()))?;
    let check = payload::check(&def.payload, family, opts.allow_capabilities);
    warnings.extend(check.warnings);
    if !opts.claimed {
        warn_unchecked(def, warnings);
    }
    // Every problem at once: field support, then what only a well-typed payload can show.
    let mut errors = check.errors;
    if !errors.is_empty() {
        return Err(TaskError::malformed(errors.join("\n")));
    }
    let engine = engine_for(family, opts)?;
    errors.extend(log_name_problems(&log_names(def)));
    let mut plan = match family {
        Family::GenericWorker => generic_worker_plan(def, engine, warnings, &mut errors)?,
        Family::DockerWorker => docker_worker_plan(def, engine, warnings, &mut errors)?,
    };
    for name in plan.env.keys() {
        if !env::is_valid_name(name) {
            errors.push(format!(
                "payload/env/{name}: not a valid variable name ([A-Za-z_][A-Za-z0-9_]*)"
            ));
        }
    }
    if let Some(cap) = opts
        .max_run_time_cap
        .filter(|cap| plan.max_run_time_secs > *cap)
    {
        errors.push(format!(
            "payload/maxRunTime: {} seconds is more than this worker allows ({cap}, --max-task-run-time)",
            plan.max_run_time_secs
        ));
    }
    if !errors.is_empty() {
        return Err(TaskError::malformed(errors.join("\n")));
    }
    // --interactive disables maxRunTime (worker.md §7.1).
    let seconds = if opts.interactive {
        0
    } else {
        opts.max_run_time.unwrap_or(plan.max_run_time_secs)
    };
    plan.max_run_time_secs = seconds;
    plan.max_run_time = (seconds > 0).then(|| Duration::from_secs(seconds));
    Ok(plan)
}

/// What a local run does not check, said once: scopes, dependencies, the deadline. (A
/// claimed run's queue checked the scopes, ordered the dependencies and kept the deadline.)
fn warn_unchecked(def: &TaskDef, warnings: &mut Vec<String>) {
    // No flag relates to task scopes (--allow-capabilities is about payload capabilities, and
    // refuses them with its own message), so the warning points nowhere.
    if !def.scopes.is_empty() {
        warnings.push("the task's scopes are not checked locally".into());
    }
    if !def.dependencies.is_empty() {
        warnings.push(format!(
            "the task's {} dependencies are not run",
            def.dependencies.len()
        ));
    }
    if def.deadline_time().is_some_and(|d| d < Utc::now()) {
        warnings.push(format!(
            "the deadline {} has passed; tc runs the task anyway",
            def.deadline
        ));
    }
}

/// A generic-worker payload's plan: its commands, mounts and artifacts.
fn generic_worker_plan(
    def: &TaskDef,
    engine: Box<dyn Engine>,
    warnings: &mut Vec<String>,
    errors: &mut Vec<String>,
) -> Result<Plan, TaskError> {
    let family = Family::GenericWorker;
    let gw: GwPayload = serde_json::from_value(def.payload.clone())
        .map_err(|e| TaskError::malformed(format!("payload: {e}")))?;
    let mounts = super::mounts::parse(&gw.mounts).unwrap_or_else(|errs| {
        errors.extend(errs.0.iter().map(ToString::to_string));
        Vec::new()
    });
    let raw = gw
        .artifacts
        .iter()
        .enumerate()
        .map(|(i, a)| RawArtifact {
            pointer: format!("payload/artifacts/{i}"),
            name: a.name.clone().unwrap_or_else(|| a.path.clone()),
            kind: &a.kind,
            path: &a.path,
            expires: a.expires.as_deref(),
            content_type: a.content_type.clone(),
            optional: a.optional,
        })
        .collect();
    let artifacts = artifact_specs(def, family, raw, warnings, errors);
    Ok(Plan {
        family,
        engine,
        commands: gw.command,
        env: gw.env,
        mounts,
        docker: None,
        artifacts,
        copy_artifacts: true,
        on_exit_status: gw.on_exit_status,
        max_run_time: None,
        max_run_time_secs: gw.max_run_time,
    })
}

/// A docker-worker payload's plan: its image, command, caches and artifacts (absolute paths
/// in the container).
fn docker_worker_plan(
    def: &TaskDef,
    engine: Box<dyn Engine>,
    warnings: &mut Vec<String>,
    errors: &mut Vec<String>,
) -> Result<Plan, TaskError> {
    let family = Family::DockerWorker;
    let dw: DwPayload = serde_json::from_value(def.payload.clone())
        .map_err(|e| TaskError::malformed(format!("payload: {e}")))?;
    let raw = dw
        .artifacts
        .iter()
        .map(|(name, a)| RawArtifact {
            pointer: format!(
                "payload/artifacts/{}",
                name.replace('~', "~0").replace('/', "~1")
            ),
            name: name.clone(),
            kind: &a.kind,
            path: &a.path,
            expires: a.expires.as_deref(),
            content_type: None,
            optional: false,
        })
        .collect();
    let artifacts = artifact_specs(def, family, raw, warnings, errors);
    for (name, path) in dw
        .cache
        .iter()
        .chain(dw.artifacts.iter().map(|(n, a)| (n, &a.path)))
    {
        if !path.starts_with('/') {
            errors.push(format!(
                "payload: `{name}`: the path {path} must be absolute in the container"
            ));
        }
    }
    let commands = if dw.command.is_empty() {
        Vec::new()
    } else {
        vec![dw.command.clone()]
    };
    Ok(Plan {
        family,
        engine,
        commands,
        env: dw.env,
        mounts: Vec::new(),
        docker: Some(DockerTask {
            image: dw.image,
            command: dw.command,
            caches: dw.cache.into_iter().collect(),
            capabilities: dw.capabilities,
            allow_ptrace: dw.features.allow_ptrace,
        }),
        artifacts,
        copy_artifacts: dw.features.artifacts,
        on_exit_status: dw.on_exit_status,
        max_run_time: None,
        max_run_time_secs: dw.max_run_time,
    })
}

/// Problems with the log names, as payload errors.
pub fn log_name_problems(names: &LogNames) -> Vec<String> {
    let mut problems = Vec::new();
    for (field, name) in [("live", &names.live), ("backing", &names.backing)] {
        if let Err(why) = artifacts::check_name(name) {
            problems.push(format!("payload/logs/{field}: {why}"));
        }
    }
    if names.live == names.backing {
        problems.push("payload/logs: the live and backing logs need different names".into());
    }
    problems
}

/// The log artifacts' names: generic-worker `logs`, docker-worker `log` (§3.4).
pub fn log_names(def: &TaskDef) -> LogNames {
    let p = &def.payload;
    if p.get("image").is_some() {
        let live = p
            .get("log")
            .and_then(Value::as_str)
            .unwrap_or("public/logs/live.log")
            .to_owned();
        return LogNames {
            backing: payload::dw_backing_log(&live),
            live,
            save: true,
        };
    }
    let text = |key: &str, default: &str| {
        p.pointer(&format!("/logs/{key}"))
            .and_then(Value::as_str)
            .unwrap_or(default)
            .to_owned()
    };
    LogNames {
        live: text("live", "public/logs/live.log"),
        backing: text("backing", "public/logs/live_backing.log"),
        save: p
            .pointer("/features/backingLog")
            .and_then(Value::as_bool)
            .unwrap_or(true),
    }
}

//! `tc run-local --script` (worker.md §12): a standalone bash script that does what the run
//! would do. This file renders generic-worker payloads for the native engine and holds what
//! both families share; `script_docker` renders docker-worker payloads. Every value from the
//! task is single-quoted; secrets appear by name only.

use std::fmt::Write as _;

use super::artifacts::{self, ArtifactSpec, CONTENT_TYPES, DEFAULT_CONTENT_TYPE, Kind};
use super::mounts::{Content, Mount};
use super::taskrun::{self, MissingPolicy, RunOptions, StaticPlan, Task};
use crate::engine::native::shell_quote;
use tc_taskdef::payload::{self, Family};

/// `'…'` with `'` written as `'\''`; `$` and backticks are likewise written outside the
/// quotes (`'\$'`), so no single-quoted part looks like an expansion to shellcheck.
pub fn quote(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('\'');
    for c in value.chars() {
        match c {
            '\'' => out.push_str("'\\''"),
            '$' => out.push_str("'\\$'"),
            '`' => out.push_str("'\\`'"),
            '\\' => out.push_str("'\\\\'"),
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

/// What `--script` needs beyond the run options.
pub struct ScriptInput<'a> {
    pub task: &'a Task,
    pub opts: &'a RunOptions,
    /// The default `ARTIFACTS_DIR`, when `--artifacts-dir` was given.
    pub artifacts_dir: Option<String>,
    /// Where the task came from, for the header comment.
    pub source: &'a str,
    /// `--develop`'s warning, carried as a comment (the script asks nothing).
    pub develop_warning: Option<String>,
}

/// Why a task cannot be rendered as a script (exit 2): each problem on a line of its own.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum ScriptError {
    /// The payload is not one tc can run (its validation problems).
    #[error("{}", problems.join("\n"))]
    #[diagnostic(code(tc::run::script::payload))]
    Payload { problems: Vec<String> },

    /// What a script cannot do for this task, one problem a line.
    #[error("{}", lines(.0))]
    #[diagnostic(code(tc::run::script::unsupported))]
    Unsupported(Vec<Unsupported>),

    #[error(
        "the in-tree image {name} needs a graph root: run tc inside the repository or give --root DIR"
    )]
    #[diagnostic(code(tc::run::script::graph_root))]
    NoGraphRoot { name: String },

    #[error(transparent)]
    #[diagnostic(transparent)]
    Context(#[from] crate::intree::ContextError),

    #[error("{} has no parent directory", root.display())]
    #[diagnostic(code(tc::run::script::repository))]
    NoRepository { root: std::path::PathBuf },

    #[error("a docker-worker plan without its docker payload")]
    #[diagnostic(code(tc::run::script::internal))]
    NoDockerPayload,
}

/// Something a standalone script cannot do (it carries no credentials, and not every source
/// of content is rendered).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Unsupported {
    #[error("{mount}: the artifact {artifact} needs credentials")]
    MountArtifact { mount: String, artifact: String },
    #[error("{mount}: indexed content is not rendered by --script yet")]
    IndexedMount { mount: String },
    #[error("the image artifact {path} needs credentials, which a script does not carry")]
    ImageArtifact { path: String },
}

fn lines(problems: &[Unsupported]) -> String {
    let lines: Vec<String> = problems.iter().map(ToString::to_string).collect();
    lines.join("\n")
}

impl From<Unsupported> for ScriptError {
    fn from(one: Unsupported) -> ScriptError {
        ScriptError::Unsupported(vec![one])
    }
}

/// Renders the script, or the reasons it cannot be rendered.
pub fn render(input: &ScriptInput<'_>) -> Result<String, ScriptError> {
    let task = input.task;
    let opts = input.opts;
    let def = &task.def;
    let family = payload::family(&def.payload).map_err(|problem| ScriptError::Payload {
        problems: vec![problem.to_string()],
    })?;
    let check = payload::check(&def.payload, family, opts.allow_capabilities);
    if !check.errors.is_empty() {
        return Err(ScriptError::Payload {
            problems: check.errors,
        });
    }
    let plan = taskrun::static_plan(task, opts).map_err(|e| ScriptError::Payload {
        problems: vec![e.message],
    })?;
    match family {
        Family::DockerWorker => super::script_docker::render(input, &check.ignored, &plan),
        Family::GenericWorker => render_native(input, &check.ignored, &plan),
    }
}

/// Whether the script copies artifacts of `kind` (a refused name is only reported).
pub(super) fn copies(plan: &StaticPlan, kind: Kind) -> bool {
    plan.artifacts
        .iter()
        .any(|a| a.kind == kind && artifacts::check_name(&a.name).is_ok())
}

/// The generic-worker script: each command natively, in a task directory.
fn render_native(
    input: &ScriptInput<'_>,
    ignored: &[String],
    plan: &StaticPlan,
) -> Result<String, ScriptError> {
    let task = input.task;
    let opts = input.opts;
    let def = &task.def;
    let mounts_code = render_mounts(&plan.mounts, opts)?;
    let mut s = String::new();
    let w = &mut s;

    // 1–2. Header comments and settings.
    prologue(w, input, ignored, plan);

    // 3. Preconditions.
    let mut tools = vec!["timeout", "realpath", "mktemp", "awk"];
    tools.extend(&mounts_code.tools);
    preconditions(w, &tools, &opts.secrets);

    // 4. Work directory, task directory, traps; the artifacts directory as tc checks it.
    w.push_str(ARTIFACTS_DIR_CHECK);
    w.push_str(SETUP);

    // 5. Environment: inherited names, then the literal file, then secrets, then reserved.
    native_env(w, plan, opts, &task.task_id);

    // Masking, logging and JSON helpers; only those this task uses, so shellcheck finds no
    // unreachable code.
    helpers(w, &opts.secrets, &plan.artifacts);
    w.push_str(RUN_COMMAND);
    if copies(plan, Kind::File) || copies(plan, Kind::Directory) {
        w.push_str(RESOLVE);
    }
    if copies(plan, Kind::File) {
        w.push_str(COPY_FILE);
    }
    if copies(plan, Kind::Directory) {
        w.push_str(COPY_DIRECTORY);
    }
    let _ = writeln!(w);

    // Header.
    log_header(
        w,
        plan,
        &def.metadata.name,
        &format!("Worker pool: {}  Engine: native", def.task_queue_id),
    );
    // 2. Mounts and caches, in payload order, before the task starts.
    native_mounts(w, plan, opts, &mounts_code);
    native_start(w, plan);

    // 8. Run: each command under GNU timeout (which kills the whole process group).
    native_commands(w, plan);

    // 9. Artifacts, in name order; the missing-artifact policy is fixed now.
    let _ = writeln!(w, "if [[ -z \"$setup_error\" ]]; then");
    if copies(plan, Kind::File) || copies(plan, Kind::Directory) {
        let _ = writeln!(w, "task_root=$(realpath \"$task_dir\")");
    }
    artifact_calls(w, plan, opts.missing);
    let _ = writeln!(w, ":");
    let _ = writeln!(w, "fi");
    if mounts_code.caches {
        purge_decision(w, plan);
        let _ = writeln!(w, "release_caches \"$purge\"");
    }
    let _ = writeln!(w);

    // 10. Outcome, footer, manifest, exit status.
    finish(w, plan, &def.expires, Family::GenericWorker, "native");
    Ok(s)
}

/// Section 5 for the native engine: inherited names, then the literal file, then secrets,
/// then reserved variables, into `env_args`.
fn native_env(w: &mut String, plan: &StaticPlan, opts: &RunOptions, task_id: &str) {
    let _ = writeln!(w, "env_args=()");
    let inherited: Vec<&str> = super::env::NATIVE_INHERITED.to_vec();
    let _ = writeln!(w, "for name in {}; do", inherited.join(" "));
    let _ = writeln!(
        w,
        "  if [[ -n \"${{!name+x}}\" ]]; then env_args+=(\"$name=${{!name}}\"); fi"
    );
    let _ = writeln!(w, "done");
    let single: Vec<String> = plan
        .literal_env
        .iter()
        .filter(|(_, v)| !v.contains('\n'))
        .map(|(k, v)| quote(&format!("{k}={v}")))
        .collect();
    let _ = writeln!(
        w,
        "(umask 077 && printf '%s\\n' {} >\"$work/env.list\")",
        if single.is_empty() {
            "''".to_owned()
        } else {
            single.join(" ")
        }
    );
    let _ = writeln!(w, "mapfile -t env_lines <\"$work/env.list\"");
    let _ = writeln!(
        w,
        "for line in \"${{env_lines[@]}}\"; do if [[ -n \"$line\" ]]; then env_args+=(\"$line\"); fi; done"
    );
    for (k, v) in plan.literal_env.iter().filter(|(_, v)| v.contains('\n')) {
        let _ = writeln!(w, "env_args+=({})", quote(&format!("{k}={v}")));
    }
    for (name, _) in &opts.secrets {
        let _ = writeln!(w, "env_args+=(\"{name}=${name}\")");
    }
    for (k, v) in &plan.reserved_env {
        let _ = writeln!(w, "env_args+=({})", reserved_word(k, v, task_id));
    }
    let _ = writeln!(w);
}

/// Stage 2 for the native engine: the helpers the mounts need, then the mounts and caches in
/// payload order, then `--develop`'s link.
fn native_mounts(w: &mut String, plan: &StaticPlan, opts: &RunOptions, mounts_code: &MountsCode) {
    if !plan.mounts.is_empty() {
        w.push_str(SETUP_FAILED);
    }
    if mounts_code.tools.contains(&"curl") {
        w.push_str(DOWNLOAD);
    }
    if !mounts_code.archives.is_empty() {
        w.push_str(ARCHIVE_CHECKS);
        if mounts_code.archives.iter().any(|f| *f != "zip") {
            w.push_str(TAR_CHECKS);
        }
        if mounts_code.archives.contains(&"zip") {
            w.push_str(ZIP_CHECKS);
        }
    }
    if mounts_code.caches {
        w.push_str(CACHE_HELPERS);
    }
    w.push_str(&mounts_code.text);
    // --develop: the checkout appears where run-task would have cloned it.
    for (inside, checkout) in &opts.links {
        let at = format!("\"$task_dir\"/{}", quote(inside));
        let _ = writeln!(
            w,
            "mkdir -p \"$(dirname {at})\"\nln -s {} {at}",
            quote(&checkout.display().to_string())
        );
    }
}

/// The log lines before the start (task dir, commands), or the setup's error.
fn native_start(w: &mut String, plan: &StaticPlan) {
    let _ = writeln!(w, "if [[ -z \"$setup_error\" ]]; then");
    let _ = writeln!(w, "  log \"Task dir: $task_dir\"");
    let n = plan.commands.len();
    for (i, argv) in plan.commands.iter().enumerate() {
        let _ = writeln!(
            w,
            "  log {}",
            quote(&format!("Command {}/{n}: {}", i + 1, shell_quote(argv)))
        );
    }
    let _ = writeln!(w, "  log \"Started: $(now_iso)\"");
    let _ = writeln!(w, "  log '=== Task Starting ==='");
    let _ = writeln!(w, "else");
    let _ = writeln!(w, "  log \"Error: $setup_error\"");
    let _ = writeln!(w, "fi");
}

/// Section 8 for the native engine: each command while none has failed.
fn native_commands(w: &mut String, plan: &StaticPlan) {
    let n = plan.commands.len();
    let _ = writeln!(w, "started_ms=$(now_ms)");
    for (i, argv) in plan.commands.iter().enumerate() {
        let args: Vec<String> = argv.iter().map(|a| quote(a)).collect();
        let _ = writeln!(
            w,
            "if [[ -z \"$setup_error\" ]] && (( exit_code == 0 && timed_out == 0 )); then run_command {} {n} {}; fi",
            i + 1,
            args.join(" ")
        );
    }
    let _ = writeln!(w, "duration_ms=$(( $(now_ms) - started_ms ))");
    let _ = writeln!(w);
}

/// Sections 1 and 2 of §12: header comments, `set -euo pipefail` and the settings.
pub(super) fn prologue(
    w: &mut String,
    input: &ScriptInput<'_>,
    ignored: &[String],
    plan: &StaticPlan,
) {
    let task = input.task;
    let opts = input.opts;
    let _ = writeln!(w, "#!/usr/bin/env bash");
    let _ = writeln!(
        w,
        "# Generated by tc {} (tc run-local --script): runs one task the way `tc run-local` would.",
        env!("CARGO_PKG_VERSION")
    );
    let _ = writeln!(w, "# Source: {}", one_line(input.source));
    let _ = writeln!(
        w,
        "# Task: {} \"{}\"",
        task.task_id,
        one_line(&task.def.metadata.name)
    );
    for field in ignored {
        let _ = writeln!(w, "# Ignored here as by tc: {field}");
    }
    if let Some(warning) = &input.develop_warning {
        let _ = writeln!(w, "# Warning: {}", one_line(warning));
    }
    let _ = writeln!(
        w,
        "# Settings below can be overridden from the environment."
    );
    let _ = writeln!(w, "set -euo pipefail");
    let _ = writeln!(w);

    let _ = writeln!(w, "default_task_id={}", quote(&task.task_id));
    let _ = writeln!(w, "TASK_ID=\"${{TASK_ID:-$default_task_id}}\"");
    let _ = writeln!(w, "RUN_ID=\"${{RUN_ID:-0}}\"");
    match &input.artifacts_dir {
        Some(dir) => {
            let _ = writeln!(w, "default_artifacts_dir={}", quote(dir));
            let _ = writeln!(
                w,
                "ARTIFACTS_DIR=\"${{ARTIFACTS_DIR:-$default_artifacts_dir}}\""
            );
        }
        None => {
            let _ = writeln!(
                w,
                "ARTIFACTS_DIR=\"${{ARTIFACTS_DIR:-artifacts/$TASK_ID}}\""
            );
        }
    }
    let _ = writeln!(w, "KEEP=\"${{KEEP:-{}}}\"", u8::from(opts.keep));
    let _ = writeln!(
        w,
        "MAX_RUN_TIME=\"${{MAX_RUN_TIME:-{}}}\"",
        plan.max_run_time
    );
    let _ = writeln!(
        w,
        "default_cache_dir={}",
        quote(&opts.cache_root.display().to_string())
    );
    let _ = writeln!(w, "TC_CACHE_DIR=\"${{TC_CACHE_DIR:-$default_cache_dir}}\"");
    let _ = writeln!(w, "export LC_ALL=C");
    let _ = writeln!(w);
}

/// Every secret must be set, and long enough to be masked, before anything runs.
/// Section 3: the commands the script needs, then every secret name; a missing one exits 2.
pub(super) fn preconditions(w: &mut String, tools: &[&str], secrets: &[(String, String)]) {
    w.push_str(PRECONDITIONS);
    let mut seen = Vec::new();
    for tool in tools {
        if !seen.contains(tool) {
            seen.push(*tool);
            let _ = writeln!(w, "need {tool}");
        }
    }
    secret_checks(w, secrets);
    let _ = writeln!(w);
}

fn secret_checks(w: &mut String, secrets: &[(String, String)]) {
    for (name, _) in secrets {
        let _ = writeln!(
            w,
            "secret_value=${{{name}:-}}; if [[ ${{#secret_value}} -lt 4 ]]; then echo \"[tc] error: set {name} (4 bytes or more, to be maskable): it is a secret of this task\" >&2; exit 2; fi"
        );
    }
}

/// A reserved variable as one shell word `K=V`: the script's own settings where they apply.
pub(super) fn reserved_word(k: &str, v: &str, task_id: &str) -> String {
    let value = match k {
        "TASK_ID" => "$TASK_ID",
        "RUN_ID" => "$RUN_ID",
        "TASK_WORKDIR" => "$task_dir",
        "TASK_GROUP_ID" if v == task_id => "$TASK_ID",
        _ => return quote(&format!("{k}={v}")),
    };
    format!("\"{k}={value}\"")
}

/// The masking function, the logging and JSON helpers, and the artifact helpers both
/// families share (those the task needs).
pub(super) fn helpers(w: &mut String, secrets: &[(String, String)], specs: &[ArtifactSpec]) {
    let _ = writeln!(w, "mask() {{");
    let _ = writeln!(w, "  local line");
    let _ = writeln!(w, "  while IFS= read -r line || [[ -n \"$line\" ]]; do");
    for (name, _) in secrets {
        let _ = writeln!(w, "    line=$(mask_value \"$line\" \"${name}\")");
    }
    let _ = writeln!(w, "    printf '%s\\n' \"$line\"");
    let _ = writeln!(w, "  done");
    let _ = writeln!(w, "}}");
    w.push_str(HELPERS);
    if !secrets.is_empty() {
        w.push_str(MASK_VALUE);
    }
    if !specs.is_empty() {
        w.push_str(ARTIFACT_ERROR);
    }
    if specs.iter().any(|a| artifacts::check_name(&a.name).is_ok()) {
        w.push_str(STORE);
    }
    let _ = writeln!(w, "content_type() {{");
    let _ = writeln!(w, "  case \"${{1##*.}}\" in");
    for (exts, ct) in CONTENT_TYPES {
        let pattern: Vec<String> = exts
            .iter()
            .map(|e| format!("{e}|{}", e.to_ascii_uppercase()))
            .collect();
        let _ = writeln!(w, "    {}) printf '%s' {} ;;", pattern.join("|"), quote(ct));
    }
    let _ = writeln!(w, "    *) printf '%s' {} ;;", quote(DEFAULT_CONTENT_TYPE));
    let _ = writeln!(w, "  esac");
    let _ = writeln!(w, "}}");
}

/// The saved log, then the first header lines: the task, the engine line, the warnings.
pub(super) fn log_header(w: &mut String, plan: &StaticPlan, name: &str, engine_line: &str) {
    if plan.save_log {
        let _ = writeln!(
            w,
            "saved_log=\"$ARTIFACTS_DIR\"/{}",
            quote(&plan.backing_log)
        );
        let _ = writeln!(w, "mkdir -p \"$(dirname \"$saved_log\")\"");
        let _ = writeln!(w, ": >\"$saved_log\"");
    } else {
        // features.backingLog is false: no saved log.
        let _ = writeln!(w, "saved_log=/dev/null");
    }
    let _ = writeln!(w, "save_log={}", u8::from(plan.save_log));
    let _ = writeln!(
        w,
        "log \"$(printf 'Task: %s run %s \"%s\"' \"$TASK_ID\" \"$RUN_ID\" {})\"",
        quote(name)
    );
    let _ = writeln!(w, "log {}", quote(engine_line));
    for warning in &plan.warnings {
        let _ = writeln!(w, "log {}", quote(&format!("Warning: {warning}")));
    }
}

/// One call per artifact, in name order: `copy_file`/`copy_directory NAME PATH EXPIRES
/// CONTENT_TYPE OPTIONAL COUNTS` (each family defines them), or the error of a refused name.
/// Whether a missing artifact fails the task is fixed now, as tc's `--missing-artifacts`.
pub(super) fn artifact_calls(w: &mut String, plan: &StaticPlan, missing: MissingPolicy) {
    for spec in &plan.artifacts {
        let counts = match missing {
            MissingPolicy::Ignore => false,
            MissingPolicy::Fail => true,
            MissingPolicy::Family => plan.family == Family::GenericWorker && !spec.optional,
        };
        let optional = quote(if spec.optional { "true" } else { "false" });
        let counts = quote(if counts { "1" } else { "0" });
        if let Err(why) = artifacts::check_name(&spec.name) {
            let _ = writeln!(
                w,
                "artifact_error {} {} {} {optional} {counts}",
                quote(&spec.name),
                quote(artifacts::INVALID),
                quote(&why.to_string())
            );
        } else {
            let func = if spec.kind == Kind::Directory {
                "copy_directory"
            } else {
                "copy_file"
            };
            let _ = writeln!(
                w,
                "{func} {} {} {} {} {optional} {counts}",
                quote(&spec.name),
                quote(&spec.path),
                quote(&spec.expires),
                quote(spec.content_type.as_deref().unwrap_or(""))
            );
        }
    }
}

/// `purge=1` when the task's exit code is one of `onExitStatus.purgeCaches` (an abort has
/// none to match).
pub(super) fn purge_decision(w: &mut String, plan: &StaticPlan) {
    let purge: Vec<String> = plan.purge_codes.iter().map(ToString::to_string).collect();
    let _ = writeln!(w, "purge=0");
    let _ = writeln!(w, "purge_codes=({})", purge.join(" "));
    let _ = writeln!(w, "for code in \"${{purge_codes[@]}}\"; do");
    let _ = writeln!(
        w,
        "  if [[ -z \"$setup_error\" && \"$code\" == \"$exit_code\" ]] && (( timed_out == 0 )); then purge=1; fi"
    );
    let _ = writeln!(w, "done");
}

/// Section 10: outcome, footer, manifest and exit status.
pub(super) fn finish(
    w: &mut String,
    plan: &StaticPlan,
    expires: &str,
    family: Family,
    engine: &str,
) {
    let retry: Vec<String> = plan.retry_codes.iter().map(ToString::to_string).collect();
    let _ = writeln!(w, "retry_codes=({})", retry.join(" "));
    let _ = writeln!(w, "live_log={}", quote(&plan.live_log));
    let _ = writeln!(w, "backing_log={}", quote(&plan.backing_log));
    let _ = writeln!(w, "task_expires={}", quote(expires));
    let _ = writeln!(w, "family={}", quote(family.as_str()));
    let _ = writeln!(w, "engine={}", quote(engine));
    w.push_str(FINISH);
}

/// The generated mount code and what it needs.
struct MountsCode {
    text: String,
    /// The formats of the archives mounts extract (their entry checks are needed).
    archives: Vec<&'static str>,
    /// Commands the mounts need (checked with the other preconditions).
    tools: Vec<&'static str>,
    caches: bool,
}

/// Renders `payload.mounts` (worker.md §9): content fetched into `$work`, then written,
/// decompressed or extracted into the task directory; caches use instance 0 only.
fn render_mounts(mounts: &[Mount], opts: &RunOptions) -> Result<MountsCode, ScriptError> {
    let mut out = MountsCode {
        text: String::new(),
        archives: mounts
            .iter()
            .filter_map(|m| match m {
                Mount::Directory { format, .. } => Some(*format),
                Mount::Cache {
                    format: Some(f),
                    content: Some(_),
                    ..
                } if !opts.no_caches => Some(*f),
                _ => None,
            })
            .map(super::mounts::ArchiveFormat::as_str)
            .collect(),
        tools: Vec::new(),
        caches: false,
    };
    let mut refused = Vec::new();
    let _ = writeln!(out.text, "setup_error=''");
    let _ = writeln!(out.text, "setup_reason=''");
    for (i, mount) in mounts.iter().enumerate() {
        let what = format!("{} mount `{}`", mount.kind(), mount.path());
        let content_file = format!("\"$work/content-{i}\"");
        let fetch = match fetch_code(mount.content(), &what, &content_file, opts, &mut out.tools) {
            Ok(fetch) => fetch,
            Err(unsupported) => {
                refused.push(unsupported);
                continue;
            }
        };
        let apply = apply_code(mount, &what, &content_file, opts, &mut out);
        let fetch_line =
            if fetch.is_empty() || (matches!(mount, Mount::Cache { .. }) && opts.no_caches) {
                String::new()
            } else {
                format!("  {fetch}\n")
            };
        let _ = writeln!(
            out.text,
            "if [[ -z \"$setup_error\" ]]; then\n{fetch_line}  if [[ -z \"$setup_error\" ]]; then\n  {apply}\n  fi\nfi"
        );
    }
    if !refused.is_empty() {
        return Err(ScriptError::Unsupported(refused));
    }
    out.tools.sort_unstable();
    out.tools.dedup();
    Ok(out)
}

/// The line that puts a mount's content into `content_file` (nothing for a cache without
/// preload content), or what a script cannot fetch.
fn fetch_code(
    content: Option<&Content>,
    what: &str,
    content_file: &str,
    opts: &RunOptions,
    tools: &mut Vec<&'static str>,
) -> Result<String, Unsupported> {
    Ok(match content {
        None => String::new(),
        Some(Content::Raw(text)) => format!("printf '%s' {} >{content_file}", quote(text)),
        Some(Content::Base64(text)) => format!(
            "if ! printf '%s' {} | base64 -d >{content_file} 2>/dev/null; then setup_failed {} malformed-payload; fi",
            quote(text),
            quote(&format!("{what}: base64 content is not valid base64"))
        ),
        Some(Content::Url { url, sha256 }) => {
            tools.push("curl");
            format!(
                "download {} {} {content_file} {}",
                quote(url),
                quote(sha256.as_deref().unwrap_or("")),
                quote(what)
            )
        }
        Some(Content::Artifact {
            task_id,
            artifact,
            sha256,
        }) => {
            if !artifact.starts_with("public/") {
                return Err(Unsupported::MountArtifact {
                    mount: what.to_owned(),
                    artifact: artifact.clone(),
                });
            }
            tools.push("curl");
            let url = format!(
                "{}/api/queue/v1/task/{task_id}/artifacts/{}",
                opts.root_url,
                artifact.replace('/', "%2F")
            );
            format!(
                "download {} {} {content_file} {}",
                quote(&url),
                quote(sha256.as_deref().unwrap_or("")),
                quote(what)
            )
        }
        Some(Content::Indexed { .. }) => {
            return Err(Unsupported::IndexedMount {
                mount: what.to_owned(),
            });
        }
    })
}

/// The lines that write, decompress or extract the fetched content into the task directory,
/// or move a cache in.
fn apply_code(
    mount: &Mount,
    what: &str,
    content_file: &str,
    opts: &RunOptions,
    out: &mut MountsCode,
) -> String {
    let path = mount.path();
    match mount {
        Mount::File { format, .. } => {
            let decompress = format.map(|f| decompressor(f.as_str(), &mut out.tools));
            let target = format!("\"$task_dir\"/{}", quote(path));
            let write = match decompress {
                None => format!("cp -- {content_file} {target}"),
                Some(cmd) => format!("{cmd} <{content_file} >{target}"),
            };
            format!(
                "mkdir -p \"$(dirname {target})\"\n  if ! {write} 2>/dev/null; then setup_failed {} malformed-payload; fi",
                quote(&format!(
                    "{what}: the content cannot be written or decompressed; check `format`"
                ))
            )
        }
        Mount::Directory { format, .. } => extract_code(
            format.as_str(),
            content_file,
            &format!("\"$task_dir\"/{}", quote(path)),
            what,
            &mut out.tools,
        ),
        Mount::Cache {
            cache_name, format, ..
        } => {
            out.caches = true;
            let slug = quote(&super::caches::slug(cache_name));
            if opts.no_caches {
                return format!("mkdir -p \"$task_dir\"/{}", quote(path));
            }
            let preload = match format {
                Some(f) if mount.content().is_some() => extract_code(
                    f.as_str(),
                    content_file,
                    "\"$cache_src\"",
                    what,
                    &mut out.tools,
                ),
                _ => ":".to_owned(),
            };
            format!(
                "cache_src=\"$TC_CACHE_DIR/caches\"/{slug}/0\n  if [[ ! -d \"$cache_src\" ]]; then\n    mkdir -p \"$cache_src\"\n    {preload}\n  fi\n  cache_in {slug} {}",
                quote(path)
            )
        }
    }
}

/// The command that decompresses a file mount's `format`.
fn decompressor(format: &str, tools: &mut Vec<&'static str>) -> &'static str {
    let (tool, cmd) = match format {
        "gz" => ("gzip", "gzip -dc"),
        "bz2" => ("bzip2", "bzip2 -dc"),
        "xz" => ("xz", "xz -dc"),
        "zst" => ("zstd", "zstd -dc"),
        _ => ("lz4", "lz4 -dc"),
    };
    tools.push(tool);
    cmd
}

/// Extracts an archive (`tar` refuses absolute and `..` names by itself).
fn extract_code(
    format: &str,
    archive: &str,
    dest: &str,
    what: &str,
    tools: &mut Vec<&'static str>,
) -> String {
    // The entries are checked first, as tc checks them: no absolute names, no `..`, and no
    // link that leaves the mount. The check also names the device nodes and FIFOs, which
    // are left out as tc leaves them out (run as root, tar would make them).
    let skip = format!("{archive}.skip");
    let (list, cmd) = match format {
        "zip" => {
            tools.push("unzip");
            (
                format!("unzip -Z1 {archive} | zip_names_safe"),
                format!("unzip_into {dest} {archive}"),
            )
        }
        "tar" => (
            format!("tar -tvPf {archive} | tar_entries_safe {skip}"),
            format!("untar_into {dest} {skip} <{archive}"),
        ),
        other => {
            tools.push("tar");
            let codec = decompressor(other.trim_start_matches("tar."), tools);
            (
                format!("{codec} <{archive} | tar -tvP | tar_entries_safe {skip}"),
                format!("{codec} <{archive} | untar_into {dest} {skip}"),
            )
        }
    };
    format!(
        "mkdir -p {dest}\n  if ! ( {list} ) 2>/dev/null; then setup_failed {} malformed-payload\n  elif ! ( {cmd} ) 2>/dev/null; then setup_failed {} malformed-payload; fi",
        quote(&format!(
            "{what}: the archive has an entry or link that leaves the mount directory"
        )),
        quote(&format!(
            "{what}: the archive cannot be extracted; check `format`"
        ))
    )
}

fn one_line(s: &str) -> String {
    s.replace(['\n', '\r'], " ")
}

const PRECONDITIONS: &str = r#"need() {
  if ! command -v "$1" >/dev/null 2>&1; then
    echo "[tc] error: this script needs $1" >&2
    exit 2
  fi
}
if command -v sha256sum >/dev/null 2>&1; then
  sha256() { sha256sum "$1" | cut -d' ' -f1; }
elif command -v shasum >/dev/null 2>&1; then
  sha256() { shasum -a 256 "$1" | cut -d' ' -f1; }
else
  echo "[tc] error: this script needs sha256sum or shasum" >&2
  exit 2
fi
"#;

/// `<A>` as tc checks it: empty, or holding an earlier run's manifest (then emptied).
pub(super) const ARTIFACTS_DIR_CHECK: &str = r#"if [[ -e "$ARTIFACTS_DIR" ]]; then
  if [[ -n "$(ls -A "$ARTIFACTS_DIR")" && ! -f "$ARTIFACTS_DIR/tc-manifest.json" ]]; then
    echo "[tc] error: the artifacts directory $ARTIFACTS_DIR is not empty and holds no tc-manifest.json from an earlier run" >&2
    exit 2
  fi
  find "$ARTIFACTS_DIR" -mindepth 1 -delete
fi
"#;

const SETUP: &str = r#"mkdir -p "$ARTIFACTS_DIR" "$TC_CACHE_DIR/tasks"
work=$(mktemp -d)
task_dir=$(mktemp -d "$TC_CACHE_DIR/tasks/$TASK_ID-$RUN_ID-XXXXXX")
trap 'if declare -F release_caches >/dev/null; then release_caches 0; fi; if [[ "$KEEP" == 1 ]]; then echo "[tc] task directory kept: $task_dir" >&2; else rm -rf "$task_dir"; fi; rm -rf "$work"' EXIT
# A signal stops the running command (through GNU timeout, which kills its group) at once.
trap 'if [[ -s "$work/task.pid" ]]; then kill -TERM "$(cat "$work/task.pid")" 2>/dev/null || true; fi; exit 130' INT
trap 'if [[ -s "$work/task.pid" ]]; then kill -TERM "$(cat "$work/task.pid")" 2>/dev/null || true; fi; exit 143' TERM

"#;

const HELPERS: &str = r#"log() {
  printf '[tc] %s\n' "$1" | mask | tee -a "$saved_log"
}
now_ms() {
  local t=${EPOCHREALTIME/[.,]/}
  printf '%s' "$((t / 1000))"
}
now_iso() {
  date -u +%Y-%m-%dT%H:%M:%S.%3NZ
}
json_str() {
  local s=$1
  s=${s//\\/\\\\}
  s=${s//\"/\\\"}
  s=${s//$'\n'/\\n}
  s=${s//$'\r'/\\r}
  s=${s//$'\t'/\\t}
  printf '"%s"' "$s"
}
exit_code=0
timed_out=0
records=()
footer_lines=()
failing_artifact=0
record_file() {
  local name=$1 file=$2 expires=$3 ctype=$4 size sha
  size=$(wc -c <"$file" | tr -d ' ')
  sha=$(sha256 "$file")
  if [[ -z "$ctype" ]]; then ctype=$(content_type "$name"); fi
  records+=("$name"$'\t'"$(printf '{"name":%s,"type":"file","size":%s,"sha256":"%s","contentType":%s,"expires":%s}' "$(json_str "$name")" "$size" "$sha" "$(json_str "$ctype")" "$(json_str "$expires")")")
}
"#;

const RUN_COMMAND: &str = r#"run_command() {
  local i=$1 n=$2 remaining code
  shift 2
  log "Running command $i/$n"
  # GNU timeout puts the command in a process group of its own (0 s = no limit) and kills the
  # whole group. It runs in the background so that a Ctrl-C reaches the trap at once, which
  # stops it through $work/task.pid.
  local secs=0
  if (( MAX_RUN_TIME > 0 )); then
    remaining=$(( MAX_RUN_TIME * 1000 - ($(now_ms) - started_ms) ))
    if (( remaining <= 0 )); then
      timed_out=1
      return 0
    fi
    secs=$(awk -v ms="$remaining" 'BEGIN { printf "%.3f", ms / 1000 }')
  fi
  rm -f "$work/status"
  (
    cd "$task_dir" || exit 127
    timeout -k 5 "$secs" env -i "${env_args[@]}" "$@" </dev/null 2>&1 &
    echo "$!" >"$work/task.pid"
    set +e
    wait "$!"
    echo "$?" >"$work/status"
  ) | mask | tee -a "$saved_log" &
  wait "$!" || true
  rm -f "$work/task.pid"
  code=$(cat "$work/status" 2>/dev/null || echo 127)
  # Elapsed time, not exit code 124, tells a timeout from a task that exits 124.
  if (( MAX_RUN_TIME > 0 && $(now_ms) - started_ms >= MAX_RUN_TIME * 1000 )); then
    timed_out=1
    log "Task aborted: maxRunTime of $MAX_RUN_TIME seconds exceeded"
  fi
  log "Command $i/$n exited with $code"
  exit_code=$code
}
"#;

const MASK_VALUE: &str = r#"mask_value() {
  local text=$1 value=$2 line
  if [[ ${#value} -ge 4 ]]; then
    text=${text//"$value"/***}
  fi
  while IFS= read -r line; do
    if [[ ${#line} -ge 4 ]]; then
      text=${text//"$line"/***}
    fi
  done <<<"$value"
  printf '%s' "$text"
}
"#;

const ARTIFACT_ERROR: &str = r#"artifact_error() {
  local name reason=$2 message optional=$4 counts=$5
  # The manifest names no secret value, as tc's does not.
  name=$(printf '%s\n' "$1" | mask)
  message=$(printf '%s\n' "$3" | mask)
  records+=("$name"$'\t'"$(printf '{"name":%s,"type":"error","reason":%s,"message":%s,"optional":%s}' "$(json_str "$name")" "$(json_str "$reason")" "$(json_str "$message")" "$optional")")
  footer_lines+=("Artifact error $name: $reason: $message")
  if [[ "$counts" == 1 ]]; then failing_artifact=1; fi
}
"#;

const STORE: &str = r#"human_size() {
  awk -v b="$1" 'BEGIN {
    if (b < 1024) printf "%d B", b
    else if (b < 1048576) printf "%.1f KiB", b / 1024
    else if (b < 1073741824) printf "%.1f MiB", b / 1048576
    else printf "%.2f GiB", b / 1073741824 }'
}
store() {
  local name=$1 src=$2 expires=$3 ctype=$4 optional=$5 counts=$6 dest parent masked
  if [[ -z "$ctype" ]]; then ctype=$(content_type "$name"); fi
  # A secret value in the name is masked on disk as in the manifest, as tc does.
  masked=$(printf '%s\n' "$name" | mask)
  if [[ "$masked" != "$name" ]]; then
    log "Warning: artifact $masked: its path holds a secret value, so it is stored under this masked name"
    name=$masked
  fi
  dest="$ARTIFACTS_DIR/$name"
  parent=$(dirname "$dest")
  if [[ -e "$dest" || -L "$dest" ]] || ! mkdir -p "$parent" 2>/dev/null; then
    artifact_error "$name" invalid-resource-on-worker "\`$name\` collides with a stored artifact" "$optional" "$counts"
    return 0
  fi
  cp -- "$src" "$dest"
  record_file "$name" "$dest" "$expires" "$ctype"
  footer_lines+=("Artifact $name ($(human_size "$(wc -c <"$dest" | tr -d ' ')"))")
}
"#;

const RESOLVE: &str = r#"resolve_path() {
  if [[ "$1" == /* ]]; then printf '%s' "$1"; else printf '%s' "$task_dir/$1"; fi
}
resolve_artifact() {
  # Sets `real` to the artifact's path with symlinks resolved, or records why there is none.
  local name=$1 path=$2 p
  p=$(resolve_path "$path")
  if ! real=$(realpath -e -- "$p" 2>/dev/null); then
    if [[ -L "$p" ]]; then
      artifact_error "$name" invalid-resource-on-worker "$path is a dangling symlink" "$3" "$4"
    else
      artifact_error "$name" file-missing-on-worker "$path does not exist in the task directory" "$3" "$4"
    fi
    return 1
  fi
  if [[ "$real" != "$task_root" && "$real" != "$task_root"/* ]]; then
    artifact_error "$name" invalid-resource-on-worker "$path resolves outside the task directory" "$3" "$4"
    return 1
  fi
}
"#;

const COPY_FILE: &str = r#"copy_file() {
  local name=$1 path=$2 real
  if ! resolve_artifact "$name" "$path" "$5" "$6"; then return 0; fi
  if [[ ! -f "$real" ]]; then
    artifact_error "$name" invalid-resource-on-worker "$path is not a regular file" "$5" "$6"
  else
    store "$name" "$real" "$3" "$4" "$5" "$6"
  fi
}
"#;

const COPY_DIRECTORY: &str = r#"copy_directory() {
  local name=$1 path=$2 real entry rel target
  if ! resolve_artifact "$name" "$path" "$5" "$6"; then return 0; fi
  if [[ ! -d "$real" ]]; then
    artifact_error "$name" invalid-resource-on-worker "$path is not a directory" "$5" "$6"
    return 0
  fi
  while IFS= read -r -d '' entry; do
    rel=${entry#"$real"/}
    if [[ -L "$entry" ]]; then
      if ! target=$(realpath -e -- "$entry" 2>/dev/null); then
        artifact_error "$name/$rel" invalid-resource-on-worker "dangling symlink" "$5" "$6"
      elif [[ "$target" != "$task_root"/* ]]; then
        artifact_error "$name/$rel" invalid-resource-on-worker "symlink target outside the task directory" "$5" "$6"
      elif [[ -f "$target" ]]; then
        store "$name/$rel" "$target" "$3" "$4" "$5" "$6"
      fi
    elif [[ -f "$entry" ]]; then
      store "$name/$rel" "$entry" "$3" "$4" "$5" "$6"
    fi
  done < <(find "$real" -mindepth 1 \( -type f -o -type l \) -print0 | sort -z)
}
"#;

pub(super) const SETUP_FAILED: &str = r#"setup_failed() {
  if [[ -z "$setup_error" ]]; then setup_error=$1; setup_reason=$2; fi
}
"#;

/// Checks of archive entries, as tc makes them (used only when an archive is mounted).
const ARCHIVE_CHECKS: &str = r#"entry_name_safe() {
  case "$1" in
    /* | .. | ../* | */.. | */../*) return 1 ;;
  esac
}
"#;

const TAR_CHECKS: &str = r#"link_target_safe() {
  local dir normal
  if [[ "$2" == /* ]]; then return 1; fi
  dir=$(dirname "/mount/$1")
  normal=$(realpath -m -s "$dir/$2")
  [[ "$normal" == /mount || "$normal" == /mount/* ]]
}
# Checks the entries of a tar listing on stdin; writes the names of its device nodes and FIFOs
# to the file $1, NUL-separated.
tar_entries_safe() {
  local skip=$1 line perm rest name target
  : >"$skip"
  # tar -tv lines: permissions, owner, size, date, time, then the name (and link target).
  while IFS= read -r line; do
    [[ "$line" =~ ^([^\ ]+)\ +[^\ ]+\ +[^\ ]+\ +[^\ ]+\ +[^\ ]+\ (.*)$ ]] || return 1
    perm=${BASH_REMATCH[1]}; rest=${BASH_REMATCH[2]}
    case "$perm" in
      l*) name=${rest% -> *}; target=${rest##* -> } ;;
      h*) name=${rest% link to *}; target=${rest##* link to } ;;
      *) name=$rest; target='' ;;
    esac
    entry_name_safe "$name" || return 1
    if [[ "$perm" == l* ]]; then link_target_safe "$name" "$target" || return 1; fi
    if [[ "$perm" == h* ]]; then entry_name_safe "$target" || return 1; fi
    if [[ "$perm" == [cbp]* ]]; then unescape_tar_name "$name" >>"$skip"; fi
  done
  return 0
}
# tar -tv escapes backslashes and unprintable bytes in names (\\, \n, \303): prints the name
# as it is in the archive, NUL-terminated. %b reads octal as \0 and up to three digits, so each
# \ddd becomes \0ddd first.
unescape_tar_name() {
  local in=$1 out='' i=0
  while ((i < ${#in})); do
    if [[ "${in:i:1}" == "\\" && "${in:i+1:3}" =~ ^[0-7]{3}$ ]]; then
      out+="\\0${in:i+1:3}"; i=$((i + 4))
    elif [[ "${in:i:1}" == "\\" ]]; then
      out+="${in:i:2}"; i=$((i + 2))
    else
      out+="${in:i:1}"; i=$((i + 1))
    fi
  done
  printf '%b\0' "$out"
}
# Extracts the tar on stdin into $1, leaving out the entries named in the file $2 (as non-root,
# tar could not make device nodes and would fail); whatever special file is left goes.
untar_into() {
  local name
  local -a leave_out=(--anchored --no-wildcards)
  while IFS= read -r -d '' name; do leave_out+=("--exclude=$name"); done <"$2"
  tar -x --no-same-owner --no-same-permissions "${leave_out[@]}" -C "$1"
  find "$1" \( -type b -o -type c -o -type p \) -delete
}
"#;

const ZIP_CHECKS: &str = r#"zip_names_safe() {
  local name
  while IFS= read -r name; do
    entry_name_safe "$name" || return 1
  done
}
# Extracts the zip $2 into $1, leaving out its device nodes, FIFOs and sockets as tc does
# (unzip would make them empty files).
unzip_into() {
  local line name c i
  local -a leave_out=()
  # unzip -Z lines: permissions, version, system, size, type, method, date, time, then the name.
  while IFS= read -r line; do
    if [[ "$line" =~ ^[cbps][^\ ]*(\ +[^\ ]+){7}\ (.*)$ ]]; then
      # -x takes patterns: the name's wildcard characters are escaped.
      name=''
      for ((i = 0; i < ${#BASH_REMATCH[2]}; i++)); do
        c=${BASH_REMATCH[2]:i:1}
        case "$c" in [][*?\\]) name+="\\$c" ;; *) name+=$c ;; esac
      done
      leave_out+=("$name")
    fi
  done < <(unzip -Z "$2")
  if ((${#leave_out[@]})); then
    unzip -q -o "$2" -d "$1" -x "${leave_out[@]}"
  else
    unzip -q -o "$2" -d "$1"
  fi
}
"#;

const DOWNLOAD: &str = r#"download() {
  local url=$1 want=$2 dest=$3 what=$4 code
  if ! code=$(curl -sS -L --retry 2 --retry-delay 1 -o "$dest" -w '%{http_code}' "$url" 2>/dev/null); then
    setup_failed "$what: cannot fetch $url" resource-unavailable
    return 0
  fi
  case "$code" in
    2*) ;;
    5* | 408 | 429) setup_failed "$what: $url answered HTTP $code" resource-unavailable; return 0 ;;
    *) setup_failed "$what: $url answered HTTP $code; check the payload's content" malformed-payload; return 0 ;;
  esac
  if [[ -n "$want" && "$(sha256 "$dest")" != "$want" ]]; then
    setup_failed "$what: sha256 mismatch for $url" malformed-payload
  fi
}
"#;

const CACHE_HELPERS: &str = r#"# Caches: instance 0 only, without the exclusive locks tc holds.
cache_moves=()
cache_in() {
  local slug=$1 dir=$2
  mkdir -p "$(dirname "$task_dir/$dir")"
  mv "$TC_CACHE_DIR/caches/$slug/0" "$task_dir/$dir"
  cache_moves+=("$slug"$'\t'"$dir")
}
release_caches() {
  local entry slug dir
  for entry in "${cache_moves[@]}"; do
    slug=${entry%%$'\t'*}
    dir=${entry#*$'\t'}
    if [[ -d "$task_dir/$dir" && ! -L "$task_dir/$dir" ]]; then
      if [[ "$1" == 1 ]]; then rm -rf "${task_dir:?}/$dir"; else mv "$task_dir/$dir" "$TC_CACHE_DIR/caches/$slug/0"; fi
    fi
  done
  cache_moves=()
}
"#;

const FINISH: &str = r#"outcome=completed
reason=completed
status=0
if [[ -n "$setup_error" ]]; then
  outcome=exception; reason=$setup_reason; status=2
  if [[ "$reason" != malformed-payload ]]; then status=3; fi
elif (( timed_out )); then
  outcome=failed; reason=failed; status=1
elif (( exit_code != 0 )); then
  outcome=failed; reason=failed; status=$exit_code
  for code in "${retry_codes[@]}"; do
    if (( code == exit_code )); then outcome=exception; reason=intermittent-task; status=3; fi
  done
elif (( failing_artifact )); then
  outcome=failed; reason=failed; status=1
fi
log '=== Task Finished ==='
for line in "${footer_lines[@]}"; do log "$line"; done
shown=$exit_code
if (( timed_out )) || [[ -n "$setup_error" ]]; then shown=none; fi
described=$outcome
if [[ "$outcome" == exception ]]; then described="exception ($reason)"; fi
log "Exit code: $shown  Duration: $(awk -v ms="$duration_ms" 'BEGIN { printf "%.3f", ms / 1000 }')s  Outcome: $described"
if [[ "$save_log" == 1 ]]; then
  record_file "$backing_log" "$saved_log" "$task_expires" 'text/plain; charset=utf-8'
  records+=("$live_log"$'\t'"$(printf '{"name":%s,"type":"link","target":%s}' "$(json_str "$live_log")" "$(json_str "$backing_log")")")
fi
{
  printf '{"taskId":%s,"runId":%s,"family":"%s","engine":"%s","outcome":"%s","reason":"%s","artifacts":[' "$(json_str "$TASK_ID")" "$RUN_ID" "$family" "$engine" "$outcome" "$reason"
  sep=''
  while IFS= read -r record; do
    printf '%s%s' "$sep" "$record"
    sep=','
  done < <(printf '%s\n' "${records[@]}" | sort -t $'\t' -k1,1 | cut -f2-)
  printf ']}\n'
} >"$ARTIFACTS_DIR/tc-manifest.json.tmp"
mv "$ARTIFACTS_DIR/tc-manifest.json.tmp" "$ARTIFACTS_DIR/tc-manifest.json"
exit "$status"
"#;

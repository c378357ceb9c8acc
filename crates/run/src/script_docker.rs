//! `tc run-local --script` for docker-worker payloads (worker.md §12): the Docker CLI does what
//! tc's Docker engine (`engine::docker`) does through the API — image, caches, one container,
//! maxRunTime, artifacts by `docker cp` — and `script.rs` supplies everything both families
//! share. Nothing here contacts the daemon: every decision that needs it is made by the script.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use super::artifacts::Kind;
use super::caches;
use super::script::{
    ARTIFACTS_DIR_CHECK, SETUP_FAILED, ScriptError, ScriptInput, Unsupported, artifact_calls,
    copies, finish, helpers, log_header, preconditions, prologue, purge_decision, quote,
    reserved_word,
};
use super::taskrun::{RunOptions, StaticPlan};
use crate::engine::docker::DockerTask;
use crate::engine::docker::PullPolicy;
use crate::engine::docker::SHM_SIZE;
use crate::engine::docker::images::ImageSource;
use crate::engine::native::shell_quote;
use tc_api::encode;
use tc_taskdef::payload::Family;

/// How the script gets the image.
struct ImageCode {
    /// The call that resolves it.
    call: String,
    /// The helper functions it needs.
    helpers: Vec<&'static str>,
    tools: Vec<&'static str>,
}

/// The decompressor for an image archive, by its name's suffix.
fn codec(path: &str, tools: &mut Vec<&'static str>) -> &'static str {
    // As the name says it, case included (the engine itself reads the magic bytes).
    let tool = match std::path::Path::new(path)
        .extension()
        .and_then(|e| e.to_str())
    {
        Some("zst") => "zstd",
        Some("lz4") => "lz4",
        Some("gz") => "gzip",
        _ => return "cat",
    };
    tools.push(tool);
    tool
}

/// A task or indexed image: streamed from a public artifact (a script carries no credentials).
fn remote_call(
    url: &str,
    path: &str,
    tools: &mut Vec<&'static str>,
) -> Result<String, Unsupported> {
    if !path.starts_with("public/") {
        return Err(Unsupported::ImageArtifact {
            path: path.to_owned(),
        });
    }
    tools.push("curl");
    let codec = codec(path, tools);
    Ok(format!("fetch_image \"$image_ref\" {} {codec}", quote(url)))
}

/// In-tree images (worker.md §4.3): each context (parents first) assembled in `$work` from the
/// files tc resolved (the context directory, the includes under `topsrcdir/`, the Dockerfile
/// with its args substituted), then built unless its digest tag exists already.
fn in_tree_call(
    name: &str,
    graph_root: Option<&std::path::Path>,
    network: Option<&str>,
    pull: PullPolicy,
) -> Result<String, ScriptError> {
    let root = match graph_root {
        Some(r) => r.to_path_buf(),
        None => crate::input::graph_root(None).ok_or_else(|| ScriptError::NoGraphRoot {
            name: name.to_owned(),
        })?,
    };
    let contexts = crate::intree::contexts(&root, name)?;
    let repo = std::fs::canonicalize(&root)
        .ok()
        .and_then(|r| r.parent().map(std::path::Path::to_path_buf))
        .ok_or_else(|| ScriptError::NoRepository { root: root.clone() })?;
    let mut code = String::from("build_in_tree() {\n  local ctx\n");
    for (i, ctx) in contexts.iter().enumerate() {
        let _ = writeln!(code, "  ctx=\"$work/image-{i}\"");
        let _ = writeln!(code, "  mkdir -p \"$ctx\"");
        let _ = writeln!(
            code,
            "  cp -a {}/. \"$ctx\"/",
            quote(&ctx.context_dir.display().to_string())
        );
        for include in &ctx.includes {
            let _ = writeln!(
                code,
                "  mkdir -p \"$(dirname \"$ctx\"/topsrcdir/{})\"",
                quote(include)
            );
            let _ = writeln!(
                code,
                "  cp -a {} \"$ctx\"/topsrcdir/{}",
                quote(&repo.join(include).display().to_string()),
                quote(include)
            );
        }
        let _ = writeln!(
            code,
            "  printf '%s' {} >\"$ctx/Dockerfile\"",
            quote(&ctx.dockerfile)
        );
        // Only a base image's FROM can be pulled: a parent exists in this daemon only.
        let pull_flag = u8::from(ctx.parent.is_none() && pull == PullPolicy::Always);
        let _ = writeln!(
            code,
            "  build_one {} {} \"$ctx\" {pull_flag} {} || return 0",
            quote(&ctx.name),
            quote(&ctx.tag),
            quote(network.unwrap_or(""))
        );
    }
    let last = contexts.last().map(|c| c.tag.clone()).unwrap_or_default();
    let _ = writeln!(code, "  image_ref={}\n}}", quote(&last));
    Ok(code)
}

fn image_code(
    source: &ImageSource,
    pull: PullPolicy,
    root_url: &str,
) -> Result<ImageCode, Unsupported> {
    let mut tools = Vec::new();
    let root = root_url.trim_end_matches('/');
    let (call, helpers) = match source {
        ImageSource::Registry(_) => (
            format!("pull_image \"$image_ref\" {}", pull.as_str()),
            vec![PULL_IMAGE],
        ),
        ImageSource::Tarball(path) => {
            // Absolute, so the script may run from any directory.
            let file = std::path::absolute(path).unwrap_or_else(|_| path.clone());
            let codec = codec(&path.display().to_string(), &mut tools);
            (
                format!(
                    "load_tarball \"$image_ref\" {} {codec}",
                    quote(&file.display().to_string())
                ),
                vec![LOAD_IMAGE, LOAD_TARBALL],
            )
        }
        ImageSource::TaskImage { task_id, path } => {
            let url = format!(
                "{root}/api/queue/v1/task/{}/artifacts/{}",
                encode(task_id),
                encode(path)
            );
            (
                remote_call(&url, path, &mut tools)?,
                vec![LOAD_IMAGE, FETCH_IMAGE],
            )
        }
        ImageSource::Indexed { namespace, path } => {
            let url = format!(
                "{root}/api/index/v1/task/{}/artifacts/{}",
                encode(namespace),
                encode(path)
            );
            (
                remote_call(&url, path, &mut tools)?,
                vec![LOAD_IMAGE, FETCH_IMAGE],
            )
        }
        ImageSource::InTree(_) => ("build_in_tree".to_owned(), vec![BUILD_IMAGE]),
    };
    Ok(ImageCode {
        call,
        helpers,
        tools,
    })
}

/// One field of a `--mount` value, which docker reads as CSV.
fn csv_field(field: &str) -> String {
    if field.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field.to_owned()
    }
}

/// Renders a docker-worker payload for the Docker CLI.
pub(super) fn render(
    input: &ScriptInput<'_>,
    ignored: &[String],
    plan: &StaticPlan,
) -> Result<String, ScriptError> {
    let task = input.task;
    let opts = input.opts;
    let def = &task.def;
    let Some(docker) = &plan.docker else {
        return Err(ScriptError::NoDockerPayload);
    };
    let source = ImageSource::chosen(opts.docker.image_override.as_deref(), &docker.image)
        .map_err(|e| ScriptError::Payload {
            problems: vec![e.message],
        })?;
    let image = image_code(&source, opts.docker.pull, &opts.root_url)?;
    let mut s = String::new();
    let w = &mut s;

    // 1–2. Header comments and settings.
    prologue(w, input, ignored, plan);

    // 3. Preconditions.
    let mut tools = vec!["docker", "timeout", "mktemp", "awk"];
    tools.extend(&image.tools);
    preconditions(w, &tools, &opts.secrets);

    // 4. Work directory and traps; the artifacts directory as tc checks it.
    w.push_str(ARTIFACTS_DIR_CHECK);
    w.push_str(SETUP);

    // 5. Environment.
    let env = Env::of(plan, opts);
    env_file(w, &env, plan, &task.task_id);

    // Helpers: masking, logging, JSON, artifacts, then the Docker steps.
    docker_helpers(w, plan, opts, &image, &source)?;

    // The container's settings, fixed now as tc fixes them (§3.5).
    container_settings(w, opts, docker, &env);

    // Header, then the steps before the start, each only while nothing has failed.
    let network = opts.docker.network.as_deref().unwrap_or("default");
    log_header(
        w,
        plan,
        &def.metadata.name,
        &format!(
            "Worker pool: {}  Engine: docker  Network: {network}",
            def.task_queue_id
        ),
    );
    setup_steps(w, opts, docker, &env, &source, &image);

    // 8. Run.
    let _ = writeln!(w, "started_ms=$(now_ms)");
    let _ = writeln!(w, "if [[ -z \"$setup_error\" ]]; then run_container; fi");
    let _ = writeln!(w, "duration_ms=$(( $(now_ms) - started_ms ))");
    let _ = writeln!(
        w,
        "if [[ -n \"$setup_error\" ]]; then log \"Error: $setup_error\"; fi"
    );
    let _ = writeln!(w);

    // 9. Artifacts, in name order, after an exit or an abort; the policy is fixed now.
    if plan.copy_artifacts {
        let _ = writeln!(w, "if [[ -z \"$setup_error\" ]]; then");
        artifact_calls(w, plan, opts.missing);
        let _ = writeln!(w, ":");
        let _ = writeln!(w, "fi");
    } else {
        let _ = writeln!(w, "# features.artifacts is false: no artifact is copied.");
    }
    if !docker.caches.is_empty() && !opts.no_caches {
        // The cleanup trap purges once the container is gone.
        purge_decision(w, plan);
    }
    let _ = writeln!(w);

    // As tc: the container and volumes go before the manifest is written (the exit trap
    // does it again, harmlessly, and alone after a signal).
    let _ = writeln!(w, "cleanup");
    let _ = writeln!(w);

    // 10. Outcome, footer, manifest, exit status.
    finish(w, plan, &def.expires, Family::DockerWorker, "docker");
    Ok(s)
}

/// The task's variables as the container gets them. The last value of a name wins, as in
/// tc; a secret's name goes by name only, and so does a value `--env-file` cannot hold (a
/// line break; docker drops a trailing CR).
struct Env<'a> {
    secret_names: BTreeSet<&'a str>,
    /// Literal values (not secrets) for the env file.
    literal: BTreeMap<&'a str, &'a str>,
    /// Literal values that go by name (`-e NAME`, exported around `docker create`).
    by_name: Vec<(&'a str, &'a str)>,
}

impl<'a> Env<'a> {
    fn of(plan: &'a StaticPlan, opts: &'a RunOptions) -> Env<'a> {
        let secret_names: BTreeSet<&str> = opts.secrets.iter().map(|(k, _)| k.as_str()).collect();
        let literal: BTreeMap<&str, &str> = plan
            .literal_env
            .iter()
            .filter(|(k, _)| !secret_names.contains(k.as_str()))
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let by_name = literal
            .iter()
            .filter(|(_, v)| goes_by_name(v))
            .map(|(k, v)| (*k, *v))
            .collect();
        Env {
            secret_names,
            literal,
            by_name,
        }
    }
}

/// A value docker's `--env-file` cannot hold.
fn goes_by_name(value: &str) -> bool {
    value.contains(['\n', '\r'])
}

/// Section 5: the env file `docker create` reads (literal values, then reserved ones).
fn env_file(w: &mut String, env: &Env<'_>, plan: &StaticPlan, task_id: &str) {
    let mut lines: Vec<String> = env
        .literal
        .iter()
        .filter(|(_, v)| !goes_by_name(v))
        .map(|(k, v)| quote(&format!("{k}={v}")))
        .collect();
    lines.extend(
        plan.reserved_env
            .iter()
            .map(|(k, v)| reserved_word(k, v, task_id)),
    );
    let _ = writeln!(
        w,
        "(umask 077 && printf '%s\\n' {} >\"$work/env.list\")",
        lines.join(" ")
    );
    let _ = writeln!(w);
}

/// The shell functions this task uses: masking, logging, JSON, artifacts, then the Docker
/// steps (image, caches, copies).
fn docker_helpers(
    w: &mut String,
    plan: &StaticPlan,
    opts: &RunOptions,
    image: &ImageCode,
    source: &ImageSource,
) -> Result<(), ScriptError> {
    let copied: &[_] = if plan.copy_artifacts {
        &plan.artifacts
    } else {
        &[]
    };
    helpers(w, &opts.secrets, copied);
    w.push_str(SETUP_FAILED);
    w.push_str(DOCKER_HELPERS);
    for helper in &image.helpers {
        w.push_str(helper);
    }
    if let ImageSource::InTree(name) = source {
        let code = in_tree_call(
            name,
            opts.docker.graph_root.as_deref(),
            opts.docker.network.as_deref(),
            opts.docker.pull,
        )?;
        w.push_str(&code);
    }
    if plan.docker.as_ref().is_some_and(|d| !d.caches.is_empty()) {
        w.push_str(if opts.no_caches {
            THROWAWAY_VOLUME
        } else {
            CACHE_VOLUME
        });
    }
    let (files, directories) = (copies(plan, Kind::File), copies(plan, Kind::Directory));
    if plan.copy_artifacts && (files || directories) {
        w.push_str(FETCH);
        if files {
            w.push_str(COPY_FILE);
        }
        if directories {
            w.push_str(COPY_DIRECTORY);
        }
    }
    let _ = writeln!(w);
    Ok(())
}

/// `create_args` and `command_args`: the container's settings as tc's engine makes them.
fn container_settings(w: &mut String, opts: &RunOptions, docker: &DockerTask, env: &Env<'_>) {
    let _ = writeln!(
        w,
        "create_args=(--name \"$container\" -t --shm-size {SHM_SIZE} --add-host localhost.localdomain:127.0.0.1 --label org.taskcluster.tc=1 --label \"org.taskcluster.tc.task-id=$TASK_ID\" --env-file \"$work/env.list\")"
    );
    let mut extra: Vec<String> = Vec::new();
    if let Some(network) = &opts.docker.network {
        extra.push(format!("--network {}", quote(network)));
    }
    let caps = &docker.capabilities;
    if caps.privileged {
        extra.push("--privileged".into());
    }
    if caps.disable_seccomp {
        extra.push("--security-opt seccomp=unconfined".into());
    }
    if docker.allow_ptrace {
        extra.push("--cap-add SYS_PTRACE".into());
    }
    if caps.devices.kvm {
        extra.push("--device /dev/kvm".into());
    }
    if caps.devices.host_shared_memory {
        extra.push("-v /dev/shm:/dev/shm".into());
    }
    for bind in &opts.docker.binds {
        extra.push(format!("-v {}", quote(bind)));
    }
    for name in env
        .by_name
        .iter()
        .map(|(k, _)| *k)
        .chain(env.secret_names.iter().copied())
    {
        extra.push(format!("-e {name}"));
    }
    for arg in extra {
        let _ = writeln!(w, "create_args+=({arg})");
    }
    let command: Vec<String> = docker.command.iter().map(|a| quote(a)).collect();
    let _ = writeln!(w, "command_args=({})", command.join(" "));
    let _ = writeln!(w);
}

/// The steps before the start (daemon, image, caches, container), each only while nothing
/// has failed, then the log lines of the start.
fn setup_steps(
    w: &mut String,
    opts: &RunOptions,
    docker: &DockerTask,
    env: &Env<'_>,
    source: &ImageSource,
    image: &ImageCode,
) {
    let _ = writeln!(w, "docker_check");
    let _ = writeln!(w, "image_ref={}", quote(&image_reference(source)));
    let _ = writeln!(w, "if [[ -z \"$setup_error\" ]]; then {}; fi", image.call);
    for (name, path) in &docker.caches {
        let _ = writeln!(
            w,
            "if [[ -z \"$setup_error\" ]]; then {} {} {} {}; fi",
            if opts.no_caches {
                "throwaway_volume"
            } else {
                "cache_volume"
            },
            quote(name),
            quote(&caches::slug(name)),
            quote(&csv_field(&format!("dst={path}")))
        );
    }
    let _ = writeln!(w, "if [[ -z \"$setup_error\" ]]; then clear_stale; fi");
    let _ = writeln!(w, "if [[ -z \"$setup_error\" ]]; then");
    // Set first, so that a signal during `docker create` still removes what it made.
    let _ = writeln!(w, "  container_made=1");
    let _ = writeln!(w, "  if ! created=$(");
    for (k, v) in &env.by_name {
        let _ = writeln!(w, "    export {k}={}", quote(v));
    }
    let _ = writeln!(
        w,
        "    docker create \"${{create_args[@]}}\" \"${{mount_args[@]}}\" \"$image_id\" \"${{command_args[@]}}\" 2>&1"
    );
    let _ = writeln!(w, "  ); then");
    let _ = writeln!(w, "    create_failed \"$created\"");
    let _ = writeln!(w, "  fi");
    let _ = writeln!(w, "fi");
    let shown = if docker.command.is_empty() {
        "(image default)".to_owned()
    } else {
        shell_quote(&docker.command)
    };
    let _ = writeln!(w, "if [[ -z \"$setup_error\" ]]; then");
    let _ = writeln!(w, "  image_short=${{image_id#sha256:}}");
    let _ = writeln!(
        w,
        "  log \"Image: $image_ref (sha256:${{image_short:0:12}}), $image_note\""
    );
    let _ = writeln!(w, "  log {}", quote(&format!("Command: {shown}")));
    let _ = writeln!(w, "  log \"Started: $(now_iso)\"");
    let _ = writeln!(w, "  log '=== Task Starting ==='");
    let _ = writeln!(w, "fi");
}

/// What the header calls the image, as tc's engine does.
fn image_reference(source: &ImageSource) -> String {
    match source {
        ImageSource::Registry(r) | ImageSource::InTree(r) => r.clone(),
        ImageSource::Tarball(p) => p.display().to_string(),
        ImageSource::TaskImage { task_id, path } => format!("task {task_id} {path}"),
        ImageSource::Indexed { namespace, path } => format!("index {namespace} {path}"),
    }
}

const SETUP: &str = r#"mkdir -p "$ARTIFACTS_DIR"
work=$(mktemp -d)
container="tc-$TASK_ID-$RUN_ID"
container_made=0
watchdog_pid=''
purge=0
cache_slugs=()
throwaway_volumes=()
mount_args=()
stop_watchdog() {
  if [[ -n "$watchdog_pid" ]]; then
    kill "$watchdog_pid" 2>/dev/null || true
    wait "$watchdog_pid" 2>/dev/null || true
    watchdog_pid=''
  fi
}
cleanup() {
  local slug volume
  stop_watchdog
  if (( container_made )); then
    if [[ "$KEEP" == 1 ]]; then
      echo "[tc] container kept: $container (docker inspect shows its environment, secrets included; remove it with docker rm $container)" >&2
    elif ! docker rm -f -v "$container" >/dev/null 2>&1; then
      echo "[tc] warning: cannot remove the container $container" >&2
    fi
  fi
  # onExitStatus.purgeCaches: the volumes go once the container that used them is gone.
  if (( purge )); then
    for slug in "${cache_slugs[@]}"; do
      if ! docker volume rm -f "tc-cache-$slug-0" >/dev/null 2>&1; then
        echo "[tc] warning: cannot remove the volume tc-cache-$slug-0" >&2
      fi
      rm -rf "${TC_CACHE_DIR:?}/caches/$slug/0"
    done
  fi
  for volume in "${throwaway_volumes[@]}"; do
    if [[ "$KEEP" == 1 ]]; then
      echo "[tc] the throwaway volume $volume is kept" >&2
    else
      docker volume rm -f "$volume" >/dev/null 2>&1 || true
    fi
  done
  rm -rf "$work"
  container_made=0
  purge=0
  throwaway_volumes=()
}
trap cleanup EXIT
# A signal stops the task as tc does (SIGTERM, then SIGKILL 5 s later); no artifact is copied.
trap 'if (( container_made )); then docker stop -t 5 "$container" >/dev/null 2>&1 || true; fi; exit 130' INT
trap 'if (( container_made )); then docker stop -t 5 "$container" >/dev/null 2>&1 || true; fi; exit 143' TERM

"#;

const DOCKER_HELPERS: &str = r#"setup_error=''
setup_reason=''
docker_check() {
  local out address='unix:///var/run/docker.sock (the default socket; set DOCKER_HOST for another)'
  if [[ -n "${DOCKER_HOST:-}" ]]; then address="$DOCKER_HOST (DOCKER_HOST)"; fi
  if ! out=$(timeout 5 docker version --format '{{.Server.Version}}' 2>&1); then
    setup_failed "no Docker daemon answers at $address: ${out##*$'\n'}" resource-unavailable
  fi
}
image_id=''
image_note=''
clear_stale() {
  # A stopped container of that name that tc made is removed; anything else is in the way.
  local state
  if ! state=$(docker container inspect --format '{{if index .Config.Labels "org.taskcluster.tc"}}tc{{end}} {{.State.Running}}' "$container" 2>/dev/null); then
    return 0
  fi
  case "$state" in
    'tc false')
      if ! docker rm -f "$container" >/dev/null 2>&1; then
        setup_failed "cannot remove the stale container $container" internal-error
      fi
      ;;
    *true) setup_failed "a container named $container already exists and runs: remove it (docker rm -f $container) or use another --local-task-id" resource-unavailable ;;
    *) setup_failed "a container named $container already exists and tc did not make it: remove it (docker rm -f $container) or use another --local-task-id" resource-unavailable ;;
  esac
}
create_failed() {
  # What the daemon refuses (a network, device or bind that does not exist) is the payload's
  # or the invocation's doing; anything else is an internal error.
  local reason=internal-error
  case "${1,,}" in
    *'no such'* | *'not found'* | *invalid*) reason=malformed-payload ;;
  esac
  setup_failed "cannot create the container: $1" "$reason"
}
watchdog() {
  trap 'kill "$watchdog_sleep" 2>/dev/null; exit 0' TERM
  sleep "$MAX_RUN_TIME" &
  watchdog_sleep=$!
  wait "$watchdog_sleep"
  : >"$work/timed-out"
  docker stop -t 5 "$container" >/dev/null 2>&1 || true
}
run_container() {
  local state start_error
  if (( MAX_RUN_TIME > 0 )); then
    watchdog </dev/null >/dev/null 2>&1 &
    watchdog_pid=$!
  fi
  # In the background, so that a signal reaches the traps at once.
  docker start -a "$container" </dev/null 2>"$work/start.err" | mask | tee -a "$saved_log" &
  wait "$!" || true
  stop_watchdog
  if [[ -e "$work/timed-out" ]]; then
    timed_out=1
    log "Task aborted: maxRunTime of $MAX_RUN_TIME seconds exceeded"
  fi
  if ! state=$(docker container inspect --format '{{.State.ExitCode}} {{.State.Error}}' "$container" 2>&1); then
    setup_failed "cannot inspect the container: $state $(cat "$work/start.err")" internal-error
    return 0
  fi
  exit_code=${state%% *}
  start_error=${state#* }
  if [[ -n "$start_error" ]] && (( timed_out == 0 )); then
    # Like `docker run`: a command that cannot run fails the task with 127 or 126.
    case "${start_error,,}" in
      *'executable file not found'* | *'no such file or directory'*) exit_code=127 ;;
      *'permission denied'*) exit_code=126 ;;
      *) setup_failed "cannot start the container: $start_error" internal-error; return 0 ;;
    esac
    log "Cannot run the command: $start_error"
  fi
}
"#;

/// Builds one in-tree context unless its digest tag exists; output in the log as tc shows it.
const BUILD_IMAGE: &str = r#"build_one() {
  local name=$1 tag=$2 ctx=$3 pull=$4 network=$5 args
  if image_id=$(docker image inspect --format '{{.Id}}' "$tag" 2>/dev/null); then
    image_note='built (cached)'
    log "Image $tag is built already"
    return 0
  fi
  args=(build -t "$tag" --label org.taskcluster.tc=1)
  if [[ "$pull" == 1 ]]; then args+=(--pull); fi
  if [[ -n "$network" ]]; then args+=(--network "$network"); fi
  if ! docker "${args[@]}" "$ctx" >"$work/build.log" 2>&1; then
    sed "s/^/[image $name] /" "$work/build.log" | mask | tee -a "$saved_log"
    setup_failed "building the in-tree image $name failed: $(tail -n 20 "$work/build.log")" resource-unavailable
    return 1
  fi
  sed "s/^/[image $name] /" "$work/build.log" | mask | tee -a "$saved_log"
  image_id=$(docker image inspect --format '{{.Id}}' "$tag")
  image_note=built
}
"#;

const PULL_IMAGE: &str = r#"pull_image() {
  local ref=$1 policy=$2 began out attempt
  if [[ "$policy" != always ]] && image_id=$(docker image inspect --format '{{.Id}}' "$ref" 2>/dev/null); then
    image_note='present locally'
  elif [[ "$policy" == never ]]; then
    setup_failed "the image $ref is not present locally and --pull never: load or pull it first, or use --pull missing" malformed-payload
    return 0
  else
    began=$(now_ms)
    for attempt in 1 2 3; do
      echo "tc: pulling $ref" >&2
      if out=$(docker pull "$ref" 2>&1); then
        echo "tc: pulled $ref" >&2
        break
      fi
      echo "tc: pulling $ref failed: ${out##*$'\n'}" >&2
      case "${out,,}" in
        *'not found'* | *'manifest unknown'* | *denied* | *unauthorized* | *'invalid reference'*)
          setup_failed "cannot pull $ref: $out" malformed-payload
          return 0
          ;;
      esac
      if (( attempt == 3 )); then
        setup_failed "cannot pull $ref after 3 attempts: $out" resource-unavailable
        return 0
      fi
      sleep "$attempt"
    done
    if ! image_id=$(docker image inspect --format '{{.Id}}' "$ref" 2>/dev/null); then
      setup_failed "$ref was pulled but the daemon does not know it" internal-error
      return 0
    fi
    image_note="pulled in $(awk -v ms="$(( $(now_ms) - began ))" 'BEGIN { printf "%.1f", ms / 1000 }')s"
  fi
  log "Image $ref: $image_note"
}
"#;

/// What `docker load` said it loaded; shared by tarballs and task images.
const LOAD_IMAGE: &str = r#"decompress() {
  case "$1" in
    gzip) gzip -dc ;;
    zstd) zstd -dc ;;
    lz4) lz4 -dc ;;
    *) cat ;;
  esac
}
loaded_image() {
  # $1 names the image for the log, $2 the archive for errors, $3 is `docker load`'s output.
  local loaded first n
  loaded=$(printf '%s\n' "$3" | awk 'sub(/^Loaded image( ID)?: /, "") { print }')
  if [[ -z "$loaded" ]]; then
    setup_failed "cannot load the image tarball $2: the daemon loaded no image from it" malformed-payload
    return 0
  fi
  first=${loaded%%$'\n'*}
  n=$(printf '%s\n' "$loaded" | wc -l | tr -d ' ')
  if (( n > 1 )); then echo "tc: warning: $2 holds $n images; using the first, $first" >&2; fi
  if ! image_id=$(docker image inspect --format '{{.Id}}' "$first" 2>/dev/null); then
    setup_failed "cannot load the image tarball $2: the daemon does not know $first, which it loaded" malformed-payload
    return 0
  fi
  image_note=loaded
  log "Image $1: loaded $first"
}
"#;

const LOAD_TARBALL: &str = r#"load_tarball() {
  local ref=$1 file=$2 codec=$3 out
  if ! out=$(decompress "$codec" 2>"$work/decompress.err" <"$file" | docker load 2>&1); then
    setup_failed "cannot load the image tarball $ref: ${out##*$'\n'}$(cat "$work/decompress.err")" malformed-payload
    return 0
  fi
  loaded_image "$ref" "$ref" "$out"
}
"#;

/// Task and indexed images: streamed from the queue (public artifacts only) into `docker load`.
const FETCH_IMAGE: &str = r#"fetch_image() {
  local ref=$1 url=$2 codec=$3 out reason loaded=1
  rm -f "$work/curl.failed"
  out=$({ curl -fsSL --retry 2 --retry-delay 1 --retry-connrefused "$url" 2>"$work/curl.err" || : >"$work/curl.failed"; } | decompress "$codec" 2>"$work/decompress.err" | docker load 2>&1) || loaded=0
  if [[ -e "$work/curl.failed" ]]; then
    # A 404 stays a 404 (malformed-payload); anything else may pass.
    reason=resource-unavailable
    if grep -q ' 404' "$work/curl.err"; then reason=malformed-payload; fi
    setup_failed "cannot fetch the image $ref from $url: $(cat "$work/curl.err")" "$reason"
  elif (( loaded == 0 )); then
    setup_failed "cannot load the image $ref: ${out##*$'\n'}$(cat "$work/decompress.err")" malformed-payload
  else
    loaded_image "$ref" "$url" "$out"
  fi
}
"#;

/// Instance 0 of a named cache, without the exclusive locks tc holds; the marker directory
/// tc keeps beside its locks says the volume is a live cache (without one, tc and this
/// script start the volume afresh).
const CACHE_VOLUME: &str = r#"cache_volume() {
  local name=$1 slug=$2 volume="tc-cache-$2-0" marker="$TC_CACHE_DIR/caches/$2/0" out
  if [[ ! -d "$marker" ]]; then
    docker volume rm -f "$volume" >/dev/null 2>&1 || true
  fi
  if ! docker volume inspect "$volume" >/dev/null 2>&1; then
    if ! out=$(docker volume create --label org.taskcluster.tc=1 --label "org.taskcluster.tc.task-id=$TASK_ID" --label "org.taskcluster.tc.cache=$name" "$volume" 2>&1); then
      setup_failed "cannot create the volume $volume: $out" internal-error
      return 0
    fi
  fi
  if ! mkdir -p "$marker" 2>/dev/null; then
    setup_failed "cache $name: cannot create $marker" internal-error
    return 0
  fi
  cache_slugs+=("$slug")
  # NoCopy: a new cache starts empty instead of receiving the image's files.
  mount_args+=(--mount "type=volume,src=$volume,$3,volume-nocopy")
}
"#;

/// `--no-caches`: a throwaway volume per cache, removed by the cleanup.
const THROWAWAY_VOLUME: &str = r#"throwaway_volume() {
  local name=$1 volume out
  volume="tc-nocache-$2-$(printf '%04x%04x' "$RANDOM" "$RANDOM")"
  if ! out=$(docker volume create --label org.taskcluster.tc=1 --label "org.taskcluster.tc.task-id=$TASK_ID" --label "org.taskcluster.tc.cache=$name" "$volume" 2>&1); then
    setup_failed "cannot create the volume $volume: $out" internal-error
    return 0
  fi
  throwaway_volumes+=("$volume")
  mount_args+=(--mount "type=volume,src=$volume,$3,volume-nocopy")
}
"#;

/// `docker cp -L` resolves a symlink inside the container, as tc's stat does.
const FETCH: &str = r#"artifact_n=0
fetch() {
  # Copies the container's $2, followed when a symlink, into $work and sets `fetched`;
  # otherwise records why not for artifact $1.
  local name=$1 path=$2
  artifact_n=$((artifact_n + 1))
  fetched="$work/artifact-$artifact_n"
  if docker cp -L "$container:$path" "$fetched" >/dev/null 2>&1; then
    if [[ ! -L "$fetched" ]]; then chmod -R u+rwX "$fetched" 2>/dev/null || true; fi
    return 0
  fi
  if docker cp "$container:$path" "$fetched.link" >/dev/null 2>&1; then
    artifact_error "$name" invalid-resource-on-worker "$path is a dangling symlink" "$3" "$4"
  else
    artifact_error "$name" file-missing-on-worker "$path does not exist in the container" "$3" "$4"
  fi
  return 1
}
"#;

const COPY_FILE: &str = r#"copy_file() {
  local name=$1 path=$2 fetched
  if ! fetch "$name" "$path" "$5" "$6"; then return 0; fi
  if [[ -L "$fetched" || ! -f "$fetched" ]]; then
    artifact_error "$name" invalid-resource-on-worker "$path is not a regular file" "$5" "$6"
  else
    store "$name" "$fetched" "$3" "$4" "$5" "$6"
  fi
}
"#;

/// Regular files are stored; a symlink inside is replaced by what it names in the container
/// (its content when that is a regular file); devices, FIFOs and sockets are skipped, as tc
/// skips them. Messages name the artifact's path as the payload gives it.
const COPY_DIRECTORY: &str = r#"copy_directory() {
  local name=$1 path=$2 dir fetched entry rel link
  if ! fetch "$name" "$path" "$5" "$6"; then return 0; fi
  if [[ -L "$fetched" || ! -d "$fetched" ]]; then
    artifact_error "$name" invalid-resource-on-worker "$path is not a directory" "$5" "$6"
    return 0
  fi
  dir=${path%/}
  while IFS= read -r -d '' entry; do
    rel=${entry#"$fetched"/}
    if [[ "$rel" == *\\* ]]; then
      artifact_error "$name/$rel" invalid-resource-on-worker 'the name holds a NUL or a backslash' "$5" "$6"
    elif [[ -L "$entry" ]]; then
      artifact_n=$((artifact_n + 1))
      link="$work/artifact-$artifact_n"
      if ! docker cp -L "$container:$dir/$rel" "$link" >/dev/null 2>&1; then
        artifact_error "$name/$rel" invalid-resource-on-worker "$dir/$rel is a dangling symlink" "$5" "$6"
      elif [[ -L "$link" || ! -f "$link" ]]; then
        artifact_error "$name/$rel" invalid-resource-on-worker "$dir/$rel links to something that is not a regular file" "$5" "$6"
      else
        store "$name/$rel" "$link" "$3" "$4" "$5" "$6"
      fi
    elif [[ -f "$entry" ]]; then
      store "$name/$rel" "$entry" "$3" "$4" "$5" "$6"
    fi
  done < <(find "$fetched" -mindepth 1 ! -type d -print0 | sort -z)
}
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mount_fields_are_csv_quoted_when_needed() {
        assert_eq!(csv_field("dst=/cache"), "dst=/cache");
        assert_eq!(csv_field("dst=/a,b"), "\"dst=/a,b\"");
        assert_eq!(csv_field("dst=/a\"b,c"), "\"dst=/a\"\"b,c\"");
    }

    #[test]
    fn image_sources_become_calls_or_refusals() {
        let code = |s: ImageSource| image_code(&s, PullPolicy::Never, "https://tc.example/");
        let registry = code(ImageSource::Registry("alpine:3".into())).unwrap();
        assert_eq!(registry.call, "pull_image \"$image_ref\" never");
        let task = code(ImageSource::TaskImage {
            task_id: "abc".into(),
            path: "public/image.tar.zst".into(),
        })
        .unwrap();
        assert_eq!(
            task.call,
            "fetch_image \"$image_ref\" 'https://tc.example/api/queue/v1/task/abc/artifacts/public%2Fimage.tar.zst' zstd"
        );
        assert!(task.tools.contains(&"curl") && task.tools.contains(&"zstd"));
        let indexed = code(ImageSource::Indexed {
            namespace: "a.b".into(),
            path: "public/i.tar".into(),
        })
        .unwrap();
        assert!(
            indexed
                .call
                .contains("/api/index/v1/task/a.b/artifacts/public%2Fi.tar' cat")
        );
        assert!(
            code(ImageSource::TaskImage {
                task_id: "abc".into(),
                path: "private/image.tar".into(),
            })
            .is_err()
        );
        assert!(code(ImageSource::InTree("base".into())).unwrap().call == "build_in_tree");
    }
}

//! One task's container (worker.md §3.5): created from the resolved image ID with a TTY (stdout
//! and stderr merged, as docker-worker), attached before it starts so no byte is lost, waited
//! for, stopped with a grace period, removed unless kept.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use bollard::Docker;
use bollard::models::{
    ContainerCreateBody, DeviceMapping, HostConfig, Mount, MountType, MountVolumeOptions,
};
use bollard::query_parameters::{
    AttachContainerOptions, CreateContainerOptions, RemoveContainerOptions, StopContainerOptions,
};
use futures_util::StreamExt;
use serde_json::{Value, json};
use tokio::sync::{mpsc, watch};

use super::engine::{DockerOptions, DockerTask};
use super::images::ResolvedImage;
use super::volumes::{self, HeldCache};
use crate::artifacts::{ArtifactSpec, LocalDir, Record};
use crate::engine::native::shell_quote;
use crate::engine::{Exit, LogStream, RunSpec, Sandbox};
use crate::outcome::{Reason, TaskError};

/// docker-worker's /dev/shm size.
pub const SHM_SIZE: i64 = 1_800_000_000;

/// Containers of this process that are not removed yet, for a second Ctrl-C to name.
static LIVE: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// The containers this process still has, by name.
pub fn live_containers() -> Vec<String> {
    LIVE.lock().map(|l| l.clone()).unwrap_or_default()
}

/// Everything `create` needs.
pub(super) struct ContainerConfig<'a> {
    pub spec: &'a RunSpec,
    pub task: &'a DockerTask,
    pub image: &'a ResolvedImage,
    pub caches: &'a [HeldCache],
    pub options: &'a DockerOptions,
}

pub(super) fn container_name(task_id: &str, run_id: u32) -> String {
    format!("tc-{task_id}-{run_id}")
}

fn api_error(what: &str, e: &bollard::errors::Error) -> TaskError {
    TaskError::internal(format!("{what}: {e}"))
}

fn status_of(e: &bollard::errors::Error) -> Option<u16> {
    match e {
        bollard::errors::Error::DockerResponseServerError { status_code, .. } => Some(*status_code),
        _ => None,
    }
}

/// A stopped container of the same name that tc made is removed; anything else is in the way.
async fn clear_stale(docker: &Docker, name: &str) -> Result<(), TaskError> {
    let existing = match docker.inspect_container(name, None).await {
        Ok(c) => c,
        Err(e) if status_of(&e) == Some(404) => return Ok(()),
        Err(e) => return Err(api_error(&format!("cannot inspect {name}"), &e)),
    };
    let ours = existing
        .config
        .as_ref()
        .and_then(|c| c.labels.as_ref())
        .is_some_and(|l| l.contains_key(super::LABEL));
    let running = existing
        .state
        .as_ref()
        .and_then(|s| s.running)
        .unwrap_or(false);
    if !ours || running {
        return Err(TaskError::new(
            Reason::ResourceUnavailable,
            format!(
                "a container named {name} already exists{}: remove it (docker rm -f {name}) or use another --local-task-id",
                if running {
                    " and runs"
                } else {
                    " and tc did not make it"
                }
            ),
        ));
    }
    docker
        .remove_container(
            name,
            Some(RemoveContainerOptions {
                force: true,
                ..Default::default()
            }),
        )
        .await
        .map_err(|e| api_error(&format!("cannot remove the stale container {name}"), &e))
}

fn host_config(cfg: &ContainerConfig<'_>) -> HostConfig {
    let caps = &cfg.task.capabilities;
    let mut binds = cfg.options.binds.clone();
    if caps.devices.host_shared_memory {
        binds.push("/dev/shm:/dev/shm".into());
    }
    let mounts: Vec<Mount> = cfg
        .caches
        .iter()
        .map(|c| Mount {
            target: Some(c.path.clone()),
            source: Some(c.volume.clone()),
            typ: Some(MountType::VOLUME),
            // A new cache starts empty instead of receiving the image's files.
            volume_options: Some(MountVolumeOptions {
                no_copy: Some(true),
                ..Default::default()
            }),
            ..Default::default()
        })
        .collect();
    let devices = caps.devices.kvm.then(|| {
        vec![DeviceMapping {
            path_on_host: Some("/dev/kvm".into()),
            path_in_container: Some("/dev/kvm".into()),
            cgroup_permissions: Some("rwm".into()),
        }]
    });
    HostConfig {
        shm_size: Some(SHM_SIZE),
        extra_hosts: Some(vec!["localhost.localdomain:127.0.0.1".into()]),
        network_mode: cfg.options.network.clone(),
        privileged: caps.privileged.then_some(true),
        security_opt: caps
            .disable_seccomp
            .then(|| vec!["seccomp=unconfined".into()]),
        cap_add: cfg.task.allow_ptrace.then(|| vec!["SYS_PTRACE".into()]),
        devices,
        binds: (!binds.is_empty()).then_some(binds),
        mounts: (!mounts.is_empty()).then_some(mounts),
        ..Default::default()
    }
}

/// Creates the container; returns its name.
pub(super) async fn create(
    docker: &Docker,
    cfg: &ContainerConfig<'_>,
) -> Result<String, TaskError> {
    let name = container_name(&cfg.spec.task_id, cfg.spec.run_id);
    let env: Vec<String> = cfg
        .spec
        .env
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    if let Some(checkout) = &cfg.options.checkout {
        warn_about_owner(docker, cfg, checkout).await;
    }
    let interactive = if cfg.spec.interactive {
        // exec-task runs the image's Entrypoint + Cmd when the payload has no command.
        let config = docker
            .inspect_image(&cfg.image.id)
            .await
            .ok()
            .and_then(|i| i.config);
        let default_argv: Vec<String> = config
            .map(|c| {
                let entrypoint = c.entrypoint.unwrap_or_default();
                entrypoint
                    .into_iter()
                    .chain(c.cmd.unwrap_or_default())
                    .collect()
            })
            .unwrap_or_default();
        Some(super::interactive::plan(&cfg.task.command, &default_argv))
    } else {
        None
    };
    let (entrypoint, cmd) = match &interactive {
        Some(p) => (p.entrypoint.clone(), Some(p.cmd.clone())),
        None => (
            None,
            (!cfg.task.command.is_empty()).then(|| cfg.task.command.clone()),
        ),
    };
    let body = ContainerCreateBody {
        image: Some(cfg.image.id.clone()),
        entrypoint,
        cmd,
        env: Some(env),
        tty: Some(true),
        attach_stdout: Some(true),
        attach_stderr: Some(true),
        attach_stdin: Some(interactive.is_some()),
        open_stdin: Some(interactive.is_some()),
        labels: Some(super::labels(Some(&cfg.spec.task_id))),
        host_config: Some(host_config(cfg)),
        ..Default::default()
    };
    let options = || {
        Some(CreateContainerOptions {
            name: Some(name.clone()),
            ..Default::default()
        })
    };
    let mut created = docker.create_container(options(), body.clone()).await;
    // A container of that name exists (409): a stopped one of tc's goes, then try again.
    if created.as_ref().err().and_then(status_of) == Some(409) {
        clear_stale(docker, &name).await?;
        created = docker.create_container(options(), body).await;
    }
    created.map_err(|e| match status_of(&e) {
        // A bad device, bind or network is the invocation's or the payload's doing.
        Some(400 | 404) => TaskError::malformed(format!("cannot create the container: {e}")),
        _ => api_error("cannot create the container", &e),
    })?;
    if let Ok(mut live) = LIVE.lock() {
        live.push(name.clone());
    }
    // Removed by tc's guard if tc dies before the cleanup does it.
    crate::engine::guard::tie_container(&name);
    if let Some(p) = interactive
        && let Err(e) = super::interactive::upload(docker, &name, &p.exec_task).await
    {
        remove_leftovers(docker, &cfg.spec.task_id, cfg.spec.run_id).await;
        return Err(e);
    }
    Ok(name)
}

/// `--develop`: files the task writes into the checkout belong to the container's user; say so
/// when that is not the checkout's owner.
async fn warn_about_owner(docker: &Docker, cfg: &ContainerConfig<'_>, checkout: &std::path::Path) {
    use std::os::unix::fs::MetadataExt;
    let Ok(owner) = std::fs::metadata(checkout).map(|m| m.uid()) else {
        return;
    };
    let user = docker
        .inspect_image(&cfg.image.id)
        .await
        .ok()
        .and_then(|i| i.config)
        .and_then(|c| c.user)
        .unwrap_or_default();
    let name = user.split(':').next().unwrap_or("");
    let uid = match name {
        "" | "root" => Some(0),
        n => n.parse::<u32>().ok(),
    };
    if uid != Some(owner)
        && let Some(notes) = &cfg.spec.notes
    {
        let _ = notes.send(format!(
            "[tc] Warning: the container runs as {} but {} belongs to uid {owner}: files the task writes there will belong to that user",
            if name.is_empty() { "root" } else { name },
            checkout.display()
        ));
    }
}

/// Removes the run's container, if tc made one, and its throwaway cache volumes: for a run
/// abandoned while it was being prepared.
pub(super) async fn remove_leftovers(docker: &Docker, task_id: &str, run_id: u32) {
    let name = container_name(task_id, run_id);
    let ours = docker
        .inspect_container(&name, None)
        .await
        .ok()
        .and_then(|c| c.config)
        .and_then(|c| c.labels)
        .is_some_and(|l| {
            l.get(&format!("{}.task-id", super::LABEL))
                .map(String::as_str)
                == Some(task_id)
        });
    if ours {
        let _ = docker
            .remove_container(
                &name,
                Some(RemoveContainerOptions {
                    force: true,
                    v: true,
                    ..Default::default()
                }),
            )
            .await;
    }
    if let Ok(mut live) = LIVE.lock() {
        live.retain(|n| n != &name);
    }
    crate::engine::guard::untie_container(&name);
    volumes::remove_throwaway(docker, task_id).await;
}

pub(super) struct DockerSandbox {
    docker: Docker,
    name: String,
    image: ResolvedImage,
    command: Vec<String>,
    interactive: bool,
    caches: tokio::sync::Mutex<Option<Vec<HeldCache>>>,
    exit_tx: Arc<watch::Sender<Exit>>,
    exit_rx: watch::Receiver<Exit>,
}

impl DockerSandbox {
    pub(super) fn new(
        docker: Docker,
        name: String,
        spec: &RunSpec,
        image: ResolvedImage,
        caches: Vec<HeldCache>,
    ) -> DockerSandbox {
        let (exit_tx, exit_rx) = watch::channel(None);
        DockerSandbox {
            docker,
            name,
            image,
            command: spec
                .docker
                .as_ref()
                .map(|d| d.command.clone())
                .unwrap_or_default(),
            interactive: spec.interactive,
            caches: tokio::sync::Mutex::new(Some(caches)),
            exit_tx: Arc::new(exit_tx),
            exit_rx,
        }
    }
}

/// The daemon's exit status as an exit code (it is 0 to 255; anything else is not one).
fn exit_status(code: i64) -> i32 {
    i32::try_from(code).unwrap_or(i32::MAX)
}

/// The exit code `docker run` gives a command the runtime cannot exec, if this is one: only
/// the runtime's `exec: "<command>": …` failures, not devices, mounts or security policies.
fn start_failure_code(message: &str) -> Option<i32> {
    let m = message.to_ascii_lowercase();
    let exec = m.find("exec: \"").map(|at| &m[at..])?;
    if exec.contains("executable file not found") || exec.contains("no such file or directory") {
        Some(127)
    } else if exec.contains("permission denied") {
        Some(126)
    } else {
        None
    }
}

#[async_trait]
impl Sandbox for DockerSandbox {
    fn describe(&self) -> Vec<String> {
        let short = self
            .image
            .id
            .strip_prefix("sha256:")
            .unwrap_or(&self.image.id);
        vec![
            format!(
                "Image: {} (sha256:{}), {}",
                self.image.reference,
                &short[..short.len().min(12)],
                self.image.note
            ),
            format!(
                "Command: {}",
                if self.command.is_empty() {
                    "(image default)".to_owned()
                } else {
                    shell_quote(&self.command)
                }
            ),
        ]
    }

    fn image(&self) -> Option<Value> {
        Some(json!({
            "ref": self.image.reference, "id": self.image.id,
            "source": self.image.source, "cached": self.image.cached,
        }))
    }

    async fn start(&self) -> Result<LogStream, TaskError> {
        let attached = self
            .docker
            .attach_container(
                &self.name,
                Some(AttachContainerOptions {
                    stream: true,
                    stdout: true,
                    stderr: true,
                    stdin: self.interactive,
                    ..Default::default()
                }),
            )
            .await
            .map_err(|e| api_error("cannot attach to the container", &e))?;
        let (tx, rx) = mpsc::channel::<Vec<u8>>(64);
        let mut output = attached.output;
        let pump = if self.interactive {
            // The shell talks to the terminal; the log's banner was written before the start.
            let (docker, name, input) = (self.docker.clone(), self.name.clone(), attached.input);
            tokio::spawn(async move {
                super::interactive::attach_terminal(docker, name, output, input).await;
                tx
            })
        } else {
            tokio::spawn(async move {
                while let Some(Ok(chunk)) = output.next().await {
                    if tx.send(chunk.into_bytes().to_vec()).await.is_err() {
                        break;
                    }
                }
                tx
            })
        };
        if let Err(e) = self.docker.start_container(&self.name, None).await {
            let message = e.to_string();
            let Some(code) = start_failure_code(&message) else {
                pump.abort();
                return Err(api_error("cannot start the container", &e));
            };
            // Like `docker run`: the command cannot run, so the task fails with 127/126.
            pump.abort();
            let (tx, rx) = mpsc::channel::<Vec<u8>>(1);
            let _ = tx.try_send(format!("[tc] Cannot run the command: {message}\n").into_bytes());
            let _ = self.exit_tx.send(Some(Ok(code)));
            return Ok(rx);
        }
        let docker = self.docker.clone();
        let name = self.name.clone();
        let exit_tx = self.exit_tx.clone();
        tokio::spawn(async move {
            let code = match docker.wait_container(&name, None).next().await {
                Some(Ok(r)) => Ok(exit_status(r.status_code)),
                Some(Err(bollard::errors::Error::DockerContainerWaitError { code, .. })) => {
                    Ok(exit_status(code))
                }
                Some(Err(e)) => Err(api_error("waiting for the container", &e)),
                None => Err(TaskError::internal(
                    "the daemon ended the wait without an exit code",
                )),
            };
            // The output the container wrote before it exited comes first; the attach stream
            // ends with the container.
            let mut pump = pump;
            if tokio::time::timeout(Duration::from_secs(2), &mut pump)
                .await
                .is_err()
            {
                pump.abort();
            }
            let _ = exit_tx.send(Some(code));
        });
        Ok(rx)
    }

    async fn wait(&self) -> Result<i32, TaskError> {
        crate::engine::wait_for_exit(&self.exit_rx).await
    }

    async fn terminate(&self, grace: Duration) {
        // SIGTERM, then SIGKILL after the grace; a stopped container is left as it is.
        let _ = self
            .docker
            .stop_container(
                &self.name,
                Some(StopContainerOptions {
                    t: Some(i32::try_from(grace.as_secs()).unwrap_or(i32::MAX)),
                    ..Default::default()
                }),
            )
            .await;
    }

    async fn extract(&self, artifact: &ArtifactSpec, sink: &LocalDir) -> Vec<Record> {
        super::archive::extract(&self.docker, &self.name, artifact, sink).await
    }

    async fn cleanup(&self, keep: bool, purge_caches: bool) -> Vec<String> {
        let mut notes = Vec::new();
        if keep {
            notes.push(format!(
                "container kept: {} (docker inspect shows its environment, secrets included; remove it with docker rm {})",
                self.name, self.name
            ));
        } else {
            match self
                .docker
                .remove_container(
                    &self.name,
                    Some(RemoveContainerOptions {
                        force: true,
                        v: true,
                        ..Default::default()
                    }),
                )
                .await
            {
                Ok(()) => {}
                Err(e) if status_of(&e) == Some(404) => {}
                Err(e) => notes.push(format!("cannot remove the container {}: {e}", self.name)),
            }
        }
        if let Ok(mut live) = LIVE.lock() {
            live.retain(|n| n != &self.name);
        }
        crate::engine::guard::untie_container(&self.name);
        if let Some(caches) = self.caches.lock().await.take() {
            if keep && !caches.is_empty() {
                notes.push(
                    "the kept container's caches are released: restarted, it no longer has them to itself".into(),
                );
            }
            notes.extend(volumes::release(&self.docker, caches, purge_caches, keep).await);
        }
        notes
    }
}

#[cfg(test)]
mod tests {
    use super::start_failure_code;

    #[test]
    fn only_exec_failures_become_exit_codes() {
        let runc =
            "OCI runtime create failed: runc create failed: unable to start container process: ";
        assert_eq!(
            start_failure_code(&format!(
                "{runc}exec: \"nope\": executable file not found in $PATH: unknown"
            )),
            Some(127)
        );
        assert_eq!(
            start_failure_code(&format!(
                "{runc}exec: \"/x\": stat /x: no such file or directory: unknown"
            )),
            Some(127)
        );
        assert_eq!(
            start_failure_code(&format!("{runc}exec: \"/etc\": permission denied: unknown")),
            Some(126)
        );
        assert_eq!(
            start_failure_code(
                "error gathering device information while adding custom device \"/dev/kvm\": no such file or directory"
            ),
            None
        );
        assert_eq!(
            start_failure_code(&format!(
                "{runc}unable to apply caps: operation not permitted: unknown"
            )),
            None
        );
    }
}

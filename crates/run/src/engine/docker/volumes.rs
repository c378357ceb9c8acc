//! Caches of the Docker engine (worker.md §9.1): named volumes `tc-cache-<slug>-<i>`. The
//! instance locks are the native engine's (`run::caches`), so exclusivity holds across every tc
//! process and both engines; the instance directory there only marks that the volume exists.

use std::path::Path;

use bollard::Docker;
use bollard::models::VolumeCreateRequest;
use bollard::query_parameters::RemoveVolumeOptions;

use crate::caches::{self, Caches, Instance};
use crate::error::chain;
use crate::outcome::TaskError;

/// The name of every `--no-caches` volume starts so.
const THROWAWAY_PREFIX: &str = "tc-nocache-";

/// One cache volume a run mounts.
pub(super) struct HeldCache {
    pub name: String,
    pub volume: String,
    /// Absolute path in the container.
    pub path: String,
    /// `None` for a `--no-caches` throwaway volume.
    instance: Option<Instance>,
    caches: Option<Caches>,
}

fn volume_labels(cache: &str, task_id: &str) -> std::collections::HashMap<String, String> {
    let mut labels = super::labels(Some(task_id));
    labels.insert(format!("{}.cache", super::LABEL), cache.to_owned());
    labels
}

async fn create_volume(
    docker: &Docker,
    volume: &str,
    cache: &str,
    task_id: &str,
) -> Result<(), TaskError> {
    docker
        .create_volume(VolumeCreateRequest {
            name: Some(volume.to_owned()),
            labels: Some(volume_labels(cache, task_id)),
            ..Default::default()
        })
        .await
        .map(drop)
        .map_err(|e| TaskError::internal(format!("cannot create the volume {volume}: {e}")))
}

/// A cache volume the daemon would not remove (in use by a kept container, most often).
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
#[error("cannot remove the volume {volume}")]
#[diagnostic(code(tc::run::docker::volume))]
struct RemoveError {
    volume: String,
    #[source]
    source: bollard::errors::Error,
}

async fn remove_volume(docker: &Docker, volume: &str) -> Result<(), RemoveError> {
    match docker
        .remove_volume(volume, Some(RemoveVolumeOptions { force: true }))
        .await
    {
        Ok(())
        | Err(bollard::errors::Error::DockerResponseServerError {
            status_code: 404, ..
        }) => Ok(()),
        Err(source) => Err(RemoveError {
            volume: volume.to_owned(),
            source,
        }),
    }
}

/// Takes an instance of every cache (a throwaway volume each with `no_caches`).
pub(super) async fn acquire(
    docker: &Docker,
    cache_root: &Path,
    wanted: &[(String, String)],
    no_caches: bool,
    task_id: &str,
) -> Result<Vec<HeldCache>, TaskError> {
    let mut held: Vec<HeldCache> = Vec::new();
    for (name, path) in wanted {
        let result = if no_caches {
            let volume = format!(
                "{THROWAWAY_PREFIX}{}-{}",
                caches::slug(name),
                &uuid::Uuid::new_v4().simple().to_string()[..8]
            );
            create_volume(docker, &volume, name, task_id)
                .await
                .map(|()| HeldCache {
                    name: name.clone(),
                    volume,
                    path: path.clone(),
                    instance: None,
                    caches: None,
                })
        } else {
            take(docker, cache_root, name, path, task_id).await
        };
        match result {
            Ok(h) => held.push(h),
            Err(e) => {
                release(docker, held, false, false).await;
                return Err(e);
            }
        }
    }
    Ok(held)
}

async fn take(
    docker: &Docker,
    cache_root: &Path,
    name: &str,
    path: &str,
    task_id: &str,
) -> Result<HeldCache, TaskError> {
    let caches = Caches::new(cache_root);
    let instance = caches
        .acquire(name)
        .map_err(|e| TaskError::internal(format!("cache {name}: {e}")))?;
    let volume = format!("tc-cache-{}-{}", caches::slug(name), instance.index);
    // A purged instance starts empty. Otherwise an existing volume is the cache (its marker
    // may live under another cache root): never deleted here, so no one's cache is lost.
    if instance.purged
        && let Err(e) = remove_volume(docker, &volume).await
    {
        let _ = caches.release_marked(instance);
        return Err(TaskError::new(
            crate::outcome::Reason::ResourceUnavailable,
            format!(
                "cache {name}: the purged volume {volume} cannot be removed (is a kept container using it?): {}",
                chain(&e)
            ),
        ));
    }
    if docker.inspect_volume(&volume).await.is_err() {
        create_volume(docker, &volume, name, task_id).await?;
    }
    Ok(HeldCache {
        name: name.to_owned(),
        volume,
        path: path.to_owned(),
        instance: Some(instance),
        caches: Some(caches),
    })
}

/// Gives every cache back: `purge` deletes the volumes (onExitStatus.purgeCaches); throwaway
/// volumes go too unless `keep`. Returns warnings.
pub(super) async fn release(
    docker: &Docker,
    held: Vec<HeldCache>,
    purge: bool,
    keep: bool,
) -> Vec<String> {
    let mut warnings = Vec::new();
    for h in held {
        match (h.instance, h.caches) {
            (Some(instance), Some(caches)) => {
                let removed = if purge {
                    remove_volume(docker, &h.volume).await
                } else {
                    Ok(())
                };
                let released = match removed {
                    Ok(()) => caches.release(instance, purge),
                    // Still in use (a kept container): the next run that takes it purges it.
                    Err(e) => {
                        warnings.push(format!(
                            "cache {}: {}; it is purged before its next use",
                            h.name,
                            chain(&e)
                        ));
                        caches.release_marked(instance)
                    }
                };
                if let Err(e) = released {
                    warnings.push(format!("cache {}: cannot release it: {e}", h.name));
                }
            }
            _ if keep => warnings.push(format!(
                "cache {}: the throwaway volume {} is kept",
                h.name, h.volume
            )),
            _ => {
                if let Err(e) = remove_volume(docker, &h.volume).await {
                    warnings.push(format!("cache {}: {}", h.name, chain(&e)));
                }
            }
        }
    }
    warnings
}

/// Removes the `--no-caches` volumes made for `task_id` (a run abandoned half-way).
pub(super) async fn remove_throwaway(docker: &Docker, task_id: &str) {
    let filters = std::collections::HashMap::from([(
        "label".to_owned(),
        vec![format!("{}.task-id={task_id}", super::LABEL)],
    )]);
    let listed = docker
        .list_volumes(Some(bollard::query_parameters::ListVolumesOptions {
            filters: Some(filters),
        }))
        .await;
    for v in listed.ok().and_then(|l| l.volumes).unwrap_or_default() {
        if v.name.starts_with(THROWAWAY_PREFIX) {
            let _ = remove_volume(docker, &v.name).await;
        }
    }
}

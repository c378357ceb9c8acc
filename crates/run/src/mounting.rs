//! Stage 2 of the pipeline on the native engine (worker.md §9): caches and mounts are put into
//! the task directory in payload order before the task starts, and caches are taken out again
//! afterwards (before the task directory is removed).

use std::path::{Path, PathBuf};

use super::caches::{self, Caches, Instance};
use super::mounts::{self, Fetcher, Mount};
use super::outcome::{Interrupt, Reason, TaskError};

/// Tells a stage that the run was canceled (SIGINT/SIGTERM).
pub type Canceled = tokio::sync::watch::Receiver<Option<Interrupt>>;

/// Fetches content unless the run is canceled first: a download can take minutes.
async fn fetch(
    fetcher: &Fetcher,
    content: &mounts::Content,
    mut cancel: Canceled,
) -> Result<mounts::Fetched, TaskError> {
    let canceled = || TaskError::new(Reason::Canceled, "canceled while fetching mount content");
    if cancel.borrow().is_some() {
        return Err(canceled());
    }
    tokio::select! {
        fetched = fetcher.fetch(content) => fetched,
        () = async { let _ = cancel.wait_for(Option::is_some).await; } => Err(canceled()),
    }
}

/// The cache instances a run holds, and where they are in the task directory.
#[derive(Default)]
pub struct MountedCaches {
    held: Vec<(Instance, PathBuf)>,
    caches: Option<Caches>,
}

impl MountedCaches {
    /// Moves every cache back to its place and gives it back; `purge` deletes them instead
    /// (onExitStatus.purgeCaches). Returns warnings.
    pub fn release(self, purge: bool) -> Vec<String> {
        let mut warnings = Vec::new();
        let Some(caches) = self.caches else {
            return warnings;
        };
        for (instance, inside) in self.held {
            let name = instance.name.clone();
            match caches::move_out(&instance, &inside) {
                Ok(true) => {}
                Ok(false) => warnings.push(format!(
                    "cache {name}: the task removed it, so the instance is dropped"
                )),
                Err(e) => warnings.push(format!("cache {name}: cannot move it back: {e}")),
            }
            if let Err(e) = caches.release(instance, purge) {
                warnings.push(format!("cache {name}: cannot release it: {e}"));
            }
        }
        warnings
    }
}

/// Mounts everything into `task_dir`. On failure, whatever was mounted is released before the
/// error is returned.
pub async fn mount_all(
    mounts: &[Mount],
    task_dir: &Path,
    cache_root: &Path,
    root_url: &str,
    no_caches: bool,
    max_size: u64,
    cancel: &Canceled,
) -> Result<MountedCaches, TaskError> {
    let caches = (!no_caches).then(|| Caches::new(cache_root));
    let mut mounted = MountedCaches {
        held: Vec::new(),
        caches: caches.clone(),
    };
    if mounts.is_empty() {
        return Ok(mounted);
    }
    let fetcher = std::sync::Arc::new(Fetcher::new(&cache_root.join("downloads"), root_url)?);
    for mount in mounts {
        match mount_one(
            mount.clone(),
            task_dir.to_path_buf(),
            fetcher.clone(),
            caches.clone(),
            max_size,
            cancel.clone(),
        )
        .await
        {
            Ok(Some(held)) => mounted.held.push(held),
            Ok(None) => {}
            Err(e) => {
                mounted.release(false);
                return Err(e);
            }
        }
    }
    Ok(mounted)
}

/// Mounts one entry; a cache comes back with where it now is, to be released later.
async fn mount_one(
    mount: Mount,
    task_dir: PathBuf,
    fetcher: std::sync::Arc<Fetcher>,
    caches: Option<Caches>,
    max_size: u64,
    cancel: Canceled,
) -> Result<Option<(Instance, PathBuf)>, TaskError> {
    let Mount::Cache {
        directory,
        cache_name,
        content,
        format,
    } = mount
    else {
        let Some(content) = mount.content().cloned() else {
            return Ok(None);
        };
        let fetched = fetch(&fetcher, &content, cancel)
            .await
            .map_err(|e| TaskError {
                message: format!("{} mount `{}`: {}", mount.kind(), mount.path(), e.message),
                ..e
            })?;
        tokio::task::spawn_blocking(move || mounts::apply(&mount, &fetched, &task_dir, max_size))
            .await
            .map_err(|e| TaskError::internal(e.to_string()))??;
        return Ok(None);
    };
    let Some(caches) = caches else {
        // --no-caches: an empty throwaway directory that goes with the task dir.
        std::fs::create_dir_all(task_dir.join(&directory)).map_err(|e| {
            TaskError::internal(format!("cannot make the cache directory {directory}: {e}"))
        })?;
        return Ok(None);
    };
    let (name, pool) = (cache_name.clone(), caches.clone());
    let instance = tokio::task::spawn_blocking(move || pool.acquire(&name))
        .await
        .map_err(|e| TaskError::internal(e.to_string()))?
        .map_err(|e| TaskError::internal(format!("cache {cache_name}: {e}")))?;
    // Preload content goes into a newly created instance only.
    let preload = if instance.fresh {
        content.zip(format)
    } else {
        None
    };
    if let Some((content, format)) = preload {
        let result = match fetch(&fetcher, &content, cancel).await {
            Ok(fetched) => {
                let dir = instance.dir.clone();
                tokio::task::spawn_blocking(move || {
                    mounts::extract_fetched(&fetched, format, &dir, max_size)
                })
                .await
                .unwrap_or_else(|e| Err(TaskError::internal(e.to_string())))
            }
            Err(e) => Err(e),
        };
        if let Err(e) = result {
            // A half-filled instance would be mistaken for a warm one next time.
            let _ = caches.release(instance, true);
            return Err(TaskError {
                message: format!("cache mount `{directory}`: {}", e.message),
                ..e
            });
        }
    }
    match caches::move_in(&instance, &task_dir, &directory) {
        Ok(inside) => Ok(Some((instance, inside))),
        Err(e) => {
            let _ = caches.release(instance, false);
            Err(TaskError::internal(format!(
                "cannot move cache {cache_name} into the task directory: {e}"
            )))
        }
    }
}

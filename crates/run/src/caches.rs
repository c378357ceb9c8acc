//! Named caches of the native engine (worker.md §9.1): directories
//! `<C>/caches/<slug>/<i>/`, each instance held exclusively through an advisory lock on
//! `<i>.lock` for the whole run, so concurrent tc processes never share one. A crashed
//! process loses its locks with it.

use std::fs::{self, File, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};

use nix::fcntl::{Flock, FlockArg};
use sha2::{Digest, Sha256};

/// The cache root `<C>` (worker.md §9): the flag, else `$TC_CACHE_DIR`, else `tc` in the user's
/// cache directory. Task directories, caches and image archives live under it.
pub fn root(flag: Option<&Path>) -> PathBuf {
    if let Some(dir) = flag {
        return dir.to_path_buf();
    }
    if let Some(dir) = std::env::var_os("TC_CACHE_DIR").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    dirs::cache_dir()
        .unwrap_or_else(std::env::temp_dir)
        .join("tc")
}

/// The on-disk name of a cache: safe characters, at most 40 of them, and a hash of the whole
/// name so two names never share a slug.
pub fn slug(name: &str) -> String {
    let safe: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "_.-".contains(c) {
                c
            } else {
                '_'
            }
        })
        .take(40)
        .collect();
    let hash = hex::encode(Sha256::digest(name.as_bytes()));
    format!("{safe}-{}", &hash[..8])
}

/// One cache instance this run holds.
#[derive(Debug)]
pub struct Instance {
    pub name: String,
    pub index: u32,
    /// The instance's directory while it is not in a task dir.
    pub dir: PathBuf,
    /// Created for this run (so preload content goes in).
    pub fresh: bool,
    /// A purge mark was found: the instance was deleted before this run took it (the Docker
    /// engine then removes the volume too).
    pub purged: bool,
    lock: Flock<File>,
}

/// The cache root `<C>/caches`.
#[derive(Debug, Clone)]
pub struct Caches {
    root: PathBuf,
}

impl Caches {
    pub fn new(cache_root: &Path) -> Caches {
        Caches {
            root: cache_root.join("caches"),
        }
    }

    /// Takes the lowest-numbered free instance that is not marked for purge (deleting marked
    /// ones found on the way), or creates the next one.
    pub fn acquire(&self, name: &str) -> io::Result<Instance> {
        let base = self.root.join(slug(name));
        fs::create_dir_all(&base)?;
        for index in 0u32.. {
            let lock_path = base.join(format!("{index}.lock"));
            let file = OpenOptions::new()
                .create(true)
                .truncate(false)
                .write(true)
                .open(&lock_path)?;
            let Ok(lock) = Flock::lock(file, FlockArg::LockExclusiveNonblock) else {
                continue; // another run holds it
            };
            let dir = base.join(index.to_string());
            let purge_mark = base.join(format!("{index}.purge"));
            let purged = purge_mark.exists();
            if purged {
                remove_dir_if_present(&dir)?;
                fs::remove_file(&purge_mark)?;
            }
            let fresh = !dir.exists();
            if fresh {
                fs::create_dir(&dir)?;
            }
            return Ok(Instance {
                name: name.to_owned(),
                index,
                dir,
                fresh,
                purged,
                lock,
            });
        }
        unreachable!("instance numbers are unbounded")
    }

    /// Gives an instance back marked for purge without deleting it now (it is in use
    /// elsewhere, e.g. by a kept container): the next run that selects it deletes it first.
    pub fn release_marked(&self, instance: Instance) -> io::Result<()> {
        let base = self.root.join(slug(&instance.name));
        File::create(base.join(format!("{}.purge", instance.index)))?;
        drop(instance.lock);
        Ok(())
    }

    /// Gives an instance back. `purge` deletes it; `gone` means the task removed it, so it
    /// is dropped.
    pub fn release(&self, instance: Instance, purge: bool) -> io::Result<()> {
        let base = self.root.join(slug(&instance.name));
        if purge {
            let mark = base.join(format!("{}.purge", instance.index));
            File::create(&mark)?;
            remove_dir_if_present(&instance.dir)?;
            fs::remove_file(&mark)?;
        }
        drop(instance.lock);
        Ok(())
    }
}

fn remove_dir_if_present(dir: &Path) -> io::Result<()> {
    match fs::remove_dir_all(dir) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

/// Moves a cache instance into the task dir at `rel` (creating parents inside the task dir).
pub fn move_in(instance: &Instance, task_dir: &Path, rel: &str) -> io::Result<PathBuf> {
    let target = task_dir.join(rel);
    if let Some(parent) = target.parent() {
        fs::create_dir_all(parent)?;
    }
    fs::rename(&instance.dir, &target)?;
    Ok(target)
}

/// Moves it back after the run; `false` when the task removed it (the instance is dropped).
pub fn move_out(instance: &Instance, from: &Path) -> io::Result<bool> {
    match fs::symlink_metadata(from) {
        Ok(meta) if meta.is_dir() => {
            fs::rename(from, &instance.dir)?;
            Ok(true)
        }
        _ => Ok(false),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_safe_short_and_distinct() {
        let a = slug("level-3-checkouts-sparse-v2/gecko");
        assert!(a.starts_with("level-3-checkouts-sparse-v2_gecko-"));
        assert_eq!(slug(&"x".repeat(100)).len(), 40 + 1 + 8);
        assert_ne!(slug("a/b"), slug("a_b"));
    }

    #[test]
    fn concurrent_holders_get_different_instances() {
        let root = tempfile::tempdir().unwrap();
        let caches = Caches::new(root.path());
        let first = caches.acquire("c").unwrap();
        let second = caches.acquire("c").unwrap();
        assert_eq!((first.index, second.index), (0, 1));
        assert!(first.fresh && second.fresh);
        fs::write(first.dir.join("kept"), "x").unwrap();
        caches.release(first, false).unwrap();
        let again = caches.acquire("c").unwrap();
        assert_eq!(again.index, 0);
        assert!(
            !again.fresh && again.dir.join("kept").exists(),
            "contents survive between runs"
        );
        caches.release(again, true).unwrap();
        let purged = caches.acquire("c").unwrap();
        assert!(
            purged.fresh && !purged.dir.join("kept").exists(),
            "a purged instance starts empty"
        );
        drop(second);
    }

    #[test]
    fn a_purge_mark_left_behind_is_honoured() {
        let root = tempfile::tempdir().unwrap();
        let caches = Caches::new(root.path());
        let inst = caches.acquire("c").unwrap();
        fs::write(inst.dir.join("f"), "x").unwrap();
        let base = root.path().join("caches").join(slug("c"));
        caches.release(inst, false).unwrap();
        File::create(base.join("0.purge")).unwrap();
        let inst = caches.acquire("c").unwrap();
        assert!(inst.fresh);
        assert!(!base.join("0.purge").exists());
    }

    #[test]
    fn moving_in_and_out_of_a_task_dir() {
        let root = tempfile::tempdir().unwrap();
        let caches = Caches::new(root.path());
        let task = root.path().join("tasks/t");
        fs::create_dir_all(&task).unwrap();
        let inst = caches.acquire("c").unwrap();
        let inside = move_in(&inst, &task, "a/b/cache").unwrap();
        fs::write(inside.join("built"), "1").unwrap();
        assert!(move_out(&inst, &inside).unwrap());
        assert!(inst.dir.join("built").exists());
        let inside = move_in(&inst, &task, "cache").unwrap();
        fs::remove_dir_all(&inside).unwrap();
        assert!(
            !move_out(&inst, &inside).unwrap(),
            "a cache the task removed is dropped"
        );
    }
}

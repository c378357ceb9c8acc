//! One `tc queue serve` per state directory: an advisory lock on `<state dir>/queue.lock`, held
//! for the server's life, in a file that names the holder's PID. Two servers on one directory
//! would share its database but overwrite each other's `credentials.json`.

use std::fs::File;
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

use nix::errno::Errno;
use nix::fcntl::{Flock, FlockArg};

const LOCK_FILE: &str = "queue.lock";

/// The held lock; released when dropped (or when the process dies, however it dies).
#[derive(Debug)]
pub struct StateLock {
    _file: Flock<File>,
}

/// Why the state directory could not be locked.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum LockError {
    /// Another process holds the directory.
    #[error(
        "the state dir {} is in use by {} (another tc queue serve); stop it, or give this server another --state-dir",
        state_dir.display(),
        holder.as_ref().map_or_else(|| "another process".to_owned(), |pid| format!("process {pid}"))
    )]
    #[diagnostic(code(tc::queue::state_dir_busy))]
    Held {
        state_dir: PathBuf,
        /// The holder's process id, as its lock file names it.
        holder: Option<String>,
    },
    #[error("cannot lock {}: {source}", path.display())]
    #[diagnostic(code(tc::queue::state_dir_lock))]
    Open {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot lock {}: {source}", path.display())]
    #[diagnostic(code(tc::queue::state_dir_lock))]
    Flock {
        path: PathBuf,
        #[source]
        source: Errno,
    },
}

impl StateLock {
    pub fn acquire(state_dir: &Path) -> Result<StateLock, LockError> {
        let path = state_dir.join(LOCK_FILE);
        // Not truncated on open: until the lock is ours, the file names the holder.
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(|source| LockError::Open {
                path: path.clone(),
                source,
            })?;
        let mut file = match Flock::lock(file, FlockArg::LockExclusiveNonblock) {
            Ok(locked) => locked,
            Err((mut file, Errno::EWOULDBLOCK)) => {
                return Err(LockError::Held {
                    state_dir: state_dir.to_owned(),
                    holder: holder(&mut file),
                });
            }
            Err((_, source)) => return Err(LockError::Flock { path, source }),
        };
        // The lock is held either way: a full disk only costs the name in a rival's message.
        if let Err(e) = record_holder(&mut file) {
            eprintln!(
                "warning: cannot write this process's id into {}: {e}",
                path.display()
            );
        }
        Ok(StateLock { _file: file })
    }
}

/// Replaces the file's text with this process's id.
fn record_holder(file: &mut File) -> std::io::Result<()> {
    file.set_len(0)?;
    file.rewind()?;
    writeln!(file, "{}", std::process::id())
}

/// The process id the lock file names, if it names one.
fn holder(file: &mut File) -> Option<String> {
    let mut text = String::new();
    match file.read_to_string(&mut text) {
        Ok(_) if !text.trim().is_empty() => Some(text.trim().to_owned()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_names_the_holder() {
        let dir = std::env::temp_dir().join(format!("tc-lock-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let _held = StateLock::acquire(&dir).unwrap();
        let e = StateLock::acquire(&dir).unwrap_err();
        assert!(matches!(e, LockError::Held { .. }), "{e:?}");
        assert_eq!(
            e.to_string(),
            format!(
                "the state dir {} is in use by process {} (another tc queue serve); stop it, or give this server another --state-dir",
                dir.display(),
                std::process::id()
            )
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}

//! One `tc queue serve` per state directory: an advisory lock on `<state dir>/queue.lock`, held
//! for the server's life, in a file that names the holder's PID. Two servers on one directory
//! would share its database but overwrite each other's `credentials.json`.

use std::fs::File;
use std::io::{Read, Seek, Write};
use std::path::Path;

use nix::errno::Errno;
use nix::fcntl::{Flock, FlockArg};

const LOCK_FILE: &str = "queue.lock";

/// The held lock; released when dropped (or when the process dies, however it dies).
#[derive(Debug)]
pub struct StateLock {
    _file: Flock<File>,
}

#[derive(Debug)]
pub enum LockError {
    /// Another process holds the directory: the message names it.
    Held(String),
    Failed(String),
}

impl StateLock {
    pub fn acquire(state_dir: &Path) -> Result<StateLock, LockError> {
        let path = state_dir.join(LOCK_FILE);
        let failed = |e: &dyn std::fmt::Display| {
            LockError::Failed(format!("cannot lock {}: {e}", path.display()))
        };
        // Not truncated on open: until the lock is ours, the file names the holder.
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(|e| failed(&e))?;
        let mut file = match Flock::lock(file, FlockArg::LockExclusiveNonblock) {
            Ok(locked) => locked,
            Err((mut file, Errno::EWOULDBLOCK)) => {
                return Err(LockError::Held(held_message(state_dir, &mut file)));
            }
            Err((_, e)) => return Err(failed(&e)),
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

fn held_message(state_dir: &Path, file: &mut File) -> String {
    let mut text = String::new();
    let holder = match file.read_to_string(&mut text) {
        Ok(_) if !text.trim().is_empty() => format!("process {}", text.trim()),
        _ => "another process".to_owned(),
    };
    format!(
        "the state dir {} is in use by {holder} (another tc queue serve); stop it, or give this server another --state-dir",
        state_dir.display()
    )
}

//! The live log (worker.md §6): tc's `[tc]` lines and the task's output, masked, to the
//! terminal and to the saved log file as it arrives.

use std::fs::File;
use std::io::Write;
use std::path::Path;

use super::mask::Masker;

/// Where the live log goes on this machine.
pub enum Terminal {
    Stdout,
    Stderr,
    Nowhere,
}

pub struct LiveLog {
    masker: Masker,
    terminal: Terminal,
    saved: Option<File>,
}

impl LiveLog {
    pub fn new(masker: Masker, terminal: Terminal) -> LiveLog {
        LiveLog {
            masker,
            terminal,
            saved: None,
        }
    }

    /// Starts appending to the saved log (`None` when the payload turned it off).
    pub fn save_to(&mut self, path: Option<&Path>) -> std::io::Result<()> {
        self.saved = match path {
            Some(p) => {
                if let Some(parent) = p.parent() {
                    std::fs::create_dir_all(parent)?;
                }
                Some(
                    std::fs::OpenOptions::new()
                        .create_new(true)
                        .append(true)
                        .open(p)?,
                )
            }
            None => None,
        };
        Ok(())
    }

    pub fn masker(&self) -> &Masker {
        &self.masker
    }

    fn emit(&mut self, bytes: &[u8]) {
        if bytes.is_empty() {
            return;
        }
        match self.terminal {
            Terminal::Stdout => {
                let mut out = std::io::stdout().lock();
                let _ = out.write_all(bytes);
                let _ = out.flush();
            }
            Terminal::Stderr => {
                let mut out = std::io::stderr().lock();
                let _ = out.write_all(bytes);
            }
            Terminal::Nowhere => {}
        }
        if let Some(f) = self.saved.as_mut() {
            let _ = f.write_all(bytes);
        }
    }

    /// Task output, byte for byte (masked).
    pub fn output(&mut self, bytes: &[u8]) {
        let masked = self.masker.push(bytes);
        self.emit(&masked);
    }

    /// One `[tc] ` line. Output held back by the masker is written first.
    pub fn line(&mut self, text: &str) {
        let held = self.masker.finish();
        self.emit(&held);
        let masked = self.masker.mask_str(text);
        self.emit(format!("[tc] {masked}\n").as_bytes());
    }

    /// Writes whatever the masker still holds and syncs the saved log.
    pub fn flush(&mut self) {
        let held = self.masker.finish();
        self.emit(&held);
        if let Some(f) = self.saved.as_mut() {
            let _ = f.sync_data();
        }
    }
}

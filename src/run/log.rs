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
    /// `[<name>] ` before every terminal line when several tasks share the terminal.
    prefix: Option<String>,
    /// A partial terminal line waiting for its newline (prefixed mode only).
    pending: Vec<u8>,
}

impl LiveLog {
    pub fn new(masker: Masker, terminal: Terminal, prefix: Option<String>) -> LiveLog {
        LiveLog {
            masker,
            terminal,
            saved: None,
            prefix,
            pending: Vec::new(),
        }
    }

    /// Whether a partial line is waiting (the caller flushes it after 500 ms of silence).
    pub fn has_partial_line(&self) -> bool {
        !self.pending.is_empty()
    }

    /// Writes a waiting partial line, prefixed, ending it with a newline.
    pub fn flush_partial_line(&mut self) {
        if self.pending.is_empty() {
            return;
        }
        let mut line = std::mem::take(&mut self.pending);
        line.push(b'\n');
        self.write_terminal_lines(&line);
    }

    fn write_terminal(&self, bytes: &[u8]) {
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
    }

    /// Complete lines only, each with the prefix, in one write so tasks do not interleave.
    fn write_terminal_lines(&mut self, bytes: &[u8]) {
        let Some(prefix) = &self.prefix else {
            return self.write_terminal(bytes);
        };
        self.pending.extend_from_slice(bytes);
        let Some(last) = self.pending.iter().rposition(|b| *b == b'\n') else {
            return;
        };
        let rest = self.pending.split_off(last + 1);
        let mut out = Vec::with_capacity(self.pending.len() + 16);
        for line in self.pending.split_inclusive(|b| *b == b'\n') {
            out.extend_from_slice(prefix.as_bytes());
            out.extend_from_slice(line);
        }
        self.pending = rest;
        self.write_terminal(&out);
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
        self.write_terminal_lines(bytes);
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
        self.flush_partial_line();
        if let Some(f) = self.saved.as_mut() {
            let _ = f.sync_data();
        }
    }
}

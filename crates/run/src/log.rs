//! The live log (worker.md §6): tc's `[tc]` lines and the task's output, masked, to the
//! terminal and to the saved log file as it arrives.

use std::fs::File;
use std::io::Write;

use sha2::{Digest, Sha256};

use super::mask::Masker;

/// Where the live log goes on this machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Terminal {
    Stdout,
    Stderr,
    Nowhere,
}

pub struct LiveLog {
    masker: Masker,
    terminal: Terminal,
    saved: Option<SavedLog>,
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

    /// Starts writing the saved log to `file` (created in the artifacts directory).
    pub fn save_to(&mut self, file: File) {
        self.saved = Some(SavedLog::start(file));
    }

    fn emit(&mut self, bytes: &[u8]) {
        if bytes.is_empty() {
            return;
        }
        self.write_terminal_lines(bytes);
        if let Some(saved) = &self.saved {
            saved.write(bytes);
        }
    }

    /// Closes the saved log; returns its size and sha256.
    pub fn finish_saved(&mut self) -> Option<(u64, String)> {
        self.saved.take().map(SavedLog::finish)
    }

    /// Task output, byte for byte (masked). Takes the chunk so that, with nothing to mask,
    /// the same buffer goes on to the saved log without a copy.
    pub fn output(&mut self, bytes: Vec<u8>) {
        if self.masker.is_empty() {
            if bytes.is_empty() {
                return;
            }
            self.write_terminal_lines(&bytes);
            if let Some(saved) = &self.saved {
                saved.send(bytes);
            }
            return;
        }
        let masked = self.masker.push(&bytes).into_owned();
        self.emit(&masked);
    }

    /// One `[tc] ` line. Output held back by the masker is written first.
    pub fn line(&mut self, text: &str) {
        let held = self.masker.finish();
        self.emit(&held);
        let masked = self.masker.mask_str(text);
        self.emit(format!("[tc] {masked}\n").as_bytes());
    }

    /// One line as it is (image build output carries its own prefix).
    pub fn raw_line(&mut self, text: &str) {
        let held = self.masker.finish();
        self.emit(&held);
        let masked = self.masker.mask_str(text);
        self.emit(format!("{masked}\n").as_bytes());
    }

    /// Writes whatever the masker still holds.
    pub fn flush(&mut self) {
        let held = self.masker.finish();
        self.emit(&held);
        self.flush_partial_line();
    }
}

/// The saved log is written, and hashed, on a thread of its own so a task that prints a lot
/// is not slowed down by the disk.
struct SavedLog {
    tx: std::sync::mpsc::SyncSender<Vec<u8>>,
    done: std::thread::JoinHandle<(u64, String)>,
}

impl SavedLog {
    fn start(mut file: File) -> SavedLog {
        let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<u8>>(64);
        let done = std::thread::spawn(move || {
            let mut hash = Sha256::new();
            let mut size = 0u64;
            for chunk in rx {
                let _ = file.write_all(&chunk);
                hash.update(&chunk);
                size += chunk.len() as u64;
            }
            (size, hex::encode(hash.finalize()))
        });
        SavedLog { tx, done }
    }

    fn write(&self, bytes: &[u8]) {
        self.send(bytes.to_vec());
    }

    fn send(&self, bytes: Vec<u8>) {
        let _ = self.tx.send(bytes);
    }

    fn finish(self) -> (u64, String) {
        drop(self.tx);
        self.done.join().unwrap_or_default()
    }
}

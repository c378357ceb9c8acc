//! Printing: the `--format` choice, JSON/YAML documents, tables and error rendering.

pub mod render_error;
pub mod table;
pub mod trysyntax;

use std::io::{IsTerminal, Write};

use serde::Serialize;

use crate::error::Result;

/// How a command prints its data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Tables and text for people (not a stable interface).
    Human,
    /// One JSON document on stdout (stable, documented).
    Json,
    /// The same document as YAML.
    Yaml,
}

/// Whether to colour output on stderr: a terminal, and `NO_COLOR` unset or empty.
pub fn use_color() -> bool {
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && std::io::stderr().is_terminal()
}

/// Whether to colour what goes to stdout: a terminal, and `NO_COLOR` unset or empty.
pub fn use_color_on_stdout() -> bool {
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && std::io::stdout().is_terminal()
}

/// Prints a serialisable document as JSON (one line) or YAML on stdout.
pub fn print_document<T: Serialize>(format: Format, doc: &T) -> Result<()> {
    let mut out = std::io::stdout().lock();
    if format == Format::Yaml {
        let text =
            serde_saphyr::to_string(doc).map_err(|e| std::io::Error::other(e.to_string()))?;
        out.write_all(text.as_bytes())?;
        if !text.ends_with('\n') {
            out.write_all(b"\n")?;
        }
    } else {
        serde_json::to_writer(&mut out, doc).map_err(std::io::Error::other)?;
        out.write_all(b"\n")?;
    }
    out.flush()?;
    Ok(())
}

/// Prints lines of text on stdout.
pub fn print_text(text: &str) -> Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())?;
    if !text.is_empty() && !text.ends_with('\n') {
        out.write_all(b"\n")?;
    }
    out.flush()?;
    Ok(())
}

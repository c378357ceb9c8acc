//! `--format` as each command takes it: only the formats that command prints, so that help and
//! completions list those alone. `tc graph` has its own (`cli/graph.rs`).

use crate::output::Format;

/// The formats of a command that prints one document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DocumentFormat {
    /// Tables and text for people (not a stable interface).
    Human,
    /// One JSON document on stdout (stable, documented).
    Json,
    /// The same document as YAML.
    Yaml,
}

/// `--format human|json|yaml`; global, so that a command with subcommands also takes it after
/// them (`tc slugid decode X --format json`).
#[derive(Debug, Clone, Copy, clap::Args)]
pub struct DocumentFormatArg {
    /// Output format: `human` for people, `json` or `yaml` for scripts.
    #[arg(long, global = true, value_enum, default_value_t = DocumentFormat::Human)]
    pub format: DocumentFormat,
}

/// The formats of `tc run-local`: its report for people, or the run summary as JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ReportFormat {
    /// Progress, the log and a summary for people (not a stable interface).
    Human,
    /// The run summary as one JSON document on stdout (stable, documented).
    Json,
}

/// `--format human|json`.
#[derive(Debug, Clone, Copy, clap::Args)]
pub struct ReportFormatArg {
    /// Output format: `human` for people, `json` for scripts.
    #[arg(long, value_enum, default_value_t = ReportFormat::Human)]
    pub format: ReportFormat,
}

impl From<DocumentFormat> for Format {
    fn from(format: DocumentFormat) -> Format {
        match format {
            DocumentFormat::Human => Format::Human,
            DocumentFormat::Json => Format::Json,
            DocumentFormat::Yaml => Format::Yaml,
        }
    }
}

impl From<ReportFormat> for Format {
    fn from(format: ReportFormat) -> Format {
        match format {
            ReportFormat::Human => Format::Human,
            ReportFormat::Json => Format::Json,
        }
    }
}

impl DocumentFormatArg {
    pub fn get(self) -> Format {
        self.format.into()
    }
}

impl ReportFormatArg {
    pub fn get(self) -> Format {
        self.format.into()
    }
}

//! `tc from-now DURATION [--from TS]` (queue-api.md §8.2).

use super::format::DocumentFormatArg;
use chrono::Utc;
use serde_json::json;

use crate::error::{Error, Result};
use crate::output::{self, Format};
use tc_taskdef::reltime;

#[derive(Debug, clap::Args)]
pub struct FromNowArgs {
    /// A duration such as `1 day`, `-2h 30min` or `3 months` (months are 30 days, years 365).
    #[arg(allow_hyphen_values = true)]
    pub duration: String,

    /// Start from this RFC 3339 time instead of now.
    #[arg(long, value_name = "TS")]
    pub from: Option<String>,

    #[command(flatten)]
    pub format: DocumentFormatArg,
}

pub(super) fn run(args: FromNowArgs, format: Format) -> Result<i32> {
    let base = match &args.from {
        Some(ts) => reltime::parse_timestamp(ts).map_err(|e| Error::Usage(e.to_string()))?,
        None => Utc::now(),
    };
    let delta = reltime::parse_duration(&args.duration).map_err(|e| Error::Usage(e.to_string()))?;
    let time = reltime::format_timestamp(
        reltime::add(base, delta).map_err(|e| Error::Usage(e.to_string()))?,
    );
    match format {
        Format::Human => output::print_text(&time)?,
        _ => output::print_document(format, &json!({ "time": time }))?,
    }
    Ok(0)
}

//! `tc slugid`: new slugids, and conversion to and from UUIDs (queue-api.md §8.2).

use super::format::DocumentFormatArg;
use clap::Subcommand;
use serde_json::json;

use crate::error::{Error, Result};
use crate::output::{self, Format};
use tc_taskdef::slugid;

#[derive(Debug, clap::Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct SlugidArgs {
    /// How many slugids to print.
    #[arg(short = 'n', long = "count", default_value_t = 1, value_name = "N")]
    pub count: usize,

    /// Draw from all v4 slugids, which may start with `-`, instead of nice ones (`[A-Za-f]` first).
    #[arg(long)]
    pub v4: bool,

    #[command(subcommand)]
    pub action: Option<SlugidAction>,

    #[command(flatten)]
    pub format: DocumentFormatArg,
}

#[derive(Debug, Subcommand)]
pub enum SlugidAction {
    /// Print the UUID a slugid encodes.
    Decode {
        /// A v4 slugid, like `gE8_yN_LTs2mvuasaq9Nbw`.
        #[arg(allow_hyphen_values = true)]
        slugid: String,
    },
    /// Print the slugid of a v4 UUID.
    Encode {
        /// A v4 UUID, like `804f3fc8-dfcb-4ecd-a6be-e6ac6aaf4d6f`.
        uuid: String,
    },
}

pub(super) fn run(args: SlugidArgs, format: Format) -> Result<i32> {
    match args.action {
        None => {
            let make = if args.v4 { slugid::v4 } else { slugid::nice };
            let ids: Vec<String> = (0..args.count).map(|_| make()).collect();
            match format {
                Format::Human => output::print_text(&ids.join("\n"))?,
                _ => output::print_document(format, &json!({ "slugids": ids }))?,
            }
        }
        Some(SlugidAction::Decode { slugid: s }) => {
            let uuid = slugid::decode(&s)
                .map_err(|e| Error::Usage(e.to_string()))?
                .to_string();
            match format {
                Format::Human => output::print_text(&uuid)?,
                _ => output::print_document(format, &json!({ "slugid": s, "uuid": uuid }))?,
            }
        }
        Some(SlugidAction::Encode { uuid }) => {
            let s = slugid::encode(&uuid).map_err(|e| Error::Usage(e.to_string()))?;
            match format {
                Format::Human => output::print_text(&s)?,
                _ => output::print_document(format, &json!({ "slugid": s, "uuid": uuid }))?,
            }
        }
    }
    Ok(0)
}

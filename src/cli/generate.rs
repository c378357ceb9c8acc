//! `tc completions SHELL` and `tc man [--out-dir DIR]`: generated from the clap definitions.
//! The generated files are committed under `completions/` and `man/`.

use std::path::PathBuf;

use clap_complete::Shell;

use crate::error::{Error, Result};

#[derive(Debug, clap::Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: Shell,
}

#[derive(Debug, clap::Args)]
pub struct ManArgs {
    /// Write `tc.1` and a page per subcommand (`tc-try-parse.1`, ...) into this directory
    /// instead of printing `tc.1`.
    #[arg(long, value_name = "DIR")]
    pub out_dir: Option<PathBuf>,
}

pub(super) fn completions(args: CompletionsArgs) -> i32 {
    let mut cmd = super::command();
    clap_complete::generate(args.shell, &mut cmd, "tc", &mut std::io::stdout());
    0
}

pub(super) fn man(args: ManArgs) -> Result<i32> {
    let cmd = super::command();
    match args.out_dir {
        Some(dir) => {
            std::fs::create_dir_all(&dir)
                .map_err(|e| Error::Usage(format!("cannot create {}: {e}", dir.display())))?;
            clap_mangen::generate_to(cmd, &dir)?;
        }
        None => clap_mangen::Man::new(cmd).render(&mut std::io::stdout())?,
    }
    Ok(0)
}

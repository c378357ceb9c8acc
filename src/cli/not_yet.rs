//! Commands that later work fills in: they take their arguments and exit 2 saying so.

use crate::error::{Error, Result};

/// Arguments of a command that is not implemented yet.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Arguments (this command is not implemented yet).
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    pub args: Vec<String>,
}

/// The one-line refusal of a command that is not there yet (exit 2).
pub fn fail(command: &'static str, when: &'static str) -> Result<i32> {
    Err(Error::NotImplemented { command, when })
}

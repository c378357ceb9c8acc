//! Commands that later work fills in: they take their arguments and exit 2 saying so.

use clap::Subcommand;

use crate::error::{Error, Result};

/// Arguments of a command that is not implemented yet.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Arguments (this command is not implemented yet).
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    pub args: Vec<String>,
}

#[derive(Debug, Subcommand)]
pub enum TaskCommand {
    /// State, runs and deadline of a task.
    Status(Args),
    /// A task's definition as JSON.
    Def(Args),
    /// A task's log, optionally followed until it resolves.
    Log(Args),
    /// List or download a task's artifacts.
    Artifacts(Args),
    /// Cancel a task.
    Cancel(Args),
    /// Run a resolved task again.
    Rerun(Args),
    /// Create a new task from a task's definition.
    Retrigger(Args),
}

#[derive(Debug, Subcommand)]
pub enum GroupCommand {
    /// Counts per state and the failed tasks of a group.
    Status(Args),
    /// The tasks of a group.
    List(Args),
    /// Cancel a group's unresolved tasks.
    Cancel(Args),
    /// Seal a group so that no task can be added.
    Seal(Args),
}

/// The one-line refusal of a command that is not there yet (exit 2).
pub fn fail(command: &'static str, when: &'static str) -> Result<i32> {
    Err(Error::NotImplemented { command, when })
}

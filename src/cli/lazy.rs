//! A subcommand whose clap definition is built only when it is the one parsed: building every
//! subcommand's arguments took ~0.4 ms of each tc run (`tc --version` 1.8 → 1.4 ms).

use std::sync::atomic::{AtomicBool, Ordering};

use clap::{ArgMatches, Args, Command, FromArgMatches, Subcommand};

/// Set for good once the whole tree is wanted as it is: completions and man pages list the
/// `help` subcommand's tree, which clap makes from the subcommands before deferred ones grow.
static WHOLE: AtomicBool = AtomicBool::new(false);

/// From now on, subcommands are built with their parent.
pub(super) fn build_whole_tree() {
    WHOLE.store(true, Ordering::Relaxed);
}

/// `add` on `cmd` now when the whole tree is wanted, else when `cmd` is built.
fn deferred(cmd: Command, add: fn(Command) -> Command) -> Command {
    if WHOLE.load(Ordering::Relaxed) {
        add(cmd)
    } else {
        cmd.defer(add)
    }
}

/// `T`'s arguments (or subcommands), added to its command by clap's `defer` when that command
/// is built: when it is parsed, or when completions, man pages or `--help` walk the tree.
#[derive(Debug)]
pub struct Lazy<T>(pub T);

impl<T: FromArgMatches> FromArgMatches for Lazy<T> {
    fn from_arg_matches(matches: &ArgMatches) -> Result<Self, clap::Error> {
        T::from_arg_matches(matches).map(Lazy)
    }

    fn update_from_arg_matches(&mut self, matches: &ArgMatches) -> Result<(), clap::Error> {
        self.0.update_from_arg_matches(matches)
    }
}

/// `add` on `cmd`, keeping the about texts `cmd` already has: clap's derive sets a variant's doc
/// comment after the arguments, so it wins over a flattened struct's.
fn keeping_about(cmd: Command, add: fn(Command) -> Command) -> Command {
    let about = cmd.get_about().cloned();
    let long_about = cmd.get_long_about().cloned();
    let cmd = add(cmd);
    let cmd = match about {
        Some(text) => cmd.about(text),
        None => cmd.about(None::<&'static str>),
    };
    match long_about {
        Some(text) => cmd.long_about(text),
        None => cmd.long_about(None::<&'static str>),
    }
}

impl<T: Args> Args for Lazy<T> {
    fn group_id() -> Option<clap::Id> {
        T::group_id()
    }

    fn augment_args(cmd: Command) -> Command {
        deferred(cmd, |cmd| keeping_about(cmd, T::augment_args))
    }

    fn augment_args_for_update(cmd: Command) -> Command {
        deferred(cmd, |cmd| keeping_about(cmd, T::augment_args_for_update))
    }
}

impl<T: Subcommand> Subcommand for Lazy<T> {
    fn augment_subcommands(cmd: Command) -> Command {
        deferred(cmd, |cmd| keeping_about(cmd, T::augment_subcommands))
    }

    fn augment_subcommands_for_update(cmd: Command) -> Command {
        deferred(cmd, |cmd| {
            keeping_about(cmd, T::augment_subcommands_for_update)
        })
    }

    fn has_subcommand(name: &str) -> bool {
        T::has_subcommand(name)
    }
}

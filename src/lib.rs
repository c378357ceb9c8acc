//! tc: TaskCluster for a developer's terminal. This crate is the command line alone: `cli`
//! parses it and calls the domain crates (`tc-try`, `tc-graph`, `tc-run`, …; ARCHITECTURE.md),
//! `output` prints, `error` is the one error type every command returns.

pub mod cli;
pub mod error;
pub mod output;

/// Runs tc with the process's arguments and returns its exit status.
pub fn main() -> i32 {
    use clap::Parser;
    let cli = match cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                tc_run::exit_codes::USAGE
            } else {
                tc_run::exit_codes::OK
            };
        }
    };
    let format = cli.command.format();
    match cli::run(cli) {
        Ok(code) => code,
        Err(err) => {
            output::render_error::render(&err, format);
            err.exit_code()
        }
    }
}

//! tc: TaskCluster for a developer's terminal. The binary is a thin shell over this library:
//! `cli` parses the command line, the domain modules do the work, `output` prints.

pub mod cli;
pub mod engine;
pub mod error;
pub mod exit_codes;
pub mod graph;
pub mod output;
pub mod queue;
pub mod run;
pub mod scopes;
pub mod taskdef;
pub mod trysyntax;
pub mod worker;

/// Runs tc with the process's arguments and returns its exit status.
pub fn main() -> i32 {
    use clap::Parser;
    let cli = match cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                exit_codes::USAGE
            } else {
                exit_codes::OK
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

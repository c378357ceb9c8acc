//! The errors of tc-run that reach the command line, in one type, and how an error with its
//! causes reads on one line (the live log, artifact records and warnings are text).
//!
//! Each concern has its own error type next to its code (`input::InputError`,
//! `env::EnvError`, `artifacts::ArtifactsDirError`, …); a run itself ends in an
//! `outcome::TaskError`, whose reason is the task's outcome (worker.md §11), never an error
//! of tc. The command line maps every `RunError` to exit status 2: each is bad input.

use crate::artifacts::ArtifactsDirError;
use crate::develop::DevelopError;
use crate::env::{AssignmentError, DotenvError, EnvError};
use crate::input::InputError;
use crate::label::{DepError, TaskLabelError};
use crate::script::ScriptError;

/// Bad input to a local run: the task, the command line or the files it names.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum RunError {
    #[error(transparent)]
    #[diagnostic(transparent)]
    Input(#[from] InputError),

    #[error(transparent)]
    #[diagnostic(transparent)]
    Label(#[from] TaskLabelError),

    #[error(transparent)]
    #[diagnostic(transparent)]
    Dep(#[from] DepError),

    #[error(transparent)]
    #[diagnostic(transparent)]
    Develop(#[from] DevelopError),

    #[error(transparent)]
    #[diagnostic(transparent)]
    Env(#[from] EnvError),

    #[error(transparent)]
    #[diagnostic(transparent)]
    Assignment(#[from] AssignmentError),

    /// Boxed: it carries the file's text for its snippet.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Dotenv(#[from] Box<DotenvError>),

    #[error(transparent)]
    #[diagnostic(transparent)]
    ArtifactsDir(#[from] ArtifactsDirError),

    #[error(transparent)]
    #[diagnostic(transparent)]
    Script(#[from] ScriptError),
}

/// `error: cause: cause…` on one line, each cause once (a message that already holds its
/// cause's text does not repeat it).
pub fn chain(error: &dyn std::error::Error) -> String {
    let mut out = error.to_string();
    let mut source = error.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = s.source();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::chain;

    #[derive(Debug, thiserror::Error)]
    #[error("cannot read {path}")]
    struct Outer {
        path: &'static str,
        #[source]
        source: std::io::Error,
    }

    #[derive(Debug, thiserror::Error)]
    #[error("reading: {0}")]
    struct Repeats(#[source] std::io::Error);

    #[test]
    fn causes_follow_on_one_line_each_once() {
        let e = Outer {
            path: "a.txt",
            source: std::io::Error::other("disk on fire"),
        };
        assert_eq!(chain(&e), "cannot read a.txt: disk on fire");
        let e = Repeats(std::io::Error::other("gone"));
        assert_eq!(chain(&e), "reading: gone");
    }
}

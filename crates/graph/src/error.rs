//! Why a graph cannot be made (taskgraph.md §4.8, §5), as a miette diagnostic: bad input with
//! the file's line under its label, input tc refuses to approximate, or try syntax.

use std::fmt;

use miette::{Diagnostic, LabeledSpan, NamedSource, SourceCode, SourceSpan};

use super::yaml::Span;

/// Which input is bad: the diagnostic's code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InvalidKind {
    /// YAML that does not parse or construct (a kind, config or parameters file).
    Yaml,
    /// `config.yml`.
    Config,
    /// The parameters.
    Parameters,
    /// A kind: its loader, transforms, dependencies or `tasks`.
    Kind,
    /// A task of a kind, through the transforms (a duplicate label too).
    Task,
    /// The dependency edges: a missing dependency or a loop.
    Dependencies,
    /// One of taskgraph's verifications of the full graph.
    Verification,
    /// The target task set.
    Target,
    /// The optimized graph.
    Optimization,
}

impl InvalidKind {
    pub fn code(self) -> &'static str {
        match self {
            InvalidKind::Yaml => "tc::graph::yaml",
            InvalidKind::Config => "tc::graph::config",
            InvalidKind::Parameters => "tc::graph::parameters",
            InvalidKind::Kind => "tc::graph::kind",
            InvalidKind::Task => "tc::graph::task",
            InvalidKind::Dependencies => "tc::graph::dependencies",
            InvalidKind::Verification => "tc::graph::verification",
            InvalidKind::Target => "tc::graph::target",
            InvalidKind::Optimization => "tc::graph::optimization",
        }
    }
}

/// A position's file as a diagnostic shows it: the text and the position's span in it.
#[derive(Debug, Clone)]
pub struct Shown {
    source: NamedSource<String>,
    span: SourceSpan,
}

impl Shown {
    /// Reads `at`'s file again: the graph keeps no file's text for the one error that may come.
    /// `None` when the file cannot be read (a name that is no file, or gone since).
    fn read(at: &Span) -> Option<Shown> {
        let text = std::fs::read_to_string(at.file).ok()?;
        let offset = tc_taskdef::document::offset_of(&text, at.line.into(), at.col.into());
        let len = token_len(&text[offset..]);
        Some(Shown {
            source: NamedSource::new(at.file, text),
            span: (offset, len).into(),
        })
    }
}

/// The length of the YAML token `rest` starts with, to underline: a quoted scalar to its
/// closing quote, else up to a space, a flow indicator or a `:` that ends a key; at least one
/// character.
fn token_len(rest: &str) -> usize {
    let line = rest.split('\n').next().unwrap_or_default();
    let first = line.chars().next().map_or(0, char::len_utf8);
    let end = match line.chars().next() {
        Some(quote @ ('\'' | '"')) => line[1..].find(quote).map_or(line.len(), |i| i + 2),
        _ => line
            .char_indices()
            .find(|&(i, c)| {
                c.is_whitespace()
                    || matches!(c, ',' | '[' | ']' | '{' | '}')
                    || (c == ':' && line[i + 1..].chars().next().is_none_or(char::is_whitespace))
            })
            .map_or(line.len(), |(i, _)| i),
    };
    end.max(first)
}

/// Why a graph cannot be made: bad input (exit 2), input tc does not run (exit 3), or try
/// syntax (exit 2).
#[derive(Debug, thiserror::Error)]
pub enum GraphError {
    #[error("{message}")]
    Invalid {
        kind: InvalidKind,
        message: String,
        /// The offending node's position.
        at: Option<Span>,
        /// `in kind '<k>', task '<key>'`.
        context: Option<String>,
        /// What to do about it, beyond the message.
        help: Option<String>,
        /// `at`'s file and span, when it could be read. Boxed: the error is returned through
        /// calls made for every task.
        shown: Option<Box<Shown>>,
    },
    /// One line per thing refused, every kind checked first.
    #[error("{}", .0.join("\n"))]
    Unsupported(Vec<String>),
    /// Try syntax that does not parse or resolve against the graph (try-syntax.md §9).
    #[error("{}", error.message)]
    Try {
        error: tc_try::TryError,
        /// The try text the error's offsets index.
        text: String,
    },
}

impl GraphError {
    /// Bad input with no position (exit 2).
    pub fn invalid(kind: InvalidKind, message: impl Into<String>) -> GraphError {
        GraphError::invalid_at(kind, message, None)
    }

    /// Bad input at `at`, whose file is read to show the place.
    pub fn invalid_at(
        kind: InvalidKind,
        message: impl Into<String>,
        at: Option<Span>,
    ) -> GraphError {
        let shown = at.as_ref().and_then(Shown::read).map(Box::new);
        GraphError::Invalid {
            kind,
            message: message.into(),
            at,
            context: None,
            help: None,
            shown,
        }
    }

    /// The error with the task it concerns (bad input only).
    #[must_use]
    pub fn in_context(mut self, task: String) -> GraphError {
        if let GraphError::Invalid { context, .. } = &mut self {
            *context = Some(task);
        }
        self
    }

    /// The error with a hint of what to do (bad input only).
    #[must_use]
    pub fn with_help(mut self, hint: impl Into<String>) -> GraphError {
        if let GraphError::Invalid { help, .. } = &mut self {
            *help = Some(hint.into());
        }
        self
    }
}

/// How the help of bad input reads: the task it concerns, the position when the file could
/// not be shown, and the hint.
struct InvalidHelp<'a> {
    context: Option<&'a str>,
    unshown: Option<&'a Span>,
    hint: Option<&'a str>,
}

impl fmt::Display for InvalidHelp<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // One line each, in this order.
        let mut separator = "";
        if let Some(context) = self.context {
            f.write_str(context)?;
            separator = "\n";
        }
        if let Some(at) = self.unshown {
            write!(f, "{separator}at {at}")?;
            separator = "\n";
        }
        if let Some(hint) = self.hint {
            write!(f, "{separator}{hint}")?;
        }
        Ok(())
    }
}

const UNSUPPORTED_HELP: &str = "tc makes only the graphs it can make exactly as taskgraph does \
     (taskgraph.md §5): run taskgraph for this one";

impl Diagnostic for GraphError {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        match self {
            GraphError::Invalid { kind, .. } => Some(Box::new(kind.code())),
            GraphError::Unsupported(_) => Some(Box::new("tc::graph::unsupported")),
            GraphError::Try { error, .. } => error.code(),
        }
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        match self {
            GraphError::Invalid {
                at,
                context,
                help,
                shown,
                ..
            } => {
                let help = InvalidHelp {
                    context: context.as_deref(),
                    unshown: at.as_ref().filter(|_| shown.is_none()),
                    hint: help.as_deref(),
                };
                let any = help.context.is_some() || help.unshown.is_some() || help.hint.is_some();
                any.then(|| Box::new(help) as Box<dyn fmt::Display>)
            }
            GraphError::Unsupported(_) => Some(Box::new(UNSUPPORTED_HELP)),
            GraphError::Try { error, .. } => error.help(),
        }
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        match self {
            GraphError::Invalid { shown, .. } => {
                shown.as_deref().map(|s| &s.source as &dyn SourceCode)
            }
            GraphError::Unsupported(_) => None,
            GraphError::Try { error, .. } => error.source_code(),
        }
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        match self {
            GraphError::Invalid { shown, .. } => {
                let span = shown.as_deref()?.span;
                Some(Box::new(std::iter::once(LabeledSpan::new_with_span(
                    Some("here".to_owned()),
                    span,
                ))))
            }
            GraphError::Unsupported(_) => None,
            GraphError::Try { error, .. } => error.labels(),
        }
    }
}

#[cfg(test)]
mod tests {
    use miette::Diagnostic;

    use super::{GraphError, InvalidKind, token_len};
    use crate::yaml::{Span, intern};

    #[test]
    fn bad_input_shows_its_file_at_the_position() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("kind.yml");
        std::fs::write(&path, "tasks:\n  a:\n    dependencies: {x: nope}\n").unwrap();
        let file = intern(&path.display().to_string());
        let at = Span {
            file,
            line: 3,
            col: 23,
        };
        let e = GraphError::invalid_at(InvalidKind::Dependencies, "no task 'nope'", Some(at))
            .in_context("in kind 'k', task 'a'".to_owned());
        assert_eq!(e.to_string(), "no task 'nope'");
        assert_eq!(e.code().unwrap().to_string(), "tc::graph::dependencies");
        assert_eq!(e.help().unwrap().to_string(), "in kind 'k', task 'a'");
        let label = e.labels().unwrap().next().unwrap();
        let contents = e
            .source_code()
            .unwrap()
            .read_span(label.inner(), 0, 0)
            .unwrap();
        assert_eq!(contents.name(), Some(file));
        assert_eq!((contents.line() + 1, contents.column() + 1), (3, 23));
        assert_eq!(String::from_utf8_lossy(contents.data()), "nope");
    }

    #[test]
    fn without_its_file_bad_input_says_where_in_the_help() {
        let at = Span {
            file: "no/such/kind.yml",
            line: 2,
            col: 5,
        };
        let e = GraphError::invalid_at(InvalidKind::Kind, "bad", Some(at)).with_help("fix it");
        assert!(e.source_code().is_none() && e.labels().is_none());
        assert_eq!(
            e.help().unwrap().to_string(),
            "at no/such/kind.yml:2:5\nfix it"
        );
        let e = GraphError::Unsupported(vec!["a".into(), "b".into()]);
        assert_eq!(e.to_string(), "a\nb");
        assert_eq!(e.code().unwrap().to_string(), "tc::graph::unsupported");
    }

    #[test]
    fn a_label_underlines_the_token_at_the_position() {
        assert_eq!(token_len("build-missing\n  next: x"), "build-missing".len());
        assert_eq!(token_len("thing:\n"), "thing".len());
        assert_eq!(token_len("a:b, c]"), "a:b".len());
        assert_eq!(token_len("'a b': c"), "'a b'".len());
        assert_eq!(token_len("[x, y]"), 1);
        assert_eq!(token_len("\n"), 0);
        assert_eq!(token_len(""), 0);
    }
}

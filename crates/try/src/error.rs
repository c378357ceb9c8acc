//! Errors of the try pipeline, each with a stable `kind` (try-syntax.md §7).

use std::fmt;
use std::ops::Range;

/// The stable error kinds of try-syntax.md §7, input problems included.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ErrorKind {
    UnclosedQuote,
    DanglingEscape,
    MissingValue,
    InvalidInt,
    AmbiguousPrefix,
    BadSetenv,
    UnexpectedValue,
    UnknownBuildType,
    UnknownPlatform,
    EmptyPlatformItem,
    BadBrackets,
    Unreadable,
    BadContext,
    BadJson,
    NoMessage,
}

impl ErrorKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::UnclosedQuote => "tokenize:unclosed-quote",
            ErrorKind::DanglingEscape => "tokenize:dangling-escape",
            ErrorKind::MissingValue => "options:missing-value",
            ErrorKind::InvalidInt => "options:invalid-int",
            ErrorKind::AmbiguousPrefix => "options:ambiguous-prefix",
            ErrorKind::BadSetenv => "options:bad-setenv",
            ErrorKind::UnexpectedValue => "options:unexpected-value",
            ErrorKind::UnknownBuildType => "resolve:unknown-build-type",
            ErrorKind::UnknownPlatform => "resolve:unknown-platform",
            ErrorKind::EmptyPlatformItem => "resolve:empty-platform-item",
            ErrorKind::BadBrackets => "resolve:bad-brackets",
            ErrorKind::Unreadable => "input:unreadable",
            ErrorKind::BadContext => "input:bad-context",
            ErrorKind::BadJson => "input:bad-json",
            ErrorKind::NoMessage => "input:no-message",
        }
    }

    /// Tokenize errors point at one character, the others underline a whole token.
    pub fn is_tokenize(self) -> bool {
        matches!(self, ErrorKind::UnclosedQuote | ErrorKind::DanglingEscape)
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One error of the try pipeline. `span` is the byte range of the responsible token in the
/// try text; `offset()` is its start (null in JSON when no token is responsible). `text` is
/// the try text itself once [`crate::parse`] or [`crate::locate`] returns the error: the
/// diagnostic's source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TryError {
    pub kind: ErrorKind,
    pub message: String,
    pub span: Option<Range<usize>>,
    pub text: Option<String>,
}

impl TryError {
    pub fn new(kind: ErrorKind, message: impl Into<String>, span: Option<Range<usize>>) -> Self {
        TryError {
            kind,
            message: message.into(),
            span,
            text: None,
        }
    }

    /// The error with the try text its span indexes.
    #[must_use]
    pub fn in_text(mut self, text: &str) -> Self {
        self.text = Some(text.to_owned());
        self
    }

    pub fn offset(&self) -> Option<usize> {
        self.span.as_ref().map(|s| s.start)
    }

    /// The span as miette takes it: a tokenize error points at one character, the others
    /// underline their token (try-syntax.md §9).
    fn source_span(&self) -> Option<miette::SourceSpan> {
        let span = self.span.as_ref()?;
        let text = self.text.as_deref()?;
        let len = if self.kind.is_tokenize() {
            text.get(span.start..)?
                .chars()
                .next()
                .map_or(0, char::len_utf8)
        } else {
            span.len()
        };
        Some((span.start, len).into())
    }
}

impl fmt::Display for TryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "error[{}]: {}", self.kind, self.message)
    }
}

impl std::error::Error for TryError {}

impl ErrorKind {
    /// What the label under the offending token says.
    fn label(self) -> &'static str {
        match self {
            ErrorKind::UnclosedQuote => "this quote is never closed",
            ErrorKind::DanglingEscape => "this backslash escapes nothing",
            ErrorKind::MissingValue => "this option needs a value",
            ErrorKind::InvalidInt => "not a whole number",
            ErrorKind::AmbiguousPrefix => "more than one option starts so",
            ErrorKind::BadSetenv => "not NAME=VALUE",
            ErrorKind::UnexpectedValue => "this flag takes no value",
            ErrorKind::UnknownBuildType => "not a build type of the graph",
            ErrorKind::UnknownPlatform => "not a platform of the graph",
            ErrorKind::EmptyPlatformItem => "an empty bracket item",
            ErrorKind::BadBrackets => "malformed brackets",
            ErrorKind::Unreadable | ErrorKind::BadContext | ErrorKind::BadJson => "here",
            ErrorKind::NoMessage => "no try message",
        }
    }

    /// The rule the error breaks, for the diagnostic's help.
    fn help(self) -> Option<&'static str> {
        Some(match self {
            ErrorKind::UnclosedQuote | ErrorKind::DanglingEscape => {
                "try text is split into words as a shell does: quotes group words, a backslash escapes the next character"
            }
            ErrorKind::MissingValue => {
                "a value follows its option as the next word (`-b do`) or attached (`-bdo`, `--build=do`)"
            }
            ErrorKind::InvalidInt => "counts are whole numbers, such as `--rebuild 3`",
            ErrorKind::AmbiguousPrefix => {
                "an abbreviated long option must be the start of exactly one option"
            }
            ErrorKind::BadSetenv => "write `--setenv NAME=VALUE`, once per variable",
            ErrorKind::UnexpectedValue => "a flag is on when given: write it without a value",
            ErrorKind::UnknownBuildType | ErrorKind::UnknownPlatform => {
                "the graph's build types and platforms come from its try context (`tc try parse --context FILE`)"
            }
            ErrorKind::EmptyPlatformItem | ErrorKind::BadBrackets => {
                "write NAME or NAME[platform,-platform], separated by commas"
            }
            ErrorKind::Unreadable
            | ErrorKind::BadContext
            | ErrorKind::BadJson
            | ErrorKind::NoMessage => {
                return None;
            }
        })
    }
}

/// The try text as the source, the token as the label; the code is the stable kind
/// (try-syntax.md §7), as the JSON error document names it.
impl miette::Diagnostic for TryError {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(self.kind.as_str()))
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.kind
            .help()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.text.as_ref().map(|t| t as &dyn miette::SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = miette::LabeledSpan> + '_>> {
        let span = self.source_span()?;
        let label = miette::LabeledSpan::new_with_span(Some(self.kind.label().to_owned()), span);
        Some(Box::new(std::iter::once(label)))
    }
}

#[cfg(test)]
mod tests {
    use miette::Diagnostic;

    use crate::{Input, parse};

    /// The label's text in the source the diagnostic shows.
    fn labelled(e: &super::TryError) -> String {
        let label = e.labels().expect("a label").next().expect("one label");
        let source = e.source_code().expect("the try text");
        let contents = source.read_span(label.inner(), 0, 0).expect("in the text");
        String::from_utf8_lossy(contents.data()).into_owned()
    }

    #[test]
    fn a_try_error_shows_its_token_in_the_try_text() {
        let e = parse(Input::TryString("-b do -p 'linux"), None).unwrap_err();
        assert_eq!(e.code().unwrap().to_string(), "tokenize:unclosed-quote");
        assert_eq!(labelled(&e), "'");
        assert!(e.help().is_some());

        let e = parse(
            Input::Message("Bug 1\n\ntry: -b do --rebuild x\nmore"),
            None,
        )
        .unwrap_err();
        assert_eq!(e.code().unwrap().to_string(), "options:invalid-int");
        assert_eq!(e.text.as_deref(), Some("try: -b do --rebuild x"));
        assert_eq!(labelled(&e), "x");
    }

    #[test]
    fn a_try_error_without_a_token_has_no_label() {
        let e = super::TryError::new(super::ErrorKind::BadContext, "bad", None);
        assert!(e.labels().is_none() && e.source_code().is_none());
    }
}

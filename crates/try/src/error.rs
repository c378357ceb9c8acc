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
/// try text; `offset()` is its start (null in JSON when no token is responsible).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TryError {
    pub kind: ErrorKind,
    pub message: String,
    pub span: Option<Range<usize>>,
}

impl TryError {
    pub fn new(kind: ErrorKind, message: impl Into<String>, span: Option<Range<usize>>) -> Self {
        TryError {
            kind,
            message: message.into(),
            span,
        }
    }

    pub fn offset(&self) -> Option<usize> {
        self.span.as_ref().map(|s| s.start)
    }
}

impl fmt::Display for TryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "error[{}]: {}", self.kind, self.message)
    }
}

impl std::error::Error for TryError {}

//! Mozilla try option syntax (`try: -b do -p all`): locate, tokenize, options, resolve.
//! The contract is `spec/try-syntax.md`; gecko's `try_option_syntax.py` is the reference.

pub mod context;
pub mod counter;
pub mod error;
pub mod lexer;
pub mod options;
pub mod raw;
pub mod resolve;
pub mod stats;
pub mod tables;
pub mod testspec;

pub use context::{Context, ContextError};
pub use error::{ErrorKind, TryError};
pub use options::Options;
pub use raw::{RAW_KEYS, Raw};
pub use resolve::{Resolved, TestEntry};

use lexer::Token;

/// Where the try text came from, which decides how it is located (§2).
#[derive(Debug, Clone, Copy)]
pub enum Input<'a> {
    /// A whole commit message: the try line starts at the first `try:`.
    Message(&'a str),
    /// A bare option string (`TRY_STRING`, `--try`): every token counts.
    TryString(&'a str),
}

/// The try text and the tokens that count.
#[derive(Debug, Clone)]
pub struct Located<'a> {
    /// What offsets index: the try line, or the try string as given.
    pub text: &'a str,
    /// Every token of the try text (for a message, the leading `try:` word included).
    pub tokens: Vec<Token>,
    /// How many leading tokens are not options (the `try:` word of a message).
    pub skip: usize,
}

impl Located<'_> {
    pub fn option_tokens(&self) -> &[Token] {
        &self.tokens[self.skip.min(self.tokens.len())..]
    }
}

static TRY_MARKER: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
    std::sync::LazyLock::new(|| memchr::memmem::Finder::new("try:"));

/// Whether `text` holds the try marker anywhere.
pub(crate) fn has_try_marker(text: &str) -> bool {
    TRY_MARKER.find(text.as_bytes()).is_some()
}

/// The try line of a message: from the first `try:` to the end of its line.
pub fn try_line(message: &str) -> Option<&str> {
    let start = TRY_MARKER.find(message.as_bytes())?;
    let line = &message[start..];
    Some(memchr::memchr(b'\n', line.as_bytes()).map_or(line, |end| &line[..end]))
}

/// Finds and tokenizes the try text; `Ok(None)` when a message has no `try:`.
pub fn locate(input: Input<'_>) -> Result<Option<Located<'_>>, TryError> {
    match input {
        Input::Message(message) => {
            let Some(line) = try_line(message) else {
                return Ok(None);
            };
            let tokens = lexer::tokenize(line, 0).map_err(|e| e.in_text(line))?;
            Ok(Some(Located {
                text: line,
                tokens,
                skip: 1,
            }))
        }
        Input::TryString(text) => {
            let trimmed = text.trim_start_matches([' ', '\t', '\r', '\n']);
            let body = trimmed.strip_prefix("try:").unwrap_or(trimmed);
            let tokens =
                lexer::tokenize(text, text.len() - body.len()).map_err(|e| e.in_text(text))?;
            Ok(Some(Located {
                text,
                tokens,
                skip: 0,
            }))
        }
    }
}

/// The result of `tc try parse`: the try text, its options and, with a context, what they
/// select.
#[derive(Debug, Clone)]
pub struct Parsed<'a> {
    pub located: Located<'a>,
    pub options: Options,
    pub resolved: Option<Resolved>,
}

/// Runs the pipeline: locate, tokenize, options and, given a context, resolve. An error
/// carries the try text its span indexes.
pub fn parse<'a>(input: Input<'a>, ctx: Option<&Context>) -> Result<Option<Parsed<'a>>, TryError> {
    let Some(located) = locate(input)? else {
        return Ok(None);
    };
    let in_text = |e: TryError| e.in_text(located.text);
    let options = options::parse(located.option_tokens()).map_err(in_text)?;
    let resolved = match ctx {
        Some(ctx) => Some(resolve::resolve(&options.raw, &options.spans, ctx).map_err(in_text)?),
        None => None,
    };
    Ok(Some(Parsed {
        located,
        options,
        resolved,
    }))
}

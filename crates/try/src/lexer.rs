//! Tokenizing the try text (try-syntax.md §3): spaces inside `[...]` are protected with a
//! backslash, then the text is split like CPython's POSIX `shlex.split` (no comments).
//! The splitter is a nom grammar over the protected text; spans are mapped back to the
//! try text so errors can point at what the user typed.

use std::ops::Range;

use nom::branch::alt;
use nom::bytes::complete::{is_not, take_while};
use nom::character::complete::{anychar, char};
use nom::error::ParseError;
use nom::multi::fold_many1;
use nom::{IResult, Parser};

use super::error::{ErrorKind, TryError};

/// One shell word with its byte span in the try text (quotes included).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    pub text: String,
    pub span: Range<usize>,
}

fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n')
}

/// Splits `text[start..]` into tokens whose spans index `text`.
pub fn tokenize(text: &str, start: usize) -> Result<Vec<Token>, TryError> {
    let body = &text[start..];
    let protected = Protected::new(body);
    let input = protected.text.as_str();
    let mut tokens = Vec::new();
    let mut rest = input;
    loop {
        let (after_ws, _) = take_while::<_, _, LexError>(is_space)
            .parse(rest)
            .expect("take_while never fails");
        rest = after_ws;
        if rest.is_empty() {
            return Ok(tokens);
        }
        let begin = input.len() - rest.len();
        match word(rest) {
            Ok((after, word)) => {
                let end = input.len() - after.len();
                let span = start + protected.original(begin)..start + protected.original(end);
                tokens.push(Token { text: word, span });
                rest = after;
            }
            Err(nom::Err::Failure(e) | nom::Err::Error(e)) => {
                let at = start + protected.original(input.len() - e.at);
                let (kind, message) = match e.kind {
                    Some(ErrorKind::DanglingEscape) => (
                        ErrorKind::DanglingEscape,
                        "a backslash at the end escapes nothing: remove it, or write `\\\\` for a literal backslash",
                    ),
                    _ => (
                        ErrorKind::UnclosedQuote,
                        "this quote is never closed: add the closing quote, or escape it with a backslash",
                    ),
                };
                let len = text[at..].chars().next().map_or(1, char::len_utf8);
                return Err(TryError::new(kind, message, Some(at..at + len)));
            }
            Err(nom::Err::Incomplete(_)) => unreachable!("complete parsers only"),
        }
    }
}

/// The text with protected spaces, and where the inserted backslashes are.
struct Protected {
    text: String,
    /// Indices in `text` of the backslashes that protection inserted, ascending.
    inserted: Vec<usize>,
}

impl Protected {
    /// Step 1 of §3: `[` sets a flag, `]` clears it, and every space met while the flag is
    /// set becomes `\ `. Quotes and backslashes are not looked at.
    fn new(body: &str) -> Protected {
        if !body.contains('[') {
            return Protected {
                text: body.to_owned(),
                inserted: Vec::new(),
            };
        }
        let mut text = String::with_capacity(body.len() + 8);
        let mut inserted = Vec::new();
        let mut in_brackets = false;
        for c in body.chars() {
            match c {
                '[' => in_brackets = true,
                ']' => in_brackets = false,
                ' ' if in_brackets => {
                    inserted.push(text.len());
                    text.push('\\');
                }
                _ => {}
            }
            text.push(c);
        }
        Protected { text, inserted }
    }

    /// Maps an index of the protected text to the body: an inserted backslash maps to the
    /// space it protects.
    fn original(&self, index: usize) -> usize {
        index - self.inserted.partition_point(|&i| i < index)
    }
}

/// Where the splitter stopped, as the length of the rest of the input.
#[derive(Debug)]
struct LexError {
    at: usize,
    kind: Option<ErrorKind>,
}

impl ParseError<&str> for LexError {
    fn from_error_kind(input: &str, _: nom::error::ErrorKind) -> Self {
        LexError {
            at: input.len(),
            kind: None,
        }
    }
    fn append(_: &str, _: nom::error::ErrorKind, other: Self) -> Self {
        other
    }
}

type Res<'a, O> = IResult<&'a str, O, LexError>;

fn failure<O>(at: &str, kind: ErrorKind) -> Res<'_, O> {
    Err(nom::Err::Failure(LexError {
        at: at.len(),
        kind: Some(kind),
    }))
}

/// A piece of a word: touching pieces form one word.
enum Piece<'a> {
    Text(&'a str),
    Char(char),
    Owned(String),
}

/// A word: one or more touching pieces, quoted or not.
fn word(input: &str) -> Res<'_, String> {
    fold_many1(
        alt((
            is_not(" \t\r\n'\"\\").map(Piece::Text),
            single_quoted.map(Piece::Text),
            double_quoted.map(Piece::Owned),
            escaped.map(Piece::Char),
        )),
        String::new,
        |mut acc, piece| {
            match piece {
                Piece::Text(s) => acc.push_str(s),
                Piece::Char(c) => acc.push(c),
                Piece::Owned(s) => acc.push_str(&s),
            }
            acc
        },
    )
    .parse(input)
}

/// `'...'`: fully literal.
fn single_quoted(input: &str) -> Res<'_, &str> {
    let (rest, _) = char('\'').parse(input)?;
    match rest.find('\'') {
        Some(end) => Ok((&rest[end + 1..], &rest[..end])),
        None => failure(input, ErrorKind::UnclosedQuote),
    }
}

/// `"..."`: only `\"` and `\\` are escapes; any other backslash is kept.
fn double_quoted(input: &str) -> Res<'_, String> {
    let (mut rest, _) = char('"').parse(input)?;
    let mut out = String::new();
    loop {
        if let Ok((after, chunk)) = is_not::<_, _, LexError>("\"\\").parse(rest) {
            out.push_str(chunk);
            rest = after;
        }
        match rest.chars().next() {
            None => return failure(input, ErrorKind::UnclosedQuote),
            Some('"') => return Ok((&rest[1..], out)),
            Some(_) => match rest[1..].chars().next() {
                None => return failure(rest, ErrorKind::DanglingEscape),
                Some(c) => {
                    if c != '"' && c != '\\' {
                        out.push('\\');
                    }
                    out.push(c);
                    rest = &rest[1 + c.len_utf8()..];
                }
            },
        }
    }
}

/// `\x` outside quotes gives `x`.
fn escaped(input: &str) -> Res<'_, char> {
    let (rest, _) = char('\\').parse(input)?;
    match anychar::<_, LexError>(rest) {
        Ok(ok) => Ok(ok),
        Err(_) => failure(input, ErrorKind::DanglingEscape),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<String> {
        tokenize(text, 0)
            .unwrap()
            .into_iter()
            .map(|t| t.text)
            .collect()
    }

    #[test]
    fn splits_like_posix_shlex() {
        assert_eq!(words("a  b\tc"), ["a", "b", "c"]);
        assert_eq!(words(r#"a"b c"d"#), ["ab cd"]);
        assert_eq!(words(r"a\ b"), ["a b"]);
        assert_eq!(words(r#""a\"b\\c\d""#), [r#"a"b\c\d"#]);
        assert_eq!(words(r"'a\b'"), [r"a\b"]);
        assert_eq!(words("'' \"\" x"), ["", "", "x"]);
        assert_eq!(words("# not a comment"), ["#", "not", "a", "comment"]);
        assert_eq!(words("a\r"), ["a"]);
    }

    #[test]
    fn protects_spaces_inside_brackets() {
        assert_eq!(words("-u gtest[Windows 10]"), ["-u", "gtest[Windows 10]"]);
        assert_eq!(
            words(r#"-u "gtest[Windows 10]""#),
            ["-u", r"gtest[Windows\ 10]"]
        );
        assert_eq!(words("x[a b"), ["x[a b"]);
        assert_eq!(words("x[a\tb]"), ["x[a", "b]"]);
        assert_eq!(words("x[a] b"), ["x[a]", "b"]);
    }

    #[test]
    fn spans_index_the_original_text() {
        let toks = tokenize("try: -u gtest[a b] -p x", 0).unwrap();
        assert_eq!(toks[2].span, 8..18);
        assert_eq!(toks[3].span, 19..21);
        let toks = tokenize("xx 'a b'", 3).unwrap();
        assert_eq!(toks[0].span, 3..8);
    }

    #[test]
    fn reports_quote_and_escape_errors_at_their_character() {
        let e = tokenize("-b do # don't", 0).unwrap_err();
        assert_eq!((e.kind, e.offset()), (ErrorKind::UnclosedQuote, Some(11)));
        let e = tokenize("a \"b\\", 0).unwrap_err();
        assert_eq!((e.kind, e.offset()), (ErrorKind::DanglingEscape, Some(4)));
        let e = tokenize("a\\", 0).unwrap_err();
        assert_eq!((e.kind, e.offset()), (ErrorKind::DanglingEscape, Some(1)));
        let e = tokenize("a \"b\\\"", 0).unwrap_err();
        assert_eq!((e.kind, e.offset()), (ErrorKind::UnclosedQuote, Some(2)));
    }
}

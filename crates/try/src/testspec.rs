//! The grammar of `-u`/`-t`/`-r` values (try-syntax.md §5.3 step 2): comma-separated specs
//! `NAME` or `NAME[ITEM,...]`. A nom grammar; malformed brackets are errors (D3).

use nom::bytes::complete::{take_till, take_while};
use nom::character::complete::char;
use nom::combinator::opt;
use nom::multi::separated_list1;
use nom::sequence::delimited;
use nom::{IResult, Parser};

/// One spec as written: NAME not yet stripped, bracket items not yet stripped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spec<'a> {
    pub name: &'a str,
    pub items: Option<Vec<&'a str>>,
}

/// Python's `str.isspace`, which `strip()` uses.
pub fn is_py_space(c: char) -> bool {
    c.is_whitespace() || ('\x1c'..='\x1f').contains(&c)
}

/// Python's `str.strip()`.
pub fn py_strip(s: &str) -> &str {
    s.trim_matches(is_py_space)
}

fn text(input: &str) -> IResult<&str, &str> {
    take_till(|c| matches!(c, ',' | '[' | ']')).parse(input)
}

fn spec(input: &str) -> IResult<&str, Spec<'_>> {
    let (rest, name) = text(input)?;
    let (rest, items) = opt(delimited(
        char('['),
        separated_list1(char(','), text),
        char(']'),
    ))
    .parse(rest)?;
    let (rest, _) = take_while(is_py_space).parse(rest)?;
    Ok((rest, Spec { name, items }))
}

/// What is wrong with the brackets of a `-u`/`-t`/`-r` value: the first problem, left to
/// right.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
#[diagnostic(code("tc::try::brackets"))]
pub enum BracketError {
    #[error("a second `[` comes before the `]` that closes the first")]
    SecondOpen,
    #[error("a `]` has no `[` before it")]
    UnopenedClose,
    #[error("text follows a `]` before the next comma")]
    TextAfterClose,
    #[error("a `[` is never closed")]
    Unclosed,
    #[error("malformed brackets")]
    Malformed,
}

/// Splits a value into specs, or says what is wrong with its brackets.
pub fn parse(value: &str) -> Result<Vec<Spec<'_>>, BracketError> {
    let (rest, specs) = separated_list1(char(','), spec)
        .parse(value)
        .map_err(|_| BracketError::Malformed)?;
    if rest.is_empty() {
        return Ok(specs);
    }
    Err(describe_bad_brackets(value))
}

/// Names the first bracket problem, scanning left to right.
fn describe_bad_brackets(value: &str) -> BracketError {
    let mut open = false;
    let mut closed_spec = false;
    for c in value.chars() {
        match c {
            '[' if open => return BracketError::SecondOpen,
            ']' if !open => return BracketError::UnopenedClose,
            '[' if closed_spec => return BracketError::TextAfterClose,
            '[' => open = true,
            ']' => (open, closed_spec) = (false, true),
            ',' if !open => closed_spec = false,
            c if closed_spec && !is_py_space(c) => return BracketError::TextAfterClose,
            _ => {}
        }
    }
    if open {
        BracketError::Unclosed
    } else {
        BracketError::Malformed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_names_and_items() {
        let specs = parse("gtest[a, b],xpcshell, ,[c] ").unwrap();
        assert_eq!(specs.len(), 4);
        assert_eq!(specs[0].items, Some(vec!["a", " b"]));
        assert_eq!(
            specs[1],
            Spec {
                name: "xpcshell",
                items: None
            }
        );
        assert_eq!(specs[2].name, " ");
        assert_eq!(specs[3].name, "");
        assert_eq!(
            parse("").unwrap(),
            vec![Spec {
                name: "",
                items: None
            }]
        );
        assert_eq!(parse("a[]").unwrap()[0].items, Some(vec![""]));
    }

    #[test]
    fn rejects_malformed_brackets() {
        for (v, why) in [
            ("gtest]", "no `[`"),
            ("gtest[a[b]", "second `[`"),
            ("gtest[a", "never closed"),
            ("gtest[a]x", "text follows"),
            ("gtest[a][b]", "text follows"),
            ("a,b[c,d", "never closed"),
        ] {
            let err = parse(v).unwrap_err().to_string();
            assert!(err.contains(why), "{v}: {err}");
        }
    }
}

//! Renders an error once, at the top: JSON on stdout for scripts where the contract says so,
//! text on stderr for people.

use std::fmt::Write as _;

use miette::{GraphicalReportHandler, GraphicalTheme};

use super::{Format, use_color};
use crate::error::Error;
use tc_try::TryError;

/// Prints `err` for `format`. Try and input errors keep their stable kind in JSON/YAML.
pub fn render(err: &Error, format: Format) {
    if format != Format::Human
        && let Some(doc) = err.as_try_json()
    {
        let _ = super::print_document(format, &doc);
        if let Error::Try { .. } = err {
            return;
        }
    }
    match err {
        Error::Try { error, text } => eprint!("{}", try_error(error, text, use_color())),
        Error::Input { kind, message } => eprintln!("{}: {message}", label(kind.as_str())),
        other => eprint!("{}", diagnostic(other, use_color())),
    }
}

fn label(kind: &str) -> String {
    if use_color() {
        format!("\x1b[1;31merror[{kind}]\x1b[0m")
    } else {
        format!("error[{kind}]")
    }
}

/// `error[<kind>]: <message>`, the line of the try text holding the offset, and a caret line
/// under the offending token (try-syntax.md §9).
pub fn try_error(error: &TryError, text: &str, color: bool) -> String {
    let head = if color {
        format!("\x1b[1;31merror[{}]\x1b[0m", error.kind)
    } else {
        format!("error[{}]", error.kind)
    };
    let mut out = format!("{head}: {}\n", error.message);
    let Some(span) = error.span.clone() else {
        let _ = writeln!(out, "  {}", text.lines().next().unwrap_or_default());
        return out;
    };
    let line_start = text[..span.start].rfind('\n').map_or(0, |i| i + 1);
    let line_end = text[span.start..]
        .find('\n')
        .map_or(text.len(), |i| span.start + i);
    let line = &text[line_start..line_end];
    let _ = writeln!(out, "  {line}");
    let pad: String = text[line_start..span.start]
        .chars()
        .map(|c| if c == '\t' { '\t' } else { ' ' })
        .collect();
    let width = if error.kind.is_tokenize() {
        1
    } else {
        text[span.start..span.end.min(line_end)]
            .chars()
            .count()
            .max(1)
    };
    let _ = writeln!(out, "  {pad}{}", "^".repeat(width));
    out
}

/// Any other error through miette's graphical handler: the message and its help.
fn diagnostic(err: &Error, color: bool) -> String {
    let theme = if color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let mut out = String::new();
    if GraphicalReportHandler::new_themed(theme)
        .render_report(&mut out, err)
        .is_err()
    {
        out = format!("error: {err}\n");
    }
    out
}

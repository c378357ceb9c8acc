//! Renders an error once, at the top: JSON on stdout for scripts where the contract says so,
//! text on stderr for people.

use std::fmt::Write as _;

use miette::{Diagnostic, GraphicalReportHandler, GraphicalTheme};

use super::{Format, use_color};
use crate::error::Error;
use tc_try::TryError;

/// Prints `err` for `format`: with `--format json|yaml` as an error document on stdout (a
/// try-syntax error only there, as its contract says), and for people on stderr.
pub fn render(err: &Error, format: Format) {
    if format != Format::Human {
        let _ = super::print_document(format, &document(err));
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

/// `{"error": {"kind", "message", …}}`: the stable kind is the diagnostic's code; where the
/// error points into a file, its name, line and column (1-based); the help when there is one.
pub fn document(err: &Error) -> serde_json::Value {
    if let Some(doc) = err.as_try_json() {
        return doc;
    }
    let mut doc = serde_json::json!({
        "kind": err.code().map_or_else(|| "tc::error".to_owned(), |c| c.to_string()),
        "message": err.to_string(),
    });
    if let Some((file, line, column)) = location(err) {
        doc["file"] = file.into();
        doc["line"] = line.into();
        doc["column"] = column.into();
    }
    if let Some(help) = err.help() {
        doc["help"] = help.to_string().into();
    }
    serde_json::json!({ "error": doc })
}

/// Where the error's first label points: the source's name, and the line and column.
fn location(err: &Error) -> Option<(Option<String>, usize, usize)> {
    let span = *err.labels()?.next()?.inner();
    let contents = err.source_code()?.read_span(&span, 0, 0).ok()?;
    Some((
        contents.name().map(str::to_owned),
        contents.line() + 1,
        contents.column() + 1,
    ))
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

/// Any other error through miette's graphical handler: the message, the source line it points
/// at with its label, and its help. The code is for scripts (the JSON `kind`), not shown here.
fn diagnostic(err: &Error, color: bool) -> String {
    let theme = if color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let mut out = String::new();
    if GraphicalReportHandler::new_themed(theme)
        .render_report(&mut out, &Uncoded(err))
        .is_err()
    {
        out = format!("error: {err}\n");
    }
    out
}

/// An error as people read it: everything of its diagnostic but the code.
struct Uncoded<'a>(&'a Error);

impl std::fmt::Debug for Uncoded<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(self.0, f)
    }
}

impl std::fmt::Display for Uncoded<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(self.0, f)
    }
}

impl std::error::Error for Uncoded<'_> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        std::error::Error::source(self.0)
    }
}

impl Diagnostic for Uncoded<'_> {
    fn help<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        self.0.help()
    }
    fn url<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        self.0.url()
    }
    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.0.source_code()
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = miette::LabeledSpan> + '_>> {
        self.0.labels()
    }
    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn Diagnostic> + 'a>> {
        self.0.related()
    }
    fn diagnostic_source(&self) -> Option<&dyn Diagnostic> {
        self.0.diagnostic_source()
    }
}

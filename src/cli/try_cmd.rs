//! `tc try parse` and `tc try stats` (try-syntax.md §9–§10).

use std::io::{BufReader, IsTerminal, Read};
use std::path::{Path, PathBuf};

use clap::{ArgGroup, Subcommand};

use super::format::DocumentFormatArg;
use crate::error::{Error, Result};
use crate::output::{self, Format, trysyntax as human};
use tc_try::{self, Context, ErrorKind, Input, stats};

#[derive(Debug, Subcommand)]
pub enum TryCommand {
    /// Parse try syntax and, given a graph context, resolve what it selects.
    ///
    /// Exactly one input: TRY_STRING, --message or --message-file. Without --context, tc prints
    /// the options as gecko reads them; --context FILE lists what the graph offers (build types,
    /// build and test platforms, ride-along builds, the unittest/talos/raptor try names) and adds
    /// what the options select.
    ///
    /// JSON (stable): `{"try_found", "raw", "resolved"}`. `raw` always has the same 18 keys in
    /// the same order; `resolved` is null without a context, and its `platforms`/`jobs` are null
    /// for "all". A message without `try:` is not an error: `{"try_found": false, "raw": null,
    /// "resolved": null}`, exit 0.
    ///
    /// Bad try syntax exits 2. People get the kind, a message and a caret under the offending
    /// token; with --format json, `{"error": {"kind", "message", "offset"}}` goes to stdout,
    /// `offset` being the token's byte offset in the try text (null for input problems). The
    /// kinds are stable: tokenize:unclosed-quote, tokenize:dangling-escape,
    /// options:missing-value, options:invalid-int, options:ambiguous-prefix, options:bad-setenv,
    /// options:unexpected-value, resolve:unknown-build-type, resolve:unknown-platform,
    /// resolve:empty-platform-item, resolve:bad-brackets, input:unreadable, input:bad-context.
    Parse(ParseArgs),
    /// Count try options over many pushes (JSON lines, text lines, or Try High Scores JSON).
    ///
    /// The input is one Try High Scores JSON document, or lines: a line starting with `{` is JSON
    /// (its `message`, else its `try_syntax`), any other line a one-line commit message. Errors
    /// are counted by kind (those of `tc try parse`, plus input:bad-json for a line that is not
    /// JSON and input:no-message for a push without a message) and never stop the run. Defaults
    /// count (a push without -p counts as `-p all`), and setenv maps compare regardless of key
    /// order.
    ///
    /// JSON (stable): `{"pushes", "with_try_syntax", "parsed", "errors": {kind: n}, "options":
    /// {raw key: [{"value", "count", "percent"}]}, "try_strings": [...]}`. Items are ordered by
    /// count, then by their JSON text; `percent` is of the parsed pushes, to one decimal.
    Stats(StatsArgs),
}

#[derive(Debug, clap::Args)]
#[command(group(ArgGroup::new("input").required(true).args(["try_string", "message", "message_file"])))]
pub struct ParseArgs {
    /// A try option string, like "-b do -p all -u all -t none"; a leading `try:` is allowed.
    /// Put `--` before it when it is exactly one of tc's own options (`tc try parse -- -h`).
    #[arg(allow_hyphen_values = true, value_name = "TRY_STRING")]
    pub try_string: Option<String>,

    /// A whole commit message; its first `try:` starts the try line.
    #[arg(long, value_name = "TEXT", allow_hyphen_values = true)]
    pub message: Option<String>,

    /// Read the commit message from a file (`-` for stdin).
    #[arg(long, value_name = "PATH")]
    pub message_file: Option<PathBuf>,

    /// The graph context to resolve against (JSON if the name ends in .json, else YAML).
    #[arg(long, value_name = "FILE")]
    pub context: Option<PathBuf>,

    #[command(flatten)]
    pub format: DocumentFormatArg,
}

#[derive(Debug, clap::Args)]
pub struct StatsArgs {
    /// The pushes to read (`-` or nothing for stdin).
    #[arg(value_name = "FILE")]
    pub file: Option<PathBuf>,

    /// How many values to list per option and for try strings (0 = all).
    #[arg(long, default_value_t = 10, value_name = "N")]
    pub top: usize,

    #[command(flatten)]
    pub format: DocumentFormatArg,
}

impl TryCommand {
    /// The format this subcommand prints in (its errors too).
    pub fn format(&self) -> Format {
        match self {
            TryCommand::Parse(a) => a.format.get(),
            TryCommand::Stats(a) => a.format.get(),
        }
    }
}

pub(super) fn run(cmd: TryCommand, format: Format, quiet: bool) -> Result<i32> {
    match cmd {
        TryCommand::Parse(args) => parse(args, format, quiet),
        TryCommand::Stats(args) => stats(args, format, quiet),
    }
}

fn unreadable(path: &Path, e: std::io::Error) -> Error {
    Error::Input {
        kind: ErrorKind::Unreadable,
        message: format!("cannot read {}: {e}; check the path", path.display()),
    }
}

fn read_file_or_stdin(path: &Path) -> Result<Vec<u8>> {
    let mut bytes = Vec::new();
    let result = if path == Path::new("-") {
        std::io::stdin().lock().read_to_end(&mut bytes)
    } else {
        std::fs::File::open(path).and_then(|mut f| f.read_to_end(&mut bytes))
    };
    result.map_err(|e| unreadable(path, e))?;
    Ok(bytes)
}

fn read_context(path: &Path) -> Result<Context> {
    let bytes = read_file_or_stdin(path)?;
    let text = String::from_utf8(bytes).map_err(|_| Error::Input {
        kind: ErrorKind::BadContext,
        message: format!("{} is not UTF-8 text", path.display()),
    })?;
    Context::from_text(&path.to_string_lossy(), &text).map_err(|e| Error::Input {
        kind: ErrorKind::BadContext,
        message: format!(
            "{} is not a try context: {e}\nA context has the lists build_types, build_platforms, test_platforms, \
unittest_try_names, talos_try_names, raptor_try_names and the map ridealong_builds",
            path.display()
        ),
    })
}

fn parse(args: ParseArgs, format: Format, quiet: bool) -> Result<i32> {
    let message = match &args.message_file {
        Some(path) => Some(String::from_utf8_lossy(&read_file_or_stdin(path)?).into_owned()),
        None => args.message.clone(),
    };
    let context = args.context.as_deref().map(read_context).transpose()?;
    let input = match (&args.try_string, &message) {
        (Some(s), _) => Input::TryString(s),
        (None, Some(m)) => Input::Message(m),
        (None, None) => {
            return Err(Error::Usage(
                "give a TRY_STRING, --message or --message-file".into(),
            ));
        }
    };
    let text = match input {
        Input::TryString(s) => s.to_owned(),
        Input::Message(m) => tc_try::try_line(m).unwrap_or_default().to_owned(),
    };
    let parsed =
        tc_try::parse(input, context.as_ref()).map_err(|error| Error::Try { error, text })?;
    match format {
        Format::Human => {
            output::print_text(&human::parse_report(parsed.as_ref()))?;
            if parsed.is_some() && context.is_none() && !quiet {
                eprintln!("{}", human::CONTEXT_HINT);
            }
        }
        _ => output::print_document(format, &human::parse_document(parsed.as_ref()))?,
    }
    Ok(0)
}

fn stats(args: StatsArgs, format: Format, quiet: bool) -> Result<i32> {
    let path = args.file.unwrap_or_else(|| PathBuf::from("-"));
    let (reader, size): (Box<dyn Read>, Option<u64>) = if path == Path::new("-") {
        (Box::new(std::io::stdin().lock()), None)
    } else {
        let file = std::fs::File::open(&path).map_err(|e| unreadable(&path, e))?;
        let size = file.metadata().ok().map(|m| m.len());
        (Box::new(file), size)
    };
    let bar = (!quiet && std::io::stderr().is_terminal()).then(|| human::progress_bar(size));
    let counted = stats::collect(BufReader::with_capacity(1 << 20, reader), |read| {
        if let Some(bar) = &bar {
            bar.set_position(read);
        }
    })
    .map_err(|e| unreadable(&path, e))?;
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    let report = counted.report(args.top);
    match format {
        Format::Human => output::print_text(&human::stats_report(&report))?,
        _ => output::print_document(format, &report)?,
    }
    Ok(0)
}

//! `tc scopes satisfies|normalize` (queue-api.md §8.2): the scope library on the command line.

use clap::Subcommand;
use serde_json::{Value, json};

use super::format::DocumentFormatArg;
use crate::error::{Error, Result};
use crate::output::{self, Format};
use tc_api::scopes::{self, Expression};
use tc_run::exit_codes;

#[derive(Debug, Subcommand)]
pub enum ScopesCommand {
    /// Whether a set of scopes satisfies a scope expression (exit 0 yes, 1 no, 2 invalid).
    ///
    /// A scope you have satisfies a required one when they are equal, or when it ends in `*`
    /// and the required scope starts with what precedes the star: character by character, with
    /// no hierarchy, and `*` special only at the end. EXPRESSION is a scope, or JSON `{"AllOf":
    /// [...]}` / `{"AnyOf": [...]}` with exactly one key (an empty AllOf always holds, an empty
    /// AnyOf never). Scopes are printable ASCII and space (0x20-0x7e).
    ///
    /// `not satisfied` shows what is missing, as the queue's 403 errors do. JSON: `{"satisfied":
    /// bool, "unsatisfied": <expression or null>}`.
    Satisfies(SatisfiesArgs),
    /// The normalised form of a set of scopes: sorted, deduplicated, covered scopes dropped.
    ///
    /// Sorted in TaskCluster's order, and every scope another one satisfies is dropped (`a*`
    /// covers `ab`). An invalid scope exits 2. JSON: `{"normalized": [...]}`.
    Normalize(NormalizeArgs),
}

#[derive(Debug, clap::Args)]
pub struct SatisfiesArgs {
    /// A scope the caller has (repeatable). No `assume:` roles are expanded.
    #[arg(long = "have", value_name = "SCOPE", allow_hyphen_values = true)]
    pub have: Vec<String>,

    /// More scopes the caller has, as a JSON list of strings.
    #[arg(long, value_name = "JSON_LIST")]
    pub have_json: Option<String>,

    /// A scope, or a JSON expression `{"AllOf"|"AnyOf": [...]}` when it starts with `{`.
    #[arg(allow_hyphen_values = true)]
    pub expression: String,

    #[command(flatten)]
    pub format: DocumentFormatArg,
}

#[derive(Debug, clap::Args)]
pub struct NormalizeArgs {
    /// Scopes to normalise (after `--` when one starts with `-`).
    #[arg(value_name = "SCOPE")]
    pub scopes: Vec<String>,

    /// More scopes, as a JSON list of strings.
    #[arg(long, value_name = "JSON_LIST")]
    pub have_json: Option<String>,

    #[command(flatten)]
    pub format: DocumentFormatArg,
}

impl ScopesCommand {
    /// The format this subcommand prints in (its errors too).
    pub fn format(&self) -> Format {
        match self {
            ScopesCommand::Satisfies(a) => a.format.get(),
            ScopesCommand::Normalize(a) => a.format.get(),
        }
    }
}

pub(super) fn run(cmd: ScopesCommand, format: Format) -> Result<i32> {
    match cmd {
        ScopesCommand::Satisfies(args) => satisfies(args, format),
        ScopesCommand::Normalize(args) => normalize(args, format),
    }
}

fn satisfies(args: SatisfiesArgs, format: Format) -> Result<i32> {
    let have = scope_set(args.have, args.have_json.as_deref())?;
    let expression = parse_expression(&args.expression)?;
    let unsatisfied = expression.unsatisfied(&have);
    match format {
        Format::Human => match &unsatisfied {
            None => output::print_text("satisfied")?,
            Some(left) => output::print_text(&format!("not satisfied: {left}"))?,
        },
        _ => output::print_document(
            format,
            &json!({ "satisfied": unsatisfied.is_none(), "unsatisfied": unsatisfied }),
        )?,
    }
    Ok(if unsatisfied.is_none() {
        exit_codes::OK
    } else {
        exit_codes::FAILED
    })
}

fn normalize(args: NormalizeArgs, format: Format) -> Result<i32> {
    let normalized = scopes::normalize(&scope_set(args.scopes, args.have_json.as_deref())?);
    match format {
        Format::Human => output::print_text(&normalized.join("\n"))?,
        _ => output::print_document(format, &json!({ "normalized": normalized }))?,
    }
    Ok(exit_codes::OK)
}

/// The given scopes plus those of the JSON list, each checked for validity.
fn scope_set(mut scopes: Vec<String>, json_list: Option<&str>) -> Result<Vec<String>> {
    if let Some(text) = json_list {
        let listed: Vec<String> = serde_json::from_str(text)
            .map_err(|e| Error::Usage(format!("--have-json needs a JSON list of strings: {e}")))?;
        scopes.extend(listed);
    }
    if let Some(bad) = scopes.iter().find(|s| !scopes::valid(s)) {
        return Err(invalid_scope(bad));
    }
    Ok(scopes)
}

fn parse_expression(text: &str) -> Result<Expression> {
    if !text.starts_with('{') {
        return if scopes::valid(text) {
            Ok(Expression::from(text))
        } else {
            Err(invalid_scope(text))
        };
    }
    let value: Value = serde_json::from_str(text)
        .map_err(|e| Error::Usage(format!("EXPRESSION starts with `{{` but is not JSON: {e}")))?;
    Expression::from_json(&value).map_err(|e| Error::Usage(e.to_string()))
}

fn invalid_scope(scope: &str) -> Error {
    Error::Usage(format!(
        "{scope:?} is not a valid scope: only the characters 0x20-0x7e (printable ASCII and space) are allowed"
    ))
}

//! YAML as taskgraph reads it: PyYAML's `SafeLoader`, YAML 1.1 (taskgraph.md §1.2).
//!
//! granit-parser supplies the events (YAML 1.2 syntax, which covers what kind files use). This
//! module composes them into nodes and resolves scalars with PyYAML's 1.1 rules itself, because a
//! 1.2 resolver reads `yes`, `010`, `1:30` and `2023-01-01` differently. Every node keeps its
//! file, line and column for error messages (§4.8).

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::fmt::Write as _;
use std::rc::Rc;
use std::sync::Mutex;

use granit_parser::{Event, Marker, Parser, ScalarStyle, ScanError, StructureStyle};

/// Deeper trees are refused: aliases can nest a document beyond the parser's own nesting limits,
/// and every walk over a `Node` (`Drop` included) recurses. Kind files nest a dozen levels; 256
/// levels fit a 2 MiB thread stack with room to spare, even in a debug build.
pub(super) const MAX_DEPTH: u32 = 256;
/// Nodes after alias expansion, against exponential alias bombs.
pub(super) const MAX_NODES: u64 = 2_000_000;

const CORE: &str = "tag:yaml.org,2002:";

/// Where a node is: file, 1-based line and column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Span {
    /// Interned (see [`intern`]): a span is copied into every node, and a shared counter
    /// would be touched by every thread that copies or drops one.
    pub file: &'static str,
    pub line: u32,
    pub col: u32,
}

impl fmt::Display for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.col)
    }
}

/// A value as PyYAML's `SafeLoader` builds it.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    /// A decimal integer beyond 64 bits, as Python prints it: kept for messages and type checks;
    /// it cannot become JSON.
    BigInt(String),
    Float(f64),
    Str(String),
    /// A YAML 1.1 timestamp (`2023-01-01`, `2023-01-01T10:00:00Z`), kept as written.
    Date(String),
    Seq(Vec<Node>),
    /// File order; keys are unique (the last duplicate's value wins, in the first one's place, as
    /// in a Python dict). Merged (`<<`) keys come first, as PyYAML puts them.
    Map(Vec<(Node, Node)>),
}

/// A value and where it is written. A node reached through an alias or a merge keeps the position
/// of the anchored original.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub value: Value,
    pub span: Span,
}

/// A loaded document and the warnings about it (duplicate keys, with file:line:col).
#[derive(Debug)]
pub struct Loaded {
    pub node: Node,
    pub warnings: Vec<String>,
}

/// A YAML syntax or construction error, at the offending place. (A [`GraphError`] made of it
/// shows the file's line.)
///
/// [`GraphError`]: crate::GraphError
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
#[error("{span}: {message}")]
#[diagnostic(code(tc::graph::yaml))]
pub struct YamlError {
    pub span: Span,
    pub message: String,
}

/// `a == b`, the length and first byte compared first (see [`Node::is_key`]).
pub(crate) fn same_text(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.as_bytes().first() == b.as_bytes().first() && a == b
}

/// `name` for the life of the process; each distinct file name is kept once.
pub fn intern(name: &str) -> &'static str {
    static NAMES: Mutex<Vec<&'static str>> = Mutex::new(Vec::new());
    let mut names = NAMES
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(known) = names.iter().rev().find(|n| **n == name) {
        return known;
    }
    let kept: &'static str = Box::leak(name.into());
    names.push(kept);
    kept
}

/// Loads one YAML document as PyYAML's `yaml.safe_load` would; an empty document is `Null`.
/// A second document is an error, as with taskgraph's `get_single_data`.
pub fn load(file: &str, text: &str) -> Result<Loaded, YamlError> {
    load_with(file, text, true)
}

/// [`load`], trying the quick reader first when `quick` (the tests compare the paths).
pub(super) fn load_with(file: &str, text: &str, quick: bool) -> Result<Loaded, YamlError> {
    let file = intern(file);
    let text = yaml11_line_breaks(file, text)?;
    let simple = quick
        .then(|| super::yaml_quick::compose(file, &text))
        .flatten()
        .or_else(|| compose_plain(file, &text));
    if let Some(node) = simple {
        return Ok(Loaded {
            node,
            warnings: Vec::new(),
        });
    }
    let root = compose(file, &text)?;
    let mut builder = Builder {
        file,
        warnings: Vec::new(),
        seen: HashSet::new(),
    };
    let node = match root {
        Some(raw) => builder.node(&raw)?,
        None => empty_document(file),
    };
    Ok(Loaded {
        node,
        warnings: builder.warnings,
    })
}

/// What an empty document is: null, at its start.
pub(super) fn empty_document(file: &'static str) -> Node {
    Node {
        value: Value::Null,
        span: Span {
            file,
            line: 1,
            col: 1,
        },
    }
}

/// YAML 1.1 also breaks lines at NEL, LS and PS. PyYAML reads NEL as a line feed, which the
/// parser gets by substitution (one character for one: positions hold). LS and PS are breaks
/// that PyYAML keeps as text in places; tc refuses them rather than guess.
fn yaml11_line_breaks<'t>(file: &'static str, text: &'t str) -> Result<Cow<'t, str>, YamlError> {
    if text.is_ascii() || !text.contains(['\u{85}', '\u{2028}', '\u{2029}']) {
        return Ok(Cow::Borrowed(text));
    }
    let (mut line, mut col) = (1u32, 1u32);
    for c in text.chars() {
        match c {
            '\u{2028}' | '\u{2029}' => {
                return Err(error_at(
                    file,
                    (line, col),
                    format!(
                        "tc does not read U+{:04X} (YAML 1.1 makes it a line break); remove it",
                        u32::from(c)
                    ),
                ));
            }
            '\n' | '\u{85}' => (line, col) = (line.saturating_add(1), 1),
            _ => col = col.saturating_add(1),
        }
    }
    Ok(Cow::Owned(text.replace('\u{85}', "\n")))
}

impl Node {
    /// The node as JSON, the way taskgraph's JSON output writes it. Dates fail, as there; so do
    /// infinities and NaN, which JSON cannot hold. Non-string keys become strings as in Python's
    /// `json.dumps`.
    pub fn to_json(&self) -> Result<serde_json::Value, YamlError> {
        // Plain loops and an out-of-line scalar case keep each level's stack frame small.
        Ok(match &self.value {
            Value::Seq(items) => {
                let mut out = Vec::with_capacity(items.len());
                for item in items {
                    out.push(item.to_json()?);
                }
                serde_json::Value::Array(out)
            }
            Value::Map(pairs) => {
                let mut map = serde_json::Map::with_capacity(pairs.len());
                for (key, value) in pairs {
                    map.insert(key.json_key()?, value.to_json()?);
                }
                serde_json::Value::Object(map)
            }
            _ => self.scalar_json()?,
        })
    }

    /// [`Node::to_json`] as the transform's light value; the same values and errors.
    pub fn to_jv(&self) -> Result<super::jv::Jv, YamlError> {
        use super::jv::{Jv, Obj};
        Ok(match &self.value {
            Value::Seq(items) => {
                let mut out = Vec::with_capacity(items.len());
                for item in items {
                    out.push(item.to_jv()?);
                }
                Jv::Array(out)
            }
            // String keys of a mapping are unique as they are (the usual case); others may
            // meet as JSON text (`1` and `"1"`), where the last value wins.
            Value::Map(pairs) if pairs.iter().all(|(k, _)| matches!(k.value, Value::Str(_))) => {
                let mut out = Vec::with_capacity(pairs.len());
                for (key, value) in pairs {
                    out.push((key.json_key()?, value.to_jv()?));
                }
                Jv::Object(Obj::of_unique(out))
            }
            Value::Map(pairs) => {
                let mut map = Obj::with_capacity(pairs.len());
                for (key, value) in pairs {
                    map.insert(key.json_key()?, value.to_jv()?);
                }
                Jv::Object(map)
            }
            Value::Null => Jv::Null,
            Value::Bool(b) => Jv::Bool(*b),
            Value::Int(i) => Jv::Int(*i),
            Value::Float(f) if f.is_finite() => Jv::Float(*f),
            Value::Str(s) => Jv::String(s.clone()),
            Value::Float(_) | Value::BigInt(_) | Value::Date(_) => {
                return self.scalar_json().map(|_| Jv::Null);
            }
        })
    }

    /// `to_json`'s error, if it has one, without building the value: callers that convert a
    /// tree part by part check it whole first, so the first failure is the same.
    pub fn check_json(&self) -> Result<(), YamlError> {
        match &self.value {
            Value::Seq(items) => items.iter().try_for_each(Node::check_json),
            Value::Map(pairs) => pairs.iter().try_for_each(|(key, value)| {
                match &key.value {
                    Value::Float(_) | Value::Date(_) | Value::Seq(_) | Value::Map(_) => {
                        key.json_key()?;
                    }
                    _ => {}
                }
                value.check_json()
            }),
            Value::Float(_) | Value::Date(_) => self.scalar_json().map(drop),
            _ => Ok(()),
        }
    }

    #[inline(never)]
    fn scalar_json(&self) -> Result<serde_json::Value, YamlError> {
        use serde_json::Value as J;
        Ok(match &self.value {
            Value::Null => J::Null,
            Value::Bool(b) => J::Bool(*b),
            Value::Int(i) => J::from(*i),
            Value::Float(f) => match serde_json::Number::from_f64(*f) {
                Some(n) => J::Number(n),
                None => {
                    return Err(self.error(format!(
                        "{} cannot be written as JSON",
                        python_float_repr(*f)
                    )));
                }
            },
            Value::Str(s) => J::String(s.clone()),
            Value::BigInt(i) => {
                return Err(self.error(format!(
                    "the integer {i} is beyond 64 bits, which tc cannot write as JSON; quote it \
                     to make it a string"
                )));
            }
            Value::Date(d) => {
                return Err(self.error(format!(
                    "the date {d} cannot be written as JSON (taskgraph's JSON output fails on it \
                     too); quote it to make it a string"
                )));
            }
            Value::Seq(_) | Value::Map(_) => return self.to_json(),
        })
    }

    /// The value under a string key of a mapping.
    pub fn get(&self, key: &str) -> Option<&Node> {
        match &self.value {
            Value::Map(pairs) => pairs.iter().find(|(k, _)| k.is_key(key)).map(|(_, v)| v),
            _ => None,
        }
    }

    /// Whether this is the string key `key`. Keys are short and mostly differ in length or
    /// first byte, which are compared before a call to compare the rest.
    pub fn is_key(&self, key: &str) -> bool {
        matches!(&self.value, Value::Str(s) if same_text(s, key))
    }

    fn error(&self, message: String) -> YamlError {
        YamlError {
            span: self.span.clone(),
            message,
        }
    }

    /// A key as Python's `json.dumps` turns it into a string.
    #[inline(never)]
    fn json_key(&self) -> Result<String, YamlError> {
        match &self.value {
            Value::Str(s) => Ok(s.clone()),
            Value::Int(i) => Ok(i.to_string()),
            Value::BigInt(i) => Ok(i.clone()),
            Value::Bool(b) => Ok(b.to_string()),
            Value::Null => Ok("null".to_owned()),
            Value::Float(f) if f.is_finite() => Ok(python_float_repr(*f)),
            Value::Float(f) => Err(self.error(format!(
                "the key {} cannot be written as JSON",
                python_float_repr(*f)
            ))),
            Value::Date(d) => Err(self.error(format!(
                "the date key {d} cannot be written as JSON (taskgraph's JSON output fails on it \
                 too); quote it to make it a string"
            ))),
            Value::Seq(_) | Value::Map(_) => {
                Err(self.error("a collection key cannot be written as JSON".to_owned()))
            }
        }
    }
}

/// Python's `repr(float)`: shortest round-trip digits, exponent form below 1e-4 and from 1e16.
pub(crate) fn python_float_repr(f: f64) -> String {
    if f.is_nan() {
        return "nan".to_owned();
    }
    if f.is_infinite() {
        return if f > 0.0 { "inf" } else { "-inf" }.to_owned();
    }
    if f == 0.0 {
        return if f.is_sign_negative() { "-0.0" } else { "0.0" }.to_owned();
    }
    // Rust's `{:e}` gives the same shortest digits as Python; only the layout differs.
    let sci = format!("{:e}", f.abs());
    let Some((mantissa, exp)) = sci.split_once('e') else {
        return f.to_string();
    };
    let Ok(exp) = exp.parse::<i32>() else {
        return f.to_string();
    };
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let sign = if f < 0.0 { "-" } else { "" };
    if (-4..16).contains(&exp) {
        if exp >= 0 {
            let int_len = exp.unsigned_abs() as usize + 1;
            if digits.len() <= int_len {
                format!("{sign}{digits}{}.0", "0".repeat(int_len - digits.len()))
            } else {
                format!("{sign}{}.{}", &digits[..int_len], &digits[int_len..])
            }
        } else {
            format!(
                "{sign}0.{}{digits}",
                "0".repeat(exp.unsigned_abs() as usize - 1)
            )
        }
    } else {
        let mantissa = if digits.len() == 1 {
            digits
        } else {
            format!("{}.{}", &digits[..1], &digits[1..])
        };
        let exp_sign = if exp < 0 { '-' } else { '+' };
        format!("{sign}{mantissa}e{exp_sign}{:02}", exp.abs())
    }
}

// ---------------------------------------------------------------------------------------------
// Composition: events to a tree of shared raw nodes (aliases share, as PyYAML's composer does).

struct Raw {
    kind: RawKind,
    /// The full tag (`tag:yaml.org,2002:str`, `!`, `!local`), if one is written.
    tag: Option<String>,
    line: u32,
    col: u32,
    height: u32,
    /// Nodes after alias expansion, saturating.
    size: u64,
}

enum RawKind {
    Scalar { text: String, plain: bool },
    Seq(Vec<Rc<Raw>>),
    Map(Vec<(Rc<Raw>, Rc<Raw>)>),
}

impl RawKind {
    fn name(&self) -> &'static str {
        match self {
            RawKind::Scalar { .. } => "a scalar",
            RawKind::Seq(_) => "a sequence",
            RawKind::Map(_) => "a mapping",
        }
    }
}

struct Open {
    is_map: bool,
    /// The line a flow collection starts on.
    flow_line: Option<u32>,
    anchor: usize,
    tag: Option<String>,
    line: u32,
    col: u32,
    items: Vec<Rc<Raw>>,
}

fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// A scalar's text as PyYAML reads it, noting the lines inside it (where a leading tab is no
/// indentation): a block scalar's all, a multi-line flow scalar's after the first.
fn scalar_text(
    value: std::borrow::Cow<'_, str>,
    style: ScalarStyle,
    start: Marker,
    end: Marker,
    inside: &mut Vec<(u32, u32)>,
) -> String {
    let (first, last) = (to_u32(start.line()), to_u32(end.line()));
    if matches!(style, ScalarStyle::Literal | ScalarStyle::Folded) {
        inside.push((first, last));
    } else if last > first {
        inside.push((first.saturating_add(1), last));
    }
    // The parser reports an empty plain scalar as `~`; PyYAML sees "" (which matters under a
    // tag: `!!str` alone is "").
    if style == ScalarStyle::Plain && start.index() == end.index() {
        String::new()
    } else {
        value.into_owned()
    }
}

/// 1-based line and column of a parser marker (its columns count from 0).
fn position(mark: Marker) -> (u32, u32) {
    (to_u32(mark.line()), to_u32(mark.col()).saturating_add(1))
}

fn error_at(file: &'static str, (line, col): (u32, u32), message: impl Into<String>) -> YamlError {
    YamlError {
        span: Span { file, line, col },
        message: message.into(),
    }
}

fn scan_error(file: &'static str, text: &str, e: &ScanError) -> YamlError {
    let mut message = e.info();
    if message.is_empty() {
        "invalid YAML".clone_into(&mut message);
    }
    // YAML 1.2 lets an alias name go on with `:`, so `*k: v` reads as the alias `k:`; PyYAML
    // ends the name there. Rare enough to refuse, with the fix.
    let at = e.marker().byte_offset().and_then(|o| text.get(o..));
    if let Some(name) = at.and_then(|t| t.strip_prefix('*')) {
        let len = name
            .bytes()
            .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_'))
            .count();
        if len > 0 && name[len..].starts_with(':') {
            let name = &name[..len];
            let _ = write!(
                message,
                " (tc reads `*{name}:` as an alias named `{name}:`; write `*{name} :`)"
            );
        }
    }
    error_at(file, position(*e.marker()), message)
}

/// PyYAML ends a plain scalar inside a flow collection at `?` and then fails on it; YAML 1.2
/// (the parser) reads on. A `?` that starts the scalar is a complex key, which the parser
/// reads differently too: both are refused at the `?`.
fn flow_question_mark(
    file: &'static str,
    (line, col): (u32, u32),
    text: &str,
    in_map: bool,
) -> Result<(), YamlError> {
    let Some(i) = text.find('?') else {
        return Ok(());
    };
    let before = &text[..i];
    let at = if before.contains('\n') {
        (line, col)
    } else {
        (line, col.saturating_add(to_u32(before.chars().count())))
    };
    let close = if in_map { '}' } else { ']' };
    let message = if i == 0 {
        "tc does not read a complex key ('?') in a flow collection; quote the scalar".to_owned()
    } else {
        format!(
            "expected ',' or '{close}', but got '?' (PyYAML ends a plain scalar in a flow collection at '?'; quote the scalar)"
        )
    };
    Err(error_at(file, at, message))
}

/// The parser as PyYAML reads: both composition paths use it.
fn parser(text: &str) -> Parser<'_, granit_parser::StrInput<'_>> {
    let options = granit_parser::options! {
        emit_comments: false,
        // libyaml (so PyYAML) adds no line feed after a block scalar that ends the input.
        block_scalar_eof_without_line_feed: true,
        // PyYAML reads a byte-order mark inside a document as text.
        bom_inside_document_as_content: true,
        // For PyYAML's "found duplicate anchor".
        emit_anchor_events: true,
    };
    Parser::new_from_str_with_options(text, options)
}

/// An anchor named `name` at `at`, as PyYAML takes it: a name of ASCII letters, digits, `-`
/// and `_`, defined once.
fn new_anchor(
    file: &'static str,
    at: (u32, u32),
    name: &str,
    names: &mut HashMap<String, (u32, u32)>,
) -> Result<(), YamlError> {
    if let Some((i, c)) = name
        .chars()
        .enumerate()
        .find(|(_, c)| !(c.is_ascii_alphanumeric() || *c == '-' || *c == '_'))
    {
        return Err(error_at(
            file,
            (at.0, at.1.saturating_add(to_u32(i + 1))),
            format!("expected alphabetic or numeric character in the anchor name, but found {c:?}"),
        ));
    }
    if let Some(first) = names.insert(name.to_owned(), at) {
        // PyYAML's composer refuses a second definition of a name.
        return Err(error_at(
            file,
            at,
            format!(
                "found duplicate anchor '{name}'; first occurrence at {file}:{}:{}",
                first.0, first.1
            ),
        ));
    }
    Ok(())
}

fn compose(file: &'static str, text: &str) -> Result<Option<Rc<Raw>>, YamlError> {
    let mut stack: Vec<Open> = Vec::new();
    let mut anchors: HashMap<usize, Rc<Raw>> = HashMap::new();
    let mut anchor_names: HashMap<String, (u32, u32)> = HashMap::new();
    // Lines inside scalars and flow collections, where a leading tab is no indentation.
    let mut inside: Vec<(u32, u32)> = Vec::new();
    let mut root = None;
    let mut documents = 0u32;
    for item in parser(text) {
        let (event, span) = item.map_err(|e| scan_error(file, text, &e))?;
        // PyYAML places a node at its properties (tag) when it has some.
        let at = position(span.tag_start.unwrap_or(span.start));
        let done = match event {
            Event::DocumentStart(..) => {
                documents += 1;
                if documents > 1 {
                    return Err(error_at(
                        file,
                        at,
                        "expected a single document in the stream, but found another document",
                    ));
                }
                continue;
            }
            Event::Scalar(value, style, anchor, tag) => {
                let plain = style == ScalarStyle::Plain;
                let text = scalar_text(value, style, span.start, span.end, &mut inside);
                if let Some(open) = stack.last().filter(|o| plain && o.flow_line.is_some()) {
                    flow_question_mark(file, at, &text, open.is_map)?;
                }
                let raw = Rc::new(Raw {
                    kind: RawKind::Scalar { text, plain },
                    tag: tag.map(|t| format!("{}{}", t.handle(), t.suffix())),
                    line: at.0,
                    col: at.1,
                    height: 1,
                    size: 1,
                });
                if anchor != 0 {
                    anchors.insert(anchor, raw.clone());
                }
                raw
            }
            Event::SequenceStart(style, anchor, ref tag)
            | Event::MappingStart(style, anchor, ref tag) => {
                stack.push(Open {
                    is_map: matches!(event, Event::MappingStart(..)),
                    flow_line: (style == StructureStyle::Flow).then(|| to_u32(span.start.line())),
                    anchor,
                    tag: tag
                        .as_ref()
                        .map(|t| format!("{}{}", t.handle(), t.suffix())),
                    line: at.0,
                    col: at.1,
                    items: Vec::new(),
                });
                continue;
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let Some(open) = stack.pop() else {
                    return Err(error_at(file, at, "unbalanced collection end"));
                };
                let anchor = open.anchor;
                if let Some(first) = open.flow_line {
                    inside.push((first.saturating_add(1), to_u32(span.end.line())));
                }
                let raw = close(file, open)?;
                if anchor != 0 {
                    anchors.insert(anchor, raw.clone());
                }
                raw
            }
            Event::Alias(id) => match anchors.get(&id) {
                Some(raw) => raw.clone(),
                // Unknown anchors are parser errors, so this is an alias inside its own anchor.
                None => {
                    return Err(error_at(
                        file,
                        at,
                        "recursive alias: the anchored node contains this alias to itself",
                    ));
                }
            },
            Event::Anchor(_, name) => {
                new_anchor(file, position(span.start), &name, &mut anchor_names)?;
                continue;
            }
            _ => continue,
        };
        match stack.last_mut() {
            Some(open) => open.items.push(done),
            None => root = Some(done),
        }
    }
    check_indentation_tabs(file, text, &inside)?;
    Ok(root)
}

/// A collection the plain path is building.
struct PlainOpen {
    is_map: bool,
    /// The line a flow collection starts on.
    flow_line: Option<u32>,
    line: u32,
    col: u32,
    /// A mapping's keys and values alternate.
    items: Vec<Node>,
}

/// The document straight from the events, for the usual file: no anchors, aliases, tags, merge
/// or `=` keys, duplicate keys or collection keys. Building the shared raw tree first (what
/// aliases need) costs a third of the load. `None` for anything else, errors included: then
/// [`compose`] and the builder make the document, or the error, as always.
fn compose_plain(file: &'static str, text: &str) -> Option<Node> {
    let mut stack: Vec<PlainOpen> = Vec::new();
    let mut inside: Vec<(u32, u32)> = Vec::new();
    let mut root = None;
    let mut documents = 0u32;
    let mut nodes = 0u64;
    for item in parser(text) {
        let (event, span) = item.ok()?;
        let at = position(span.tag_start.unwrap_or(span.start));
        let done = match event {
            Event::DocumentStart(..) => {
                documents += 1;
                if documents > 1 {
                    return None;
                }
                continue;
            }
            Event::Scalar(value, style, anchor, tag) => {
                if anchor != 0 || tag.is_some() {
                    return None;
                }
                let plain = style == ScalarStyle::Plain;
                // A `?` in a flow scalar is an error, which the full path gives.
                if plain
                    && value.contains('?')
                    && stack.last().is_some_and(|o| o.flow_line.is_some())
                {
                    return None;
                }
                let text = scalar_text(value, style, span.start, span.end, &mut inside);
                let value = simple_scalar(text, plain)?;
                Node {
                    value,
                    span: Span {
                        file,
                        line: at.0,
                        col: at.1,
                    },
                }
            }
            Event::SequenceStart(style, anchor, ref tag)
            | Event::MappingStart(style, anchor, ref tag) => {
                // Deep documents take the full path, which knows the limit's message.
                if anchor != 0 || tag.is_some() || stack.len() + 2 >= MAX_DEPTH as usize {
                    return None;
                }
                stack.push(PlainOpen {
                    is_map: matches!(event, Event::MappingStart(..)),
                    flow_line: (style == StructureStyle::Flow).then(|| to_u32(span.start.line())),
                    line: at.0,
                    col: at.1,
                    items: Vec::new(),
                });
                continue;
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let open = stack.pop()?;
                if let Some(first) = open.flow_line {
                    inside.push((first.saturating_add(1), to_u32(span.end.line())));
                }
                let value = if open.is_map {
                    simple_map(open.items)?
                } else {
                    Value::Seq(open.items)
                };
                Node {
                    value,
                    span: Span {
                        file,
                        line: open.line,
                        col: open.col,
                    },
                }
            }
            Event::Alias(_) | Event::Anchor(..) => return None,
            _ => continue,
        };
        nodes += 1;
        if nodes > MAX_NODES {
            return None;
        }
        match stack.last_mut() {
            Some(open) => open.items.push(done),
            None => root = Some(done),
        }
    }
    if !stack.is_empty() {
        return None;
    }
    check_indentation_tabs(file, text, &inside).ok()?;
    Some(root.unwrap_or_else(|| empty_document(file)))
}

/// A scalar of the plain paths (`plain` when unquoted); `None` for what only the full path
/// builds: merge and value keys, and values that do not construct (the full path says why).
pub(super) fn simple_scalar(text: String, plain: bool) -> Option<Value> {
    Some(
        match if plain {
            implicit_kind(&text)
        } else {
            Kind::Str
        } {
            Kind::Str => Value::Str(text),
            Kind::Merge | Kind::ValueKey => return None,
            kind => construct_scalar(kind, &text).ok()?,
        },
    )
}

/// A mapping of the plain paths from its keys and values in turn; `None` for a collection
/// key or a repeated key (the full path warns about it).
pub(super) fn simple_map(items: Vec<Node>) -> Option<Value> {
    let mut map = MapBuilder::with_capacity(items.len() / 2);
    let mut items = items.into_iter();
    while let Some(key) = items.next() {
        let value = items.next()?;
        if matches!(key.value, Value::Seq(_) | Value::Map(_)) || map.find(&key.value).is_some() {
            return None;
        }
        map.push(key, value);
    }
    Some(Value::Map(map.entries))
}

/// PyYAML refuses a tab in the indentation of a line, block indicators (`- `, `? `, `: `) counted
/// as indentation; YAML 1.2, so the parser, allows tabs after the spaces. Lines inside scalars
/// and flow collections are exempt. Blank and comment lines are not: the pure-Python loader
/// refuses them all, libyaml most (it takes a few after a plain scalar, by its indentation).
fn check_indentation_tabs(
    file: &'static str,
    text: &str,
    inside: &[(u32, u32)],
) -> Result<(), YamlError> {
    if !text.contains('\t') {
        return Ok(());
    }
    let lines: Vec<&str> = text.split('\n').collect();
    let mut exempt = vec![false; lines.len() + 2];
    for &(first, last) in inside {
        let last = (last as usize).min(lines.len());
        for flag in exempt.iter_mut().take(last + 1).skip(first as usize) {
            *flag = true;
        }
    }
    for (i, line) in lines.iter().enumerate() {
        if exempt[i + 1] || !line.contains('\t') {
            continue;
        }
        let b = line.as_bytes();
        let mut k = 0;
        let mut tab = None;
        loop {
            match b.get(k) {
                Some(b' ') => k += 1,
                Some(b'\t') => {
                    tab.get_or_insert(k);
                    k += 1;
                }
                // A block indicator is followed by a blank.
                Some(b'-' | b'?' | b':') if matches!(b.get(k + 1), Some(b' ' | b'\t')) => k += 1,
                _ => break,
            }
        }
        if let Some(tab) = tab {
            return Err(error_at(
                file,
                (to_u32(i + 1), to_u32(tab + 1)),
                "found a tab character where YAML needs indentation (PyYAML refuses tabs \
                 there); indent with spaces",
            ));
        }
    }
    Ok(())
}

fn close(file: &'static str, open: Open) -> Result<Rc<Raw>, YamlError> {
    let height = open
        .items
        .iter()
        .map(|r| r.height)
        .max()
        .unwrap_or(0)
        .saturating_add(1);
    let size = open
        .items
        .iter()
        .fold(1u64, |acc, r| acc.saturating_add(r.size));
    let at = (open.line, open.col);
    if height > MAX_DEPTH {
        return Err(error_at(
            file,
            at,
            format!("the document nests more than {MAX_DEPTH} levels deep"),
        ));
    }
    if size > MAX_NODES {
        return Err(error_at(
            file,
            at,
            format!("the document has more than {MAX_NODES} nodes once aliases are expanded"),
        ));
    }
    let kind = if open.is_map {
        let mut pairs = Vec::with_capacity(open.items.len() / 2);
        let mut items = open.items.into_iter();
        while let Some(key) = items.next() {
            let Some(value) = items.next() else {
                return Err(error_at(file, at, "a mapping key without a value"));
            };
            pairs.push((key, value));
        }
        RawKind::Map(pairs)
    } else {
        RawKind::Seq(open.items)
    };
    Ok(Rc::new(Raw {
        kind,
        tag: open.tag,
        line: open.line,
        col: open.col,
        height,
        size,
    }))
}

// ---------------------------------------------------------------------------------------------
// Construction: raw nodes to values, as PyYAML's `SafeConstructor`.

/// What a scalar is once its tag is known (written, or resolved from a plain scalar).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Null,
    Bool,
    Int,
    Float,
    Timestamp,
    Str,
    /// `<<`: a merge key, only meaningful as a mapping key.
    Merge,
    /// `=`: PyYAML's "value" key, a string as a mapping key and an error elsewhere.
    ValueKey,
}

/// A tag as the constructor dispatches on it.
enum TagClass<'a> {
    /// No tag, or the non-specific `!`.
    Untagged,
    /// A `tag:yaml.org,2002:` tag, by suffix.
    Core(&'a str),
    Other,
}

fn classify(tag: Option<&str>) -> TagClass<'_> {
    match tag {
        None | Some("!") => TagClass::Untagged,
        Some(t) => match t.strip_prefix(CORE) {
            Some(suffix) => TagClass::Core(suffix),
            None => TagClass::Other,
        },
    }
}

/// Why PyYAML's `SafeLoader` cannot construct a scalar (a [`YamlError`]'s message, at the
/// scalar).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
enum ScalarError {
    #[error("expected a {0} node, but found scalar")]
    CollectionTag(&'static str),
    #[error("tc does not support the !!{0} tag")]
    UnsupportedTag(String),
    #[error("could not determine a constructor for the tag '{0}'")]
    NoConstructor(String),
    #[error("invalid timestamp '{0}'")]
    Timestamp(String),
    #[error("invalid timestamp '{text}': {why}")]
    TimestampField { text: String, why: &'static str },
    #[error("invalid !!bool value '{0}' (expected yes, no, true, false, on or off)")]
    Bool(String),
    #[error("invalid !!int value '{0}'")]
    Int(String),
    /// Python has no bound; tc keeps 64-bit integers.
    #[error("integer {0} does not fit in 64 bits")]
    IntTooBig(String),
    #[error("invalid !!float value '{0}'")]
    Float(String),
}

fn no_constructor(tag: &str) -> ScalarError {
    ScalarError::NoConstructor(tag.to_owned())
}

/// The kind of a scalar, or why PyYAML's `SafeLoader` cannot construct it.
fn scalar_kind(raw: &Raw, text: &str, plain: bool) -> Result<Kind, ScalarError> {
    Ok(match classify(raw.tag.as_deref()) {
        // The `!` tag asks for implicit resolution even for a quoted scalar, as in PyYAML.
        TagClass::Untagged if plain || raw.tag.is_some() => implicit_kind(text),
        TagClass::Untagged | TagClass::Core("str") => Kind::Str,
        TagClass::Core("null") => Kind::Null,
        TagClass::Core("bool") => Kind::Bool,
        TagClass::Core("int") => Kind::Int,
        TagClass::Core("float") => Kind::Float,
        TagClass::Core("timestamp") => Kind::Timestamp,
        TagClass::Core("merge") => Kind::Merge,
        TagClass::Core("value") => Kind::ValueKey,
        TagClass::Core("seq") => return Err(ScalarError::CollectionTag("sequence")),
        TagClass::Core("map") => return Err(ScalarError::CollectionTag("mapping")),
        TagClass::Core(suffix @ ("binary" | "set" | "omap" | "pairs")) => {
            return Err(unsupported_tag(suffix));
        }
        TagClass::Core(_) | TagClass::Other => {
            return Err(no_constructor(raw.tag.as_deref().unwrap_or_default()));
        }
    })
}

fn unsupported_tag(suffix: &str) -> ScalarError {
    ScalarError::UnsupportedTag(suffix.to_owned())
}

struct Builder {
    file: &'static str,
    warnings: Vec<String>,
    /// An anchored node is built again for each alias; its warnings are given once.
    seen: HashSet<String>,
}

impl Builder {
    fn span(&self, raw: &Raw) -> Span {
        Span {
            file: self.file,
            line: raw.line,
            col: raw.col,
        }
    }

    fn error(&self, raw: &Raw, message: impl Into<String>) -> YamlError {
        YamlError {
            span: self.span(raw),
            message: message.into(),
        }
    }

    fn warn(&mut self, message: String) {
        if self.seen.insert(message.clone()) {
            self.warnings.push(message);
        }
    }

    // `node` and `mapping` recurse once per level: they keep their own frames small (debug
    // builds give every temporary a slot) and leave the rest to out-of-line helpers.
    fn node(&mut self, raw: &Raw) -> Result<Node, YamlError> {
        let value = match &raw.kind {
            RawKind::Scalar { text, plain } => self.scalar(raw, text, *plain)?,
            RawKind::Seq(items) => {
                self.check_collection_tag(raw, "seq")?;
                let mut out = Vec::with_capacity(items.len());
                for item in items {
                    out.push(self.node(item)?);
                }
                Value::Seq(out)
            }
            RawKind::Map(_) => {
                self.check_collection_tag(raw, "map")?;
                self.mapping(raw)?
            }
        };
        Ok(Node {
            value,
            span: self.span(raw),
        })
    }

    #[inline(never)]
    fn scalar(&self, raw: &Raw, text: &str, plain: bool) -> Result<Value, YamlError> {
        let kind = scalar_kind(raw, text, plain).map_err(|e| self.error(raw, e.to_string()))?;
        construct_scalar(kind, text).map_err(|e| self.error(raw, e.to_string()))
    }

    #[inline(never)]
    fn check_collection_tag(&self, raw: &Raw, own: &str) -> Result<(), YamlError> {
        let found = if own == "seq" { "sequence" } else { "mapping" };
        match classify(raw.tag.as_deref()) {
            TagClass::Untagged => Ok(()),
            TagClass::Core(suffix) if suffix == own => Ok(()),
            TagClass::Core(
                "str" | "null" | "bool" | "int" | "float" | "timestamp" | "binary" | "value",
            ) => Err(self.error(raw, format!("expected a scalar node, but found {found}"))),
            TagClass::Core("seq") => {
                Err(self.error(raw, format!("expected a sequence node, but found {found}")))
            }
            TagClass::Core("map") => {
                Err(self.error(raw, format!("expected a mapping node, but found {found}")))
            }
            TagClass::Core(suffix @ ("set" | "omap" | "pairs")) => {
                Err(self.error(raw, unsupported_tag(suffix).to_string()))
            }
            TagClass::Core(_) | TagClass::Other => {
                let tag = raw.tag.as_deref().unwrap_or_default();
                Err(self.error(raw, no_constructor(tag).to_string()))
            }
        }
    }

    /// PyYAML's `flatten_mapping`: the pairs of the merged mappings first (a merged list in
    /// reverse, so its first mapping wins), then the mapping's own pairs. The flag marks own pairs,
    /// the only ones whose duplicates are worth a warning.
    fn flatten<'r>(
        &self,
        raw: &'r Raw,
        own: bool,
        out: &mut Vec<(&'r Raw, &'r Raw, bool)>,
    ) -> Result<(), YamlError> {
        let RawKind::Map(pairs) = &raw.kind else {
            return Ok(());
        };
        let mut merged = Vec::new();
        let mut direct = Vec::with_capacity(pairs.len());
        for (key, value) in pairs {
            if !is_merge_key(key) {
                direct.push((&**key, &**value, own));
                continue;
            }
            match &value.kind {
                RawKind::Map(_) => self.flatten(value, false, &mut merged)?,
                RawKind::Seq(items) => {
                    let mut each = Vec::with_capacity(items.len());
                    for item in items {
                        if !matches!(item.kind, RawKind::Map(_)) {
                            return Err(self.error(
                                item,
                                format!(
                                    "expected a mapping for merging, but found {}",
                                    item.kind.name()
                                ),
                            ));
                        }
                        let mut one = Vec::new();
                        self.flatten(item, false, &mut one)?;
                        each.push(one);
                    }
                    for one in each.into_iter().rev() {
                        merged.extend(one);
                    }
                }
                RawKind::Scalar { .. } => {
                    return Err(self.error(
                        value,
                        "expected a mapping or list of mappings for merging, but found a scalar",
                    ));
                }
            }
        }
        out.extend(merged);
        out.extend(direct);
        Ok(())
    }

    fn mapping(&mut self, raw: &Raw) -> Result<Value, YamlError> {
        let mut flat = Vec::new();
        self.flatten(raw, true, &mut flat)?;
        let mut map = MapBuilder::with_capacity(flat.len());
        for (key_raw, value_raw, own) in flat {
            let key = self.key(key_raw)?;
            let value = self.node(value_raw)?;
            self.insert(&mut map, key, value, own);
        }
        Ok(Value::Map(map.entries))
    }

    #[inline(never)]
    fn key(&self, raw: &Raw) -> Result<Node, YamlError> {
        let RawKind::Scalar { text, plain } = &raw.kind else {
            // A Python list or dict cannot be a dict key.
            return Err(self.error(
                raw,
                format!(
                    "found unhashable key ({}) while constructing a mapping",
                    raw.kind.name()
                ),
            ));
        };
        let kind = scalar_kind(raw, text, *plain).map_err(|e| self.error(raw, e.to_string()))?;
        let value = if kind == Kind::ValueKey {
            // PyYAML retags a `=` key as a string.
            Value::Str(text.clone())
        } else {
            construct_scalar(kind, text).map_err(|e| self.error(raw, e.to_string()))?
        };
        Ok(Node {
            value,
            span: self.span(raw),
        })
    }

    /// Python dict assignment: a new key goes last; an equal key keeps its place and its first
    /// spelling, and takes the new value.
    #[inline(never)]
    fn insert(&mut self, map: &mut MapBuilder, key: Node, value: Node, own: bool) {
        let Some(i) = map.find(&key.value) else {
            map.written.push(own.then(|| key.span.clone()));
            map.push(key, value);
            return;
        };
        if own {
            if let Some(first) = &map.written[i] {
                let message = format!(
                    "{}: duplicate key {} (also at {first}); the last value wins, as in PyYAML",
                    key.span,
                    describe_key(&key.value)
                );
                self.warn(message);
            }
            map.written[i] = Some(key.span);
        }
        map.entries[i].1 = value;
    }
}

/// A mapping under construction.
struct MapBuilder {
    entries: Vec<(Node, Node)>,
    /// Where each entry was last written by the mapping itself (not merged in).
    written: Vec<Option<Span>>,
    /// Hashes of key identities to entries, made only once the mapping is big: a small one
    /// (nearly all) is searched in place. Hashes, not keys: no key is copied (a kind's `tasks`
    /// mapping has thousands). Fx: SipHash showed in the profile.
    index: Option<rustc_hash::FxHashMap<u64, usize>>,
    /// Two different keys had one hash: a key not at its hash's entry is searched for.
    collided: bool,
}

/// Mappings up to this size are searched linearly.
const INDEXED_FROM: usize = 16;

impl MapBuilder {
    fn with_capacity(n: usize) -> Self {
        MapBuilder {
            entries: Vec::with_capacity(n),
            written: Vec::new(),
            index: None,
            collided: false,
        }
    }

    /// The entry whose key Python's dict holds equal to `key`.
    fn find(&mut self, key: &Value) -> Option<usize> {
        if self.index.is_none() && self.entries.len() >= INDEXED_FROM {
            let mut index = rustc_hash::FxHashMap::default();
            index.reserve(self.entries.len() * 2);
            self.index = Some(index);
            for i in 0..self.entries.len() {
                self.index_entry(i);
            }
        }
        let Some(index) = &self.index else {
            return self.position(key);
        };
        let id = key_id(key)?;
        let at_hash = index
            .get(&key_hash(&id))
            .copied()
            .filter(|&i| key_id(&self.entries[i].0.value).as_ref() == Some(&id));
        match at_hash {
            Some(i) => Some(i),
            None if self.collided => self.position(key),
            None => None,
        }
    }

    fn position(&self, key: &Value) -> Option<usize> {
        self.entries
            .iter()
            .position(|(k, _)| same_key(&k.value, key))
    }

    /// Adds an entry whose key is new (`find` did not find it).
    fn push(&mut self, key: Node, value: Node) {
        self.entries.push((key, value));
        self.index_entry(self.entries.len() - 1);
    }

    /// Indexes entry `i` (its key is unlike every earlier one).
    fn index_entry(&mut self, i: usize) {
        if let (Some(index), Some(id)) = (&mut self.index, key_id(&self.entries[i].0.value)) {
            self.collided |= index_key(index, &id, i);
        }
    }
}

/// Records that the key `id` is at entry `at`; true when another key has its hash already.
fn index_key(index: &mut rustc_hash::FxHashMap<u64, usize>, id: &KeyId, at: usize) -> bool {
    match index.entry(key_hash(id)) {
        std::collections::hash_map::Entry::Vacant(v) => {
            v.insert(at);
            false
        }
        std::collections::hash_map::Entry::Occupied(_) => true,
    }
}

fn key_hash(id: &KeyId) -> u64 {
    use std::hash::BuildHasher;
    rustc_hash::FxBuildHasher.hash_one(id)
}

/// Whether two keys are one key of a Python dict (`key_id` equality), without copies for the
/// common string keys.
fn same_key(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Str(x), Value::Str(y)) => x == y,
        (Value::Str(_), _) | (_, Value::Str(_)) => false,
        _ => matches!((key_id(a), key_id(b)), (Some(x), Some(y)) if x == y),
    }
}

fn is_merge_key(raw: &Raw) -> bool {
    match &raw.kind {
        RawKind::Scalar { text, plain } => scalar_kind(raw, text, *plain) == Ok(Kind::Merge),
        _ => false,
    }
}

fn describe_key(value: &Value) -> String {
    match value {
        Value::Str(s) => format!("{s:?}"),
        Value::Null => "null".to_owned(),
        Value::Bool(b) => b.to_string(),
        Value::Int(i) => i.to_string(),
        Value::BigInt(i) => i.clone(),
        Value::Float(f) => python_float_repr(*f),
        Value::Date(d) => d.clone(),
        Value::Seq(_) => "(a sequence)".to_owned(),
        Value::Map(_) => "(a mapping)".to_owned(),
    }
}

/// Key identity as Python's dict sees it: `1`, `1.0` and `true` are one key; NaN is never equal.
#[derive(Debug, Hash, PartialEq, Eq)]
enum KeyId<'a> {
    Null,
    Num(i64),
    FloatBits(u64),
    BigInt(&'a str),
    Str(&'a str),
    Date(std::borrow::Cow<'a, str>),
}

/// `f` as an int when it is integral and within i64, which it then converts to exactly (so
/// it meets an equal int as one key).
// Exactness is the point: an integral float compares equal to its truncation, and within
// ±2^63 converts without loss.
#[allow(clippy::float_cmp, clippy::cast_possible_truncation)]
fn integral(f: f64) -> Option<i64> {
    let bound = -(i64::MIN as f64); // 2^63, exact
    (f.trunc() == f && f >= -bound && f < bound).then_some(f as i64)
}

fn key_id(value: &Value) -> Option<KeyId<'_>> {
    Some(match value {
        Value::Null => KeyId::Null,
        Value::Bool(b) => KeyId::Num(i64::from(*b)),
        Value::Int(i) => KeyId::Num(*i),
        // Beyond 64 bits no float or smaller int equals it; equal texts are one key.
        Value::BigInt(i) => KeyId::BigInt(i),
        // PyYAML builds every NaN as one object, so NaN keys are one key.
        Value::Float(f) if f.is_nan() => KeyId::FloatBits(f64::NAN.to_bits()),
        Value::Float(f) => integral(*f).map_or(KeyId::FloatBits(f.to_bits()), KeyId::Num),
        Value::Str(s) => KeyId::Str(s),
        Value::Date(d) => {
            KeyId::Date(parse_stamp(d, false).map_or(d.into(), |s| s.canonical().into()))
        }
        Value::Seq(_) | Value::Map(_) => return None,
    })
}

fn construct_scalar(kind: Kind, text: &str) -> Result<Value, ScalarError> {
    Ok(match kind {
        Kind::Null => Value::Null,
        Kind::Str => Value::Str(text.to_owned()),
        Kind::Bool => Value::Bool(construct_bool(text)?),
        Kind::Int => match construct_int(text) {
            Ok(i) => Value::Int(i),
            Err(e) => big_decimal(text).map(Value::BigInt).ok_or(e)?,
        },
        Kind::Float => Value::Float(construct_float(text)?),
        Kind::Timestamp => {
            let stamp =
                parse_stamp(text, false).ok_or_else(|| ScalarError::Timestamp(text.to_owned()))?;
            stamp
                .validate()
                .map_err(|why| ScalarError::TimestampField {
                    text: text.to_owned(),
                    why,
                })?;
            Value::Date(text.to_owned())
        }
        Kind::Merge => return Err(no_constructor("tag:yaml.org,2002:merge")),
        Kind::ValueKey => return Err(no_constructor("tag:yaml.org,2002:value")),
    })
}

// ---------------------------------------------------------------------------------------------
// PyYAML's implicit resolvers (resolver.py), hand-written over bytes.

/// The kind PyYAML resolves a plain scalar to. Like PyYAML it tries bool, float, int, merge,
/// null, timestamp and value, each only for the first characters it can start with.
fn implicit_kind(text: &str) -> Kind {
    let Some(&first) = text.as_bytes().first() else {
        return Kind::Null;
    };
    // Python's `$` also matches before a final line feed (reachable through `! "…\n"`).
    let s = text.strip_suffix('\n').unwrap_or(text);
    let b = s.as_bytes();
    if b"yYnNtTfFoO".contains(&first) && is_bool(s) {
        return Kind::Bool;
    }
    if b"-+0123456789.".contains(&first) && is_float(b) {
        return Kind::Float;
    }
    if b"-+0123456789".contains(&first) && is_int(b) {
        return Kind::Int;
    }
    if first == b'<' && s == "<<" {
        return Kind::Merge;
    }
    if b"~nN".contains(&first) && matches!(s, "~" | "null" | "Null" | "NULL") {
        return Kind::Null;
    }
    if first.is_ascii_digit() && parse_stamp(s, true).is_some() {
        return Kind::Timestamp;
    }
    if first == b'=' && s == "=" {
        return Kind::ValueKey;
    }
    Kind::Str
}

fn is_bool(s: &str) -> bool {
    matches!(
        s,
        "yes"
            | "Yes"
            | "YES"
            | "no"
            | "No"
            | "NO"
            | "true"
            | "True"
            | "TRUE"
            | "false"
            | "False"
            | "FALSE"
            | "on"
            | "On"
            | "ON"
            | "off"
            | "Off"
            | "OFF"
    )
}

/// A cursor for the resolver patterns. None of them needs backtracking beyond a greedy match:
/// what follows each repetition cannot start with what it repeats.
struct Cur<'a> {
    b: &'a [u8],
    i: usize,
}

impl<'a> Cur<'a> {
    fn new(b: &'a [u8]) -> Self {
        Cur { b, i: 0 }
    }
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }
    fn end(&self) -> bool {
        self.i == self.b.len()
    }
    fn eat(&mut self, pred: impl Fn(u8) -> bool) -> bool {
        match self.peek() {
            Some(c) if pred(c) => {
                self.i += 1;
                true
            }
            _ => false,
        }
    }
    fn byte(&mut self, c: u8) -> bool {
        self.eat(|x| x == c)
    }
    fn bytes(&mut self, s: &[u8]) -> bool {
        if self.b[self.i..].starts_with(s) {
            self.i += s.len();
            true
        } else {
            false
        }
    }
    fn many(&mut self, pred: impl Fn(u8) -> bool) -> usize {
        let start = self.i;
        while self.eat(&pred) {}
        self.i - start
    }
    fn sign(&mut self) {
        self.eat(|c| c == b'+' || c == b'-');
    }
    /// Up to two digits, at least one.
    fn digits_1_2(&mut self) -> Option<u32> {
        let start = self.i;
        if !self.eat(|c| c.is_ascii_digit()) {
            return None;
        }
        self.eat(|c| c.is_ascii_digit());
        digits_value(&self.b[start..self.i])
    }
    /// `(?::[0-5]?[0-9])+`, the sexagesimal groups.
    fn sexagesimal_groups(&mut self) -> bool {
        let mut any = false;
        while self.byte(b':') {
            match (self.peek(), self.b.get(self.i + 1)) {
                (Some(b'0'..=b'5'), Some(d)) if d.is_ascii_digit() => self.i += 2,
                (Some(d), _) if d.is_ascii_digit() => self.i += 1,
                _ => return false,
            }
            any = true;
        }
        any
    }
}

fn digit_(c: u8) -> bool {
    c.is_ascii_digit() || c == b'_'
}

fn digits_value(b: &[u8]) -> Option<u32> {
    b.iter().try_fold(0u32, |acc, &c| {
        acc.checked_mul(10)?
            .checked_add(u32::from(c.checked_sub(b'0')?))
    })
}

/// `[eE][-+][0-9]+`, optional, then the end.
fn exponent_then_end(c: &mut Cur) -> bool {
    if c.eat(|x| x == b'e' || x == b'E')
        && (!c.eat(|x| x == b'+' || x == b'-') || c.many(|x| x.is_ascii_digit()) == 0)
    {
        return false;
    }
    c.end()
}

fn is_float(b: &[u8]) -> bool {
    // [-+]?[0-9][0-9_]*\.[0-9_]*([eE][-+][0-9]+)?
    let mut c = Cur::new(b);
    c.sign();
    if c.eat(|x| x.is_ascii_digit()) {
        c.many(digit_);
        if c.byte(b'.') {
            c.many(digit_);
            if exponent_then_end(&mut c) {
                return true;
            }
        }
    }
    // \.[0-9][0-9_]*([eE][-+][0-9]+)?
    let mut c = Cur::new(b);
    if c.byte(b'.') && c.eat(|x| x.is_ascii_digit()) {
        c.many(digit_);
        if exponent_then_end(&mut c) {
            return true;
        }
    }
    // [-+]?[0-9][0-9_]*(:[0-5]?[0-9])+\.[0-9_]*
    let mut c = Cur::new(b);
    c.sign();
    if c.eat(|x| x.is_ascii_digit()) {
        c.many(digit_);
        if c.sexagesimal_groups() && c.byte(b'.') {
            c.many(digit_);
            if c.end() {
                return true;
            }
        }
    }
    // [-+]?\.(inf|Inf|INF)
    let mut c = Cur::new(b);
    c.sign();
    if c.byte(b'.') && (c.bytes(b"inf") || c.bytes(b"Inf") || c.bytes(b"INF")) && c.end() {
        return true;
    }
    // \.(nan|NaN|NAN)
    matches!(b, b".nan" | b".NaN" | b".NAN")
}

fn is_int(b: &[u8]) -> bool {
    let after_sign = match b.first() {
        Some(b'+' | b'-') => &b[1..],
        _ => b,
    };
    let all = |s: &[u8], pred: fn(u8) -> bool| !s.is_empty() && s.iter().all(|&c| pred(c));
    // [-+]?0b[0-1_]+
    if let Some(rest) = after_sign.strip_prefix(b"0b")
        && all(rest, |c| matches!(c, b'0' | b'1' | b'_'))
    {
        return true;
    }
    // [-+]?0x[0-9a-fA-F_]+
    if let Some(rest) = after_sign.strip_prefix(b"0x")
        && all(rest, |c| c.is_ascii_hexdigit() || c == b'_')
    {
        return true;
    }
    // [-+]?0[0-7_]+ and [-+]?0
    if let Some(rest) = after_sign.strip_prefix(b"0") {
        return rest.is_empty() || all(rest, |c| matches!(c, b'0'..=b'7' | b'_'));
    }
    // [-+]?[1-9][0-9_]* and [-+]?[1-9][0-9_]*(:[0-5]?[0-9])+
    let mut c = Cur::new(after_sign);
    if !c.eat(|x| matches!(x, b'1'..=b'9')) {
        return false;
    }
    c.many(digit_);
    c.end() || (c.sexagesimal_groups() && c.end())
}

// ---------------------------------------------------------------------------------------------
// PyYAML's scalar constructors (constructor.py, SafeConstructor).

fn construct_bool(text: &str) -> Result<bool, ScalarError> {
    match text.to_lowercase().as_str() {
        "yes" | "true" | "on" => Ok(true),
        "no" | "false" | "off" => Ok(false),
        _ => Err(ScalarError::Bool(text.to_owned())),
    }
}

#[derive(Debug, PartialEq)]
enum IntFail {
    Invalid,
    TooBig,
}

/// Python's `int(s, base)`: surrounding whitespace, a sign and the base's own prefix allowed.
fn python_int(s: &str, base: u32) -> Result<i128, IntFail> {
    let s = s.trim();
    let (negative, s) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let prefixes: &[&str] = match base {
        2 => &["0b", "0B"],
        8 => &["0o", "0O"],
        16 => &["0x", "0X"],
        _ => &[],
    };
    let s = prefixes.iter().find_map(|p| s.strip_prefix(p)).unwrap_or(s);
    if s.is_empty() {
        return Err(IntFail::Invalid);
    }
    let mut value: i128 = 0;
    for c in s.chars() {
        let digit = c.to_digit(base).ok_or(IntFail::Invalid)?;
        value = value
            .checked_mul(i128::from(base))
            .and_then(|v| v.checked_add(i128::from(digit)))
            .ok_or(IntFail::TooBig)?;
    }
    Ok(if negative { -value } else { value })
}

fn construct_int(text: &str) -> Result<i64, ScalarError> {
    let fail = |why: IntFail| match why {
        IntFail::Invalid => ScalarError::Int(text.to_owned()),
        IntFail::TooBig => ScalarError::IntTooBig(text.to_owned()),
    };
    let cleaned = text.replace('_', "");
    if cleaned.is_empty() {
        return Err(fail(IntFail::Invalid));
    }
    let negative = cleaned.starts_with('-');
    let body = cleaned.strip_prefix(['-', '+']).unwrap_or(cleaned.as_str());
    let magnitude = if body == "0" {
        Ok(0)
    } else if let Some(bin) = body.strip_prefix("0b") {
        python_int(bin, 2)
    } else if let Some(hex) = body.strip_prefix("0x") {
        python_int(hex, 16)
    } else if body.starts_with('0') {
        python_int(body, 8)
    } else if body.contains(':') {
        // Sexagesimal: 1:30 is 90.
        let mut total: i128 = 0;
        let mut base: i128 = 1;
        for part in body.rsplit(':') {
            let digit = python_int(part, 10).map_err(fail)?;
            total = digit
                .checked_mul(base)
                .and_then(|d| total.checked_add(d))
                .ok_or_else(|| fail(IntFail::TooBig))?;
            base = base.saturating_mul(60);
        }
        Ok(total)
    } else {
        python_int(body, 10)
    }
    .map_err(fail)?;
    let value = if negative { -magnitude } else { magnitude };
    i64::try_from(value).map_err(|_| fail(IntFail::TooBig))
}

/// A plain decimal integer beyond 64 bits as Python prints it (sign and digits), if `text` is
/// one. (Other bases this large are refused: tc keeps no big-number arithmetic.)
fn big_decimal(text: &str) -> Option<String> {
    let cleaned = text.replace('_', "");
    let (sign, body) = match cleaned.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", cleaned.strip_prefix('+').unwrap_or(&cleaned)),
    };
    let decimal =
        !body.is_empty() && !body.starts_with('0') && body.bytes().all(|b| b.is_ascii_digit());
    decimal.then(|| format!("{sign}{body}"))
}

/// Python's `float(s)`: surrounding whitespace allowed, `inf`/`nan` spelled out accepted.
fn python_float(s: &str) -> Option<f64> {
    s.trim().parse::<f64>().ok()
}

fn construct_float(text: &str) -> Result<f64, ScalarError> {
    let invalid = || ScalarError::Float(text.to_owned());
    let cleaned = text.replace('_', "").to_lowercase();
    let negative = cleaned.starts_with('-');
    let body = cleaned.strip_prefix(['-', '+']).unwrap_or(cleaned.as_str());
    if cleaned.is_empty() {
        return Err(invalid());
    }
    let value = if body == ".inf" {
        f64::INFINITY
    } else if body == ".nan" {
        return Ok(f64::NAN);
    } else if body.contains(':') {
        // Sexagesimal, summed from the last part up as PyYAML does, for the same rounding.
        let mut total = 0.0;
        let mut base = 1.0;
        for part in body.rsplit(':') {
            total += python_float(part).ok_or_else(invalid)? * base;
            base *= 60.0;
        }
        total
    } else {
        python_float(body).ok_or_else(invalid)?
    };
    Ok(if negative { -value } else { value })
}

/// A YAML 1.1 timestamp, as PyYAML's timestamp regular expression splits it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Stamp {
    year: u32,
    month: u32,
    day: u32,
    time: Option<Time>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Time {
    hour: u32,
    minute: u32,
    second: u32,
    micro: u32,
    /// Offset east of UTC in minutes; `None` for a naive time.
    offset: Option<i64>,
}

/// Splits a timestamp. The resolver (`implicit`) wants two-digit month and day for a bare date;
/// the constructor's pattern accepts one digit everywhere.
fn parse_stamp(s: &str, implicit: bool) -> Option<Stamp> {
    let mut c = Cur::new(s.as_bytes());
    let year_start = c.i;
    for _ in 0..4 {
        if !c.eat(|x| x.is_ascii_digit()) {
            return None;
        }
    }
    let year = digits_value(&c.b[year_start..c.i])?;
    if !c.byte(b'-') {
        return None;
    }
    let month_start = c.i;
    let month = c.digits_1_2()?;
    let month_len = c.i - month_start;
    if !c.byte(b'-') {
        return None;
    }
    let day_start = c.i;
    let day = c.digits_1_2()?;
    let day_len = c.i - day_start;
    if c.end() {
        if implicit && (month_len != 2 || day_len != 2) {
            return None;
        }
        return Some(Stamp {
            year,
            month,
            day,
            time: None,
        });
    }
    if !(c.eat(|x| x == b'T' || x == b't') || c.many(|x| x == b' ' || x == b'\t') > 0) {
        return None;
    }
    let hour = c.digits_1_2()?;
    let two = |c: &mut Cur| -> Option<u32> {
        let start = c.i;
        if c.byte(b':') && c.eat(|x| x.is_ascii_digit()) && c.eat(|x| x.is_ascii_digit()) {
            digits_value(&c.b[start + 1..c.i])
        } else {
            None
        }
    };
    let minute = two(&mut c)?;
    let second = two(&mut c)?;
    let mut micro = 0;
    if c.byte(b'.') {
        let start = c.i;
        c.many(|x| x.is_ascii_digit());
        let fraction = &c.b[start..c.i];
        // Microseconds: the first six digits, padded with zeros.
        for k in 0..6 {
            micro = micro * 10 + fraction.get(k).map_or(0, |d| u32::from(d - b'0'));
        }
    }
    let blanks = c.many(|x| x == b' ' || x == b'\t');
    let offset = if c.byte(b'Z') {
        Some(0)
    } else if let Some(sign) = c.peek().filter(|x| *x == b'+' || *x == b'-') {
        c.i += 1;
        let hours = i64::from(c.digits_1_2()?);
        let minutes = if c.peek() == Some(b':') {
            i64::from(two(&mut c)?)
        } else {
            0
        };
        let total = hours * 60 + minutes;
        Some(if sign == b'-' { -total } else { total })
    } else {
        // Blanks must lead to a zone.
        if blanks > 0 {
            return None;
        }
        None
    };
    if !c.end() {
        return None;
    }
    Some(Stamp {
        year,
        month,
        day,
        time: Some(Time {
            hour,
            minute,
            second,
            micro,
            offset,
        }),
    })
}

impl Stamp {
    /// Python's `datetime` checks.
    fn validate(&self) -> Result<(), &'static str> {
        if self.year == 0 {
            return Err("year 0 is out of range");
        }
        if !(1..=12).contains(&self.month) {
            return Err("month must be in 1..12");
        }
        if self.day == 0 || self.day > days_in_month(self.year, self.month) {
            return Err("day is out of range for month");
        }
        if let Some(t) = &self.time {
            if t.hour > 23 {
                return Err("hour must be in 0..23");
            }
            if t.minute > 59 {
                return Err("minute must be in 0..59");
            }
            if t.second > 59 {
                return Err("second must be in 0..59");
            }
            if t.offset.is_some_and(|o| o.abs() >= 24 * 60) {
                return Err("the UTC offset must be less than 24 hours");
            }
        }
        Ok(())
    }

    /// A string equal for timestamps Python finds equal: dates by day, naive times by fields,
    /// aware times by instant.
    fn canonical(&self) -> String {
        match &self.time {
            None => format!("d{}-{}-{}", self.year, self.month, self.day),
            Some(t) => match t.offset {
                None => format!(
                    "n{}-{}-{}T{}:{}:{}.{}",
                    self.year, self.month, self.day, t.hour, t.minute, t.second, t.micro
                ),
                Some(offset) => {
                    let seconds = days_from_civil(self.year, self.month, self.day) * 86_400
                        + i64::from(t.hour) * 3600
                        + i64::from(t.minute) * 60
                        + i64::from(t.second)
                        - offset * 60;
                    format!("a{seconds}.{}", t.micro)
                }
            },
        }
    }
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400)) => {
            29
        }
        2 => 28,
        _ => 0,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date.
fn days_from_civil(year: u32, month: u32, day: u32) -> i64 {
    let (y, m, d) = (i64::from(year), i64::from(month), i64::from(day));
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let year_of_era = y - era * 400;
    let day_of_year = (153 * ((m + 9) % 12) + 2) / 5 + d - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn doc(text: &str) -> Node {
        match load("t.yml", text) {
            Ok(loaded) => loaded.node,
            Err(e) => panic!("{text:?}: {e}"),
        }
    }

    /// The value of the scalar `v` written after `a: `.
    fn scalar(v: &str) -> Value {
        let node = doc(&format!("a: {v}\n"));
        node.get("a")
            .unwrap_or_else(|| panic!("{v:?}"))
            .value
            .clone()
    }

    fn err(text: &str) -> YamlError {
        match load("t.yml", text) {
            Ok(loaded) => panic!("{text:?} loaded as {:?}", loaded.node.value),
            Err(e) => e,
        }
    }

    fn s(text: &str) -> Value {
        Value::Str(text.to_owned())
    }

    fn keys(node: &Node) -> Vec<Value> {
        match &node.value {
            Value::Map(pairs) => pairs.iter().map(|(k, _)| k.value.clone()).collect(),
            other => panic!("not a mapping: {other:?}"),
        }
    }

    fn json(text: &str) -> serde_json::Value {
        doc(text).to_json().unwrap()
    }

    #[test]
    fn booleans_in_lower_capitalised_and_upper_form() {
        for word in ["yes", "true", "on"] {
            for form in [word.to_owned(), capitalise(word), word.to_uppercase()] {
                assert_eq!(scalar(&form), Value::Bool(true), "{form}");
            }
        }
        for word in ["no", "false", "off"] {
            for form in [word.to_owned(), capitalise(word), word.to_uppercase()] {
                assert_eq!(scalar(&form), Value::Bool(false), "{form}");
            }
        }
    }

    fn capitalise(word: &str) -> String {
        let mut chars = word.chars();
        chars.next().map_or_else(String::new, |c| {
            c.to_uppercase().chain(chars).collect::<String>()
        })
    }

    #[test]
    fn other_boolean_spellings_stay_strings() {
        for form in [
            "y", "n", "Y", "N", "yEs", "tRUE", "oN", "nO", "yes!", "True!",
        ] {
            assert_eq!(scalar(form), s(form.trim()), "{form}");
        }
    }

    #[test]
    fn nulls() {
        for form in ["~", "null", "Null", "NULL", ""] {
            assert_eq!(scalar(form), Value::Null, "{form:?}");
        }
        assert_eq!(scalar("nULL"), s("nULL"));
        assert_eq!(scalar("none"), s("none"));
        assert_eq!(
            doc("- \n- ~").to_json().unwrap(),
            serde_json::json!([null, null])
        );
    }

    #[test]
    fn integers() {
        let cases: &[(&str, i64)] = &[
            ("0", 0),
            ("-0", 0),
            ("+12", 12),
            ("-12", -12),
            ("1_000", 1000),
            ("1__0_", 10),
            ("010", 8),
            ("-010", -8),
            ("00", 0),
            ("0_", 0),
            ("0x1f", 31),
            ("0x1F", 31),
            ("-0x_1f", -31),
            ("0b11", 3),
            ("+0b1_1", 3),
            ("1:30", 90),
            ("1:30:00", 5400),
            ("-1:30", -90),
            ("190:20:30", 685_230),
            ("1:5", 65),
            ("9223372036854775807", i64::MAX),
            ("-9223372036854775808", i64::MIN),
        ];
        for (text, want) in cases {
            assert_eq!(scalar(text), Value::Int(*want), "{text}");
        }
    }

    #[test]
    fn integer_lookalikes_stay_strings() {
        for form in [
            "08", "0o10", "0X1f", "0b12", "1:60", "0:30", "1:3_0", "_1", "1e3", "0x", "+", "12a",
            "1 2",
        ] {
            assert_eq!(scalar(form), s(form), "{form}");
        }
    }

    #[test]
    fn integers_beyond_64_bits_are_kept_as_text_and_refused_as_json() {
        let loaded = load(
            "t.yml",
            "a: 9_223_372_036_854_775_808\nb: -99999999999999999999\n",
        )
        .unwrap();
        assert_eq!(
            loaded.node.get("a").map(|n| &n.value),
            Some(&Value::BigInt("9223372036854775808".into()))
        );
        assert_eq!(
            loaded.node.get("b").map(|n| &n.value),
            Some(&Value::BigInt("-99999999999999999999".into()))
        );
        let e = loaded.node.to_json().unwrap_err();
        assert!(e.message.contains("beyond 64 bits"), "{e}");
        assert_eq!((e.span.line, e.span.col), (1, 4));
        // Other bases this large are refused when read.
        let e = err("a: 0x1ffffffffffffffffffff");
        assert!(e.message.contains("does not fit in 64 bits"), "{e}");
        // Python's int('', 2) fails for this form; so does tc.
        assert!(err("a: 0b_").message.contains("invalid !!int"));
    }

    #[test]
    fn floats_need_a_dot() {
        let cases: &[(&str, f64)] = &[
            ("1.5", 1.5),
            ("-1.5", -1.5),
            ("+1.5", 1.5),
            (".5", 0.5),
            ("1.", 1.0),
            ("0.", 0.0),
            ("1_000.5", 1000.5),
            ("1.5e+3", 1500.0),
            ("1.5E-3", 0.0015),
            ("1.e+3", 1000.0),
            (".5e+1", 5.0),
            ("1:30.5", 90.5),
            ("-1:30.5", -90.5),
            ("010.5", 10.5),
        ];
        for (text, want) in cases {
            assert_eq!(scalar(text), Value::Float(*want), "{text}");
        }
        assert!(matches!(scalar("-0.0"), Value::Float(f) if f == 0.0 && f.is_sign_negative()));
        for form in [".inf", ".Inf", ".INF", "+.inf"] {
            assert_eq!(scalar(form), Value::Float(f64::INFINITY), "{form}");
        }
        assert_eq!(scalar("-.inf"), Value::Float(f64::NEG_INFINITY));
        for form in [".nan", ".NaN", ".NAN"] {
            assert!(
                matches!(scalar(form), Value::Float(f) if f.is_nan()),
                "{form}"
            );
        }
    }

    #[test]
    fn float_lookalikes_stay_strings() {
        for form in [
            "1e3", "1.5e3", "1.5e+", "-.5", ".", "._", "1.5.5", "-.nan", "+.nan", ".iNf", "inf",
            "nan", "1:30.5:1", "1,5",
        ] {
            assert_eq!(scalar(form), s(form), "{form}");
        }
    }

    #[test]
    fn timestamps_are_dates_kept_as_written() {
        for form in [
            "2023-01-01",
            "2024-02-29",
            "2023-01-01T10:00:00Z",
            "2023-01-01t10:00:00",
            "2023-01-01 10:00:00",
            "2023-1-1T1:00:00",
            "2023-01-01 10:00:00.123456789 +01:00",
            "2001-12-14t21:59:43.10-05:00",
            "2001-12-14 21:59:43.10 -5",
            "2023-01-01\t10:00:00",
        ] {
            assert_eq!(scalar(form), Value::Date(form.to_owned()), "{form}");
        }
        for form in [
            "2023-1-1",
            "2023-01-1",
            "23-01-01",
            "2023-01-01T10:00",
            "2023-01-01 10:00:00 x",
            "2023/01/01",
        ] {
            assert_eq!(scalar(form), s(form.trim()), "{form}");
        }
    }

    #[test]
    fn impossible_dates_are_errors_at_the_scalar() {
        for (form, why) in [
            ("2023-02-30", "day is out of range"),
            ("2023-02-29", "day is out of range"),
            ("2023-13-01", "month"),
            ("0000-01-01", "year 0"),
            ("2023-01-01T24:00:00", "hour"),
            ("2023-01-01T10:60:00", "minute"),
            ("2023-01-01T10:00:60", "second"),
            ("2023-01-01T10:00:00+24:00", "offset"),
        ] {
            let e = err(&format!("x:\n  a: {form}"));
            assert!(e.message.contains(why), "{form}: {e}");
            assert_eq!(e.to_string(), format!("t.yml:2:6: {}", e.message));
        }
    }

    #[test]
    fn quoted_and_block_scalars_are_always_strings() {
        for form in [
            "yes",
            "010",
            "~",
            "null",
            "1.5",
            "2023-01-01",
            "<<",
            "=",
            "",
            "1:30",
        ] {
            assert_eq!(scalar(&format!("\"{form}\"")), s(form), "{form}");
            assert_eq!(scalar(&format!("'{form}'")), s(form), "{form}");
        }
        assert_eq!(doc("a: |\n  yes\n").get("a").unwrap().value, s("yes\n"));
        assert_eq!(doc("a: >-\n  12\n").get("a").unwrap().value, s("12"));
        // libyaml adds no line feed when a block scalar ends the input.
        assert_eq!(doc("a: |\n  text").get("a").unwrap().value, s("text"));
        assert_eq!(
            doc("a: 'it''s'\nb: \"\\t\\u00e9\"").to_json().unwrap(),
            serde_json::json!({"a": "it's", "b": "\té"})
        );
        // Multi-line plain scalars fold, then resolve.
        assert_eq!(doc("a: 1\n  2\n").get("a").unwrap().value, s("1 2"));
    }

    #[test]
    fn explicit_core_tags() {
        assert_eq!(scalar("!!str yes"), s("yes"));
        assert_eq!(scalar("!!str 1.5"), s("1.5"));
        assert_eq!(scalar("!!str"), s(""));
        assert_eq!(scalar("!!str ~"), s("~"));
        assert_eq!(scalar("!!int \"12\""), Value::Int(12));
        assert_eq!(scalar("!!int 0x10"), Value::Int(16));
        assert_eq!(scalar("!!int '0o17'"), Value::Int(15));
        assert_eq!(scalar("!!int ' 7 '"), Value::Int(7));
        assert_eq!(scalar("!!float 1"), Value::Float(1.0));
        assert_eq!(scalar("!!float '1e3'"), Value::Float(1000.0));
        assert_eq!(scalar("!!float inf"), Value::Float(f64::INFINITY));
        assert_eq!(scalar("!!bool 'YeS'"), Value::Bool(true));
        assert_eq!(scalar("!!bool off"), Value::Bool(false));
        assert_eq!(scalar("!!null 'anything'"), Value::Null);
        assert_eq!(scalar("!!null"), Value::Null);
        assert_eq!(
            scalar("!!timestamp 2023-1-1"),
            Value::Date("2023-1-1".into())
        );
        assert_eq!(scalar("!<tag:yaml.org,2002:int> '5'"), Value::Int(5));
        assert_eq!(
            doc("a: !!seq [1]\nb: !!map {c: 1}").to_json().unwrap(),
            serde_json::json!({"a": [1], "b": {"c": 1}})
        );
    }

    #[test]
    fn the_non_specific_tag_resolves_even_quoted_scalars() {
        assert_eq!(scalar("! 12"), Value::Int(12));
        assert_eq!(scalar("! '12'"), Value::Int(12));
        assert_eq!(scalar("! yes"), Value::Bool(true));
        assert_eq!(
            doc("a: ! [1]").to_json().unwrap(),
            serde_json::json!({"a": [1]})
        );
    }

    #[test]
    fn bad_tags_are_errors_at_the_tag() {
        let e = err("a: !foo x");
        assert_eq!(
            e.to_string(),
            "t.yml:1:4: could not determine a constructor for the tag '!foo'"
        );
        for (text, why) in [
            ("a: !!int x", "invalid !!int value 'x'"),
            ("a: !!int", "invalid !!int value ''"),
            ("a: !!int 1.5", "invalid !!int"),
            ("a: !!float x", "invalid !!float"),
            ("a: !!bool maybe", "invalid !!bool"),
            ("a: !!timestamp 2023", "invalid timestamp"),
            ("a: !!str [1]", "expected a scalar node, but found sequence"),
            (
                "a: !!map [1]",
                "expected a mapping node, but found sequence",
            ),
            (
                "a: !!seq {b: 1}",
                "expected a sequence node, but found mapping",
            ),
            ("a: !!seq x", "expected a sequence node, but found scalar"),
            ("a: !!binary aGk=", "!!binary"),
            ("a: !!set {b}", "!!set"),
            ("a: !!omap [b: 1]", "!!omap"),
            ("a: !!python/tuple [1]", "tag:yaml.org,2002:python/tuple"),
            ("a: =", "tag:yaml.org,2002:value"),
            ("a: <<", "tag:yaml.org,2002:merge"),
        ] {
            let e = err(text);
            assert!(e.message.contains(why), "{text}: {e}");
            assert_eq!((e.span.line, e.span.col), (1, 4), "{text}: {e}");
        }
    }

    #[test]
    fn anchors_and_aliases() {
        let node = doc("a: &x {k: [1, yes]}\nb: *x\nc: &s str\nd: *s\n");
        assert_eq!(node.get("a"), node.get("b"));
        assert_eq!(node.get("d").unwrap().value, s("str"));
        // An alias keeps the anchored node's position.
        assert_eq!(node.get("b").unwrap().span.line, 1);
        // PyYAML refuses to redefine an anchor.
        let e = err("a: &x 1\nb: *x\nc: &x 2\n");
        assert_eq!(
            e.to_string(),
            "t.yml:3:4: found duplicate anchor 'x'; first occurrence at t.yml:1:4"
        );
        // Anchored keys.
        assert_eq!(json("&k a: 1\n*k : 2\n"), serde_json::json!({"a": 2}));
    }

    #[test]
    fn aliases_inside_their_own_anchor_and_unknown_aliases_are_errors() {
        let e = err("a: &x [1, *x]");
        assert!(e.message.contains("recursive alias"), "{e}");
        assert_eq!((e.span.line, e.span.col), (1, 11));
        let e = err("a: 1\nb: *nope\n");
        assert_eq!((e.span.line, e.span.file), (2, "t.yml"), "{e}");
    }

    #[test]
    fn merge_a_single_mapping_with_explicit_keys_winning() {
        let text = "base: &b {x: 1, y: 2}\ntask:\n  <<: *b\n  y: 3\n  z: 4\n";
        let loaded = load("t.yml", text).unwrap();
        assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
        let task = loaded.node.get("task").unwrap();
        assert_eq!(
            task.to_json().unwrap(),
            serde_json::json!({"x": 1, "y": 3, "z": 4})
        );
        assert_eq!(keys(task), vec![s("x"), s("y"), s("z")]);
        // The merged key keeps its anchored position.
        assert_eq!(task.get("x").unwrap().span.line, 1);
        assert_eq!(task.get("y").unwrap().span.line, 4);
    }

    #[test]
    fn merge_a_list_of_mappings_where_the_first_wins() {
        let text = "a: &a {x: a, p: 1}\nb: &b {x: b, q: 2}\nt: {<<: [*a, *b], r: 3}\n";
        let t = doc(text);
        let t = t.get("t").unwrap();
        assert_eq!(t.get("x").unwrap().value, s("a"));
        // PyYAML reverses the list, so the last mapping's keys come first.
        assert_eq!(keys(t), vec![s("x"), s("q"), s("p"), s("r")]);
        // Several merge keys: later ones win, in key order of the first.
        let t = doc("a: &a {x: a}\nt: {<<: *a, <<: {x: b, y: c}}\n");
        assert_eq!(
            t.get("t").unwrap().to_json().unwrap(),
            serde_json::json!({"x": "b", "y": "c"})
        );
        // A merged mapping's own merges come along.
        let t = doc("a: &a {x: 1}\nb: &b {<<: *a, y: 2}\nt: {<<: *b}\n");
        assert_eq!(
            t.get("t").unwrap().to_json().unwrap(),
            serde_json::json!({"x": 1, "y": 2})
        );
        // Only a plain `<<` merges.
        assert_eq!(
            json("\"<<\": {x: 1}\n"),
            serde_json::json!({"<<": {"x": 1}})
        );
        assert_eq!(json("!!merge <<: {x: 1}\n"), serde_json::json!({"x": 1}));
    }

    #[test]
    fn merging_anything_but_mappings_is_an_error() {
        let e = err("t:\n  <<: 1\n");
        assert_eq!(
            e.to_string(),
            "t.yml:2:7: expected a mapping or list of mappings for merging, but found a scalar"
        );
        let e = err("t:\n  <<: [{a: 1}, [2]]\n");
        assert_eq!(
            e.to_string(),
            "t.yml:2:16: expected a mapping for merging, but found a sequence"
        );
    }

    #[test]
    fn a_question_mark_in_a_flow_scalar_is_an_error_at_it() {
        for (text, col) in [("a: [x, a?b]\n", 9), ("a: {k: b?}\n", 9), ("a: [?]\n", 5)] {
            let e = load("t.yml", text).unwrap_err();
            assert_eq!((e.span.line, e.span.col), (1, col), "{text}: {e}");
            assert!(e.message.contains("'?'"), "{e}");
        }
        // Quoted, or outside a flow collection, it is text.
        assert_eq!(json("a: ['a?b']\n"), serde_json::json!({"a": ["a?b"]}));
        assert_eq!(json("a: b?c\n"), serde_json::json!({"a": "b?c"}));
    }

    #[test]
    fn a_big_mapping_finds_its_keys_by_hash_even_when_two_hashes_meet() {
        // Past INDEXED_FROM keys, dict semantics hold through the index: 1, 1.0 and true are
        // one key, and a repeated string key is found.
        let mut text = (0..40).fold(String::new(), |mut text, i| {
            let _ = writeln!(text, "k{i}: {i}");
            text
        });
        text.push_str("1: a\n1.0: b\ntrue: c\nk7: again\n");
        let loaded = load("k.yml", &text).unwrap();
        let json = loaded.node.to_json().unwrap();
        assert_eq!(json["1"], "c");
        assert_eq!(json["k7"], "again");
        assert_eq!(keys(&loaded.node).len(), 41);
        assert_eq!(loaded.warnings.len(), 3);
        // A key whose hash points at another key (a collision) is still found.
        let node = |value| Node {
            value,
            span: Span {
                file: "k.yml",
                line: 1,
                col: 1,
            },
        };
        let mut map = MapBuilder::with_capacity(0);
        for i in 0..INDEXED_FROM + 2 {
            let key = Value::Str(format!("k{i}"));
            assert_eq!(map.find(&key), None);
            map.push(node(key), node(Value::Null));
        }
        // A second key with a hash already indexed is reported as a collision.
        let mut index = rustc_hash::FxHashMap::default();
        assert!(!index_key(&mut index, &KeyId::Str("a"), 0));
        assert!(index_key(&mut index, &KeyId::Str("a"), 1));
        assert_eq!(index[&key_hash(&KeyId::Str("a"))], 0);
        let k3 = Value::Str("k3".into());
        let index = map.index.as_mut().unwrap();
        *index.get_mut(&key_hash(&key_id(&k3).unwrap())).unwrap() = 0;
        map.collided = true;
        assert_eq!(map.find(&k3), Some(3));
        assert_eq!(map.find(&Value::Str("k0".into())), Some(0));
        assert_eq!(map.find(&Value::Str("nope".into())), None);
    }

    #[test]
    fn duplicate_keys_last_wins_with_a_warning_naming_both_places() {
        let loaded = load("k.yml", "a: 1\nb: 2\na: 3\n").unwrap();
        assert_eq!(
            loaded.node.to_json().unwrap(),
            serde_json::json!({"a": 3, "b": 2})
        );
        assert_eq!(keys(&loaded.node), vec![s("a"), s("b")]);
        assert_eq!(
            loaded.warnings,
            vec![
                "k.yml:3:1: duplicate key \"a\" (also at k.yml:1:1); the last value wins, as in PyYAML"
            ]
        );
        // Python dict semantics: 1, 1.0 and true are one key; the first key stays.
        let loaded = load("k.yml", "{1: a, 1.0: b, true: c}").unwrap();
        assert_eq!(keys(&loaded.node), vec![Value::Int(1)]);
        assert_eq!(
            loaded.node.to_json().unwrap(),
            serde_json::json!({"1": "c"})
        );
        assert_eq!(loaded.warnings.len(), 2);
        // Overriding a merged key is not a duplicate.
        let loaded = load("k.yml", "a: &a {x: 1}\nb: {<<: *a, x: 2}\n").unwrap();
        assert!(loaded.warnings.is_empty());
        // A duplicate inside an anchor reused by aliases is reported once.
        let loaded = load("k.yml", "a: &a {x: 1, x: 2}\nb: *a\nc: *a\n").unwrap();
        assert_eq!(loaded.warnings.len(), 1, "{:?}", loaded.warnings);
        // PyYAML makes every NaN the same object, so NaN keys are one key ({nan: 2}).
        let loaded = load("k.yml", ".nan: 1\n.NaN: 2\n").unwrap();
        assert_eq!(keys(&loaded.node).len(), 1);
        assert!(
            matches!(&loaded.node.value, Value::Map(pairs) if pairs[0].1.value == Value::Int(2))
        );
        assert_eq!(loaded.warnings.len(), 1);
        // Equal instants in different zones are one key; a date is not a datetime.
        let loaded = load(
            "k.yml",
            "2023-01-01 10:00:00Z: 1\n2023-01-01 11:00:00+01:00: 2\n2023-01-01: 3\n",
        )
        .unwrap();
        assert_eq!(keys(&loaded.node).len(), 2);
    }

    #[test]
    fn non_string_keys_are_kept_as_nodes() {
        let node = doc("3: a\ntrue: b\n~: c\n1.5: d\n2023-01-01: e\n\"3\": f\n");
        assert_eq!(
            keys(&node),
            vec![
                Value::Int(3),
                Value::Bool(true),
                Value::Null,
                Value::Float(1.5),
                Value::Date("2023-01-01".into()),
                s("3")
            ]
        );
        assert_eq!(node.get("3").unwrap().value, s("f"));
        let e = err("x:\n  ? [a]\n  : 1\n");
        assert!(e.message.contains("unhashable key"), "{e}");
        assert_eq!((e.span.line, e.span.col), (2, 5));
        assert_eq!(json("{=: 1}"), serde_json::json!({"=": 1}));
    }

    #[test]
    fn an_unquoted_brace_in_a_flow_sequence_is_a_yaml_error() {
        let e = err("task:\n  scopes: [a-{level}]\n");
        assert_eq!(e.span.file, "t.yml");
        assert_eq!((e.span.line, e.span.col), (2, 14), "{e}");
        assert!(e.to_string().starts_with("t.yml:2:14: "), "{e}");
    }

    #[test]
    fn syntax_errors_carry_their_position() {
        for (text, line, col) in [
            ("a: \"unterminated", 1, 4),
            ("a:\n  b: 1\n c: 2\n", 3, 2),
            ("a: b: c", 1, 5),
            ("- [1, 2\n", 1, 3),
        ] {
            let e = err(text);
            assert_eq!((e.span.line, e.span.col), (line, col), "{text:?}: {e}");
        }
    }

    #[test]
    fn anchor_names_are_ascii_words() {
        assert_eq!(
            json("a: &b-_9 x\nb: *b-_9"),
            serde_json::json!({"a": "x", "b": "x"})
        );
        let e = err("a: &a.b x\n");
        assert_eq!(
            e.to_string(),
            "t.yml:1:6: expected alphabetic or numeric character in the anchor name, but found '.'"
        );
    }

    #[test]
    fn yaml_1_1_line_breaks() {
        // NEL breaks a line, in a comment as anywhere.
        assert_eq!(
            json("# c\u{85}a: 1\u{85}b: 'x\u{85}  y'"),
            serde_json::json!({"a": 1, "b": "x y"})
        );
        let e = err("a: 1\u{85}b: 'x\u{2028}'\n");
        assert_eq!((e.span.line, e.span.col), (2, 6), "{e}");
        assert!(e.message.contains("U+2028"), "{e}");
        assert!(err("a: 1\n#\u{2029}").message.contains("U+2029"));
    }

    #[test]
    fn an_alias_followed_by_a_colon_is_refused_with_a_hint() {
        // PyYAML reads `*k:` as the alias `k` and a colon; YAML 1.2 as the alias `k:`.
        let e = err("&k a: 1\nb:\n  *k: 2\n");
        assert_eq!((e.span.line, e.span.col), (3, 3), "{e}");
        assert!(
            e.message
                .ends_with("(tc reads `*k:` as an alias named `k:`; write `*k :`)"),
            "{e}"
        );
        assert_eq!(
            json("&k a: 1\nb:\n  *k : 2\n"),
            serde_json::json!({"a": 1, "b": {"a": 2}})
        );
    }

    #[test]
    fn tabs_cannot_indent() {
        for (text, line, col) in [
            ("\t a: 1", 1, 1),
            ("a:\n  \tb: 1", 2, 3),
            ("-\ta", 1, 2),
            ("a:\n  - 1\n  - \t2", 3, 5),
            ("? a\n:\tb", 2, 2),
            ("a: 1\n\t\nb: 2", 2, 1),
            ("a: 1\n  \t# c\n", 2, 3),
            ("- \t\n", 1, 3),
        ] {
            let e = err(text);
            assert_eq!((e.span.line, e.span.col), (line, col), "{text:?}: {e}");
            assert!(e.message.contains("tab"), "{e}");
        }
        // Tabs elsewhere are separation or content, as libyaml reads them.
        for (text, want) in [
            ("a:\tb", serde_json::json!({"a": "b"})),
            ("a: b\tc", serde_json::json!({"a": "b\tc"})),
            ("a: |\n  x\n  \ty", serde_json::json!({"a": "x\n\ty"})),
            ("a: \"x\n\ty\"", serde_json::json!({"a": "x y"})),
            (
                "a: {b: 1,\n\tc: 2}",
                serde_json::json!({"a": {"b": 1, "c": 2}}),
            ),
            ("a: x\n \ty", serde_json::json!({"a": "x y"})),
        ] {
            assert_eq!(json(text), want, "{text:?}");
        }
    }

    #[test]
    fn nodes_carry_their_position() {
        let node =
            doc("# c\nkind:\n  tasks:\n    - name: x\n      run: !!str 5\n    - [a, {b: c}]\n");
        assert_eq!((node.span.line, node.span.col), (2, 1));
        let tasks = node.get("kind").unwrap().get("tasks").unwrap();
        assert_eq!((tasks.span.line, tasks.span.col), (4, 5));
        let Value::Seq(items) = &tasks.value else {
            panic!()
        };
        let name = items[0].get("name").unwrap();
        assert_eq!((name.span.line, name.span.col), (4, 13));
        let run = items[0].get("run").unwrap();
        assert_eq!((run.span.line, run.span.col), (5, 12), "at the tag");
        let Value::Map(pairs) = &items[0].value else {
            panic!()
        };
        assert_eq!((pairs[1].0.span.line, pairs[1].0.span.col), (5, 7));
        let Value::Seq(flow) = &items[1].value else {
            panic!()
        };
        assert_eq!((flow[1].span.line, flow[1].span.col), (6, 11));
        assert_eq!(flow[1].get("b").unwrap().span.col, 15);
        // Columns count characters, not bytes.
        assert_eq!(doc("é: x").get("é").unwrap().span.col, 4);
    }

    #[test]
    fn empty_documents_are_null_and_a_second_document_is_an_error() {
        for text in ["", "\n", "# only a comment\n", "---\n", "---\n...\n"] {
            let node = doc(text);
            assert_eq!(node.value, Value::Null, "{text:?}");
        }
        let e = err("a: 1\n---\nb: 2\n");
        assert!(e.message.contains("single document"), "{e}");
        assert_eq!(e.span.line, 2);
        assert_eq!(
            json("%YAML 1.1\n---\na: yes\n"),
            serde_json::json!({"a": true})
        );
    }

    #[test]
    fn to_json_fails_on_dates_as_taskgraph_does() {
        let e = doc("a:\n  - 2023-01-01\n").to_json().unwrap_err();
        assert_eq!((e.span.line, e.span.col), (2, 5));
        assert!(
            e.message.contains("2023-01-01 cannot be written as JSON"),
            "{e}"
        );
        assert!(doc("2023-01-01: a").to_json().is_err());
        assert!(doc("a: .inf").to_json().is_err());
        assert!(doc("a: .nan").to_json().is_err());
        // Quoted, it is a string.
        assert_eq!(
            json("a: '2023-01-01'"),
            serde_json::json!({"a": "2023-01-01"})
        );
    }

    #[test]
    fn to_json_writes_keys_as_python_json_dumps_does() {
        let out = json("1: a\nfalse: b\nnull: c\n1.5: d\n1e3: e\n1.0e+20: f\n");
        let keys: Vec<&str> = out
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(keys, ["1", "false", "null", "1.5", "1e3", "1e+20"]);
        assert_eq!(
            json("a: [1, 1.0, -0.5, yes, ~]"),
            serde_json::json!({"a": [1, 1.0, -0.5, true, null]})
        );
        assert!(json("a: 1.0")["a"].is_f64());
        assert!(json("a: 1")["a"].is_i64());
    }

    #[test]
    fn get_reads_string_keys_only() {
        let node = doc("a: 1\n2: b\n");
        assert_eq!(node.get("a").unwrap().value, Value::Int(1));
        assert!(node.get("2").is_none());
        assert!(doc("[a]").get("a").is_none());
    }

    #[test]
    fn python_float_repr_layout() {
        for (f, want) in [
            (1.0, "1.0"),
            (0.5, "0.5"),
            (-1.5, "-1.5"),
            (1e16, "1e+16"),
            (1.5e16, "1.5e+16"),
            (1e15, "1000000000000000.0"),
            (123_456_789.125, "123456789.125"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (1.25e-7, "1.25e-07"),
            (1e100, "1e+100"),
            (0.1 + 0.2, "0.30000000000000004"),
            (-0.0, "-0.0"),
            (f64::INFINITY, "inf"),
        ] {
            assert_eq!(python_float_repr(f), want, "{f}");
        }
    }

    #[test]
    fn byte_order_marks_and_comments() {
        assert_eq!(json("\u{feff}a: 1 # c\n"), serde_json::json!({"a": 1}));
        assert_eq!(
            json("a: 'x' # c\nb: x#y\n"),
            serde_json::json!({"a": "x", "b": "x#y"})
        );
    }

    #[test]
    fn alias_bombs_and_deep_nesting_are_errors_not_crashes() {
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..12 {
            let prev = format!("*a{}", i - 1);
            let _ = writeln!(text, "a{i}: &a{i} [{}]", vec![prev; 10].join(", "));
        }
        let e = err(&text);
        assert!(e.message.contains("nodes once aliases are expanded"), "{e}");

        // Each level nests the previous one inside 200 brackets: depth beyond the parser's limit.
        let e = err(&nested_through_aliases(8, 200));
        assert!(e.message.contains("levels deep"), "{e}");
    }

    /// `levels` anchored sequences, each nesting the previous one (by alias) inside `brackets`
    /// brackets.
    fn nested_through_aliases(levels: usize, brackets: usize) -> String {
        let mut text = String::new();
        for i in 0..levels {
            let inner = if i == 0 {
                "x".to_owned()
            } else {
                format!("*d{}", i - 1)
            };
            let (open, close) = ("[".repeat(brackets), "]".repeat(brackets));
            let _ = writeln!(text, "d{i}: &d{i} {open}{inner}{close}");
        }
        text
    }

    #[test]
    fn the_deepest_accepted_document_loads_and_converts() {
        // 2 × 125 nested sequences, through aliases: close to the limit, on a test thread's stack.
        let node = doc(&nested_through_aliases(2, 125));
        let json = node.to_json().unwrap();
        let mut depth = 0;
        let mut at = &json["d1"];
        while let Some(inner) = at.get(0) {
            depth += 1;
            at = inner;
        }
        assert_eq!((depth, at), (250, &serde_json::json!("x")));

        // The same with mappings, whose construction goes through more functions.
        let text = format!(
            "m0: &m0 {}x{}\nm1: {}*m0{}\n",
            "{a: ".repeat(125),
            "}".repeat(125),
            "{a: ".repeat(125),
            "}".repeat(125)
        );
        let json = doc(&text).to_json().unwrap();
        let mut depth = 0;
        let mut at = &json["m1"];
        while let Some(inner) = at.get("a") {
            depth += 1;
            at = inner;
        }
        assert_eq!((depth, at), (250, &serde_json::json!("x")));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn arbitrary_text_never_panics(text in any::<String>()) {
            if let Ok(loaded) = load("p.yml", &text) {
                let _ = loaded.node.to_json();
            }
        }

        #[test]
        fn yaml_like_text_never_panics(text in "[-:?,\\[\\]{}&*!|>'\"#%@`<= \n\tabnyoY019._~xT+e]{0,80}") {
            if let Ok(loaded) = load("p.yml", &text) {
                let _ = loaded.node.to_json();
            }
        }

        #[test]
        fn scalars_never_panic(text in "[-+0-9._:eEbxoTtZ \t]{0,24}") {
            let _ = implicit_kind(&text);
            let _ = construct_int(&text);
            let _ = construct_float(&text);
            let _ = parse_stamp(&text, false).map(|s| (s.validate(), s.canonical()));
        }
    }
}

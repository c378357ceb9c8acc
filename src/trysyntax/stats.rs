//! `tc try stats`: option usage over many pushes (try-syntax.md §10), in one streaming pass.

use std::collections::{BTreeMap, HashMap};
use std::io::BufRead;

use serde::Serialize;
use serde_json::{Map, Value};

use super::error::ErrorKind;
use super::raw::{RAW_KEYS, Raw};
use super::{Input, locate, options};

/// A raw value in a hashable form; maps are kept sorted so key order does not matter.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    Null,
    Bool(bool),
    Int(i64),
    Str(String),
    List(Vec<String>),
    Map(Vec<(String, String)>),
}

impl Key {
    fn of_str(s: Option<String>) -> Key {
        s.map_or(Key::Null, Key::Str)
    }

    fn to_json(&self) -> Value {
        match self {
            Key::Null => Value::Null,
            Key::Bool(b) => Value::Bool(*b),
            Key::Int(i) => Value::from(*i),
            Key::Str(s) => Value::String(s.clone()),
            Key::List(l) => Value::from(l.clone()),
            Key::Map(m) => Value::Object(
                m.iter()
                    .map(|(k, v)| (k.clone(), Value::String(v.clone())))
                    .collect::<Map<_, _>>(),
            ),
        }
    }
}

/// The 18 raw values of one push, moved out of `Raw` in `RAW_KEYS` order.
fn keys(raw: Raw) -> [Key; 18] {
    let mut setenv: Vec<(String, String)> = raw
        .setenv
        .into_iter()
        .map(|(k, v)| (k, v.as_str().unwrap_or_default().to_owned()))
        .collect();
    setenv.sort();
    [
        Key::of_str(raw.build),
        Key::Str(raw.platform),
        Key::Str(raw.unittests),
        Key::Str(raw.talos),
        Key::Str(raw.raptor),
        raw.job.map_or(Key::Null, Key::List),
        Key::Bool(raw.interactive),
        Key::of_str(raw.notify),
        Key::Int(raw.rebuild),
        Key::Int(raw.rebuild_talos),
        Key::Int(raw.rebuild_raptor),
        Key::of_str(raw.tag),
        Key::Bool(raw.no_retry),
        Key::Bool(raw.include_nightly),
        Key::Bool(raw.taskcluster_worker),
        Key::Bool(raw.artifact),
        Key::Bool(raw.gecko_profile),
        Key::Map(setenv),
    ]
}

/// Counts gathered so far.
#[derive(Debug, Default)]
pub struct Stats {
    pushes: u64,
    with_try_syntax: u64,
    parsed: u64,
    errors: BTreeMap<&'static str, u64>,
    options: Vec<HashMap<Key, u64>>,
    try_strings: HashMap<String, u64>,
}

/// One counted value: `{"value", "count", "percent"}`.
#[derive(Debug, Clone, Serialize)]
pub struct Item {
    pub value: Value,
    pub count: u64,
    pub percent: f64,
}

/// The JSON document of `tc try stats --format json`.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub pushes: u64,
    pub with_try_syntax: u64,
    pub parsed: u64,
    pub errors: BTreeMap<String, u64>,
    pub options: Map<String, Value>,
    pub try_strings: Vec<Item>,
}

impl Stats {
    pub fn new() -> Stats {
        Stats {
            options: (0..RAW_KEYS.len()).map(|_| HashMap::new()).collect(),
            ..Stats::default()
        }
    }

    /// One push given as a commit message (or a Try High Scores `try_syntax`).
    pub fn add_message(&mut self, message: &str) {
        self.pushes += 1;
        let located = match locate(Input::Message(message)) {
            Ok(None) => return,
            Ok(Some(located)) => located,
            Err(e) => {
                self.with_try_syntax += 1;
                return self.add_error(e.kind);
            }
        };
        self.with_try_syntax += 1;
        match options::parse(located.option_tokens()) {
            Ok(opts) => {
                self.parsed += 1;
                for (map, key) in self.options.iter_mut().zip(keys(opts.raw)) {
                    *map.entry(key).or_default() += 1;
                }
                let normalised = located
                    .tokens
                    .iter()
                    .map(|t| t.text.as_str())
                    .collect::<Vec<_>>()
                    .join(" ");
                *self.try_strings.entry(normalised).or_default() += 1;
            }
            Err(e) => self.add_error(e.kind),
        }
    }

    /// One push that could not be read.
    pub fn add_bad_push(&mut self, kind: ErrorKind) {
        self.pushes += 1;
        self.add_error(kind);
    }

    fn add_error(&mut self, kind: ErrorKind) {
        *self.errors.entry(kind.as_str()).or_default() += 1;
    }

    /// One line of the lines layout: a JSON object or a one-line commit message.
    pub fn add_line(&mut self, line: &str) {
        let trimmed = line.trim_start();
        if trimmed.is_empty() {
            return;
        }
        if !trimmed.starts_with('{') {
            return self.add_message(line);
        }
        match serde_json::from_str::<Value>(trimmed) {
            Ok(Value::Object(obj)) => match message_of(&obj) {
                Some(message) => self.add_message(message),
                None => self.add_bad_push(ErrorKind::NoMessage),
            },
            Ok(_) => self.add_bad_push(ErrorKind::NoMessage),
            Err(_) => self.add_bad_push(ErrorKind::BadJson),
        }
    }

    /// The counts as the contract's document, with `top` items per list (0 = all).
    pub fn report(&self, top: usize) -> Report {
        let parsed = self.parsed;
        let options = RAW_KEYS
            .iter()
            .zip(&self.options)
            .map(|(name, counts)| {
                let items = top_items(counts.iter().map(|(k, n)| (k.to_json(), *n)), parsed, top);
                (
                    name.to_string(),
                    serde_json::to_value(items).unwrap_or_default(),
                )
            })
            .collect();
        let try_strings = top_items(
            self.try_strings
                .iter()
                .map(|(s, n)| (Value::String(s.clone()), *n)),
            parsed,
            top,
        );
        Report {
            pushes: self.pushes,
            with_try_syntax: self.with_try_syntax,
            parsed,
            errors: self
                .errors
                .iter()
                .map(|(k, v)| (k.to_string(), *v))
                .collect(),
            options,
            try_strings,
        }
    }
}

/// A JSON line's message: its `message` if a string, else its `try_syntax` if a string.
fn message_of(obj: &Map<String, Value>) -> Option<&str> {
    obj.get("message")
        .and_then(Value::as_str)
        .or_else(|| obj.get("try_syntax").and_then(Value::as_str))
}

/// Orders by count, then by canonical JSON text, and keeps the first `top` (0 = all).
fn top_items(values: impl Iterator<Item = (Value, u64)>, parsed: u64, top: usize) -> Vec<Item> {
    let mut items: Vec<(String, Item)> = values
        .map(|(value, count)| {
            let percent = if parsed == 0 {
                0.0
            } else {
                let p = 100.0 * count as f64 / parsed as f64;
                format!("{p:.1}").parse().unwrap_or(p)
            };
            (
                value.to_string(),
                Item {
                    value,
                    count,
                    percent,
                },
            )
        })
        .collect();
    items.sort_by(|(ta, a), (tb, b)| b.count.cmp(&a.count).then_with(|| ta.cmp(tb)));
    if top > 0 {
        items.truncate(top);
    }
    items.into_iter().map(|(_, item)| item).collect()
}

/// Counts every push of `input`, choosing the layout from its content. `progress` is told
/// how many bytes were read so far.
pub fn collect(mut input: impl BufRead, mut progress: impl FnMut(u64)) -> std::io::Result<Stats> {
    let mut stats = Stats::new();
    let mut buf = Vec::with_capacity(4096);
    let mut read = 0u64;
    // The first non-blank line tells whether this may be one Try High Scores document.
    let first = loop {
        buf.clear();
        let n = input.read_until(b'\n', &mut buf)?;
        read += n as u64;
        if n == 0 {
            return Ok(stats);
        }
        if !buf.iter().all(u8::is_ascii_whitespace) {
            break String::from_utf8_lossy(&buf).into_owned();
        }
    };
    if first.trim_start().starts_with('{') {
        let complete_line = serde_json::from_str::<Value>(first.trim()).ok();
        let whole = match complete_line {
            // A complete JSON line: a document only if nothing follows it.
            Some(value) => {
                let mut rest = Vec::new();
                input.read_to_end(&mut rest)?;
                if rest.iter().all(u8::is_ascii_whitespace) && scores_of(&value).is_some() {
                    add_scores(&mut stats, &value);
                    return Ok(stats);
                }
                stats.add_line(&first);
                return Ok(lines_of(&mut stats, &rest, read, progress));
            }
            None => {
                let mut all = first.into_bytes();
                input.read_to_end(&mut all)?;
                all
            }
        };
        if let Ok(value) = serde_json::from_slice::<Value>(&whole) {
            if scores_of(&value).is_some() {
                add_scores(&mut stats, &value);
                return Ok(stats);
            }
        }
        return Ok(lines_of(&mut stats, &whole, 0, progress));
    }
    stats.add_line(&first);
    loop {
        buf.clear();
        let n = input.read_until(b'\n', &mut buf)?;
        if n == 0 {
            return Ok(stats);
        }
        read += n as u64;
        stats.add_line(&String::from_utf8_lossy(strip_newline(&buf)));
        if stats.pushes % 65536 == 0 {
            progress(read);
        }
    }
}

fn strip_newline(line: &[u8]) -> &[u8] {
    line.strip_suffix(b"\n").unwrap_or(line)
}

fn lines_of(stats: &mut Stats, bytes: &[u8], base: u64, mut progress: impl FnMut(u64)) -> Stats {
    for line in bytes.split(|b| *b == b'\n') {
        stats.add_line(&String::from_utf8_lossy(line));
    }
    progress(base + bytes.len() as u64);
    std::mem::take(stats)
}

fn scores_of(value: &Value) -> Option<&Vec<Value>> {
    value.as_object()?.get("scores")?.as_array()
}

fn add_scores(stats: &mut Stats, doc: &Value) {
    for score in scores_of(doc).into_iter().flatten() {
        let pushes = score.get("pushes").and_then(Value::as_array);
        for push in pushes.into_iter().flatten() {
            match push.get("try_syntax").and_then(Value::as_str) {
                Some(text) => stats.add_message(text),
                None => stats.add_bad_push(ErrorKind::NoMessage),
            }
        }
    }
}

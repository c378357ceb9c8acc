//! `tc try stats`: option usage over many pushes (try-syntax.md §10), in one streaming pass.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::io::{BufRead, Read};

use rustc_hash::FxHashMap as HashMap;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use super::counter::StringCounter;
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

/// Counts gathered so far. Pushes are counted by their exact token list; options are read
/// once per distinct list when the report is made, since try strings repeat a lot.
#[derive(Default)]
pub struct Stats {
    pushes: u64,
    with_try_syntax: u64,
    /// Errors found while reading (input and tokenize errors); option errors come later.
    errors: BTreeMap<&'static str, u64>,
    /// Each distinct token list (`encode_tokens`) with its count.
    token_lists: StringCounter,
    /// Reused to encode each token list.
    scratch: String,
}

/// `<len>:<text>` per token: unambiguous whatever the tokens hold.
fn encode_tokens(tokens: &[super::lexer::Token], out: &mut String) {
    use std::fmt::Write as _;
    out.clear();
    for token in tokens {
        let _ = write!(out, "{}:", token.text.len());
        out.push_str(&token.text);
    }
}

fn decode_tokens(mut encoded: &str) -> Vec<super::lexer::Token> {
    let mut tokens = Vec::new();
    while let Some((len, rest)) = encoded.split_once(':') {
        let len: usize = len.parse().unwrap_or(rest.len()).min(rest.len());
        tokens.push(super::lexer::Token {
            text: rest[..len].to_owned(),
            span: 0..0,
        });
        encoded = &rest[len..];
    }
    tokens
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
        Stats::default()
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
        encode_tokens(&located.tokens, &mut self.scratch);
        self.token_lists.add(&self.scratch, 1);
    }

    /// One push that could not be read.
    pub fn add_bad_push(&mut self, kind: ErrorKind) {
        self.pushes += 1;
        self.add_error(kind);
    }

    /// Adds the counts of another part of the same input.
    pub fn merge(&mut self, other: Stats) {
        self.pushes += other.pushes;
        self.with_try_syntax += other.with_try_syntax;
        for (kind, n) in other.errors {
            *self.errors.entry(kind).or_default() += n;
        }
        self.token_lists.merge(&other.token_lists);
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
        // The fast path borrows the two fields; anything unusual (duplicate keys, a line
        // that is not an object) takes the general path.
        if let Ok(push) = serde_json::from_str::<JsonPush>(trimmed) {
            // Without `try:` (or a `\u` escape that could spell it) in the line, the message
            // has none either: no need to unescape it.
            if !super::has_try_marker(trimmed) && !trimmed.contains("\\u") {
                if push.has_message() {
                    self.pushes += 1;
                } else {
                    self.add_bad_push(ErrorKind::NoMessage);
                }
                return;
            }
            match push.message() {
                Some(message) => self.add_message(&message),
                None => self.add_bad_push(ErrorKind::NoMessage),
            }
            return;
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
        // Read the options of each distinct token list once, weighted by its count.
        let mut errors = self.errors.clone();
        let mut parsed = 0;
        let mut counts: Vec<HashMap<Key, u64>> =
            (0..RAW_KEYS.len()).map(|_| HashMap::default()).collect();
        let mut try_strings = StringCounter::default();
        for (encoded, n) in self.token_lists.iter() {
            let tokens = decode_tokens(encoded);
            match options::parse(tokens.get(1..).unwrap_or_default()) {
                Ok(opts) => {
                    parsed += n;
                    for (map, key) in counts.iter_mut().zip(keys(opts.raw)) {
                        *map.entry(key).or_default() += n;
                    }
                    let texts: Vec<&str> = tokens.iter().map(|t| t.text.as_str()).collect();
                    try_strings.add(&texts.join(" "), n);
                }
                Err(e) => *errors.entry(e.kind.as_str()).or_default() += n,
            }
        }
        let options = RAW_KEYS
            .iter()
            .zip(&counts)
            .map(|(name, counts)| {
                let values = counts.iter().map(|(k, n)| (k, *n)).collect();
                let items = top_items(values, |k| k.to_json(), parsed, top);
                (
                    name.to_string(),
                    serde_json::to_value(items).unwrap_or_default(),
                )
            })
            .collect();
        let try_strings = top_items(
            try_strings.iter().collect(),
            |s| Value::String((*s).to_owned()),
            parsed,
            top,
        );
        Report {
            pushes: self.pushes,
            with_try_syntax: self.with_try_syntax,
            parsed,
            errors: errors.iter().map(|(k, v)| (k.to_string(), *v)).collect(),
            options,
            try_strings,
        }
    }
}

/// The two fields of a JSON line that matter, unparsed.
#[derive(Deserialize)]
struct JsonPush<'a> {
    #[serde(borrow, default)]
    message: Option<&'a RawValue>,
    #[serde(borrow, default)]
    try_syntax: Option<&'a RawValue>,
}

impl JsonPush<'_> {
    fn has_message(&self) -> bool {
        let is_str = |raw: Option<&RawValue>| raw.is_some_and(|r| r.get().starts_with('"'));
        is_str(self.message) || is_str(self.try_syntax)
    }

    /// Its `message` if a string, else its `try_syntax` if a string.
    fn message(&self) -> Option<Cow<'_, str>> {
        let text = |raw: Option<&RawValue>| {
            raw.filter(|r| r.get().starts_with('"'))
                .and_then(|r| serde_json::from_str::<Cow<str>>(r.get()).ok())
        };
        text(self.message).or_else(|| text(self.try_syntax))
    }
}

/// A JSON line's message: its `message` if a string, else its `try_syntax` if a string.
fn message_of(obj: &Map<String, Value>) -> Option<&str> {
    obj.get("message")
        .and_then(Value::as_str)
        .or_else(|| obj.get("try_syntax").and_then(Value::as_str))
}

/// Orders by count, then by canonical JSON text, and keeps the first `top` (0 = all).
/// Only the candidates for the top are turned into JSON, so many distinct values stay cheap.
fn top_items<T>(
    mut values: Vec<(T, u64)>,
    to_json: impl Fn(&T) -> Value,
    parsed: u64,
    top: usize,
) -> Vec<Item> {
    if top > 0 && values.len() > top {
        values.select_nth_unstable_by(top - 1, |a, b| b.1.cmp(&a.1));
        let threshold = values[top - 1].1;
        values.retain(|(_, n)| *n >= threshold);
    }
    let mut items: Vec<(String, Item)> = values
        .into_iter()
        .map(|(value, count)| {
            let value = to_json(&value);
            let percent = if parsed == 0 {
                0.0
            } else {
                let p = 100.0 * count as f64 / parsed as f64;
                format!("{p:.1}").parse().unwrap_or(p)
            };
            let text = value.to_string();
            (
                text,
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
        match serde_json::from_str::<Value>(first.trim()) {
            // A complete JSON line with `scores`: one document, if nothing follows it.
            Ok(value) if scores_of(&value).is_some() => {
                let mut rest = Vec::new();
                input.read_to_end(&mut rest)?;
                if rest.iter().all(u8::is_ascii_whitespace) {
                    add_scores(&mut stats, &value);
                } else {
                    stats.add_line(&first);
                    add_lines(&mut stats, &rest);
                }
                progress(read + rest.len() as u64);
                return Ok(stats);
            }
            Ok(_) => {}
            // Not complete on one line: a pretty-printed document, or bad JSON lines.
            Err(_) => {
                let mut all = first.into_bytes();
                input.read_to_end(&mut all)?;
                match serde_json::from_slice::<Value>(&all) {
                    Ok(value) if scores_of(&value).is_some() => add_scores(&mut stats, &value),
                    _ => add_lines(&mut stats, &all),
                }
                progress(all.len() as u64);
                return Ok(stats);
            }
        }
    }
    stats.add_line(&first);
    stats.merge(count_lines_in_parallel(input, read, progress)?);
    Ok(stats)
}

/// How much input one worker takes at a time.
const BLOCK: usize = 1 << 20;

/// Streams the rest of the input in blocks of whole lines to one worker per core.
fn count_lines_in_parallel(
    mut input: impl BufRead,
    mut read: u64,
    mut progress: impl FnMut(u64),
) -> std::io::Result<Stats> {
    let workers = std::thread::available_parallelism()
        .map_or(1, std::num::NonZero::get)
        .min(8);
    let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<u8>>(workers * 2);
    let rx = std::sync::Mutex::new(rx);
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                scope.spawn(|| {
                    let mut stats = Stats::new();
                    loop {
                        let block = match rx.lock() {
                            Ok(rx) => rx.recv(),
                            Err(_) => break,
                        };
                        match block {
                            Ok(block) => add_lines(&mut stats, &block),
                            Err(_) => break,
                        }
                    }
                    stats
                })
            })
            .collect();
        let mut carry = Vec::new();
        let result = loop {
            let mut block = std::mem::take(&mut carry);
            block.reserve(BLOCK);
            let n = match (&mut input).take(BLOCK as u64).read_to_end(&mut block) {
                Ok(n) => n,
                Err(e) => break Err(e),
            };
            read += n as u64;
            if n == 0 {
                if !block.is_empty() {
                    let _ = tx.send(block);
                }
                break Ok(());
            }
            if let Some(end) = block.iter().rposition(|b| *b == b'\n') {
                carry = block.split_off(end + 1);
                if tx.send(block).is_err() {
                    break Ok(());
                }
            } else {
                carry = block;
            }
            progress(read);
        };
        drop(tx);
        let mut parts = handles.into_iter().filter_map(|h| h.join().ok());
        let mut total = parts.next().unwrap_or_else(Stats::new);
        for part in parts {
            total.merge(part);
        }
        result.map(|()| total)
    })
}

fn add_lines(stats: &mut Stats, bytes: &[u8]) {
    let mut start = 0;
    for end in memchr::memchr_iter(b'\n', bytes).chain(std::iter::once(bytes.len())) {
        let line = &bytes[start..end];
        start = end + 1;
        match std::str::from_utf8(line) {
            Ok(text) => stats.add_line(text),
            Err(_) => stats.add_line(&String::from_utf8_lossy(line)),
        }
    }
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

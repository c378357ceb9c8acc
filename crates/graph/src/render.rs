//! Graph output (taskgraph.md §4.7, §6): JSON as Python's `json.dumps(sort_keys=True,
//! indent=2)` writes it, labels, and dot.

use std::fmt::Write as _;

use serde_json::Value;

use super::transform::Task;

/// `value` as `json.dumps(value, sort_keys=True, indent=2)`: keys sorted by code point,
/// `", "`-free separators with newlines, non-ASCII escaped, floats as Python's `repr`.
pub fn python_json(value: &Value) -> String {
    python_json_at(value, 0)
}

/// `python_json(value)` as it is written nested `level` deep in a document.
pub fn python_json_at(value: &Value, level: usize) -> String {
    let mut out = String::new();
    write_json_at(&mut out, value, level);
    out
}

/// [`python_json_at`] appended to `out`.
pub fn write_json_at(out: &mut String, value: &Value, level: usize) {
    write_value(out, value, level);
}

/// One entry of a JSON document: its key, the task, and (for `optimized`) its taskId.
pub type Entry<'a> = (&'a str, &'a Task, Option<&'a str>);

/// The JSON document of tasks keyed by label or taskId (§4.7), exactly as `python_json` writes
/// the tasks' `to_json()` values (with `task_id` when given), but written straight from the
/// tasks: no copy of the graph.
pub fn tasks_json(tasks: &[Entry]) -> String {
    let mut out = Vec::new();
    write_tasks_json(tasks, &mut out).expect("a Vec takes every write");
    String::from_utf8(out).expect("the writer writes UTF-8")
}

/// [`tasks_json`] into `out`, a batch of tasks at a time. The definitions are text already, so
/// this is mostly copying; big graphs render their batches on all cores, written in order, with
/// only a few batches held at once.
pub fn write_tasks_json(tasks: &[Entry], out: &mut dyn std::io::Write) -> std::io::Result<()> {
    const BATCH: usize = 64;
    if tasks.is_empty() {
        return out.write_all(b"{}");
    }
    let batches: Vec<&[Entry]> = tasks.chunks(BATCH).collect();
    let render = |i: usize, buf: &mut String| {
        buf.clear();
        buf.reserve(BATCH * 2048);
        for (j, (key, task, task_id)) in batches[i].iter().enumerate() {
            if i > 0 || j > 0 {
                buf.push(',');
            }
            indent(buf, 1);
            write_string(buf, key);
            buf.push_str(": ");
            write_task(buf, task, *task_id);
        }
    };
    let threads = super::threads();
    out.write_all(b"{")?;
    if threads == 1 || batches.len() < 2 * threads {
        let mut buf = String::new();
        for i in 0..batches.len() {
            render(i, &mut buf);
            out.write_all(buf.as_bytes())?;
        }
    } else {
        write_rendered_in_order(batches.len(), threads, &render, out)?;
    }
    let mut end = String::new();
    indent(&mut end, 0);
    end.push('}');
    out.write_all(end.as_bytes())
}

/// Batches `0..count` rendered on `threads` cores of the pool, each core taking the next batch
/// as it finishes one, and written to `out` here in order as they come: no core waits for the
/// others between batches. Buffers go back to the renderers once written (fresh memory for
/// every batch costs page faults), and there are never more than a few: a renderer waits for
/// one to come back rather than race ahead while the batch the writer needs is late (its core
/// taken by the writer, say).
fn write_rendered_in_order(
    count: usize,
    threads: usize,
    render: &(impl Fn(usize, &mut String) + Sync),
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let next = AtomicUsize::new(0);
    let buffers = Buffers::new(3 * threads);
    let (send, receive) = std::sync::mpsc::channel::<(usize, String)>();
    rayon::in_place_scope(|scope| {
        for _ in 0..threads {
            let send = send.clone();
            let (next, buffers) = (&next, &buffers);
            scope.spawn(move |_| {
                // A renderer that panics never sends its batch: the others must not wait for
                // buffers the writer will not give back (the scope then re-raises the panic).
                let _stop = buffers.stop_on_panic();
                // A buffer before a batch: whoever holds the batch the writer needs next has
                // one, so waiting for a buffer cannot stop the writer.
                while let Some(mut buf) = buffers.take() {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= count {
                        break;
                    }
                    render(i, &mut buf);
                    // A send fails when the writer has stopped (a write error): stop too.
                    if send.send((i, buf)).is_err() {
                        break;
                    }
                }
            });
        }
        drop(send);
        // However the writer ends, renderers waiting for a buffer stop.
        let _stop = buffers.stop_on_drop();
        // Batches that came before their turn.
        let mut early: std::collections::BTreeMap<usize, String> =
            std::collections::BTreeMap::default();
        let mut turn = 0;
        for (i, piece) in receive {
            early.insert(i, piece);
            while let Some(piece) = early.remove(&turn) {
                out.write_all(piece.as_bytes())?;
                buffers.give(piece);
                turn += 1;
            }
        }
        Ok(())
    })
}

/// At most `limit` render buffers, handed out and given back.
struct Buffers {
    state: std::sync::Mutex<BufferState>,
    returned: std::sync::Condvar,
    limit: usize,
}

#[derive(Default)]
struct BufferState {
    spare: Vec<String>,
    made: usize,
    stopped: bool,
}

impl Buffers {
    fn new(limit: usize) -> Buffers {
        Buffers {
            state: std::sync::Mutex::default(),
            returned: std::sync::Condvar::new(),
            limit,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BufferState> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// A spare buffer, a new one while fewer than `limit` exist, else the next one given
    /// back; `None` once stopped.
    fn take(&self) -> Option<String> {
        let mut state = self.lock();
        loop {
            if state.stopped {
                return None;
            }
            if let Some(buf) = state.spare.pop() {
                return Some(buf);
            }
            if state.made < self.limit {
                state.made += 1;
                return Some(String::new());
            }
            state = self
                .returned
                .wait(state)
                .unwrap_or_else(std::sync::PoisonError::into_inner);
        }
    }

    fn give(&self, buf: String) {
        self.lock().spare.push(buf);
        self.returned.notify_one();
    }

    /// Stops `take` when dropped.
    fn stop_on_drop(&self) -> Stop<'_> {
        Stop {
            buffers: self,
            only_in_panic: false,
        }
    }

    /// Stops `take` when dropped by a panic.
    fn stop_on_panic(&self) -> Stop<'_> {
        Stop {
            buffers: self,
            only_in_panic: true,
        }
    }
}

/// See [`Buffers::stop_on_drop`] and [`Buffers::stop_on_panic`].
struct Stop<'a> {
    buffers: &'a Buffers,
    only_in_panic: bool,
}

impl Drop for Stop<'_> {
    fn drop(&mut self) {
        if !self.only_in_panic || std::thread::panicking() {
            self.buffers.lock().stopped = true;
            self.buffers.returned.notify_all();
        }
    }
}

/// One task as `Task::to_json` then `python_json` would write it, as a value of the document's
/// top-level object; the keys are in sorted order. Each field's line is a literal: every task
/// writes the same ones.
fn write_task(out: &mut String, t: &Task, task_id: Option<&str>) {
    /// The task's depth in the document; its fields are one deeper.
    const LEVEL: usize = 1;
    let strings = |out: &mut String, items: &[String]| {
        write_list(out, items, LEVEL + 1, |out, item| write_string(out, item));
    };
    out.push_str("{\n    \"attributes\": ");
    super::jv::write_obj(out, &t.attributes, LEVEL + 1);
    out.push_str(",\n    \"dependencies\": ");
    write_string_map(
        out,
        t.dependencies
            .iter()
            .map(|(name, dep)| (name.as_str(), dep.as_str())),
        LEVEL + 1,
    );
    out.push_str(",\n    \"description\": ");
    write_string(out, &t.description);
    out.push_str(",\n    \"if_dependencies\": ");
    strings(out, &t.if_dependencies);
    out.push_str(",\n    \"kind\": ");
    write_string(out, &t.kind);
    out.push_str(",\n    \"label\": ");
    write_string(out, &t.label);
    out.push_str(",\n    \"optimization\": ");
    write_value(out, &t.optimization, LEVEL + 1);
    out.push_str(",\n    \"soft_dependencies\": ");
    strings(out, &t.soft_dependencies);
    // The definition's text is written by the transform already, at this depth.
    out.push_str(",\n    \"task\": ");
    out.push_str(t.task.text());
    if let Some(id) = task_id {
        out.push_str(",\n    \"task_id\": ");
        write_string(out, id);
    }
    out.push_str("\n  }");
}

/// A JSON array `level` deep, each item written by `item`.
pub(super) fn write_list<T>(
    out: &mut String,
    items: &[T],
    level: usize,
    item: impl Fn(&mut String, &T),
) {
    if items.is_empty() {
        out.push_str("[]");
        return;
    }
    out.push('[');
    for (i, one) in items.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        indent(out, level + 1);
        item(out, one);
    }
    indent(out, level);
    out.push(']');
}

/// A JSON object of strings `level` deep, its pairs given in key order.
pub(super) fn write_string_map<'a>(
    out: &mut String,
    pairs: impl Iterator<Item = (&'a str, &'a str)>,
    level: usize,
) {
    let mut empty = true;
    for (key, value) in pairs {
        out.push(if empty { '{' } else { ',' });
        empty = false;
        indent(out, level + 1);
        write_string(out, key);
        out.push_str(": ");
        write_string(out, value);
    }
    if empty {
        out.push_str("{}");
    } else {
        indent(out, level);
        out.push('}');
    }
}

pub(super) fn indent(out: &mut String, level: usize) {
    const LINE: &str = "\n                                                                ";
    let mut n = level * 2;
    // One copy for any usual depth.
    let k = n.min(LINE.len() - 1);
    out.push_str(&LINE[..=k]);
    n -= k;
    while n > 0 {
        let k = n.min(LINE.len() - 1);
        out.push_str(&LINE[1..=k]);
        n -= k;
    }
}

fn write_value(out: &mut String, value: &Value, level: usize) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => match n.as_f64().filter(|_| n.is_f64()) {
            Some(f) => out.push_str(&python_float(f)),
            None => {
                let _ = write!(out, "{n}");
            }
        },
        Value::String(s) => write_string(out, s),
        Value::Array(items) => {
            write_list(out, items, level, |out, item| {
                write_value(out, item, level + 1);
            });
        }
        Value::Object(map) => write_object(out, map, level),
    }
}

fn write_object(out: &mut String, map: &serde_json::Map<String, Value>, level: usize) {
    static NULL: Value = Value::Null;
    if map.is_empty() {
        out.push_str("{}");
        return;
    }
    // Python sorts str keys by code point; Rust's str order is byte order, which is the same
    // for UTF-8. Small maps (nearly all) are sorted on the stack.
    let mut small: [(&str, &Value); 24] = [("", &NULL); 24];
    let mut large: Vec<(&str, &Value)> = Vec::new();
    let pairs: &mut [(&str, &Value)] = if map.len() <= small.len() {
        for (slot, (k, v)) in small.iter_mut().zip(map) {
            *slot = (k.as_str(), v);
        }
        &mut small[..map.len()]
    } else {
        large.extend(map.iter().map(|(k, v)| (k.as_str(), v)));
        &mut large
    };
    pairs.sort_unstable_by(|a, b| a.0.cmp(b.0));
    out.push('{');
    for (i, (k, v)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        indent(out, level + 1);
        write_string(out, k);
        out.push_str(": ");
        write_value(out, v, level + 1);
    }
    indent(out, level);
    out.push('}');
}

/// A string with Python's `ensure_ascii` escapes (`/` is not escaped). Runs of printable ASCII,
/// nearly everything, are copied at once.
pub(super) fn write_string(out: &mut String, s: &str) {
    out.push('"');
    let bytes = s.as_bytes();
    // Nearly every string needs no escape: one branch-free pass (the compiler vectorises it)
    // decides, and the string is copied whole.
    if !needs_escape(bytes) {
        out.push_str(s);
        out.push('"');
        return;
    }
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if (0x20..0x7f).contains(&b) && b != b'"' && b != b'\\' {
            i += 1;
            continue;
        }
        out.push_str(&s[start..i]);
        let c = s[i..].chars().next().unwrap_or('\0');
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{08}' => out.push_str("\\b"),
            '\u{0c}' => out.push_str("\\f"),
            c => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    let _ = write!(out, "\\u{unit:04x}");
                }
            }
        }
        i += c.len_utf8();
        start = i;
    }
    out.push_str(&s[start..]);
    out.push('"');
}

/// Whether any byte is outside printable ASCII or is `"` or `\\`: eight bytes at a time, the
/// last (or only) eight read overlapping, so short strings take no byte loop.
fn needs_escape(bytes: &[u8]) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    // Bytes a short string does not fill are a harmless `a`.
    const PAD: u64 = 0x6161_6161_6161_6161;
    #[cfg(target_arch = "x86_64")]
    if bytes.len() >= 16 {
        return needs_escape_16(bytes);
    }
    // A byte of `x` below `n` (n <= 128) or equal to zero sets its high bit here.
    let below = |x: u64, n: u64| x.wrapping_sub(ONES * n) & !x & HIGH;
    let zero = |x: u64| x.wrapping_sub(ONES) & !x & HIGH;
    let word = |x: u64| {
        // 0x7f and up: the low seven bits carry into the high bit only for 0x7f.
        let high = (((x & !HIGH) + ONES) | x) & HIGH;
        below(x, 0x20)
            | high
            | zero(x ^ (ONES * u64::from(b'"')))
            | zero(x ^ (ONES * u64::from(b'\\')))
    };
    let u64_at = |i: usize| u64::from_le_bytes(bytes[i..i + 8].try_into().expect("eight bytes"));
    let u32_at = |i: usize| {
        u64::from(u32::from_le_bytes(
            bytes[i..i + 4].try_into().expect("four"),
        ))
    };
    let u16_at = |i: usize| u64::from(u16::from_le_bytes(bytes[i..i + 2].try_into().expect("two")));
    let n = bytes.len();
    match n {
        0 => false,
        1 => word(u64::from(bytes[0]) | (PAD << 8)) != 0,
        2..=3 => word(u16_at(0) | (u16_at(n - 2) << 16) | (PAD << 32)) != 0,
        4..=7 => word(u32_at(0) | (u32_at(n - 4) << 32)) != 0,
        _ => {
            let mut hit = word(u64_at(n - 8));
            let mut i = 0;
            while i + 8 <= n {
                hit |= word(u64_at(i));
                i += 8;
            }
            hit != 0
        }
    }
}

/// [`needs_escape`] sixteen bytes at a time (SSE2, which every x86_64 has), the last sixteen
/// read overlapping; for strings of sixteen bytes or more (routes, descriptions, URLs).
#[cfg(target_arch = "x86_64")]
fn needs_escape_16(bytes: &[u8]) -> bool {
    use std::arch::x86_64::{
        __m128i, _mm_cmpeq_epi8, _mm_cmplt_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_or_si128,
        _mm_set1_epi8,
    };
    let n = bytes.len();
    assert!(n >= 16);
    // SAFETY: SSE2 is part of the x86_64 baseline; every load reads 16 bytes that start at
    // or before `n - 16`, so within `bytes`, and `loadu` takes any alignment.
    unsafe {
        let hit = |at: usize| {
            // `loadu` reads through an unaligned pointer: the cast promises no alignment.
            #[allow(clippy::cast_ptr_alignment)]
            let x = _mm_loadu_si128(bytes.as_ptr().add(at).cast::<__m128i>());
            // As signed bytes, 0x80 and up are negative: below 0x20 with the controls.
            let odd = _mm_or_si128(
                _mm_cmplt_epi8(x, _mm_set1_epi8(0x20)),
                _mm_cmpeq_epi8(x, _mm_set1_epi8(0x7f)),
            );
            let quoting = _mm_or_si128(
                _mm_cmpeq_epi8(x, _mm_set1_epi8(b'"'.cast_signed())),
                _mm_cmpeq_epi8(x, _mm_set1_epi8(b'\\'.cast_signed())),
            );
            _mm_movemask_epi8(_mm_or_si128(odd, quoting)) != 0
        };
        let mut i = 0;
        while i + 16 <= n {
            if hit(i) {
                return true;
            }
            i += 16;
        }
        i < n && hit(n - 16)
    }
}

/// A float as `json.dumps` writes it: Python's `repr`, except the non-finite ones.
fn python_float(f: f64) -> String {
    if f.is_nan() {
        "NaN".into()
    } else if f.is_infinite() {
        if f > 0.0 {
            "Infinity".into()
        } else {
            "-Infinity".into()
        }
    } else {
        super::yaml::python_float_repr(f)
    }
}

/// `digraph taskgraph { … }`: one line per node and per edge, sorted, with `"` and `\` escaped.
pub fn dot(nodes: &[String], edges: &[(String, String, String)]) -> String {
    let esc = |s: &str| s.replace('\\', "\\\\").replace('"', "\\\"");
    let mut lines: Vec<String> = nodes.iter().map(|n| format!("  \"{}\";", esc(n))).collect();
    lines.sort();
    let mut edge_lines: Vec<String> = edges
        .iter()
        .map(|(from, to, name)| {
            format!(
                "  \"{}\" -> \"{}\" [label=\"{}\"];",
                esc(from),
                esc(to),
                esc(name)
            )
        })
        .collect();
    edge_lines.sort();
    let mut out = String::from("digraph taskgraph {\n");
    for l in lines.into_iter().chain(edge_lines) {
        out.push_str(&l);
        out.push('\n');
    }
    out.push_str("}\n");
    out
}

#[cfg(test)]
mod tests {
    use std::fmt::Write as _;

    use super::*;
    use serde_json::json;

    #[test]
    fn json_is_written_as_python_writes_it() {
        let v =
            json!({"b": [1, 2.5, {}], "a": {"x": null, "é": "caf\u{e9} \u{1f600}/\n"}, "c": []});
        assert_eq!(
            python_json(&v),
            "{\n  \"a\": {\n    \"x\": null,\n    \"\\u00e9\": \"caf\\u00e9 \\ud83d\\ude00/\\n\"\n  },\n  \"b\": [\n    1,\n    2.5,\n    {}\n  ],\n  \"c\": []\n}"
        );
    }

    #[test]
    fn tasks_are_written_as_their_json_values() {
        use crate::yaml::Span;
        let task = |label: &str, deps: &[(&str, &str)]| Task {
            label: label.into(),
            kind: "k\u{e9}".into(),
            description: "d \"q\" \\ \t\u{7f}".into(),
            attributes: match crate::jv::Jv::from_serde(
                &json!({"z": 1, "a": [true, 1.5, null], "m": {}}),
            ) {
                crate::jv::Jv::Object(o) => o,
                _ => unreachable!(),
            },
            dependencies: deps
                .iter()
                .map(|(n, l)| ((*n).to_owned(), (*l).to_owned()))
                .collect(),
            soft_dependencies: vec!["s".into()],
            if_dependencies: Vec::new(),
            optimization: json!({"skip-unless-changed": ["src/**"]}),
            task: crate::def::Def::new(
                &json!({"payload": {"env": {"B": "1", "A": "2"}}, "created": {}}),
            ),
            span: Span {
                file: "f",
                line: 1,
                col: 1,
            },
        };
        let many: Vec<Task> = (0..2500)
            .map(|i| task(&format!("t{i:05}"), &[("b", "x"), ("a", "y")]))
            .collect();
        for tasks in [&many[..0], &many[..1], &many[..3], &many[..]] {
            let list: Vec<Entry> = tasks.iter().map(|t| (t.label.as_str(), t, None)).collect();
            let doc: serde_json::Map<String, Value> = tasks
                .iter()
                .map(|t| (t.label.clone(), t.to_json()))
                .collect();
            assert_eq!(tasks_json(&list), python_json(&Value::Object(doc)));
            // With taskIds (optimized): keyed by them, `task_id` after `task`.
            let list: Vec<Entry> = tasks
                .iter()
                .map(|t| (t.label.as_str(), t, Some(t.label.as_str())))
                .collect();
            let doc: serde_json::Map<String, Value> = tasks
                .iter()
                .map(|t| {
                    let mut j = t.to_json();
                    j["task_id"] = Value::String(t.label.clone());
                    (t.label.clone(), j)
                })
                .collect();
            assert_eq!(tasks_json(&list), python_json(&Value::Object(doc)));
        }
    }

    #[test]
    fn escapes_are_found_at_every_place() {
        let simple = |b: &[u8]| {
            b.iter()
                .any(|&c| !(0x20..0x7f).contains(&c) || c == b'"' || c == b'\\')
        };
        for len in [1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 23, 31, 32, 33, 47, 70] {
            for at in 0..len {
                for c in 0..=255u8 {
                    let mut b = vec![b'a'; len];
                    b[at] = c;
                    assert_eq!(needs_escape(&b), simple(&b), "{c:#x} at {at} of {len}");
                }
            }
        }
        assert!(!needs_escape(b""));
    }

    #[test]
    fn floats_as_python_repr() {
        for (f, repr) in [
            (1.0, "1.0"),
            (0.1, "0.1"),
            (6.02e23, "6.02e+23"),
            (1e16, "1e+16"),
            (1e-7, "1e-07"),
            (0.0001, "0.0001"),
            (-2.5, "-2.5"),
            (123_456_789.0, "123456789.0"),
        ] {
            assert_eq!(python_float(f), repr, "{f}");
        }
    }

    /// Takes what it is given until `room` bytes are written, then fails.
    struct Limited {
        written: Vec<u8>,
        room: usize,
    }

    impl std::io::Write for Limited {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            if self.written.len() + buf.len() > self.room {
                return Err(std::io::Error::other("disk full"));
            }
            self.written.extend_from_slice(buf);
            Ok(buf.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn batches_are_written_in_order_and_a_write_error_stops_the_renderers() {
        // Uneven work, so batches finish out of order.
        let render = |i: usize, buf: &mut String| {
            buf.clear();
            let spin = (i * 7919) % 13;
            for _ in 0..spin * 1000 {
                std::hint::black_box(i);
            }
            let _ = write!(buf, "{i};");
        };
        let expected = (0..500).fold(String::new(), |mut s, i| {
            let _ = write!(s, "{i};");
            s
        });
        let mut out = Limited {
            written: Vec::new(),
            room: usize::MAX,
        };
        write_rendered_in_order(500, 3, &render, &mut out).unwrap();
        assert_eq!(String::from_utf8(out.written).unwrap(), expected);
        // The writer fails a third of the way: the error comes back, nothing hangs, and what
        // was written is a prefix in order.
        let mut out = Limited {
            written: Vec::new(),
            room: expected.len() / 3,
        };
        let error = write_rendered_in_order(500, 3, &render, &mut out).unwrap_err();
        assert_eq!(error.to_string(), "disk full");
        assert!(expected.starts_with(std::str::from_utf8(&out.written).unwrap()));
        assert!(out.written.len() <= expected.len() / 3);
    }

    #[test]
    fn a_renderer_that_panics_ends_the_write_with_its_panic() {
        let render = |i: usize, buf: &mut String| {
            assert!(i != 5, "renderer failed at batch 5");
            buf.clear();
            let _ = write!(buf, "{i};");
        };
        let mut out = Limited {
            written: Vec::new(),
            room: usize::MAX,
        };
        // Many batches after the failed one: the others must not wait for buffers forever.
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            write_rendered_in_order(500, 3, &render, &mut out)
        }));
        assert!(result.is_err(), "the renderer's panic comes back");
        assert_eq!(String::from_utf8(out.written).unwrap(), "0;1;2;3;4;");
    }

    #[test]
    fn render_buffers_are_bounded_and_reused() {
        let buffers = Buffers::new(2);
        let mut first = buffers.take().unwrap();
        first.push_str("used");
        let _second = buffers.take().unwrap();
        std::thread::scope(|s| {
            // A third waits for one to come back, and gets that one.
            let third = s.spawn(|| buffers.take());
            std::thread::sleep(std::time::Duration::from_millis(20));
            assert!(!third.is_finished());
            buffers.give(first);
            assert_eq!(third.join().unwrap().as_deref(), Some("used"));
            // Once stopped, a waiting renderer gets none.
            let fourth = s.spawn(|| buffers.take());
            drop(buffers.stop_on_drop());
            assert_eq!(fourth.join().unwrap(), None);
        });
    }

    #[test]
    fn dot_is_sorted_and_escaped() {
        let out = dot(
            &["b".into(), "a\"q".into()],
            &[("b".into(), "a\"q".into(), "dep".into())],
        );
        assert_eq!(
            out,
            "digraph taskgraph {\n  \"a\\\"q\";\n  \"b\";\n  \"b\" -> \"a\\\"q\" [label=\"dep\"];\n}\n"
        );
    }
}

//! Output of `tc try parse` and `tc try stats`: the JSON contract and the human tables.

use std::fmt::Write as _;

use indicatif::{ProgressBar, ProgressStyle};
use serde_json::{Value, json};

use super::table;
use tc_try::stats::Report;
use tc_try::{Parsed, RAW_KEYS, TestEntry};

/// The `--format json` document of `tc try parse` (try-syntax.md §9).
pub fn parse_document(parsed: Option<&Parsed>) -> Value {
    match parsed {
        None => json!({"try_found": false, "raw": null, "resolved": null}),
        Some(p) => json!({
            "try_found": true,
            "raw": p.options.raw,
            "resolved": p.resolved,
        }),
    }
}

/// A raw value as people read it: JSON text, so `"all"`, `null` and `""` stay apart.
fn shown(value: &Value) -> String {
    value.to_string()
}

/// The human report of `tc try parse`: the try text, the options and the selection.
pub fn parse_report(parsed: Option<&Parsed>) -> String {
    let Some(p) = parsed else {
        return "No `try:` in the message: it selects nothing.\n".to_owned();
    };
    let mut out = format!(
        "{}\n\nOptions (* = set by the try text)\n",
        table::clip_long_text(p.located.text)
    );
    let mut options = table::new(&["option", "value", ""]);
    for (i, key) in RAW_KEYS.iter().enumerate() {
        let mark = if p.options.set[i] { "*" } else { "" };
        options.add_row(vec![
            key.to_string(),
            shown(&p.options.raw.get(key)),
            mark.to_owned(),
        ]);
    }
    let _ = writeln!(out, "{options}");
    if let Some(r) = &p.resolved {
        let mut sel = table::new(&["selection", "value"]);
        sel.add_row(vec![
            "build types".to_owned(),
            list_or(&r.build_types, "none"),
        ]);
        let platforms = r
            .platforms
            .as_ref()
            .map_or("all".to_owned(), |p| list_or(p, "none"));
        sel.add_row(vec!["platforms".to_owned(), platforms]);
        for (name, entries) in [
            ("unittests", &r.unittests),
            ("talos", &r.talos),
            ("raptor", &r.raptor),
        ] {
            if entries.is_empty() {
                sel.add_row(vec![name.to_owned(), "none".to_owned()]);
            }
            for entry in entries {
                sel.add_row(vec![name.to_owned(), test_entry(entry)]);
            }
        }
        let jobs = r
            .jobs
            .as_ref()
            .map_or("all".to_owned(), |j| list_or(j, "none"));
        sel.add_row(vec!["jobs".to_owned(), jobs]);
        let _ = write!(out, "\nSelection\n{sel}\n");
    }
    out
}

/// Said on stderr after a parse without `--context` (unless `-q`).
pub const CONTEXT_HINT: &str = "hint: add --context FILE (the graph's build types, platforms and test names) to see what this selects";

fn list_or(items: &[String], empty: &str) -> String {
    if items.is_empty() {
        empty.to_owned()
    } else {
        items.join(", ")
    }
}

/// `name [p1, p2] chunks 1,3`.
fn test_entry(entry: &TestEntry) -> String {
    let mut s = entry.test.clone();
    if let Some(platforms) = &entry.platforms {
        let _ = write!(s, " [{}]", platforms.join(", "));
    }
    if let Some(chunks) = &entry.only_chunks {
        let chunks: Vec<&str> = chunks.iter().map(String::as_str).collect();
        let _ = write!(s, " chunks {}", chunks.join(","));
    }
    s
}

fn percent_of(n: u64, total: u64) -> String {
    if total == 0 {
        "0.0%".to_owned()
    } else {
        format!("{:.1}%", 100.0 * n as f64 / total as f64)
    }
}

/// The human report of `tc try stats`.
pub fn stats_report(r: &Report) -> String {
    let mut out = String::new();
    let mut counts = table::new(&["pushes", "count", "%"]);
    counts.add_row(vec![
        "read".into(),
        r.pushes.to_string(),
        percent_of(r.pushes, r.pushes),
    ]);
    for (name, n) in [("with try syntax", r.with_try_syntax), ("parsed", r.parsed)] {
        counts.add_row(vec![
            name.to_owned(),
            n.to_string(),
            percent_of(n, r.pushes),
        ]);
    }
    for (kind, n) in &r.errors {
        counts.add_row(vec![
            format!("error {kind}"),
            n.to_string(),
            percent_of(*n, r.pushes),
        ]);
    }
    let _ = writeln!(out, "{counts}");
    // One table for all options: the option's name on its first row only.
    let mut t = table::new(&["option", "value", "count", "%"]);
    for (key, items) in &r.options {
        for (i, item) in items.as_array().into_iter().flatten().enumerate() {
            let value = match &item["value"] {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            let name = if i == 0 { key.clone() } else { String::new() };
            let percent = item["percent"].as_f64().unwrap_or_default();
            t.add_row(vec![
                name,
                value,
                item["count"].to_string(),
                format!("{percent:.1}%"),
            ]);
        }
    }
    let _ = writeln!(out, "\n{t}");
    let mut t = table::new(&["try string", "count", "%"]);
    for item in &r.try_strings {
        let value = item.value.as_str().unwrap_or_default().to_owned();
        t.add_row(vec![
            value,
            item.count.to_string(),
            format!("{:.1}%", item.percent),
        ]);
    }
    let _ = writeln!(out, "\n{t}");
    out
}

/// A bar over the input's bytes (or a spinner for stdin), drawn on stderr.
pub fn progress_bar(size: Option<u64>) -> ProgressBar {
    if let Some(len) = size {
        let bar = ProgressBar::new(len);
        bar.set_style(
            ProgressStyle::with_template("{bar:40} {bytes}/{total_bytes} {bytes_per_sec} {eta}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar
    } else {
        let bar = ProgressBar::new_spinner();
        bar.set_style(
            ProgressStyle::with_template("{spinner} {bytes} read, {bytes_per_sec}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        bar
    }
}

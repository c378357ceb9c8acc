//! Resolution of raw options against a graph context (try-syntax.md §5).

use std::collections::{BTreeSet, HashMap};
use std::ops::Range;

use serde::Serialize;

use super::context::{Context, distinct};
use super::error::{ErrorKind, TryError};
use super::options::ValueSpans;
use super::raw::Raw;
use super::tables;
use super::testspec::{self, py_strip};

/// What the try options select. `platforms` and `jobs` are `None` for "all".
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Resolved {
    pub build_types: Vec<String>,
    pub platforms: Option<Vec<String>>,
    pub unittests: Vec<TestEntry>,
    pub talos: Vec<TestEntry>,
    pub raptor: Vec<TestEntry>,
    pub jobs: Option<Vec<String>>,
}

/// One selected test name, maybe restricted to platforms or chunks.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TestEntry {
    pub test: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub platforms: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub only_chunks: Option<BTreeSet<String>>,
}

/// Resolves in the contract's order: jobs, build types, platforms, unittests, talos, raptor.
pub fn resolve(raw: &Raw, spans: &ValueSpans, ctx: &Context) -> Result<Resolved, TryError> {
    let jobs = jobs(raw.job.as_deref());
    let build_types = build_types(raw.build.as_deref(), spans.build.clone(), ctx)?;
    let platforms = platforms(raw, spans.platform.clone(), ctx)?;
    let test_platforms = ctx.test_platform_set();
    let tests = |value: &str, span: &Option<Range<usize>>, names: &[String], flag: &str| {
        test_option(
            value,
            span.as_ref(),
            &distinct(names),
            &test_platforms,
            flag,
        )
    };
    let unittests = tests(
        &raw.unittests,
        &spans.unittests,
        &ctx.unittest_try_names,
        "-u",
    )?;
    let talos = tests(&raw.talos, &spans.talos, &ctx.talos_try_names, "-t")?;
    let raptor = tests(&raw.raptor, &spans.raptor, &ctx.raptor_try_names, "-r")?;
    Ok(Resolved {
        build_types,
        platforms,
        unittests,
        talos,
        raptor,
        jobs,
    })
}

fn jobs(job: Option<&[String]>) -> Option<Vec<String>> {
    match job {
        None => Some(Vec::new()),
        Some([only]) if only == "none" => Some(Vec::new()),
        Some([only]) if only == "all" => None,
        Some(list) => Some(
            list.iter()
                .flat_map(|j| j.split(','))
                .map(|piece| py_strip(piece).to_owned())
                .collect(),
        ),
    }
}

fn build_types(
    build: Option<&str>,
    span: Option<Range<usize>>,
    ctx: &Context,
) -> Result<Vec<String>, TryError> {
    let types: Vec<String> = build
        .unwrap_or_default()
        .chars()
        .filter_map(|c| match c {
            'o' => Some("opt".to_owned()),
            'd' => Some("debug".to_owned()),
            _ => None,
        })
        .collect();
    let mut unknown: Vec<&str> = types
        .iter()
        .filter(|t| !ctx.build_types.contains(t))
        .map(String::as_str)
        .collect();
    unknown.dedup();
    if unknown.is_empty() {
        return Ok(types);
    }
    Err(TryError::new(
        ErrorKind::UnknownBuildType,
        format!(
            "the graph has no {} builds; it has: {} (`o` = opt, `d` = debug)",
            unknown.join(", "),
            or_nothing(&distinct(&ctx.build_types))
        ),
        span,
    ))
}

fn platforms(
    raw: &Raw,
    span: Option<Range<usize>>,
    ctx: &Context,
) -> Result<Option<Vec<String>>, TryError> {
    if raw.platform == "all" {
        return Ok(None);
    }
    let no_tests = raw.unittests == "none" && raw.talos == "none" && raw.raptor == "none";
    let mut out = Vec::new();
    for item in raw.platform.split(',') {
        if item == "macosx64" && !no_tests {
            out.push("macosx64-shippable".to_owned());
        } else {
            out.push(item.to_owned());
        }
        if let Some(extra) = ctx.ridealong_builds.get(item) {
            out.extend(extra.iter().cloned());
        }
    }
    let known = |p: &String| ctx.build_platforms.contains(p) || ctx.test_platforms.contains(p);
    let unknown: Vec<String> = distinct(&out)
        .into_iter()
        .filter(|p| !known(&(*p).to_owned()))
        .map(|p| format!("`{p}`"))
        .collect();
    if unknown.is_empty() {
        return Ok(Some(out));
    }
    Err(TryError::new(
        ErrorKind::UnknownPlatform,
        format!(
            "unknown platform(s) {}: -p takes a comma-separated list (no spaces) of build or test platforms of the graph, or `all`",
            unknown.join(", ")
        ),
        span,
    ))
}

/// One parsed spec, after items were checked and normalised (§5.3 steps 2–3).
struct Spec {
    name: String,
    platforms: Option<Vec<String>>,
}

fn test_option(
    value: &str,
    span: Option<&Range<usize>>,
    names: &[&str],
    test_platforms: &[String],
    flag: &str,
) -> Result<Vec<TestEntry>, TryError> {
    if value == "none" {
        return Ok(Vec::new());
    }
    let parsed = testspec::parse(value).map_err(|why| {
        TryError::new(
            ErrorKind::BadBrackets,
            format!("{flag} `{value}`: {why}; write NAME or NAME[platform,-platform], separated by commas"),
            span.cloned(),
        )
    })?;
    let mut specs = Vec::with_capacity(parsed.len());
    for (i, spec) in parsed.iter().enumerate() {
        let platforms = match &spec.items {
            None => None,
            Some(items) => Some(platform_list(items, test_platforms).map_err(|e| {
                TryError::new(
                    ErrorKind::EmptyPlatformItem,
                    format!("{flag} `{value}`: {e}; remove it or write a platform name"),
                    span.cloned(),
                )
            })?),
        };
        // The leftmost spec counts only if its name was not empty before stripping.
        if i == 0 && spec.name.is_empty() {
            continue;
        }
        specs.push(Spec {
            name: py_strip(spec.name).to_owned(),
            platforms,
        });
    }
    if specs.first().is_some_and(|s| s.name == "all") {
        let all = specs.swap_remove(0);
        specs = names
            .iter()
            .map(|n| Spec {
                name: (*n).to_owned(),
                platforms: all.platforms.clone(),
            })
            .collect();
    }
    Ok(expand(specs, names))
}

/// A bracket item that is empty once stripped, or only `-`.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
#[error("the bracket item `{item}` names no platform")]
#[diagnostic(code("tc::try::empty_platform_item"))]
struct EmptyItem {
    item: String,
}

/// Applies bracket items left to right (§5.3 step 3); an empty item is the error.
fn platform_list(items: &[&str], test_platforms: &[String]) -> Result<Vec<String>, EmptyItem> {
    let mut list: Vec<String> = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let item = py_strip(item);
        if item.is_empty() || item == "-" {
            return Err(EmptyItem {
                item: item.to_owned(),
            });
        }
        let (negated, platform) = match item.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, item),
        };
        if i == 0 && negated {
            list = test_platforms.to_vec();
        }
        let expanded = tables::pretty_name(platform).map_or_else(
            || vec![platform.to_owned()],
            |ps| ps.iter().map(|p| (*p).to_owned()).collect(),
        );
        for p in expanded {
            if negated {
                list.retain(|q| *q != p);
            } else {
                list.push(p);
            }
        }
    }
    Ok(list)
}

/// `name-<digits>` → (`name`, digits), as gecko's `(.*)-([0-9]+)$` with `re.match`.
fn chunked(name: &str) -> Option<(&str, &str)> {
    let name = name.strip_suffix('\n').unwrap_or(name);
    let (base, chunk) = name.rsplit_once('-')?;
    let digits = !chunk.is_empty() && chunk.bytes().all(|b| b.is_ascii_digit());
    (digits && !base.contains('\n')).then_some((base, chunk))
}

/// Chunks, aliases and plain names (§5.3 steps 5–6).
fn expand(specs: Vec<Spec>, names: &[&str]) -> Vec<TestEntry> {
    let mut results: Vec<TestEntry> = Vec::new();
    let mut chunk_entries: HashMap<String, usize> = HashMap::new();
    for spec in specs {
        if let Some((base, chunk)) = chunked(&spec.name) {
            if let Some(&at) = chunk_entries.get(base) {
                if let Some(chunks) = results[at].only_chunks.as_mut() {
                    chunks.insert(chunk.to_owned());
                }
                continue;
            }
            chunk_entries.insert(base.to_owned(), results.len());
            results.push(TestEntry {
                test: base.to_owned(),
                platforms: spec.platforms,
                only_chunks: Some(BTreeSet::from([chunk.to_owned()])),
            });
        } else if let Some(rule) = tables::alias(&spec.name) {
            for name in names.iter().filter(|n| rule(n)) {
                results.push(TestEntry {
                    test: (*name).to_owned(),
                    platforms: spec.platforms.clone(),
                    only_chunks: None,
                });
            }
        } else {
            results.push(TestEntry {
                test: spec.name,
                platforms: spec.platforms,
                only_chunks: None,
            });
        }
    }
    // One entry per name, the last appended winning; sorted by name.
    let mut last: HashMap<&str, usize> = HashMap::new();
    for (i, entry) in results.iter().enumerate() {
        last.insert(entry.test.as_str(), i);
    }
    let mut keep: Vec<usize> = last.into_values().collect();
    keep.sort_by(|a, b| results[*a].test.cmp(&results[*b].test));
    let mut slots: Vec<Option<TestEntry>> = results.into_iter().map(Some).collect();
    keep.into_iter().filter_map(|i| slots[i].take()).collect()
}

fn or_nothing(items: &[&str]) -> String {
    if items.is_empty() {
        "none".to_owned()
    } else {
        items.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunk_suffix_follows_the_gecko_regex() {
        assert_eq!(chunked("a-1-2"), Some(("a-1", "2")));
        assert_eq!(chunked("x-01"), Some(("x", "01")));
        assert_eq!(chunked("x-"), None);
        assert_eq!(chunked("x-1a"), None);
        assert_eq!(chunked("-3"), Some(("", "3")));
        assert_eq!(chunked("a\nb-1"), None);
    }

    #[test]
    fn jobs_follow_the_special_cases() {
        let v = |xs: &[&str]| {
            xs.iter()
                .map(std::string::ToString::to_string)
                .collect::<Vec<_>>()
        };
        assert_eq!(jobs(None), Some(vec![]));
        assert_eq!(jobs(Some(&v(&["none"]))), Some(vec![]));
        assert_eq!(jobs(Some(&v(&["all"]))), None);
        assert_eq!(
            jobs(Some(&v(&["none", "none"]))),
            Some(v(&["none", "none"]))
        );
        assert_eq!(jobs(Some(&v(&[" a , b ", "c"]))), Some(v(&["a", "b", "c"])));
        assert_eq!(jobs(Some(&v(&[" none"]))), Some(v(&["none"])));
        assert_eq!(jobs(Some(&v(&["a,,b"]))), Some(v(&["a", "", "b"])));
    }
}

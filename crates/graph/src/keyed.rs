//! Keyed-by values (taskgraph.md §1.6): a mapping with exactly one key, starting with `by-`,
//! chooses among its alternatives by a context value; resolution repeats while the result is
//! still keyed-by. The messages are taskgraph's.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::{LazyLock, Mutex, PoisonError};

use super::yaml::{Node, Span, Value};

/// A keyed-by resolution that failed, at the `by-*` key (taskgraph's message).
#[derive(Debug, Clone, PartialEq, thiserror::Error, miette::Diagnostic)]
#[error("{message}")]
#[diagnostic(code(tc::graph::keyed_by))]
pub struct KeyedError {
    pub span: Span,
    pub message: String,
}

/// A keyed-by value's `by-*` key, its name without `by-`, and the alternatives.
pub type KeyedBy<'a> = (&'a Node, &'a str, &'a [(Node, Node)]);

/// The `by-*` key (its name without `by-`) and the alternatives, when `node` is keyed-by.
pub fn keyed_by(node: &Node) -> Option<KeyedBy<'_>> {
    let Value::Map(entries) = &node.value else {
        return None;
    };
    let [(key, alternatives)] = entries.as_slice() else {
        return None;
    };
    let Value::Str(name) = &key.value else {
        return None;
    };
    let by = name.strip_prefix("by-")?;
    match &alternatives.value {
        Value::Map(alts) => Some((key, by, alts.as_slice())),
        _ => None,
    }
}

/// Resolves `node` for `item` (how messages name it, e.g. ``item `run-on-projects` in `x` ``):
/// `context` gives a keyed-by name's value; `None` or null takes `default`.
pub fn resolve(
    node: &Node,
    item: &str,
    context: &dyn Fn(&str) -> Option<Value>,
) -> Result<Node, KeyedError> {
    // Borrowed while resolving: only the chosen alternative is copied.
    let mut current = node;
    while let Some((key_node, by, alternatives)) = keyed_by(current) {
        let fail = |message: String| KeyedError {
            span: key_node.span.clone(),
            message,
        };
        let mut keys = Vec::with_capacity(alternatives.len());
        for (k, _) in alternatives {
            match &k.value {
                Value::Str(s) => keys.push(s.as_str()),
                _ => {
                    return Err(KeyedError {
                        span: k.span.clone(),
                        message: format!(
                            "a non-string key in by-{by} while determining {item}: quote it"
                        ),
                    });
                }
            }
        }
        let default = alternatives
            .iter()
            .zip(&keys)
            .find(|(_, k)| **k == "default")
            .map(|((_, v), _)| v);
        if keys == ["default"] {
            return Err(fail(format!(
                "Keyed-by '{by}' unnecessary with only value 'default' found, when determining {item}"
            )));
        }
        let value = match context(by) {
            None | Some(Value::Null) => {
                let chosen = default.ok_or_else(|| {
                    fail(format!(
                        "No attribute {by} and no value for 'default' found while determining {item}"
                    ))
                })?;
                current = chosen;
                continue;
            }
            Some(v) => text(&v),
        };
        if let Some(i) = keys.iter().position(|k| *k == value) {
            current = &alternatives[i].1;
            continue;
        }
        let mut matches = Vec::new();
        for (i, k) in keys.iter().enumerate() {
            // A key without a regex metacharacter matches only itself, which the value is not.
            if !k.chars().any(regex_syntax::is_meta_character) {
                continue;
            }
            // Python's re.match(key + "$"): the `$` joins the key's last alternative, so
            // `linux|mac` matches `linux64` (taskgraph.md §1.6: Rust `^(?:key$)`).
            let matched = with_regex(k, |re| {
                re.map(|re| re.is_match(&value)).map_err(Clone::clone)
            })
            .map_err(|e| KeyedError {
                span: alternatives[i].0.span.clone(),
                message: format!("by-{by} key '{k}' is not a regular expression tc reads: {e}"),
            })?;
            if matched {
                matches.push(i);
            }
        }
        current = match matches.as_slice() {
            [one] => &alternatives[*one].1,
            [] => default.ok_or_else(|| {
                fail(format!(
                    "No {by} matching '{value}' nor 'default' found while determining {item}"
                ))
            })?,
            _ => {
                return Err(fail(format!(
                    "Multiple matching values for {by} '{value}' found while determining {item}"
                )));
            }
        };
    }
    Ok(current.clone())
}

type Compiled = Result<regex::Regex, regex::Error>;

/// Runs `f` on the compiled `^(?:key$)`. Compiling costs far more than matching (a `.` alone
/// builds a Unicode automaton: ~0.3 ms) and the same few keys recur in every task of a kind, so
/// each key is compiled once for the process and each thread keeps its own copy (a copy has its
/// own match cache: no thread waits on another to match).
fn with_regex<R>(key: &str, f: impl FnOnce(Result<&regex::Regex, &regex::Error>) -> R) -> R {
    static COMPILED: LazyLock<Mutex<HashMap<String, Compiled>>> = LazyLock::new(Default::default);
    thread_local! {
        static CACHE: RefCell<HashMap<String, Compiled>> = RefCell::new(HashMap::new());
    }
    CACHE.with(|cache| {
        let mut cache = cache.borrow_mut();
        if !cache.contains_key(key) {
            // Held while compiling, so a key another thread is compiling is not compiled twice.
            let mut compiled = COMPILED.lock().unwrap_or_else(PoisonError::into_inner);
            let re = compiled
                .entry(key.to_owned())
                .or_insert_with(|| regex::Regex::new(&format!("^(?:{key}$)")))
                .clone();
            drop(compiled);
            cache.insert(key.to_owned(), re);
        }
        f(cache[key].as_ref())
    })
}

/// A context value as Python's `str()` would print it for matching.
fn text(v: &Value) -> String {
    match v {
        Value::Str(s) | Value::Date(s) | Value::BigInt(s) => s.clone(),
        Value::Bool(true) => "True".into(),
        Value::Bool(false) => "False".into(),
        Value::Int(i) => i.to_string(),
        Value::Float(f) => f.to_string(),
        Value::Null => "None".into(),
        Value::Seq(_) | Value::Map(_) => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::load;

    fn resolved(yaml: &str, ctx: &[(&str, &str)]) -> Result<serde_json::Value, KeyedError> {
        let node = load("k.yml", yaml).unwrap().node;
        let lookup = |k: &str| {
            ctx.iter()
                .find(|(name, _)| *name == k)
                .map(|(_, v)| Value::Str((*v).to_owned()))
        };
        resolve(&node, "item `x` in `t`", &lookup).map(|n| n.to_json().unwrap())
    }

    /// The error, as `file:line:col: message`.
    fn failure(yaml: &str, ctx: &[(&str, &str)]) -> String {
        let e = resolved(yaml, ctx).unwrap_err();
        format!("{}: {}", e.span, e.message)
    }

    #[test]
    fn exact_then_regex_then_default() {
        let y = "by-platform: {linux64: exact, 'linux.*': regex, default: dflt}";
        assert_eq!(resolved(y, &[("platform", "linux64")]).unwrap(), "exact");
        assert_eq!(resolved(y, &[("platform", "linux32")]).unwrap(), "regex");
        assert_eq!(resolved(y, &[("platform", "win64")]).unwrap(), "dflt");
        // Anchored at both ends: `linux.*` does not match `xlinux`.
        assert_eq!(resolved(y, &[("platform", "xlinux")]).unwrap(), "dflt");
        // `$` is appended to the key as text: it binds to the last alternative only.
        let alt = "by-platform: {'linux|mac': a, default: d}";
        assert_eq!(resolved(alt, &[("platform", "linux64")]).unwrap(), "a");
        assert_eq!(resolved(alt, &[("platform", "mac64")]).unwrap(), "d");
        // A missing context value takes the default.
        assert_eq!(resolved(y, &[]).unwrap(), "dflt");
    }

    #[test]
    fn keys_without_metacharacters_match_only_themselves() {
        let y = "by-platform: {'linux 64/opt': a, win: b, 'w.n': c, default: d}";
        assert_eq!(resolved(y, &[("platform", "linux 64/opt")]).unwrap(), "a");
        assert_eq!(resolved(y, &[("platform", "linux 64/optx")]).unwrap(), "d");
        assert_eq!(resolved(y, &[("platform", "win")]).unwrap(), "b");
        // `w.n` is a regex: `wan` matches it, and no literal key.
        assert_eq!(resolved(y, &[("platform", "wan")]).unwrap(), "c");
        assert_eq!(resolved(y, &[("platform", "xwin")]).unwrap(), "d");
    }

    #[test]
    fn a_shared_regex_matches_on_every_thread() {
        let y = "by-platform: {'and.*': a, default: d}";
        let on_threads: Vec<String> = std::thread::scope(|s| {
            let handles: Vec<_> = ["android", "win", "andy"]
                .into_iter()
                .map(|p| s.spawn(move || resolved(y, &[("platform", p)]).unwrap()))
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap().as_str().unwrap().to_owned())
                .collect()
        });
        assert_eq!(on_threads, ["a", "d", "a"]);
    }

    #[test]
    fn resolution_repeats_while_keyed() {
        let y = "by-level: {'3': {by-project: {try: t, default: p}}, default: low}";
        assert_eq!(
            resolved(y, &[("level", "3"), ("project", "try")]).unwrap(),
            "t"
        );
        assert_eq!(
            resolved(y, &[("level", "3"), ("project", "x")]).unwrap(),
            "p"
        );
        assert_eq!(resolved(y, &[("level", "1")]).unwrap(), "low");
        // Not keyed: returned as it is (two keys, or a key without by-).
        assert_eq!(
            resolved("{by-a: {x: 1}, b: 2}", &[]).unwrap(),
            serde_json::json!({"by-a": {"x": 1}, "b": 2})
        );
    }

    #[test]
    fn taskgraphs_errors_at_the_by_key() {
        let item = "item `x` in `t`";
        assert_eq!(
            failure("by-level: {default: 1}", &[]),
            format!(
                "k.yml:1:1: Keyed-by 'level' unnecessary with only value 'default' found, when determining {item}"
            )
        );
        assert_eq!(
            failure("by-platform: {linux: a}", &[("platform", "win")]),
            format!(
                "k.yml:1:1: No platform matching 'win' nor 'default' found while determining {item}"
            )
        );
        assert_eq!(
            failure("by-platform: {linux: a}", &[]),
            format!(
                "k.yml:1:1: No attribute platform and no value for 'default' found while determining {item}"
            )
        );
        assert_eq!(
            failure("by-p: {'l.*': a, '.*x': b}", &[("p", "lx")]),
            format!(
                "k.yml:1:1: Multiple matching values for p 'lx' found while determining {item}"
            )
        );
        let err = failure("by-level: {3: a, default: b}", &[("level", "3")]);
        assert!(err.starts_with("k.yml:1:12: a non-string key"), "{err}");
    }
}

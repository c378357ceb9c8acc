//! Differential test of `tc_graph::yaml` against PyYAML, which taskgraph uses (taskgraph.md §1.2).
//!
//! Every document goes through `load(...).to_json()` and through Python's `yaml.safe_load` plus
//! `json.dumps`. Values must be equal, key order and int/float included. A document PyYAML rejects
//! must be rejected; one PyYAML loads but JSON cannot hold (dates, infinities, recursion) must fail
//! in tc too. taskgraph itself prefers libyaml's `CSafeLoader`; where the two loaders disagree on
//! syntax, matching either one passes, and the case is listed.

use crate::common;

use std::io::Write;
use std::process::{Command, Stdio};

use serde_json::Value as J;

/// Plain, quoted and tagged scalars, each loaded as `v: <scalar>`.
const SCALARS: &[&str] = &[
    // YAML 1.1 booleans, and spellings that are not.
    "yes",
    "Yes",
    "YES",
    "no",
    "No",
    "NO",
    "true",
    "True",
    "TRUE",
    "false",
    "False",
    "FALSE",
    "on",
    "On",
    "ON",
    "off",
    "Off",
    "OFF",
    "y",
    "Y",
    "n",
    "N",
    "yEs",
    "tRUE",
    "oFF",
    // Nulls.
    "~",
    "null",
    "Null",
    "NULL",
    "nULL",
    "",
    "none",
    // Integers.
    "0",
    "-0",
    "+0",
    "12",
    "-12",
    "+12",
    "1_000",
    "1__0_",
    "010",
    "-010",
    "0o10",
    "08",
    "00",
    "0_",
    "_1",
    "0x1f",
    "0x1F",
    "0X1f",
    "-0x_1f",
    "0b11",
    "-0b11",
    "+0b1_1",
    "0b12",
    "1:30",
    "1:30:00",
    "-1:30",
    "1:60",
    "0:30",
    "1:5",
    "190:20:30",
    "1:3_0",
    "9223372036854775807",
    "-9223372036854775808",
    "0b_",
    "0x",
    // Floats need a dot; exponents need a sign.
    "1.5",
    "-1.5",
    "+1.5",
    ".5",
    "-.5",
    "1.",
    "0.",
    "-0.0",
    "1_000.5",
    "1.5e+3",
    "1.5e3",
    "1e3",
    "1E3",
    "1.5E-3",
    "1.e+3",
    ".5e+1",
    "1:30.5",
    "-1:30.5",
    "010.5",
    ".inf",
    "-.inf",
    "+.inf",
    ".Inf",
    ".INF",
    ".iNf",
    ".nan",
    ".NaN",
    ".NAN",
    "-.nan",
    "inf",
    "nan",
    ".",
    "._",
    "1.5.5",
    // Timestamps (JSON cannot hold them) and near misses.
    "2023-01-01",
    "2024-02-29",
    "2023-02-29",
    "2023-13-01",
    "0000-01-01",
    "2023-1-1",
    "2023-01-1",
    "2023-01-01T10:00:00Z",
    "2023-01-01t10:00:00",
    "2023-01-01 10:00:00",
    "2023-1-1T1:00:00",
    "2023-01-01 10:00:00.123456789 +01:00",
    "2001-12-14t21:59:43.10-05:00",
    "2001-12-14 21:59:43.10 -5",
    "2023-01-01T10:00",
    "2023-01-01T24:00:00",
    "2023-01-01T10:00:00+24:00",
    "2023/01/01",
    "23-01-01",
    // Quoted scalars are strings.
    "\"yes\"",
    "'no'",
    "\"010\"",
    "'~'",
    "\"1.5\"",
    "\"2023-01-01\"",
    "\"<<\"",
    "''",
    "\"null\"",
    "'it''s'",
    "\"\\t\\u00e9\\x41\"",
    "\"\\/\"",
    "\"a\\\n  b\"",
    // Tags.
    "!!str yes",
    "!!str 1.5",
    "!!str",
    "!!str ~",
    "!!int \"12\"",
    "!!int 0x10",
    "!!int '0o17'",
    "!!int ' 7 '",
    "!!int x",
    "!!int",
    "!!int 1.5",
    "!!int 1:30",
    "!!float 1",
    "!!float '1e3'",
    "!!float inf",
    "!!float x",
    "!!float 1:30",
    "!!bool 'YeS'",
    "!!bool off",
    "!!bool maybe",
    "!!null 'x'",
    "!!null",
    "!!timestamp 2023-1-1",
    "!!timestamp 2023",
    "!<tag:yaml.org,2002:int> '5'",
    "! 12",
    "! '12'",
    "! yes",
    "!foo x",
    "!!binary aGk=",
    "=",
    "<<",
    "!!str [1]",
    "!!seq x",
    "!!map [1]",
    "!!seq [1]",
    "!!map {a: 1}",
    "! [1]",
    "!!float 1_0",
    "!!float ' 1.5'",
    "!!int '+0x10'",
    "!!int '0B11'",
    "!!int 0o17",
    "!!int '-0'",
    "!!int 1:30:x",
    "!!bool 1",
    "!!timestamp '2023-01-01 '",
    "!!python/name:os.system",
    "!!str &x 1",
    "1.7976931348623157e+308",
    "1.0e+309",
    "0.1",
    "-1.0e-5",
    // Strings that look like syntax.
    "hello",
    "a-{level}",
    "x#y",
    "x # comment",
    "http://x/y",
    "-a",
    "?a",
    ":a",
    "a:b",
    "é",
    "1 2",
    "12a",
    "yes!",
    "@x",
    "`x`",
    "%x",
];

/// Whole documents.
const DOCS: &[&str] = &[
    // Merge keys.
    "base: &b {x: 1, y: 2}\ntask:\n  <<: *b\n  y: 3\n  z: 4\n",
    "a: &a {x: a, p: 1}\nb: &b {x: b, q: 2}\nt: {<<: [*a, *b], r: 3}\n",
    "a: &a {x: a}\nt: {<<: *a, <<: {x: b, y: c}}\n",
    "a: &a {x: 1}\nb: &b {<<: *a, y: 2}\nt: {<<: *b, x: 0}\n",
    "\"<<\": {x: 1}\n",
    "!!merge <<: {x: 1}\ny: 2\n",
    "t:\n  <<: 1\n",
    "t:\n  <<: [{a: 1}, [2]]\n",
    "t:\n  <<: {a: 1}\n  <<: {a: 2, b: 3}\n  a: 4\n",
    // Anchors and aliases.
    "a: &x {k: [1, yes]}\nb: *x\nc: &s str\nd: *s\n",
    "a: &x 1\nb: *x\nc: &x 2\nd: *x\n",
    "a: &x 1\nb: &y 2\nc: *y\n",
    "&k a: 1\n*k : 2\n",
    "a: &x [1, *x]\n",
    "a: *nope\n",
    "- &a [1, 2]\n- *a\n- [*a, *a]\n",
    // Duplicate and non-string keys.
    "a: 1\nb: 2\na: 3\n",
    "{1: a, 1.0: b, true: c}",
    "3: a\nfalse: b\n~: c\n1.5: d\n\"3\": e\n1e3: f\n1.0e+20: g\n",
    "2023-01-01: x\n",
    "? [a]\n: 1\n",
    "? {a: 1}\n: 1\n",
    "{=: 1}",
    ".nan: 1\n",
    "0: a\n-0: b\n0.0: c\nno: d\n",
    "!!int \"3\": a\n!!str 4: b\n",
    "1: a\n\"1\": b\n",
    "-1: a\n0.1: b\n1.0e+300: c\n",
    "~: a\nnull: b\n",
    "? a\n: b\n? c\n",
    "? !!str 1\n: x\n",
    "a: &x\nb: *x\n",
    "a: &x {b: 1}\n*x : 2\n",
    "%TAG ! tag:yaml.org,2002:\n---\n!int 5\n",
    // Merges with lists, aliases and odd values.
    "l: &l [{a: 1}, {b: 2}]\nt: {<<: *l, c: 3}\n",
    "- &m {a: 1}\n- {<<: *m, b: 2}\n- <<: *m\n  a: 0\n",
    "!!str <<: x\n",
    "'<<': {a: 1}\n",
    "<<: []\na: 1\n",
    "<<: {}\n",
    "<<: ~\n",
    "t: {<<: {a: 1}, a: 2, a: 3}\n",
    // Flow collections.
    "{a:1}",
    "[a:1]",
    "a: b:c\n",
    "{a: b:c}",
    "a: x: y\n",
    "scopes: [a-{level}]\n",
    "{a: 1, b: [x, y], c: {d: e}}",
    "[a, b, {c: d}, [e]]",
    "{a, b}",
    "[a: b, c: d]",
    "{\"a\": 1}",
    "[1, 2, ]",
    "{a: 1,}",
    // Block scalars.
    "a: |\n  line 1\n  line 2\n",
    "a: >\n  folded\n  text\n\n  para\n",
    "a: |-\n  strip\n",
    "a: |+\n  keep\n\n",
    "a: |2\n    indented\n",
    "a: |\n  no final newline",
    "a: >+\n  keep at end",
    "a: |\n",
    // Plain and quoted scalars over several lines.
    "a: 1\n  2\n",
    "a: yes\n  no\n",
    "a: 'multi\n  line'\n",
    "a: \"x\n\n  y\"\n",
    "--- |\n  text\n",
    "--- >\n folded\n line\n",
    "yes\n",
    "- a\n- b\n",
    "a: # comment\n  b: 1\n",
    "a:\n- b\n- c\n",
    "a: \"\\x41\\u0041\\U00000041\\N\\_\\e\\0\\ \"\n",
    "a: 'one\n\n  two'\n",
    "a: |\n\n  x\n",
    "a: ---x\n",
    "a: 1\n...\nb: 2\n",
    "a   : 1\n",
    "? |\n  block key\n: v\n",
    "a: \u{7}\n",
    "a: x\u{85}b: y\n",
    "a: 'x\u{85}  y'\n",
    "a: |\n  x\u{85}  y\n",
    "# c\u{85}a: 1\n",
    "a: \u{7f}\n",
    "a: \u{9f}\n",
    "a: \u{a0}x\n",
    "a: \u{fffe}\n",
    "a: &b-_9 x\nb: *b-_9\n",
    "a: & x\n",
    "a: 1\r\nb: 2\r\n",
    "a: \"\u{1F600}\"\n",
    "[a, , b]\n",
    "a: [b, c]d\n",
    "a: 1#c\n",
    "a: &a.b x\nb: *a.b\n",
    "a: &a/b x\n",
    "a: &\u{fc} x\n",
    "%YAML 2.0\n---\na: 1\n",
    "%YAML 1.2\n---\na: 1\n",
    "--- a: 1\n",
    "--- [a]\n",
    "a: !!str\nb: 1\n",
    "a:\n  - b\n  -\n  - c\n",
    // Documents, directives, comments.
    "",
    "# only a comment\n",
    "---\n",
    "---\n...\n",
    "a: 1\n---\nb: 2\n",
    "a: 1\n...\n",
    "%YAML 1.1\n---\na: yes\n",
    "\u{feff}a: 1\n",
    "a: 1 # c\n# c\nb: 'x' # c\n",
    // Syntax errors and whitespace.
    "a: \"unterminated\n",
    "a:\n  b: 1\n c: 2\n",
    "a: b: c\n",
    "a: -\n",
    "- [1, 2\n",
    "a: b\tc\n",
    "\t a: 1\n",
    "a:\n\t- 1\n",
    "key:    value   \n",
    "a:\n  \tb: 1\n",
    "-\ta\n",
    "a:\n  - 1\n  - \t2\n",
    "? a\n:\tb\n",
    "a:\tb\n",
    "a: |\n  x\n  \ty\n",
    "a: \"x\n\ty\"\n",
    "a: {b: 1,\n\tc: 2}\n",
    "a: x\n \ty\n",
    "a: 1\n \t# c\n",
    "\ta\n",
    "\t\n",
    "a: 1\n\t\nb: 2\n",
    "a:\n  b: 1\n   \t\n",
    "- \t\n",
    "-\t# c\n",
    "a: 'x'\n \t\n",
    // Nesting.
    "- - a\n  - b\n- - c\n",
    "a:\n  b:\n    c:\n      - d: [1, {e: f}]\n",
    "é: ü\n\"\\u263a\": x\n",
    // A kind file in taskgraph's style.
    concat!(
        "loader: taskgraph.loader.transform:loader\n",
        "transforms:\n  - taskgraph.transforms.run:transforms\n  - taskgraph.transforms.task:transforms\n",
        "task-defaults: &defaults\n  worker-type: t-linux\n  run-on-projects: [trunk]\n",
        "  worker:\n    max-run-time: 3600\n    env: {MOZ_AUTOMATION: '1', DEBUG: no}\n",
        "tasks:\n  build:\n    description: Build\n    scopes: ['secrets:get:project/{level}']\n",
        "    priority:\n      by-level:\n        '3': highest\n        default: low\n",
        "    run-on-projects:\n      by-build-platform:\n        linux.*: [all]\n        default: []\n",
        "  test:\n    <<: *defaults\n    description: Test\n    timeout: 1:30\n    retries: 010\n",
    ),
];

/// Scalars built from number, date and keyword pieces by a fixed pseudo-random sequence, plain,
/// quoted or tagged: the resolvers' corner cases, beyond the hand-written list.
fn generated_scalars(count: usize) -> Vec<String> {
    const PIECES: &[&str] = &[
        "0", "1", "5", "9", "12", "60", "-", "+", ".", "_", ":", "e", "E", "e+", "x", "b", "o",
        "T", "t", " ", "Z", "inf", "Inf", "nan", "NaN", "yes", "No", "ON", "null", "~", "2023-",
        "01-", "1-", "31", "10:00:00", ".5", "0x", "0b", "0o",
    ];
    const TAGS: &[&str] = &[
        "",
        "",
        "",
        "",
        "!!int ",
        "!!float ",
        "!!bool ",
        "!!timestamp ",
        "! ",
    ];
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move |n: usize| {
        // xorshift64: the same sequence on every run.
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        usize::try_from(state % n as u64).unwrap()
    };
    (0..count)
        .map(|_| {
            let mut scalar = String::new();
            for _ in 0..=next(4) {
                scalar.push_str(PIECES[next(PIECES.len())]);
            }
            let scalar = scalar.trim().to_owned();
            let tag = TAGS[next(TAGS.len())];
            let quoted = !tag.is_empty() && next(3) == 0;
            if quoted {
                format!("v: {tag}'{scalar}'\n")
            } else {
                format!("v: {tag}{scalar}\n")
            }
        })
        .collect()
}

/// Cases where tc deliberately differs: PyYAML loads them, tc refuses.
const DIVERGENCES: &[(&str, &str)] = &[
    // Python ints have no bound; tc keeps bigger decimal ints as text, which JSON cannot take,
    // and refuses other bases beyond 64 bits.
    ("v: 12345678901234567890\n", "beyond 64 bits"),
    ("v: -0x8000000000000001\n", "does not fit in 64 bits"),
    // YAML 1.2 lets an alias name go on with `:`; PyYAML stops there. tc refuses, with a hint.
    ("&k a: 1\nb:\n  *k: 2\n", "write `*k :`"),
    ("&k a: 1\n*k: 2\n", "write `*k :`"),
    // A mapping that merges itself: PyYAML drops the merge key first, so it merges its other
    // keys into itself. tc refuses the recursion.
    ("&m {a: 1, <<: *m}\n", "recursive alias"),
    // PyYAML makes LS and PS line breaks, yet keeps them as text in places; tc refuses them.
    ("v: 'x\u{2028}y'\n", "U+2028"),
    ("v: x\n# \u{2029}\n", "U+2029"),
];

const PYTHON: &str = r#"
import json, sys, yaml

def run(loader, text):
    try:
        data = yaml.load(text, Loader=loader)
    except Exception as e:
        return {"error": "%s: %s" % (type(e).__name__, str(e).replace("\n", " | "))}
    try:
        return {"json": json.dumps(data, allow_nan=False)}
    except Exception as e:
        return {"unjson": "%s: %s" % (type(e).__name__, e)}

out = []
for text in json.load(sys.stdin):
    result = {"safe": run(yaml.SafeLoader, text)}
    if hasattr(yaml, "CSafeLoader"):
        result["c"] = run(yaml.CSafeLoader, text)
    out.append(result)
json.dump(out, sys.stdout)
"#;

fn pyyaml_available() -> bool {
    let ok = Command::new("python3")
        .args(["-c", "import yaml"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        common::skip::missing("TC_REQUIRE_PYCLIENT", "PyYAML", "pip install pyyaml");
    }
    ok
}

/// Runs every document through PyYAML in one Python process.
fn pyyaml(docs: &[String]) -> Vec<J> {
    let mut child = Command::new("python3")
        .args(["-c", PYTHON])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3");
    let input = serde_json::to_vec(docs).unwrap();
    child.stdin.take().unwrap().write_all(&input).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "python: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// What happened to a document, on either side.
#[derive(Debug)]
enum Outcome {
    Json(J),
    /// Loaded, but JSON cannot hold it.
    Unjson(String),
    Error(String),
}

fn python_outcome(result: &J) -> Outcome {
    if let Some(text) = result.get("json").and_then(J::as_str) {
        return Outcome::Json(serde_json::from_str(text).unwrap());
    }
    if let Some(why) = result.get("unjson").and_then(J::as_str) {
        return Outcome::Unjson(why.to_owned());
    }
    Outcome::Error(result["error"].as_str().unwrap_or_default().to_owned())
}

fn tc_outcome(text: &str) -> Outcome {
    match tc_graph::yaml::load("doc.yml", text) {
        Err(e) => Outcome::Error(e.to_string()),
        Ok(loaded) => match loaded.node.to_json() {
            Ok(json) => Outcome::Json(json),
            Err(e) => Outcome::Unjson(e.to_string()),
        },
    }
}

/// Equality that also checks key order and keeps ints and floats apart.
fn same(a: &J, b: &J) -> bool {
    match (a, b) {
        (J::Number(x), J::Number(y)) => match (x.is_f64(), y.is_f64()) {
            (true, true) => x.as_f64().map(f64::to_bits) == y.as_f64().map(f64::to_bits),
            (false, false) => x == y,
            _ => false,
        },
        (J::Array(x), J::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same(a, b))
        }
        (J::Object(x), J::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .zip(y)
                    .all(|((ka, va), (kb, vb))| ka == kb && same(va, vb))
        }
        _ => a == b,
    }
}

fn agrees(tc: &Outcome, py: &Outcome) -> bool {
    match (tc, py) {
        (Outcome::Json(a), Outcome::Json(b)) => same(a, b),
        // Both refuse it; or PyYAML loads it but JSON fails, and tc may refuse it earlier (a
        // recursive alias).
        (Outcome::Error(_), Outcome::Error(_))
        | (Outcome::Unjson(_) | Outcome::Error(_), Outcome::Unjson(_)) => true,
        _ => false,
    }
}

#[test]
fn tc_reads_yaml_as_pyyaml_does() {
    if !pyyaml_available() {
        return;
    }
    let mut docs: Vec<String> = SCALARS.iter().map(|s| format!("v: {s}\n")).collect();
    docs.extend(DOCS.iter().map(|d| (*d).to_owned()));
    docs.extend(generated_scalars(1500));
    assert!(SCALARS.len() + DOCS.len() >= 80);
    let results = pyyaml(&docs);
    assert_eq!(results.len(), docs.len());

    let mut failures = Vec::new();
    let mut loader_splits = Vec::new();
    let mut tally = [0usize; 3];
    for (doc, result) in docs.iter().zip(&results) {
        let tc = tc_outcome(doc);
        tally[match tc {
            Outcome::Json(_) => 0,
            Outcome::Unjson(_) => 1,
            Outcome::Error(_) => 2,
        }] += 1;
        let safe = python_outcome(&result["safe"]);
        let c = result.get("c").map(python_outcome);
        if agrees(&tc, &safe) {
            continue;
        }
        match &c {
            Some(c) if agrees(&tc, c) => {
                loader_splits.push(format!(
                    "{doc:?}: tc and CSafeLoader {c:?}; SafeLoader {safe:?}"
                ));
            }
            _ => failures.push(format!("{doc:?}\n    tc:     {tc:?}\n    PyYAML: {safe:?}")),
        }
    }
    eprintln!(
        "{} documents compared with PyYAML: {} values, {} without a JSON form, {} errors",
        docs.len(),
        tally[0],
        tally[1],
        tally[2]
    );
    for split in &loader_splits {
        eprintln!("note: the PyYAML loaders disagree on {split}");
    }
    assert!(
        failures.is_empty(),
        "{} of {} documents differ from PyYAML:\n{}",
        failures.len(),
        docs.len(),
        failures.join("\n")
    );
}

#[test]
fn known_divergences_are_still_divergences() {
    if !pyyaml_available() {
        return;
    }
    let docs: Vec<String> = DIVERGENCES.iter().map(|(d, _)| (*d).to_owned()).collect();
    let results = pyyaml(&docs);
    for ((doc, why), result) in DIVERGENCES.iter().zip(&results) {
        assert!(
            matches!(python_outcome(&result["safe"]), Outcome::Json(_)),
            "{doc:?}: PyYAML no longer loads it: {result}"
        );
        match tc_outcome(doc) {
            Outcome::Error(e) | Outcome::Unjson(e) => assert!(e.contains(why), "{doc:?}: {e}"),
            other @ Outcome::Json(_) => panic!("{doc:?}: tc now gives {other:?}"),
        }
    }
}

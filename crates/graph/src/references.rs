//! `task-reference` and `artifact-reference` objects in a task definition (taskgraph.md §4.6
//! steps 4 and 5), resolved for the optimized graph and for `tc run-local LABEL`.

use std::fmt::Write as _;
use std::sync::LazyLock;

use regex::Regex;
use serde_json::{Map, Value as J};

/// What `<decision>` becomes: a graph made by hand has no decision task.
pub const DECISION_TASK_ID: &str = "DECISION-TASK";

static TASK_REFERENCE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new("<([^>]+)>").expect("a valid regex"));
static ARTIFACT_REFERENCE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new("<([^/]+)/([^>]+)>").expect("a valid regex"));

/// The references of one task. Problems are collected, not fatal, so a caller can name them all.
pub struct References<'a> {
    label: &'a str,
    task_id: &'a str,
    /// taskIds by dependency name.
    dependencies: &'a super::deps::Dependencies,
    /// The root URL artifact references live under, or why there is none.
    root_url: &'a Result<String, super::run::RootUrlError>,
    /// Dependency names that `dependencies` does not give, in order, without repeats.
    pub missing: Vec<String>,
    /// Other problems (artifacts of self, no root URL), in order.
    pub problems: Vec<String>,
}

impl<'a> References<'a> {
    pub fn new(
        label: &'a str,
        task_id: &'a str,
        dependencies: &'a super::deps::Dependencies,
        root_url: &'a Result<String, super::run::RootUrlError>,
    ) -> Self {
        References {
            label,
            task_id,
            dependencies,
            root_url,
            missing: Vec::new(),
            problems: Vec::new(),
        }
    }

    fn dependency(&mut self, name: &str) -> Option<String> {
        let found = self.dependencies.get(name).cloned();
        if found.is_none() && !self.missing.iter().any(|m| m == name) {
            self.missing.push(name.to_owned());
        }
        found
    }

    fn task_reference(&mut self, s: &str) -> String {
        let mut out = String::with_capacity(s.len());
        let mut last = 0;
        for c in TASK_REFERENCE.captures_iter(s) {
            let whole = c.get(0).expect("the match");
            out.push_str(&s[last..whole.start()]);
            last = whole.end();
            let key = &c[1];
            let value = match key {
                "self" => self.task_id.to_owned(),
                "decision" => DECISION_TASK_ID.to_owned(),
                // `<<>` escapes `<`, unless a dependency has that name.
                "<" if !self.dependencies.contains_key("<") => "<".to_owned(),
                _ => self.dependency(key).unwrap_or_default(),
            };
            out.push_str(&value);
        }
        out.push_str(&s[last..]);
        out
    }

    fn artifact_reference(&mut self, s: &str) -> String {
        let mut out = String::with_capacity(s.len());
        let mut last = 0;
        for c in ARTIFACT_REFERENCE.captures_iter(s) {
            let whole = c.get(0).expect("the match");
            out.push_str(&s[last..whole.start()]);
            last = whole.end();
            let (dep, name) = (&c[1], &c[2]);
            let id = match dep {
                "self" => {
                    self.problems.push(format!(
                        "task '{}' can't reference artifacts of self",
                        self.label
                    ));
                    None
                }
                "decision" => Some(DECISION_TASK_ID.to_owned()),
                _ => self.dependency(dep),
            };
            match (id, self.root_url) {
                (Some(id), Ok(root)) => {
                    let _ = write!(out, "{root}/api/queue/v1/task/{id}/artifacts/{name}");
                }
                (Some(_), Err(why)) => self.problems.push(why.to_string()),
                (None, _) => {}
            }
        }
        out.push_str(&s[last..]);
        out
    }

    /// `v` with every reference object replaced by its string (a mapping value has its keys
    /// rewritten).
    pub fn resolve(&mut self, v: &J) -> J {
        match v {
            J::Object(m) if m.len() == 1 => {
                let (key, value) = m.iter().next().expect("one entry");
                let task_ref = key == "task-reference";
                if !task_ref && key != "artifact-reference" {
                    let mut out = Map::new();
                    out.insert(key.clone(), self.resolve(value));
                    return J::Object(out);
                }
                let apply = |this: &mut Self, s: &str| {
                    if task_ref {
                        this.task_reference(s)
                    } else {
                        this.artifact_reference(s)
                    }
                };
                match value {
                    J::Object(inner) => {
                        let mut out = Map::new();
                        for (k, v) in inner {
                            let k = apply(self, k);
                            let v = self.resolve(v);
                            out.insert(k, v);
                        }
                        J::Object(out)
                    }
                    J::String(s) => J::String(apply(self, s)),
                    other => {
                        self.problems.push(format!(
                            "task '{}': a {key} must be a string, not {other}",
                            self.label
                        ));
                        other.clone()
                    }
                }
            }
            J::Object(m) => J::Object(
                m.iter()
                    .map(|(k, v)| (k.clone(), self.resolve(v)))
                    .collect(),
            ),
            J::Array(items) => J::Array(items.iter().map(|i| self.resolve(i)).collect()),
            other => other.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn references_resolve_like_taskgraph() {
        let deps: super::super::deps::Dependencies = [("build".to_owned(), "BUILDID".to_owned())]
            .into_iter()
            .collect();
        let root = Ok("https://tc.example.com".to_owned());
        let mut refs = References::new("t", "SELFID", &deps, &root);
        let got = refs.resolve(&json!({
            "a": {"task-reference": "<self> <decision> <build> <<> <>"},
            "b": [{"artifact-reference": "<build/public/x.tar>"}],
            "c": {"task-reference": {"<build>": {"task-reference": "<self>"}}},
            "d": {"relative-datestamp": "1 day"},
            "e": {"task-reference": "x", "other": 1},
        }));
        assert_eq!(
            got,
            json!({
                "a": "SELFID DECISION-TASK BUILDID < <>",
                "b": ["https://tc.example.com/api/queue/v1/task/BUILDID/artifacts/public/x.tar"],
                "c": {"BUILDID": "SELFID"},
                "d": {"relative-datestamp": "1 day"},
                "e": {"task-reference": "x", "other": 1},
            })
        );
        assert!(refs.missing.is_empty() && refs.problems.is_empty());
    }

    #[test]
    fn every_missing_name_is_collected_once() {
        let deps = super::super::deps::Dependencies::default();
        let root = Err(super::super::run::RootUrlError::Undetected);
        let mut refs = References::new("t", "SELFID", &deps, &root);
        refs.resolve(&json!([
            {"task-reference": "<a> <b> <a>"},
            {"artifact-reference": "<c/public/x>"},
            {"artifact-reference": "<decision/public/x>"},
            {"artifact-reference": "<self/public/x>"},
        ]));
        assert_eq!(refs.missing, ["a", "b", "c"]);
        assert_eq!(
            refs.problems,
            [
                super::super::run::RootUrlError::Undetected
                    .to_string()
                    .as_str(),
                "task 't' can't reference artifacts of self"
            ]
        );
    }
}

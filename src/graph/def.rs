//! A task definition (`task` in taskgraph.md §4.7) once the transform has made it. It is kept as
//! the JSON text the output writes rather than as a value tree: a tree costs about ten times the
//! text's memory and most of the output's time. The later stages read only a few fields
//! (`Facts`); the rare stage that rewrites a definition (optimized references, try's notify
//! routes, run-local) parses the text back.

use serde_json::Value as J;

use super::jv::Jv;

/// The depth of `task` in the output document `{label: {"task": …}}`.
const LEVEL: usize = 2;

#[derive(Debug, Clone)]
pub struct Def {
    /// `json.dumps(sort_keys=True, indent=2)` of the definition, indented for `LEVEL`.
    text: Box<str>,
    pub facts: Facts,
}

/// The fields of a definition that verification, target selection and the table read.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Facts {
    pub provisioner_id: Option<String>,
    pub worker_type: Option<String>,
    /// The string entries of `routes`, in order.
    pub routes: Vec<String>,
    /// `extra.treeherder.tier` when it is an integer.
    pub tier: Option<i64>,
    pub treeherder: Option<Treeherder>,
    /// The names in `payload.cache.task-reference`, with the first string of `payload.command`.
    pub caches: Option<(Vec<String>, Option<String>)>,
}

/// `extra.treeherder`, when present.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Treeherder {
    /// The keys of `collection`.
    pub collections: Vec<String>,
    /// `machine.platform`, else empty.
    pub platform: String,
    pub group: Option<String>,
    /// `symbol`, else empty.
    pub symbol: String,
}

fn at<'a>(v: &'a Jv, path: &[&str]) -> Option<&'a Jv> {
    path.iter().try_fold(v, |v, k| v.get(k))
}

fn str_at(v: &Jv, path: &[&str]) -> Option<String> {
    at(v, path).and_then(Jv::as_str).map(str::to_owned)
}

impl Facts {
    fn of(v: &Jv) -> Facts {
        let treeherder = at(v, &["extra", "treeherder"]).map(|th| Treeherder {
            collections: th
                .get("collection")
                .and_then(Jv::as_object)
                .map(|c| c.keys().cloned().collect())
                .unwrap_or_default(),
            platform: str_at(th, &["machine", "platform"]).unwrap_or_default(),
            group: str_at(th, &["groupSymbol"]),
            symbol: str_at(th, &["symbol"]).unwrap_or_default(),
        });
        let caches = at(v, &["payload", "cache", "task-reference"])
            .and_then(Jv::as_object)
            .map(|c| {
                let command = at(v, &["payload", "command"])
                    .and_then(Jv::as_array)
                    .and_then(|c| c.iter().find_map(Jv::as_str))
                    .map(str::to_owned);
                (c.keys().cloned().collect(), command)
            });
        Facts {
            provisioner_id: str_at(v, &["provisionerId"]),
            worker_type: str_at(v, &["workerType"]),
            routes: v
                .get("routes")
                .and_then(Jv::as_array)
                .map(|r| r.iter().filter_map(Jv::as_str).map(str::to_owned).collect())
                .unwrap_or_default(),
            tier: at(v, &["extra", "treeherder", "tier"]).and_then(Jv::as_i64),
            treeherder,
            caches,
        }
    }
}

impl Def {
    /// The definition `value`.
    pub fn new(value: J) -> Def {
        Def::from_jv(&Jv::from_serde(&value))
    }

    /// The definition `value`, as the transform builds it.
    pub fn from_jv(value: &Jv) -> Def {
        // Written into a buffer each thread keeps, then copied once at its size: a string
        // grown in place would pass through every smaller allocation size on the way.
        thread_local! {
            static BUFFER: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
        }
        let text = BUFFER.with(|b| {
            let mut b = b.borrow_mut();
            b.clear();
            super::jv::write(&mut b, value, LEVEL);
            Box::from(b.as_str())
        });
        Def {
            facts: Facts::of(value),
            text,
        }
    }

    /// The text the output writes at the place of `task`.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The definition as a value, parsed back from its text (keys come in sorted order).
    pub fn value(&self) -> J {
        serde_json::from_str(&self.text).expect("tc wrote this JSON itself")
    }

    /// Rewrites the definition through its value.
    pub fn edit<R>(&mut self, f: impl FnOnce(&mut J) -> R) -> R {
        let mut value = self.value();
        let result = f(&mut value);
        *self = Def::new(value);
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn text_round_trips_and_facts_are_read() {
        let v = json!({
            "workerType": "b-linux", "provisionerId": "p-3",
            "routes": ["a", 1, "index.x"],
            "extra": {"treeherder": {"tier": 2, "symbol": "B", "groupSymbol": "G",
                                     "machine": {"platform": "linux"}, "collection": {"opt": true}}},
            "payload": {"cache": {"task-reference": {"c1": "/x"}}, "command": [1, "run-task"],
                        "f": [0.5, 1e16, "\u{e9}\n"]},
        });
        let mut def = Def::new(v.clone());
        assert_eq!(def.value(), v);
        assert_eq!(
            def.text(),
            super::super::render::python_json_at(&v, LEVEL).as_str()
        );
        let f = &def.facts;
        assert_eq!(f.worker_type.as_deref(), Some("b-linux"));
        assert_eq!(f.provisioner_id.as_deref(), Some("p-3"));
        assert_eq!(f.routes, ["a", "index.x"]);
        assert_eq!(f.tier, Some(2));
        let th = f.treeherder.as_ref().unwrap();
        assert_eq!(
            (th.collections.as_slice(), th.platform.as_str()),
            (&["opt".to_owned()][..], "linux")
        );
        assert_eq!((th.group.as_deref(), th.symbol.as_str()), (Some("G"), "B"));
        assert_eq!(
            f.caches,
            Some((vec!["c1".to_owned()], Some("run-task".to_owned())))
        );
        def.edit(|v| v["routes"] = json!(["r"]));
        assert_eq!(def.facts.routes, ["r"]);
        assert_eq!(def.value()["routes"], json!(["r"]));
        assert_eq!(Def::new(json!({})).facts, Facts::default());
    }
}

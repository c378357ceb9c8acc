//! A task definition (`task` in taskgraph.md §4.7) once the transform has made it. It is kept as
//! the JSON text the output writes rather than as a value tree: a tree costs about ten times the
//! text's memory and most of the output's time. The later stages read only a few fields
//! (`Facts`); the rare stage that rewrites a definition (optimized references, try's notify
//! routes, run-local) parses the text back.

use serde_json::Value as J;

use super::jv::{self, Jv};
use super::render::{indent, write_string_map};

/// The depth of `task` in the output document `{label: {"task": …}}`.
const LEVEL: usize = 2;

#[derive(Debug, Clone)]
pub struct Def {
    /// `json.dumps(sort_keys=True, indent=2)` of the definition, indented for `LEVEL`.
    text: Box<str>,
    pub facts: Facts,
}

/// A definition as the task transform makes it. Its fields are written in the sorted order of
/// their keys, as `sort_keys` has them, without an object to build and sort around them (most
/// of the time a definition's text took).
#[derive(Debug)]
pub struct Parts {
    /// The values of `deadline` and `expires`, each written as `{"relative-datestamp": …}`;
    /// `created` is always `0 seconds`.
    pub deadline: Jv,
    pub expires: Jv,
    pub extra: Jv,
    /// `metadata`: its description, name, owner and source.
    pub metadata: [String; 4],
    pub payload: Jv,
    pub priority: Jv,
    pub provisioner_id: Jv,
    pub requires: Option<Jv>,
    pub routes: Jv,
    pub scopes: Jv,
    pub tags: Jv,
    pub worker_type: Jv,
}

/// The text `write` puts in a buffer each thread keeps, copied once at its size: a string grown
/// in place would pass through every smaller allocation size on the way.
fn written(write: impl FnOnce(&mut String)) -> Box<str> {
    thread_local! {
        static BUFFER: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
    }
    BUFFER.with(|b| {
        let mut b = b.borrow_mut();
        b.clear();
        write(&mut b);
        Box::from(b.as_str())
    })
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
        Facts::of_fields(|key| v.get(key))
    }

    /// The facts of a definition whose top-level fields `field` gives.
    fn of_fields<'a>(field: impl Fn(&str) -> Option<&'a Jv>) -> Facts {
        let in_field = |key: &str, path: &[&str]| field(key).and_then(|v| at(v, path));
        let treeherder = in_field("extra", &["treeherder"]).map(|th| Treeherder {
            collections: th
                .get("collection")
                .and_then(Jv::as_object)
                .map(|c| c.keys().cloned().collect())
                .unwrap_or_default(),
            platform: str_at(th, &["machine", "platform"]).unwrap_or_default(),
            group: str_at(th, &["groupSymbol"]),
            symbol: str_at(th, &["symbol"]).unwrap_or_default(),
        });
        let caches = in_field("payload", &["cache", "task-reference"])
            .and_then(Jv::as_object)
            .map(|c| {
                let command = in_field("payload", &["command"])
                    .and_then(Jv::as_array)
                    .and_then(|c| c.iter().find_map(Jv::as_str))
                    .map(str::to_owned);
                (c.keys().cloned().collect(), command)
            });
        let string = |key: &str| field(key).and_then(Jv::as_str).map(str::to_owned);
        Facts {
            provisioner_id: string("provisionerId"),
            worker_type: string("workerType"),
            routes: field("routes")
                .and_then(Jv::as_array)
                .map(|r| r.iter().filter_map(Jv::as_str).map(str::to_owned).collect())
                .unwrap_or_default(),
            tier: in_field("extra", &["treeherder", "tier"]).and_then(Jv::as_i64),
            treeherder,
            caches,
        }
    }
}

impl Def {
    /// The definition `value`.
    pub fn new(value: &J) -> Def {
        Def::from_jv(&Jv::from_serde(value))
    }

    /// The definition `value`.
    pub fn from_jv(value: &Jv) -> Def {
        Def {
            text: written(|b| jv::write(b, value, LEVEL)),
            facts: Facts::of(value),
        }
    }

    /// The definition the task transform made, written field by field.
    pub fn from_parts(p: &Parts) -> Def {
        let text = written(|b| {
            let key = |b: &mut String, name: &str, first: bool| {
                b.push(if first { '{' } else { ',' });
                indent(b, LEVEL + 1);
                b.push('"');
                b.push_str(name);
                b.push_str("\": ");
            };
            let datestamp = |b: &mut String, value: &dyn Fn(&mut String)| {
                b.push('{');
                indent(b, LEVEL + 2);
                b.push_str("\"relative-datestamp\": ");
                value(b);
                indent(b, LEVEL + 1);
                b.push('}');
            };
            key(b, "created", true);
            datestamp(b, &|b| b.push_str("\"0 seconds\""));
            key(b, "deadline", false);
            datestamp(b, &|b| jv::write(b, &p.deadline, LEVEL + 2));
            key(b, "expires", false);
            datestamp(b, &|b| jv::write(b, &p.expires, LEVEL + 2));
            key(b, "extra", false);
            jv::write(b, &p.extra, LEVEL + 1);
            key(b, "metadata", false);
            let names = ["description", "name", "owner", "source"];
            let metadata = names.into_iter().zip(p.metadata.iter().map(String::as_str));
            write_string_map(b, metadata, LEVEL + 1);
            key(b, "payload", false);
            jv::write(b, &p.payload, LEVEL + 1);
            key(b, "priority", false);
            jv::write(b, &p.priority, LEVEL + 1);
            key(b, "provisionerId", false);
            jv::write(b, &p.provisioner_id, LEVEL + 1);
            if let Some(requires) = &p.requires {
                key(b, "requires", false);
                jv::write(b, requires, LEVEL + 1);
            }
            key(b, "routes", false);
            jv::write(b, &p.routes, LEVEL + 1);
            key(b, "scopes", false);
            jv::write(b, &p.scopes, LEVEL + 1);
            key(b, "tags", false);
            jv::write(b, &p.tags, LEVEL + 1);
            key(b, "workerType", false);
            jv::write(b, &p.worker_type, LEVEL + 1);
            indent(b, LEVEL);
            b.push('}');
        });
        Def {
            text,
            facts: Facts::of_fields(|key| match key {
                "provisionerId" => Some(&p.provisioner_id),
                "workerType" => Some(&p.worker_type),
                "routes" => Some(&p.routes),
                "extra" => Some(&p.extra),
                "payload" => Some(&p.payload),
                _ => None,
            }),
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
        *self = Def::new(&value);
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parts_are_written_as_the_whole_definition_is() {
        let parts = |requires: Option<J>, priority: J| Parts {
            deadline: Jv::from("1 day"),
            expires: Jv::from_serde(&json!({"nested": [1, "x"]})),
            extra: Jv::from_serde(&json!({"treeherder": {"tier": 2, "symbol": "B",
                "machine": {"platform": "linux"}, "collection": {"opt": true}}, "b": {}, "a": 1})),
            metadata: ["d \u{e9}\"".into(), "n".into(), "o".into(), "s".into()],
            payload: Jv::from_serde(
                &json!({"command": ["run-task", "x"], "env": {"Z": "1", "A": ""},
                "cache": {"task-reference": {"c1": "/x"}}}),
            ),
            priority: Jv::from_serde(&priority),
            provisioner_id: Jv::from("p-3"),
            requires: requires.as_ref().map(Jv::from_serde),
            routes: Jv::from_serde(&json!(["r1", "index.x"])),
            scopes: Jv::from_serde(&json!([])),
            tags: Jv::from_serde(&json!({"os": "linux", "kind": "k"})),
            worker_type: Jv::from("b-linux"),
        };
        for (requires, priority) in [
            (None, json!("low")),
            (Some(json!("all-completed")), json!(3)),
        ] {
            let p = parts(requires.clone(), priority.clone());
            let mut whole = json!({
                "created": {"relative-datestamp": "0 seconds"},
                "deadline": {"relative-datestamp": "1 day"},
                "expires": {"relative-datestamp": p.expires.to_serde()},
                "extra": p.extra.to_serde(),
                "metadata": {"description": "d \u{e9}\"", "name": "n", "owner": "o", "source": "s"},
                "payload": p.payload.to_serde(),
                "priority": priority,
                "provisionerId": "p-3",
                "routes": ["r1", "index.x"],
                "scopes": [],
                "tags": p.tags.to_serde(),
                "workerType": "b-linux",
            });
            if let Some(r) = requires {
                whole["requires"] = r;
            }
            let (from_parts, from_whole) = (Def::from_parts(&p), Def::new(&whole));
            assert_eq!(from_parts.text(), from_whole.text());
            assert_eq!(from_parts.facts, from_whole.facts);
            assert_eq!(from_parts.facts.tier, Some(2));
            assert!(from_parts.facts.caches.is_some());
        }
    }

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
        let mut def = Def::new(&v);
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
        assert_eq!(Def::new(&json!({})).facts, Facts::default());
    }
}

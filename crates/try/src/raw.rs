//! The raw option values (try-syntax.md §4.3): exactly 18 keys, in this order.

use serde::Serialize;
use serde_json::{Map, Value};

/// Option values before resolution. Field order is the JSON key order of the contract.
// One field per key of the contract, whose flags are booleans.
#[allow(clippy::struct_excessive_bools)]
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Raw {
    pub build: Option<String>,
    pub platform: String,
    pub unittests: String,
    pub talos: String,
    pub raptor: String,
    pub job: Option<Vec<String>>,
    pub interactive: bool,
    pub notify: Option<String>,
    pub rebuild: i64,
    pub rebuild_talos: i64,
    pub rebuild_raptor: i64,
    pub tag: Option<String>,
    pub no_retry: bool,
    pub include_nightly: bool,
    pub taskcluster_worker: bool,
    pub artifact: bool,
    pub gecko_profile: bool,
    /// Insertion order is kept; a repeated key keeps its first position and last value.
    pub setenv: Map<String, Value>,
}

impl Default for Raw {
    fn default() -> Self {
        Raw {
            build: None,
            platform: "all".into(),
            unittests: "all".into(),
            talos: "none".into(),
            raptor: "none".into(),
            job: None,
            interactive: false,
            notify: None,
            rebuild: 1,
            rebuild_talos: 1,
            rebuild_raptor: 1,
            tag: None,
            no_retry: false,
            include_nightly: false,
            taskcluster_worker: false,
            artifact: false,
            gecko_profile: false,
            setenv: Map::new(),
        }
    }
}

/// The 18 raw keys in contract order.
pub const RAW_KEYS: [&str; 18] = [
    "build",
    "platform",
    "unittests",
    "talos",
    "raptor",
    "job",
    "interactive",
    "notify",
    "rebuild",
    "rebuild_talos",
    "rebuild_raptor",
    "tag",
    "no_retry",
    "include_nightly",
    "taskcluster_worker",
    "artifact",
    "gecko_profile",
    "setenv",
];

impl Raw {
    /// The value of one raw key as JSON, for tables and statistics.
    pub fn get(&self, key: &str) -> Value {
        fn opt(s: Option<&String>) -> Value {
            s.map_or(Value::Null, |s| Value::String(s.clone()))
        }
        match key {
            "build" => opt(self.build.as_ref()),
            "platform" => self.platform.clone().into(),
            "unittests" => self.unittests.clone().into(),
            "talos" => self.talos.clone().into(),
            "raptor" => self.raptor.clone().into(),
            "job" => self
                .job
                .as_ref()
                .map_or(Value::Null, |j| Value::from(j.clone())),
            "interactive" => self.interactive.into(),
            "notify" => opt(self.notify.as_ref()),
            "rebuild" => self.rebuild.into(),
            "rebuild_talos" => self.rebuild_talos.into(),
            "rebuild_raptor" => self.rebuild_raptor.into(),
            "tag" => opt(self.tag.as_ref()),
            "no_retry" => self.no_retry.into(),
            "include_nightly" => self.include_nightly.into(),
            "taskcluster_worker" => self.taskcluster_worker.into(),
            "artifact" => self.artifact.into(),
            "gecko_profile" => self.gecko_profile.into(),
            "setenv" => Value::Object(self.setenv.clone()),
            _ => Value::Null,
        }
    }
}

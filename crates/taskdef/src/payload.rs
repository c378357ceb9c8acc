//! Payload families and field support (worker.md §3.1, §3.4): one declarative table per
//! family, checked in one walk that lists every error as `payload<JSON pointer>: <problem>`
//! and every ignored field as a warning.

use std::collections::BTreeMap;

use serde_json::Value;

use super::definition::kind;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Family {
    #[serde(rename = "docker-worker")]
    DockerWorker,
    #[serde(rename = "generic-worker")]
    GenericWorker,
}

impl Family {
    pub fn as_str(self) -> &'static str {
        match self {
            Family::DockerWorker => "docker-worker",
            Family::GenericWorker => "generic-worker",
        }
    }
}

/// Why a payload's family cannot be told (§3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
pub enum FamilyError {
    #[error(
        "Windows generic-worker payloads are not supported (a generic-worker `command` is a list of argv lists; docker-worker payloads need `image`)"
    )]
    #[diagnostic(code(tc::payload::windows))]
    Windows,
    #[error(
        "cannot tell the payload family: a docker-worker payload has `image`, a generic-worker payload has `command` as a list of argv lists"
    )]
    #[diagnostic(code(tc::payload::family))]
    Unknown,
}

/// Decides the family from the payload's shape (§3.1).
pub fn family(payload: &Value) -> Result<Family, FamilyError> {
    if payload.get("image").is_some() {
        return Ok(Family::DockerWorker);
    }
    match payload.get("command") {
        // A list of lists: generic-worker; items that are not strings are then reported
        // with their JSON pointer by `check`.
        Some(Value::Array(items)) if !items.is_empty() && items.iter().all(Value::is_array) => {
            Ok(Family::GenericWorker)
        }
        Some(Value::Array(items)) if !items.is_empty() && items.iter().all(Value::is_string) => {
            Err(FamilyError::Windows)
        }
        _ => Err(FamilyError::Unknown),
    }
}

/// How tc treats a field (§3.4).
#[derive(Debug, Clone, Copy)]
enum Support {
    /// Supported.
    S,
    /// Ignored with one warning line saying why.
    W(&'static str),
    /// Ignored silently.
    I,
    /// Rejected (malformed-payload) unless it is `false`, saying why.
    R(&'static str),
    /// Supported only with `--allow-capabilities`.
    Capability,
}

/// The expected shape of a value.
#[derive(Debug, Clone, Copy)]
enum Shape {
    Str,
    Bool,
    Int {
        min: i64,
        max: i64,
    },
    /// A list of these.
    List(&'static Shape),
    /// A mapping from any key to these.
    Map(&'static Shape),
    Object(&'static [Field]),
    /// Any mapping (checked elsewhere).
    Mapping,
    /// One of these strings.
    Enum(&'static [&'static str]),
    /// A string or one of these objects, picked by their `type` key.
    Image,
}

#[derive(Debug, Clone, Copy)]
struct Field {
    name: &'static str,
    shape: Shape,
    support: Support,
    required: bool,
}

const fn f(name: &'static str, shape: Shape, support: Support) -> Field {
    Field {
        name,
        shape,
        support,
        required: false,
    }
}

const fn required(name: &'static str, shape: Shape) -> Field {
    Field {
        name,
        shape,
        support: Support::S,
        required: true,
    }
}

const STR: Shape = Shape::Str;
const BOOL: Shape = Shape::Bool;
const CODE: Shape = Shape::Int {
    min: 1,
    max: i32::MAX as i64,
};
const MAX_RUN_TIME: Shape = Shape::Int {
    min: 1,
    max: 604_800,
};

const ON_EXIT_STATUS: &[Field] = &[
    f("retry", Shape::List(&CODE), Support::S),
    f("purgeCaches", Shape::List(&CODE), Support::S),
];

const DW_ARTIFACT: &[Field] = &[
    required("type", Shape::Enum(&["file", "directory", "volume"])),
    required("path", STR),
    f("expires", STR, Support::S),
];

const DW_DEVICES: &[Field] = &[
    f("kvm", BOOL, Support::Capability),
    f("hostSharedMemory", BOOL, Support::Capability),
    f(
        "loopbackVideo",
        BOOL,
        Support::R("host kernel modules are out of scope"),
    ),
    f(
        "loopbackAudio",
        BOOL,
        Support::R("host kernel modules are out of scope"),
    ),
];

const DW_CAPABILITIES: &[Field] = &[
    f("privileged", BOOL, Support::Capability),
    f("disableSeccomp", BOOL, Support::Capability),
    f("devices", Shape::Object(DW_DEVICES), Support::S),
];

const NO_PROXY: &str = "tc runs no taskcluster proxy (TASKCLUSTER_PROXY_URL is not set)";
const NO_COT: &str = "tc does not sign chain-of-trust artifacts";

const DW_FEATURES: &[Field] = &[
    f("allowPtrace", BOOL, Support::S),
    f("artifacts", BOOL, Support::S),
    f("localLiveLog", BOOL, Support::I),
    f("interactive", BOOL, Support::I),
    f("bulkLog", BOOL, Support::W("no bulk log artifact is made")),
    f("taskclusterProxy", BOOL, Support::W(NO_PROXY)),
    f("chainOfTrust", BOOL, Support::W(NO_COT)),
    f(
        "relengAPIProxy",
        BOOL,
        Support::W("there is no relengapi proxy"),
    ),
    f(
        "balrogVPNProxy",
        BOOL,
        Support::W("there is no balrog VPN proxy"),
    ),
    f(
        "balrogStageVPNProxy",
        BOOL,
        Support::W("there is no balrog VPN proxy"),
    ),
    f("dockerSave", BOOL, Support::W("no image artifact is saved")),
    f(
        "dind",
        BOOL,
        Support::R("docker-in-docker is not supported"),
    ),
];

const DOCKER_WORKER: &[Field] = &[
    required("image", Shape::Image),
    f("command", Shape::List(&STR), Support::S),
    f("env", Shape::Map(&STR), Support::S),
    required("maxRunTime", MAX_RUN_TIME),
    f(
        "artifacts",
        Shape::Map(&Shape::Object(DW_ARTIFACT)),
        Support::S,
    ),
    f("cache", Shape::Map(&STR), Support::S),
    f("capabilities", Shape::Object(DW_CAPABILITIES), Support::S),
    f("features", Shape::Object(DW_FEATURES), Support::S),
    f("onExitStatus", Shape::Object(ON_EXIT_STATUS), Support::S),
    f("log", STR, Support::S),
    f(
        "supersederUrl",
        STR,
        Support::W("tasks are never superseded locally"),
    ),
    f(
        "encryptedEnv",
        Shape::List(&STR),
        Support::R("encryptedEnv is deprecated and cannot be decrypted locally"),
    ),
];

const GW_ARTIFACT: &[Field] = &[
    required("type", Shape::Enum(&["file", "directory"])),
    required("path", STR),
    f("name", STR, Support::S),
    f("expires", STR, Support::S),
    f("contentType", STR, Support::S),
    f(
        "contentEncoding",
        Shape::Enum(&["identity", "gzip"]),
        Support::S,
    ),
    f("optional", BOOL, Support::S),
];

const GW_LOGS: &[Field] = &[f("live", STR, Support::S), f("backing", STR, Support::S)];

const GW_FEATURES: &[Field] = &[
    f("backingLog", BOOL, Support::S),
    f("liveLog", BOOL, Support::I),
    f("interactive", BOOL, Support::I),
    f("resourceMonitor", BOOL, Support::I),
    f("runTaskAsCurrentUser", BOOL, Support::I),
    f("taskclusterProxy", BOOL, Support::W(NO_PROXY)),
    f("chainOfTrust", BOOL, Support::W(NO_COT)),
    f(
        "loopbackVideo",
        BOOL,
        Support::R("host kernel modules are out of scope"),
    ),
    f(
        "loopbackAudio",
        BOOL,
        Support::R("host kernel modules are out of scope"),
    ),
    f(
        "runAsAdministrator",
        BOOL,
        Support::R("Windows features are not supported"),
    ),
    f(
        "hideCmdWindow",
        BOOL,
        Support::R("Windows features are not supported"),
    ),
];

/// Mounts are read by `run::mounts::parse`, which lists their problems itself.
const GW_MOUNT_ANY: Shape = Shape::Mapping;

const GENERIC_WORKER: &[Field] = &[
    required("command", Shape::List(&Shape::List(&STR))),
    f("env", Shape::Map(&STR), Support::S),
    required("maxRunTime", MAX_RUN_TIME),
    f(
        "artifacts",
        Shape::List(&Shape::Object(GW_ARTIFACT)),
        Support::S,
    ),
    f("mounts", Shape::List(&GW_MOUNT_ANY), Support::S),
    f("onExitStatus", Shape::Object(ON_EXIT_STATUS), Support::S),
    f("logs", Shape::Object(GW_LOGS), Support::S),
    f("features", Shape::Object(GW_FEATURES), Support::S),
    f("taskclusterProxyInterface", STR, Support::W(NO_PROXY)),
    f(
        "supersederUrl",
        STR,
        Support::W("tasks are never superseded locally"),
    ),
    f(
        "osGroups",
        Shape::List(&STR),
        Support::W("the task keeps the invoking user's groups"),
    ),
    f(
        "rdpInfo",
        STR,
        Support::R("Windows features are not supported"),
    ),
];

/// The result of checking a payload: errors make it malformed; warnings are printed once.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Check {
    pub errors: Vec<String>,
    pub warnings: Vec<String>,
    /// Every W and I field the payload used, for `--script` comments.
    pub ignored: Vec<String>,
}

/// Checks a payload of `family` against §3.4.
pub fn check(payload: &Value, family: Family, allow_capabilities: bool) -> Check {
    let fields = match family {
        Family::DockerWorker => DOCKER_WORKER,
        Family::GenericWorker => GENERIC_WORKER,
    };
    let mut out = Check::default();
    check_object(payload, fields, "", allow_capabilities, &mut out);
    out
}

fn is_off(v: &Value) -> bool {
    matches!(v, Value::Bool(false) | Value::Null)
}

fn check_object(value: &Value, fields: &[Field], pointer: &str, caps: bool, out: &mut Check) {
    let Some(map) = value.as_object() else {
        out.errors.push(format!(
            "payload{pointer}: must be a mapping, not {}",
            kind(value)
        ));
        return;
    };
    for field in fields {
        if field.required && !map.contains_key(field.name) {
            out.errors
                .push(format!("payload{pointer}/{}: is required", field.name));
        }
    }
    for (key, child) in map {
        let here = format!("{pointer}/{}", key.replace('~', "~0").replace('/', "~1"));
        let Some(field) = fields.iter().find(|f| f.name == key) else {
            let known: Vec<&str> = fields.iter().map(|f| f.name).collect();
            out.errors.push(format!(
                "payload{here}: unknown field (known here: {})",
                known.join(", ")
            ));
            continue;
        };
        check_shape(child, &field.shape, &here, caps, out);
        match field.support {
            Support::S => {}
            Support::I => out.ignored.push(format!("payload{here}")),
            Support::W(why) => {
                if !is_off(child) {
                    out.warnings
                        .push(format!("payload{here} is ignored: {why}"));
                    out.ignored.push(format!("payload{here}"));
                }
            }
            Support::R(why) => {
                if !is_off(child) {
                    out.errors
                        .push(format!("payload{here}: not supported: {why}"));
                }
            }
            Support::Capability => {
                if !is_off(child) && !caps {
                    out.errors.push(format!(
                        "payload{here}: needs --allow-capabilities (the local stand-in for the worker's scope check)"
                    ));
                }
            }
        }
    }
}

fn check_shape(value: &Value, shape: &Shape, pointer: &str, caps: bool, out: &mut Check) {
    let wrong = |out: &mut Check, want: &str| {
        out.errors.push(format!(
            "payload{pointer}: must be {want}, not {}",
            kind(value)
        ));
    };
    match shape {
        Shape::Str => {
            if !value.is_string() {
                wrong(out, "a string");
            }
        }
        Shape::Bool => {
            if !value.is_boolean() {
                wrong(out, "a boolean");
            }
        }
        Shape::Int { min, max } => match value.as_i64() {
            Some(n) if n >= *min && n <= *max => {}
            Some(n) => out.errors.push(format!(
                "payload{pointer}: {n} is out of range ({min}..={max})"
            )),
            None => wrong(out, "a whole number"),
        },
        Shape::List(item) => match value.as_array() {
            Some(items) => {
                for (i, child) in items.iter().enumerate() {
                    check_shape(child, item, &format!("{pointer}/{i}"), caps, out);
                }
            }
            None => wrong(out, "a list"),
        },
        Shape::Map(item) => match value.as_object() {
            Some(map) => {
                for (key, child) in map {
                    let here = format!("{pointer}/{}", key.replace('~', "~0").replace('/', "~1"));
                    check_shape(child, item, &here, caps, out);
                }
            }
            None => wrong(out, "a mapping"),
        },
        Shape::Object(fields) => check_object(value, fields, pointer, caps, out),
        Shape::Mapping => {
            if !value.is_object() {
                wrong(out, "a mapping");
            }
        }
        Shape::Enum(options) => match value.as_str() {
            Some(s) if options.contains(&s) => {}
            _ => out.errors.push(format!(
                "payload{pointer}: must be one of {}",
                options.join(", ")
            )),
        },
        Shape::Image => check_image(value, pointer, out),
    }
}

const DOCKER_IMAGE: &[Field] = &[required("type", STR), required("name", STR)];
const TASK_IMAGE: &[Field] = &[
    required("type", STR),
    required("taskId", STR),
    required("path", STR),
];
const INDEXED_IMAGE: &[Field] = &[
    required("type", STR),
    required("namespace", STR),
    required("path", STR),
];

fn check_image(value: &Value, pointer: &str, out: &mut Check) {
    if value.is_string() {
        return;
    }
    let fields = match value.get("type").and_then(Value::as_str) {
        Some("docker-image") => DOCKER_IMAGE,
        Some("task-image") => TASK_IMAGE,
        Some("indexed-image") => INDEXED_IMAGE,
        _ => {
            out.errors.push(format!(
                "payload{pointer}: must be an image name, or a mapping with type docker-image, task-image or indexed-image"
            ));
            return;
        }
    };
    check_object(value, fields, pointer, false, out);
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn gw(extra: &Value) -> Check {
        let mut p = json!({"command": [["true"]], "maxRunTime": 10});
        for (k, v) in extra.as_object().unwrap() {
            p[k] = v.clone();
        }
        check(&p, Family::GenericWorker, false)
    }

    #[test]
    fn family_comes_from_the_shape() {
        assert_eq!(family(&json!({"image": "x"})), Ok(Family::DockerWorker));
        assert_eq!(
            family(&json!({"command": [["a", "b"]]})),
            Ok(Family::GenericWorker)
        );
        assert_eq!(
            family(&json!({"command": ["a b"]})),
            Err(FamilyError::Windows)
        );
        assert!(FamilyError::Windows.to_string().contains("Windows"));
        assert_eq!(family(&json!({"command": []})), Err(FamilyError::Unknown));
        assert_eq!(family(&json!({})), Err(FamilyError::Unknown));
        assert!(FamilyError::Unknown.to_string().contains("cannot tell"));
    }

    #[test]
    fn a_minimal_generic_worker_payload_is_fine() {
        assert_eq!(gw(&json!({})), Check::default());
    }

    #[test]
    fn every_error_is_listed_with_its_pointer() {
        let c = check(
            &json!({"command": [["a", 1]], "maxRunTime": 0, "env": {"A": 2}, "bogus": true,
                              "artifacts": [{"type": "blob"}]}),
            Family::GenericWorker,
            false,
        );
        let all = c.errors.join("\n");
        for needle in [
            "payload/command/0/1: must be a string",
            "payload/maxRunTime: 0 is out of range",
            "payload/env/A: must be a string",
            "payload/bogus: unknown field",
            "payload/artifacts/0/type: must be one of file, directory",
            "payload/artifacts/0/path: is required",
        ] {
            assert!(all.contains(needle), "{needle} in\n{all}");
        }
    }

    #[test]
    fn max_run_time_range() {
        assert!(gw(&json!({"maxRunTime": 604_800})).errors.is_empty());
        assert!(!gw(&json!({"maxRunTime": 604_801})).errors.is_empty());
        assert!(!gw(&json!({"maxRunTime": "10"})).errors.is_empty());
    }

    #[test]
    fn warned_ignored_and_rejected_fields() {
        let c = gw(
            &json!({"features": {"taskclusterProxy": true, "liveLog": true}, "osGroups": ["docker"]}),
        );
        assert!(c.errors.is_empty(), "{:?}", c.errors);
        assert_eq!(c.warnings.len(), 2, "{:?}", c.warnings);
        assert!(c.ignored.contains(&"payload/features/liveLog".to_owned()));
        let c = gw(&json!({"features": {"runAsAdministrator": true}, "rdpInfo": "x"}));
        assert_eq!(c.errors.len(), 2, "{:?}", c.errors);
        assert!(
            gw(&json!({"features": {"loopbackVideo": false}}))
                .errors
                .is_empty()
        );
    }

    #[test]
    fn docker_worker_capabilities_need_the_flag() {
        let p = json!({"image": "busybox", "maxRunTime": 5, "capabilities": {"privileged": true, "devices": {"kvm": true}}});
        assert_eq!(check(&p, Family::DockerWorker, false).errors.len(), 2);
        assert!(check(&p, Family::DockerWorker, true).errors.is_empty());
        let p = json!({"image": {"type": "task-image", "taskId": "x"}, "maxRunTime": 5, "features": {"dind": true}});
        let errs = check(&p, Family::DockerWorker, true).errors.join("\n");
        assert!(
            errs.contains("payload/image/path: is required") && errs.contains("dind"),
            "{errs}"
        );
    }
}

/// `onExitStatus` of both families.
#[derive(Debug, Clone, Default, PartialEq, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OnExitStatus {
    #[serde(default)]
    pub retry: Vec<i32>,
    #[serde(default)]
    pub purge_caches: Vec<i32>,
}

/// One generic-worker artifact.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GwArtifact {
    #[serde(rename = "type")]
    pub kind: String,
    pub path: String,
    pub name: Option<String>,
    pub expires: Option<String>,
    pub content_type: Option<String>,
    #[serde(default)]
    pub optional: bool,
}

#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
pub struct GwLogs {
    #[serde(default = "default_live_log")]
    pub live: String,
    #[serde(default = "default_backing_log")]
    pub backing: String,
}

impl Default for GwLogs {
    fn default() -> Self {
        GwLogs {
            live: default_live_log(),
            backing: default_backing_log(),
        }
    }
}

fn default_live_log() -> String {
    "public/logs/live.log".into()
}

fn default_backing_log() -> String {
    "public/logs/live_backing.log".into()
}

#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GwFeatures {
    #[serde(default = "yes")]
    pub backing_log: bool,
}

impl Default for GwFeatures {
    fn default() -> Self {
        GwFeatures { backing_log: true }
    }
}

fn yes() -> bool {
    true
}

/// A generic-worker payload, read after `check` found no error.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GwPayload {
    pub command: Vec<Vec<String>>,
    #[serde(default)]
    pub env: serde_json::Map<String, Value>,
    pub max_run_time: u64,
    #[serde(default)]
    pub artifacts: Vec<GwArtifact>,
    #[serde(default)]
    pub mounts: Vec<Value>,
    #[serde(default)]
    pub on_exit_status: OnExitStatus,
    #[serde(default)]
    pub logs: GwLogs,
    #[serde(default)]
    pub features: GwFeatures,
}

/// One docker-worker artifact (the name is its key in `artifacts`).
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
pub struct DwArtifact {
    /// `file`, `directory` or `volume` (taken as `directory`).
    #[serde(rename = "type")]
    pub kind: String,
    pub path: String,
    pub expires: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DwDevices {
    #[serde(default)]
    pub kvm: bool,
    #[serde(default)]
    pub host_shared_memory: bool,
}

#[derive(Debug, Clone, Default, PartialEq, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DwCapabilities {
    #[serde(default)]
    pub privileged: bool,
    #[serde(default)]
    pub disable_seccomp: bool,
    #[serde(default)]
    pub devices: DwDevices,
}

#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DwFeatures {
    #[serde(default)]
    pub allow_ptrace: bool,
    /// `false`: no artifacts are copied (the log is still saved).
    #[serde(default = "yes")]
    pub artifacts: bool,
}

impl Default for DwFeatures {
    fn default() -> Self {
        DwFeatures {
            allow_ptrace: false,
            artifacts: true,
        }
    }
}

/// A docker-worker payload, read after `check` found no error.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DwPayload {
    pub image: Value,
    #[serde(default)]
    pub command: Vec<String>,
    #[serde(default)]
    pub env: serde_json::Map<String, Value>,
    pub max_run_time: u64,
    #[serde(default)]
    pub artifacts: BTreeMap<String, DwArtifact>,
    /// Cache name → absolute mount path.
    #[serde(default)]
    pub cache: BTreeMap<String, String>,
    #[serde(default)]
    pub capabilities: DwCapabilities,
    #[serde(default)]
    pub features: DwFeatures,
    #[serde(default)]
    pub on_exit_status: OnExitStatus,
    // `log` (the live log's name) is read with the log names, for both families, by
    // `run::plan::log_names`.
}

/// docker-worker's backing log: `_backing` before the live log's extension.
pub fn dw_backing_log(live: &str) -> String {
    let file_start = live.rfind('/').map_or(0, |i| i + 1);
    match live[file_start..].rfind('.') {
        Some(dot) if dot > 0 => {
            let at = file_start + dot;
            format!("{}_backing{}", &live[..at], &live[at..])
        }
        _ => format!("{live}_backing"),
    }
}

#[cfg(test)]
mod dw_tests {
    use super::*;

    #[test]
    fn the_backing_log_name_inserts_backing_before_the_extension() {
        assert_eq!(
            dw_backing_log("public/logs/live.log"),
            "public/logs/live_backing.log"
        );
        assert_eq!(
            dw_backing_log("public/my.logs/live"),
            "public/my.logs/live_backing"
        );
        assert_eq!(
            dw_backing_log("public/logs/a.b.txt"),
            "public/logs/a.b_backing.txt"
        );
        assert_eq!(dw_backing_log("public/.hidden"), "public/.hidden_backing");
    }
}

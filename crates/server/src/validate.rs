//! The createTask body (queue-api.md §3.1): the schema with its defaults, every violation
//! listed, then the queue fields resolved and the timestamps normalised.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};

use super::error::ApiError;
use tc_taskdef::reltime::format_timestamp;

pub use tc_taskdef::definition::{KEYS, PRIORITIES};

pub fn slugid_ok(s: &str) -> bool {
    let b = s.as_bytes();
    let class = |c: u8| c.is_ascii_alphanumeric() || c == b'_' || c == b'-';
    b.len() == 22
        && b.iter().all(|c| class(*c))
        && matches!(b[8], b'Q'..=b'T')
        && b"CGKOSWaeimquy26-".contains(&b[10])
        && b"AQgw".contains(&b[21])
}

fn ident_ok(s: &str, max: usize) -> bool {
    (1..=max).contains(&s.len())
        && s.bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
}

fn worker_type_ok(s: &str) -> bool {
    let b = s.as_bytes();
    (1..=38).contains(&b.len())
        && b[0].is_ascii_lowercase()
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
        && b[b.len() - 1] != b'-'
}

pub fn task_queue_ok(s: &str) -> bool {
    s.split_once('/')
        .is_some_and(|(p, w)| ident_ok(p, 38) && worker_type_ok(w))
}

pub fn scope_ok(s: &str) -> bool {
    s.bytes().all(|b| (0x20..=0x7e).contains(&b))
}

/// An RFC 3339 time, sub-millisecond digits truncated.
pub fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    let t = DateTime::parse_from_rfc3339(s).ok()?.with_timezone(&Utc);
    let ms = t.timestamp_millis();
    DateTime::from_timestamp_millis(ms)
}

/// A definition that passed the schema, with defaults filled and the queue fields resolved.
pub struct Checked {
    pub def: Map<String, Value>,
    pub task_queue_id: String,
    pub created: DateTime<Utc>,
    pub deadline: DateTime<Utc>,
    pub expires: DateTime<Utc>,
}

/// The schema check with defaults (400 `InputValidationError` listing every problem), then the
/// queue fields (400 `InputError`).
pub fn task_definition(task_id: &str, body: &Value) -> Result<Checked, ApiError> {
    let Value::Object(given) = body else {
        return Err(ApiError::validation(&["/: must be an object".into()]));
    };
    let mut problems = Vec::new();
    for k in given.keys() {
        if !KEYS.contains(&k.as_str()) {
            problems.push(format!(
                "/{k}: is not allowed (additionalProperties: false)"
            ));
        }
    }
    let mut d = with_defaults(given, task_id);
    string_problems(&d, &mut problems);
    time_problems(&d, &mut problems);
    list_problems(&d, &mut problems);
    object_problems(&d, &mut problems);
    if !problems.is_empty() {
        return Err(ApiError::validation(&problems));
    }
    let task_queue_id = task_queue(&mut d)?;
    let time = |k: &str| d.get(k).and_then(Value::as_str).and_then(parse_time);
    let created = time("created").ok_or_else(|| ApiError::input("created is not a date-time"))?;
    let deadline =
        time("deadline").ok_or_else(|| ApiError::input("deadline is not a date-time"))?;
    let expires = match time("expires") {
        Some(e) => e,
        None => tc_taskdef::definition::one_year_after(deadline),
    };
    d.insert("created".into(), json!(format_timestamp(created)));
    d.insert("deadline".into(), json!(format_timestamp(deadline)));
    d.insert("expires".into(), json!(format_timestamp(expires)));
    Ok(Checked {
        def: d,
        task_queue_id,
        created,
        deadline,
        expires,
    })
}

/// The definition with the schema's defaults filled in.
fn with_defaults(given: &Map<String, Value>, task_id: &str) -> Map<String, Value> {
    let mut d = given.clone();
    let defaults = [
        ("schedulerId", json!("-")),
        ("projectId", json!("none")),
        ("taskGroupId", json!(task_id)),
        ("dependencies", json!([])),
        ("requires", json!("all-completed")),
        ("routes", json!([])),
        ("priority", json!("lowest")),
        ("retries", json!(5)),
        ("scopes", json!([])),
        ("tags", json!({})),
        ("extra", json!({})),
    ];
    for (k, v) in defaults {
        d.entry(k).or_insert(v);
    }
    d
}

/// The string fields' shapes.
fn string_problems(d: &Map<String, Value>, problems: &mut Vec<String>) {
    let mut str_field = |key: &str, ok: &dyn Fn(&str) -> bool, what: &str| match d.get(key) {
        None => {}
        Some(Value::String(s)) if ok(s) => {}
        Some(_) => problems.push(format!("/{key}: must be {what}")),
    };
    str_field(
        "taskQueueId",
        &task_queue_ok,
        "`<provisioner>/<worker type>` (a task queue id)",
    );
    str_field(
        "provisionerId",
        &|s| ident_ok(s, 38),
        "1-38 characters of A-Z a-z 0-9 - _",
    );
    str_field(
        "workerType",
        &worker_type_ok,
        "1-38 characters of a-z 0-9 -, starting with a letter",
    );
    str_field(
        "schedulerId",
        &|s| ident_ok(s, 38),
        "1-38 characters of A-Z a-z 0-9 - _",
    );
    str_field(
        "projectId",
        &|s| {
            (1..=500).contains(&s.len())
                && s.bytes()
                    .all(|c| c.is_ascii_alphanumeric() || b"._/-".contains(&c))
        },
        "1-500 characters of A-Z a-z 0-9 . _ / -",
    );
    str_field("taskGroupId", &slugid_ok, "a slugid");
    str_field(
        "requires",
        &|s| s == "all-completed" || s == "all-resolved",
        "all-completed or all-resolved",
    );
    str_field(
        "priority",
        &|s| PRIORITIES.contains(&s),
        "one of highest, very-high, high, medium, low, very-low, lowest",
    );
}

/// `created` and `deadline` are required; they and `expires` are date-times.
fn time_problems(d: &Map<String, Value>, problems: &mut Vec<String>) {
    for key in ["created", "deadline"] {
        if !d.contains_key(key) {
            problems.push(format!("/: must have required property '{key}'"));
        }
    }
    for key in ["created", "deadline", "expires"] {
        match d.get(key) {
            None => {}
            Some(Value::String(s)) if parse_time(s).is_some() => {}
            Some(_) => problems.push(format!("/{key}: must be a date-time")),
        }
    }
}

/// `dependencies`, `routes`, `retries` and `scopes`.
fn list_problems(d: &Map<String, Value>, problems: &mut Vec<String>) {
    match d.get("dependencies") {
        Some(Value::Array(deps)) => {
            for (i, dep) in deps.iter().enumerate() {
                if !dep.as_str().is_some_and(slugid_ok) {
                    problems.push(format!("/dependencies/{i}: must be a slugid"));
                }
            }
            let mut seen = std::collections::HashSet::new();
            if !deps.iter().all(|x| seen.insert(x.to_string())) {
                problems.push("/dependencies: must not have duplicate items".into());
            }
        }
        _ => problems.push("/dependencies: must be an array".into()),
    }
    match d.get("routes") {
        Some(Value::Array(routes)) => {
            if routes.len() > 64 {
                problems.push("/routes: must not have more than 64 items".into());
            }
            for (i, r) in routes.iter().enumerate() {
                if !r.as_str().is_some_and(|s| (1..=249).contains(&s.len())) {
                    problems.push(format!("/routes/{i}: must be a string of 1-249 characters"));
                }
            }
            let mut seen = std::collections::HashSet::new();
            if !routes.iter().all(|x| seen.insert(x.to_string())) {
                problems.push("/routes: must not have duplicate items".into());
            }
        }
        _ => problems.push("/routes: must be an array".into()),
    }
    match d.get("retries") {
        Some(Value::Number(n)) if n.as_i64().is_some_and(|r| (0..=49).contains(&r)) => {}
        _ => problems.push("/retries: must be an integer from 0 to 49".into()),
    }
    match d.get("scopes") {
        Some(Value::Array(scopes)) => {
            for (i, s) in scopes.iter().enumerate() {
                if !s.as_str().is_some_and(scope_ok) {
                    problems.push(format!(
                        "/scopes/{i}: must be a string of printable ASCII characters"
                    ));
                }
            }
        }
        _ => problems.push("/scopes: must be an array".into()),
    }
}

/// `payload`, `metadata`, `tags` and `extra`.
fn object_problems(d: &Map<String, Value>, problems: &mut Vec<String>) {
    match d.get("payload") {
        Some(Value::Object(_)) => {}
        None => problems.push("/: must have required property 'payload'".into()),
        Some(_) => problems.push("/payload: must be an object".into()),
    }
    metadata(d.get("metadata"), problems);
    match d.get("tags") {
        Some(Value::Object(tags)) => {
            for (k, v) in tags {
                if v.as_str().is_none_or(|s| s.len() > 4096) {
                    problems.push(format!(
                        "/tags/{k}: must be a string of at most 4096 characters"
                    ));
                }
            }
        }
        _ => problems.push("/tags: must be an object".into()),
    }
    if !matches!(d.get("extra"), Some(Value::Object(_))) {
        problems.push("/extra: must be an object".into());
    }
}

/// The queue: taskQueueId, or provisionerId + workerType; all three must agree. All three are
/// set in `d` afterwards.
fn task_queue(d: &mut Map<String, Value>) -> Result<String, ApiError> {
    let s = |k: &str| d.get(k).and_then(Value::as_str).map(str::to_owned);
    let task_queue_id = match (s("taskQueueId"), s("provisionerId"), s("workerType")) {
        (Some(q), None, None) => q,
        (None, Some(p), Some(w)) => format!("{p}/{w}"),
        (Some(q), Some(p), Some(w)) if q == format!("{p}/{w}") => q,
        (Some(q), Some(p), Some(w)) => {
            return Err(ApiError::input(format!(
                "taskQueueId `{q}` disagrees with provisionerId/workerType `{p}/{w}`"
            )));
        }
        _ => {
            return Err(ApiError::input(
                "give taskQueueId, or both provisionerId and workerType",
            ));
        }
    };
    let (p, w) = task_queue_id.split_once('/').unwrap_or_default();
    d.insert("taskQueueId".into(), json!(task_queue_id));
    d.insert("provisionerId".into(), json!(p));
    d.insert("workerType".into(), json!(w));
    Ok(task_queue_id)
}

fn metadata(m: Option<&Value>, problems: &mut Vec<String>) {
    let Some(m) = m else {
        problems.push("/: must have required property 'metadata'".into());
        return;
    };
    let Value::Object(m) = m else {
        problems.push("/metadata: must be an object".into());
        return;
    };
    for k in m.keys() {
        if !["name", "description", "owner", "source"].contains(&k.as_str()) {
            problems.push(format!(
                "/metadata/{k}: is not allowed (additionalProperties: false)"
            ));
        }
    }
    for (k, max) in [
        ("name", 255),
        ("description", 32768),
        ("owner", 255),
        ("source", 4096),
    ] {
        match m.get(k) {
            None => problems.push(format!("/metadata: must have required property '{k}'")),
            Some(Value::String(s)) if s.chars().count() <= max => {
                let source_ok = ["http://", "https://", "ssh://", "git@"]
                    .iter()
                    .any(|p| s.starts_with(p));
                if k == "source" && !source_ok {
                    problems.push(
                        "/metadata/source: must start with http://, https://, ssh:// or git@"
                            .into(),
                    );
                }
            }
            Some(_) => problems.push(format!(
                "/metadata/{k}: must be a string of at most {max} characters"
            )),
        }
    }
}

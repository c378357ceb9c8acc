//! The queue's task definition (queue-api.md §3.1): one type for the graph, run-local,
//! submit, the queue server and the worker.

use chrono::{DateTime, Months, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::reltime::{format_timestamp, parse_timestamp};

/// A task definition with every default filled in and times in the queue's form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TaskDef {
    pub task_queue_id: String,
    pub scheduler_id: String,
    pub project_id: String,
    /// `None` until a run or a submission decides it (it defaults to the taskId).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task_group_id: Option<String>,
    pub dependencies: Vec<String>,
    pub requires: String,
    pub routes: Vec<String>,
    pub priority: String,
    pub retries: u32,
    pub created: String,
    pub deadline: String,
    pub expires: String,
    pub scopes: Vec<String>,
    pub payload: Value,
    pub metadata: Metadata,
    pub tags: Map<String, Value>,
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Metadata {
    pub name: String,
    pub description: String,
    pub owner: String,
    pub source: String,
}

/// What a partial definition's defaults depend on (worker.md §2.3).
#[derive(Debug, Clone)]
pub struct Defaults {
    pub now: DateTime<Utc>,
    /// The label, else the file stem: the default `metadata.name`.
    pub name: Option<String>,
    /// The file name or label in the default `metadata.source`.
    pub source_name: String,
    /// Where `metadata.source` points by default: `tc-run-local` or `tc-submit`.
    pub source_tool: &'static str,
}

/// The top-level keys of a queue task definition.
pub const KEYS: [&str; 19] = [
    "taskQueueId",
    "provisionerId",
    "workerType",
    "schedulerId",
    "projectId",
    "taskGroupId",
    "dependencies",
    "requires",
    "routes",
    "priority",
    "retries",
    "created",
    "deadline",
    "expires",
    "scopes",
    "payload",
    "metadata",
    "tags",
    "extra",
];

/// The queue's task priorities, highest first.
pub const PRIORITIES: &[&str] = &[
    "highest",
    "very-high",
    "high",
    "medium",
    "low",
    "very-low",
    "lowest",
];

/// One calendar year later; Feb 29 becomes Mar 1, as the queue does.
pub fn one_year_after(t: DateTime<Utc>) -> DateTime<Utc> {
    use chrono::Datelike;
    if t.month() == 2 && t.day() == 29 {
        return t + chrono::TimeDelta::days(366);
    }
    t.checked_add_months(Months::new(12)).unwrap_or(t)
}

/// Collects every problem of a definition instead of stopping at the first.
struct Problems(Vec<String>);

impl Problems {
    fn push(&mut self, key: &str, problem: impl std::fmt::Display) {
        self.0.push(format!("{key}: {problem}"));
    }

    fn string(&mut self, doc: &Map<String, Value>, key: &str) -> Option<String> {
        match doc.get(key) {
            None => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(other) => {
                self.push(key, format_args!("must be a string, not {}", kind(other)));
                None
            }
        }
    }

    fn strings(&mut self, doc: &Map<String, Value>, key: &str) -> Vec<String> {
        match doc.get(key) {
            None => Vec::new(),
            Some(Value::Array(items)) if items.iter().all(Value::is_string) => items
                .iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect(),
            Some(_) => {
                self.push(key, "must be a list of strings");
                Vec::new()
            }
        }
    }

    fn object(&mut self, doc: &Map<String, Value>, key: &str) -> Map<String, Value> {
        match doc.get(key) {
            None => Map::new(),
            Some(Value::Object(m)) => m.clone(),
            Some(other) => {
                self.push(key, format_args!("must be a mapping, not {}", kind(other)));
                Map::new()
            }
        }
    }

    fn time(&mut self, doc: &Map<String, Value>, key: &str) -> Option<DateTime<Utc>> {
        let text = self.string(doc, key)?;
        match parse_timestamp(&text) {
            Ok(t) => Some(t),
            Err(e) => {
                self.push(key, e);
                None
            }
        }
    }
}

/// A JSON type name for messages.
pub fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    }
}

impl TaskDef {
    /// Builds a definition from a document whose relative times are already resolved, filling
    /// the defaults of a partial definition. Every problem is listed.
    pub fn from_document(
        doc: &Map<String, Value>,
        defaults: &Defaults,
    ) -> Result<TaskDef, Vec<String>> {
        let mut p = Problems(Vec::new());
        for key in doc.keys() {
            if !KEYS.contains(&key.as_str()) {
                p.push(key, "is not a task definition key (allowed: taskQueueId, provisionerId, workerType, schedulerId, projectId, taskGroupId, dependencies, requires, routes, priority, retries, created, deadline, expires, scopes, payload, metadata, tags, extra)");
            }
        }
        let payload = match doc.get("payload") {
            Some(Value::Object(m)) => Value::Object(m.clone()),
            Some(other) => {
                p.push(
                    "payload",
                    format_args!("must be a mapping, not {}", kind(other)),
                );
                Value::Null
            }
            None => {
                p.0.push("payload: missing; a task definition needs a payload".into());
                Value::Null
            }
        };
        let queue = p.string(doc, "taskQueueId");
        let legacy = (p.string(doc, "provisionerId"), p.string(doc, "workerType"));
        let task_queue_id = match (queue, legacy) {
            (Some(q), (Some(pr), Some(wt))) if q != format!("{pr}/{wt}") => {
                p.push(
                    "taskQueueId",
                    format_args!("`{q}` disagrees with provisionerId/workerType `{pr}/{wt}`"),
                );
                q
            }
            (Some(q), _) => q,
            (None, (Some(pr), Some(wt))) => format!("{pr}/{wt}"),
            (None, (Some(_), None) | (None, Some(_))) => {
                p.0.push("provisionerId and workerType go together; or give taskQueueId".into());
                String::new()
            }
            (None, (None, None)) => "local/default".to_owned(),
        };
        let created = p.time(doc, "created").unwrap_or(defaults.now);
        let deadline = p
            .time(doc, "deadline")
            .unwrap_or(created + chrono::TimeDelta::days(1));
        let expires = p
            .time(doc, "expires")
            .unwrap_or_else(|| one_year_after(deadline));
        let requires = p
            .string(doc, "requires")
            .unwrap_or_else(|| "all-completed".into());
        if requires != "all-completed" && requires != "all-resolved" {
            p.push(
                "requires",
                format_args!("`{requires}` is neither all-completed nor all-resolved"),
            );
        }
        let priority = p.string(doc, "priority").unwrap_or_else(|| "lowest".into());
        if !PRIORITIES.contains(&priority.as_str()) {
            p.push(
                "priority",
                format_args!("`{priority}` is not one of {}", PRIORITIES.join(", ")),
            );
        }
        let retries = match doc.get("retries") {
            None => 5,
            Some(v) => {
                if let Some(n) = v
                    .as_u64()
                    .and_then(|n| u32::try_from(n).ok())
                    .filter(|n| *n <= 49)
                {
                    n
                } else {
                    p.push("retries", "must be a whole number from 0 to 49");
                    5
                }
            }
        };
        let metadata = complete_metadata(&p.object(doc, "metadata"), defaults, &mut p);
        let def = TaskDef {
            task_queue_id,
            scheduler_id: p.string(doc, "schedulerId").unwrap_or_else(|| "-".into()),
            project_id: p.string(doc, "projectId").unwrap_or_else(|| "none".into()),
            task_group_id: p.string(doc, "taskGroupId"),
            dependencies: p.strings(doc, "dependencies"),
            requires,
            routes: p.strings(doc, "routes"),
            priority,
            retries,
            created: format_timestamp(created),
            deadline: format_timestamp(deadline),
            expires: format_timestamp(expires),
            scopes: p.strings(doc, "scopes"),
            payload,
            metadata,
            tags: p.object(doc, "tags"),
            extra: p.object(doc, "extra"),
        };
        if p.0.is_empty() { Ok(def) } else { Err(p.0) }
    }

    pub fn deadline_time(&self) -> Option<DateTime<Utc>> {
        parse_timestamp(&self.deadline).ok()
    }

    pub fn expires_time(&self) -> Option<DateTime<Utc>> {
        parse_timestamp(&self.expires).ok()
    }

    /// The worker type: the part of `taskQueueId` after the `/`.
    pub fn worker_type(&self) -> &str {
        self.task_queue_id.split_once('/').map_or("", |(_, w)| w)
    }
}

fn complete_metadata(
    given: &Map<String, Value>,
    defaults: &Defaults,
    p: &mut Problems,
) -> Metadata {
    for key in given.keys() {
        if !["name", "description", "owner", "source"].contains(&key.as_str()) {
            p.push(
                &format!("metadata.{key}"),
                "is not a metadata key (name, description, owner, source)",
            );
        }
    }
    let mut field = |key: &str, default: String| match given.get(key) {
        None => default,
        Some(Value::String(s)) => s.clone(),
        Some(other) => {
            p.push(
                &format!("metadata.{key}"),
                format_args!("must be a string, not {}", kind(other)),
            );
            default
        }
    };
    let user = std::env::var("USER").unwrap_or_else(|_| "user".into());
    Metadata {
        name: field(
            "name",
            defaults.name.clone().unwrap_or_else(|| "local task".into()),
        ),
        description: field("description", String::new()),
        owner: field("owner", format!("{user}@localhost")),
        source: field(
            "source",
            format!(
                "https://localhost/{}/{}",
                defaults.source_tool, defaults.source_name
            ),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn defaults() -> Defaults {
        Defaults {
            now: parse_timestamp("2026-02-28T12:00:00Z").unwrap(),
            name: Some("hello".into()),
            source_name: "hello.yml".into(),
            source_tool: "tc-run-local",
        }
    }

    fn def(doc: &Value) -> Result<TaskDef, Vec<String>> {
        TaskDef::from_document(doc.as_object().unwrap(), &defaults())
    }

    #[test]
    fn a_partial_definition_gets_the_defaults() {
        let d = def(&json!({"payload": {"command": [["true"]], "maxRunTime": 5}})).unwrap();
        assert_eq!(d.task_queue_id, "local/default");
        assert_eq!(
            (d.scheduler_id.as_str(), d.project_id.as_str()),
            ("-", "none")
        );
        assert_eq!(d.created, "2026-02-28T12:00:00.000Z");
        assert_eq!(d.deadline, "2026-03-01T12:00:00.000Z");
        assert_eq!(d.expires, "2027-03-01T12:00:00.000Z");
        assert_eq!(
            (d.requires.as_str(), d.priority.as_str(), d.retries),
            ("all-completed", "lowest", 5)
        );
        assert_eq!(d.metadata.name, "hello");
        assert_eq!(
            d.metadata.source,
            "https://localhost/tc-run-local/hello.yml"
        );
        assert!(d.metadata.owner.ends_with("@localhost"));
    }

    #[test]
    fn every_problem_is_listed() {
        let errs = def(
            &json!({"taskQueueId": "a/b", "provisionerId": "x", "workerType": "y", "color": 1,
                               "retries": 99, "priority": "urgent", "metadata": {"name": 3}}),
        )
        .unwrap_err();
        let all = errs.join("\n");
        for needle in [
            "color",
            "payload: missing",
            "disagrees",
            "retries",
            "urgent",
            "metadata.name",
        ] {
            assert!(all.contains(needle), "{needle} in {all}");
        }
    }

    #[test]
    fn legacy_queue_fields_make_a_task_queue_id() {
        let d = def(&json!({"provisionerId": "p", "workerType": "w", "payload": {}})).unwrap();
        assert_eq!(d.task_queue_id, "p/w");
        assert_eq!(d.worker_type(), "w");
    }

    #[test]
    fn leap_day_deadline_expires_on_march_first() {
        let d = def(&json!({"payload": {}, "deadline": "2028-02-29T00:00:00Z"})).unwrap();
        assert_eq!(d.expires, "2029-03-01T00:00:00.000Z");
    }
}

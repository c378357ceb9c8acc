//! Artifacts (queue-api.md §4.5): creation and re-creation rules, the link chain, listing, and
//! the signed blob URLs of tc's stand-in for S3.

use chrono::{DateTime, TimeDelta, Utc};
use rusqlite::{Connection, OptionalExtension, params};
use serde_json::{Map, Value, json};

use super::db::{Word, exec, page_rows, row, sql};
use super::error::ApiError;
use super::validate::parse_time;
use tc_api::states::RunState;
use tc_taskdef::reltime::format_timestamp;

pub const ERROR_REASONS: [&str; 4] = [
    "file-missing-on-worker",
    "invalid-resource-on-worker",
    "too-large-file-on-worker",
    "file-not-readable-on-worker",
];

/// A stored artifact.
#[derive(Debug, Clone, PartialEq)]
pub struct Artifact {
    pub name: String,
    pub storage_type: String,
    pub content_type: String,
    pub expires: String,
    /// `url` (reference), `artifact` (link), `reason`/`message` (error), `contentLength` (s3).
    pub details: Map<String, Value>,
    pub uploaded_size: Option<i64>,
    pub content_encoding: Option<String>,
}

/// A checked createArtifact body.
pub struct Request {
    pub storage_type: String,
    pub content_type: String,
    pub expires: DateTime<Utc>,
    pub details: Map<String, Value>,
}

/// The body's schema and its semantic checks that need no database (400s).
pub fn check_request(body: &Value, now: DateTime<Utc>) -> Result<Request, ApiError> {
    let Value::Object(b) = body else {
        return Err(ApiError::validation(&["/: must be an object".into()]));
    };
    let storage_type = b
        .get("storageType")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let mut problems = Vec::new();
    let allowed: &[&str] = match storage_type.as_str() {
        "s3" => &["storageType", "expires", "contentType", "contentLength"],
        "reference" => &["storageType", "expires", "url", "contentType"],
        "link" => &["storageType", "expires", "artifact", "contentType"],
        "error" => &["storageType", "expires", "reason", "message"],
        "object" => {
            return Err(ApiError::input(
                "storageType `object` is not supported by tc queue serve; use `s3`",
            ));
        }
        other => {
            return Err(ApiError::validation(&[format!(
                "/storageType: `{other}` is not one of s3, reference, link, error"
            )]));
        }
    };
    for k in b.keys() {
        if !allowed.contains(&k.as_str()) {
            problems.push(format!(
                "/{k}: is not allowed for storageType {storage_type}"
            ));
        }
    }
    let s = |k: &str| b.get(k).and_then(Value::as_str);
    let expires = if let Some(e) = s("expires").and_then(parse_time) {
        e
    } else {
        problems.push("/expires: must be a date-time".into());
        now
    };
    let content_type = match s("contentType") {
        Some(c) if c.len() <= 255 => c.to_owned(),
        Some(_) => {
            problems.push("/contentType: must be at most 255 characters".into());
            String::new()
        }
        None if storage_type == "s3" => {
            problems.push("/: must have required property 'contentType'".into());
            String::new()
        }
        None => "application/binary".into(),
    };
    let details = details(&storage_type, b, &mut problems);
    if !problems.is_empty() {
        return Err(ApiError::validation(&problems));
    }
    if expires < now - TimeDelta::minutes(15) {
        return Err(ApiError::input(format!(
            "expires {} is in the past",
            format_timestamp(expires)
        )));
    }
    Ok(Request {
        storage_type,
        content_type,
        expires,
        details,
    })
}

/// The details a `storage_type` artifact keeps from the body `b`; what is wrong with them goes
/// to `problems`.
fn details(
    storage_type: &str,
    b: &Map<String, Value>,
    problems: &mut Vec<String>,
) -> Map<String, Value> {
    let s = |k: &str| b.get(k).and_then(Value::as_str);
    let mut details = Map::new();
    match storage_type {
        "s3" => {
            if let Some(len) = b.get("contentLength") {
                match len.as_i64().filter(|n| *n >= 0) {
                    Some(n) => {
                        details.insert("contentLength".into(), json!(n));
                    }
                    None => problems.push("/contentLength: must be a non-negative integer".into()),
                }
            }
        }
        "reference" => match s("url") {
            Some(u) if u.contains("://") => {
                details.insert("url".into(), json!(u));
            }
            _ => problems.push("/url: must be a URI".into()),
        },
        "link" => match s("artifact") {
            Some(a) if !a.is_empty() && a.bytes().all(|c| (0x20..=0x7e).contains(&c)) => {
                details.insert("artifact".into(), json!(a));
            }
            _ => problems.push("/artifact: must be an artifact name".into()),
        },
        _ => {
            match s("reason") {
                Some(r) if ERROR_REASONS.contains(&r) => {
                    details.insert("reason".into(), json!(r));
                }
                _ => problems.push(format!(
                    "/reason: must be one of {}",
                    ERROR_REASONS.join(", ")
                )),
            }
            match s("message") {
                Some(m) if m.len() <= 4096 => {
                    details.insert("message".into(), json!(m));
                }
                _ => problems.push("/message: must be a string of at most 4096 characters".into()),
            }
        }
    }
    details
}

pub fn get(
    tx: &Connection,
    task_id: &str,
    run_id: i64,
    name: &str,
) -> Result<Option<Artifact>, ApiError> {
    sql(tx
        .query_row(
            "SELECT storage_type, content_type, expires, details, uploaded_size, content_encoding
             FROM artifacts WHERE task_id = ?1 AND run_id = ?2 AND name = ?3",
            params![task_id, run_id, name],
            |r| {
                let details: String = r.get(3)?;
                Ok(Artifact {
                    name: name.to_owned(),
                    storage_type: r.get(0)?,
                    content_type: r.get(1)?,
                    expires: r.get(2)?,
                    details: serde_json::from_str(&details).unwrap_or_default(),
                    uploaded_size: r.get(4)?,
                    content_encoding: r.get(5)?,
                })
            },
        )
        .optional())
}

/// createArtifact in the database: the run's state, the expiry bound and the re-create rules.
pub fn create(
    tx: &Connection,
    task_id: &str,
    run_id: i64,
    name: &str,
    req: &Request,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    let task: Option<String> = sql(tx
        .query_row(
            "SELECT expires FROM tasks WHERE task_id = ?1",
            [task_id],
            |r| r.get(0),
        )
        .optional())?;
    let Some(task_expires) = task else {
        return Err(ApiError::input(format!("task `{task_id}` does not exist")));
    };
    let run: Option<(RunState, Option<String>, Option<String>)> = sql(tx
        .query_row(
            "SELECT state, started, resolved FROM runs WHERE task_id = ?1 AND run_id = ?2",
            params![task_id, run_id],
            |r| Ok((r.get::<_, Word<RunState>>(0)?.0, r.get(1)?, r.get(2)?)),
        )
        .optional())?;
    let Some((state, started, resolved)) = run else {
        return Err(ApiError::input(format!(
            "task `{task_id}` has no run {run_id}"
        )));
    };
    if started.is_none() {
        return Err(ApiError::input(format!(
            "run {run_id} of `{task_id}` was never claimed"
        )));
    }
    let recent_exception = state == RunState::Exception
        && resolved
            .as_deref()
            .and_then(parse_time)
            .is_some_and(|r| now - r < TimeDelta::minutes(25));
    if state != RunState::Running && !recent_exception {
        return Err(ApiError::conflict(format!(
            "run {run_id} of `{task_id}` is {state}: artifacts can be created only while it runs"
        )));
    }
    let expires = format_timestamp(req.expires);
    if expires > task_expires {
        return Err(ApiError::input(format!(
            "the artifact expires {expires}, after its task ({task_expires})"
        )));
    }
    if let Some(old) = get(tx, task_id, run_id, name)? {
        let same_details = old.storage_type == req.storage_type && old.details == req.details;
        let allowed_change = old.storage_type == "reference"
            && (req.storage_type == "reference" || req.storage_type == "link");
        let content_ok = req.storage_type == "link" || old.content_type == req.content_type;
        if !(content_ok && expires >= old.expires && (same_details || allowed_change)) {
            return Err(ApiError::conflict(format!(
                "artifact `{name}` of run {run_id} exists with a different type, content type or details, or a later expiry"
            )));
        }
    }
    let details = Value::Object(req.details.clone()).to_string();
    sql(exec(tx,
        "INSERT INTO artifacts (task_id, run_id, name, storage_type, content_type, expires, details)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT (task_id, run_id, name) DO UPDATE SET storage_type = ?4, content_type = ?5, expires = ?6, details = ?7",
        params![task_id, run_id, name, req.storage_type, req.content_type, expires, details],
    ))?;
    Ok(())
}

/// A page of a run's artifacts after `after` (keyset on name): (entries, the last name when
/// more may exist).
pub fn list(
    tx: &Connection,
    task_id: &str,
    run_id: i64,
    after: &str,
    limit: usize,
) -> Result<(Vec<Value>, Option<String>), ApiError> {
    let rows: Vec<(String, String, String, String, String)> = {
        let mut stmt = sql(tx.prepare_cached(
            "SELECT name, storage_type, expires, content_type, details FROM artifacts
             WHERE task_id = ?1 AND run_id = ?2 AND name > ?3 ORDER BY name LIMIT ?4",
        ))?;
        sql(stmt
            .query_map(params![task_id, run_id, after, page_rows(limit)], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
            })
            .and_then(|rows| rows.collect()))?
    };
    let more = rows.len() > limit;
    let out = rows
        .iter()
        .take(limit)
        .map(|(name, storage, expires, content_type, details)| {
            let mut a = json!({"storageType": storage, "name": name, "expires": expires, "contentType": content_type});
            let details: Map<String, Value> = serde_json::from_str(details).unwrap_or_default();
            if let Some(len) = details.get("contentLength") {
                a["contentLength"] = len.clone();
            }
            a
        })
        .collect();
    let last = more.then(|| rows[limit - 1].0.clone());
    Ok((out, last))
}

/// The latest run of a task, or 404.
pub fn latest_run(tx: &Connection, task_id: &str) -> Result<i64, ApiError> {
    let exists: bool = sql(row(
        tx,
        "SELECT EXISTS (SELECT 1 FROM tasks WHERE task_id = ?1)",
        [task_id],
        |r| r.get(0),
    ))?;
    if !exists {
        return Err(ApiError::not_found(format!("task `{task_id}` not found")));
    }
    sql(row(
        tx,
        "SELECT MAX(run_id) FROM runs WHERE task_id = ?1",
        [task_id],
        |r| r.get::<_, Option<i64>>(0),
    ))?
    .ok_or_else(|| ApiError::not_found(format!("task `{task_id}` has no runs")))
}

/// Records a finished upload.
pub fn uploaded(
    tx: &Connection,
    task_id: &str,
    run_id: i64,
    name: &str,
    size: i64,
    encoding: Option<&str>,
) -> Result<(), ApiError> {
    sql(exec(
        tx,
        "UPDATE artifacts SET uploaded_size = ?4, content_encoding = ?5 WHERE task_id = ?1 AND run_id = ?2 AND name = ?3",
        params![task_id, run_id, name, size, encoding],
    ))?;
    Ok(())
}

/// The signature of a blob URL (§4.5).
pub fn blob_signature(
    secret: &[u8],
    op: &str,
    task_id: &str,
    run_id: i64,
    name: &str,
    exp: i64,
) -> String {
    use base64::Engine;
    let data = format!("tc-blob-v1\n{op}\n{task_id}\n{run_id}\n{name}\n{exp}");
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(super::hawk::hmac_sha256(secret, data.as_bytes()))
}

/// Percent-encodes an artifact name for a URL path segment (`/` included).
pub fn encode_name(name: &str) -> String {
    tc_api::encode(name)
}

/// A signed blob URL valid for `valid`.
pub fn blob_url(
    base: &str,
    secret: &[u8],
    op: &str,
    task_id: &str,
    run_id: i64,
    name: &str,
    valid: TimeDelta,
) -> String {
    let exp = (Utc::now() + valid).timestamp();
    let sig = blob_signature(secret, op, task_id, run_id, name, exp);
    format!(
        "{base}/_tc/blobs/{task_id}/{run_id}/{}?op={op}&exp={exp}&sig={sig}",
        encode_name(name)
    )
}

/// Where a blob lives: a hash of its name, so no name can leave the blob directory.
pub fn blob_path(
    blobs: &std::path::Path,
    task_id: &str,
    run_id: i64,
    name: &str,
) -> std::path::PathBuf {
    use sha2::Digest;
    let digest = hex::encode(sha2::Sha256::digest(name.as_bytes()));
    blobs.join(task_id).join(run_id.to_string()).join(digest)
}

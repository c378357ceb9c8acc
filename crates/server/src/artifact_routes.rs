//! The artifact endpoints (queue-api.md §2, §4.5): create, get (following links with a scope
//! check per hop), get latest, list.

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{TimeDelta, Utc};
use serde_json::{Value, json};

use super::artifacts::{self, Artifact};
use super::error::ApiError;
use super::routes::{Call, body_json, page, run_id, scope, task_id_ok};
use tc_api::scopes::Expression;
use tc_taskdef::reltime::format_timestamp;

/// `--public-url`, else `http://` + the Host of this request.
fn base_url(call: &Call<'_>, headers: &HeaderMap) -> String {
    if let Some(u) = &call.state.public_url {
        u.clone()
    } else {
        let host = headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .unwrap_or("127.0.0.1");
        format!("http://{host}")
    }
}

pub(super) async fn create(
    call: &mut Call<'_>,
    t: &str,
    r: &str,
    name: &str,
    headers: &HeaderMap,
) -> Result<Value, ApiError> {
    let body = body_json(call.body)?;
    call.payload = body.clone();
    call.authorize(&scope(format!("queue:create-artifact:{t}/{r}")))?;
    task_id_ok(t)?;
    let run = run_id(r)?;
    if name.is_empty() || !name.bytes().all(|b| (0x20..=0x7e).contains(&b)) {
        return Err(ApiError::invalid_arguments(format!(
            "`{name}` is not an artifact name (printable ASCII)"
        )));
    }
    let now = Utc::now();
    let req = artifacts::check_request(&body, now)?;
    let (id, n) = (t.to_owned(), name.to_owned());
    let storage = req.storage_type.clone();
    let content_type = req.content_type.clone();
    call.state
        .db
        .write(move |tx| artifacts::create(tx, &id, run, &n, &req, now))
        .await?;
    Ok(match storage.as_str() {
        "s3" => {
            let put_url = artifacts::blob_url(
                &base_url(call, headers),
                &call.state.blob_secret,
                "put",
                t,
                run,
                name,
                TimeDelta::minutes(45),
            );
            json!({
                "storageType": "s3",
                "putUrl": put_url,
                "expires": format_timestamp(now + TimeDelta::minutes(45)),
                "contentType": content_type,
            })
        }
        other => json!({"storageType": other}),
    })
}

/// getArtifact (with a run) and getLatestArtifact (without): the link chain, then the reply.
pub(super) async fn get(call: &Call<'_>, t: &str, r: Option<&str>, name: &str) -> Response {
    match get_inner(call, t, r, name).await {
        Ok(response) => response,
        Err(e) => e.reply(call.method, &call.params, &call.payload),
    }
}

async fn get_inner(
    call: &Call<'_>,
    t: &str,
    r: Option<&str>,
    name: &str,
) -> Result<Response, ApiError> {
    let caller = call.caller()?;
    let check =
        |n: &str| super::auth::authorize(&caller, &scope(format!("queue:get-artifact:{n}")));
    check(name)?;
    task_id_ok(t)?;
    let run = match r {
        Some(r) => Some(run_id(r)?),
        None => None,
    };
    let id = t.to_owned();
    let run = match run {
        Some(r) => r,
        None => {
            call.state
                .db
                .write(move |tx| artifacts::latest_run(tx, &id))
                .await?
        }
    };
    let mut current = name.to_owned();
    let mut seen = vec![current.clone()];
    let artifact: Artifact = loop {
        let (id, n) = (t.to_owned(), current.clone());
        let found = call
            .state
            .db
            .write(move |tx| artifacts::get(tx, &id, run, &n))
            .await?
            .ok_or_else(|| {
                ApiError::not_found(format!(
                    "artifact `{current}` of run {run} of `{t}` not found"
                ))
            })?;
        if found.storage_type != "link" {
            break found;
        }
        let next = found
            .details
            .get("artifact")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        if seen.contains(&next) {
            return Err(ApiError::input(format!(
                "the link chain of `{name}` has a cycle: {} -> {next}",
                seen.join(" -> ")
            )));
        }
        check(&next)?;
        seen.push(next.clone());
        current = next;
    };
    if artifact.expires < format_timestamp(Utc::now()) {
        return Err(ApiError::expired(format!(
            "artifact `{}` expired at {}",
            artifact.name, artifact.expires
        )));
    }
    Ok(answer(call, t, run, &artifact))
}

/// getArtifact's answer for `artifact`: 424 with an error artifact's reason, else a 303 to
/// its URL (a signed blob URL for `s3`).
fn answer(call: &Call<'_>, t: &str, run: i64, artifact: &Artifact) -> Response {
    let storage =
        HeaderValue::from_str(&artifact.storage_type).unwrap_or(HeaderValue::from_static("s3"));
    let mut response = match artifact.storage_type.as_str() {
        "error" => {
            let body = json!({
                "reason": artifact.details.get("reason").cloned().unwrap_or_default(),
                "message": artifact.details.get("message").cloned().unwrap_or_default(),
            });
            (StatusCode::FAILED_DEPENDENCY, axum::Json(body)).into_response()
        }
        kind => {
            let url = if kind == "reference" {
                artifact
                    .details
                    .get("url")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned()
            } else {
                artifacts::blob_url(
                    &base_url(call, call.headers),
                    &call.state.blob_secret,
                    "get",
                    t,
                    run,
                    &artifact.name,
                    TimeDelta::minutes(30),
                )
            };
            let mut resp = (
                StatusCode::SEE_OTHER,
                axum::Json(json!({"storageType": kind, "url": url})),
            )
                .into_response();
            if let Ok(loc) = HeaderValue::from_str(&url) {
                resp.headers_mut().insert(header::LOCATION, loc);
            }
            resp
        }
    };
    response
        .headers_mut()
        .insert("x-taskcluster-artifact-storage-type", storage);
    response
}

pub(super) async fn list(
    call: &Call<'_>,
    t: &str,
    r: Option<&str>,
    query: &str,
) -> Result<Value, ApiError> {
    let required = match r {
        Some(r) => format!("queue:list-artifacts:{t}:{r}"),
        None => format!("queue:list-artifacts:{t}"),
    };
    call.authorize(&Expression::Scope(required))?;
    task_id_ok(t)?;
    let run = match r {
        Some(r) => Some(run_id(r)?),
        None => None,
    };
    let (limit, after) = page(query)?;
    let id = t.to_owned();
    let (items, last) = call
        .state
        .db
        .write(move |tx| {
            let run = match run {
                Some(run) => {
                    let has: bool = super::db::sql(tx.query_row(
                        "SELECT EXISTS (SELECT 1 FROM runs WHERE task_id = ?1 AND run_id = ?2)",
                        rusqlite::params![id, run],
                        |row| row.get(0),
                    ))?;
                    if !has {
                        return Err(ApiError::not_found(format!("task `{id}` has no run {run}")));
                    }
                    run
                }
                None => artifacts::latest_run(tx, &id)?,
            };
            artifacts::list(tx, &id, run, &after, limit)
        })
        .await?;
    let mut out = json!({"artifacts": items});
    super::routes::continue_after(&mut out, last);
    Ok(out)
}

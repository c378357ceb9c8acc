//! The queue's endpoints (queue-api.md §2), routed on the raw request target so that Hawk sees
//! it as sent and `taskQueueId` may come with `/` or `%2F`. Each handler keeps §1.3's check
//! order: route, body, pre-auth scopes, path parameters, body schema, then the handler.

use std::sync::Arc;

use axum::body::{Body, to_bytes};
use axum::http::{HeaderMap, Method, Request, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use serde_json::{Value, json};

use super::State;
use super::artifact_routes as A;
use super::auth::{self, Caller};
use super::error::ApiError;
use super::store::{self, Resolution};
use super::validate::{self, PRIORITIES, slugid_ok, task_queue_ok};
use tc_api::scopes::Expression;
use tc_api::states::ReasonResolved;

const MAX_BODY: usize = 10 * 1024 * 1024;

pub(super) fn scope(s: String) -> Expression {
    Expression::Scope(s)
}

/// The parts of a request every handler needs.
pub(super) struct Call<'a> {
    pub state: &'a State,
    pub method: &'static str,
    pub params: Value,
    pub payload: Value,
    pub headers: &'a HeaderMap,
    pub http_method: &'a Method,
    pub target: &'a str,
    pub body: &'a [u8],
}

impl Call<'_> {
    pub(crate) fn caller(&self) -> Result<Caller, ApiError> {
        let h = |k: &str| self.headers.get(k).and_then(|v| v.to_str().ok());
        // A header that is there but not text is a bad credential, never an anonymous call.
        let authorization = match self.headers.get("authorization") {
            Some(v) => Some(v.to_str().map_err(|_| {
                ApiError::auth(
                    "the Authorization header is not ASCII text; send a Hawk header, or none for an anonymous request",
                )
            })?),
            None => None,
        };
        let req = auth::Request {
            method: self.http_method.as_str(),
            target: self.target,
            host: h("host").unwrap_or("localhost"),
            forwarded_port: h("x-forwarded-port"),
            forwarded_proto: h("x-forwarded-proto"),
            content_type: h("content-type"),
            body: self.body,
            authorization,
        };
        auth::authenticate(&self.state.clients, &req, Utc::now())
    }

    pub(crate) fn authorize(&self, required: &Expression) -> Result<Caller, ApiError> {
        let caller = self.caller()?;
        auth::authorize(&caller, required)?;
        Ok(caller)
    }

    pub(crate) fn reply(&self, result: Result<Value, ApiError>) -> Response {
        match result {
            Ok(v) => (StatusCode::OK, axum::Json(v)).into_response(),
            Err(e) => e.reply(self.method, &self.params, &self.payload),
        }
    }
}

/// A path segment `handle` has already checked with [`percent_decode`].
fn decode(segment: &str) -> String {
    percent_decode(segment).unwrap_or_else(|_| segment.to_owned())
}

/// Text whose percent-escapes do not decode: a `%` without two hex digits after it, or bytes
/// that are not UTF-8 once decoded.
#[derive(Debug, PartialEq, Eq)]
pub struct BadEscape;

/// Percent-decoding over bytes (`+` stays `+`), strict as upstream's `decodeURIComponent`.
pub fn percent_decode(s: &str) -> Result<String, BadEscape> {
    let bytes = s.as_bytes();
    let hex = |i: usize| {
        bytes
            .get(i)
            .and_then(|b| char::from(*b).to_digit(16))
            .and_then(|d| u8::try_from(d).ok())
    };
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let (Some(hi), Some(lo)) = (hex(i + 1), hex(i + 2)) else {
                return Err(BadEscape);
            };
            out.push(hi * 16 + lo);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| BadEscape)
}

/// The 400 for a path segment or query value that does not percent-decode (upstream's router
/// answers 400 too, as Express does for a parameter `decodeURIComponent` rejects).
pub(super) fn bad_escape(what: &str, raw: &str) -> ApiError {
    ApiError::invalid_arguments(format!(
        "the {what} `{raw}` is not valid percent-encoded UTF-8: every `%` must be followed by two hex digits, and the decoded bytes must be UTF-8"
    ))
}

pub(super) fn task_id_ok(id: &str) -> Result<(), ApiError> {
    if slugid_ok(id) {
        Ok(())
    } else {
        Err(ApiError::invalid_arguments(format!(
            "`{id}` is not a slugid (taskId)"
        )))
    }
}

pub(super) fn run_id(s: &str) -> Result<i64, ApiError> {
    s.parse::<i64>()
        .ok()
        .filter(|r| (0..=1000).contains(r) && s.bytes().all(|b| b.is_ascii_digit()))
        .ok_or_else(|| ApiError::invalid_arguments(format!("`{s}` is not a runId (0..1000)")))
}

pub(super) fn body_json(body: &[u8]) -> Result<Value, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(json!({}));
    }
    serde_json::from_slice(body)
        .map_err(|e| ApiError::malformed(format!("the body is not JSON: {e}")))
}

/// The one entry point: every request under `/api/queue/v1/` and the service endpoints.
pub async fn handle(state: Arc<State>, req: Request<Body>) -> Response {
    let (parts, body) = req.into_parts();
    let target = parts
        .uri
        .path_and_query()
        .map_or_else(|| parts.uri.path().to_owned(), |pq| pq.as_str().to_owned());
    let path = target.split('?').next().unwrap_or("").to_owned();
    let query = target
        .split_once('?')
        .map(|(_, q)| q.to_owned())
        .unwrap_or_default();
    if matches!(
        path.as_str(),
        "/__version__" | "/__heartbeat__" | "/__lbheartbeat__"
    ) {
        return axum::Json(
            json!({"version": env!("CARGO_PKG_VERSION"), "source": "tc queue serve"}),
        )
        .into_response();
    }
    if let Some(rest) = path.strip_prefix("/_tc/blobs/") {
        return super::blobs::handle(&state, &parts, rest, &query, body).await;
    }
    let Some(route) = path.strip_prefix("/api/queue/v1/") else {
        return unknown(ApiError::not_found(format!("no such route: {path}")));
    };
    let seg: Vec<&str> = route.split('/').collect();
    // Every segment is checked here, so the routes below decode only valid ones.
    if let Some(bad) = seg.iter().find(|s| percent_decode(s).is_err()) {
        return unknown(bad_escape("path segment", bad));
    }
    let body = match read_body(&parts.headers, body).await {
        Ok(b) => b,
        Err(e) => return unknown(e),
    };
    let mut call = Call {
        state: &state,
        method: "unknown",
        params: json!({}),
        payload: json!({}),
        headers: &parts.headers,
        http_method: &parts.method,
        target: &target,
        body: &body,
    };
    dispatch(&mut call, &seg, &query).await
}

/// An error answer for a request no endpoint took.
fn unknown(e: ApiError) -> Response {
    e.reply("unknown", &json!({}), &json!({}))
}

/// The body, up to 10 MiB; a declared length over the limit is refused before any of it is
/// read.
async fn read_body(headers: &HeaderMap, body: Body) -> Result<axum::body::Bytes, ApiError> {
    let too_large = || ApiError::too_large("the request body is over 10 MiB");
    let declared = headers
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_BODY as u64) {
        return Err(too_large());
    }
    to_bytes(body, MAX_BODY).await.map_err(|_| too_large())
}

/// The endpoint for the path segments `seg` (under `/api/queue/v1/`) and the method.
// One arm per endpoint: a flat route table reads best whole.
#[allow(clippy::too_many_lines)]
async fn dispatch(call: &mut Call<'_>, seg: &[&str], query: &str) -> Response {
    let m = call.http_method.clone();
    let headers = call.headers;
    let get = m == Method::GET || m == Method::HEAD;
    let post = m == Method::POST;
    match (seg, get, post, m == Method::PUT) {
        (["ping"], true, _, _) => {
            call.method = "ping";
            let uptime = call.state.started.elapsed().as_secs_f64();
            call.reply(Ok(json!({"alive": true, "uptime": uptime})))
        }
        (["task", t], true, _, _) => {
            call.method = "task";
            call.params = json!({"taskId": decode(t)});
            let r = get_task(call, &decode(t)).await;
            call.reply(r)
        }
        (["task", t], _, _, true) => {
            call.method = "createTask";
            call.params = json!({"taskId": decode(t)});
            let r = create_task(call, &decode(t)).await;
            call.reply(r)
        }
        (["task", t, "status"], true, _, _) => {
            call.method = "status";
            call.params = json!({"taskId": decode(t)});
            let r = task_status(call, &decode(t)).await;
            call.reply(r)
        }
        (["task", t, action @ ("schedule" | "rerun" | "cancel")], _, true, _) => {
            call.method = match *action {
                "schedule" => "scheduleTask",
                "rerun" => "rerunTask",
                _ => "cancelTask",
            };
            call.params = json!({"taskId": decode(t)});
            let r = task_action(call, &decode(t), action).await;
            call.reply(r)
        }
        (
            [
                "task",
                t,
                "runs",
                r,
                action @ ("reclaim" | "completed" | "failed" | "exception"),
            ],
            _,
            true,
            _,
        ) => {
            call.method = match *action {
                "reclaim" => "reclaimTask",
                "completed" => "reportCompleted",
                "failed" => "reportFailed",
                _ => "reportException",
            };
            call.params = json!({"taskId": decode(t), "runId": decode(r)});
            let res = run_action(call, &decode(t), &decode(r), action).await;
            call.reply(res)
        }
        (["task", t, "runs", r, "artifacts", rest @ ..], _, true, _) if !rest.is_empty() => {
            call.method = "createArtifact";
            let name = decode(&rest.join("/"));
            call.params = json!({"taskId": decode(t), "runId": decode(r), "name": name});
            let res = A::create(call, &decode(t), &decode(r), &name, headers).await;
            call.reply(res)
        }
        (["task", t, "runs", r, "artifacts", rest @ ..], true, _, _) if !rest.is_empty() => {
            call.method = "getArtifact";
            let name = decode(&rest.join("/"));
            call.params = json!({"taskId": decode(t), "runId": decode(r), "name": name});
            A::get(call, &decode(t), Some(&decode(r)), &name).await
        }
        (["task", t, "artifacts", rest @ ..], true, _, _) if !rest.is_empty() => {
            call.method = "getLatestArtifact";
            let name = decode(&rest.join("/"));
            call.params = json!({"taskId": decode(t), "name": name});
            A::get(call, &decode(t), None, &name).await
        }
        (["task", t, "runs", r, "artifacts"], true, _, _) => {
            call.method = "listArtifacts";
            call.params = json!({"taskId": decode(t), "runId": decode(r)});
            let res = A::list(call, &decode(t), Some(&decode(r)), query).await;
            call.reply(res)
        }
        (["task", t, "artifacts"], true, _, _) => {
            call.method = "listLatestArtifacts";
            call.params = json!({"taskId": decode(t)});
            let res = A::list(call, &decode(t), None, query).await;
            call.reply(res)
        }
        (["task", t, "dependents"], true, _, _) => {
            call.method = "listDependentTasks";
            call.params = json!({"taskId": decode(t)});
            let res = dependents(call, &decode(t), query).await;
            call.reply(res)
        }
        (["task-group", g, "cancel"], _, true, _) => {
            call.method = "cancelTaskGroup";
            call.params = json!({"taskGroupId": decode(g)});
            let r = cancel_group(call, &decode(g)).await;
            call.reply(r)
        }
        (["claim-work", rest @ ..], _, true, _) if !rest.is_empty() => {
            call.method = "claimWork";
            let queue = decode(&rest.join("/"));
            call.params = json!({"taskQueueId": queue});
            let r = claim_work(call, &queue).await;
            call.reply(r)
        }
        (["task-group", g], true, _, _) => {
            call.method = "getTaskGroup";
            call.params = json!({"taskGroupId": decode(g)});
            let r = get_group(call, &decode(g)).await;
            call.reply(r)
        }
        (["task-group", g, "list"], true, _, _) => {
            call.method = "listTaskGroup";
            call.params = json!({"taskGroupId": decode(g)});
            let r = list_group(call, &decode(g), query).await;
            call.reply(r)
        }
        (["task-group", g, "seal"], _, true, _) => {
            call.method = "sealTaskGroup";
            call.params = json!({"taskGroupId": decode(g)});
            let r = seal_group(call, &decode(g)).await;
            call.reply(r)
        }
        _ => unknown(ApiError::not_found(format!(
            "{m} /api/queue/v1/{} is not implemented by tc queue serve",
            seg.join("/")
        ))),
    }
}

async fn get_task(call: &Call<'_>, t: &str) -> Result<Value, ApiError> {
    call.authorize(&scope(format!("queue:get-task:{t}")))?;
    task_id_ok(t)?;
    let id = t.to_owned();
    call.state
        .db
        .write(move |tx| store::definition(tx, &id))
        .await?
        .map(Value::Object)
        .ok_or_else(|| ApiError::not_found(format!("task `{t}` not found")))
}

async fn task_status(call: &Call<'_>, t: &str) -> Result<Value, ApiError> {
    call.authorize(&scope(format!("queue:status:{t}")))?;
    task_id_ok(t)?;
    let id = t.to_owned();
    let status = call
        .state
        .db
        .write(move |tx| store::status_of(tx, &id))
        .await?;
    Ok(json!({"status": status}))
}

/// createTask (§3.2).
async fn create_task(call: &mut Call<'_>, t: &str) -> Result<Value, ApiError> {
    let body = body_json(call.body)?;
    call.payload = body.clone();
    task_id_ok(t)?;
    let checked = validate::task_definition(t, &body)?;
    let def = &checked.def;
    let strs = |k: &str| -> Vec<String> {
        def.get(k)
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default()
    };
    let s = |k: &str| {
        def.get(k)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    let mut all: Vec<Expression> = strs("scopes").into_iter().map(Expression::Scope).collect();
    all.extend(
        strs("routes")
            .into_iter()
            .map(|r| scope(format!("queue:route:{r}"))),
    );
    all.push(scope(format!(
        "queue:create-task:project:{}",
        s("projectId")
    )));
    all.push(scope(format!("queue:scheduler-id:{}", s("schedulerId"))));
    let priority = s("priority");
    let upto = PRIORITIES.iter().position(|p| *p == priority).unwrap_or(6);
    all.push(Expression::AnyOf(
        PRIORITIES[..=upto]
            .iter()
            .map(|p| scope(format!("queue:create-task:{p}:{}", checked.task_queue_id)))
            .collect(),
    ));
    call.authorize(&Expression::AllOf(all))?;
    let now = Utc::now();
    let limits = &call.state.config;
    let drift = chrono::TimeDelta::minutes(15);
    if checked.created < now - drift || checked.created > now + drift {
        return Err(ApiError::input(format!(
            "created {} is more than 15 minutes away from the queue's clock {}",
            s("created"),
            tc_taskdef::reltime::format_timestamp(now)
        )));
    }
    if checked.deadline < checked.created {
        return Err(ApiError::input(format!(
            "deadline {} is before created {}",
            s("deadline"),
            s("created")
        )));
    }
    if checked.deadline < now {
        return Err(ApiError::input(format!(
            "deadline {} is in the past",
            s("deadline")
        )));
    }
    let latest = now + chrono::TimeDelta::days(limits.max_deadline_days) + drift;
    if checked.deadline > latest {
        return Err(ApiError::input(format!(
            "deadline {} is more than {} days away (the queue's --max-deadline-days)",
            s("deadline"),
            limits.max_deadline_days
        )));
    }
    if checked.expires < checked.deadline {
        return Err(ApiError::input(format!(
            "expires {} is before deadline {}",
            s("expires"),
            s("deadline")
        )));
    }
    if let Some(bad) = strs("scopes").iter().find(|sc| sc.ends_with("**")) {
        return Err(ApiError::input(format!(
            "scope `{bad}` ends in `**`, which grants nothing more than `*`; remove a `*`"
        )));
    }
    let id = t.to_owned();
    let store_limits = store::CreateLimits {
        max_dependencies: limits.max_dependencies,
    };
    let (status, scheduled) = call
        .state
        .db
        .write(move |tx| store::create_task(tx, &id, &checked, &store_limits, now))
        .await?;
    if scheduled {
        call.state.pending.notify_waiters();
    }
    Ok(json!({"status": status}))
}

/// The stored (schedulerId, taskGroupId, projectId) of a task, or 404.
async fn task_ids(call: &Call<'_>, t: &str) -> Result<(String, String, String), ApiError> {
    let id = t.to_owned();
    let def = call
        .state
        .db
        .write(move |tx| store::definition(tx, &id))
        .await?
        .ok_or_else(|| ApiError::not_found(format!("task `{t}` not found")))?;
    let s = |k: &str| {
        def.get(k)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    Ok((s("schedulerId"), s("taskGroupId"), s("projectId")))
}

async fn task_action(call: &Call<'_>, t: &str, action: &str) -> Result<Value, ApiError> {
    task_id_ok(t)?;
    let (scheduler, group, project) = task_ids(call, t).await?;
    let verb = format!("{action}-task");
    call.authorize(&Expression::AnyOf(vec![
        scope(format!("queue:{verb}:{scheduler}/{group}/{t}")),
        scope(format!("queue:{verb}-in-project:{project}")),
        Expression::AllOf(vec![
            scope(format!("queue:{verb}")),
            scope(format!("assume:scheduler-id:{scheduler}/{group}")),
        ]),
    ]))?;
    let id = t.to_owned();
    let now = Utc::now();
    let action = action.to_owned();
    let (status, woken) = call
        .state
        .db
        .write(move |tx| match action.as_str() {
            "schedule" => store::schedule_task(tx, &id, now).map(|(s, w)| (s, usize::from(w))),
            "rerun" => store::rerun(tx, &id, now).map(|(s, w)| (s, usize::from(w))),
            _ => store::cancel(tx, &id, now),
        })
        .await?;
    if woken > 0 {
        call.state.pending.notify_waiters();
    }
    Ok(json!({"status": status}))
}

async fn run_action(
    call: &mut Call<'_>,
    t: &str,
    r: &str,
    action: &str,
) -> Result<Value, ApiError> {
    let body = body_json(call.body)?;
    call.payload = body.clone();
    let required = if action == "reclaim" {
        format!("queue:reclaim-task:{t}/{r}")
    } else {
        format!("queue:resolve-task:{t}/{r}")
    };
    call.authorize(&scope(required))?;
    task_id_ok(t)?;
    let run = run_id(r)?;
    let now = Utc::now();
    let id = t.to_owned();
    let state = call.state;
    if action == "reclaim" {
        let timeout = state.config.claim_timeout;
        let id2 = id.clone();
        let (taken_until, status, def, worker) = state
            .db
            .write(move |tx| {
                let until = store::reclaim(tx, &id2, run, now, timeout)?;
                let status = store::status_of(tx, &id2)?;
                let def = store::definition(tx, &id2)?.unwrap_or_default();
                let worker = run_worker(&status, run);
                Ok((until, status, def, worker))
            })
            .await?;
        let scopes = string_list(def.get("scopes"));
        let credentials = auth::claim_credentials(
            &state.queue_token,
            &id,
            run,
            (&worker.0, &worker.1),
            now,
            taken_until,
            &scopes,
        );
        return Ok(json!({
            "status": status,
            "runId": run,
            "workerGroup": worker.0,
            "workerId": worker.1,
            "takenUntil": tc_taskdef::reltime::format_timestamp(taken_until),
            "credentials": credentials,
        }));
    }
    let how = match action {
        "completed" if body.get("success") == Some(&Value::Bool(false)) => Resolution::Failed,
        "completed" => Resolution::Completed,
        "failed" => Resolution::Failed,
        _ => Resolution::Exception(reported_reason(&body)?),
    };
    let (status, woken) = state
        .db
        .write(move |tx| store::report(tx, &id, run, how, now))
        .await?;
    if woken > 0 {
        state.pending.notify_waiters();
    }
    Ok(json!({"status": status}))
}

/// reportException's `reason`: one a worker may give.
fn reported_reason(body: &Value) -> Result<ReasonResolved, ApiError> {
    let reason = body.get("reason").and_then(Value::as_str);
    ReasonResolved::REPORTABLE
        .into_iter()
        .find(|r| Some(r.as_str()) == reason)
        .ok_or_else(|| {
            let allowed: Vec<&str> = ReasonResolved::REPORTABLE
                .map(ReasonResolved::as_str)
                .into();
            ApiError::validation(&[format!("/reason: must be one of {}", allowed.join(", "))])
        })
}

fn run_worker(status: &Value, run: i64) -> (String, String) {
    let r = status["runs"]
        .as_array()
        .and_then(|runs| runs.iter().find(|x| x["runId"] == json!(run)))
        .cloned()
        .unwrap_or_default();
    let s = |k: &str| {
        r.get(k)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    (s("workerGroup"), s("workerId"))
}

fn string_list(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

/// claimWork (§4.3): claims now, or waits for a pending run of the queue.
async fn claim_work(call: &mut Call<'_>, queue: &str) -> Result<Value, ApiError> {
    let body = body_json(call.body)?;
    call.payload = body.clone();
    if !task_queue_ok(queue) {
        return Err(ApiError::invalid_arguments(format!(
            "`{queue}` is not a taskQueueId"
        )));
    }
    let (group, worker, n) = claim_request(&body)?;
    call.authorize(&Expression::AllOf(vec![
        scope(format!("queue:claim-work:{queue}")),
        scope(format!("queue:worker-id:{group}/{worker}")),
    ]))?;
    let state = call.state;
    let until = tokio::time::Instant::now()
        + std::time::Duration::from_secs_f64(state.config.claim_work_timeout);
    loop {
        // Registered before the attempt, so a run made pending meanwhile wakes us.
        let woken = state.pending.notified();
        let (q, g, w) = (queue.to_owned(), group.clone(), worker.clone());
        let timeout = state.config.claim_timeout;
        let now = Utc::now();
        let claimed = state
            .db
            .write(move |tx| {
                let claims = store::claim(tx, &q, n, (&g, &w), now, timeout)?;
                let mut out = Vec::new();
                for c in claims {
                    let status = store::status_of(tx, &c.task_id)?;
                    let def = store::definition(tx, &c.task_id)?.unwrap_or_default();
                    out.push((c, status, def));
                }
                Ok(out)
            })
            .await?;
        if !claimed.is_empty() {
            let tasks: Vec<Value> = claimed
                .into_iter()
                .map(|(c, status, def)| {
                    let credentials = auth::claim_credentials(
                        &state.queue_token,
                        &c.task_id,
                        c.run_id,
                        (&group, &worker),
                        now,
                        c.taken_until,
                        &string_list(def.get("scopes")),
                    );
                    json!({
                        "status": status,
                        "runId": c.run_id,
                        "workerGroup": group,
                        "workerId": worker,
                        "takenUntil": tc_taskdef::reltime::format_timestamp(c.taken_until),
                        "task": Value::Object(def),
                        "credentials": credentials,
                    })
                })
                .collect();
            return Ok(json!({"tasks": tasks}));
        }
        let now_i = tokio::time::Instant::now();
        if now_i >= until || state.shutting_down() {
            return Ok(json!({"tasks": []}));
        }
        let wait = (until - now_i).min(std::time::Duration::from_secs(1));
        let _ = tokio::time::timeout(wait, woken).await;
    }
}

/// claimWork's body: (workerGroup, workerId, how many tasks), or the schema's 400.
fn claim_request(body: &Value) -> Result<(String, String, usize), ApiError> {
    let ident = |k: &str| {
        body.get(k)
            .and_then(Value::as_str)
            .filter(|s| {
                (1..=38).contains(&s.len())
                    && s.bytes()
                        .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
            })
            .map(str::to_owned)
    };
    let mut problems = Vec::new();
    let group = ident("workerGroup");
    let worker = ident("workerId");
    if group.is_none() {
        problems.push("/workerGroup: must be 1-38 characters of A-Z a-z 0-9 - _".to_owned());
    }
    if worker.is_none() {
        problems.push("/workerId: must be 1-38 characters of A-Z a-z 0-9 - _".to_owned());
    }
    let n = match body.get("tasks") {
        None => Some(1),
        Some(v) => v
            .as_u64()
            .filter(|n| (1..=32).contains(n))
            .and_then(|n| usize::try_from(n).ok()),
    };
    if n.is_none() {
        problems.push("/tasks: must be an integer from 1 to 32".into());
    }
    if let Value::Object(m) = body {
        for k in m.keys() {
            if !["workerGroup", "workerId", "tasks"].contains(&k.as_str()) {
                problems.push(format!("/{k}: is not allowed"));
            }
        }
    }
    if !problems.is_empty() {
        return Err(ApiError::validation(&problems));
    }
    Ok((
        group.unwrap_or_default(),
        worker.unwrap_or_default(),
        n.unwrap_or(1),
    ))
}

async fn get_group(call: &Call<'_>, g: &str) -> Result<Value, ApiError> {
    call.authorize(&scope(format!("queue:list-task-group:{g}")))?;
    task_id_ok(g)?;
    group_or_404(call, g).await
}

/// Adds the `continuationToken` (base64url of the last sort key) when more rows may exist.
pub(super) fn continue_after(out: &mut Value, last: Option<String>) {
    if let Some(last) = last {
        out["continuationToken"] = json!(base64::Engine::encode(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD,
            last
        ));
    }
}

/// `limit` and `continuationToken` (§1.4): (page size, the key to continue after).
pub(super) fn page(query: &str) -> Result<(usize, String), ApiError> {
    let mut limit = 1000;
    let mut after = String::new();
    for part in query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = part.split_once('=').unwrap_or((part, ""));
        match k {
            "limit" => {
                let n: usize = v
                    .parse()
                    .ok()
                    .filter(|_| v.bytes().all(|b| b.is_ascii_digit()))
                    .ok_or_else(|| {
                        ApiError::invalid_arguments(format!("limit `{v}` is not a number"))
                    })?;
                if n == 0 {
                    return Err(ApiError::invalid_arguments("limit must be at least 1"));
                }
                limit = n.min(1000);
            }
            "continuationToken" => {
                let bytes = percent_decode(v)
                    .ok()
                    .and_then(|token| {
                        base64::Engine::decode(
                            &base64::engine::general_purpose::URL_SAFE_NO_PAD,
                            token,
                        )
                        .ok()
                    })
                    .and_then(|b| String::from_utf8(b).ok())
                    .ok_or_else(|| {
                        ApiError::input("the continuationToken is not one this queue gave")
                    })?;
                after = bytes;
            }
            _ => {}
        }
    }
    Ok((limit, after))
}

async fn list_group(call: &Call<'_>, g: &str, query: &str) -> Result<Value, ApiError> {
    call.authorize(&scope(format!("queue:list-task-group:{g}")))?;
    task_id_ok(g)?;
    let (limit, after) = page(query)?;
    let id = g.to_owned();
    let (group, tasks, last) = call
        .state
        .db
        .write(move |tx| {
            let group = store::group(tx, &id)?
                .ok_or_else(|| ApiError::not_found(format!("task group `{id}` not found")))?;
            let (tasks, last) = store::list_group(tx, &id, &after, limit)?;
            Ok((group, tasks, last))
        })
        .await?;
    let mut out = group;
    out["tasks"] = json!(tasks);
    continue_after(&mut out, last);
    Ok(out)
}

/// The group object, or 404.
async fn group_or_404(call: &Call<'_>, g: &str) -> Result<Value, ApiError> {
    let id = g.to_owned();
    call.state
        .db
        .write(move |tx| store::group(tx, &id))
        .await?
        .ok_or_else(|| ApiError::not_found(format!("task group `{g}` not found")))
}

async fn seal_group(call: &Call<'_>, g: &str) -> Result<Value, ApiError> {
    task_id_ok(g)?;
    let group = group_or_404(call, g).await?;
    let scheduler = group["schedulerId"].as_str().unwrap_or_default();
    call.authorize(&scope(format!("queue:seal-task-group:{scheduler}/{g}")))?;
    let id = g.to_owned();
    let now = Utc::now();
    call.state
        .db
        .write(move |tx| store::seal(tx, &id, now))
        .await
}

async fn dependents(call: &Call<'_>, t: &str, query: &str) -> Result<Value, ApiError> {
    call.authorize(&scope(format!("queue:list-dependent-tasks:{t}")))?;
    task_id_ok(t)?;
    let (limit, after) = page(query)?;
    let id = t.to_owned();
    let (tasks, last) = call
        .state
        .db
        .write(move |tx| {
            if !store::exists(tx, &id)? {
                return Err(ApiError::not_found(format!("task `{id}` not found")));
            }
            store::dependents(tx, &id, &after, limit)
        })
        .await?;
    let mut out = json!({"taskId": t, "tasks": tasks});
    continue_after(&mut out, last);
    Ok(out)
}

async fn cancel_group(call: &Call<'_>, g: &str) -> Result<Value, ApiError> {
    task_id_ok(g)?;
    let group = group_or_404(call, g).await?;
    if group.get("sealed").is_none() {
        return Err(ApiError::conflict(format!(
            "task group `{g}` is not sealed; seal it first (tc group cancel --seal), so no task joins while it is canceled"
        )));
    }
    let scheduler = group["schedulerId"].as_str().unwrap_or_default();
    call.authorize(&scope(format!("queue:cancel-task-group:{scheduler}/{g}")))?;
    let id = g.to_owned();
    let now = Utc::now();
    let (size, canceled) = call
        .state
        .db
        .write(move |tx| store::cancel_group(tx, &id, now))
        .await?;
    call.state.pending.notify_waiters();
    Ok(
        json!({"taskGroupId": g, "taskGroupSize": size, "cancelledCount": canceled.len(), "taskIds": canceled}),
    )
}

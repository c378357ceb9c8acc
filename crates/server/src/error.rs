//! The queue's error replies (queue-api.md §1.3): `{code, message, requestInfo}` with the
//! upstream trailer in `message`, and `details` for 403.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use tc_taskdef::reltime::format_timestamp;

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub details: Option<Value>,
}

impl ApiError {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
            details: None,
        }
    }

    pub fn malformed(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "MalformedPayload", message)
    }
    pub fn invalid_arguments(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "InvalidRequestArguments", message)
    }
    pub fn validation(problems: &[String]) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "InputValidationError",
            format!(
                "The input does not match the schema:\n{}",
                problems.join("\n")
            ),
        )
    }
    pub fn input(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "InputError", message)
    }
    pub fn auth(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "AuthenticationFailed", message)
    }
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "ResourceNotFound", message)
    }
    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, "RequestConflict", message)
    }
    pub fn too_large(message: impl Into<String>) -> Self {
        Self::new(StatusCode::PAYLOAD_TOO_LARGE, "InputTooLarge", message)
    }
    pub fn internal(why: impl std::fmt::Display) -> Self {
        let incident = uuid::Uuid::new_v4();
        eprintln!("tc queue: internal error {incident}: {why}");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "InternalServerError",
            format!("Internal server error, incidentId {incident}"),
        )
    }

    /// 403: the caller's scopes miss `unsatisfied` of `required` (`None` when anonymous).
    pub fn insufficient(
        client_id: Option<&str>,
        required: &Value,
        unsatisfied: Option<&Value>,
    ) -> Self {
        let message = match (client_id, unsatisfied) {
            (Some(id), Some(u)) => format!(
                "Client ID {id} does not have sufficient scopes and is missing the following scopes:\n\n```\n{}\n```\n\nThis request requires the client to satisfy the following scope expression:\n\n```\n{}\n```",
                pretty(u),
                pretty(required)
            ),
            _ => format!(
                "This request requires Taskcluster credentials that satisfy the following scope expression:\n\n```\n{}\n```\n\nThe request carried no credentials (no Authorization header, no bewit): give the client TASKCLUSTER_CLIENT_ID and TASKCLUSTER_ACCESS_TOKEN (`tc queue serve --print-env` prints the local queue's).",
                pretty(required)
            ),
        };
        let mut details = json!({"required": required});
        if let (Some(_), Some(u)) = (client_id, unsatisfied) {
            details["unsatisfied"] = u.clone();
        }
        ApiError {
            status: StatusCode::FORBIDDEN,
            code: "InsufficientScopes",
            message,
            details: Some(details),
        }
    }

    /// The reply, with what the request was for `requestInfo`.
    pub fn reply(self, method: &str, params: Value, payload: Value) -> Response {
        let now = format_timestamp(chrono::Utc::now());
        let message = format!(
            "{}\n\n---\n\n* method: {method}\n* errorCode: {}\n* statusCode: {}\n* time: {now}",
            self.message,
            self.code,
            self.status.as_u16()
        );
        let mut body = json!({
            "code": self.code,
            "message": message,
            "requestInfo": {"method": method, "params": params, "payload": payload, "time": now},
        });
        if let Some(d) = self.details {
            body["details"] = d;
        }
        let mut response = (self.status, axum::Json(body)).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Hawk"));
        }
        response
    }
}

fn pretty(v: &Value) -> String {
    serde_json::to_string_pretty(v).unwrap_or_default()
}

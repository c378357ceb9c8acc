//! The queue's error replies (queue-api.md §1.3): `{code, message, requestInfo}` with the
//! upstream trailer in `message`, and `details` for 403.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use tc_taskdef::reltime::format_timestamp;

/// The error codes the queue answers with (upstream's names).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    MalformedPayload,
    InvalidRequestArguments,
    InputValidationError,
    InputError,
    AuthenticationFailed,
    InsufficientScopes,
    ResourceNotFound,
    ResourceExpired,
    RequestConflict,
    InputTooLarge,
    InternalServerError,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::MalformedPayload => "MalformedPayload",
            ErrorCode::InvalidRequestArguments => "InvalidRequestArguments",
            ErrorCode::InputValidationError => "InputValidationError",
            ErrorCode::InputError => "InputError",
            ErrorCode::AuthenticationFailed => "AuthenticationFailed",
            ErrorCode::InsufficientScopes => "InsufficientScopes",
            ErrorCode::ResourceNotFound => "ResourceNotFound",
            ErrorCode::ResourceExpired => "ResourceExpired",
            ErrorCode::RequestConflict => "RequestConflict",
            ErrorCode::InputTooLarge => "InputTooLarge",
            ErrorCode::InternalServerError => "InternalServerError",
        }
    }

    /// The HTTP status of an answer with this code.
    pub fn status(self) -> StatusCode {
        match self {
            ErrorCode::MalformedPayload
            | ErrorCode::InvalidRequestArguments
            | ErrorCode::InputValidationError
            | ErrorCode::InputError => StatusCode::BAD_REQUEST,
            ErrorCode::AuthenticationFailed => StatusCode::UNAUTHORIZED,
            ErrorCode::InsufficientScopes => StatusCode::FORBIDDEN,
            ErrorCode::ResourceNotFound => StatusCode::NOT_FOUND,
            ErrorCode::ResourceExpired => StatusCode::GONE,
            ErrorCode::RequestConflict => StatusCode::CONFLICT,
            ErrorCode::InputTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ErrorCode::InternalServerError => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An error answer: its code, the message's first paragraph, and `details` (403 only).
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: String,
    pub details: Option<Value>,
}

impl ApiError {
    fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        ApiError {
            code,
            message: message.into(),
            details: None,
        }
    }

    pub fn status(&self) -> StatusCode {
        self.code.status()
    }

    pub fn malformed(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::MalformedPayload, message)
    }
    pub fn invalid_arguments(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidRequestArguments, message)
    }
    pub fn validation(problems: &[String]) -> Self {
        Self::new(
            ErrorCode::InputValidationError,
            format!(
                "The input does not match the schema:\n{}",
                problems.join("\n")
            ),
        )
    }
    pub fn input(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::InputError, message)
    }
    pub fn auth(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::AuthenticationFailed, message)
    }
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::ResourceNotFound, message)
    }
    pub fn expired(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::ResourceExpired, message)
    }
    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::RequestConflict, message)
    }
    pub fn too_large(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::InputTooLarge, message)
    }
    /// A 500 whose cause is logged (with an incident id the answer names), never sent.
    pub fn internal(why: impl std::fmt::Display) -> Self {
        let incident = uuid::Uuid::new_v4();
        eprintln!("tc queue: internal error {incident}: {why}");
        Self::new(
            ErrorCode::InternalServerError,
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
            code: ErrorCode::InsufficientScopes,
            message,
            details: Some(details),
        }
    }

    /// The reply, with what the request was for `requestInfo`.
    pub fn reply(self, method: &str, params: &Value, payload: &Value) -> Response {
        let now = format_timestamp(chrono::Utc::now());
        let status = self.status();
        let message = format!(
            "{}\n\n---\n\n* method: {method}\n* errorCode: {}\n* statusCode: {}\n* time: {now}",
            self.message,
            self.code,
            status.as_u16()
        );
        let mut body = json!({
            "code": self.code.as_str(),
            "message": message,
            "requestInfo": {"method": method, "params": params, "payload": payload, "time": now},
        });
        if let Some(d) = self.details {
            body["details"] = d;
        }
        let mut response = (status, axum::Json(body)).into_response();
        if status == StatusCode::UNAUTHORIZED {
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

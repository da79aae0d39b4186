//! Error values and HTTP responses in the real APIs' shapes (Anthropic's
//! `{"type":"error","error":{...}}`, OpenAI's `{"error":{...}}`) with their request-id headers.

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode};
use axum::response::Response;
use serde_json::{json, Map, Value};

use crate::Provider;

/// An error answer (boxed: it travels through many `Result`s).
pub(crate) type ApiError = Box<ApiErrorData>;

pub(crate) struct ApiErrorData {
    pub(crate) status: u16,
    pub(crate) kind: String,
    pub(crate) message: String,
    pub(crate) headers: Vec<(&'static str, String)>,
    /// Extra keys of the `error` object.
    pub(crate) extra: Map<String, Value>,
    /// A whole body to send instead of the API's error shape (a proxy's own shape).
    pub(crate) raw_body: Option<Value>,
}

pub(crate) fn api_error(status: u16, kind: &str, message: impl Into<String>) -> ApiError {
    Box::new(ApiErrorData {
        status,
        kind: kind.to_string(),
        message: message.into(),
        headers: Vec::new(),
        extra: Map::new(),
        raw_body: None,
    })
}

pub(crate) fn invalid(message: impl Into<String>) -> ApiError {
    api_error(400, "invalid_request_error", message)
}

/// `error.type` usual for a status.
pub(crate) fn kind_for(status: u16) -> &'static str {
    match status {
        400 => "invalid_request_error",
        401 => "authentication_error",
        402 => "billing_error",
        403 => "permission_error",
        404 => "not_found_error",
        405 => "invalid_request_error",
        409 => "conflict_error",
        413 => "request_too_large",
        429 => "rate_limit_error",
        504 => "timeout_error",
        529 => "overloaded_error",
        s if s >= 500 => "api_error",
        _ => "invalid_request_error",
    }
}

pub(crate) fn error_response(provider: Provider, request_id: &str, e: &ApiError) -> Response {
    let body = match provider {
        _ if e.raw_body.is_some() => e.raw_body.clone().unwrap_or_default(),
        Provider::OpenAi => {
            let mut err = Map::new();
            err.insert("message".into(), json!(e.message));
            err.insert("type".into(), json!(e.kind));
            err.insert("param".into(), Value::Null);
            err.insert("code".into(), Value::Null);
            for (k, v) in &e.extra {
                err.insert(k.clone(), v.clone());
            }
            json!({ "error": err })
        }
        _ => {
            let mut err = Map::new();
            err.insert("type".into(), json!(e.kind));
            err.insert("message".into(), json!(e.message));
            for (k, v) in &e.extra {
                err.insert(k.clone(), v.clone());
            }
            json!({"type": "error", "error": err, "request_id": request_id})
        }
    };
    let mut resp = json_response(provider, request_id, e.status, body.to_string().into());
    for (k, v) in &e.headers {
        if let Ok(v) = HeaderValue::from_str(v) {
            resp.headers_mut().insert(*k, v);
        }
    }
    resp
}

pub(crate) fn json_response(
    provider: Provider,
    request_id: &str,
    status: u16,
    body: Body,
) -> Response {
    let mut resp = Response::new(body);
    *resp.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let h = resp.headers_mut();
    h.insert("content-type", HeaderValue::from_static("application/json"));
    let id_header = match provider {
        Provider::OpenAi => "x-request-id",
        _ => "request-id",
    };
    h.insert(
        id_header,
        HeaderValue::from_str(request_id).expect("ascii request id"),
    );
    resp
}

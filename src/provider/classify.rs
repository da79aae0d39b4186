//! Reading an HTTP response that failed: which [`CallError`] it is (retryable, fatal,
//! authentication), the server's retry hint, and the request id, for both wire formats.
//! Pure over status, headers and body, so every rule is unit-tested here without a server.

use std::time::Duration;

use reqwest::header::HeaderMap;
use serde_json::Value;

use super::CallError;

/// Request-id headers tried after the provider's own: the other protocol's, then those
/// LiteLLM's proxy forwards from upstream with its `llm_provider-` prefix.
const REQUEST_ID_FALLBACKS: &[&str] = &[
    "request-id",
    "x-request-id",
    "llm_provider-request-id",
    "llm_provider-x-request-id",
];

/// The response's request id: `primary` (`request-id` for Anthropic, `x-request-id` for
/// OpenAI), else the first of [`REQUEST_ID_FALLBACKS`] present.
pub(crate) fn request_id_of(headers: &HeaderMap, primary: &str) -> Option<String> {
    std::iter::once(primary)
        .chain(REQUEST_ID_FALLBACKS.iter().copied())
        .find_map(|name| header_str(headers, name).filter(|v| !v.is_empty()))
        .map(str::to_string)
}

fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
}

/// The server's retry hint: `retry-after-ms` (float milliseconds) first, then `retry-after`
/// as float seconds or an HTTP date. Non-positive or unparseable values are `None`.
/// A proxy (LiteLLM) forwards the upstream hint as `llm_provider-retry-after(-ms)`: used when
/// the proxy sent none of its own.
pub fn parse_retry_after(headers: &HeaderMap) -> Option<Duration> {
    retry_hint(headers, "retry-after-ms", "retry-after").or_else(|| {
        retry_hint(
            headers,
            "llm_provider-retry-after-ms",
            "llm_provider-retry-after",
        )
    })
}

/// `ms_name` (float milliseconds), else `secs_name` (float seconds or an HTTP date).
fn retry_hint(headers: &HeaderMap, ms_name: &str, secs_name: &str) -> Option<Duration> {
    if let Some(ms) = header_str(headers, ms_name).and_then(|s| s.parse::<f64>().ok()) {
        if ms.is_finite() && ms > 0.0 {
            return Some(secs_saturating(ms / 1000.0));
        }
    }
    let ra = header_str(headers, secs_name)?;
    if let Ok(secs) = ra.parse::<f64>() {
        return (secs.is_finite() && secs > 0.0).then(|| secs_saturating(secs));
    }
    let when = httpdate::parse_http_date(ra).ok()?;
    when.duration_since(std::time::SystemTime::now())
        .ok()
        .filter(|d| !d.is_zero())
}

/// `secs` (finite, positive) as a Duration; a value too big for one (`retry-after:
/// 99999999999999999999`) is `Duration::MAX` instead of a panic. The runner clamps it.
fn secs_saturating(secs: f64) -> Duration {
    Duration::try_from_secs_f64(secs).unwrap_or(Duration::MAX)
}

/// Classifies a non-2xx response (reference §3.3, §3.6).
pub fn classify_error(
    status: u16,
    headers: &HeaderMap,
    body: &[u8],
    header_request_id: Option<String>,
) -> CallError {
    let parsed: Option<Value> = serde_json::from_slice(body).ok();
    let err_obj = parsed.as_ref().and_then(|v| v.get("error"));
    let error_type = err_obj
        .and_then(|e| e.get("type"))
        .and_then(Value::as_str)
        .map(str::to_string);
    let code = err_obj
        .and_then(|e| e.get("code"))
        .and_then(Value::as_str)
        .map(str::to_string);
    let detail_code = err_obj
        .and_then(|e| e.pointer("/details/error_code"))
        .and_then(Value::as_str)
        .map(str::to_string);
    let server_message = err_obj
        .and_then(|e| e.get("message"))
        .and_then(Value::as_str)
        .map(str::to_string)
        .unwrap_or_else(|| {
            let text = String::from_utf8_lossy(body);
            let text = text.trim();
            if text.is_empty() {
                "(empty body)".to_string()
            } else {
                text.chars().take(300).collect()
            }
        });
    let request_id = parsed
        .as_ref()
        .and_then(|v| v.get("request_id"))
        .and_then(Value::as_str)
        .map(str::to_string)
        .or(header_request_id);
    let retry_after = parse_retry_after(headers);
    let should_retry = match header_str(headers, "x-should-retry") {
        Some("true") => Some(true),
        Some("false") => Some(false),
        _ => None,
    };
    // An upstream overload relayed by a proxy (LiteLLM: HTTP 500 whose body mentions the
    // upstream `overloaded_error`) is an overload like a 529: retried, and it lowers the
    // concurrency (issue 9 item 9).
    let overloaded = status == 529
        || error_type.as_deref() == Some("overloaded_error")
        || (status >= 500 && String::from_utf8_lossy(body).contains("overloaded_error"));
    let error_type = if overloaded && status != 529 {
        Some("overloaded_error".to_string())
    } else {
        error_type
    };
    let label = error_type.as_deref().or(code.as_deref()).unwrap_or("error");
    let message = format!("HTTP {status} {label}: {server_message}");

    if status == 401 {
        return CallError::Auth {
            status: Some(status),
            message,
        };
    }
    let spend_limit = status == 429
        && (detail_code.as_deref() == Some("enforced_spend_limit_reached")
            || code.as_deref() == Some("insufficient_quota")
            || error_type.as_deref() == Some("insufficient_quota")
            || (retry_after.is_none() && server_message.to_lowercase().contains("spend limit")));
    if spend_limit {
        return CallError::Fatal {
            status: Some(status),
            error_type: error_type.or(code),
            message: format!("{message} (spend limit: not retried)"),
            request_id,
        };
    }
    let retry = should_retry.unwrap_or(matches!(status, 408 | 409 | 429) || status >= 500);
    if retry {
        CallError::Retryable {
            status: Some(status),
            retry_after,
            rate_limited: status == 429 || overloaded,
            error_type: error_type.or(code),
            message,
            request_id,
        }
    } else {
        CallError::Fatal {
            status: Some(status),
            error_type: error_type.or(code),
            message,
            request_id,
        }
    }
}

impl CallError {
    /// The message, whatever the variant.
    pub fn message(&self) -> &str {
        match self {
            CallError::Retryable { message, .. }
            | CallError::Fatal { message, .. }
            | CallError::Auth { message, .. } => message,
        }
    }

    pub fn status(&self) -> Option<u16> {
        match self {
            CallError::Retryable { status, .. }
            | CallError::Fatal { status, .. }
            | CallError::Auth { status, .. } => *status,
        }
    }

    pub fn is_retryable(&self) -> bool {
        matches!(self, CallError::Retryable { .. })
    }
}

impl std::fmt::Display for CallError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CallError::Retryable {
                message,
                request_id,
                ..
            }
            | CallError::Fatal {
                message,
                request_id,
                ..
            } => {
                f.write_str(message)?;
                if let Some(id) = request_id {
                    write!(f, " [request-id {id}]")?;
                }
                Ok(())
            }
            CallError::Auth { message, .. } => f.write_str(message),
        }
    }
}

impl std::error::Error for CallError {}

#[cfg(test)]
mod tests {
    use reqwest::header::HeaderValue;

    use super::*;

    fn h(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut m = HeaderMap::new();
        for (k, v) in pairs {
            m.insert(*k, HeaderValue::from_str(v).unwrap());
        }
        m
    }

    #[test]
    fn retry_after_forms() {
        assert_eq!(
            parse_retry_after(&h(&[("retry-after-ms", "250"), ("retry-after", "3")])),
            Some(Duration::from_millis(250))
        );
        assert_eq!(
            parse_retry_after(&h(&[("retry-after", "1.5")])),
            Some(Duration::from_millis(1500))
        );
        let date = httpdate::fmt_http_date(std::time::SystemTime::now() + Duration::from_secs(30));
        let d = parse_retry_after(&h(&[("retry-after", &date)])).unwrap();
        assert!(
            d > Duration::from_secs(27) && d <= Duration::from_secs(30),
            "{d:?}"
        );
        assert_eq!(parse_retry_after(&h(&[("retry-after", "0")])), None);
        assert_eq!(parse_retry_after(&h(&[("retry-after", "soon")])), None);
        assert_eq!(parse_retry_after(&h(&[])), None);
    }

    #[test]
    fn a_huge_retry_after_is_a_long_wait_not_a_panic() {
        // More seconds than a Duration holds: this used to panic inside the request task,
        // and the run then waited forever for that task's answer.
        for (name, value) in [
            ("retry-after", "99999999999999999999"),
            ("retry-after", "1e300"),
            ("retry-after-ms", "1e300"),
        ] {
            assert_eq!(
                parse_retry_after(&h(&[(name, value)])),
                Some(Duration::MAX),
                "{name}: {value}"
            );
        }
        for bad in ["inf", "NaN", "-1e300"] {
            assert_eq!(
                parse_retry_after(&h(&[("retry-after", bad)])),
                None,
                "{bad}"
            );
        }
        let e = classify_error(429, &h(&[("retry-after", "1e30")]), b"{}", None);
        assert!(matches!(
            e,
            CallError::Retryable {
                retry_after: Some(Duration::MAX),
                ..
            }
        ));
    }

    #[test]
    fn status_rules() {
        let body = br#"{"type":"error","error":{"type":"api_error","message":"boom"},"request_id":"req_9"}"#;
        let e = classify_error(500, &h(&[]), body, None);
        assert!(
            matches!(e, CallError::Retryable { status: Some(500), rate_limited: false, ref request_id, .. } if request_id.as_deref() == Some("req_9")),
            "{e:?}"
        );
        let e = classify_error(500, &h(&[("x-should-retry", "false")]), body, None);
        assert!(matches!(e, CallError::Fatal { .. }), "{e:?}");
        let e = classify_error(400, &h(&[("x-should-retry", "true")]), body, None);
        assert!(e.is_retryable());
        for s in [400, 403, 404, 413, 422] {
            assert!(matches!(
                classify_error(s, &h(&[]), body, None),
                CallError::Fatal { .. }
            ));
        }
        for s in [408, 409, 502, 503, 504] {
            assert!(classify_error(s, &h(&[]), body, None).is_retryable());
        }
        let e = classify_error(529, &h(&[]), body, None);
        assert!(matches!(
            e,
            CallError::Retryable {
                rate_limited: true,
                ..
            }
        ));
        let e = classify_error(401, &h(&[("x-should-retry", "true")]), body, None);
        assert!(matches!(
            e,
            CallError::Auth {
                status: Some(401),
                ..
            }
        ));
        let spend = br#"{"type":"error","error":{"type":"rate_limit_error","message":"You have reached your specified workspace API usage limits.","details":{"error_code":"enforced_spend_limit_reached"}}}"#;
        let e = classify_error(429, &h(&[("x-should-retry", "true")]), spend, None);
        assert!(
            matches!(
                e,
                CallError::Fatal {
                    status: Some(429),
                    ..
                }
            ),
            "{e:?}"
        );
        let quota = br#"{"error":{"message":"You exceeded your current quota","type":"insufficient_quota","param":null,"code":"insufficient_quota"}}"#;
        assert!(matches!(
            classify_error(429, &h(&[]), quota, None),
            CallError::Fatal { .. }
        ));
        let e = classify_error(429, &h(&[]), b"not json", Some("req_h".into()));
        match e {
            CallError::Retryable {
                rate_limited,
                message,
                request_id,
                ..
            } => {
                assert!(rate_limited);
                assert!(message.contains("not json"));
                assert_eq!(request_id.as_deref(), Some("req_h"));
            }
            other => panic!("{other:?}"),
        }
    }
}

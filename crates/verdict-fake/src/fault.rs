//! Faults the fake injects: HTTP errors with the real bodies and retry headers, dropped
//! connections, cut bodies and malformed or off-schema answers. Chosen per request by
//! [`crate::FakeConfig::script`] or a `[[fault:NAME]]` marker in the ticket text.

use std::time::Duration;

use axum::http::{HeaderMap, HeaderValue};
use serde_json::json;

use crate::response::{api_error, invalid, kind_for, ApiError};
use crate::Provider;

/// A fault the fake can inject. Marker names in brackets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// `429`: 429 `rate_limit_error` with `retry-after: 1`.
    RateLimit,
    /// `429-ms`: 429 with `retry-after-ms: 250` and `retry-after: 1`.
    RateLimitMs,
    /// `429-date`: 429 with `retry-after` as an HTTP date 2 s ahead.
    RateLimitDate,
    /// `429-bare`: 429 without any retry header.
    RateLimitBare,
    /// `spend-limit`: 429 spend cap (`details.error_code: enforced_spend_limit_reached`;
    /// OpenAI: `insufficient_quota`), no `retry-after`.
    SpendLimit,
    /// `529`: 529 `overloaded_error`.
    Overloaded,
    /// `500`: 500 `api_error`.
    ServerError,
    /// `500-no-retry`: 500 with `x-should-retry: false`.
    ServerErrorNoRetry,
    /// `400`: 400 `invalid_request_error`.
    BadRequest,
    /// `400-retry`: 400 with `x-should-retry: true`.
    BadRequestRetry,
    /// `401`: 401 `authentication_error`.
    Unauthorized,
    /// `status-NNN`: an error with that status and its usual type.
    Status(u16),
    /// `reset`: close the connection without answering.
    Reset,
    /// `cut-body`: send the headers and half the body, then close the connection.
    CutBody,
    /// `hang`: answer only after [`FakeConfig::hang`] (past any sane client timeout).
    Hang,
    /// `malformed`: 200 with a truncated JSON body.
    Malformed,
    /// `no-tool`: 200, a text answer and no tool call (`end_turn` / `stop`).
    NoTool,
    /// `bad-enum`: 200, a tool call whose first enum property has a value outside the enum.
    BadEnum,
    /// `bad-json-args`: OpenAI: `arguments` that are not JSON (Anthropic: like `bad-enum`).
    BadJsonArgs,
    /// `max-tokens`: 200, cut off (`stop_reason: max_tokens` / `finish_reason: length`).
    MaxTokens,
    /// `refusal`: 200, `stop_reason: refusal` / `message.refusal`.
    Refusal,
    /// `wrong-tool`: 200, a call of a tool the request did not define.
    WrongTool,
    /// `two-tools`: 200, a call of an undefined tool, then the normal call.
    TwoTools,
    /// `proxy-overloaded`: what LiteLLM's proxy sends when the upstream API is overloaded:
    /// HTTP 500 whose body wraps the upstream `overloaded_error` in a message, the request id
    /// only in `llm_provider-request-id`.
    ProxyOverloaded,
    /// `proxy-429`: a proxy's 429 whose retry hint is only `llm_provider-retry-after: 1`.
    ProxyRateLimit,
    /// `proxy-ids`: 200, the request id only in `llm_provider-request-id` (LiteLLM forwards
    /// upstream headers with that prefix), no `request-id`/`x-request-id`.
    ProxyIds,
    /// `no-request-id`: 200 without any request-id header: the body's `id` is the only id.
    NoRequestId,
    /// `other-request-id`: 200 with the other protocol's request-id header (`request-id` on
    /// the OpenAI route, `x-request-id` on the Anthropic one).
    OtherRequestId,
}

impl Fault {
    pub fn parse(name: &str) -> Option<Fault> {
        Some(match name {
            "429" => Fault::RateLimit,
            "429-ms" => Fault::RateLimitMs,
            "429-date" => Fault::RateLimitDate,
            "429-bare" => Fault::RateLimitBare,
            "spend-limit" => Fault::SpendLimit,
            "529" => Fault::Overloaded,
            "500" => Fault::ServerError,
            "500-no-retry" => Fault::ServerErrorNoRetry,
            "400" => Fault::BadRequest,
            "400-retry" => Fault::BadRequestRetry,
            "401" => Fault::Unauthorized,
            "reset" => Fault::Reset,
            "cut-body" => Fault::CutBody,
            "hang" => Fault::Hang,
            "malformed" => Fault::Malformed,
            "no-tool" => Fault::NoTool,
            "bad-enum" => Fault::BadEnum,
            "bad-json-args" => Fault::BadJsonArgs,
            "max-tokens" => Fault::MaxTokens,
            "refusal" => Fault::Refusal,
            "wrong-tool" => Fault::WrongTool,
            "two-tools" => Fault::TwoTools,
            "proxy-overloaded" => Fault::ProxyOverloaded,
            "proxy-429" => Fault::ProxyRateLimit,
            "proxy-ids" => Fault::ProxyIds,
            "no-request-id" => Fault::NoRequestId,
            "other-request-id" => Fault::OtherRequestId,
            other => {
                let n: u16 = other.strip_prefix("status-")?.parse().ok()?;
                if !(400..=599).contains(&n) {
                    return None;
                }
                Fault::Status(n)
            }
        })
    }

    pub fn name(&self) -> String {
        match self {
            Fault::RateLimit => "429".into(),
            Fault::RateLimitMs => "429-ms".into(),
            Fault::RateLimitDate => "429-date".into(),
            Fault::RateLimitBare => "429-bare".into(),
            Fault::SpendLimit => "spend-limit".into(),
            Fault::Overloaded => "529".into(),
            Fault::ServerError => "500".into(),
            Fault::ServerErrorNoRetry => "500-no-retry".into(),
            Fault::BadRequest => "400".into(),
            Fault::BadRequestRetry => "400-retry".into(),
            Fault::Unauthorized => "401".into(),
            Fault::Status(n) => format!("status-{n}"),
            Fault::Reset => "reset".into(),
            Fault::CutBody => "cut-body".into(),
            Fault::Hang => "hang".into(),
            Fault::Malformed => "malformed".into(),
            Fault::NoTool => "no-tool".into(),
            Fault::BadEnum => "bad-enum".into(),
            Fault::BadJsonArgs => "bad-json-args".into(),
            Fault::MaxTokens => "max-tokens".into(),
            Fault::Refusal => "refusal".into(),
            Fault::WrongTool => "wrong-tool".into(),
            Fault::TwoTools => "two-tools".into(),
            Fault::ProxyOverloaded => "proxy-overloaded".into(),
            Fault::ProxyRateLimit => "proxy-429".into(),
            Fault::ProxyIds => "proxy-ids".into(),
            Fault::NoRequestId => "no-request-id".into(),
            Fault::OtherRequestId => "other-request-id".into(),
        }
    }

    /// The marker that injects this fault on every request: `[[fault:NAME]]`.
    pub fn marker(&self) -> String {
        format!("[[fault:{}]]", self.name())
    }

    /// The marker that injects this fault on the first `n` requests of a ticket.
    pub fn marker_times(&self, n: u32) -> String {
        format!("[[fault:{}*{n}]]", self.name())
    }
}

/// `[[fault:NAME]]` or `[[fault:NAME*N]]` in `text`.
pub fn parse_marker(text: &str) -> Option<(Fault, Option<u32>)> {
    let start = text.find("[[fault:")?;
    let rest = &text[start + "[[fault:".len()..];
    let inner = &rest[..rest.find("]]")?];
    match inner.split_once('*') {
        Some((name, n)) => Some((Fault::parse(name)?, Some(n.parse().ok()?))),
        None => Some((Fault::parse(inner)?, None)),
    }
}

/// The error answer of an HTTP-level fault (`None` for faults that answer 200 or drop).
pub(crate) fn fault_error(provider: Provider, f: &Fault) -> Option<ApiError> {
    let rate = || {
        let mut e = api_error(
            429,
            "rate_limit_error",
            "This request would exceed the rate limit for your organization (fake).",
        );
        if provider == Provider::OpenAi {
            e.kind = "requests".into();
            e.extra.insert("code".into(), json!("rate_limit_exceeded"));
        }
        e
    };
    Some(match f {
        Fault::RateLimit => {
            let mut e = rate();
            e.headers.push(("retry-after", "1".into()));
            e
        }
        Fault::RateLimitMs => {
            let mut e = rate();
            e.headers.push(("retry-after-ms", "250".into()));
            e.headers.push(("retry-after", "1".into()));
            e
        }
        Fault::RateLimitDate => {
            let mut e = rate();
            let when = std::time::SystemTime::now() + Duration::from_secs(2);
            e.headers
                .push(("retry-after", httpdate::fmt_http_date(when)));
            e
        }
        Fault::RateLimitBare => rate(),
        Fault::SpendLimit => match provider {
            Provider::OpenAi => {
                let mut e = api_error(
                    429,
                    "insufficient_quota",
                    "You exceeded your current quota, please check your plan and billing details.",
                );
                e.extra.insert("code".into(), json!("insufficient_quota"));
                e
            }
            _ => {
                let mut e = api_error(
                    429,
                    "rate_limit_error",
                    "You have reached your specified workspace API usage limits. You will regain access on 2026-09-01 at 00:00 UTC.",
                );
                e.extra.insert(
                    "details".into(),
                    json!({"error_code": "enforced_spend_limit_reached"}),
                );
                e
            }
        },
        Fault::Overloaded => api_error(529, "overloaded_error", "Overloaded"),
        Fault::ServerError => api_error(500, "api_error", "Internal server error"),
        Fault::ServerErrorNoRetry => {
            let mut e = api_error(500, "api_error", "Internal server error (do not retry)");
            e.headers.push(("x-should-retry", "false".into()));
            e
        }
        Fault::BadRequest => invalid("messages.0.content: injected bad request (fake)"),
        Fault::BadRequestRetry => {
            let mut e = invalid("transient bad request (fake)");
            e.headers.push(("x-should-retry", "true".into()));
            e
        }
        Fault::Unauthorized => api_error(401, "authentication_error", "invalid x-api-key"),
        Fault::Status(s) => api_error(*s, kind_for(*s), format!("injected status {s} (fake)")),
        Fault::ProxyOverloaded => {
            let upstream = match provider {
                Provider::OpenAi => "OpenAIException - Overloaded",
                Provider::Anthropic => {
                    "AnthropicException - {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}"
                }
            };
            let message = format!(
                "litellm.InternalServerError: {upstream}. overloaded_error. Received Model Group=fake\nAvailable Model Group Fallbacks=None"
            );
            let mut e = api_error(500, "api_error", message.clone());
            e.raw_body = Some(json!({"error": {
                "message": message, "type": null, "param": null, "code": "500"
            }}));
            e
        }
        Fault::ProxyRateLimit => {
            let message = "litellm.RateLimitError: upstream rate limit (fake)";
            let mut e = api_error(429, "rate_limit_error", message);
            e.raw_body = Some(json!({"error": {
                "message": message, "type": "throttling_error", "param": null, "code": "429"
            }}));
            e.headers.push(("llm_provider-retry-after", "1".into()));
            e
        }
        _ => return None,
    })
}

/// Rewrites a response's id headers the way the proxy-style faults need (see [`Fault`]);
/// other faults leave them alone.
pub(crate) fn restyle_headers(f: &Fault, request_id: &str, n: u64, h: &mut HeaderMap) {
    let id = || HeaderValue::from_str(request_id).expect("ascii request id");
    match f {
        Fault::ProxyOverloaded | Fault::ProxyRateLimit | Fault::ProxyIds => {
            h.remove("request-id");
            h.remove("x-request-id");
            h.insert("llm_provider-request-id", id());
            h.insert("x-litellm-call-id", HeaderValue::from(n));
        }
        Fault::NoRequestId => {
            h.remove("request-id");
            h.remove("x-request-id");
        }
        Fault::OtherRequestId => {
            let (had, other) = if h.remove("x-request-id").is_some() {
                ("x-request-id", "request-id")
            } else {
                h.remove("request-id");
                ("request-id", "x-request-id")
            };
            debug_assert_ne!(had, other);
            h.insert(other, id());
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_parse() {
        assert_eq!(
            parse_marker("x [[fault:429]] y"),
            Some((Fault::RateLimit, None))
        );
        assert_eq!(
            parse_marker("[[fault:500*2]]"),
            Some((Fault::ServerError, Some(2)))
        );
        assert_eq!(
            parse_marker("[[fault:status-503]]"),
            Some((Fault::Status(503), None))
        );
        assert_eq!(parse_marker("[[fault:nope]]"), None);
        assert_eq!(parse_marker("no marker"), None);
        for f in [
            Fault::RateLimit,
            Fault::RateLimitMs,
            Fault::RateLimitDate,
            Fault::RateLimitBare,
            Fault::SpendLimit,
            Fault::Overloaded,
            Fault::ServerError,
            Fault::ServerErrorNoRetry,
            Fault::BadRequest,
            Fault::BadRequestRetry,
            Fault::Unauthorized,
            Fault::Status(418),
            Fault::Reset,
            Fault::CutBody,
            Fault::Hang,
            Fault::Malformed,
            Fault::NoTool,
            Fault::BadEnum,
            Fault::BadJsonArgs,
            Fault::MaxTokens,
            Fault::Refusal,
            Fault::WrongTool,
            Fault::TwoTools,
            Fault::ProxyOverloaded,
            Fault::ProxyRateLimit,
            Fault::ProxyIds,
            Fault::NoRequestId,
            Fault::OtherRequestId,
        ] {
            assert_eq!(Fault::parse(&f.name()), Some(f.clone()));
            assert_eq!(parse_marker(&f.marker_times(3)), Some((f, Some(3))));
        }
    }
}

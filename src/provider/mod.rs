//! Backends that classify tickets: LLM APIs over HTTP and the built-in offline classifier.
//!
//! An LLM call is split in three so each part can be tested and cached on its own:
//! [`LlmClient::request_body`] builds the exact JSON body (pure; the cache key hashes it),
//! [`LlmClient::call`] sends it once and classifies failures as retryable or not (no retry
//! loop here: the runner owns retries, backoff and rate limits), and [`interpret`] turns a
//! response body into an outcome (pure; a cached body is interpreted the same way).

pub mod anthropic;
pub mod classify;
pub mod client;
pub mod interpret;
pub mod local;
pub mod openai;
pub mod prices;
pub mod secret;
pub mod wire;

pub use client::LlmClient;
pub use interpret::ToolSchemas;
pub use prices::{cost_usd, estimate_input_tokens, price_for, Price};
pub use secret::Secret;
pub use wire::WireFormat;

use std::time::Duration;

use crate::eval_log::{Outcome, Usage};

/// The result of one HTTP attempt that got a 2xx response.
#[derive(Debug, Clone)]
pub struct CallOk {
    /// The response body as received.
    pub body: serde_json::Value,
    /// `request-id` (Anthropic) or `x-request-id` (OpenAI-compatible) header.
    pub request_id: Option<String>,
    pub latency_ms: f64,
}

/// Why an attempt failed.
#[derive(Debug, Clone, PartialEq)]
pub enum CallError {
    /// Worth another attempt: connection error, timeout, 408, 409, 429 (not a spend limit),
    /// 5xx, 529, or any status with `x-should-retry: true`.
    Retryable {
        status: Option<u16>,
        /// From `retry-after-ms` (preferred) or `retry-after` (seconds or HTTP date).
        retry_after: Option<Duration>,
        /// True for 429 and 529: the runner lowers its concurrency.
        rate_limited: bool,
        error_type: Option<String>,
        message: String,
        request_id: Option<String>,
    },
    /// Final: 400, 403, 404, 413, a spend-limit 429, `x-should-retry: false`.
    Fatal {
        status: Option<u16>,
        error_type: Option<String>,
        message: String,
        request_id: Option<String>,
    },
    /// 401 or a missing key: the whole run stops at once.
    Auth {
        status: Option<u16>,
        message: String,
    },
}

/// What a response means for the gold fields.
#[derive(Debug, Clone, PartialEq)]
pub struct Interpreted {
    pub outcome: Outcome,
    /// Gold field -> value (label names, list, bool), for `ok` outcomes.
    pub outputs: serde_json::Map<String, serde_json::Value>,
    pub confidence: Option<f64>,
    /// The tool called, if any.
    pub tool: Option<String>,
    /// The tool input as received.
    pub raw: Option<serde_json::Value>,
    pub usage: Option<Usage>,
    /// What went wrong, for outcomes other than `ok` (which field, which value).
    pub error: Option<String>,
}

/// Turns a 2xx response body into an outcome for this variant and the gold fields.
///
/// Anthropic: `stop_reason` `refusal` → `refusal`; `max_tokens` (or
/// `model_context_window_exceeded`) → `max_tokens`; no `tool_use` block → `no_tool_call`.
/// OpenAI-compatible: `finish_reason` `length` → `max_tokens`; `message.refusal` or
/// `content_filter` → `refusal`; no `tool_calls` → `no_tool_call`; `arguments` that are not
/// JSON → `invalid_output`. Both: a call of a tool the variant does not define →
/// `no_tool_call`; input failing the schema → `invalid_output` naming the field and value.
///
/// This compiles the tools' schemas for the one call (tests, tools); the runner compiles them
/// once per variant ([`ToolSchemas`]) and calls [`WireFormat::interpret`]. The local provider
/// has no responses to read: its "response" is a `provider_error` saying so.
pub fn interpret(
    provider: crate::variant::ProviderKind,
    spec: &crate::variant::LlmSpec,
    gold_fields: &[crate::gold::Field],
    body: &serde_json::Value,
) -> Interpreted {
    match wire_format(provider) {
        Ok(wire) => wire.interpret(spec, &ToolSchemas::compile(spec), gold_fields, body),
        Err(error) => Interpreted {
            outcome: Outcome::ProviderError,
            outputs: serde_json::Map::new(),
            confidence: None,
            tool: None,
            raw: None,
            usage: None,
            error: Some(error),
        },
    }
}

/// The wire format of `provider`. The local provider has none (it makes no HTTP calls): an
/// error, never a fallback to another API.
pub fn wire_format(
    provider: crate::variant::ProviderKind,
) -> Result<&'static dyn WireFormat, String> {
    match provider {
        crate::variant::ProviderKind::Anthropic => Ok(&anthropic::Anthropic),
        crate::variant::ProviderKind::OpenAi => Ok(&openai::OpenAi),
        crate::variant::ProviderKind::Local => Err("the local provider makes no HTTP calls".into()),
    }
}

/// Why the model stopped, as the response says: Anthropic `stop_reason`, OpenAI-compatible
/// `choices[0].finish_reason`. Recorded with every response received.
pub fn stop_reason(
    provider: crate::variant::ProviderKind,
    body: &serde_json::Value,
) -> Option<String> {
    wire_format(provider).ok()?.stop_reason(body)
}

//! Request checks, strict like the real APIs (wire-protocol reference §8): headers here, the
//! bodies in [`anthropic`] and [`openai`], one function per request section. Every check
//! returns the real error message with the dotted path of the offending key.

mod anthropic;
mod openai;

pub(crate) use anthropic::check_anthropic;
pub(crate) use openai::check_openai;

use axum::http::HeaderMap;
use serde_json::{Map, Value};

use crate::response::{api_error, invalid, ApiError};
use crate::Provider;

// ---------------------------------------------------------------------------------------
// Request checks

/// Auth (exactly one key header, the configured key if any), `anthropic-version` and the
/// JSON content type.
pub(crate) fn check_headers(
    api_key: Option<&str>,
    provider: Provider,
    h: &HeaderMap,
) -> Result<(), ApiError> {
    let get = |k: &str| {
        h.get(k)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
    };
    let auth_err = |msg: &str| api_error(401, "authentication_error", msg);
    let key = match provider {
        Provider::OpenAi => {
            let Some(auth) = get("authorization") else {
                return Err(auth_err("You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY)."));
            };
            match auth.strip_prefix("Bearer ") {
                Some(k) if !k.trim().is_empty() => k.trim().to_string(),
                _ => return Err(auth_err("Authorization header must be 'Bearer <key>'")),
            }
        }
        _ => match (get("x-api-key"), get("authorization")) {
            (Some(k), None) if !k.trim().is_empty() => k.trim().to_string(),
            (None, Some(a)) => match a.strip_prefix("Bearer ") {
                Some(k) if !k.trim().is_empty() => k.trim().to_string(),
                _ => return Err(auth_err("Authorization header must be 'Bearer <token>'")),
            },
            (Some(_), Some(_)) => {
                return Err(auth_err(
                    "send exactly one of x-api-key and Authorization, not both",
                ))
            }
            _ => return Err(auth_err("x-api-key header is required")),
        },
    };
    if let Some(expected) = api_key {
        if key != expected {
            return Err(auth_err(match provider {
                Provider::OpenAi => "Incorrect API key provided.",
                _ => "invalid x-api-key",
            }));
        }
    }
    if provider == Provider::Anthropic {
        match get("anthropic-version") {
            None => return Err(invalid("anthropic-version: header is required")),
            Some(v) if v != crate::ANTHROPIC_VERSION => {
                return Err(invalid(format!(
                    "anthropic-version: unsupported version {v:?} (the fake knows 2023-06-01)"
                )))
            }
            _ => {}
        }
    }
    match get("content-type") {
        Some(ct)
            if ct
                .trim()
                .to_ascii_lowercase()
                .starts_with("application/json") =>
        {
            Ok(())
        }
        _ => Err(invalid("content-type: must be application/json")),
    }
}

/// What the answer needs to know about a valid request.
pub(crate) struct Req {
    pub(crate) model: String,
    pub(crate) max_tokens: u64,
    /// Tool name -> input_schema.
    pub(crate) tools: Vec<(String, Value)>,
    /// Forced tool name, `any`/`required`, `auto` or `none`.
    pub(crate) choice: Choice,
    pub(crate) system_chars: usize,
    pub(crate) tools_chars: usize,
    pub(crate) body_chars: usize,
    /// The system text and the user turns, for the gold-aware mode (filled after the checks).
    pub(crate) conversation: Conversation,
}

/// The texts of a request the gold-aware mode reads.
#[derive(Debug, Clone, Default)]
pub(crate) struct Conversation {
    /// Anthropic `system` (string or text blocks); OpenAI `system`/`developer` messages.
    pub(crate) system: String,
    /// The user turns' texts, last first.
    pub(crate) user_turns: Vec<String>,
}

impl Conversation {
    pub(crate) fn of(provider: Provider, body: &Value) -> Conversation {
        let mut c = Conversation::default();
        if provider == Provider::Anthropic {
            c.system = content_text(body.get("system").unwrap_or(&Value::Null));
        }
        let msgs = body.get("messages").and_then(Value::as_array);
        for m in msgs.into_iter().flatten().rev() {
            let text = content_text(m.get("content").unwrap_or(&Value::Null));
            match m.get("role").and_then(Value::as_str) {
                Some("user") => c.user_turns.push(text),
                Some("system" | "developer") => {
                    c.system = if c.system.is_empty() {
                        text
                    } else {
                        format!("{text}\n{}", c.system)
                    }
                }
                _ => {}
            }
        }
        c
    }
}

/// The text of a string or a list of text blocks/parts.
fn content_text(content: &Value) -> String {
    match content {
        Value::String(s) => s.clone(),
        Value::Array(blocks) => blocks
            .iter()
            .filter(|b| b.get("type").and_then(Value::as_str) == Some("text"))
            .filter_map(|b| b.get("text").and_then(Value::as_str))
            .collect::<Vec<_>>()
            .join("\n"),
        _ => String::new(),
    }
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Choice {
    Tool(String),
    Any,
    Auto,
    None,
}

pub(crate) fn join(path: &str, key: impl std::fmt::Display) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

fn only_keys(obj: &Map<String, Value>, allowed: &[&str], path: &str) -> Result<(), ApiError> {
    for k in obj.keys() {
        if !allowed.contains(&k.as_str()) {
            return Err(invalid(format!(
                "{}: Extra inputs are not permitted",
                join(path, k)
            )));
        }
    }
    Ok(())
}

fn obj<'a>(v: &'a Value, path: &str) -> Result<&'a Map<String, Value>, ApiError> {
    v.as_object()
        .ok_or_else(|| invalid(format!("{path}: Input should be a valid dictionary")))
}

fn req_field<'a>(o: &'a Map<String, Value>, k: &str, path: &str) -> Result<&'a Value, ApiError> {
    o.get(k)
        .ok_or_else(|| invalid(format!("{}: Field required", join(path, k))))
}

fn string<'a>(v: &'a Value, path: &str) -> Result<&'a str, ApiError> {
    v.as_str()
        .ok_or_else(|| invalid(format!("{path}: Input should be a valid string")))
}

fn boolean(v: &Value, path: &str) -> Result<bool, ApiError> {
    v.as_bool()
        .ok_or_else(|| invalid(format!("{path}: Input should be a valid boolean")))
}

fn array<'a>(v: &'a Value, path: &str) -> Result<&'a Vec<Value>, ApiError> {
    v.as_array()
        .ok_or_else(|| invalid(format!("{path}: Input should be a valid list")))
}

fn tool_name_ok(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

fn check_name(name: &str, path: &str) -> Result<(), ApiError> {
    if tool_name_ok(name) {
        Ok(())
    } else {
        Err(invalid(format!(
            "{path}: String should match pattern '^[a-zA-Z0-9_-]{{1,64}}$'"
        )))
    }
}

fn check_model(models: &[String], v: Option<&Value>) -> Result<String, ApiError> {
    let m = string(v.ok_or_else(|| invalid("model: Field required"))?, "model")?;
    if m.is_empty() {
        return Err(invalid("model: String should have at least 1 character"));
    }
    if !models.iter().any(|x| x == m) {
        return Err(api_error(404, "not_found_error", format!("model: {m}")));
    }
    Ok(m.to_string())
}

fn max_output(model: &str) -> u64 {
    if model.starts_with("claude-haiku-4-5") {
        64_000
    } else {
        128_000
    }
}

/// Models that reject a non-default `temperature` (reference §1.6 rule 7).
fn no_sampling(model: &str) -> bool {
    [
        "claude-opus-4-7",
        "claude-opus-4-8",
        "claude-opus-5",
        "claude-sonnet-5",
        "claude-fable-5",
        "claude-mythos-5",
    ]
    .iter()
    .any(|m| model.starts_with(m))
}

/// Models that reject a trailing assistant turn (prefill).
fn no_prefill(model: &str) -> bool {
    no_sampling(model)
        || model.starts_with("claude-opus-4-6")
        || model.starts_with("claude-sonnet-4-6")
}

fn check_input_schema(schema: &Value, path: &str) -> Result<(), ApiError> {
    let o = obj(schema, path)?;
    if o.get("type").and_then(Value::as_str) != Some("object") {
        return Err(invalid(format!("{path}.type: Input should be 'object'")));
    }
    for k in ["oneOf", "allOf", "anyOf"] {
        if o.contains_key(k) {
            return Err(invalid(format!(
                "{path}: input_schema does not support {k} at the top level"
            )));
        }
    }
    if let Err(e) = jsonschema::validator_for(schema) {
        return Err(invalid(format!("{path}: not a valid JSON Schema: {e}")));
    }
    Ok(())
}

fn check_cache_control(v: &Value, path: &str) -> Result<(), ApiError> {
    let o = obj(v, path)?;
    only_keys(o, &["type", "ttl"], path)?;
    if o.get("type").and_then(Value::as_str) != Some("ephemeral") {
        return Err(invalid(format!("{path}.type: Input should be 'ephemeral'")));
    }
    if let Some(ttl) = o.get("ttl") {
        if !matches!(ttl.as_str(), Some("5m" | "1h")) {
            return Err(invalid(format!("{path}.ttl: Input should be '5m' or '1h'")));
        }
    }
    Ok(())
}

fn check_text_block(o: &Map<String, Value>, path: &str) -> Result<(), ApiError> {
    only_keys(o, &["type", "text", "cache_control", "citations"], path)?;
    let text = string(req_field(o, "text", path)?, &join(path, "text"))?;
    if text.trim().is_empty() {
        return Err(invalid(format!(
            "{path}: text content blocks must contain non-whitespace text"
        )));
    }
    if let Some(cc) = o.get("cache_control") {
        check_cache_control(cc, &join(path, "cache_control"))?;
    }
    Ok(())
}

/// The text of the last user turn.
pub(crate) fn last_user_text(body: &Value) -> Option<String> {
    let msgs = body.get("messages")?.as_array()?;
    let last_user = msgs
        .iter()
        .rev()
        .find(|m| m.get("role").and_then(Value::as_str) == Some("user"))?;
    let content = last_user.get("content")?;
    match content {
        Value::String(s) => Some(s.clone()),
        Value::Array(blocks) => {
            let texts: Vec<&str> = blocks
                .iter()
                .filter(|b| b.get("type").and_then(Value::as_str) == Some("text"))
                .filter_map(|b| b.get("text").and_then(Value::as_str))
                .collect();
            (!texts.is_empty()).then(|| texts.join("\n"))
        }
        _ => None,
    }
}

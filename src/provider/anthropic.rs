//! The Anthropic Messages API (`POST /v1/messages`): request body and response reading.

use serde_json::{json, Map, Value};

use super::interpret::{accept_tool_call, no_tool_call, snippet, ToolCall, ToolSchemas};
use super::wire::WireFormat;
use super::Interpreted;
use crate::eval_log::{Outcome, Usage};
use crate::gold::Field;
use crate::variant::{Example, LlmSpec, ProviderKind, ToolChoice};

/// The `anthropic-version` header both SDKs hard-code.
pub const API_VERSION: &str = "2023-06-01";

/// The id of the `tool_use` block of few-shot example `i` (0-based).
pub fn example_tool_use_id(i: usize) -> String {
    format!("toolu_example_{}", i + 1)
}

/// The tool an example answers with: its own, else the variant's first tool.
pub(crate) fn example_tool<'a>(spec: &'a LlmSpec, ex: &'a Example) -> &'a str {
    ex.tool
        .as_deref()
        .or_else(|| spec.tools.first().map(|t| t.name.as_str()))
        .unwrap_or("")
}

/// The user turn of few-shot example `i` (its id is `example-<i+1>`, it has no tags).
pub(crate) fn render_example(spec: &LlmSpec, i: usize, ex: &Example) -> String {
    spec.render_user(&ex.text, &format!("example-{}", i + 1), &[])
}

/// The request body: model, max_tokens, system, messages (few-shot examples as complete
/// tool-use turns, then the ticket), tools, tool_choice, and temperature only when set.
///
/// Few-shot history: user (example text) → assistant (`tool_use` with the example output) →
/// user (`tool_result` "ok" first, then the next text), so every `tool_use` is answered in
/// the very next message (§1.6 rule 8) and the last message is the ticket's user turn.
/// `tool_choice` `tool` and `any` carry `disable_parallel_tool_use: true` (exactly one call);
/// `auto` carries it too (at most one).
pub fn request_body(spec: &LlmSpec, text: &str, id: &str, tags: &[String]) -> Value {
    let mut body = Map::new();
    body.insert("model".into(), json!(spec.model));
    body.insert("max_tokens".into(), json!(spec.max_tokens));
    if let Some(system) = &spec.system {
        body.insert("system".into(), json!(system));
    }
    let mut messages = Vec::new();
    let mut pending_result: Option<String> = None;
    let user_turn = |pending: &mut Option<String>, text: String| match pending.take() {
        None => json!({"role": "user", "content": text}),
        Some(tool_use_id) => json!({"role": "user", "content": [
            {"type": "tool_result", "tool_use_id": tool_use_id, "content": "ok"},
            {"type": "text", "text": text},
        ]}),
    };
    for (i, ex) in spec.examples.iter().enumerate() {
        messages.push(user_turn(&mut pending_result, render_example(spec, i, ex)));
        let tool_use_id = example_tool_use_id(i);
        messages.push(json!({"role": "assistant", "content": [{
            "type": "tool_use",
            "id": tool_use_id,
            "name": example_tool(spec, ex),
            "input": ex.output,
        }]}));
        pending_result = Some(tool_use_id);
    }
    messages.push(user_turn(
        &mut pending_result,
        spec.render_user(text, id, tags),
    ));
    body.insert("messages".into(), Value::Array(messages));
    if !spec.tools.is_empty() {
        let tools: Vec<Value> = spec
            .tools
            .iter()
            .map(|t| {
                let mut m = Map::new();
                m.insert("name".into(), json!(t.name));
                if let Some(d) = &t.description {
                    m.insert("description".into(), json!(d));
                }
                m.insert("input_schema".into(), t.input_schema.clone());
                Value::Object(m)
            })
            .collect();
        body.insert("tools".into(), Value::Array(tools));
        let choice = match &spec.tool_choice {
            ToolChoice::Tool { name } => {
                json!({"type": "tool", "name": name, "disable_parallel_tool_use": true})
            }
            ToolChoice::Any => json!({"type": "any", "disable_parallel_tool_use": true}),
            ToolChoice::Auto => json!({"type": "auto", "disable_parallel_tool_use": true}),
            ToolChoice::None => json!({"type": "none"}),
        };
        body.insert("tool_choice".into(), choice);
    }
    if let Some(t) = spec.temperature {
        body.insert("temperature".into(), json!(t));
    }
    Value::Object(body)
}

/// Usage of a Messages response: the four counters (missing or null ones are 0).
pub fn usage(body: &Value) -> Option<Usage> {
    let u = body.get("usage")?;
    let n = |k: &str| u.get(k).and_then(Value::as_u64).unwrap_or(0);
    Some(Usage {
        input_tokens: n("input_tokens"),
        output_tokens: n("output_tokens"),
        cache_read_input_tokens: n("cache_read_input_tokens"),
        cache_creation_input_tokens: n("cache_creation_input_tokens"),
    })
}

/// Reads a Messages response (see [`super::interpret()`]).
pub fn interpret(
    spec: &LlmSpec,
    schemas: &ToolSchemas,
    gold_fields: &[Field],
    body: &Value,
) -> Interpreted {
    let usage = usage(body);
    let stop = body
        .get("stop_reason")
        .and_then(Value::as_str)
        .unwrap_or("");
    let blocks = body
        .get("content")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[]);
    let text: String = blocks
        .iter()
        .filter(|b| b.get("type").and_then(Value::as_str) == Some("text"))
        .filter_map(|b| b.get("text").and_then(Value::as_str))
        .collect::<Vec<_>>()
        .join(" ");
    let bare = |outcome: Outcome, error: String| Interpreted {
        outcome,
        outputs: Map::new(),
        confidence: None,
        tool: None,
        raw: None,
        usage,
        error: Some(error),
    };
    match stop {
        "refusal" => {
            let why = body
                .pointer("/stop_details/explanation")
                .and_then(Value::as_str)
                .map(|s| format!(": {}", snippet(s)))
                .unwrap_or_default();
            return bare(Outcome::Refusal, format!("stop_reason refusal{why}"));
        }
        "max_tokens" | "model_context_window_exceeded" => {
            return bare(
                Outcome::MaxTokens,
                format!(
                    "stop_reason {stop}: the answer was cut off (max_tokens {})",
                    spec.max_tokens
                ),
            )
        }
        _ => {}
    }
    if body.get("content").and_then(Value::as_array).is_none() {
        return bare(
            Outcome::NoToolCall,
            format!(
                "response has no content array: {}",
                snippet(&body.to_string())
            ),
        );
    }
    let calls: Vec<ToolCall> = blocks
        .iter()
        .filter(|b| b.get("type").and_then(Value::as_str) == Some("tool_use"))
        .map(|b| ToolCall {
            name: b
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string(),
            input: Ok(b.get("input").cloned().unwrap_or(Value::Null)),
        })
        .collect();
    if calls.is_empty() {
        let mut msg = format!(
            "no tool_use block (stop_reason {})",
            if stop.is_empty() { "missing" } else { stop }
        );
        if !text.is_empty() {
            msg.push_str(&format!(": {}", snippet(&text)));
        }
        return no_tool_call(msg, usage);
    }
    accept_tool_call(spec, schemas, gold_fields, &calls, usage)
}

/// The Messages API as a [`WireFormat`].
#[derive(Debug, Clone, Copy)]
pub struct Anthropic;

impl WireFormat for Anthropic {
    fn provider(&self) -> ProviderKind {
        ProviderKind::Anthropic
    }
    fn default_key_env(&self) -> &'static str {
        "ANTHROPIC_API_KEY"
    }
    fn base_url_env(&self) -> &'static str {
        "ANTHROPIC_BASE_URL"
    }
    fn default_base_url(&self) -> &'static str {
        "https://api.anthropic.com"
    }
    fn base_url_examples(&self) -> &'static str {
        "https://api.anthropic.com"
    }
    fn path(&self) -> &'static str {
        "/v1/messages"
    }
    fn request_id_header(&self) -> &'static str {
        "request-id"
    }
    fn auth_header(&self, key: &str) -> (&'static str, String) {
        ("x-api-key", key.to_string())
    }
    fn extra_headers(&self) -> &'static [(&'static str, &'static str)] {
        &[("anthropic-version", API_VERSION)]
    }
    fn request_body(&self, spec: &LlmSpec, text: &str, id: &str, tags: &[String]) -> Value {
        request_body(spec, text, id, tags)
    }
    fn interpret(
        &self,
        spec: &LlmSpec,
        schemas: &ToolSchemas,
        gold_fields: &[Field],
        body: &Value,
    ) -> Interpreted {
        interpret(spec, schemas, gold_fields, body)
    }
    fn stop_reason(&self, body: &Value) -> Option<String> {
        body.get("stop_reason")
            .and_then(Value::as_str)
            .map(str::to_string)
    }
}

//! OpenAI-compatible Chat Completions (`POST /v1/chat/completions`: OpenAI, vLLM, llama.cpp):
//! request body and response reading.

use serde_json::{json, Map, Value};

use super::anthropic::{example_tool, render_example};
use super::interpret::{accept_tool_call, no_tool_call, snippet, ToolCall, ToolSchemas};
use super::wire::WireFormat;
use super::Interpreted;
use crate::eval_log::{Outcome, Usage};
use crate::gold::Field;
use crate::variant::{LlmSpec, ProviderKind, ToolChoice};

/// The id of the tool call of few-shot example `i` (0-based).
pub fn example_call_id(i: usize) -> String {
    format!("call_example_{}", i + 1)
}

/// The request body: model, messages (system, few-shot examples as assistant `tool_calls` +
/// `tool` results, the ticket), tools as functions, tool_choice (named object for `tool`,
/// `"required"` for any, `"auto"`, `"none"`), `parallel_tool_calls: false` when forcing,
/// `max_completion_tokens`, and temperature only when set.
///
/// llama.cpp ignores the named object form (falls back to auto); a variant meant for it
/// should use `tool_choice: any` with a single tool, which becomes `"required"`.
pub fn request_body(spec: &LlmSpec, text: &str, id: &str, tags: &[String]) -> Value {
    let mut body = Map::new();
    body.insert("model".into(), json!(spec.model));
    let mut messages = Vec::new();
    if let Some(system) = &spec.system {
        messages.push(json!({"role": "system", "content": system}));
    }
    for (i, ex) in spec.examples.iter().enumerate() {
        messages.push(json!({"role": "user", "content": render_example(spec, i, ex)}));
        let call_id = example_call_id(i);
        let arguments = serde_json::to_string(&ex.output).expect("JSON serializes");
        messages.push(
            json!({"role": "assistant", "content": null, "tool_calls": [{
                "id": call_id,
                "type": "function",
                "function": {"name": example_tool(spec, ex), "arguments": arguments},
            }]}),
        );
        messages.push(json!({"role": "tool", "tool_call_id": call_id, "content": "ok"}));
    }
    messages.push(json!({"role": "user", "content": spec.render_user(text, id, tags)}));
    body.insert("messages".into(), Value::Array(messages));
    if !spec.tools.is_empty() {
        let tools: Vec<Value> = spec
            .tools
            .iter()
            .map(|t| {
                let mut f = Map::new();
                f.insert("name".into(), json!(t.name));
                if let Some(d) = &t.description {
                    f.insert("description".into(), json!(d));
                }
                f.insert("parameters".into(), t.input_schema.clone());
                json!({"type": "function", "function": f})
            })
            .collect();
        body.insert("tools".into(), Value::Array(tools));
        let (choice, forcing) = match &spec.tool_choice {
            ToolChoice::Tool { name } => (
                json!({"type": "function", "function": {"name": name}}),
                true,
            ),
            ToolChoice::Any => (json!("required"), true),
            ToolChoice::Auto => (json!("auto"), false),
            ToolChoice::None => (json!("none"), false),
        };
        body.insert("tool_choice".into(), choice);
        if forcing {
            body.insert("parallel_tool_calls".into(), json!(false));
        }
    }
    body.insert("max_completion_tokens".into(), json!(spec.max_tokens));
    if let Some(t) = spec.temperature {
        body.insert("temperature".into(), json!(t));
    }
    Value::Object(body)
}

/// Usage: `prompt_tokens` minus `prompt_tokens_details.cached_tokens` as input, cached tokens
/// as cache reads, `completion_tokens` as output. No cache-write counter exists.
pub fn usage(body: &Value) -> Option<Usage> {
    let u = body.get("usage")?;
    let n = |p: &str| u.pointer(p).and_then(Value::as_u64).unwrap_or(0);
    let prompt = n("/prompt_tokens");
    let cached = n("/prompt_tokens_details/cached_tokens").min(prompt);
    Some(Usage {
        input_tokens: prompt - cached,
        output_tokens: n("/completion_tokens"),
        cache_read_input_tokens: cached,
        cache_creation_input_tokens: 0,
    })
}

/// Reads a chat completion. Decides from `message.tool_calls`, never from `finish_reason`
/// alone (a named tool choice comes back with `finish_reason: "stop"`), except that
/// `length` is `max_tokens` and `content_filter` is `refusal`.
pub fn interpret(
    spec: &LlmSpec,
    schemas: &ToolSchemas,
    gold_fields: &[Field],
    body: &Value,
) -> Interpreted {
    let usage = usage(body);
    let bare = |outcome: Outcome, error: String| Interpreted {
        outcome,
        outputs: Map::new(),
        confidence: None,
        tool: None,
        raw: None,
        usage,
        error: Some(error),
    };
    let Some(choice) = body.pointer("/choices/0") else {
        return bare(
            Outcome::NoToolCall,
            format!("response has no choices: {}", snippet(&body.to_string())),
        );
    };
    let finish = choice
        .get("finish_reason")
        .and_then(Value::as_str)
        .unwrap_or("");
    let message = choice.get("message").cloned().unwrap_or(Value::Null);
    if finish == "length" {
        return bare(
            Outcome::MaxTokens,
            format!(
                "finish_reason length: the answer was cut off (max_completion_tokens {})",
                spec.max_tokens
            ),
        );
    }
    if let Some(r) = message.get("refusal").and_then(Value::as_str) {
        return bare(Outcome::Refusal, format!("refusal: {}", snippet(r)));
    }
    if finish == "content_filter" {
        return bare(Outcome::Refusal, "finish_reason content_filter".into());
    }
    let calls: Vec<ToolCall> = message
        .get("tool_calls")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
        .iter()
        .map(|c| {
            let f = c.get("function").cloned().unwrap_or(Value::Null);
            let name = f
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
            let input = match f.get("arguments") {
                Some(Value::String(s)) => serde_json::from_str::<Value>(s).map_err(|e| {
                    format!(
                        "arguments of {name} are not valid JSON ({e}): {}",
                        snippet(s)
                    )
                }),
                // Some servers send the object itself.
                Some(v @ Value::Object(_)) => Ok(v.clone()),
                other => Err(format!(
                    "arguments of {name} are missing or not a string: {}",
                    snippet(&other.cloned().unwrap_or(Value::Null).to_string())
                )),
            };
            ToolCall { name, input }
        })
        .collect();
    if calls.is_empty() {
        let content = message.get("content").and_then(Value::as_str).unwrap_or("");
        let mut msg = format!(
            "no tool call (finish_reason {})",
            if finish.is_empty() { "missing" } else { finish }
        );
        if !content.is_empty() {
            msg.push_str(&format!(": {}", snippet(content)));
        }
        return no_tool_call(msg, usage);
    }
    accept_tool_call(spec, schemas, gold_fields, &calls, usage)
}

/// OpenAI-compatible Chat Completions as a [`WireFormat`].
#[derive(Debug, Clone, Copy)]
pub struct OpenAi;

impl WireFormat for OpenAi {
    fn provider(&self) -> ProviderKind {
        ProviderKind::OpenAi
    }
    fn default_key_env(&self) -> &'static str {
        "OPENAI_API_KEY"
    }
    fn base_url_env(&self) -> &'static str {
        "OPENAI_BASE_URL"
    }
    fn default_base_url(&self) -> &'static str {
        "https://api.openai.com"
    }
    fn base_url_examples(&self) -> &'static str {
        "https://api.openai.com or http://127.0.0.1:8000/v1"
    }
    fn path(&self) -> &'static str {
        "/v1/chat/completions"
    }
    fn request_id_header(&self) -> &'static str {
        "x-request-id"
    }
    fn auth_header(&self, key: &str) -> (&'static str, String) {
        ("authorization", format!("Bearer {key}"))
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
        body.pointer("/choices/0/finish_reason")
            .and_then(Value::as_str)
            .map(str::to_string)
    }
}

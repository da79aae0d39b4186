//! `POST /v1/messages` bodies: top-level keys, model and limits, system, sampling, thinking,
//! tools, tool_choice and messages, each checked by its own function.

use std::collections::HashSet;

use serde_json::{Map, Value};

use super::*;
use crate::response::{invalid, ApiError};

/// Checks a Messages API body section by section; the first problem is the answer.
pub(crate) fn check_anthropic(models: &[String], body: &Value) -> Result<Req, ApiError> {
    let b = obj(body, "body")?;
    only_keys(
        b,
        &[
            "model",
            "max_tokens",
            "messages",
            "system",
            "temperature",
            "top_p",
            "top_k",
            "stop_sequences",
            "metadata",
            "tools",
            "tool_choice",
            "thinking",
            "stream",
            "service_tier",
            "output_config",
            "cache_control",
            "inference_geo",
            "container",
        ],
        "",
    )?;
    let (model, max_tokens) = limits(models, b)?;
    let system_chars = system(b)?;
    sampling(b, &model)?;
    let thinking_enabled = thinking(b, max_tokens)?;
    if let Some(cc) = b.get("cache_control") {
        check_cache_control(cc, "cache_control")?;
    }
    let (tools, tools_chars) = tools(b)?;
    let choice = tool_choice(b, &tools, thinking_enabled)?;
    messages(b, &model)?;
    Ok(Req {
        model,
        max_tokens,
        tools,
        choice,
        system_chars,
        tools_chars,
        body_chars: body.to_string().chars().count(),
        conversation: Conversation::default(),
    })
}

/// `model` (allow-list), `max_tokens` (per-model ceiling) and `stream` (not supported).
fn limits(models: &[String], b: &Map<String, Value>) -> Result<(String, u64), ApiError> {
    let model = check_model(models, b.get("model"))?;
    let max_tokens = req_field(b, "max_tokens", "")?.as_u64().ok_or_else(|| {
        invalid("max_tokens: Input should be a valid integer, greater than or equal to 0")
    })?;
    if max_tokens > max_output(&model) {
        return Err(invalid(format!(
            "max_tokens: {max_tokens} > {}, which is the maximum allowed number of output tokens for {model}",
            max_output(&model)
        )));
    }
    if b.get("stream").and_then(Value::as_bool) == Some(true) {
        return Err(invalid("stream: the fake server does not stream"));
    }
    if let Some(s) = b.get("stream") {
        boolean(s, "stream")?;
    }
    Ok((model, max_tokens))
}

/// `system`: a string or a list of text blocks. Returns its length in characters.
fn system(b: &Map<String, Value>) -> Result<usize, ApiError> {
    let mut system_chars = 0;
    if let Some(sys) = b.get("system") {
        match sys {
            Value::String(s) => system_chars = s.chars().count(),
            Value::Array(blocks) => {
                for (i, blk) in blocks.iter().enumerate() {
                    let p = format!("system.{i}");
                    let o = obj(blk, &p)?;
                    if o.get("type").and_then(Value::as_str) != Some("text") {
                        return Err(invalid(format!("{p}.type: Input should be 'text'")));
                    }
                    check_text_block(o, &p)?;
                    system_chars += o["text"].as_str().unwrap_or("").chars().count();
                }
            }
            _ => return Err(invalid("system: Input should be a valid string or list")),
        }
    }
    Ok(system_chars)
}

/// `temperature`, `top_p`, `top_k`, `stop_sequences` and `metadata`.
fn sampling(b: &Map<String, Value>, model: &str) -> Result<(), ApiError> {
    if let Some(t) = b.get("temperature") {
        let t = t
            .as_f64()
            .ok_or_else(|| invalid("temperature: Input should be a valid number"))?;
        if !(0.0..=1.0).contains(&t) {
            return Err(invalid("temperature: Input should be between 0 and 1"));
        }
        if no_sampling(model) && t != 1.0 {
            return Err(invalid(format!(
                "temperature: {model} only supports the default temperature"
            )));
        }
    }
    if let Some(t) = b.get("top_p") {
        let t = t
            .as_f64()
            .ok_or_else(|| invalid("top_p: Input should be a valid number"))?;
        if !(0.0..=1.0).contains(&t) {
            return Err(invalid("top_p: Input should be between 0 and 1"));
        }
    }
    if let Some(t) = b.get("top_k") {
        t.as_u64()
            .ok_or_else(|| invalid("top_k: Input should be a valid integer >= 0"))?;
    }
    if let Some(s) = b.get("stop_sequences") {
        for (i, x) in array(s, "stop_sequences")?.iter().enumerate() {
            string(x, &format!("stop_sequences.{i}"))?;
        }
    }
    if let Some(m) = b.get("metadata") {
        let o = obj(m, "metadata")?;
        only_keys(o, &["user_id"], "metadata")?;
        if let Some(u) = o.get("user_id") {
            if !u.is_null() {
                string(u, "metadata.user_id")?;
            }
        }
    }
    Ok(())
}

/// `thinking`: returns whether extended thinking is enabled.
fn thinking(b: &Map<String, Value>, max_tokens: u64) -> Result<bool, ApiError> {
    let mut thinking_enabled = false;
    if let Some(t) = b.get("thinking") {
        let o = obj(t, "thinking")?;
        match o.get("type").and_then(Value::as_str) {
            Some("enabled") => {
                only_keys(o, &["type", "budget_tokens", "display"], "thinking")?;
                let budget = req_field(o, "budget_tokens", "thinking")?
                    .as_u64()
                    .ok_or_else(|| {
                        invalid("thinking.budget_tokens: Input should be a valid integer")
                    })?;
                if budget < 1024 || budget >= max_tokens {
                    return Err(invalid(
                        "thinking.budget_tokens: must be >= 1024 and less than max_tokens",
                    ));
                }
                thinking_enabled = true;
            }
            Some("disabled") => only_keys(o, &["type"], "thinking")?,
            Some("adaptive") => only_keys(o, &["type", "display"], "thinking")?,
            _ => {
                return Err(invalid(
                    "thinking.type: Input should be 'enabled', 'disabled' or 'adaptive'",
                ))
            }
        }
    }
    Ok(thinking_enabled)
}

/// `tools`: client tools with unique names and valid schemas. Returns (name, input_schema)
/// pairs and the section's length in characters.
fn tools(b: &Map<String, Value>) -> Result<(Vec<(String, Value)>, usize), ApiError> {
    let mut tools: Vec<(String, Value)> = Vec::new();
    let mut tools_chars = 0;
    if let Some(t) = b.get("tools") {
        tools_chars = t.to_string().chars().count();
        let mut seen = HashSet::new();
        for (i, tool) in array(t, "tools")?.iter().enumerate() {
            let p = format!("tools.{i}");
            let o = obj(tool, &p)?;
            if let Some(ty) = o.get("type") {
                if ty.as_str() != Some("custom") {
                    return Err(invalid(format!(
                        "{p}.type: the fake supports only client tools (type 'custom')"
                    )));
                }
            }
            only_keys(
                o,
                &[
                    "type",
                    "name",
                    "description",
                    "input_schema",
                    "strict",
                    "cache_control",
                    "input_examples",
                    "defer_loading",
                    "allowed_callers",
                    "eager_input_streaming",
                ],
                &p,
            )?;
            let name = string(req_field(o, "name", &p)?, &format!("{p}.name"))?;
            check_name(name, &format!("{p}.name"))?;
            if let Some(d) = o.get("description") {
                string(d, &format!("{p}.description"))?;
            }
            if let Some(s) = o.get("strict") {
                boolean(s, &format!("{p}.strict"))?;
            }
            if let Some(cc) = o.get("cache_control") {
                check_cache_control(cc, &format!("{p}.cache_control"))?;
            }
            let schema = req_field(o, "input_schema", &p)?;
            check_input_schema(schema, &format!("{p}.input_schema"))?;
            if let Some(ex) = o.get("input_examples") {
                for (j, x) in array(ex, &format!("{p}.input_examples"))?
                    .iter()
                    .enumerate()
                {
                    if !jsonschema::is_valid(schema, x) {
                        return Err(invalid(format!(
                            "{p}.input_examples.{j}: does not validate against input_schema"
                        )));
                    }
                }
            }
            if !seen.insert(name.to_string()) {
                return Err(invalid("tools: Tool names must be unique."));
            }
            tools.push((name.to_string(), schema.clone()));
        }
    }
    Ok((tools, tools_chars))
}

/// `tool_choice`, against the tools defined and the thinking setting.
fn tool_choice(
    b: &Map<String, Value>,
    tools: &[(String, Value)],
    thinking_enabled: bool,
) -> Result<Choice, ApiError> {
    let choice = match b.get("tool_choice") {
        None => {
            if tools.is_empty() {
                Choice::None
            } else {
                Choice::Auto
            }
        }
        Some(tc) => {
            let o = obj(tc, "tool_choice")?;
            let ty = o
                .get("type")
                .and_then(Value::as_str)
                .ok_or_else(|| invalid("tool_choice.type: Field required"))?;
            if let Some(d) = o.get("disable_parallel_tool_use") {
                boolean(d, "tool_choice.disable_parallel_tool_use")?;
            }
            let c = match ty {
                "tool" => {
                    only_keys(o, &["type", "name", "disable_parallel_tool_use"], "tool_choice")?;
                    let name = string(req_field(o, "name", "tool_choice")?, "tool_choice.name")?;
                    if !tools.iter().any(|(n, _)| n == name) {
                        return Err(invalid(format!(
                            "tool_choice.name: Tool '{name}' not found in tools"
                        )));
                    }
                    Choice::Tool(name.to_string())
                }
                "any" => {
                    only_keys(o, &["type", "disable_parallel_tool_use"], "tool_choice")?;
                    Choice::Any
                }
                "auto" => {
                    only_keys(o, &["type", "disable_parallel_tool_use"], "tool_choice")?;
                    Choice::Auto
                }
                "none" => {
                    only_keys(o, &["type"], "tool_choice")?;
                    Choice::None
                }
                other => {
                    return Err(invalid(format!(
                        "tool_choice.type: Input tag '{other}' found using 'type' does not match any of the expected tags: 'auto', 'any', 'tool', 'none'"
                    )))
                }
            };
            if matches!(c, Choice::Tool(_) | Choice::Any) {
                if tools.is_empty() {
                    return Err(invalid(
                        "tool_choice: tool_choice may only be specified while providing tools",
                    ));
                }
                if thinking_enabled {
                    return Err(invalid(
                        "Thinking may not be enabled when tool_choice forces tool use.",
                    ));
                }
            }
            c
        }
    };
    Ok(choice)
}

/// `messages`: roles, content, and the `tool_use` -> `tool_result` pairing between turns.
fn messages(b: &Map<String, Value>, model: &str) -> Result<(), ApiError> {
    let msgs = array(req_field(b, "messages", "")?, "messages")?;
    if msgs.is_empty() {
        return Err(invalid("messages: List should have at least 1 item"));
    }
    let mut all_ids = HashSet::new();
    let mut prev_tool_uses: Vec<String> = Vec::new();
    for (i, m) in msgs.iter().enumerate() {
        let p = format!("messages.{i}");
        let o = obj(m, &p)?;
        only_keys(o, &["role", "content"], &p)?;
        let role = string(req_field(o, "role", &p)?, &format!("{p}.role"))?;
        if role != "user" && role != "assistant" {
            return Err(invalid(format!(
                "{p}.role: Input should be 'user' or 'assistant'"
            )));
        }
        if i == 0 && role != "user" {
            return Err(invalid(
                "messages: first message must use the \"user\" role",
            ));
        }
        let turn = Turn {
            path: &p,
            role,
            last: i + 1 == msgs.len(),
            prev_tool_uses: &prev_tool_uses,
        };
        let (tool_uses, results) =
            message_content(&turn, req_field(o, "content", &p)?, &mut all_ids)?;
        // Every tool_use of the previous (assistant) message is answered here.
        if !prev_tool_uses.is_empty() {
            let missing: Vec<&String> = prev_tool_uses
                .iter()
                .filter(|u| !results.contains(u))
                .collect();
            if role != "user" || !missing.is_empty() {
                let ids: Vec<&str> = if role != "user" {
                    prev_tool_uses.iter().map(String::as_str).collect()
                } else {
                    missing.iter().map(|s| s.as_str()).collect()
                };
                return Err(unanswered_tool_uses(i - 1, &ids));
            }
        }
        prev_tool_uses = if role == "assistant" {
            tool_uses
        } else {
            Vec::new()
        };
    }
    let last_role = msgs
        .last()
        .and_then(|m| m.get("role"))
        .and_then(Value::as_str);
    if last_role == Some("assistant") {
        if no_prefill(model) {
            return Err(invalid(
                "This model does not support assistant message prefill. The conversation must end with a user message.",
            ));
        }
        if !prev_tool_uses.is_empty() {
            let ids: Vec<&str> = prev_tool_uses.iter().map(String::as_str).collect();
            return Err(unanswered_tool_uses(msgs.len() - 1, &ids));
        }
    }
    Ok(())
}

fn unanswered_tool_uses(message: usize, ids: &[&str]) -> ApiError {
    invalid(format!(
        "messages.{message}: `tool_use` ids were found without `tool_result` blocks immediately after: {}. Each `tool_use` block must have a corresponding `tool_result` block in the next message.",
        ids.join(", ")
    ))
}

/// Where a message's content sits in the conversation.
struct Turn<'a> {
    /// `messages.<i>`.
    path: &'a str,
    role: &'a str,
    /// The last message (an assistant prefill there may be empty).
    last: bool,
    /// `tool_use` ids of the previous assistant message, which this one must answer.
    prev_tool_uses: &'a [String],
}

/// One message's `content`: returns the `tool_use` ids it makes and the `tool_result` ids it
/// answers.
fn message_content(
    turn: &Turn,
    content: &Value,
    all_ids: &mut HashSet<String>,
) -> Result<(Vec<String>, Vec<String>), ApiError> {
    let p = turn.path;
    let mut tool_uses = Vec::new();
    let mut results = Vec::new();
    match content {
        Value::String(s) => {
            if s.is_empty() && !(turn.role == "assistant" && turn.last) {
                return Err(invalid(format!(
                    "{p}.content: messages must have non-empty content"
                )));
            }
        }
        Value::Array(blocks) => {
            if blocks.is_empty() {
                return Err(invalid(format!(
                    "{p}.content: List should have at least 1 item"
                )));
            }
            let mut seen_other = false;
            for (j, blk) in blocks.iter().enumerate() {
                let bp = format!("{p}.content.{j}");
                let bo = obj(blk, &bp)?;
                let ty = bo
                    .get("type")
                    .and_then(Value::as_str)
                    .ok_or_else(|| invalid(format!("{bp}.type: Field required")))?;
                match ty {
                    "text" => {
                        check_text_block(bo, &bp)?;
                        seen_other = true;
                    }
                    "tool_use" => {
                        tool_uses.push(tool_use_block(turn, bo, &bp, all_ids)?);
                        seen_other = true;
                    }
                    "tool_result" => {
                        if seen_other && turn.role == "user" {
                            return Err(invalid(format!(
                                "{p}: tool_result blocks must come first in the content, before any other block"
                            )));
                        }
                        results.push(tool_result_block(turn, bo, &bp)?);
                    }
                    other => {
                        return Err(invalid(format!(
                            "{bp}.type: Input tag '{other}' found using 'type' does not match any of the expected tags the fake supports: 'text', 'tool_use', 'tool_result'"
                        )))
                    }
                }
            }
        }
        _ => {
            return Err(invalid(format!(
                "{p}.content: Input should be a valid string or list"
            )))
        }
    }
    Ok((tool_uses, results))
}

/// A `tool_use` block (assistant turns only): returns its id, unique in the conversation.
fn tool_use_block(
    turn: &Turn,
    bo: &Map<String, Value>,
    bp: &str,
    all_ids: &mut HashSet<String>,
) -> Result<String, ApiError> {
    if turn.role != "assistant" {
        return Err(invalid(format!(
            "{bp}: tool_use blocks are only allowed in assistant messages"
        )));
    }
    only_keys(
        bo,
        &["type", "id", "name", "input", "cache_control", "caller"],
        bp,
    )?;
    let id = string(req_field(bo, "id", bp)?, &format!("{bp}.id"))?;
    if !tool_name_ok(id) {
        return Err(invalid(format!(
            "{bp}.id: String should match pattern '^[a-zA-Z0-9_-]+$'"
        )));
    }
    let name = string(req_field(bo, "name", bp)?, &format!("{bp}.name"))?;
    check_name(name, &format!("{bp}.name"))?;
    obj(req_field(bo, "input", bp)?, &format!("{bp}.input"))?;
    if !all_ids.insert(id.to_string()) {
        return Err(invalid(format!("{bp}.id: `tool_use` ids must be unique")));
    }
    Ok(id.to_string())
}

/// A `tool_result` block (user turns only): returns the `tool_use_id` it answers, which the
/// previous message must have made.
fn tool_result_block(turn: &Turn, bo: &Map<String, Value>, bp: &str) -> Result<String, ApiError> {
    if turn.role != "user" {
        return Err(invalid(format!(
            "{bp}: tool_result blocks are only allowed in user messages"
        )));
    }
    only_keys(
        bo,
        &[
            "type",
            "tool_use_id",
            "content",
            "is_error",
            "cache_control",
        ],
        bp,
    )?;
    let id = string(
        req_field(bo, "tool_use_id", bp)?,
        &format!("{bp}.tool_use_id"),
    )?;
    match bo.get("content") {
        None | Some(Value::String(_)) => {}
        Some(Value::Array(items)) => {
            for (k, it) in items.iter().enumerate() {
                let ip = format!("{bp}.content.{k}");
                let io = obj(it, &ip)?;
                if io.get("type").and_then(Value::as_str) != Some("text") {
                    return Err(invalid(format!(
                        "{ip}.type: the fake supports only text in tool results"
                    )));
                }
                check_text_block(io, &ip)?;
            }
        }
        Some(_) => {
            return Err(invalid(format!(
                "{bp}.content: Input should be a valid string or list"
            )))
        }
    }
    if let Some(e) = bo.get("is_error") {
        boolean(e, &format!("{bp}.is_error"))?;
    }
    if let Some(cc) = bo.get("cache_control") {
        check_cache_control(cc, &format!("{bp}.cache_control"))?;
    }
    if !turn.prev_tool_uses.iter().any(|u| u == id) {
        return Err(invalid(format!(
            "{bp}: unexpected `tool_use_id` found in `tool_result` blocks: {id}. Each `tool_result` block must have a corresponding `tool_use` block in the previous message."
        )));
    }
    Ok(id.to_string())
}

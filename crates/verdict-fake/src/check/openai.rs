//! `POST /v1/chat/completions` bodies: top-level keys, model and limits, tools, tool_choice
//! and messages, each checked by its own function.

use std::collections::HashSet;

use serde_json::{json, Map, Value};

use super::*;
use crate::response::{invalid, ApiError};

/// Checks a Chat Completions body section by section; the first problem is the answer.
pub(crate) fn check_openai(models: &[String], body: &Value) -> Result<Req, ApiError> {
    let b = obj(body, "body")?;
    only_keys(
        b,
        &[
            "model",
            "messages",
            "tools",
            "tool_choice",
            "parallel_tool_calls",
            "max_completion_tokens",
            "max_tokens",
            "temperature",
            "top_p",
            "n",
            "stop",
            "seed",
            "user",
            "response_format",
            "stream",
            "stream_options",
            "logprobs",
            "top_logprobs",
            "presence_penalty",
            "frequency_penalty",
            "logit_bias",
            "metadata",
            "store",
            "reasoning_effort",
            "service_tier",
            "prompt_cache_key",
            "safety_identifier",
            "verbosity",
        ],
        "",
    )?;
    let (model, max_tokens) = limits(models, b)?;
    let (tools, tools_chars) = tools(b)?;
    let choice = tool_choice(b, &tools)?;
    let system_chars = messages(b)?;
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

/// `model`, `max_tokens`/`max_completion_tokens`, `stream`, `temperature` and `n`.
fn limits(models: &[String], b: &Map<String, Value>) -> Result<(String, u64), ApiError> {
    let model = check_model(models, b.get("model"))?;
    if b.contains_key("max_tokens") && b.contains_key("max_completion_tokens") {
        return Err(invalid(
            "max_tokens: set either max_tokens or max_completion_tokens, not both",
        ));
    }
    let max_tokens = match b.get("max_completion_tokens").or(b.get("max_tokens")) {
        None => 4096,
        Some(v) => match v.as_u64() {
            Some(n) if n >= 1 => n,
            _ => {
                return Err(invalid(
                    "max_completion_tokens: Input should be an integer >= 1",
                ))
            }
        },
    };
    if b.get("stream").and_then(Value::as_bool) == Some(true) {
        return Err(invalid("stream: the fake server does not stream"));
    }
    if let Some(t) = b.get("temperature") {
        let t = t
            .as_f64()
            .ok_or_else(|| invalid("temperature: Input should be a valid number"))?;
        if !(0.0..=2.0).contains(&t) {
            return Err(invalid("temperature: Input should be between 0 and 2"));
        }
    }
    if let Some(n) = b.get("n") {
        if n.as_u64() != Some(1) {
            return Err(invalid("n: the fake answers n = 1 only"));
        }
    }
    Ok((model, max_tokens))
}

/// `tools`: functions with unique names and valid parameter schemas. Returns (name,
/// parameters) pairs and the section's length in characters.
fn tools(b: &Map<String, Value>) -> Result<(Vec<(String, Value)>, usize), ApiError> {
    let mut tools: Vec<(String, Value)> = Vec::new();
    let mut tools_chars = 0;
    if let Some(t) = b.get("tools") {
        tools_chars = t.to_string().chars().count();
        let mut seen = HashSet::new();
        for (i, tool) in array(t, "tools")?.iter().enumerate() {
            let p = format!("tools.{i}");
            let o = obj(tool, &p)?;
            only_keys(o, &["type", "function"], &p)?;
            if o.get("type").and_then(Value::as_str) != Some("function") {
                return Err(invalid(format!("{p}.type: Input should be 'function'")));
            }
            let fp = format!("{p}.function");
            let f = obj(req_field(o, "function", &p)?, &fp)?;
            only_keys(f, &["name", "description", "parameters", "strict"], &fp)?;
            let name = string(req_field(f, "name", &fp)?, &format!("{fp}.name"))?;
            check_name(name, &format!("{fp}.name"))?;
            if let Some(d) = f.get("description") {
                string(d, &format!("{fp}.description"))?;
            }
            if let Some(s) = f.get("strict") {
                boolean(s, &format!("{fp}.strict"))?;
            }
            let schema = f
                .get("parameters")
                .cloned()
                .unwrap_or_else(|| json!({"type": "object", "properties": {}}));
            check_input_schema(&schema, &format!("{fp}.parameters"))?;
            if !seen.insert(name.to_string()) {
                return Err(invalid(format!("{fp}.name: tool names must be unique")));
            }
            tools.push((name.to_string(), schema));
        }
    }
    Ok((tools, tools_chars))
}

/// `tool_choice` and `parallel_tool_calls`, against the tools defined.
fn tool_choice(b: &Map<String, Value>, tools: &[(String, Value)]) -> Result<Choice, ApiError> {
    let choice = match b.get("tool_choice") {
        None => {
            if tools.is_empty() {
                Choice::None
            } else {
                Choice::Auto
            }
        }
        Some(Value::String(s)) => match s.as_str() {
            "none" => Choice::None,
            "auto" => Choice::Auto,
            "required" => Choice::Any,
            other => {
                return Err(invalid(format!(
                    "tool_choice: Invalid value '{other}': expected 'none', 'auto' or 'required'"
                )))
            }
        },
        Some(v) => {
            let o = obj(v, "tool_choice")?;
            only_keys(o, &["type", "function"], "tool_choice")?;
            if o.get("type").and_then(Value::as_str) != Some("function") {
                return Err(invalid("tool_choice.type: Input should be 'function'"));
            }
            let f = obj(
                req_field(o, "function", "tool_choice")?,
                "tool_choice.function",
            )?;
            only_keys(f, &["name"], "tool_choice.function")?;
            let name = string(
                req_field(f, "name", "tool_choice.function")?,
                "tool_choice.function.name",
            )?;
            if !tools.iter().any(|(n, _)| n == name) {
                return Err(invalid(format!(
                    "tool_choice.function.name: Tool '{name}' not found in tools"
                )));
            }
            Choice::Tool(name.to_string())
        }
    };
    if matches!(choice, Choice::Tool(_) | Choice::Any) && tools.is_empty() {
        return Err(invalid(
            "tool_choice: 'tool_choice' is only allowed when 'tools' are specified",
        ));
    }
    if let Some(p) = b.get("parallel_tool_calls") {
        boolean(p, "parallel_tool_calls")?;
        if tools.is_empty() {
            return Err(invalid(
                "parallel_tool_calls: 'parallel_tool_calls' is only allowed when 'tools' are specified",
            ));
        }
    }
    Ok(choice)
}

/// `messages`: roles, content parts, and every assistant `tool_calls` id answered by a `tool`
/// message before the next other message. Returns the system/developer text's length.
fn messages(b: &Map<String, Value>) -> Result<usize, ApiError> {
    let msgs = array(req_field(b, "messages", "")?, "messages")?;
    if msgs.is_empty() {
        return Err(invalid("messages: List should have at least 1 item"));
    }
    let mut system_chars = 0;
    let mut pending: Vec<String> = Vec::new();
    let mut all_ids = HashSet::new();
    for (i, m) in msgs.iter().enumerate() {
        let p = format!("messages.{i}");
        let o = obj(m, &p)?;
        let role = string(req_field(o, "role", &p)?, &format!("{p}.role"))?;
        if !pending.is_empty() && role != "tool" {
            return Err(invalid(format!(
                "{p}: An assistant message with 'tool_calls' must be followed by tool messages responding to each 'tool_call_id'. The following tool_call_ids did not have response messages: {}",
                pending.join(", ")
            )));
        }
        match role {
            "system" | "developer" | "user" => {
                only_keys(o, &["role", "content", "name"], &p)?;
                let c = req_field(o, "content", &p)?;
                content(c, false, &p)?;
                if role != "user" {
                    system_chars += c.as_str().map_or(0, |s| s.chars().count());
                }
            }
            "assistant" => assistant_message(o, &p, &mut all_ids, &mut pending)?,
            "tool" => {
                only_keys(o, &["role", "content", "tool_call_id"], &p)?;
                content(req_field(o, "content", &p)?, false, &p)?;
                let id = string(
                    req_field(o, "tool_call_id", &p)?,
                    &format!("{p}.tool_call_id"),
                )?;
                match pending.iter().position(|x| x == id) {
                    Some(k) => {
                        pending.remove(k);
                    }
                    None => {
                        return Err(invalid(format!(
                            "{p}: Invalid parameter: messages with role 'tool' must be a response to a preceeding message with 'tool_calls' (unknown tool_call_id {id})"
                        )))
                    }
                }
            }
            other => {
                return Err(invalid(format!(
                    "{p}.role: Input should be 'system', 'developer', 'user', 'assistant' or 'tool', not '{other}'"
                )))
            }
        }
    }
    if !pending.is_empty() {
        return Err(invalid(format!(
            "messages: tool calls without tool messages: {}",
            pending.join(", ")
        )));
    }
    Ok(system_chars)
}

/// A message's `content`: a string, a list of text parts, or (assistant only) null.
fn content(c: &Value, allow_null: bool, p: &str) -> Result<(), ApiError> {
    match c {
        Value::String(_) => Ok(()),
        Value::Null if allow_null => Ok(()),
        Value::Array(parts) => {
            for (k, part) in parts.iter().enumerate() {
                let pp = format!("{p}.content.{k}");
                let po = obj(part, &pp)?;
                only_keys(po, &["type", "text"], &pp)?;
                if po.get("type").and_then(Value::as_str) != Some("text") {
                    return Err(invalid(format!(
                        "{pp}.type: the fake supports only text parts"
                    )));
                }
                string(req_field(po, "text", &pp)?, &format!("{pp}.text"))?;
            }
            Ok(())
        }
        _ => Err(invalid(format!(
            "{p}.content: Input should be a valid string or list"
        ))),
    }
}

/// An assistant message: content or `tool_calls`; each call's id joins `pending` until a
/// `tool` message answers it.
fn assistant_message(
    o: &Map<String, Value>,
    p: &str,
    all_ids: &mut HashSet<String>,
    pending: &mut Vec<String>,
) -> Result<(), ApiError> {
    only_keys(o, &["role", "content", "name", "tool_calls", "refusal"], p)?;
    if let Some(c) = o.get("content") {
        content(c, true, p)?;
    }
    let Some(calls) = o.get("tool_calls") else {
        if o.get("content").is_none_or(Value::is_null) {
            return Err(invalid(format!(
                "{p}: an assistant message needs content or tool_calls"
            )));
        }
        return Ok(());
    };
    for (k, call) in array(calls, &format!("{p}.tool_calls"))?.iter().enumerate() {
        let cp = format!("{p}.tool_calls.{k}");
        let co = obj(call, &cp)?;
        only_keys(co, &["id", "type", "function"], &cp)?;
        let id = string(req_field(co, "id", &cp)?, &format!("{cp}.id"))?;
        if co.get("type").and_then(Value::as_str) != Some("function") {
            return Err(invalid(format!("{cp}.type: Input should be 'function'")));
        }
        let fp = format!("{cp}.function");
        let f = obj(req_field(co, "function", &cp)?, &fp)?;
        only_keys(f, &["name", "arguments"], &fp)?;
        check_name(
            string(req_field(f, "name", &fp)?, &format!("{fp}.name"))?,
            &format!("{fp}.name"),
        )?;
        string(req_field(f, "arguments", &fp)?, &format!("{fp}.arguments"))?;
        if !all_ids.insert(id.to_string()) {
            return Err(invalid(format!("{cp}.id: duplicate tool call id {id}")));
        }
        pending.push(id.to_string());
    }
    Ok(())
}

//! What the fake answers: a valid call of the requested tool whose input is generated from
//! the tool's schema (a stable hash of the ticket text), scripted answers merged over it,
//! the gold-aware choice of labels, and the two wire shapes of a success body.

use serde_json::{json, Map, Value};

use crate::check::{join, Choice, Req};
use crate::gold::{self, GoldDecision};
use crate::state::Shared;
use crate::{Answer, Fault, Provider};

// ---------------------------------------------------------------------------------------
// Answers

/// FNV-1a, stable across runs and platforms.
fn hash(parts: &[&str]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for p in parts {
        for b in p.bytes().chain(std::iter::once(0xff)) {
            h ^= b as u64;
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    h
}

/// A value valid against `schema`, chosen by the hash of `ticket` and `path`.
pub fn generate(schema: &Value, ticket: &str, path: &str) -> Value {
    let h = hash(&[ticket, path]);
    if let Some(choices) = schema.get("enum").and_then(Value::as_array) {
        if !choices.is_empty() {
            return choices[(h % choices.len() as u64) as usize].clone();
        }
    }
    if let Some(c) = schema.get("const") {
        return c.clone();
    }
    let ty = match schema.get("type") {
        Some(Value::String(s)) => s.as_str(),
        Some(Value::Array(ts)) => ts
            .iter()
            .filter_map(Value::as_str)
            .find(|t| *t != "null")
            .unwrap_or("null"),
        _ if schema.get("properties").is_some() => "object",
        _ => "string",
    };
    match ty {
        "object" => {
            let mut out = Map::new();
            if let Some(props) = schema.get("properties").and_then(Value::as_object) {
                for (k, s) in props {
                    out.insert(k.clone(), generate(s, ticket, &join(path, k)));
                }
            }
            Value::Object(out)
        }
        "array" => {
            let item = schema.get("items").cloned().unwrap_or(json!({}));
            let min = schema.get("minItems").and_then(Value::as_u64).unwrap_or(0);
            let n = if min > 0 {
                min
            } else {
                ((h >> 8) & 1) + u64::from(h.is_multiple_of(5))
            };
            let mut out: Vec<Value> = Vec::new();
            for i in 0..n.max(min) {
                let v = generate(&item, ticket, &join(path, i));
                if !out.contains(&v) {
                    out.push(v);
                }
            }
            Value::Array(out)
        }
        "number" => {
            let lo = schema.get("minimum").and_then(Value::as_f64).unwrap_or(0.0);
            let hi = schema
                .get("maximum")
                .and_then(Value::as_f64)
                .unwrap_or(1.0)
                .max(lo);
            // Upper half of the range, two decimals: looks like a confidence.
            let frac = ((h >> 16) % 1000) as f64 / 1000.0;
            let v = lo + (hi - lo) * (0.5 + 0.5 * frac);
            json!(((v * 100.0).round() / 100.0).clamp(lo, hi))
        }
        "integer" => {
            let lo = schema.get("minimum").and_then(Value::as_i64).unwrap_or(0);
            let hi = schema
                .get("maximum")
                .and_then(Value::as_i64)
                .unwrap_or(lo + 10)
                .max(lo);
            json!(lo + ((h >> 16) % ((hi - lo) as u64 + 1)) as i64)
        }
        "boolean" => json!((h >> 3) & 1 == 0),
        "null" => Value::Null,
        _ => json!(format!("fake answer {}", h % 1000)),
    }
}

/// Sets the first enum-constrained property to a value outside its enum.
fn break_enum(schema: &Value, input: &mut Value) {
    if let (Some(props), Some(obj)) = (
        schema.get("properties").and_then(Value::as_object),
        input.as_object_mut(),
    ) {
        for (k, s) in props {
            if s.get("enum").is_some() {
                obj.insert(k.clone(), json!("not_a_valid_value"));
                return;
            }
            if let Some(items) = s.get("items") {
                if items.get("enum").is_some() {
                    obj.insert(k.clone(), json!(["not_a_valid_value"]));
                    return;
                }
            }
        }
        // No enum: a wrong type for the first property.
        if let Some(k) = props.keys().next() {
            obj.insert(k.clone(), json!({"unexpected": true}));
        }
    }
}

/// What a success answer will say, decided before any fault shapes it.
pub(crate) struct Planned {
    /// `None`: answer with text only.
    tool: Option<String>,
    input: Value,
    /// The gold-aware mode's decision, when it found the ticket.
    pub(crate) gold: Option<GoldDecision>,
}

/// The answer to a valid request: the generated tool input, then the gold-aware mode's
/// labels, then a scripted answer over both.
pub(crate) fn plan(st: &Shared, req: &Req, ticket: &str) -> Planned {
    let scripted = st.answer_for(ticket);
    let tool = match &req.choice {
        Choice::None => None,
        Choice::Tool(name) => Some(name.clone()),
        Choice::Any | Choice::Auto => scripted
            .as_ref()
            .and_then(|a| a.tool.clone())
            .filter(|t| req.tools.iter().any(|(n, _)| n == t))
            .or_else(|| req.tools.first().map(|(n, _)| n.clone())),
    };
    let Some(tool) = tool else {
        return Planned {
            tool: None,
            input: Value::Null,
            gold: None,
        };
    };
    let schema = &req
        .tools
        .iter()
        .find(|(n, _)| *n == tool)
        .expect("tool exists")
        .1;
    let mut input = generate(schema, ticket, "");
    let gold = st.config.gold.as_ref().and_then(|mode| {
        let conv = &req.conversation;
        let found = mode.gold.find(conv.user_turns.iter().map(String::as_str))?;
        let accuracy = mode.accuracy_for(&conv.system, &req.model);
        let variant = format!("{}\u{1f}{}", req.model, conv.system);
        Some(gold::apply(
            mode, found, accuracy, &variant, schema, &mut input,
        ))
    });
    if let Some(Answer {
        input: Value::Object(over),
        ..
    }) = scripted
    {
        if let Some(obj) = input.as_object_mut() {
            for (k, v) in over {
                obj.insert(k, v);
            }
        }
    }
    Planned {
        tool: Some(tool),
        input,
        gold,
    }
}

fn usage_numbers(req: &Req, output: &Value) -> (u64, u64, u64, u64) {
    let total = (req.body_chars as u64).div_ceil(4).max(1);
    let cache_read = (req.system_chars as u64 / 4).min(total / 2);
    let cache_write = (req.tools_chars as u64 / 4).min(total / 4);
    let input = total - cache_read - cache_write;
    let out = (output.to_string().chars().count() as u64).div_ceil(4) + 12;
    (
        input,
        out.min(req.max_tokens.max(1)),
        cache_read,
        cache_write,
    )
}

pub(crate) fn answer_body(
    provider: Provider,
    req: &Req,
    mut planned: Planned,
    fault: Option<&Fault>,
    n: u64,
) -> Value {
    if let (Some(Fault::BadEnum | Fault::BadJsonArgs), Some(tool)) = (fault, &planned.tool) {
        let schema = &req.tools.iter().find(|(n, _)| n == tool).expect("tool").1;
        if !(provider == Provider::OpenAi && fault == Some(&Fault::BadJsonArgs)) {
            break_enum(schema, &mut planned.input);
        }
    }
    match provider {
        Provider::OpenAi => openai_answer(req, planned, fault, n),
        _ => anthropic_answer(req, planned, fault, n),
    }
}

fn anthropic_answer(req: &Req, planned: Planned, fault: Option<&Fault>, n: u64) -> Value {
    let tool_block = |name: &str, input: &Value, k: u32| json!({"type": "tool_use", "id": format!("toolu_fake_{n}_{k}"), "name": name, "input": input});
    let (content, stop, stop_details) = match (fault, &planned.tool) {
        (Some(Fault::Refusal), _) => (
            json!([]),
            "refusal",
            json!({"type": "refusal", "category": null, "explanation": "The fake was asked to refuse."}),
        ),
        (Some(Fault::MaxTokens), Some(t)) => (
            json!([tool_block(t, &json!({}), 1)]),
            "max_tokens",
            Value::Null,
        ),
        (Some(Fault::MaxTokens), None) => (
            json!([{"type": "text", "text": "This ticket is about"}]),
            "max_tokens",
            Value::Null,
        ),
        (Some(Fault::NoTool), _) | (_, None) => (
            json!([{"type": "text", "text": "This looks like a question for the billing team."}]),
            "end_turn",
            Value::Null,
        ),
        (Some(Fault::WrongTool), Some(_)) => (
            json!([tool_block("not_a_defined_tool", &json!({"x": 1}), 1)]),
            "tool_use",
            Value::Null,
        ),
        (Some(Fault::TwoTools), Some(t)) => (
            json!([
                tool_block("not_a_defined_tool", &json!({"x": 1}), 1),
                tool_block(t, &planned.input, 2)
            ]),
            "tool_use",
            Value::Null,
        ),
        (_, Some(t)) => (
            json!([tool_block(t, &planned.input, 1)]),
            "tool_use",
            Value::Null,
        ),
    };
    let (input, output, cache_read, cache_write) = usage_numbers(req, &content);
    json!({
        "id": format!("msg_fake_{n}"),
        "type": "message",
        "role": "assistant",
        "model": req.model,
        "content": content,
        "stop_reason": stop,
        "stop_sequence": null,
        "stop_details": stop_details,
        "usage": {
            "input_tokens": input,
            "output_tokens": output,
            "cache_creation_input_tokens": cache_write,
            "cache_read_input_tokens": cache_read,
            "cache_creation": {"ephemeral_5m_input_tokens": cache_write, "ephemeral_1h_input_tokens": 0},
            "server_tool_use": null,
            "service_tier": "standard"
        }
    })
}

fn openai_answer(req: &Req, planned: Planned, fault: Option<&Fault>, n: u64) -> Value {
    let call = |name: &str, args: String, k: u32| {
        json!({"id": format!("call_fake_{n}_{k}"), "type": "function",
               "function": {"name": name, "arguments": args}})
    };
    let named = matches!(req.choice, Choice::Tool(_));
    let done = if named { "stop" } else { "tool_calls" };
    let text = |s: &str| json!({"role": "assistant", "content": s, "refusal": null});
    let (message, finish) = match (fault, &planned.tool) {
        (Some(Fault::Refusal), _) => (
            json!({"role": "assistant", "content": null, "refusal": "I'm sorry, I can't help with that."}),
            "stop",
        ),
        (Some(Fault::MaxTokens), Some(t)) => {
            let full = planned.input.to_string();
            let cut = full[..full.len() / 2].to_string();
            (
                json!({"role": "assistant", "content": null, "refusal": null,
                       "tool_calls": [call(t, cut, 1)]}),
                "length",
            )
        }
        (Some(Fault::MaxTokens), None) => (text("This ticket is about"), "length"),
        (Some(Fault::NoTool), _) | (_, None) => (
            text("This looks like a question for the billing team."),
            "stop",
        ),
        (Some(Fault::BadJsonArgs), Some(t)) => (
            json!({"role": "assistant", "content": null, "refusal": null,
                   "tool_calls": [call(t, "{\"department\": billing,".into(), 1)]}),
            done,
        ),
        (Some(Fault::WrongTool), Some(_)) => (
            json!({"role": "assistant", "content": null, "refusal": null,
                   "tool_calls": [call("not_a_defined_tool", "{\"x\":1}".into(), 1)]}),
            done,
        ),
        (Some(Fault::TwoTools), Some(t)) => (
            json!({"role": "assistant", "content": null, "refusal": null,
                   "tool_calls": [call("not_a_defined_tool", "{\"x\":1}".into(), 1),
                                  call(t, planned.input.to_string(), 2)]}),
            done,
        ),
        (_, Some(t)) => (
            json!({"role": "assistant", "content": null, "refusal": null,
                   "tool_calls": [call(t, planned.input.to_string(), 1)]}),
            done,
        ),
    };
    let (input, output, cache_read, _) = usage_numbers(req, &message);
    let prompt = input + cache_read;
    json!({
        "id": format!("chatcmpl-fake-{n}"),
        "object": "chat.completion",
        "created": 1_767_225_600,
        "model": req.model,
        "choices": [{"index": 0, "message": message, "logprobs": null, "finish_reason": finish}],
        "usage": {
            "prompt_tokens": prompt,
            "completion_tokens": output,
            "total_tokens": prompt + output,
            "prompt_tokens_details": {"cached_tokens": cache_read},
            "completion_tokens_details": {"reasoning_tokens": 0}
        },
        "system_fingerprint": "fp_fake"
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_inputs_validate_and_are_stable() {
        let schema = json!({"type": "object", "properties": {
            "department": {"type": "string", "enum": ["a", "b", "c"]},
            "intents": {"type": "array", "items": {"type": "string", "enum": ["x", "y"]}},
            "confidence": {"type": "number", "minimum": 0, "maximum": 1},
            "flag": {"type": "boolean"},
            "reason": {"type": "string"}
        }, "required": ["department", "intents", "confidence", "flag", "reason"],
        "additionalProperties": false});
        for t in ["one", "two", "three", "four", "five", "six"] {
            let v = generate(&schema, t, "");
            assert!(jsonschema::is_valid(&schema, &v), "{v}");
            assert_eq!(v, generate(&schema, t, ""));
        }
    }
}

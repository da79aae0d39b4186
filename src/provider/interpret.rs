//! Turning a tool call into an [`Interpreted`] outcome (pure, so a cached body reads the same
//! way as a fresh one): the part both wire formats share. [`super::interpret`] dispatches a
//! response body to the wire format's reader (`anthropic.rs`, `openai.rs`), which calls here.
//!
//! A classification is accepted only from a call of a tool the variant defines whose input
//! validates against that tool's JSON Schema. Then the tool's `outputs` (gold field ← tool
//! property) and `sets` (gold field ← constant; `sets` wins over `outputs`) become gold-field
//! values, normalized through the gold field (a `labels` list comes back sorted by the
//! field's order, without duplicates), and `confidence` is read from the tool's confidence
//! property.
//!
//! When a response has several tool calls, the first call of a known tool is used and, the
//! outcome being `ok`, `error` holds a note saying so (the only place [`Interpreted`] has for
//! it).

use serde_json::{Map, Value};

use super::Interpreted;
use crate::eval_log::{Outcome, Usage};
use crate::gold::{Field, GoldValue};
use crate::variant::LlmSpec;

/// A tool call as read from a response; `input` is `Err` when it could not be parsed.
pub(crate) struct ToolCall {
    pub name: String,
    pub input: Result<Value, String>,
}

/// At most 200 characters of `s`, on one line.
pub(crate) fn snippet(s: &str) -> String {
    let one_line: String = s
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let mut out: String = one_line.chars().take(200).collect();
    if one_line.chars().count() > 200 {
        out.push('…');
    }
    out
}

pub(crate) fn no_tool_call(error: String, usage: Option<Usage>) -> Interpreted {
    Interpreted {
        outcome: Outcome::NoToolCall,
        outputs: Map::new(),
        confidence: None,
        tool: None,
        raw: None,
        usage,
        error: Some(error),
    }
}

/// Picks the first call of a known tool, validates it and maps it to gold fields.
pub(crate) fn accept_tool_call(
    spec: &LlmSpec,
    schemas: &ToolSchemas,
    gold_fields: &[Field],
    calls: &[ToolCall],
    usage: Option<Usage>,
) -> Interpreted {
    let known = calls
        .iter()
        .enumerate()
        .find(|(_, c)| spec.tool(&c.name).is_some());
    let Some((index, call)) = known else {
        let names: Vec<&str> = calls.iter().map(|c| c.name.as_str()).collect();
        let raw = calls.first().and_then(|c| c.input.as_ref().ok().cloned());
        return Interpreted {
            tool: calls.first().map(|c| c.name.clone()),
            raw,
            ..no_tool_call(
                format!(
                    "called {} which the variant does not define (tools: {})",
                    names.join(", "),
                    spec.tools
                        .iter()
                        .map(|t| t.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                usage,
            )
        };
    };
    let tool_index = spec
        .tools
        .iter()
        .position(|t| t.name == call.name)
        .expect("checked above");
    let tool = &spec.tools[tool_index];
    let fail = |error: String, raw: Option<Value>| Interpreted {
        outcome: Outcome::InvalidOutput,
        outputs: Map::new(),
        confidence: None,
        tool: Some(tool.name.clone()),
        raw,
        usage,
        error: Some(error),
    };
    let input = match &call.input {
        Ok(v) => v.clone(),
        Err(e) => return fail(e.clone(), None),
    };
    if let Err(e) = schemas.validate(tool_index, &input) {
        return fail(format!("{}: {e}", tool.name), Some(input));
    }
    let mut outputs = Map::new();
    for (field, prop) in &tool.outputs {
        let Some(v) = input.get(prop) else { continue };
        match normalize(gold_fields, field, v) {
            Ok(v) => {
                outputs.insert(field.clone(), v);
            }
            Err(e) => {
                return fail(
                    format!(
                        "{}: property `{prop}` = {}: {e}",
                        tool.name,
                        snippet(&v.to_string())
                    ),
                    Some(input),
                )
            }
        }
    }
    for (field, v) in &tool.sets {
        match normalize(gold_fields, field, v) {
            Ok(v) => {
                outputs.insert(field.clone(), v);
            }
            Err(e) => {
                return fail(
                    format!("{}: `sets.{field}` = {v}: {e}", tool.name),
                    Some(input),
                )
            }
        }
    }
    let confidence = tool
        .confidence
        .as_ref()
        .and_then(|p| input.get(p))
        .and_then(Value::as_f64);
    let note = (calls.len() > 1).then(|| {
        format!(
            "note: {} tool calls ({}); used call {} ({})",
            calls.len(),
            calls
                .iter()
                .map(|c| c.name.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            index + 1,
            tool.name
        )
    });
    Interpreted {
        outcome: Outcome::Ok,
        outputs,
        confidence,
        tool: Some(tool.name.clone()),
        raw: Some(input),
        usage,
        error: note,
    }
}

/// A value for gold field `field`, in the journal's form; fields the gold set lacks pass as
/// they are.
fn normalize(gold_fields: &[Field], field: &str, v: &Value) -> Result<Value, String> {
    match gold_fields.iter().find(|f| f.name == field) {
        Some(f) => GoldValue::from_json(f, v).map(|g| g.to_json(f)),
        None => Ok(v.clone()),
    }
}

/// The compiled JSON Schemas of a variant's tools, in the order of `spec.tools`: compiled
/// once when a variant's executor is built, before any request, and used for every response.
/// A schema that does not compile (config checks make this unlikely) is kept as its error, so
/// each response of that tool says why it cannot be validated.
pub struct ToolSchemas {
    compiled: Vec<Result<jsonschema::Validator, String>>,
}

impl ToolSchemas {
    /// Compiles the input schema of every tool of `spec`.
    pub fn compile(spec: &LlmSpec) -> Self {
        ToolSchemas {
            compiled: spec
                .tools
                .iter()
                .map(|t| jsonschema::validator_for(&t.input_schema).map_err(|e| e.to_string()))
                .collect(),
        }
    }

    /// Validates `input` against the schema of the tool at `index` in `spec.tools`.
    fn validate(&self, index: usize, input: &Value) -> Result<(), String> {
        match &self.compiled[index] {
            Ok(v) => validate_with(v, input),
            Err(e) => Err(format!(
                "the tool's input_schema is not a valid schema: {e}"
            )),
        }
    }
}

/// Validates `input` against `schema`, compiling it for this one call (a tool's schema is
/// compiled once per run in [`ToolSchemas`]). The error names each failing field with its
/// value.
pub fn validate(schema: &Value, input: &Value) -> Result<(), String> {
    match jsonschema::validator_for(schema) {
        Ok(v) => validate_with(&v, input),
        Err(e) => Err(format!(
            "the tool's input_schema is not a valid schema: {e}"
        )),
    }
}

/// Validates `input` with a compiled schema; the error names each failing field and value.
fn validate_with(validator: &jsonschema::Validator, input: &Value) -> Result<(), String> {
    let problems: Vec<String> = validator
        .iter_errors(input)
        .map(|e| {
            let path = e
                .instance_path
                .as_str()
                .trim_start_matches('/')
                .replace('/', ".");
            if path.is_empty() {
                format!("{e}")
            } else {
                format!("field `{path}` = {}: {e}", snippet(&e.instance.to_string()))
            }
        })
        .collect();
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("; "))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::gold::FieldKind;
    use crate::provider::interpret;
    use crate::variant::{ProviderKind, Tool, ToolChoice};

    fn spec() -> LlmSpec {
        LlmSpec {
            model: "m".into(),
            max_tokens: 100,
            temperature: None,
            base_url: None,
            api_key_env: None,
            system: None,
            user: crate::template::UserTemplate::parse("{{text}}").unwrap(),
            tools: vec![
                Tool {
                    name: "classify".into(),
                    description: None,
                    input_schema: json!({"type": "object", "properties": {
                        "dept": {"type": "string", "enum": ["billing", "tech", "legal"]},
                        "tags": {"type": "array", "items": {"type": "string"}},
                        "conf": {"type": "number"}},
                        "required": ["dept"], "additionalProperties": false}),
                    outputs: vec![
                        ("department".into(), "dept".into()),
                        ("intents".into(), "tags".into()),
                    ],
                    confidence: Some("conf".into()),
                    sets: vec![],
                },
                Tool {
                    name: "escalate".into(),
                    description: None,
                    input_schema: json!({"type": "object"}),
                    outputs: vec![],
                    confidence: None,
                    sets: vec![("human".into(), json!(true))],
                },
            ],
            tool_choice: ToolChoice::Any,
            examples: vec![],
        }
    }

    fn gold() -> Vec<Field> {
        vec![
            Field {
                name: "department".into(),
                kind: FieldKind::Label,
                values: vec!["billing".into(), "tech".into()],
            },
            Field {
                name: "intents".into(),
                kind: FieldKind::Labels,
                values: vec!["a".into(), "b".into()],
            },
            Field {
                name: "human".into(),
                kind: FieldKind::Flag,
                values: vec![],
            },
        ]
    }

    fn anthropic(content: Value, stop: &str) -> Value {
        json!({"content": content, "stop_reason": stop,
               "usage": {"input_tokens": 10, "output_tokens": 2, "cache_read_input_tokens": null}})
    }

    fn run(body: &Value) -> Interpreted {
        interpret(ProviderKind::Anthropic, &spec(), &gold(), body)
    }

    #[test]
    fn ok_with_text_before_the_tool_and_normalized_labels() {
        let i = run(&anthropic(
            json!([{"type": "text", "text": "Sure."},
                   {"type": "tool_use", "id": "t", "name": "classify",
                    "input": {"dept": "tech", "tags": ["b", "a", "b"], "conf": 0.7}}]),
            "tool_use",
        ));
        assert_eq!(i.outcome, Outcome::Ok, "{i:?}");
        assert_eq!(
            Value::Object(i.outputs),
            json!({"department": "tech", "intents": ["a", "b"]})
        );
        assert_eq!(i.confidence, Some(0.7));
        assert_eq!(i.error, None);
        let u = i.usage.unwrap();
        assert_eq!(
            (u.input_tokens, u.output_tokens, u.cache_read_input_tokens),
            (10, 2, 0)
        );
    }

    #[test]
    fn sets_and_schema_and_gold_mismatches() {
        let i = run(&anthropic(
            json!([{"type": "tool_use", "id": "t", "name": "escalate", "input": {}}]),
            "tool_use",
        ));
        assert_eq!(Value::Object(i.outputs), json!({"human": true}));
        // In the schema's enum but not a gold value: invalid_output naming both.
        let i = run(&anthropic(
            json!([{"type": "tool_use", "id": "t", "name": "classify", "input": {"dept": "legal"}}]),
            "tool_use",
        ));
        assert_eq!(i.outcome, Outcome::InvalidOutput);
        let e = i.error.unwrap();
        assert!(e.contains("dept") && e.contains("legal"), "{e}");
        // Missing required property and an extra one.
        let i = run(&anthropic(
            json!([{"type": "tool_use", "id": "t", "name": "classify", "input": {"x": 1}}]),
            "tool_use",
        ));
        assert_eq!(i.outcome, Outcome::InvalidOutput);
        let e = i.error.unwrap();
        assert!(e.contains("dept") && e.contains("x"), "{e}");
        // Wrong type, nested path.
        let i = run(&anthropic(
            json!([{"type": "tool_use", "id": "t", "name": "classify",
                    "input": {"dept": "tech", "tags": ["a", 3]}}]),
            "tool_use",
        ));
        let e = i.error.unwrap();
        assert!(e.contains("field `tags.1` = 3"), "{e}");
    }

    #[test]
    fn stop_reasons_and_missing_content() {
        let tool =
            json!([{"type": "tool_use", "id": "t", "name": "classify", "input": {"dept": "tech"}}]);
        assert_eq!(
            run(&anthropic(tool.clone(), "max_tokens")).outcome,
            Outcome::MaxTokens
        );
        assert_eq!(
            run(&anthropic(json!([]), "refusal")).outcome,
            Outcome::Refusal
        );
        assert_eq!(
            run(&anthropic(
                json!([{"type": "text", "text": "hi"}]),
                "end_turn"
            ))
            .outcome,
            Outcome::NoToolCall
        );
        assert_eq!(run(&json!({"weird": true})).outcome, Outcome::NoToolCall);
    }

    #[test]
    fn openai_forms() {
        let run = |body: Value| interpret(ProviderKind::OpenAi, &spec(), &gold(), &body);
        let call = |args: Value| {
            json!({"choices": [{"finish_reason": "stop", "message": {"role": "assistant", "content": null,
                "tool_calls": [{"id": "c", "type": "function", "function": {"name": "classify", "arguments": args}}]}}],
                "usage": {"prompt_tokens": 100, "completion_tokens": 5, "prompt_tokens_details": {"cached_tokens": 60}}})
        };
        let i = run(call(json!("{\"dept\":\"billing\"}")));
        assert_eq!(i.outcome, Outcome::Ok, "{i:?}");
        let u = i.usage.unwrap();
        assert_eq!(
            (u.input_tokens, u.cache_read_input_tokens, u.output_tokens),
            (40, 60, 5)
        );
        // Some servers send the arguments as an object.
        assert_eq!(run(call(json!({"dept": "billing"}))).outcome, Outcome::Ok);
        assert_eq!(
            run(call(json!("{\"dept\":"))).outcome,
            Outcome::InvalidOutput
        );
        let mut b = call(json!("{}"));
        b["choices"][0]["finish_reason"] = json!("content_filter");
        assert_eq!(run(b).outcome, Outcome::Refusal);
        let mut b = call(json!("{\"dept\":\"billing\"}"));
        b["choices"][0]["finish_reason"] = json!("length");
        assert_eq!(run(b).outcome, Outcome::MaxTokens);
        assert_eq!(run(json!({"choices": []})).outcome, Outcome::NoToolCall);
    }
}

//! The LLM variant's tool contract: its `tools` (JSON Schema, `$ref`s, `outputs` checked
//! against the gold fields' labels), its `tool_choice` and its few-shot `examples`.

use super::gold_values;
use super::unknown_field;
use crate::config::check::{did_you_mean, index, list, Checker};
use crate::gold::{FieldKind, GoldSet};
use crate::variant::{Example, Tool, ToolChoice};
use crate::yaml::{Node, Pos, Value};

const TOOL_KEYS: &[&str] = &[
    "name",
    "description",
    "input_schema",
    "outputs",
    "confidence",
    "sets",
];

pub(super) fn read_tools(
    c: &mut Checker,
    node: &Node,
    gold: Option<&GoldSet>,
) -> Option<Vec<Tool>> {
    let items = c.seq(node, "tools")?;
    if items.is_empty() {
        c.error(Some(node.pos), "tools", "list at least one tool");
        return None;
    }
    let mut tools = Vec::new();
    let mut ok = true;
    for (i, item) in items.iter().enumerate() {
        let path = index("tools", i);
        match read_tool(c, item, &path, gold) {
            Some(t) => {
                if tools.iter().any(|o: &Tool| o.name == t.name) {
                    c.error(
                        Some(item.pos),
                        &path,
                        format!("tool name {:?} is used twice", t.name),
                    );
                    ok = false;
                }
                tools.push(t)
            }
            None => ok = false,
        }
    }
    ok.then_some(tools)
}

fn read_tool(c: &mut Checker, node: &Node, path: &str, gold: Option<&GoldSet>) -> Option<Tool> {
    let f = c.map(node, path, TOOL_KEYS, &["name", "input_schema"])?;
    let name = f.get("name").and_then(|n| {
        let s = c.string(n, &f.sub("name"))?;
        let valid = !s.is_empty()
            && s.len() <= 64
            && s.chars()
                .all(|ch| ch.is_ascii_alphanumeric() || ch == '_' || ch == '-');
        if !valid {
            c.error(
                Some(n.pos),
                &f.sub("name"),
                format!("{s:?} is not a valid tool name (valid: 1 to 64 of a-z A-Z 0-9 _ -)"),
            );
            return None;
        }
        Some(s)
    });
    let description = f
        .get("description")
        .and_then(|n| c.string(n, &f.sub("description")));
    let schema_node = f.get("input_schema")?;
    let schema = schema_node.to_json();
    let props = check_schema(c, schema_node, &schema, &f.sub("input_schema"));
    let mut outputs = Vec::new();
    if let Some(n) = f.get("outputs") {
        if let Some(m) = c.any_map(
            n,
            &f.sub("outputs"),
            "a mapping of gold field -> tool property",
        ) {
            for (k, v) in m.entries() {
                let field = k.key_string();
                let opath = m.sub(&field);
                let Some(prop) = c.string(v, &opath) else {
                    continue;
                };
                if let Some(props) = &props {
                    match props.get(&prop) {
                        None => {
                            let names: Vec<&str> = props.keys().map(String::as_str).collect();
                            let hint = did_you_mean(&prop, &names)
                                .map(|h| format!("did you mean {h:?}? "))
                                .unwrap_or_default();
                            c.error(
                                Some(v.pos),
                                &opath,
                                format!("property {prop:?} is not in input_schema.properties ({hint}properties: {})", list(&names)),
                            );
                        }
                        Some(pschema) => {
                            if let Some(gold) = gold {
                                let at = Output {
                                    key_pos: k.pos,
                                    pos: v.pos,
                                    path: &opath,
                                    schema: schema_node,
                                    schema_path: &f.sub("input_schema"),
                                };
                                check_output(c, gold, &field, pschema, &prop, &at);
                            }
                        }
                    }
                }
                outputs.push((field, prop));
            }
        }
    }
    let confidence = f.get("confidence").and_then(|n| {
        let prop = c.string(n, &f.sub("confidence"))?;
        if let Some(props) = &props {
            match props.get(&prop) {
                None => c.error(
                    Some(n.pos),
                    &f.sub("confidence"),
                    format!("property {prop:?} is not in input_schema.properties"),
                ),
                Some(p) if p.get("type").and_then(|t| t.as_str()) != Some("number") => c.error(
                    Some(n.pos),
                    &f.sub("confidence"),
                    format!("property {prop:?} must have type number to hold a confidence"),
                ),
                _ => {}
            }
        }
        Some(prop)
    });
    let mut sets = Vec::new();
    if let Some(n) = f.get("sets") {
        if let Some(m) = c.any_map(n, &f.sub("sets"), "a mapping of gold field -> value") {
            sets = gold_values(c, &m, gold);
        }
    }
    if outputs.is_empty() && sets.is_empty() {
        c.error(
            Some(node.pos),
            &f.sub("outputs"),
            "the tool maps no gold field (add `outputs: {<field>: <property>}` or `sets`)",
        );
    }
    Some(Tool {
        name: name?,
        description,
        input_schema: schema,
        outputs,
        confidence,
        sets,
    })
}

/// Checks that a schema is a JSON Schema object the API takes; returns its properties.
fn check_schema(
    c: &mut Checker,
    node: &Node,
    schema: &serde_json::Value,
    path: &str,
) -> Option<serde_json::Map<String, serde_json::Value>> {
    if schema.get("type").and_then(|t| t.as_str()) != Some("object") {
        c.error(
            Some(node.pos),
            &format!("{path}.type"),
            "input_schema.type must be \"object\"",
        );
        return None;
    }
    // Properties (and their `items`) may be local references (`$ref: "#/$defs/dept"`): the
    // checks below look at what they point to.
    let mut props = schema
        .get("properties")
        .and_then(|p| p.as_object())
        .cloned()
        .unwrap_or_default();
    let mut ok = true;
    for (name, prop) in props.iter_mut() {
        match resolve_refs(schema, prop, 0) {
            Ok(resolved) => *prop = resolved,
            Err(msg) => {
                let at = child(node, "properties").and_then(|p| child(p, name));
                c.error(
                    Some(at.map_or(node.pos, |n| n.pos)),
                    &format!("{path}.properties.{name}"),
                    msg,
                );
                ok = false;
            }
        }
    }
    if !ok {
        return None;
    }
    if let Err(e) = jsonschema::validator_for(schema) {
        c.error(
            Some(node.pos),
            path,
            format!("not a valid JSON Schema: {e}"),
        );
        return None;
    }
    Some(props)
}

/// `value` with its `$ref` (and its `items`' `$ref`) replaced by what they point to in
/// `root`. Only local references (`#/...`) are resolved; a reference that points nowhere,
/// or a chain of more than 16, is an error.
fn resolve_refs(
    root: &serde_json::Value,
    value: &serde_json::Value,
    depth: usize,
) -> Result<serde_json::Value, String> {
    let Some(obj) = value.as_object() else {
        return Ok(value.clone());
    };
    if let Some(r) = obj.get("$ref").and_then(|r| r.as_str()) {
        if depth > 16 {
            return Err(format!(
                "$ref {r:?} is part of a chain of references that does not end"
            ));
        }
        let Some(pointer) = r.strip_prefix('#') else {
            return Err(format!(
                "$ref {r:?} is not a local reference (valid: \"#/$defs/<name>\", a definition in this input_schema)"
            ));
        };
        let target = root.pointer(pointer).ok_or_else(|| {
            let defs: Vec<String> = ["$defs", "definitions"]
                .iter()
                .filter_map(|k| root.get(*k).and_then(|d| d.as_object()).map(|d| (k, d)))
                .flat_map(|(k, d)| d.keys().map(move |n| format!("#/{k}/{n}")))
                .collect();
            format!(
                "$ref {r:?} points at nothing in input_schema (defined: {})",
                if defs.is_empty() {
                    "none".to_string()
                } else {
                    list(&defs)
                }
            )
        })?;
        return resolve_refs(root, target, depth + 1);
    }
    let mut out = obj.clone();
    if let Some(items) = obj.get("items") {
        out.insert("items".into(), resolve_refs(root, items, depth + 1)?);
    }
    Ok(serde_json::Value::Object(out))
}

/// Where an output mapping is written, for messages.
struct Output<'a> {
    /// The gold field's key in `outputs`, and its value (the property).
    key_pos: Pos,
    pos: Pos,
    /// `tools[0].outputs.department`.
    path: &'a str,
    /// The tool's `input_schema` node and its path.
    schema: &'a Node,
    schema_path: &'a str,
}

/// The value of `key` in a mapping node.
fn child<'a>(node: &'a Node, key: &str) -> Option<&'a Node> {
    match &node.value {
        Value::Map(entries) => entries
            .iter()
            .find(|(k, _)| k.as_str() == Some(key))
            .map(|(_, v)| v),
        _ => None,
    }
}

/// Quoted values for a message: `"a", "b"`.
fn quoted(values: &[&String]) -> String {
    let q: Vec<String> = values.iter().map(|v| format!("{v:?}")).collect();
    list(&q)
}

/// Checks that a tool property can produce every label of its gold field, and nothing else.
/// Enum problems are reported at the enum, which is what to change.
fn check_output(
    c: &mut Checker,
    gold: &GoldSet,
    field: &str,
    pschema: &serde_json::Value,
    prop: &str,
    at: &Output,
) {
    let Some((_, gf)) = gold.field(field) else {
        unknown_field(c, gold, field, at.key_pos, at.path);
        return;
    };
    let ty = pschema.get("type").and_then(|t| t.as_str());
    let enum_of = |s: &serde_json::Value| -> Option<Vec<String>> {
        s.get("enum")?.as_array().map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        })
    };
    let (expected, values) = match gf.kind {
        FieldKind::Label => ("string", (ty == Some("string")).then(|| enum_of(pschema))),
        FieldKind::Labels => (
            "array",
            (ty == Some("array")).then(|| pschema.get("items").and_then(enum_of)),
        ),
        FieldKind::Flag => ("boolean", (ty == Some("boolean")).then_some(None)),
    };
    let Some(values) = values else {
        c.error(
            Some(at.pos),
            at.path,
            format!(
                "property {prop:?} has type {} but gold field `{field}` is a {} field (needs type {expected})",
                ty.unwrap_or("(none)"),
                gf.kind.name()
            ),
        );
        return;
    };
    if gf.kind == FieldKind::Flag {
        return;
    }
    let where_ = if gf.kind == FieldKind::Labels {
        "items.enum"
    } else {
        "enum"
    };
    // The property's schema node, and its enum node when there is one.
    let prop_node = child(at.schema, "properties").and_then(|p| child(p, prop));
    let prop_path = format!("{}.properties.{prop}", at.schema_path);
    let enum_node = prop_node.and_then(|p| {
        if gf.kind == FieldKind::Labels {
            child(p, "items").and_then(|i| child(i, "enum"))
        } else {
            child(p, "enum")
        }
    });
    let (enum_pos, enum_path) = match enum_node {
        Some(n) => (n.pos, format!("{prop_path}.{where_}")),
        None => (at.pos, at.path.to_string()),
    };
    let all: Vec<&String> = gf.values.iter().collect();
    match values {
        None => c.error(
            Some(prop_node.map_or(at.pos, |n| n.pos)),
            &prop_path,
            format!(
                "property {prop:?} has no {where_}, so the model may answer anything; list the values of gold field `{field}`: {}",
                list(&gf.values)
            ),
        ),
        Some(values) => {
            let missing: Vec<&String> = gf.values.iter().filter(|v| !values.contains(v)).collect();
            let extra: Vec<&String> = values.iter().filter(|v| !gf.values.contains(v)).collect();
            if !missing.is_empty() {
                c.error(
                    Some(enum_pos),
                    &enum_path,
                    format!(
                        "lacks {}, a value of gold field `{field}`, so the model can never answer {} (list every value of the field: {})",
                        quoted(&missing),
                        if missing.len() == 1 { "it" } else { "them" },
                        quoted(&all)
                    ),
                );
            }
            if !extra.is_empty() {
                c.error(
                    Some(enum_pos),
                    &enum_path,
                    format!(
                        "allows {}, which {} not a value of gold field `{field}` (valid: {})",
                        quoted(&extra),
                        if extra.len() == 1 { "is" } else { "are" },
                        quoted(&all)
                    ),
                );
            }
        }
    }
}

pub(super) fn read_tool_choice(c: &mut Checker, node: &Node, tools: &[Tool]) -> Option<ToolChoice> {
    let f = c.map(
        node,
        "tool_choice",
        &["type", "name", "disable_parallel_tool_use"],
        &["type"],
    )?;
    let ty = c.choice(
        f.get("type")?,
        "tool_choice.type",
        &["tool", "any", "auto", "none"],
    )?;
    let name = f.get("name").and_then(|n| c.string(n, "tool_choice.name"));
    match ty.as_str() {
        "tool" => {
            let Some(name) = name else {
                c.error(
                    Some(node.pos),
                    "tool_choice.name",
                    "missing required key `name` for type tool",
                );
                return None;
            };
            if !tools.iter().any(|t| t.name == name) {
                let names: Vec<&str> = tools.iter().map(|t| t.name.as_str()).collect();
                c.error(
                    f.get("name").map(|n| n.pos),
                    "tool_choice.name",
                    format!(
                        "{name:?} is not one of the variant's tools (valid: {})",
                        list(&names)
                    ),
                );
                return None;
            }
            Some(ToolChoice::Tool { name })
        }
        other => {
            if let Some(n) = f.get("name") {
                c.error(
                    Some(n.pos),
                    "tool_choice.name",
                    format!("`name` applies only to type tool, not {other}"),
                );
            }
            if other == "none" {
                // The model may not call a tool, and a variant classifies only through tool
                // calls (every tool maps gold fields): no ticket could ever be answered.
                c.error(
                    f.get("type").map(|n| n.pos),
                    "tool_choice.type",
                    "type none forbids tool calls, but this variant answers only through its tools' `outputs`/`sets`, so no ticket could be classified (valid: tool, any, auto)",
                );
                return None;
            }
            Some(match other {
                "any" => ToolChoice::Any,
                _ => ToolChoice::Auto,
            })
        }
    }
}

pub(super) fn read_examples(c: &mut Checker, node: &Node, tools: &[Tool]) -> Option<Vec<Example>> {
    let items = c.seq(node, "examples")?;
    let mut out = Vec::new();
    let mut ok = true;
    for (i, item) in items.iter().enumerate() {
        let path = index("examples", i);
        let Some(f) = c.map(
            item,
            &path,
            &["text", "output", "tool"],
            &["text", "output"],
        ) else {
            ok = false;
            continue;
        };
        let text = f.get("text").and_then(|n| c.string(n, &f.sub("text")));
        let tool_name = f.get("tool").and_then(|n| c.string(n, &f.sub("tool")));
        let tool = match &tool_name {
            Some(name) => tools.iter().find(|t| &t.name == name).or_else(|| {
                c.error(
                    f.get("tool").map(|n| n.pos),
                    &f.sub("tool"),
                    format!("{name:?} is not one of the variant's tools"),
                );
                None
            }),
            None => tools.first(),
        };
        let output = f.get("output").map(|n| (n, n.to_json()));
        if let (Some(tool), Some((onode, out_json))) = (tool, &output) {
            if let Ok(v) = jsonschema::validator_for(&tool.input_schema) {
                if let Some(err) = v.iter_errors(out_json).next() {
                    c.error(
                        Some(onode.pos),
                        &f.sub("output"),
                        format!("does not match tool {:?}'s input_schema: {err}", tool.name),
                    );
                    ok = false;
                }
            }
        }
        match (text, output) {
            (Some(text), Some((_, output))) => out.push(Example {
                text,
                output,
                tool: tool_name,
            }),
            _ => ok = false,
        }
    }
    ok.then_some(out)
}

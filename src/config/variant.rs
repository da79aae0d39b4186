//! Loading prompt variants, and checking each against the gold set it will be scored on.
//!
//! Beyond types and unknown keys, a variant is checked for what would make its run useless:
//! a tool schema whose enum cannot produce a gold label, an output mapped to a field the gold
//! set does not have, a `tool_choice` naming a tool that is not there.

use std::path::Path;

use super::check::{did_you_mean, index, list, Checker, Fields};
use super::gold::read_source;
use super::source::{self, ReadError};
use crate::gold::{Field, FieldKind, GoldSet, GoldValue};
use crate::template::{self, UserTemplate};
use crate::variant::{
    Example, LlmSpec, LocalSpec, ProviderKind, Tool, ToolChoice, Variant, VariantSpec,
};
use crate::yaml::{Node, Pos, Value};

const LLM_KEYS: &[&str] = &[
    "model",
    "max_tokens",
    "temperature",
    "base_url",
    "api_key_env",
    "system",
    "user",
    "tools",
    "tool_choice",
    "examples",
];
const ALL_KEYS: &[&str] = &[
    "name",
    "description",
    "provider",
    "local",
    "model",
    "max_tokens",
    "temperature",
    "base_url",
    "api_key_env",
    "system",
    "user",
    "tools",
    "tool_choice",
    "examples",
];
const LOCAL_KEYS: &[&str] = &["train", "examples", "features", "model", "c"];
const TOOL_KEYS: &[&str] = &[
    "name",
    "description",
    "input_schema",
    "outputs",
    "confidence",
    "sets",
];

/// Values a variant inherits from the eval's `defaults:` unless it sets them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Defaults {
    pub provider: Option<ProviderKind>,
    pub model: Option<String>,
    pub max_tokens: Option<u32>,
    pub temperature: Option<f64>,
    pub base_url: Option<String>,
    pub api_key_env: Option<String>,
    /// Models the eval's `prices:` names (not a default: read so that a model priced there
    /// counts as known).
    pub priced_models: Vec<String>,
}

pub const DEFAULT_KEYS: &[&str] = &[
    "provider",
    "model",
    "max_tokens",
    "temperature",
    "base_url",
    "api_key_env",
];

/// Reads the eval's `defaults:` mapping.
pub fn read_defaults(c: &mut Checker, node: &Node, path: &str) -> Defaults {
    let Some(f) = c.map(node, path, DEFAULT_KEYS, &[]) else {
        return Defaults::default();
    };
    Defaults {
        provider: f
            .get("provider")
            .and_then(|n| c.choice(n, &f.sub("provider"), ProviderKind::NAMES))
            .and_then(|s| ProviderKind::parse(&s)),
        model: f.get("model").and_then(|n| c.string(n, &f.sub("model"))),
        max_tokens: f
            .get("max_tokens")
            .and_then(|n| c.integer(n, &f.sub("max_tokens"), 1, 1_000_000))
            .map(|v| v as u32),
        temperature: f
            .get("temperature")
            .and_then(|n| c.number(n, &f.sub("temperature"), 0.0, 2.0)),
        base_url: f
            .get("base_url")
            .and_then(|n| c.string(n, &f.sub("base_url"))),
        api_key_env: f
            .get("api_key_env")
            .and_then(|n| c.string(n, &f.sub("api_key_env"))),
        priced_models: Vec::new(),
    }
}

/// Loads one variant file, returning it with the position of its `name`. Problems go to
/// `out`; a missing file is `Err` with the message, for the caller to report where the file
/// is named.
pub fn load(
    path: &Path,
    defaults: &Defaults,
    gold: Option<&GoldSet>,
    out: &mut Vec<crate::error::Diagnostic>,
    gold_diags: &mut Vec<crate::error::Diagnostic>,
    warnings: &mut Vec<crate::error::Diagnostic>,
) -> Result<Option<(Variant, Pos)>, String> {
    let mut c = Checker::new(path);
    let text = match source::read_text(path, &mut c) {
        Ok(t) => t,
        Err(ReadError::Missing(msg)) => return Err(msg),
        Err(ReadError::Reported) => {
            out.append(&mut c.diags);
            return Ok(None);
        }
    };
    c.text = Some(text.text.clone());
    let variant = source::parse_yaml(&text.text, &mut c).and_then(|node| {
        let name_pos = match &node.value {
            Value::Map(entries) => entries
                .iter()
                .find(|(k, _)| k.as_str() == Some("name"))
                .map(|(_, v)| v.pos),
            _ => None,
        };
        from_node(&mut c, &node, defaults, gold, text.sha256, gold_diags)
            .map(|v| (v, name_pos.unwrap_or(node.pos)))
    });
    let ok = c.diags.is_empty();
    out.append(&mut c.diags);
    warnings.append(&mut c.warnings);
    Ok(variant.filter(|_| ok))
}

/// Reads a variant document.
pub fn from_node(
    c: &mut Checker,
    node: &Node,
    defaults: &Defaults,
    gold: Option<&GoldSet>,
    sha256: String,
    gold_diags: &mut Vec<crate::error::Diagnostic>,
) -> Option<Variant> {
    let f = c.map(node, "", ALL_KEYS, &["name"])?;
    let name = f.get("name").and_then(|n| {
        let s = c.string(n, "name")?;
        if s.is_empty()
            || !s
                .chars()
                .all(|ch| ch.is_alphanumeric() || "-_.".contains(ch))
        {
            c.error(
                Some(n.pos),
                "name",
                format!("{s:?} is not a valid variant name (valid: letters, digits, -, _ and .)"),
            );
            return None;
        }
        Some(s)
    });
    let description = f
        .get("description")
        .and_then(|n| c.string(n, "description"));
    let provider = match f.get("provider") {
        Some(n) => c
            .choice(n, "provider", ProviderKind::NAMES)
            .and_then(|s| ProviderKind::parse(&s))?,
        None => match defaults.provider {
            Some(p) => p,
            None => {
                c.error(
                    Some(node.pos),
                    "provider",
                    "missing required key `provider` (valid: anthropic, openai, local; or set defaults.provider in the eval)",
                );
                return None;
            }
        },
    };
    let spec = if provider == ProviderKind::Local {
        for key in LLM_KEYS {
            if let Some((k, _)) = f.entries().iter().find(|(k, _)| k.as_str() == Some(key)) {
                c.error(
                    Some(k.pos),
                    key,
                    format!("`{key}` does not apply to a local variant (its keys: name, description, provider, local)"),
                );
            }
        }
        let Some(local) = f.get("local") else {
            c.error(
                Some(node.pos),
                "local",
                "missing required key `local` for provider local",
            );
            return None;
        };
        VariantSpec::Local(read_local(c, local, gold, gold_diags)?)
    } else {
        if let Some((k, _)) = f
            .entries()
            .iter()
            .find(|(k, _)| k.as_str() == Some("local"))
        {
            c.error(
                Some(k.pos),
                "local",
                format!(
                    "`local` applies only to provider local (this variant's provider is {})",
                    provider.name()
                ),
            );
        }
        VariantSpec::Llm(read_llm(c, &f, node, defaults, gold, provider)?)
    };
    Some(Variant {
        name: name?,
        description,
        file: c.file.clone(),
        sha256,
        provider,
        spec,
    })
}

/// Warns about a model name verdict neither prices nor knows (`claude-haiku-4.5` for
/// `claude-haiku-4-5`), with the closest known name. An OpenAI-compatible server of the user's
/// own (`base_url`) serves names of its own choosing: those are warned about only when they
/// look like a typo of a known name.
fn check_model(
    c: &mut Checker,
    model: &str,
    at: Option<Pos>,
    variant_pos: Pos,
    provider: ProviderKind,
    own_base_url: bool,
    defaults: &Defaults,
) {
    use crate::provider::prices;
    if prices::is_known(model, &defaults.priced_models) {
        return;
    }
    let known = prices::all_known_models();
    let hint = did_you_mean(model, &known);
    if provider == ProviderKind::OpenAi && own_base_url && hint.is_none() {
        return;
    }
    let hint = hint
        .map(|h| format!("did you mean {h:?}? "))
        .unwrap_or_default();
    let (pos, whence) = match at {
        Some(p) => (p, String::new()),
        None => (
            variant_pos,
            " (inherited from the eval's defaults.model)".to_string(),
        ),
    };
    c.warn(
        Some(pos),
        "model",
        format!(
            "unknown model {model:?}{whence}: not in the price table nor the list of known models ({hint}known: {}); if the name is right, add it to the eval's `prices:` (with `context_tokens`) to price it and silence this",
            list(&known)
        ),
    );
}

fn read_llm(
    c: &mut Checker,
    f: &Fields,
    node: &Node,
    defaults: &Defaults,
    gold: Option<&GoldSet>,
    provider: ProviderKind,
) -> Option<LlmSpec> {
    let model = match f.get("model") {
        Some(n) => c.string(n, "model"),
        None => defaults.model.clone().or_else(|| {
            c.error(
                Some(node.pos),
                "model",
                "missing required key `model` (or set defaults.model in the eval)",
            );
            None
        }),
    };
    if let Some(m) = &model {
        let own_base_url = f.get("base_url").is_some() || defaults.base_url.is_some();
        check_model(
            c,
            m,
            f.get("model").map(|n| n.pos),
            node.pos,
            provider,
            own_base_url,
            defaults,
        );
    }
    let max_tokens = match f.get("max_tokens") {
        Some(n) => c.integer(n, "max_tokens", 1, 1_000_000).map(|v| v as u32),
        None => Some(defaults.max_tokens.unwrap_or(1024)),
    };
    let temperature = match f.get("temperature") {
        Some(n) => c.number(n, "temperature", 0.0, 2.0),
        None => defaults.temperature,
    };
    let base_url = match f.get("base_url") {
        Some(n) => c.string(n, "base_url").and_then(|s| {
            if s.starts_with("http://") || s.starts_with("https://") {
                Some(s)
            } else {
                c.error(
                    Some(n.pos),
                    "base_url",
                    format!("{s:?} is not an http(s) URL"),
                );
                None
            }
        }),
        None => defaults.base_url.clone(),
    };
    let api_key_env = match f.get("api_key_env") {
        Some(n) => c.string(n, "api_key_env"),
        None => defaults.api_key_env.clone(),
    };
    let system = f.get("system").and_then(|n| {
        let s = c.string(n, "system")?;
        match template::literal_text(&s) {
            Ok(text) => Some(text),
            Err(errors) => {
                template_errors(c, n, "system", &s, &errors);
                None
            }
        }
    });
    let user = match f.get("user") {
        Some(n) => c
            .string(n, "user")
            .and_then(|s| match UserTemplate::parse(&s) {
                Ok(t) => Some(t),
                Err(errors) => {
                    template_errors(c, n, "user", &s, &errors);
                    None
                }
            }),
        None => Some(UserTemplate::parse("{{text}}").expect("the default template is valid")),
    };
    let tools = match f.get("tools") {
        Some(n) => read_tools(c, n, gold),
        None => {
            c.error(
                Some(node.pos),
                "tools",
                "missing required key `tools` (an LLM variant classifies through a tool call)",
            );
            None
        }
    };
    let tool_choice = match (f.get("tool_choice"), &tools) {
        (Some(n), Some(tools)) => read_tool_choice(c, n, tools),
        (None, Some(tools)) if tools.len() == 1 => Some(ToolChoice::Tool {
            name: tools[0].name.clone(),
        }),
        (None, Some(_)) => Some(ToolChoice::Any),
        (_, None) => None,
    };
    let examples = match (f.get("examples"), &tools) {
        (Some(n), Some(tools)) => read_examples(c, n, tools),
        (None, _) => Some(Vec::new()),
        _ => None,
    };
    Some(LlmSpec {
        model: model?,
        max_tokens: max_tokens?,
        temperature,
        base_url,
        api_key_env,
        system,
        user: user?,
        tools: tools?,
        tool_choice: tool_choice?,
        examples: examples?,
    })
}

/// Reports the problems of a template (`user`) or of a text that takes no placeholders
/// (`system`), each at the position of the placeholder in the file.
fn template_errors(
    c: &mut Checker,
    node: &Node,
    key: &str,
    source: &str,
    errors: &[template::TemplateError],
) {
    use template::TemplateErrorKind as K;
    let escape = format!(
        "to send `{{{{` as written, write {}",
        template::ESCAPED_OPEN
    );
    let valid = "{{text}}, {{id}}, {{tags}}";
    for e in errors {
        let snippet = e.snippet(source);
        // Which occurrence of the snippet this is, to find it in the file.
        let nth = source[..e.offset].matches(snippet).count();
        let pos = if snippet.is_empty() {
            node.pos
        } else {
            c.pos_in_value(node.pos, snippet, nth)
        };
        let message = match &e.kind {
            K::Unknown { name } if key == "user" => {
                let hint = did_you_mean(name, template::PLACEHOLDERS)
                    .map(|h| format!("did you mean {{{{{h}}}}}? "))
                    .unwrap_or_default();
                format!(
                    "unknown placeholder `{snippet}` ({hint}valid: {valid}); {escape}"
                )
            }
            K::Unknown { .. } | K::NotAllowed { .. } => format!(
                "`{snippet}` in `{key}` would be sent as written: `{key}` takes no placeholders \
                 (they are filled only in `user`, which holds the ticket: {valid}); {escape}"
            ),
            K::Unclosed => format!("`{{{{` is not closed by `}}}}`; {escape}"),
            K::MissingText => "the user template must contain {{text}}, where the ticket goes (also available: {{id}}, {{tags}})".to_string(),
        };
        c.error(Some(pos), key, message);
    }
}

fn read_tools(c: &mut Checker, node: &Node, gold: Option<&GoldSet>) -> Option<Vec<Tool>> {
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

/// Reads a mapping of gold field -> value (a tool's `sets`, a local example's `labels`),
/// checking each field and value against the gold set when there is one.
fn gold_values(
    c: &mut Checker,
    m: &Fields,
    gold: Option<&GoldSet>,
) -> Vec<(String, serde_json::Value)> {
    let mut out = Vec::new();
    for (k, v) in m.entries() {
        let field = k.key_string();
        let json = v.to_json();
        if let Some(gold) = gold {
            match gold.field(&field) {
                None => unknown_field(c, gold, &field, k.pos, &m.sub(&field)),
                Some((_, gf)) => {
                    if let Err(msg) = GoldValue::from_json(gf, &json) {
                        c.error(Some(v.pos), &m.sub(&field), msg);
                    }
                }
            }
        }
        out.push((field, json));
    }
    out
}

fn unknown_field(c: &mut Checker, gold: &GoldSet, field: &str, pos: Pos, path: &str) {
    let names: Vec<&str> = gold.fields.iter().map(|f| f.name.as_str()).collect();
    let hint = did_you_mean(field, &names)
        .map(|h| format!("did you mean `{h}`? "))
        .unwrap_or_default();
    c.error(
        Some(pos),
        path,
        format!(
            "`{field}` is not a field of the gold set ({hint}fields: {})",
            list(&names)
        ),
    );
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

fn read_tool_choice(c: &mut Checker, node: &Node, tools: &[Tool]) -> Option<ToolChoice> {
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

fn read_examples(c: &mut Checker, node: &Node, tools: &[Tool]) -> Option<Vec<Example>> {
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

fn read_local(
    c: &mut Checker,
    node: &Node,
    gold: Option<&GoldSet>,
    gold_diags: &mut Vec<crate::error::Diagnostic>,
) -> Option<LocalSpec> {
    let f = c.map(node, "local", LOCAL_KEYS, &[])?;
    let gold_diags_before = gold_diags.len();
    let train = f
        .get("train")
        .and_then(|n| read_source(c, n, "local.train"));
    let mut examples = Vec::new();
    if let Some(n) = f.get("examples") {
        if let Some(items) = c.seq(n, "local.examples") {
            for (i, item) in items.iter().enumerate() {
                let path = format!("local.examples[{i}]");
                let Some(ef) = c.map(item, &path, &["text", "labels"], &["text", "labels"]) else {
                    continue;
                };
                let text = ef.get("text").and_then(|n| c.string(n, &ef.sub("text")));
                let mut labels = Vec::new();
                if let Some(ln) = ef.get("labels") {
                    if let Some(lm) =
                        c.any_map(ln, &ef.sub("labels"), "a mapping of field -> value")
                    {
                        labels = gold_values(c, &lm, gold);
                    }
                }
                if let Some(text) = text {
                    examples.push((text, labels));
                }
            }
        }
    }
    if f.get("train").is_none() && f.get("examples").is_none() {
        c.error(
            Some(node.pos),
            "local.train",
            "a local variant needs `train` (a file of labeled examples) or `examples`",
        );
    }
    let features = match f.get("features") {
        Some(n) => c.strings(n, "local.features").and_then(|fs| {
            let mut ok = true;
            for (i, feat) in fs.iter().enumerate() {
                if let Err(msg) = crate::provider::local::check_feature(feat) {
                    c.error(
                        Some(feature_pos(n, i)),
                        &format!("local.features[{i}]"),
                        msg,
                    );
                    ok = false;
                }
            }
            if fs.is_empty() {
                c.error(
                    Some(n.pos),
                    "local.features",
                    "list at least one feature (e.g. word_1_2)",
                );
                ok = false;
            }
            ok.then_some(fs)
        }),
        None => Some(Vec::new()),
    };
    let model = match f.get("model") {
        Some(n) => c
            .choice(n, "local.model", crate::provider::local::MODELS)
            .map(Some),
        None => Some(None),
    };
    let c_value = match f.get("c") {
        Some(n) => c.number(n, "local.c", 1e-6, 1e6).map(Some),
        None => Some(None),
    };
    // The training file is checked now, so that its problems are reported with the rest.
    let mut train_set = None;
    if let (Some(src), Some(tnode)) = (&train, f.get("train")) {
        let mut parent = Checker::new(&c.file);
        train_set = super::gold::load(src, &mut parent, (tnode.pos, "local.train"), gold_diags);
        if let (Some(ts), Some(gold)) = (&train_set, gold) {
            check_train_fields(&mut parent, gold, &ts.fields, tnode.pos);
        }
        c.diags.append(&mut parent.diags);
        c.warnings.append(&mut parent.warnings);
    }
    let spec = LocalSpec {
        train: train.map(|src| match src {
            super::gold::GoldSource::Yaml(p) => p,
            super::gold::GoldSource::Table(t) => t.path,
        }),
        train_set,
        examples,
        features: features.map(|f| (!f.is_empty()).then_some(f))?,
        model: model?,
        c: c_value?,
    };
    // What `verdict run` would find only when training: checked now, if nothing else is wrong
    // (a bad training file or label already says why).
    if let Some(gold) = gold {
        if c.diags.is_empty() && gold_diags.len() == gold_diags_before {
            check_trainable(c, gold, &spec, &f, node.pos);
        }
    }
    Some(spec)
}

/// Checks that `verdict run` can train the variant: some gold label or flag field has
/// training examples, and the texts of each such field yield features (n-grams) for the
/// variant's feature blocks (`word_2_2` on one-word texts yields none, and training fails).
fn check_trainable(c: &mut Checker, gold: &GoldSet, spec: &LocalSpec, f: &Fields, at: Pos) {
    use crate::classifier::{yields_features, FeatureSpec, LocalConfig};
    let pos_of = |key: &str| f.get(key).map(|n| n.pos);
    let features: Vec<FeatureSpec> = match &spec.features {
        Some(fs) => match fs.iter().map(|s| s.parse()).collect() {
            Ok(fs) => fs,
            Err(_) => return, // reported at the feature
        },
        None => LocalConfig::default().features,
    };
    let mut trained = 0;
    for (fi, gf) in gold.fields.iter().enumerate() {
        let examples = spec.examples_for(gold, fi);
        if examples.is_empty() {
            continue;
        }
        trained += 1;
        let mut classes: Vec<u32> = examples.iter().map(|e| e.1).collect();
        classes.sort_unstable();
        classes.dedup();
        if classes.len() < 2 {
            continue; // one class: predicted without a model
        }
        let texts: Vec<&str> = examples.iter().map(|e| e.0.as_str()).collect();
        if yields_features(&texts, &features) {
            continue;
        }
        let names: Vec<String> = features.iter().map(ToString::to_string).collect();
        let (pos, path, fix) = match pos_of("features") {
            Some(p) => (
                p,
                "local.features",
                "list features that short texts have (e.g. word_1_2 or char_wb_2_5)",
            ),
            None => (
                pos_of("train").or(pos_of("examples")).unwrap_or(at),
                if f.get("train").is_some() {
                    "local.train"
                } else {
                    "local.examples"
                },
                "give longer training texts",
            ),
        };
        let sample: Vec<String> = texts.iter().take(3).map(|t| format!("{t:?}")).collect();
        c.error(
            Some(pos),
            path,
            format!(
                "the {} training texts of field `{}` yield no features for {} (none has such an n-gram; e.g. {}), so `verdict run` could not train this variant; {fix}",
                texts.len(),
                gf.name,
                names.join(" + "),
                sample.join(", "),
            ),
        );
    }
    if trained == 0 {
        let names: Vec<&str> = gold
            .fields
            .iter()
            .filter(|g| g.kind != FieldKind::Labels)
            .map(|g| g.name.as_str())
            .collect();
        let (pos, path) = match pos_of("examples") {
            Some(p) => (p, "local.examples"),
            None => (pos_of("train").unwrap_or(at), "local.train"),
        };
        c.error(
            Some(pos),
            path,
            format!(
                "the training examples label none of the gold set's label or flag fields ({}), so `verdict run` would have nothing to train (a `labels` field is not predicted by a local variant)",
                list(&names)
            ),
        );
    }
}

fn feature_pos(n: &Node, i: usize) -> Pos {
    match &n.value {
        Value::Seq(items) => items.get(i).map_or(n.pos, |it| it.pos),
        _ => n.pos,
    }
}

/// A training set must label at least one gold field, with that field's values.
fn check_train_fields(c: &mut Checker, gold: &GoldSet, train_fields: &[Field], pos: Pos) {
    let mut any = false;
    for tf in train_fields {
        if let Some((_, gf)) = gold.field(&tf.name) {
            if gf.kind == FieldKind::Labels {
                continue;
            }
            any = true;
            let unknown: Vec<&String> = tf
                .values
                .iter()
                .filter(|v| !gf.values.contains(v))
                .collect();
            if gf.kind == FieldKind::Label && !unknown.is_empty() {
                c.error(
                    Some(pos),
                    "local.train",
                    format!(
                        "training labels {} of field `{}` are not values of the gold field (valid: {})",
                        list(&unknown),
                        tf.name,
                        list(&gf.values)
                    ),
                );
            }
        }
    }
    if !any {
        let names: Vec<&str> = gold.fields.iter().map(|f| f.name.as_str()).collect();
        c.error(
            Some(pos),
            "local.train",
            format!(
                "the training set labels none of the gold set's label or flag fields ({})",
                list(&names)
            ),
        );
    }
}

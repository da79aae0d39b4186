//! Loading prompt variants, and checking each against the gold set it will be scored on.
//!
//! Beyond types and unknown keys, a variant is checked for what would make its run useless:
//! a tool schema whose enum cannot produce a gold label, an output mapped to a field the gold
//! set does not have, a `tool_choice` naming a tool that is not there.

mod local;
mod tools;

use std::path::Path;

use super::check::{did_you_mean, list, Checker, Fields};
use super::source::{self, ReadError};
use crate::gold::{GoldSet, GoldValue};
use crate::template::{self, UserTemplate};
use crate::variant::{LlmSpec, ProviderKind, ToolChoice, Variant, VariantSpec};
use crate::yaml::{Node, Pos, Value};
use local::read_local;
use tools::{read_examples, read_tool_choice, read_tools};

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

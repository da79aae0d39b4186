//! A prompt variant: one way of asking a model (or the built-in classifier) to label tickets.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::gold::{FieldKind, GoldSet, GoldValue};
use crate::template::UserTemplate;

/// Which backend classifies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ProviderKind {
    Anthropic,
    #[serde(rename = "openai")]
    OpenAi,
    Local,
}

impl ProviderKind {
    pub const NAMES: &'static [&'static str] = &["anthropic", "openai", "local"];

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "anthropic" => Some(ProviderKind::Anthropic),
            "openai" => Some(ProviderKind::OpenAi),
            "local" => Some(ProviderKind::Local),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            ProviderKind::Anthropic => "anthropic",
            ProviderKind::OpenAi => "openai",
            ProviderKind::Local => "local",
        }
    }
}

/// A loaded, validated variant.
#[derive(Debug, Clone, PartialEq)]
pub struct Variant {
    pub name: String,
    pub description: Option<String>,
    pub file: PathBuf,
    /// SHA-256 of the variant file.
    pub sha256: String,
    pub provider: ProviderKind,
    pub spec: VariantSpec,
}

#[derive(Debug, Clone, PartialEq)]
pub enum VariantSpec {
    Llm(LlmSpec),
    Local(LocalSpec),
}

/// How an LLM variant asks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LlmSpec {
    pub model: String,
    pub max_tokens: u32,
    /// Sent only when set (newer models reject non-default sampling).
    pub temperature: Option<f64>,
    /// Overrides `ANTHROPIC_BASE_URL` / `OPENAI_BASE_URL`.
    pub base_url: Option<String>,
    /// The environment variable holding the API key (never the key itself).
    pub api_key_env: Option<String>,
    /// Sent as written (placeholders are checked out of it at load time, and the
    /// `{{"{{"}}` escape is already resolved).
    pub system: Option<String>,
    /// The user turn: `{{text}}`, `{{id}}`, `{{tags}}` are filled in one pass.
    pub user: UserTemplate,
    pub tools: Vec<Tool>,
    pub tool_choice: ToolChoice,
    pub examples: Vec<Example>,
}

/// A tool the model may call, and what calling it means for the gold fields.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tool {
    pub name: String,
    pub description: Option<String>,
    /// JSON Schema, passed to the API as it is and used to validate what comes back.
    pub input_schema: serde_json::Value,
    /// Gold field -> property of the tool input.
    pub outputs: Vec<(String, String)>,
    /// The property holding the stated confidence, if any.
    pub confidence: Option<String>,
    /// Gold field -> constant value that choosing this tool means.
    pub sets: Vec<(String, serde_json::Value)>,
}

/// `tool_choice` in the four forms of the Messages API.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum ToolChoice {
    Tool { name: String },
    Any,
    Auto,
    None,
}

/// A few-shot example: a ticket and the tool input the model should have produced.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Example {
    pub text: String,
    pub output: serde_json::Value,
    /// Which tool the example's answer calls (default: the first tool).
    pub tool: Option<String>,
}

/// The built-in classifier's settings.
#[derive(Debug, Clone, PartialEq)]
pub struct LocalSpec {
    /// The file the training set was read from.
    pub train: Option<PathBuf>,
    /// The training set, loaded when the variant was checked.
    pub train_set: Option<crate::gold::GoldSet>,
    /// Inline examples: text and labels by field name, as JSON.
    pub examples: Vec<(String, Vec<(String, serde_json::Value)>)>,
    /// `None`: the classifier's default features.
    pub features: Option<Vec<String>>,
    /// `None`: the classifier's default model.
    pub model: Option<String>,
    /// `None`: the classifier's default regularisation.
    pub c: Option<f64>,
}

impl LocalSpec {
    /// The (text, class) pairs that train the model of gold field `field`: from the training
    /// set and the inline examples, the class being the index of the gold field's value (a
    /// flag: 0 false, 1 true). A `labels` field has none (a local variant does not predict it).
    pub fn examples_for(&self, gold: &GoldSet, field: usize) -> Vec<(String, u32)> {
        let gf = &gold.fields[field];
        let mut out = Vec::new();
        if let Some(train) = &self.train_set {
            if let Some((ti, tf)) = train.field(&gf.name) {
                for t in &train.tickets {
                    let class = match (&t.labels[ti], gf.kind) {
                        (GoldValue::Label(i), FieldKind::Label) => {
                            gf.index_of(&tf.values[*i as usize])
                        }
                        (GoldValue::Flag(b), FieldKind::Flag) => Some(*b as u32),
                        _ => None,
                    };
                    if let Some(class) = class {
                        out.push((t.text.clone(), class));
                    }
                }
            }
        }
        for (text, labels) in &self.examples {
            if let Some((_, v)) = labels.iter().find(|(f, _)| f == &gf.name) {
                match GoldValue::from_json(gf, v) {
                    Ok(GoldValue::Label(i)) => out.push((text.clone(), i)),
                    Ok(GoldValue::Flag(b)) => out.push((text.clone(), b as u32)),
                    _ => {}
                }
            }
        }
        out
    }
}

impl LlmSpec {
    /// The user turn for a ticket; the values are inserted as they are and never scanned
    /// again (a ticket whose text holds `{{id}}` is sent unchanged).
    pub fn render_user(&self, text: &str, id: &str, tags: &[String]) -> String {
        self.user.render(text, id, tags)
    }

    pub fn tool(&self, name: &str) -> Option<&Tool> {
        self.tools.iter().find(|t| t.name == name)
    }
}

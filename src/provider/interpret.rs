//! STUB until branch `http` lands.

use super::Interpreted;
use crate::eval_log::Outcome;
use crate::variant::{LlmSpec, ProviderKind};

pub fn interpret(
    _provider: ProviderKind,
    _spec: &LlmSpec,
    _gold_fields: &[crate::gold::Field],
    _body: &serde_json::Value,
) -> Interpreted {
    Interpreted {
        outcome: Outcome::NoToolCall,
        outputs: serde_json::Map::new(),
        confidence: None,
        tool: None,
        raw: None,
        usage: None,
        error: Some("stub".into()),
    }
}

//! STUB until branch `http` lands: the signatures of the LLM HTTP client, nothing more.

use std::time::Duration;

use super::{CallError, CallOk};
use crate::variant::{LlmSpec, ProviderKind};

pub struct LlmClient {
    provider: ProviderKind,
    base_url: String,
}

impl LlmClient {
    pub fn new(
        provider: ProviderKind,
        spec: &LlmSpec,
        _timeout: Duration,
    ) -> Result<Self, CallError> {
        let env = spec
            .api_key_env
            .clone()
            .unwrap_or_else(|| "ANTHROPIC_API_KEY".into());
        if std::env::var_os(&env).is_none() {
            return Err(CallError::Auth {
                status: None,
                message: format!("{env} is not set"),
            });
        }
        let base_url = spec
            .base_url
            .clone()
            .or_else(|| std::env::var("ANTHROPIC_BASE_URL").ok())
            .unwrap_or_else(|| "https://api.anthropic.com".into());
        Ok(LlmClient { provider, base_url })
    }
    pub fn provider(&self) -> ProviderKind {
        self.provider
    }
    pub fn base_url(&self) -> &str {
        &self.base_url
    }
    pub fn request_body(
        &self,
        spec: &LlmSpec,
        text: &str,
        id: &str,
        tags: &[String],
    ) -> serde_json::Value {
        serde_json::json!({
            "model": spec.model, "max_tokens": spec.max_tokens,
            "messages": [{"role": "user", "content": spec.render_user(text, id, tags)}],
        })
    }
    pub async fn call(
        &self,
        _body: &serde_json::Value,
        _attempt: u32,
    ) -> Result<CallOk, CallError> {
        Err(CallError::Fatal {
            status: None,
            error_type: None,
            message: "stub".into(),
            request_id: None,
        })
    }
}

//! The wire-format seam: what differs between the LLM APIs verdict speaks, behind one trait,
//! chosen once per variant by [`super::wire_format`].
//!
//! Everything else about a call (the HTTP client, retries classification, redaction, the
//! cache key, the runner) is shared. A new API is one more file in `src/provider/`
//! implementing [`WireFormat`], one [`ProviderKind`] value and one arm in
//! [`super::wire_format`]:
//! the only `match` on the provider kind for HTTP providers.

use serde_json::Value;

use super::interpret::ToolSchemas;
use super::Interpreted;
use crate::gold::Field;
use crate::variant::{LlmSpec, ProviderKind};

/// One LLM API's request body, endpoint, headers and response reading.
pub trait WireFormat: Send + Sync + std::fmt::Debug {
    /// The provider this format is (for cache keys and messages).
    fn provider(&self) -> ProviderKind;
    /// The variable the API key is read from when the variant names none.
    fn default_key_env(&self) -> &'static str;
    /// The variable that overrides the base URL.
    fn base_url_env(&self) -> &'static str;
    /// The public base URL when neither the variant nor the variable sets one.
    fn default_base_url(&self) -> &'static str;
    /// Example base URLs for an error message about a bad one.
    fn base_url_examples(&self) -> &'static str;
    /// The path posted to, after the base URL (e.g. `/v1/messages`).
    fn path(&self) -> &'static str;
    /// The response header carrying the request id.
    fn request_id_header(&self) -> &'static str;
    /// The authentication header: its name and value for `key`.
    fn auth_header(&self, key: &str) -> (&'static str, String);
    /// Other fixed headers the API requires (e.g. `anthropic-version`).
    fn extra_headers(&self) -> &'static [(&'static str, &'static str)] {
        &[]
    }
    /// The exact JSON body for a ticket (pure, deterministic: the cache key hashes it).
    fn request_body(&self, spec: &LlmSpec, text: &str, id: &str, tags: &[String]) -> Value;
    /// What a 2xx response body means for the gold fields (see [`super::interpret()`]).
    fn interpret(
        &self,
        spec: &LlmSpec,
        schemas: &ToolSchemas,
        gold_fields: &[Field],
        body: &Value,
    ) -> Interpreted;
    /// Why the model stopped, as the response says.
    fn stop_reason(&self, body: &Value) -> Option<String>;
}

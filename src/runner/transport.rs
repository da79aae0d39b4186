//! What the online runner needs from an LLM API client: its wire format, its endpoint and one
//! attempt. The real one is [`LlmClient`]; the runner's tests use scripted ones.

use std::future::Future;

use crate::provider::{CallError, CallOk, LlmClient, WireFormat};

/// What the runner needs from an LLM client: its wire format (request body, response
/// reading), its endpoint and one attempt. The real one is [`LlmClient`]; tests use scripted
/// ones.
pub trait Transport: Send + Sync + 'static {
    fn wire(&self) -> &'static dyn WireFormat;
    fn base_url(&self) -> &str;
    fn call(
        &self,
        body: &serde_json::Value,
        attempt: u32,
    ) -> impl Future<Output = Result<CallOk, CallError>> + Send;
}

impl Transport for LlmClient {
    fn wire(&self) -> &'static dyn WireFormat {
        LlmClient::wire(self)
    }
    fn base_url(&self) -> &str {
        LlmClient::base_url(self)
    }
    fn call(
        &self,
        body: &serde_json::Value,
        attempt: u32,
    ) -> impl Future<Output = Result<CallOk, CallError>> + Send {
        LlmClient::call(self, body, attempt)
    }
}

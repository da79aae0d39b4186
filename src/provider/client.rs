//! [`LlmClient`]: one HTTP client per variant, shared by both wire protocols.
//!
//! `call` makes exactly one attempt and classifies a failure as [`CallError::Retryable`],
//! [`CallError::Fatal`] or [`CallError::Auth`] (reference §3.3/§3.6); the runner owns retries.
//!
//! Choices worth knowing:
//! - A 2xx whose body is not JSON is `Retryable` (status kept, `error_type`
//!   `"malformed_response"`): the SDKs treat a body cut off mid-way as a connection error and
//!   retry it, and a truncated body is by far the likeliest cause. A server that always
//!   answers garbage costs `max_retries` attempts, then the ticket is a `provider_error`.
//! - A spend-limit 429 (`enforced_spend_limit_reached`, OpenAI `insufficient_quota`) is
//!   `Fatal` even when `x-should-retry: true` is sent: retrying cannot help until a human acts.
//! - A 401 is `Auth` whatever `x-should-retry` says.
//! - `retry_after` is the server hint as sent (no cap; non-positive or unparseable is `None`):
//!   the runner decides how much of it to honour.
//! - Every message built from a response passes through [`Secret::redact`], so a server that
//!   echoes the key back cannot put it into an error.

use std::time::{Duration, Instant};

use reqwest::header::{HeaderMap, HeaderValue, CONTENT_TYPE};
use serde_json::Value;

use super::classify::request_id_of;
// Where they were before the split, for the callers and tests that name them here.
pub use super::classify::{classify_error, parse_retry_after};
use super::secret::Secret;
use super::wire::WireFormat;
use super::wire_format;
use super::{CallError, CallOk};
use crate::variant::{LlmSpec, ProviderKind};

/// The API client of one variant. Cloning is cheap (the connection pool is shared).
#[derive(Clone)]
pub struct LlmClient {
    http: reqwest::Client,
    base_url: String,
    wire: &'static dyn WireFormat,
    key: Secret,
    /// The environment variable the key came from (safe to print).
    key_env: String,
    timeout: Duration,
}

impl std::fmt::Debug for LlmClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LlmClient")
            .field("provider", &self.wire.provider())
            .field("base_url", &self.base_url)
            .field("key", &self.key)
            .field("key_env", &self.key_env)
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// The default key variable of a provider ("" for the local provider, which has none).
pub fn default_key_env(provider: ProviderKind) -> &'static str {
    wire_format(provider).map_or("", |w| w.default_key_env())
}

/// The base-URL variable of a provider ("" for the local provider, which has none).
pub fn base_url_env(provider: ProviderKind) -> &'static str {
    wire_format(provider).map_or("", |w| w.base_url_env())
}

/// The public base URL of a provider ("" for the local provider, which has none).
pub fn default_base_url(provider: ProviderKind) -> &'static str {
    wire_format(provider).map_or("", |w| w.default_base_url())
}

/// Trims trailing slashes and one trailing `/v1`, so `http://host:8000/v1` (the OpenAI SDK
/// convention, common for vLLM and llama.cpp) and `http://host:8000` mean the same server.
pub fn normalize_base_url(url: &str) -> String {
    let url = url.trim().trim_end_matches('/');
    url.strip_suffix("/v1").unwrap_or(url).to_string()
}

/// The base URL a variant's client will use: `base_url:` in the variant, else the provider's
/// variable (`ANTHROPIC_BASE_URL` / `OPENAI_BASE_URL`), else the public default. A value that
/// is not an http(s) URL with a host is an error naming where it came from (the key or the
/// variable) and what is valid: a configuration error, found before anything is sent, instead
/// of a connection error retried on every request.
pub fn resolve_base_url(provider: ProviderKind, spec: &LlmSpec) -> Result<String, String> {
    let wire = wire_format(provider)?;
    let (url, source) = match &spec.base_url {
        Some(u) => (u.clone(), "`base_url:`".to_string()),
        None => match std::env::var(wire.base_url_env()) {
            Ok(u) if !u.trim().is_empty() => (u, format!("the variable {}", wire.base_url_env())),
            _ => (
                wire.default_base_url().to_string(),
                "the default".to_string(),
            ),
        },
    };
    check_base_url(&url).map_err(|why| {
        format!(
            "{source} = {url:?} {why}; give an http:// or https:// URL such as {}",
            wire.base_url_examples()
        )
    })?;
    Ok(url)
}

/// Why `url` cannot be a base URL (`Err` holds the reason, worded to follow the URL).
pub fn check_base_url(url: &str) -> Result<(), String> {
    let parsed = reqwest::Url::parse(url.trim()).map_err(|e| format!("is not a URL ({e})"))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(format!(
            "has the scheme {}:, not http: or https:",
            parsed.scheme()
        ));
    }
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err("has no host".into());
    }
    if parsed.query().is_some() || parsed.fragment().is_some() {
        return Err(
            "has a query or a fragment (give the server's root, like http://host:port)".into(),
        );
    }
    Ok(())
}

impl LlmClient {
    /// Key from the variable named by `spec.api_key_env`, else `ANTHROPIC_API_KEY` /
    /// `OPENAI_API_KEY`; base URL from `spec.base_url`, else `ANTHROPIC_BASE_URL` /
    /// `OPENAI_BASE_URL`, else the public default. A missing or empty key is
    /// `CallError::Auth` naming the variable. `timeout` bounds each whole attempt.
    pub fn new(
        provider: ProviderKind,
        spec: &LlmSpec,
        timeout: Duration,
    ) -> Result<Self, CallError> {
        let wire = wire_format(provider).map_err(|message| CallError::Fatal {
            status: None,
            error_type: None,
            message,
            request_id: None,
        })?;
        let key_env = spec
            .api_key_env
            .clone()
            .unwrap_or_else(|| wire.default_key_env().to_string());
        let key = match std::env::var(&key_env) {
            Ok(k) if !k.trim().is_empty() => Secret::new(k.trim().to_string()),
            Ok(_) => {
                return Err(CallError::Auth {
                    status: None,
                    message: format!("the API key variable {key_env} is empty"),
                })
            }
            Err(_) => {
                return Err(CallError::Auth {
                    status: None,
                    message: format!(
                        "no API key: set the environment variable {key_env} (or name another one with api_key_env)"
                    ),
                })
            }
        };
        let base_url = resolve_base_url(provider, spec).map_err(|message| CallError::Fatal {
            status: None,
            error_type: Some("invalid_base_url".into()),
            message,
            request_id: None,
        })?;
        Self::with_key(provider, &base_url, key, &key_env, timeout)
    }

    /// A client with an explicit key and base URL (tests, tools). `key_env` is only used in
    /// messages.
    pub fn with_key(
        provider: ProviderKind,
        base_url: &str,
        key: Secret,
        key_env: &str,
        timeout: Duration,
    ) -> Result<Self, CallError> {
        let wire = wire_format(provider).map_err(|message| CallError::Fatal {
            status: None,
            error_type: None,
            message,
            request_id: None,
        })?;
        check_base_url(base_url).map_err(|why| CallError::Fatal {
            status: None,
            error_type: Some("invalid_base_url".into()),
            message: format!("base URL {base_url:?} {why}"),
            request_id: None,
        })?;
        let http = reqwest::Client::builder()
            .use_rustls_tls()
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(10)))
            .pool_idle_timeout(Duration::from_secs(60))
            .user_agent(concat!("verdict/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| CallError::Fatal {
                status: None,
                error_type: None,
                message: format!("cannot build the HTTP client: {e}"),
                request_id: None,
            })?;
        Ok(LlmClient {
            http,
            base_url: normalize_base_url(base_url),
            wire,
            key,
            key_env: key_env.to_string(),
            timeout,
        })
    }

    pub fn provider(&self) -> ProviderKind {
        self.wire.provider()
    }

    /// The wire format of the client's provider.
    pub fn wire(&self) -> &'static dyn WireFormat {
        self.wire
    }

    /// The normalized base URL (no trailing `/` or `/v1`).
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The endpoint the client posts to.
    pub fn endpoint(&self) -> String {
        format!("{}{}", self.base_url, self.wire.path())
    }

    /// The exact JSON body for a ticket (pure, deterministic).
    pub fn request_body(&self, spec: &LlmSpec, text: &str, id: &str, tags: &[String]) -> Value {
        self.wire.request_body(spec, text, id, tags)
    }

    /// One attempt, no retries. `attempt` (0-based) is sent as `x-stainless-retry-count`,
    /// the telemetry header of the official SDKs.
    pub async fn call(&self, body: &Value, attempt: u32) -> Result<CallOk, CallError> {
        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        headers.insert("accept", HeaderValue::from_static("application/json"));
        headers.insert("x-stainless-retry-count", HeaderValue::from(attempt));
        let (auth_name, auth) = self.wire.auth_header(self.key.expose());
        let mut auth = HeaderValue::from_str(&auth).map_err(|_| CallError::Auth {
            status: None,
            message: format!(
                "the API key in {} has characters not allowed in an HTTP header",
                self.key_env
            ),
        })?;
        auth.set_sensitive(true);
        headers.insert(auth_name, auth);
        for (name, value) in self.wire.extra_headers() {
            headers.insert(*name, HeaderValue::from_static(value));
        }
        let started = Instant::now();
        let sent = self
            .http
            .post(self.endpoint())
            .headers(headers)
            .json(body)
            .send()
            .await;
        let resp = match sent {
            Ok(r) => r,
            Err(e) => return Err(self.transport_error(&e, None)),
        };
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let request_id = request_id_of(&headers, self.wire.request_id_header());
        let bytes = match resp.bytes().await {
            Ok(b) => b,
            Err(e) => {
                let mut err = self.transport_error(&e, Some(status));
                if let CallError::Retryable { request_id: r, .. } = &mut err {
                    *r = request_id;
                }
                return Err(err);
            }
        };
        let latency_ms = started.elapsed().as_secs_f64() * 1000.0;
        if (200..300).contains(&status) {
            return match serde_json::from_slice::<Value>(&bytes) {
                Ok(body) => Ok(CallOk {
                    // Behind a proxy that forwards no id header, the body's `id` still
                    // identifies the response (issue 9 item 9).
                    request_id: request_id
                        .or_else(|| body.get("id").and_then(Value::as_str).map(str::to_string)),
                    body,
                    latency_ms,
                }),
                Err(e) => Err(CallError::Retryable {
                    status: Some(status),
                    retry_after: None,
                    rate_limited: false,
                    error_type: Some("malformed_response".into()),
                    message: format!(
                        "HTTP {status} with a body that is not JSON ({e}; {} bytes)",
                        bytes.len()
                    ),
                    request_id,
                }),
            };
        }
        let err = classify_error(status, &headers, &bytes, request_id);
        Err(self.redact_error(err))
    }

    fn transport_error(&self, e: &reqwest::Error, status: Option<u16>) -> CallError {
        let what = if e.is_timeout() {
            format!("timed out after {:.1} s", self.timeout.as_secs_f64())
        } else if e.is_connect() {
            "connection failed".to_string()
        } else if status.is_some() {
            "connection lost while reading the response body".to_string()
        } else {
            "connection error".to_string()
        };
        let mut detail = error_chain(e);
        detail = self.key.redact(&detail);
        CallError::Retryable {
            status,
            retry_after: None,
            rate_limited: false,
            error_type: Some(
                if e.is_timeout() {
                    "timeout"
                } else {
                    "connection_error"
                }
                .into(),
            ),
            message: format!("{what}: {detail}"),
            request_id: None,
        }
    }

    fn redact_error(&self, err: CallError) -> CallError {
        match err {
            CallError::Retryable {
                status,
                retry_after,
                rate_limited,
                error_type,
                message,
                request_id,
            } => CallError::Retryable {
                status,
                retry_after,
                rate_limited,
                error_type,
                message: self.key.redact(&message),
                request_id,
            },
            CallError::Fatal {
                status,
                error_type,
                message,
                request_id,
            } => CallError::Fatal {
                status,
                error_type,
                message: self.key.redact(&message),
                request_id,
            },
            CallError::Auth { status, message } => CallError::Auth {
                status,
                message: format!("{} (key from {})", self.key.redact(&message), self.key_env),
            },
        }
    }
}

/// The error and its sources, one line (reqwest puts the useful part in the sources).
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut src = e.source();
    while let Some(s) = src {
        let s_str = s.to_string();
        if !out.contains(&s_str) {
            out.push_str(": ");
            out.push_str(&s_str);
        }
        src = s.source();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_malformed_base_url_is_a_configuration_error_naming_its_source() {
        // Issue 9 item 3: `not a url` and `ftp://...` were retried as connection errors.
        let spec = |url: &str| LlmSpec {
            model: "m".into(),
            max_tokens: 10,
            temperature: None,
            base_url: Some(url.into()),
            api_key_env: None,
            system: None,
            user: crate::template::UserTemplate::parse("{{text}}").unwrap(),
            tools: vec![],
            tool_choice: crate::variant::ToolChoice::Any,
            examples: vec![],
        };
        for (url, why) in [
            ("not a url", "is not a URL"),
            ("ftp://example.com", "scheme ftp:"),
            ("http://", "is not a URL"),
            ("http://exa mple.com", "is not a URL"),
            ("https://h/?q=1", "query"),
            ("file:///tmp/x", "scheme file:"),
        ] {
            let e = resolve_base_url(ProviderKind::Anthropic, &spec(url)).unwrap_err();
            assert!(e.starts_with("`base_url:`"), "{url}: {e}");
            assert!(e.contains(why), "{url}: {e}");
            assert!(e.contains("https://api.anthropic.com"), "{e}");
            let c = LlmClient::with_key(
                ProviderKind::Anthropic,
                url,
                Secret::new("k"),
                "K",
                Duration::from_secs(1),
            );
            assert!(
                matches!(&c, Err(CallError::Fatal { error_type: Some(t), .. }) if t == "invalid_base_url"),
                "{url}"
            );
        }
        for good in [
            "http://127.0.0.1:8000/v1",
            "https://api.anthropic.com",
            "http://h/proxy/",
        ] {
            assert_eq!(
                resolve_base_url(ProviderKind::OpenAi, &spec(good)).as_deref(),
                Ok(good)
            );
        }
    }

    #[test]
    fn base_urls_normalize() {
        assert_eq!(normalize_base_url("http://h:8000/v1/"), "http://h:8000");
        assert_eq!(
            normalize_base_url("https://api.anthropic.com"),
            "https://api.anthropic.com"
        );
        assert_eq!(normalize_base_url("http://h/proxy/"), "http://h/proxy");
    }
}

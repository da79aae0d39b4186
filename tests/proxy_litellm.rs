//! Behind an OpenAI-compatible proxy (LiteLLM's), against the fake's proxy-style faults over
//! real sockets. Regression tests for issue 9 item 9, one per defect:
//!
//! - `request_id_was_null_behind_a_proxy`: only `x-request-id` (OpenAI) / `request-id`
//!   (Anthropic) was read; now the other one, `llm_provider-request-id` and the body's `id`.
//! - `an_upstream_overload_as_http_500_was_a_plain_server_error`: LiteLLM relays an upstream
//!   529 as HTTP 500 whose body says `overloaded_error`; now it is an overload like a 529
//!   (retried, `rate_limited`, which makes the runner halve its concurrency).
//! - `llm_provider_retry_after_was_ignored`: the upstream hint forwarded as
//!   `llm_provider-retry-after` is honoured.
//! - `a_run_behind_a_proxy_journals_request_ids_and_retries_overloads`: the same end to end
//!   through `verdict run`.

mod common;

use std::path::Path;
use std::time::Duration;

use common::{journal, path_str, run, verdict, Fake};
use verdict::provider::{CallError, LlmClient, Secret};
use verdict::variant::{LlmSpec, ProviderKind, VariantSpec};
use verdict_fake::{self as fake, FakeConfig, FakeServer, Fault};

const KEY: &str = "sk-proxy-test";

fn classify_ticket() -> LlmSpec {
    let eval = verdict::config::load_eval(Path::new("evals/support.yaml")).expect("support eval");
    eval.variants
        .iter()
        .find_map(|v| match &v.spec {
            VariantSpec::Llm(s) if v.name == "classify-ticket" => Some(s.clone()),
            _ => None,
        })
        .expect("classify-ticket")
}

fn spec_for(provider: ProviderKind) -> LlmSpec {
    let mut s = classify_ticket();
    if provider == ProviderKind::OpenAi {
        s.model = "gpt-4o-mini".into();
    }
    s
}

fn client(provider: ProviderKind, server: &FakeServer) -> LlmClient {
    LlmClient::with_key(
        provider,
        &server.base_url,
        Secret::new(KEY),
        "TEST_KEY",
        Duration::from_secs(10),
    )
    .unwrap()
}

/// Calls once per scripted fault, in order.
async fn calls(
    provider: ProviderKind,
    script: Vec<Fault>,
) -> Vec<Result<verdict::provider::CallOk, CallError>> {
    let n = script.len();
    let server = fake::start(FakeConfig {
        script,
        ..FakeConfig::default()
    })
    .await;
    let c = client(provider, &server);
    let s = spec_for(provider);
    let body = c.request_body(&s, "My invoice shows the wrong VAT number.", "T-1", &[]);
    let mut out = Vec::new();
    for _ in 0..n {
        out.push(c.call(&body, 0).await);
    }
    out
}

#[tokio::test]
async fn request_id_was_null_behind_a_proxy() {
    for provider in [ProviderKind::OpenAi, ProviderKind::Anthropic] {
        let r = calls(
            provider,
            vec![Fault::ProxyIds, Fault::OtherRequestId, Fault::NoRequestId],
        )
        .await;
        let ids: Vec<Option<String>> = r
            .into_iter()
            .map(|r| r.expect("a 200 answer").request_id)
            .collect();
        let body_id = match provider {
            ProviderKind::OpenAi => "chatcmpl-fake-3",
            _ => "msg_fake_3",
        };
        assert_eq!(
            ids,
            vec![
                Some("req_1".to_string()),
                Some("req_2".to_string()),
                Some(body_id.to_string()),
            ],
            "{provider:?}"
        );
    }
}

#[tokio::test]
async fn an_upstream_overload_as_http_500_was_a_plain_server_error() {
    for provider in [ProviderKind::OpenAi, ProviderKind::Anthropic] {
        let r = calls(provider, vec![Fault::ProxyOverloaded, Fault::ServerError]).await;
        match &r[0] {
            Err(CallError::Retryable {
                status,
                rate_limited,
                error_type,
                request_id,
                message,
                ..
            }) => {
                assert_eq!(*status, Some(500), "the status stays what was sent");
                assert!(
                    *rate_limited,
                    "{provider:?}: an overload lowers concurrency"
                );
                assert_eq!(error_type.as_deref(), Some("overloaded_error"));
                assert_eq!(request_id.as_deref(), Some("req_1"));
                assert!(message.contains("overloaded_error"), "{message}");
            }
            other => panic!("{provider:?}: {other:?}"),
        }
        // A plain 500 stays a plain server error: retried, no back-off.
        match &r[1] {
            Err(CallError::Retryable {
                status: Some(500),
                rate_limited: false,
                ..
            }) => {}
            other => panic!("{provider:?}: {other:?}"),
        }
    }
}

#[tokio::test]
async fn llm_provider_retry_after_was_ignored() {
    for provider in [ProviderKind::OpenAi, ProviderKind::Anthropic] {
        let r = calls(provider, vec![Fault::ProxyRateLimit]).await;
        match &r[0] {
            Err(CallError::Retryable {
                status: Some(429),
                retry_after,
                rate_limited: true,
                request_id,
                ..
            }) => {
                assert_eq!(*retry_after, Some(Duration::from_secs(1)), "{provider:?}");
                assert_eq!(request_id.as_deref(), Some("req_1"));
            }
            other => panic!("{provider:?}: {other:?}"),
        }
    }
}

#[test]
fn a_run_behind_a_proxy_journals_request_ids_and_retries_overloads() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let texts = [
        "[[fault:proxy-ids]] The sync icon spins forever on my Mac.",
        "[[fault:no-request-id]] Please send me last month's invoice.",
        "[[fault:other-request-id]] How do I share a folder with a guest?",
        "[[fault:proxy-overloaded*1]] I want to upgrade to Business.",
        "[[fault:proxy-429*1]] My account is locked after a password reset.",
    ];
    let mut gold = String::from(
        "fields:\n  department: {kind: label, values: [billing, technical, sales, account, general]}\ntickets:\n",
    );
    for (i, t) in texts.iter().enumerate() {
        gold.push_str(&format!(
            "  - id: P-{i}\n    text: \"{t}\"\n    labels: {{department: technical}}\n"
        ));
    }
    std::fs::write(dir.join("gold.yaml"), gold).unwrap();
    std::fs::write(
        dir.join("variant.yaml"),
        r#"name: behind-litellm
provider: openai
model: gpt-4o-mini
max_tokens: 100
system: "Route the ticket."
user: "{{text}}"
tools:
  - name: route
    input_schema:
      type: object
      properties:
        department: {type: string, enum: [billing, technical, sales, account, general]}
      required: [department]
    outputs: {department: department}
tool_choice: {type: tool, name: route}
"#,
    )
    .unwrap();
    std::fs::write(
        dir.join("eval.yaml"),
        "name: proxy\ngold: gold.yaml\nvariants: [variant.yaml]\nrun: {concurrency: 2, seed: 3}\n",
    )
    .unwrap();
    let fake = Fake::start(FakeConfig::default());
    let out = dir.join("run");
    let mut cmd = verdict(
        &fake.server.base_url,
        KEY,
        &[
            "run",
            path_str(&dir.join("eval.yaml")),
            "--out",
            path_str(&out),
            "--no-cache",
            "--format",
            "json",
        ],
    );
    cmd.env("OPENAI_BASE_URL", &fake.server.base_url)
        .env("OPENAI_API_KEY", KEY);
    let o = run(&mut cmd);
    assert_eq!(o.status.code(), Some(0));
    let recs = journal(&out);
    assert_eq!(recs.len(), texts.len());
    for r in &recs {
        assert_eq!(r.outcome, verdict::eval_log::Outcome::Ok, "{r:?}");
        assert!(r.request_id.is_some(), "no request id: {r:?}");
        let retried = r.ticket == "P-3" || r.ticket == "P-4";
        assert_eq!(r.attempts, Some(if retried { 2 } else { 1 }), "{r:?}");
    }
    let by_ticket = |t: &str| {
        recs.iter()
            .find(|r| r.ticket == t)
            .and_then(|r| r.request_id.clone())
            .unwrap()
    };
    assert!(by_ticket("P-1").starts_with("chatcmpl-fake-"));
    assert!(by_ticket("P-0").starts_with("req_"));
}

fn headers(pairs: &[(&'static str, &str)]) -> reqwest::header::HeaderMap {
    let mut h = reqwest::header::HeaderMap::new();
    for (k, v) in pairs {
        h.insert(*k, v.parse().unwrap());
    }
    h
}

/// The classification rules behind the socket tests, on LiteLLM's literal bodies.
#[test]
fn proxy_overloads_and_hints_are_classified_like_the_upstreams() {
    use verdict::provider::client::{classify_error, parse_retry_after};
    let litellm = br#"{"error":{"message":"litellm.InternalServerError: AnthropicException - {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}. Received Model Group=claude-haiku-4-5\nAvailable Model Group Fallbacks=None","type":null,"param":null,"code":"500"}}"#;
    for status in [500, 502, 503] {
        match classify_error(status, &headers(&[]), litellm, None) {
            CallError::Retryable {
                rate_limited: true,
                error_type,
                ..
            } => assert_eq!(error_type.as_deref(), Some("overloaded_error")),
            other => panic!("{status}: {other:?}"),
        }
    }
    // Not a 5xx: the word alone changes nothing.
    assert!(matches!(
        classify_error(400, &headers(&[]), litellm, None),
        CallError::Fatal { .. }
    ));
    // The server still decides: x-should-retry: false is final, overload or not.
    assert!(matches!(
        classify_error(500, &headers(&[("x-should-retry", "false")]), litellm, None),
        CallError::Fatal { .. }
    ));
    // The proxy's own hint wins over the upstream's; the upstream's is used alone.
    assert_eq!(
        parse_retry_after(&headers(&[("llm_provider-retry-after", "3")])),
        Some(Duration::from_secs(3))
    );
    assert_eq!(
        parse_retry_after(&headers(&[("llm_provider-retry-after-ms", "250")])),
        Some(Duration::from_millis(250))
    );
    assert_eq!(
        parse_retry_after(&headers(&[
            ("retry-after", "2"),
            ("llm_provider-retry-after", "9")
        ])),
        Some(Duration::from_secs(2))
    );
}

//! The LLM clients against the strict fake server over real sockets: every support variant's
//! body is accepted, answers map to gold values, and every fault maps to the right
//! `CallError` or `Outcome`.

use std::path::Path;
use std::time::Duration;

use serde_json::{json, Value};
use verdict::eval_log::Outcome;
use verdict::gold::Field;
use verdict::provider::{interpret, CallError, CallOk, LlmClient, Secret};
use verdict::variant::{LlmSpec, ProviderKind, ToolChoice, VariantSpec};
use verdict_fake::{self as fake, Answer, FakeConfig, FakeServer, Fault};

const KEY: &str = "sk-test-SENTINEL-7f3a9c";

/// The support eval's gold fields and LLM variants (loaded once: loading is slow in debug).
type Support = (Vec<Field>, Vec<(String, LlmSpec)>);

fn support() -> Support {
    static LOADED: std::sync::OnceLock<Support> = std::sync::OnceLock::new();
    LOADED
        .get_or_init(|| {
            let eval =
                verdict::config::load_eval(Path::new("evals/support.yaml")).expect("support eval");
            let specs = eval
                .variants
                .iter()
                .filter_map(|v| match &v.spec {
                    VariantSpec::Llm(s) => Some((v.name.clone(), s.clone())),
                    VariantSpec::Local(_) => None,
                })
                .collect();
            (eval.gold.fields.clone(), specs)
        })
        .clone()
}

fn spec(name: &str) -> LlmSpec {
    support()
        .1
        .into_iter()
        .find(|(n, _)| n == name)
        .unwrap_or_else(|| panic!("variant {name}"))
        .1
}

/// The OpenAI-compatible copy of a variant.
fn openai_copy(mut s: LlmSpec) -> LlmSpec {
    s.model = "gpt-4o-mini".into();
    s
}

fn client(provider: ProviderKind, server: &FakeServer) -> LlmClient {
    client_t(provider, server, Duration::from_secs(10))
}

fn client_t(provider: ProviderKind, server: &FakeServer, timeout: Duration) -> LlmClient {
    LlmClient::with_key(
        provider,
        &server.base_url,
        Secret::new(KEY),
        "TEST_KEY",
        timeout,
    )
    .unwrap()
}

async fn strict() -> FakeServer {
    fake::start(FakeConfig {
        api_key: Some(KEY.into()),
        ..FakeConfig::default()
    })
    .await
}

async fn call_ticket(c: &LlmClient, s: &LlmSpec, text: &str) -> (Value, Result<CallOk, CallError>) {
    let body = c.request_body(s, text, "T-1", &["en".to_string()]);
    let r = c.call(&body, 0).await;
    (body, r)
}

fn fields() -> Vec<Field> {
    support().0
}

fn assert_no_key(what: &str) {
    assert!(!what.contains(KEY), "the key leaked into: {what}");
    assert!(
        !what.contains("SENTINEL"),
        "part of the key leaked into: {what}"
    );
}

#[tokio::test]
async fn every_support_variant_is_accepted_on_both_protocols() {
    let (gold, specs) = support();
    assert!(specs.len() >= 3, "{specs:?}");
    let server = strict().await;
    for (name, s) in &specs {
        for (provider, s) in [
            (ProviderKind::Anthropic, s.clone()),
            (ProviderKind::OpenAi, openai_copy(s.clone())),
        ] {
            let c = client(provider, &server);
            let (body, r) =
                call_ticket(&c, &s, "I was charged twice for Pro, please refund one.").await;
            let ok = r.unwrap_or_else(|e| panic!("{name} {provider:?}: {e:?}\n{body:#}"));
            assert!(ok
                .request_id
                .as_deref()
                .is_some_and(|id| id.starts_with("req_")));
            let i = interpret(provider, &s, &gold, &ok.body);
            assert_eq!(i.outcome, Outcome::Ok, "{name} {provider:?}: {i:?}");
            assert!(i
                .usage
                .is_some_and(|u| u.input_tokens > 0 && u.output_tokens > 0));
            for f in ["department", "priority"] {
                let v = i.outputs.get(f).and_then(Value::as_str).unwrap();
                let field = gold.iter().find(|g| g.name == f).unwrap();
                assert!(field.values.iter().any(|x| x == v), "{f} = {v}");
            }
            assert!(i.tool.is_some());
        }
    }
    // One request per (variant, protocol): nothing requested twice.
    let log = server.requests();
    assert_eq!(log.len(), specs.len() * 2);
    assert!(log.iter().all(|r| r.status == 200), "{log:#?}");
}

#[tokio::test]
async fn few_shot_history_is_valid_tool_use_history() {
    let s = spec("classify-ticket-fewshot");
    assert_eq!(s.examples.len(), 6);
    let c = LlmClient::with_key(
        ProviderKind::Anthropic,
        "http://127.0.0.1:9",
        Secret::new(KEY),
        "K",
        Duration::from_secs(1),
    )
    .unwrap();
    let body = c.request_body(&s, "ticket text", "T-9", &[]);
    let msgs = body["messages"].as_array().unwrap();
    assert_eq!(msgs.len(), 13);
    assert_eq!(msgs[1]["content"][0]["type"], "tool_use");
    assert_eq!(msgs[1]["content"][0]["name"], "classify_ticket");
    assert_eq!(msgs[2]["content"][0]["type"], "tool_result");
    assert_eq!(
        msgs[2]["content"][0]["tool_use_id"],
        msgs[1]["content"][0]["id"]
    );
    assert_eq!(msgs[12]["content"][0]["type"], "tool_result");
    assert!(msgs[12]["content"][1]["text"]
        .as_str()
        .unwrap()
        .contains("<ticket>\nticket text\n</ticket>"));
    assert_eq!(
        body["tool_choice"],
        json!({"type": "tool", "name": "classify_ticket", "disable_parallel_tool_use": true})
    );
    assert_eq!(body["temperature"], json!(0.0));
    // Deterministic.
    assert_eq!(body, c.request_body(&s, "ticket text", "T-9", &[]));

    let o = LlmClient::with_key(
        ProviderKind::OpenAi,
        "http://127.0.0.1:9/v1/",
        Secret::new(KEY),
        "K",
        Duration::from_secs(1),
    )
    .unwrap();
    assert_eq!(o.base_url(), "http://127.0.0.1:9");
    let body = o.request_body(&openai_copy(s), "ticket text", "T-9", &[]);
    let msgs = body["messages"].as_array().unwrap();
    assert_eq!(msgs[0]["role"], "system");
    assert_eq!(
        msgs[2]["tool_calls"][0]["function"]["name"],
        "classify_ticket"
    );
    assert!(msgs[2]["tool_calls"][0]["function"]["arguments"].is_string());
    assert_eq!(msgs[3]["role"], "tool");
    assert_eq!(msgs[3]["tool_call_id"], msgs[2]["tool_calls"][0]["id"]);
    assert_eq!(
        body["tool_choice"],
        json!({"type": "function", "function": {"name": "classify_ticket"}})
    );
    assert_eq!(body["parallel_tool_calls"], json!(false));
    assert_eq!(body["max_completion_tokens"], json!(400));
    assert!(body.get("max_tokens").is_none());
}

#[tokio::test]
async fn all_four_tool_choices_are_accepted() {
    let server = strict().await;
    for choice in [
        ToolChoice::Tool {
            name: "classify_ticket".into(),
        },
        ToolChoice::Any,
        ToolChoice::Auto,
        ToolChoice::None,
    ] {
        let mut s = spec("classify-ticket");
        s.tool_choice = choice.clone();
        s.temperature = None;
        for (provider, s) in [
            (ProviderKind::Anthropic, s.clone()),
            (ProviderKind::OpenAi, openai_copy(s.clone())),
        ] {
            let c = client(provider, &server);
            let (body, r) = call_ticket(&c, &s, "hello").await;
            assert!(body.get("temperature").is_none());
            let ok = r.unwrap_or_else(|e| panic!("{choice:?} {provider:?}: {e:?}"));
            let i = interpret(provider, &s, &fields(), &ok.body);
            let want = if choice == ToolChoice::None {
                Outcome::NoToolCall
            } else {
                Outcome::Ok
            };
            assert_eq!(i.outcome, want, "{choice:?} {provider:?}: {i:?}");
        }
    }
}

#[tokio::test]
async fn scripted_answers_map_to_gold_values() {
    let server = fake::start(
        FakeConfig {
            api_key: Some(KEY.into()),
            ..FakeConfig::default()
        }
        .answer(
            "charged twice",
            Answer::input(json!({
                "department": "billing", "priority": "high",
                "intents": ["refund_request", "billing_dispute", "refund_request"],
                "confidence": 0.83, "requires_human": false
            })),
        )
        .answer(
            "lawyer",
            Answer::tool(
                "escalate_to_human",
                json!({"reason": "legal threat", "department": "account", "priority": "urgent"}),
            ),
        ),
    )
    .await;
    let gold = fields();
    for provider in [ProviderKind::Anthropic, ProviderKind::OpenAi] {
        let adapt = |s: LlmSpec| {
            if provider == ProviderKind::OpenAi {
                openai_copy(s)
            } else {
                s
            }
        };
        let c = client(provider, &server);
        let s = adapt(spec("classify-ticket"));
        let (_, r) = call_ticket(&c, &s, "I was charged twice").await;
        let i = interpret(provider, &s, &gold, &r.unwrap().body);
        assert_eq!(i.outcome, Outcome::Ok);
        assert_eq!(i.tool.as_deref(), Some("classify_ticket"));
        assert_eq!(i.confidence, Some(0.83));
        assert_eq!(
            Value::Object(i.outputs.clone()),
            json!({"department": "billing", "priority": "high",
                   "intents": ["billing_dispute", "refund_request"], "requires_human": false})
        );
        assert_eq!(i.raw.as_ref().unwrap()["intents"][0], "refund_request");
        assert_eq!(i.error, None);

        // Triage: escalate_to_human sets requires_human.
        let s = adapt(spec("triage-ticket"));
        let (body, r) = call_ticket(&c, &s, "my lawyer will call you").await;
        if provider == ProviderKind::Anthropic {
            assert_eq!(
                body["tool_choice"],
                json!({"type": "any", "disable_parallel_tool_use": true})
            );
        } else {
            assert_eq!(body["tool_choice"], json!("required"));
        }
        let i = interpret(provider, &s, &gold, &r.unwrap().body);
        assert_eq!(i.outcome, Outcome::Ok, "{i:?}");
        assert_eq!(i.tool.as_deref(), Some("escalate_to_human"));
        assert_eq!(i.confidence, None);
        assert_eq!(
            Value::Object(i.outputs.clone()),
            json!({"department": "account", "priority": "urgent", "requires_human": true})
        );
        // Triage, unscripted: the first tool.
        let (_, r) = call_ticket(&c, &s, "where is the export button").await;
        let i = interpret(provider, &s, &gold, &r.unwrap().body);
        assert_eq!(i.tool.as_deref(), Some("triage_ticket"));
        assert_eq!(i.outputs.len(), 4);
    }
}

async fn fault(provider: ProviderKind, f: Fault) -> (Result<CallOk, CallError>, FakeServer) {
    let server = strict().await;
    let s = if provider == ProviderKind::OpenAi {
        openai_copy(spec("classify-ticket"))
    } else {
        spec("classify-ticket")
    };
    let c = client_t(provider, &server, Duration::from_millis(1000));
    let (_, r) = call_ticket(&c, &s, &format!("ticket {}", f.marker())).await;
    if let Err(e) = &r {
        assert_no_key(&format!("{e:?} {e}"));
    }
    (r, server)
}

async fn outcome(provider: ProviderKind, f: Fault) -> verdict::provider::Interpreted {
    let s = if provider == ProviderKind::OpenAi {
        openai_copy(spec("classify-ticket"))
    } else {
        spec("classify-ticket")
    };
    let (r, _server) = fault(provider, f.clone()).await;
    let ok = r.unwrap_or_else(|e| panic!("{f:?}: {e:?}"));
    interpret(provider, &s, &fields(), &ok.body)
}

const BOTH: [ProviderKind; 2] = [ProviderKind::Anthropic, ProviderKind::OpenAi];

#[tokio::test]
async fn enum_violation_is_invalid_output_naming_field_and_value() {
    for p in BOTH {
        let i = outcome(p, Fault::BadEnum).await;
        assert_eq!(i.outcome, Outcome::InvalidOutput, "{p:?}");
        let e = i.error.unwrap();
        assert!(
            e.contains("department") && e.contains("not_a_valid_value"),
            "{e}"
        );
        assert_eq!(i.raw.unwrap()["department"], "not_a_valid_value");
        assert!(i.outputs.is_empty());
    }
}

#[tokio::test]
async fn openai_arguments_that_are_not_json_are_invalid_output() {
    let i = outcome(ProviderKind::OpenAi, Fault::BadJsonArgs).await;
    assert_eq!(i.outcome, Outcome::InvalidOutput);
    assert!(i.error.unwrap().contains("not valid JSON"));
}

#[tokio::test]
async fn no_tool_refusal_max_tokens_wrong_tool() {
    for p in BOTH {
        let i = outcome(p, Fault::NoTool).await;
        assert_eq!(i.outcome, Outcome::NoToolCall, "{p:?}");
        assert!(i.error.unwrap().contains("billing team"));
        assert!(i.usage.is_some());
        assert_eq!(outcome(p, Fault::Refusal).await.outcome, Outcome::Refusal);
        assert_eq!(
            outcome(p, Fault::MaxTokens).await.outcome,
            Outcome::MaxTokens
        );
        let i = outcome(p, Fault::WrongTool).await;
        assert_eq!(i.outcome, Outcome::NoToolCall);
        assert!(i.error.unwrap().contains("not_a_defined_tool"));
        // Two calls: the first of a known tool is used, with a note.
        let i = outcome(p, Fault::TwoTools).await;
        assert_eq!(i.outcome, Outcome::Ok, "{i:?}");
        assert_eq!(i.tool.as_deref(), Some("classify_ticket"));
        assert!(i.error.unwrap().starts_with("note: 2 tool calls"));
    }
}

fn retryable(
    r: Result<CallOk, CallError>,
) -> (Option<u16>, Option<Duration>, bool, String, Option<String>) {
    match r {
        Err(CallError::Retryable {
            status,
            retry_after,
            rate_limited,
            message,
            request_id,
            ..
        }) => (status, retry_after, rate_limited, message, request_id),
        other => panic!("expected Retryable, got {other:?}"),
    }
}

#[tokio::test]
async fn rate_limits_are_retryable_with_their_hint() {
    for p in BOTH {
        let (s, ra, rl, _, id) = retryable(fault(p, Fault::RateLimit).await.0);
        assert_eq!((s, ra, rl), (Some(429), Some(Duration::from_secs(1)), true));
        assert!(id.is_some_and(|i| i.starts_with("req_")));
        let (_, ra, _, _, _) = retryable(fault(p, Fault::RateLimitMs).await.0);
        assert_eq!(ra, Some(Duration::from_millis(250)), "retry-after-ms wins");
        let (_, ra, _, _, _) = retryable(fault(p, Fault::RateLimitDate).await.0);
        let ra = ra.expect("HTTP-date retry-after");
        assert!(
            ra <= Duration::from_secs(2) && ra > Duration::ZERO,
            "{ra:?}"
        );
        let (s, ra, rl, _, _) = retryable(fault(p, Fault::RateLimitBare).await.0);
        assert_eq!((s, ra, rl), (Some(429), None, true));
    }
}

#[tokio::test]
async fn spend_limit_is_fatal() {
    for p in BOTH {
        match fault(p, Fault::SpendLimit).await.0 {
            Err(CallError::Fatal {
                status: Some(429),
                message,
                ..
            }) => assert!(message.contains("spend limit"), "{message}"),
            other => panic!("{p:?}: {other:?}"),
        }
    }
}

#[tokio::test]
async fn server_errors_and_should_retry() {
    for p in BOTH {
        let (s, _, rl, _, _) = retryable(fault(p, Fault::Overloaded).await.0);
        assert_eq!((s, rl), (Some(529), true));
        let (s, _, rl, msg, _) = retryable(fault(p, Fault::ServerError).await.0);
        assert_eq!((s, rl), (Some(500), false));
        assert!(msg.contains("api_error"), "{msg}");
        assert!(matches!(
            fault(p, Fault::ServerErrorNoRetry).await.0,
            Err(CallError::Fatal {
                status: Some(500),
                ..
            })
        ));
        match fault(p, Fault::BadRequest).await.0 {
            Err(CallError::Fatal {
                status: Some(400),
                error_type,
                request_id,
                ..
            }) => {
                assert_eq!(error_type.as_deref(), Some("invalid_request_error"));
                assert!(request_id.is_some());
            }
            other => panic!("{other:?}"),
        }
        let (s, _, _, _, _) = retryable(fault(p, Fault::BadRequestRetry).await.0);
        assert_eq!(s, Some(400));
        assert!(matches!(
            fault(p, Fault::Status(403)).await.0,
            Err(CallError::Fatal {
                status: Some(403),
                ..
            })
        ));
        let (s, _, _, _, _) = retryable(fault(p, Fault::Status(503)).await.0);
        assert_eq!(s, Some(503));
    }
}

#[tokio::test]
async fn transport_failures_are_retryable() {
    for p in BOTH {
        let (s, _, _, msg, _) = retryable(fault(p, Fault::Hang).await.0);
        assert_eq!(s, None);
        // Ended by the client's own 1 s timeout (no status: the server never answered), not
        // by the server's 600 s hang; said by the error, not by a wall-clock bound.
        assert!(msg.contains("timed out after 1.0 s"), "{msg}");

        let (s, _, _, msg, _) = retryable(fault(p, Fault::Reset).await.0);
        assert_eq!(s, None, "{msg}");

        let (s, _, _, msg, _) = retryable(fault(p, Fault::CutBody).await.0);
        assert_eq!(s, Some(200), "{msg}");
        assert!(msg.contains("connection lost"), "{msg}");

        match fault(p, Fault::Malformed).await.0 {
            Err(CallError::Retryable {
                status: Some(200),
                error_type,
                request_id,
                ..
            }) => {
                assert_eq!(error_type.as_deref(), Some("malformed_response"));
                assert!(request_id.is_some());
            }
            other => panic!("{other:?}"),
        }
    }
}

#[tokio::test]
async fn connection_refused_is_retryable() {
    // Bind and drop a listener to get a port nobody listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let c = LlmClient::with_key(
        ProviderKind::Anthropic,
        &format!("http://127.0.0.1:{port}"),
        Secret::new(KEY),
        "K",
        Duration::from_secs(2),
    )
    .unwrap();
    let s = spec("classify-ticket");
    let (_, r) = call_ticket(&c, &s, "x").await;
    let (status, _, _, msg, _) = retryable(r);
    assert_eq!(status, None);
    assert_no_key(&msg);
}

#[tokio::test]
async fn fail_n_times_then_succeed() {
    let server = strict().await;
    let s = spec("classify-ticket");
    let c = client(ProviderKind::Anthropic, &server);
    let text = format!("flaky ticket {}", Fault::ServerError.marker_times(2));
    let body = c.request_body(&s, &text, "T-1", &[]);
    for attempt in 0..2 {
        assert!(c.call(&body, attempt).await.unwrap_err().is_retryable());
    }
    let ok = c.call(&body, 2).await.unwrap();
    assert_eq!(
        interpret(ProviderKind::Anthropic, &s, &fields(), &ok.body).outcome,
        Outcome::Ok
    );
    let log = server.requests();
    assert_eq!(log.len(), 3);
    let counts: Vec<_> = log
        .iter()
        .map(|r| r.header("x-stainless-retry-count").unwrap().to_string())
        .collect();
    assert_eq!(counts, ["0", "1", "2"]);
    assert_eq!(
        log.iter().map(|r| r.status).collect::<Vec<_>>(),
        [500, 500, 200]
    );
    assert_eq!(server.count_ticket("flaky ticket"), 3);
}

#[tokio::test]
async fn scripted_fault_queue() {
    let server = fake::start(FakeConfig {
        script: vec![Fault::Overloaded, Fault::Refusal],
        ..FakeConfig::default()
    })
    .await;
    let s = spec("classify-ticket");
    let c = client(ProviderKind::Anthropic, &server);
    let body = c.request_body(&s, "plain", "T-1", &[]);
    assert!(matches!(
        c.call(&body, 0).await,
        Err(CallError::Retryable {
            status: Some(529),
            ..
        })
    ));
    let r = c.call(&body, 1).await.unwrap();
    assert_eq!(
        interpret(ProviderKind::Anthropic, &s, &fields(), &r.body).outcome,
        Outcome::Refusal
    );
    let r = c.call(&body, 2).await.unwrap();
    assert_eq!(
        interpret(ProviderKind::Anthropic, &s, &fields(), &r.body).outcome,
        Outcome::Ok
    );
}

#[tokio::test]
async fn bad_key_is_auth_and_the_key_never_leaks() {
    let server = fake::start(FakeConfig {
        api_key: Some("the-right-key".into()),
        ..FakeConfig::default()
    })
    .await;
    let s = spec("classify-ticket");
    for provider in BOTH {
        let s = if provider == ProviderKind::OpenAi {
            openai_copy(s.clone())
        } else {
            s.clone()
        };
        let c = client(provider, &server);
        assert_no_key(&format!("{c:?}"));
        assert_no_key(&format!("{c:#?}"));
        let (_, r) = call_ticket(&c, &s, "x").await;
        match &r {
            Err(
                e @ CallError::Auth {
                    status: Some(401),
                    message,
                },
            ) => {
                assert!(
                    message.contains("TEST_KEY"),
                    "names the variable: {message}"
                );
                assert_no_key(&format!("{e:?}"));
                assert_no_key(&format!("{e:#?}"));
                assert_no_key(&e.to_string());
            }
            other => panic!("{other:?}"),
        }
    }
    // Every other error kind, too.
    for f in [
        Fault::RateLimit,
        Fault::SpendLimit,
        Fault::ServerErrorNoRetry,
        Fault::BadRequest,
        Fault::Hang,
        Fault::Reset,
        Fault::Malformed,
    ] {
        // `fault()` asserts the key is absent from every error.
        let _ = fault(ProviderKind::Anthropic, f.clone()).await;
        let _ = fault(ProviderKind::OpenAi, f).await;
    }
    // The fake's log redacts auth headers.
    let log = format!("{:?}", server.requests());
    assert_no_key(&log);
    assert!(log.contains("[redacted]"));
}

#[tokio::test]
async fn a_server_echoing_the_key_is_redacted() {
    // A hand-rolled server that answers 400 with the key in the message.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let (mut sock, _) = listener.accept().await.unwrap();
        let mut buf = vec![0u8; 65536];
        let mut got = Vec::new();
        loop {
            let n = sock.read(&mut buf).await.unwrap();
            got.extend_from_slice(&buf[..n]);
            let text = String::from_utf8_lossy(&got);
            if let Some(h) = text.find("\r\n\r\n") {
                let len: usize = text[..h]
                    .lines()
                    .find_map(|l| {
                        l.to_ascii_lowercase()
                            .strip_prefix("content-length:")
                            .map(|v| v.trim().parse().unwrap())
                    })
                    .unwrap_or(0);
                if got.len() >= h + 4 + len {
                    break;
                }
            }
        }
        let body = format!(
            r#"{{"type":"error","error":{{"type":"invalid_request_error","message":"bad key {KEY} here"}}}}"#
        );
        let resp = format!(
            "HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        );
        sock.write_all(resp.as_bytes()).await.unwrap();
    });
    let c = LlmClient::with_key(
        ProviderKind::Anthropic,
        &format!("http://{addr}"),
        Secret::new(KEY),
        "K",
        Duration::from_secs(5),
    )
    .unwrap();
    let (_, r) = call_ticket(&c, &spec("classify-ticket"), "x").await;
    let e = r.unwrap_err();
    assert!(e.message().contains("bad key [redacted] here"), "{e:?}");
    assert_no_key(&format!("{e:?}"));
}

#[test]
fn missing_key_names_the_variable() {
    let mut s = spec("classify-ticket");
    s.api_key_env = Some("VERDICT_TEST_NO_SUCH_KEY_VAR".into());
    match LlmClient::new(ProviderKind::Anthropic, &s, Duration::from_secs(1)) {
        Err(CallError::Auth { message, .. }) => {
            assert!(
                message.contains("VERDICT_TEST_NO_SUCH_KEY_VAR"),
                "{message}"
            )
        }
        other => panic!("{other:?}"),
    }
    // A key from the named variable and a base URL from the variant.
    std::env::set_var("VERDICT_TEST_KEY_FOR_NEW", KEY);
    s.api_key_env = Some("VERDICT_TEST_KEY_FOR_NEW".into());
    s.base_url = Some("http://127.0.0.1:1234/".into());
    let c = LlmClient::new(ProviderKind::Anthropic, &s, Duration::from_secs(1)).unwrap();
    assert_eq!(c.base_url(), "http://127.0.0.1:1234");
    assert_eq!(c.provider(), ProviderKind::Anthropic);
    assert_no_key(&format!("{c:?}"));
}

#[tokio::test]
async fn latency_is_concurrent() {
    let server = fake::start(FakeConfig {
        latency: Duration::from_millis(200),
        ..FakeConfig::default()
    })
    .await;
    let s = spec("classify-ticket");
    let c = client(ProviderKind::Anthropic, &server);
    let t0 = std::time::Instant::now();
    let mut tasks = Vec::new();
    for i in 0..32 {
        let c = c.clone();
        let body = c.request_body(&s, &format!("ticket {i}"), "T", &[]);
        tasks.push(tokio::spawn(async move { c.call(&body, 0).await }));
    }
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    // The latency is applied, and the 32 calls waited on the server at the same time
    // (counted by the server, not timed, so a loaded machine cannot make this flaky).
    assert!(t0.elapsed() >= Duration::from_millis(200));
    assert_eq!(server.max_in_flight(), 32);
    // No ticket requested twice.
    let mut tickets: Vec<String> = server
        .requests()
        .into_iter()
        .filter_map(|r| r.ticket)
        .collect();
    tickets.sort();
    let n = tickets.len();
    tickets.dedup();
    assert_eq!((n, tickets.len()), (32, 32));
}

#[tokio::test]
async fn usage_and_cost() {
    let server = strict().await;
    let s = spec("classify-ticket");
    let c = client(ProviderKind::Anthropic, &server);
    let (body, r) = call_ticket(&c, &s, "x").await;
    let i = interpret(ProviderKind::Anthropic, &s, &fields(), &r.unwrap().body);
    let u = i.usage.unwrap();
    assert!(u.input_tokens > 0 && u.output_tokens > 0);
    assert!(u.cache_read_input_tokens > 0 && u.cache_creation_input_tokens > 0);
    let total = u.input_tokens + u.cache_read_input_tokens + u.cache_creation_input_tokens;
    let est = verdict::provider::estimate_input_tokens(&body);
    assert!(est >= total, "{est} vs {total}");
    let price = verdict::provider::price_for(&s.model, &[]).unwrap();
    assert!(verdict::provider::cost_usd(&price, &u) > 0.0);
    // OpenAI: cached tokens come out of the input.
    let s = openai_copy(s);
    let c = client(ProviderKind::OpenAi, &server);
    let (_, r) = call_ticket(&c, &s, "x").await;
    let ok = r.unwrap();
    let i = interpret(ProviderKind::OpenAi, &s, &fields(), &ok.body);
    let u = i.usage.unwrap();
    let prompt = ok.body["usage"]["prompt_tokens"].as_u64().unwrap();
    assert_eq!(u.input_tokens + u.cache_read_input_tokens, prompt);
    assert!(u.cache_read_input_tokens > 0);
}

//! The fake API server is strict like the real one: raw requests over real sockets.

use serde_json::{json, Value};
use verdict_fake::{self as fake, FakeConfig, FakeServer};

const KEY: &str = "sk-fake-strict-KEY";

async fn server() -> FakeServer {
    fake::start(FakeConfig {
        api_key: Some(KEY.into()),
        ..FakeConfig::default()
    })
    .await
}

fn good() -> Value {
    json!({
        "model": "claude-haiku-4-5",
        "max_tokens": 100,
        "system": "Label tickets.",
        "messages": [{"role": "user", "content": "My card was charged twice."}],
        "tools": [{"name": "classify", "description": "Record the label.",
                   "input_schema": {"type": "object",
                                    "properties": {"label": {"type": "string", "enum": ["billing", "bug"]}},
                                    "required": ["label"], "additionalProperties": false}}],
        "tool_choice": {"type": "tool", "name": "classify", "disable_parallel_tool_use": true}
    })
}

fn good_openai() -> Value {
    json!({
        "model": "gpt-4o-mini",
        "messages": [{"role": "system", "content": "Label tickets."},
                     {"role": "user", "content": "My card was charged twice."}],
        "tools": [{"type": "function", "function": {"name": "classify", "description": "Record the label.",
                   "parameters": {"type": "object",
                                  "properties": {"label": {"type": "string", "enum": ["billing", "bug"]}},
                                  "required": ["label"], "additionalProperties": false}}}],
        "tool_choice": {"type": "function", "function": {"name": "classify"}},
        "parallel_tool_calls": false,
        "max_completion_tokens": 100
    })
}

struct Reply {
    status: u16,
    headers: reqwest::header::HeaderMap,
    body: Value,
}

impl Reply {
    fn message(&self) -> &str {
        self.body["error"]["message"].as_str().unwrap_or("")
    }
    fn error_type(&self) -> &str {
        self.body["error"]["type"].as_str().unwrap_or("")
    }
}

async fn send(s: &FakeServer, path: &str, headers: &[(&str, &str)], body: &str) -> Reply {
    let mut req = reqwest::Client::new().post(format!("{}{path}", s.base_url));
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let resp = req.body(body.to_string()).send().await.unwrap();
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let text = resp.text().await.unwrap();
    let body = serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text}"));
    Reply {
        status,
        headers,
        body,
    }
}

const ANTHROPIC: &[(&str, &str)] = &[
    ("x-api-key", KEY),
    ("anthropic-version", "2023-06-01"),
    ("content-type", "application/json"),
];

async fn messages(s: &FakeServer, body: &Value) -> Reply {
    send(s, "/v1/messages", ANTHROPIC, &body.to_string()).await
}

async fn chat(s: &FakeServer, body: &Value) -> Reply {
    send(
        s,
        "/v1/chat/completions",
        &[
            ("authorization", &format!("Bearer {KEY}")),
            ("content-type", "application/json"),
        ],
        &body.to_string(),
    )
    .await
}

fn assert_400(r: &Reply, needle: &str) {
    assert_eq!(r.status, 400, "{}", r.body);
    assert_eq!(r.error_type(), "invalid_request_error", "{}", r.body);
    assert!(
        r.message().contains(needle),
        "{:?} lacks {needle:?}",
        r.message()
    );
}

#[tokio::test]
async fn a_good_request_gets_a_forced_tool_call() {
    let s = server().await;
    let r = messages(&s, &good()).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.headers["content-type"], "application/json");
    assert_eq!(r.headers["request-id"], "req_1");
    assert!(r
        .headers
        .contains_key("anthropic-ratelimit-requests-remaining"));
    assert_eq!(r.body["type"], "message");
    assert_eq!(r.body["stop_reason"], "tool_use");
    let block = &r.body["content"][0];
    assert_eq!(block["type"], "tool_use");
    assert_eq!(block["name"], "classify");
    assert!(["billing", "bug"].contains(&block["input"]["label"].as_str().unwrap()));
    for k in [
        "input_tokens",
        "output_tokens",
        "cache_read_input_tokens",
        "cache_creation_input_tokens",
    ] {
        assert!(r.body["usage"][k].as_u64().is_some(), "{k}");
    }
    // Same ticket, same answer.
    let again = messages(&s, &good()).await;
    assert_eq!(again.body["content"][0]["input"], block["input"]);
    assert_eq!(again.headers["request-id"], "req_2");
}

#[tokio::test]
async fn headers_are_checked() {
    let s = server().await;
    let body = good().to_string();
    let no_key = send(
        &s,
        "/v1/messages",
        &[
            ("anthropic-version", "2023-06-01"),
            ("content-type", "application/json"),
        ],
        &body,
    )
    .await;
    assert_eq!(no_key.status, 401);
    assert_eq!(no_key.body["type"], "error");
    assert_eq!(no_key.error_type(), "authentication_error");
    // The error body carries the request id of the header.
    assert_eq!(
        no_key.body["request_id"].as_str().unwrap(),
        no_key.headers["request-id"].to_str().unwrap()
    );

    let both = send(
        &s,
        "/v1/messages",
        &[
            ("x-api-key", KEY),
            ("authorization", &format!("Bearer {KEY}")),
            ("anthropic-version", "2023-06-01"),
            ("content-type", "application/json"),
        ],
        &body,
    )
    .await;
    assert_eq!(both.status, 401);

    let wrong = send(
        &s,
        "/v1/messages",
        &[
            ("x-api-key", "sk-wrong"),
            ("anthropic-version", "2023-06-01"),
            ("content-type", "application/json"),
        ],
        &body,
    )
    .await;
    assert_eq!(wrong.status, 401);

    // Bearer auth alone is fine.
    let bearer = send(
        &s,
        "/v1/messages",
        &[
            ("authorization", &format!("Bearer {KEY}")),
            ("anthropic-version", "2023-06-01"),
            ("content-type", "application/json"),
        ],
        &body,
    )
    .await;
    assert_eq!(bearer.status, 200, "{}", bearer.body);

    let no_version = send(
        &s,
        "/v1/messages",
        &[("x-api-key", KEY), ("content-type", "application/json")],
        &body,
    )
    .await;
    assert_400(&no_version, "anthropic-version");
    let old_version = send(
        &s,
        "/v1/messages",
        &[
            ("x-api-key", KEY),
            ("anthropic-version", "2023-01-01"),
            ("content-type", "application/json"),
        ],
        &body,
    )
    .await;
    assert_400(&old_version, "anthropic-version");

    let text_plain = send(
        &s,
        "/v1/messages",
        &[
            ("x-api-key", KEY),
            ("anthropic-version", "2023-06-01"),
            ("content-type", "text/plain"),
        ],
        &body,
    )
    .await;
    assert_400(&text_plain, "content-type");

    let not_json = send(&s, "/v1/messages", ANTHROPIC, "{\"model\":").await;
    assert_400(&not_json, "parsing the body");

    // The log keeps every request, with the auth headers redacted.
    let log = s.requests();
    assert_eq!(log.len(), 8);
    assert_eq!(log[0].status, 401);
    assert_eq!(log[3].status, 200);
    assert!(!format!("{log:?}").contains(KEY));
}

#[tokio::test]
async fn sdk_extra_headers_are_accepted() {
    let s = server().await;
    let r = send(
        &s,
        "/v1/messages",
        &[
            ("x-api-key", KEY),
            ("anthropic-version", "2023-06-01"),
            ("content-type", "application/json; charset=utf-8"),
            ("accept", "application/json"),
            ("user-agent", "Anthropic/Python 0.121.0"),
            ("x-stainless-retry-count", "0"),
            ("x-stainless-timeout", "600"),
            ("x-stainless-lang", "python"),
            ("x-stainless-package-version", "0.121.0"),
            (
                "anthropic-beta",
                "token-efficient-tools-2025-02-19,interleaved-thinking-2025-05-14",
            ),
        ],
        &good().to_string(),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let log = s.requests();
    assert_eq!(log[0].header("x-stainless-lang"), Some("python"));
}

#[tokio::test]
async fn unknown_keys_are_rejected_with_their_dotted_path() {
    let s = server().await;
    type Mutate = Box<dyn Fn(&mut Value)>;
    let cases: Vec<(Mutate, &str)> = vec![
        (
            Box::new(|b| b["foo"] = json!(1)),
            "foo: Extra inputs are not permitted",
        ),
        (
            Box::new(|b| b["messages"][0]["name"] = json!("bob")),
            "messages.0.name: Extra inputs are not permitted",
        ),
        (
            Box::new(|b| b["tools"][0]["custom"] = json!({})),
            "tools.0.custom: Extra inputs are not permitted",
        ),
        (
            Box::new(|b| b["tool_choice"]["parallel"] = json!(false)),
            "tool_choice.parallel: Extra inputs are not permitted",
        ),
        (
            Box::new(|b| b["metadata"] = json!({"user_id": "u1", "tag": "x"})),
            "metadata.tag: Extra inputs are not permitted",
        ),
        (
            Box::new(|b| {
                b["messages"][0]["content"] = json!([{"type": "text", "text": "hi", "lang": "en"}])
            }),
            "messages.0.content.0.lang: Extra inputs are not permitted",
        ),
        (
            // disable_parallel_tool_use lives inside tool_choice, not at the top.
            Box::new(|b| b["disable_parallel_tool_use"] = json!(true)),
            "disable_parallel_tool_use: Extra inputs are not permitted",
        ),
        (
            Box::new(|b| b["max_completion_tokens"] = json!(5)),
            "max_completion_tokens: Extra inputs are not permitted",
        ),
    ];
    for (mutate, needle) in cases {
        let mut b = good();
        mutate(&mut b);
        assert_400(&messages(&s, &b).await, needle);
    }
}

#[tokio::test]
async fn tools_and_tool_choice_are_checked() {
    let s = server().await;
    let mut b = good();
    b["tool_choice"] = json!({"type": "tool", "name": "nope"});
    assert_400(&messages(&s, &b).await, "tool_choice.name");

    let mut b = good();
    b["tool_choice"] = json!({"type": "tool"});
    assert_400(&messages(&s, &b).await, "tool_choice.name: Field required");

    let mut b = good();
    b["tool_choice"] = json!({"type": "function", "name": "classify"});
    assert_400(&messages(&s, &b).await, "tool_choice.type");

    let mut b = good();
    b["tool_choice"] = json!({"type": "any", "disable_parallel_tool_use": "yes"});
    assert_400(&messages(&s, &b).await, "disable_parallel_tool_use");

    for bad in ["classify ticket", "classify.ticket", "", &"x".repeat(65)] {
        let mut b = good();
        b["tools"][0]["name"] = json!(bad);
        b["tool_choice"] = json!({"type": "auto"});
        assert_400(&messages(&s, &b).await, "tools.0.name");
    }

    let mut b = good();
    let t = b["tools"][0].clone();
    b["tools"] = json!([t.clone(), t]);
    assert_400(&messages(&s, &b).await, "Tool names must be unique");

    let mut b = good();
    b["tools"][0]["input_schema"]["type"] = json!("string");
    assert_400(&messages(&s, &b).await, "tools.0.input_schema.type");

    let mut b = good();
    b.as_object_mut().unwrap().remove("tools");
    b["tool_choice"] = json!({"type": "any"});
    assert_400(&messages(&s, &b).await, "tool_choice");

    let mut b = good();
    b["thinking"] = json!({"type": "enabled", "budget_tokens": 1024});
    b["max_tokens"] = json!(2000);
    assert_400(&messages(&s, &b).await, "Thinking may not be enabled");

    // All four forms are accepted.
    for tc in [
        json!({"type": "tool", "name": "classify"}),
        json!({"type": "any"}),
        json!({"type": "auto", "disable_parallel_tool_use": true}),
        json!({"type": "none"}),
    ] {
        let mut b = good();
        b["tool_choice"] = tc.clone();
        assert_eq!(messages(&s, &b).await.status, 200, "{tc}");
    }
}

#[tokio::test]
async fn model_max_tokens_messages_and_sampling_are_checked() {
    let s = server().await;
    let mut b = good();
    b["model"] = json!("claude-3-5-haiku-20241022");
    let r = messages(&s, &b).await;
    assert_eq!(r.status, 404);
    assert_eq!(r.error_type(), "not_found_error");

    let mut b = good();
    b.as_object_mut().unwrap().remove("max_tokens");
    assert_400(&messages(&s, &b).await, "max_tokens: Field required");
    let mut b = good();
    b["max_tokens"] = json!("100");
    assert_400(&messages(&s, &b).await, "max_tokens");
    let mut b = good();
    b["max_tokens"] = json!(64_001);
    assert_400(&messages(&s, &b).await, "max_tokens");

    let mut b = good();
    b["messages"] = json!([]);
    assert_400(&messages(&s, &b).await, "messages");
    let mut b = good();
    b["messages"][0]["role"] = json!("system");
    assert_400(&messages(&s, &b).await, "messages.0.role");
    let mut b = good();
    b["messages"][0]["content"] = json!([]);
    assert_400(&messages(&s, &b).await, "messages.0.content");

    let mut b = good();
    b["temperature"] = json!(1.5);
    assert_400(&messages(&s, &b).await, "temperature");
    let mut b = good();
    b["model"] = json!("claude-opus-5");
    b["temperature"] = json!(0);
    assert_400(&messages(&s, &b).await, "temperature");

    // Prefill on a 4.6+ model.
    let mut b = good();
    b["model"] = json!("claude-sonnet-4-6");
    b["messages"] = json!([{"role": "user", "content": "hi"},
                           {"role": "assistant", "content": "{\"label\":"}]);
    assert_400(&messages(&s, &b).await, "prefill");
}

#[tokio::test]
async fn tool_use_history_integrity() {
    let s = server().await;
    let use_block =
        json!({"type": "tool_use", "id": "toolu_1", "name": "classify", "input": {"label": "bug"}});
    let result = json!({"type": "tool_result", "tool_use_id": "toolu_1", "content": "ok"});

    let mut b = good();
    b["messages"] = json!([
        {"role": "user", "content": "first"},
        {"role": "assistant", "content": [use_block]},
        {"role": "user", "content": [result, {"type": "text", "text": "second"}]}
    ]);
    assert_eq!(messages(&s, &b).await.status, 200);

    // tool_use without a tool_result right after.
    b["messages"][2]["content"] = json!([{"type": "text", "text": "second"}]);
    assert_400(
        &messages(&s, &b).await,
        "tool_use` ids were found without `tool_result`",
    );

    // tool_result for an id nobody used.
    b["messages"][2]["content"] =
        json!([{"type": "tool_result", "tool_use_id": "toolu_9", "content": "ok"}]);
    assert_400(&messages(&s, &b).await, "unexpected `tool_use_id`");

    // tool_result after text.
    b["messages"][2]["content"] = json!([{"type": "text", "text": "second"}, result]);
    assert_400(&messages(&s, &b).await, "must come first");

    // tool_use in a user message.
    let mut b = good();
    b["messages"] = json!([{"role": "user", "content": [use_block]}]);
    assert_400(&messages(&s, &b).await, "only allowed in assistant");
}

#[tokio::test]
async fn paths_and_methods_are_exact() {
    let s = server().await;
    let r = send(&s, "/v1/message", ANTHROPIC, &good().to_string()).await;
    assert_eq!(r.status, 404);
    assert_eq!(r.error_type(), "not_found_error");
    let r = send(&s, "/v1/messages/", ANTHROPIC, &good().to_string()).await;
    assert_eq!(r.status, 404);
    let resp = reqwest::Client::new()
        .get(format!("{}/v1/messages", s.base_url))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 405);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["type"], "error");
}

#[tokio::test]
async fn openai_shape_is_checked_too() {
    let s = server().await;
    let r = chat(&s, &good_openai()).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.headers["x-request-id"], "req_1");
    assert_eq!(r.body["object"], "chat.completion");
    // A named tool choice answers finish_reason "stop" like OpenAI.
    assert_eq!(r.body["choices"][0]["finish_reason"], "stop");
    let call = &r.body["choices"][0]["message"]["tool_calls"][0];
    assert_eq!(call["function"]["name"], "classify");
    let args: Value =
        serde_json::from_str(call["function"]["arguments"].as_str().unwrap()).unwrap();
    assert!(args["label"].is_string());

    let no_auth = send(
        &s,
        "/v1/chat/completions",
        &[("content-type", "application/json")],
        &good_openai().to_string(),
    )
    .await;
    assert_eq!(no_auth.status, 401);
    assert!(no_auth.body["error"]["message"].is_string());
    assert!(no_auth.body.get("type").is_none(), "OpenAI error shape");

    let mut b = good_openai();
    b["foo"] = json!(1);
    assert_400(&chat(&s, &b).await, "foo: Extra inputs are not permitted");
    let mut b = good_openai();
    b["tools"][0]["function"]["input_schema"] = json!({});
    assert_400(
        &chat(&s, &b).await,
        "tools.0.function.input_schema: Extra inputs",
    );
    let mut b = good_openai();
    b["tool_choice"] = json!({"type": "function", "function": {"name": "nope"}});
    assert_400(&chat(&s, &b).await, "tool_choice.function.name");
    let mut b = good_openai();
    b["tool_choice"] = json!("any");
    assert_400(&chat(&s, &b).await, "tool_choice");
    let mut b = good_openai();
    b["tools"][0]["function"]["name"] = json!("bad name");
    assert_400(&chat(&s, &b).await, "tools.0.function.name");
    let mut b = good_openai();
    b.as_object_mut().unwrap().remove("tools");
    b.as_object_mut().unwrap().remove("tool_choice");
    assert_400(&chat(&s, &b).await, "parallel_tool_calls");
    let mut b = good_openai();
    b["messages"] = json!([{"role": "user", "content": "hi"},
                           {"role": "tool", "tool_call_id": "call_1", "content": "ok"}]);
    assert_400(&chat(&s, &b).await, "tool");
    let mut b = good_openai();
    b["messages"] = json!([
        {"role": "user", "content": "hi"},
        {"role": "assistant", "content": null, "tool_calls": [
            {"id": "call_1", "type": "function", "function": {"name": "classify", "arguments": "{}"}}]},
        {"role": "user", "content": "next"}
    ]);
    assert_400(&chat(&s, &b).await, "call_1");

    // "required" (llama.cpp's only forcing form) answers finish_reason tool_calls.
    let mut b = good_openai();
    b["tool_choice"] = json!("required");
    let r = chat(&s, &b).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["choices"][0]["finish_reason"], "tool_calls");
}

/// The fake keeps its own model list (it shares no code with verdict): every model verdict
/// has a price for must be one the fake accepts by default.
#[test]
fn fake_accepts_every_priced_model() {
    let accepted = verdict_fake::default_models();
    for m in verdict::provider::prices::known_models() {
        assert!(accepted.iter().any(|a| a == m), "the fake rejects {m}");
    }
}

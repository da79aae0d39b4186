//! A strict fake of the Anthropic Messages API (`POST /v1/messages`) and the OpenAI Chat
//! Completions API (`POST /v1/chat/completions`) on 127.0.0.1, for tests, benchmarks and
//! trying verdict without a key. **A test tool, not a model.**
//!
//! Strict like the real APIs (wire-protocol reference §8): exact method and path; headers
//! (`anthropic-version: 2023-06-01`, exactly one of `x-api-key`/`Authorization`, JSON
//! content type); unknown keys anywhere in the body are a 400
//! `"<dotted.path>: Extra inputs are not permitted"`; model allow-list (404); `max_tokens`;
//! message roles and content blocks; tool names, uniqueness and schemas; `tool_choice`;
//! `tool_use`/`tool_result` history integrity. SDK extra headers (`x-stainless-*`,
//! `user-agent`, `accept`, `anthropic-beta`) are accepted. Every answer carries
//! `request-id: req_<n>` (OpenAI: `x-request-id`); error bodies have the real shapes.
//!
//! Answers are deterministic: a valid call of the forced tool (for `any`/`auto`, the first
//! tool) whose input is generated from the tool's schema by a stable hash of the ticket
//! text (the last user turn), unless [`FakeConfig::answers`] or [`FakeConfig::answer_fn`]
//! script it. Usage has all four counters set (input ≈ body length / 4; cache reads ≈ the
//! system prompt / 4, cache writes ≈ the tools / 4: not realistic, but every cost term is
//! exercised).
//!
//! Faults, per request: a scripted queue ([`FakeConfig::script`], consumed in order by the
//! next requests) or a marker in the ticket text, `[[fault:NAME]]` (every time) or
//! `[[fault:NAME*N]]` (the first N requests with that ticket text, then normal answers), so
//! an end-to-end test that controls only the gold set can inject them. See [`Fault`] for
//! the names. `*N` counts per rendered user turn, so two variants with different `user`
//! templates each get their N failures; two with the same template share them.
//!
//! `reset` closes the TCP connection without answering (a FIN, not an RST: setting
//! `SO_LINGER` 0 would need the socket back from hyper); clients see "connection closed
//! before message completed", the same connection error class as a reset.

use std::collections::{HashMap, HashSet, VecDeque};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, Extension, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::Response;
use axum::routing::post;
use axum::Router;
use serde_json::{json, Map, Value};
use tokio::sync::{watch, Notify};

use crate::variant::ProviderKind;

/// Models the fake accepts when [`FakeConfig::models`] is `None`: the built-in price table
/// (Claude) and a few OpenAI-compatible names.
pub fn default_models() -> Vec<String> {
    let mut m: Vec<String> = super::prices::known_models().map(str::to_string).collect();
    for extra in [
        "gpt-4o-mini",
        "gpt-4o",
        "gpt-4.1-mini",
        "gpt-4.1",
        "gpt-5-mini",
        "gpt-5",
        "fake-model",
    ] {
        m.push(extra.to_string());
    }
    m
}

/// What the fake answers for a ticket: which tool to call (for `any`/`auto`; ignored when a
/// tool is forced) and tool input merged over the generated one (keys replace keys, so a
/// test can set just `department`, or a value the schema forbids).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Answer {
    pub tool: Option<String>,
    pub input: Value,
}

impl Answer {
    pub fn input(input: Value) -> Answer {
        Answer { tool: None, input }
    }

    pub fn tool(tool: &str, input: Value) -> Answer {
        Answer {
            tool: Some(tool.to_string()),
            input,
        }
    }
}

/// An answer for every ticket whose text contains `contains`.
#[derive(Debug, Clone, PartialEq)]
pub struct ScriptedAnswer {
    pub contains: String,
    pub answer: Answer,
}

/// Scripts answers in code: gets the ticket text.
pub type AnswerFn = Arc<dyn Fn(&str) -> Option<Answer> + Send + Sync>;

/// A fault the fake can inject. Marker names in brackets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// `429`: 429 `rate_limit_error` with `retry-after: 1`.
    RateLimit,
    /// `429-ms`: 429 with `retry-after-ms: 250` and `retry-after: 1`.
    RateLimitMs,
    /// `429-date`: 429 with `retry-after` as an HTTP date 2 s ahead.
    RateLimitDate,
    /// `429-bare`: 429 without any retry header.
    RateLimitBare,
    /// `spend-limit`: 429 spend cap (`details.error_code: enforced_spend_limit_reached`;
    /// OpenAI: `insufficient_quota`), no `retry-after`.
    SpendLimit,
    /// `529`: 529 `overloaded_error`.
    Overloaded,
    /// `500`: 500 `api_error`.
    ServerError,
    /// `500-no-retry`: 500 with `x-should-retry: false`.
    ServerErrorNoRetry,
    /// `400`: 400 `invalid_request_error`.
    BadRequest,
    /// `400-retry`: 400 with `x-should-retry: true`.
    BadRequestRetry,
    /// `401`: 401 `authentication_error`.
    Unauthorized,
    /// `status-NNN`: an error with that status and its usual type.
    Status(u16),
    /// `reset`: close the connection without answering.
    Reset,
    /// `cut-body`: send the headers and half the body, then close the connection.
    CutBody,
    /// `hang`: answer only after [`FakeConfig::hang`] (past any sane client timeout).
    Hang,
    /// `malformed`: 200 with a truncated JSON body.
    Malformed,
    /// `no-tool`: 200, a text answer and no tool call (`end_turn` / `stop`).
    NoTool,
    /// `bad-enum`: 200, a tool call whose first enum property has a value outside the enum.
    BadEnum,
    /// `bad-json-args`: OpenAI: `arguments` that are not JSON (Anthropic: like `bad-enum`).
    BadJsonArgs,
    /// `max-tokens`: 200, cut off (`stop_reason: max_tokens` / `finish_reason: length`).
    MaxTokens,
    /// `refusal`: 200, `stop_reason: refusal` / `message.refusal`.
    Refusal,
    /// `wrong-tool`: 200, a call of a tool the request did not define.
    WrongTool,
    /// `two-tools`: 200, a call of an undefined tool, then the normal call.
    TwoTools,
}

impl Fault {
    pub fn parse(name: &str) -> Option<Fault> {
        Some(match name {
            "429" => Fault::RateLimit,
            "429-ms" => Fault::RateLimitMs,
            "429-date" => Fault::RateLimitDate,
            "429-bare" => Fault::RateLimitBare,
            "spend-limit" => Fault::SpendLimit,
            "529" => Fault::Overloaded,
            "500" => Fault::ServerError,
            "500-no-retry" => Fault::ServerErrorNoRetry,
            "400" => Fault::BadRequest,
            "400-retry" => Fault::BadRequestRetry,
            "401" => Fault::Unauthorized,
            "reset" => Fault::Reset,
            "cut-body" => Fault::CutBody,
            "hang" => Fault::Hang,
            "malformed" => Fault::Malformed,
            "no-tool" => Fault::NoTool,
            "bad-enum" => Fault::BadEnum,
            "bad-json-args" => Fault::BadJsonArgs,
            "max-tokens" => Fault::MaxTokens,
            "refusal" => Fault::Refusal,
            "wrong-tool" => Fault::WrongTool,
            "two-tools" => Fault::TwoTools,
            other => {
                let n: u16 = other.strip_prefix("status-")?.parse().ok()?;
                if !(400..=599).contains(&n) {
                    return None;
                }
                Fault::Status(n)
            }
        })
    }

    pub fn name(&self) -> String {
        match self {
            Fault::RateLimit => "429".into(),
            Fault::RateLimitMs => "429-ms".into(),
            Fault::RateLimitDate => "429-date".into(),
            Fault::RateLimitBare => "429-bare".into(),
            Fault::SpendLimit => "spend-limit".into(),
            Fault::Overloaded => "529".into(),
            Fault::ServerError => "500".into(),
            Fault::ServerErrorNoRetry => "500-no-retry".into(),
            Fault::BadRequest => "400".into(),
            Fault::BadRequestRetry => "400-retry".into(),
            Fault::Unauthorized => "401".into(),
            Fault::Status(n) => format!("status-{n}"),
            Fault::Reset => "reset".into(),
            Fault::CutBody => "cut-body".into(),
            Fault::Hang => "hang".into(),
            Fault::Malformed => "malformed".into(),
            Fault::NoTool => "no-tool".into(),
            Fault::BadEnum => "bad-enum".into(),
            Fault::BadJsonArgs => "bad-json-args".into(),
            Fault::MaxTokens => "max-tokens".into(),
            Fault::Refusal => "refusal".into(),
            Fault::WrongTool => "wrong-tool".into(),
            Fault::TwoTools => "two-tools".into(),
        }
    }

    /// The marker that injects this fault on every request: `[[fault:NAME]]`.
    pub fn marker(&self) -> String {
        format!("[[fault:{}]]", self.name())
    }

    /// The marker that injects this fault on the first `n` requests of a ticket.
    pub fn marker_times(&self, n: u32) -> String {
        format!("[[fault:{}*{n}]]", self.name())
    }
}

/// How the fake behaves.
#[derive(Clone)]
pub struct FakeConfig {
    /// The key the server expects; `None` accepts any non-empty key.
    pub api_key: Option<String>,
    /// Accepted models; `None`: [`default_models`].
    pub models: Option<Vec<String>>,
    /// Added before every answer.
    pub latency: Duration,
    /// How long a `hang` fault waits before answering.
    pub hang: Duration,
    /// Answers by ticket-text substring (the first match wins; before `answer_fn`).
    pub answers: Vec<ScriptedAnswer>,
    pub answer_fn: Option<AnswerFn>,
    /// Faults for the next requests, in order (ahead of any marker).
    pub script: Vec<Fault>,
}

impl Default for FakeConfig {
    fn default() -> Self {
        FakeConfig {
            api_key: None,
            models: None,
            latency: Duration::ZERO,
            hang: Duration::from_secs(600),
            answers: Vec::new(),
            answer_fn: None,
            script: Vec::new(),
        }
    }
}

impl std::fmt::Debug for FakeConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FakeConfig")
            .field("api_key", &self.api_key.as_ref().map(|_| "[redacted]"))
            .field("models", &self.models)
            .field("latency", &self.latency)
            .field("hang", &self.hang)
            .field("answers", &self.answers)
            .field("answer_fn", &self.answer_fn.as_ref().map(|_| "fn"))
            .field("script", &self.script)
            .finish()
    }
}

impl FakeConfig {
    /// Answers `answer` for tickets containing `contains`.
    pub fn answer(mut self, contains: &str, answer: Answer) -> Self {
        self.answers.push(ScriptedAnswer {
            contains: contains.to_string(),
            answer,
        });
        self
    }
}

/// One request as the fake saw it.
#[derive(Debug, Clone, PartialEq)]
pub struct LoggedRequest {
    /// 1-based order of arrival.
    pub n: u64,
    pub request_id: String,
    pub method: String,
    pub path: String,
    /// Lower-case names; `x-api-key` and `authorization` values are `[redacted]`.
    pub headers: Vec<(String, String)>,
    /// `None` when the body was not JSON.
    pub body: Option<Value>,
    /// The text of the last user turn (the rendered ticket).
    pub ticket: Option<String>,
    /// The status sent; 0 when the connection was dropped without an answer.
    pub status: u16,
    pub fault: Option<String>,
    /// The error message sent, for error answers.
    pub error: Option<String>,
}

impl LoggedRequest {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// A running fake. Shut down by [`FakeServer::shutdown`] or on drop.
pub struct FakeServer {
    /// `http://127.0.0.1:<port>`, no trailing slash.
    pub base_url: String,
    pub addr: SocketAddr,
    pub log: Arc<Mutex<Vec<LoggedRequest>>>,
    /// Requests inside their latency wait now, and the most seen at once.
    in_flight: Arc<InFlight>,
    shutdown: watch::Sender<bool>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl FakeServer {
    /// A copy of the log.
    pub fn requests(&self) -> Vec<LoggedRequest> {
        self.log.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// The most requests that were in their latency wait at the same time: how concurrent
    /// the client really was.
    pub fn max_in_flight(&self) -> usize {
        self.in_flight.max.load(Ordering::SeqCst)
    }

    /// How many requests had a ticket text containing `needle`.
    pub fn count_ticket(&self, needle: &str) -> usize {
        self.requests()
            .iter()
            .filter(|r| r.ticket.as_deref().is_some_and(|t| t.contains(needle)))
            .count()
    }

    /// Stops accepting, closes open connections and waits for the server task.
    pub async fn shutdown(mut self) {
        let _ = self.shutdown.send(true);
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for FakeServer {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
    }
}

/// Starts a fake on `127.0.0.1:0`. Panics if it cannot bind (tests only).
pub async fn start(config: FakeConfig) -> FakeServer {
    start_on(config, SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .expect("bind the fake server on 127.0.0.1")
}

/// Starts a fake on `addr`.
pub async fn start_on(config: FakeConfig, addr: SocketAddr) -> std::io::Result<FakeServer> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let addr = listener.local_addr()?;
    let log = Arc::new(Mutex::new(Vec::new()));
    let in_flight = Arc::new(InFlight::default());
    let (shutdown_tx, shutdown_rx) = watch::channel(false);
    let state = Arc::new(Shared {
        in_flight: in_flight.clone(),
        script: Mutex::new(config.script.iter().cloned().collect()),
        models: config.models.clone().unwrap_or_else(default_models),
        config,
        log: log.clone(),
        counter: AtomicU64::new(0),
        fired: Mutex::new(HashMap::new()),
        shutdown: shutdown_rx.clone(),
    });
    let router = Router::new()
        .route("/v1/messages", post(messages))
        .route("/v1/chat/completions", post(chat_completions))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(32 * 1024 * 1024))
        .with_state(state);
    let task = tokio::spawn(accept_loop(listener, router, shutdown_rx));
    Ok(FakeServer {
        base_url: format!("http://{addr}"),
        addr,
        log,
        in_flight,
        shutdown: shutdown_tx,
        task: Some(task),
    })
}

/// Dropping the connection is how `reset` works: the handler notifies, the connection task
/// drops the connection (and its socket) without answering.
#[derive(Clone)]
struct ConnKill(Arc<Notify>);

async fn accept_loop(
    listener: tokio::net::TcpListener,
    router: Router,
    mut shutdown: watch::Receiver<bool>,
) {
    loop {
        let accepted = tokio::select! {
            _ = shutdown.changed() => break,
            a = listener.accept() => a,
        };
        let Ok((stream, _)) = accepted else {
            // Out of file descriptors or similar: back off a little and go on.
            tokio::time::sleep(Duration::from_millis(10)).await;
            continue;
        };
        let _ = stream.set_nodelay(true);
        let kill = Arc::new(Notify::new());
        let svc = router.clone().layer(Extension(ConnKill(kill.clone())));
        let mut shutdown = shutdown.clone();
        tokio::spawn(async move {
            let io = hyper_util::rt::TokioIo::new(stream);
            let svc = hyper_util::service::TowerToHyperService::new(svc);
            let conn = hyper::server::conn::http1::Builder::new()
                .keep_alive(true)
                .serve_connection(io, svc);
            tokio::select! {
                _ = conn => {}
                _ = kill.notified() => {}
                _ = shutdown.changed() => {}
            }
        });
    }
}

/// Counts requests in their latency wait.
#[derive(Default)]
struct InFlight {
    now: AtomicUsize,
    max: AtomicUsize,
}

/// Holds one place in [`InFlight`] until dropped (also when the request is cancelled).
struct InFlightGuard<'a>(&'a InFlight);

impl<'a> InFlightGuard<'a> {
    fn enter(c: &'a InFlight) -> Self {
        let now = c.now.fetch_add(1, Ordering::SeqCst) + 1;
        c.max.fetch_max(now, Ordering::SeqCst);
        InFlightGuard(c)
    }
}

impl Drop for InFlightGuard<'_> {
    fn drop(&mut self) {
        self.0.now.fetch_sub(1, Ordering::SeqCst);
    }
}

struct Shared {
    config: FakeConfig,
    in_flight: Arc<InFlight>,
    models: Vec<String>,
    log: Arc<Mutex<Vec<LoggedRequest>>>,
    counter: AtomicU64,
    script: Mutex<VecDeque<Fault>>,
    /// Times a counted marker (`*N`) fired, by ticket text.
    fired: Mutex<HashMap<String, u32>>,
    shutdown: watch::Receiver<bool>,
}

type St = State<Arc<Shared>>;

/// An error answer (boxed: it travels through many `Result`s).
type ApiError = Box<ApiErrorData>;

struct ApiErrorData {
    status: u16,
    kind: String,
    message: String,
    headers: Vec<(&'static str, String)>,
    /// Extra keys of the `error` object.
    extra: Map<String, Value>,
}

fn api_error(status: u16, kind: &str, message: impl Into<String>) -> ApiError {
    Box::new(ApiErrorData {
        status,
        kind: kind.to_string(),
        message: message.into(),
        headers: Vec::new(),
        extra: Map::new(),
    })
}

fn invalid(message: impl Into<String>) -> ApiError {
    api_error(400, "invalid_request_error", message)
}

/// `error.type` usual for a status.
fn kind_for(status: u16) -> &'static str {
    match status {
        400 => "invalid_request_error",
        401 => "authentication_error",
        402 => "billing_error",
        403 => "permission_error",
        404 => "not_found_error",
        405 => "invalid_request_error",
        409 => "conflict_error",
        413 => "request_too_large",
        429 => "rate_limit_error",
        504 => "timeout_error",
        529 => "overloaded_error",
        s if s >= 500 => "api_error",
        _ => "invalid_request_error",
    }
}

fn error_response(provider: ProviderKind, request_id: &str, e: &ApiError) -> Response {
    let body = match provider {
        ProviderKind::OpenAi => {
            let mut err = Map::new();
            err.insert("message".into(), json!(e.message));
            err.insert("type".into(), json!(e.kind));
            err.insert("param".into(), Value::Null);
            err.insert("code".into(), Value::Null);
            for (k, v) in &e.extra {
                err.insert(k.clone(), v.clone());
            }
            json!({ "error": err })
        }
        _ => {
            let mut err = Map::new();
            err.insert("type".into(), json!(e.kind));
            err.insert("message".into(), json!(e.message));
            for (k, v) in &e.extra {
                err.insert(k.clone(), v.clone());
            }
            json!({"type": "error", "error": err, "request_id": request_id})
        }
    };
    let mut resp = json_response(provider, request_id, e.status, body.to_string().into());
    for (k, v) in &e.headers {
        if let Ok(v) = HeaderValue::from_str(v) {
            resp.headers_mut().insert(*k, v);
        }
    }
    resp
}

fn json_response(provider: ProviderKind, request_id: &str, status: u16, body: Body) -> Response {
    let mut resp = Response::new(body);
    *resp.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let h = resp.headers_mut();
    h.insert("content-type", HeaderValue::from_static("application/json"));
    let id_header = match provider {
        ProviderKind::OpenAi => "x-request-id",
        _ => "request-id",
    };
    h.insert(
        id_header,
        HeaderValue::from_str(request_id).expect("ascii request id"),
    );
    resp
}

async fn not_found(State(st): St, method: Method, uri: Uri, headers: HeaderMap) -> Response {
    route_error(&st, method, uri, headers, 404, "Not found")
}

async fn method_not_allowed(
    State(st): St,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    route_error(&st, method, uri, headers, 405, "Method not allowed")
}

fn route_error(
    st: &Shared,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    status: u16,
    what: &str,
) -> Response {
    let n = st.counter.fetch_add(1, Ordering::SeqCst) + 1;
    let request_id = format!("req_{n}");
    let provider = if uri.path().contains("chat") {
        ProviderKind::OpenAi
    } else {
        ProviderKind::Anthropic
    };
    let e = api_error(
        status,
        if status == 404 {
            "not_found_error"
        } else {
            "invalid_request_error"
        },
        format!("{what}: {method} {}", uri.path()),
    );
    st.push_log(LoggedRequest {
        n,
        request_id: request_id.clone(),
        method: method.to_string(),
        path: uri.path().to_string(),
        headers: log_headers(&headers),
        body: None,
        ticket: None,
        status,
        fault: None,
        error: Some(e.message.clone()),
    });
    error_response(provider, &request_id, &e)
}

async fn messages(
    State(st): St,
    Extension(kill): Extension<ConnKill>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    handle(st, kill, ProviderKind::Anthropic, headers, body).await
}

async fn chat_completions(
    State(st): St,
    Extension(kill): Extension<ConnKill>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    handle(st, kill, ProviderKind::OpenAi, headers, body).await
}

fn log_headers(headers: &HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(k, v)| {
            let name = k.as_str().to_ascii_lowercase();
            let value = if matches!(name.as_str(), "x-api-key" | "authorization") {
                "[redacted]".to_string()
            } else {
                String::from_utf8_lossy(v.as_bytes()).into_owned()
            };
            (name, value)
        })
        .collect()
}

impl Shared {
    fn push_log(&self, entry: LoggedRequest) {
        self.log
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(entry);
    }

    /// The fault for this request: the script first, then a marker in the ticket text.
    fn pick_fault(&self, ticket: &str) -> Option<Fault> {
        if let Some(f) = self
            .script
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .pop_front()
        {
            return Some(f);
        }
        let (fault, times) = parse_marker(ticket)?;
        match times {
            None => Some(fault),
            Some(n) => {
                let mut fired = self.fired.lock().unwrap_or_else(|e| e.into_inner());
                let count = fired.entry(ticket.to_string()).or_insert(0);
                if *count < n {
                    *count += 1;
                    Some(fault)
                } else {
                    None
                }
            }
        }
    }

    fn answer_for(&self, ticket: &str) -> Option<Answer> {
        if let Some(a) = self
            .config
            .answers
            .iter()
            .find(|a| ticket.contains(&a.contains))
        {
            return Some(a.answer.clone());
        }
        self.config.answer_fn.as_ref().and_then(|f| f(ticket))
    }

    async fn sleep(&self, d: Duration) {
        if d.is_zero() {
            return;
        }
        let mut shutdown = self.shutdown.clone();
        tokio::select! {
            _ = tokio::time::sleep(d) => {}
            _ = shutdown.changed() => {}
        }
    }
}

/// `[[fault:NAME]]` or `[[fault:NAME*N]]` in `text`.
pub fn parse_marker(text: &str) -> Option<(Fault, Option<u32>)> {
    let start = text.find("[[fault:")?;
    let rest = &text[start + "[[fault:".len()..];
    let inner = &rest[..rest.find("]]")?];
    match inner.split_once('*') {
        Some((name, n)) => Some((Fault::parse(name)?, Some(n.parse().ok()?))),
        None => Some((Fault::parse(inner)?, None)),
    }
}

async fn handle(
    st: Arc<Shared>,
    kill: ConnKill,
    provider: ProviderKind,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let n = st.counter.fetch_add(1, Ordering::SeqCst) + 1;
    let request_id = format!("req_{n}");
    let path = match provider {
        ProviderKind::OpenAi => "/v1/chat/completions",
        _ => "/v1/messages",
    };
    let parsed: Option<Value> = body
        .as_ref()
        .ok()
        .and_then(|b| serde_json::from_slice(b).ok());
    let ticket = parsed.as_ref().and_then(last_user_text);
    let mut entry = LoggedRequest {
        n,
        request_id: request_id.clone(),
        method: "POST".into(),
        path: path.into(),
        headers: log_headers(&headers),
        body: parsed.clone(),
        ticket: ticket.clone(),
        status: 0,
        fault: None,
        error: None,
    };
    {
        let _wait = InFlightGuard::enter(&st.in_flight);
        st.sleep(st.config.latency).await;
    }

    let checked = check_headers(&st, provider, &headers)
        .and_then(|()| match &body {
            Ok(b) => Ok(b),
            Err(_) => Err(api_error(
                413,
                "request_too_large",
                "Request exceeds the maximum allowed number of bytes.",
            )),
        })
        .and_then(|_| {
            parsed
                .as_ref()
                .ok_or_else(|| invalid("There was an error parsing the body: not valid JSON"))
        })
        .and_then(|b| match provider {
            ProviderKind::OpenAi => check_openai(&st, b),
            _ => check_anthropic(&st, b),
        });
    let req = match checked {
        Ok(req) => req,
        Err(e) => {
            entry.status = e.status;
            entry.error = Some(e.message.clone());
            st.push_log(entry);
            return error_response(provider, &request_id, &e);
        }
    };
    let ticket = ticket.unwrap_or_default();
    let fault = st.pick_fault(&ticket);
    entry.fault = fault.as_ref().map(Fault::name);
    if let Some(e) = fault.as_ref().and_then(|f| fault_error(provider, f)) {
        entry.status = e.status;
        entry.error = Some(e.message.clone());
        st.push_log(entry);
        return error_response(provider, &request_id, &e);
    }
    match fault {
        Some(Fault::Reset) => {
            st.push_log(entry);
            kill.0.notify_one();
            // The connection task drops this future with the connection.
            std::future::pending::<()>().await;
            unreachable!()
        }
        Some(Fault::Hang) => {
            entry.status = 200;
            st.push_log(entry);
            st.sleep(st.config.hang).await;
            let body = answer_body(&st, provider, &req, &ticket, None, n);
            json_response(provider, &request_id, 200, body.to_string().into())
        }
        Some(Fault::Malformed) => {
            entry.status = 200;
            st.push_log(entry);
            let full = answer_body(&st, provider, &req, &ticket, None, n).to_string();
            let cut = &full[..full.len() / 2];
            json_response(provider, &request_id, 200, cut.to_string().into())
        }
        Some(Fault::CutBody) => {
            entry.status = 200;
            st.push_log(entry);
            let full = answer_body(&st, provider, &req, &ticket, None, n).to_string();
            let half = Bytes::from(full.as_bytes()[..full.len() / 2].to_vec());
            let stream = futures_stream(half);
            let mut resp = json_response(provider, &request_id, 200, Body::from_stream(stream));
            resp.headers_mut()
                .insert("content-length", HeaderValue::from(full.len()));
            resp
        }
        other => {
            entry.status = 200;
            st.push_log(entry);
            let body = answer_body(&st, provider, &req, &ticket, other.as_ref(), n);
            let mut resp = json_response(provider, &request_id, 200, body.to_string().into());
            add_rate_limit_headers(provider, resp.headers_mut());
            resp
        }
    }
}

/// A body stream that yields `first` and then fails, so hyper aborts the connection
/// mid-body.
fn futures_stream(
    first: Bytes,
) -> impl futures_core_stream::Stream<Item = Result<Bytes, std::io::Error>> {
    futures_core_stream::TwoStep::new(first)
}

/// A minimal two-item stream (bytes, then an error) without a futures dependency.
mod futures_core_stream {
    use std::future::Future;
    use std::pin::Pin;
    use std::task::{Context, Poll};

    use axum::body::Bytes;
    pub use futures_core::Stream;

    /// Yields `first`, waits 50 ms (so hyper flushes the headers and the first bytes), then
    /// fails.
    pub struct TwoStep {
        step: u8,
        first: Option<Bytes>,
        pause: Pin<Box<tokio::time::Sleep>>,
    }

    impl TwoStep {
        pub fn new(first: Bytes) -> Self {
            TwoStep {
                step: 0,
                first: Some(first),
                pause: Box::pin(tokio::time::sleep(std::time::Duration::from_millis(50))),
            }
        }
    }

    impl Stream for TwoStep {
        type Item = Result<Bytes, std::io::Error>;
        fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
            match self.step {
                0 => {
                    self.step = 1;
                    Poll::Ready(self.first.take().map(Ok))
                }
                1 => match self.pause.as_mut().poll(cx) {
                    Poll::Pending => Poll::Pending,
                    Poll::Ready(()) => {
                        self.step = 2;
                        Poll::Ready(Some(Err(std::io::Error::new(
                            std::io::ErrorKind::ConnectionAborted,
                            "fake: body cut off",
                        ))))
                    }
                },
                _ => Poll::Ready(None),
            }
        }
    }
}

fn add_rate_limit_headers(provider: ProviderKind, h: &mut HeaderMap) {
    let reset = time::OffsetDateTime::now_utc() + time::Duration::seconds(60);
    let reset = reset
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();
    let mut set = |k: &'static str, v: String| {
        if let Ok(v) = HeaderValue::from_str(&v) {
            h.insert(k, v);
        }
    };
    match provider {
        ProviderKind::OpenAi => {
            set("x-ratelimit-limit-requests", "10000".into());
            set("x-ratelimit-remaining-requests", "9999".into());
            set("x-ratelimit-reset-requests", "6ms".into());
            set("x-ratelimit-limit-tokens", "2000000".into());
            set("x-ratelimit-remaining-tokens", "1999000".into());
            set("x-ratelimit-reset-tokens", "1s".into());
        }
        _ => {
            set("anthropic-ratelimit-requests-limit", "4000".into());
            set("anthropic-ratelimit-requests-remaining", "3999".into());
            set("anthropic-ratelimit-requests-reset", reset.clone());
            set("anthropic-ratelimit-tokens-limit", "400000".into());
            set("anthropic-ratelimit-tokens-remaining", "399000".into());
            set("anthropic-ratelimit-tokens-reset", reset);
        }
    }
}

/// The error answer of an HTTP-level fault (`None` for faults that answer 200 or drop).
fn fault_error(provider: ProviderKind, f: &Fault) -> Option<ApiError> {
    let rate = || {
        let mut e = api_error(
            429,
            "rate_limit_error",
            "This request would exceed the rate limit for your organization (fake).",
        );
        if provider == ProviderKind::OpenAi {
            e.kind = "requests".into();
            e.extra.insert("code".into(), json!("rate_limit_exceeded"));
        }
        e
    };
    Some(match f {
        Fault::RateLimit => {
            let mut e = rate();
            e.headers.push(("retry-after", "1".into()));
            e
        }
        Fault::RateLimitMs => {
            let mut e = rate();
            e.headers.push(("retry-after-ms", "250".into()));
            e.headers.push(("retry-after", "1".into()));
            e
        }
        Fault::RateLimitDate => {
            let mut e = rate();
            let when = std::time::SystemTime::now() + Duration::from_secs(2);
            e.headers
                .push(("retry-after", httpdate::fmt_http_date(when)));
            e
        }
        Fault::RateLimitBare => rate(),
        Fault::SpendLimit => match provider {
            ProviderKind::OpenAi => {
                let mut e = api_error(
                    429,
                    "insufficient_quota",
                    "You exceeded your current quota, please check your plan and billing details.",
                );
                e.extra.insert("code".into(), json!("insufficient_quota"));
                e
            }
            _ => {
                let mut e = api_error(
                    429,
                    "rate_limit_error",
                    "You have reached your specified workspace API usage limits. You will regain access on 2026-09-01 at 00:00 UTC.",
                );
                e.extra.insert(
                    "details".into(),
                    json!({"error_code": "enforced_spend_limit_reached"}),
                );
                e
            }
        },
        Fault::Overloaded => api_error(529, "overloaded_error", "Overloaded"),
        Fault::ServerError => api_error(500, "api_error", "Internal server error"),
        Fault::ServerErrorNoRetry => {
            let mut e = api_error(500, "api_error", "Internal server error (do not retry)");
            e.headers.push(("x-should-retry", "false".into()));
            e
        }
        Fault::BadRequest => invalid("messages.0.content: injected bad request (fake)"),
        Fault::BadRequestRetry => {
            let mut e = invalid("transient bad request (fake)");
            e.headers.push(("x-should-retry", "true".into()));
            e
        }
        Fault::Unauthorized => api_error(401, "authentication_error", "invalid x-api-key"),
        Fault::Status(s) => api_error(*s, kind_for(*s), format!("injected status {s} (fake)")),
        _ => return None,
    })
}

// ---------------------------------------------------------------------------------------
// Request checks

fn check_headers(st: &Shared, provider: ProviderKind, h: &HeaderMap) -> Result<(), ApiError> {
    let get = |k: &str| {
        h.get(k)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
    };
    let auth_err = |msg: &str| api_error(401, "authentication_error", msg);
    let key = match provider {
        ProviderKind::OpenAi => {
            let Some(auth) = get("authorization") else {
                return Err(auth_err("You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY)."));
            };
            match auth.strip_prefix("Bearer ") {
                Some(k) if !k.trim().is_empty() => k.trim().to_string(),
                _ => return Err(auth_err("Authorization header must be 'Bearer <key>'")),
            }
        }
        _ => match (get("x-api-key"), get("authorization")) {
            (Some(k), None) if !k.trim().is_empty() => k.trim().to_string(),
            (None, Some(a)) => match a.strip_prefix("Bearer ") {
                Some(k) if !k.trim().is_empty() => k.trim().to_string(),
                _ => return Err(auth_err("Authorization header must be 'Bearer <token>'")),
            },
            (Some(_), Some(_)) => {
                return Err(auth_err(
                    "send exactly one of x-api-key and Authorization, not both",
                ))
            }
            _ => return Err(auth_err("x-api-key header is required")),
        },
    };
    if let Some(expected) = &st.config.api_key {
        if &key != expected {
            return Err(auth_err(match provider {
                ProviderKind::OpenAi => "Incorrect API key provided.",
                _ => "invalid x-api-key",
            }));
        }
    }
    if provider == ProviderKind::Anthropic {
        match get("anthropic-version") {
            None => return Err(invalid("anthropic-version: header is required")),
            Some(v) if v != super::anthropic::API_VERSION => {
                return Err(invalid(format!(
                    "anthropic-version: unsupported version {v:?} (the fake knows 2023-06-01)"
                )))
            }
            _ => {}
        }
    }
    match get("content-type") {
        Some(ct)
            if ct
                .trim()
                .to_ascii_lowercase()
                .starts_with("application/json") =>
        {
            Ok(())
        }
        _ => Err(invalid("content-type: must be application/json")),
    }
}

/// What the answer needs to know about a valid request.
struct Req {
    model: String,
    max_tokens: u64,
    /// Tool name -> input_schema.
    tools: Vec<(String, Value)>,
    /// Forced tool name, `any`/`required`, `auto` or `none`.
    choice: Choice,
    system_chars: usize,
    tools_chars: usize,
    body_chars: usize,
}

#[derive(Debug, Clone, PartialEq)]
enum Choice {
    Tool(String),
    Any,
    Auto,
    None,
}

fn join(path: &str, key: impl std::fmt::Display) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

fn only_keys(obj: &Map<String, Value>, allowed: &[&str], path: &str) -> Result<(), ApiError> {
    for k in obj.keys() {
        if !allowed.contains(&k.as_str()) {
            return Err(invalid(format!(
                "{}: Extra inputs are not permitted",
                join(path, k)
            )));
        }
    }
    Ok(())
}

fn obj<'a>(v: &'a Value, path: &str) -> Result<&'a Map<String, Value>, ApiError> {
    v.as_object()
        .ok_or_else(|| invalid(format!("{path}: Input should be a valid dictionary")))
}

fn req_field<'a>(o: &'a Map<String, Value>, k: &str, path: &str) -> Result<&'a Value, ApiError> {
    o.get(k)
        .ok_or_else(|| invalid(format!("{}: Field required", join(path, k))))
}

fn string<'a>(v: &'a Value, path: &str) -> Result<&'a str, ApiError> {
    v.as_str()
        .ok_or_else(|| invalid(format!("{path}: Input should be a valid string")))
}

fn boolean(v: &Value, path: &str) -> Result<bool, ApiError> {
    v.as_bool()
        .ok_or_else(|| invalid(format!("{path}: Input should be a valid boolean")))
}

fn array<'a>(v: &'a Value, path: &str) -> Result<&'a Vec<Value>, ApiError> {
    v.as_array()
        .ok_or_else(|| invalid(format!("{path}: Input should be a valid list")))
}

fn tool_name_ok(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

fn check_name(name: &str, path: &str) -> Result<(), ApiError> {
    if tool_name_ok(name) {
        Ok(())
    } else {
        Err(invalid(format!(
            "{path}: String should match pattern '^[a-zA-Z0-9_-]{{1,64}}$'"
        )))
    }
}

fn check_model(st: &Shared, v: Option<&Value>) -> Result<String, ApiError> {
    let m = string(v.ok_or_else(|| invalid("model: Field required"))?, "model")?;
    if m.is_empty() {
        return Err(invalid("model: String should have at least 1 character"));
    }
    if !st.models.iter().any(|x| x == m) {
        return Err(api_error(404, "not_found_error", format!("model: {m}")));
    }
    Ok(m.to_string())
}

fn max_output(model: &str) -> u64 {
    if model.starts_with("claude-haiku-4-5") {
        64_000
    } else {
        128_000
    }
}

/// Models that reject a non-default `temperature` (reference §1.6 rule 7).
fn no_sampling(model: &str) -> bool {
    [
        "claude-opus-4-7",
        "claude-opus-4-8",
        "claude-opus-5",
        "claude-sonnet-5",
        "claude-fable-5",
        "claude-mythos-5",
    ]
    .iter()
    .any(|m| model.starts_with(m))
}

/// Models that reject a trailing assistant turn (prefill).
fn no_prefill(model: &str) -> bool {
    no_sampling(model)
        || model.starts_with("claude-opus-4-6")
        || model.starts_with("claude-sonnet-4-6")
}

fn check_input_schema(schema: &Value, path: &str) -> Result<(), ApiError> {
    let o = obj(schema, path)?;
    if o.get("type").and_then(Value::as_str) != Some("object") {
        return Err(invalid(format!("{path}.type: Input should be 'object'")));
    }
    for k in ["oneOf", "allOf", "anyOf"] {
        if o.contains_key(k) {
            return Err(invalid(format!(
                "{path}: input_schema does not support {k} at the top level"
            )));
        }
    }
    if let Err(e) = jsonschema::validator_for(schema) {
        return Err(invalid(format!("{path}: not a valid JSON Schema: {e}")));
    }
    Ok(())
}

fn check_cache_control(v: &Value, path: &str) -> Result<(), ApiError> {
    let o = obj(v, path)?;
    only_keys(o, &["type", "ttl"], path)?;
    if o.get("type").and_then(Value::as_str) != Some("ephemeral") {
        return Err(invalid(format!("{path}.type: Input should be 'ephemeral'")));
    }
    if let Some(ttl) = o.get("ttl") {
        if !matches!(ttl.as_str(), Some("5m" | "1h")) {
            return Err(invalid(format!("{path}.ttl: Input should be '5m' or '1h'")));
        }
    }
    Ok(())
}

fn check_text_block(o: &Map<String, Value>, path: &str) -> Result<(), ApiError> {
    only_keys(o, &["type", "text", "cache_control", "citations"], path)?;
    let text = string(req_field(o, "text", path)?, &join(path, "text"))?;
    if text.trim().is_empty() {
        return Err(invalid(format!(
            "{path}: text content blocks must contain non-whitespace text"
        )));
    }
    if let Some(cc) = o.get("cache_control") {
        check_cache_control(cc, &join(path, "cache_control"))?;
    }
    Ok(())
}

fn check_anthropic(st: &Shared, body: &Value) -> Result<Req, ApiError> {
    let b = obj(body, "body")?;
    only_keys(
        b,
        &[
            "model",
            "max_tokens",
            "messages",
            "system",
            "temperature",
            "top_p",
            "top_k",
            "stop_sequences",
            "metadata",
            "tools",
            "tool_choice",
            "thinking",
            "stream",
            "service_tier",
            "output_config",
            "cache_control",
            "inference_geo",
            "container",
        ],
        "",
    )?;
    let model = check_model(st, b.get("model"))?;
    let max_tokens = req_field(b, "max_tokens", "")?.as_u64().ok_or_else(|| {
        invalid("max_tokens: Input should be a valid integer, greater than or equal to 0")
    })?;
    if max_tokens > max_output(&model) {
        return Err(invalid(format!(
            "max_tokens: {max_tokens} > {}, which is the maximum allowed number of output tokens for {model}",
            max_output(&model)
        )));
    }
    if b.get("stream").and_then(Value::as_bool) == Some(true) {
        return Err(invalid("stream: the fake server does not stream"));
    }
    if let Some(s) = b.get("stream") {
        boolean(s, "stream")?;
    }
    // system
    let mut system_chars = 0;
    if let Some(sys) = b.get("system") {
        match sys {
            Value::String(s) => system_chars = s.chars().count(),
            Value::Array(blocks) => {
                for (i, blk) in blocks.iter().enumerate() {
                    let p = format!("system.{i}");
                    let o = obj(blk, &p)?;
                    if o.get("type").and_then(Value::as_str) != Some("text") {
                        return Err(invalid(format!("{p}.type: Input should be 'text'")));
                    }
                    check_text_block(o, &p)?;
                    system_chars += o["text"].as_str().unwrap_or("").chars().count();
                }
            }
            _ => return Err(invalid("system: Input should be a valid string or list")),
        }
    }
    // sampling
    if let Some(t) = b.get("temperature") {
        let t = t
            .as_f64()
            .ok_or_else(|| invalid("temperature: Input should be a valid number"))?;
        if !(0.0..=1.0).contains(&t) {
            return Err(invalid("temperature: Input should be between 0 and 1"));
        }
        if no_sampling(&model) && t != 1.0 {
            return Err(invalid(format!(
                "temperature: {model} only supports the default temperature"
            )));
        }
    }
    if let Some(t) = b.get("top_p") {
        let t = t
            .as_f64()
            .ok_or_else(|| invalid("top_p: Input should be a valid number"))?;
        if !(0.0..=1.0).contains(&t) {
            return Err(invalid("top_p: Input should be between 0 and 1"));
        }
    }
    if let Some(t) = b.get("top_k") {
        t.as_u64()
            .ok_or_else(|| invalid("top_k: Input should be a valid integer >= 0"))?;
    }
    if let Some(s) = b.get("stop_sequences") {
        for (i, x) in array(s, "stop_sequences")?.iter().enumerate() {
            string(x, &format!("stop_sequences.{i}"))?;
        }
    }
    if let Some(m) = b.get("metadata") {
        let o = obj(m, "metadata")?;
        only_keys(o, &["user_id"], "metadata")?;
        if let Some(u) = o.get("user_id") {
            if !u.is_null() {
                string(u, "metadata.user_id")?;
            }
        }
    }
    let mut thinking_enabled = false;
    if let Some(t) = b.get("thinking") {
        let o = obj(t, "thinking")?;
        match o.get("type").and_then(Value::as_str) {
            Some("enabled") => {
                only_keys(o, &["type", "budget_tokens", "display"], "thinking")?;
                let budget = req_field(o, "budget_tokens", "thinking")?
                    .as_u64()
                    .ok_or_else(|| {
                        invalid("thinking.budget_tokens: Input should be a valid integer")
                    })?;
                if budget < 1024 || budget >= max_tokens {
                    return Err(invalid(
                        "thinking.budget_tokens: must be >= 1024 and less than max_tokens",
                    ));
                }
                thinking_enabled = true;
            }
            Some("disabled") => only_keys(o, &["type"], "thinking")?,
            Some("adaptive") => only_keys(o, &["type", "display"], "thinking")?,
            _ => {
                return Err(invalid(
                    "thinking.type: Input should be 'enabled', 'disabled' or 'adaptive'",
                ))
            }
        }
    }
    if let Some(cc) = b.get("cache_control") {
        check_cache_control(cc, "cache_control")?;
    }
    // tools
    let mut tools: Vec<(String, Value)> = Vec::new();
    let mut tools_chars = 0;
    if let Some(t) = b.get("tools") {
        tools_chars = t.to_string().chars().count();
        let mut seen = HashSet::new();
        for (i, tool) in array(t, "tools")?.iter().enumerate() {
            let p = format!("tools.{i}");
            let o = obj(tool, &p)?;
            if let Some(ty) = o.get("type") {
                if ty.as_str() != Some("custom") {
                    return Err(invalid(format!(
                        "{p}.type: the fake supports only client tools (type 'custom')"
                    )));
                }
            }
            only_keys(
                o,
                &[
                    "type",
                    "name",
                    "description",
                    "input_schema",
                    "strict",
                    "cache_control",
                    "input_examples",
                    "defer_loading",
                    "allowed_callers",
                    "eager_input_streaming",
                ],
                &p,
            )?;
            let name = string(req_field(o, "name", &p)?, &format!("{p}.name"))?;
            check_name(name, &format!("{p}.name"))?;
            if let Some(d) = o.get("description") {
                string(d, &format!("{p}.description"))?;
            }
            if let Some(s) = o.get("strict") {
                boolean(s, &format!("{p}.strict"))?;
            }
            if let Some(cc) = o.get("cache_control") {
                check_cache_control(cc, &format!("{p}.cache_control"))?;
            }
            let schema = req_field(o, "input_schema", &p)?;
            check_input_schema(schema, &format!("{p}.input_schema"))?;
            if let Some(ex) = o.get("input_examples") {
                for (j, x) in array(ex, &format!("{p}.input_examples"))?
                    .iter()
                    .enumerate()
                {
                    if !jsonschema::is_valid(schema, x) {
                        return Err(invalid(format!(
                            "{p}.input_examples.{j}: does not validate against input_schema"
                        )));
                    }
                }
            }
            if !seen.insert(name.to_string()) {
                return Err(invalid("tools: Tool names must be unique."));
            }
            tools.push((name.to_string(), schema.clone()));
        }
    }
    // tool_choice
    let choice = match b.get("tool_choice") {
        None => {
            if tools.is_empty() {
                Choice::None
            } else {
                Choice::Auto
            }
        }
        Some(tc) => {
            let o = obj(tc, "tool_choice")?;
            let ty = o
                .get("type")
                .and_then(Value::as_str)
                .ok_or_else(|| invalid("tool_choice.type: Field required"))?;
            if let Some(d) = o.get("disable_parallel_tool_use") {
                boolean(d, "tool_choice.disable_parallel_tool_use")?;
            }
            let c = match ty {
                "tool" => {
                    only_keys(o, &["type", "name", "disable_parallel_tool_use"], "tool_choice")?;
                    let name = string(req_field(o, "name", "tool_choice")?, "tool_choice.name")?;
                    if !tools.iter().any(|(n, _)| n == name) {
                        return Err(invalid(format!(
                            "tool_choice.name: Tool '{name}' not found in tools"
                        )));
                    }
                    Choice::Tool(name.to_string())
                }
                "any" => {
                    only_keys(o, &["type", "disable_parallel_tool_use"], "tool_choice")?;
                    Choice::Any
                }
                "auto" => {
                    only_keys(o, &["type", "disable_parallel_tool_use"], "tool_choice")?;
                    Choice::Auto
                }
                "none" => {
                    only_keys(o, &["type"], "tool_choice")?;
                    Choice::None
                }
                other => {
                    return Err(invalid(format!(
                        "tool_choice.type: Input tag '{other}' found using 'type' does not match any of the expected tags: 'auto', 'any', 'tool', 'none'"
                    )))
                }
            };
            if matches!(c, Choice::Tool(_) | Choice::Any) {
                if tools.is_empty() {
                    return Err(invalid(
                        "tool_choice: tool_choice may only be specified while providing tools",
                    ));
                }
                if thinking_enabled {
                    return Err(invalid(
                        "Thinking may not be enabled when tool_choice forces tool use.",
                    ));
                }
            }
            c
        }
    };
    // messages
    let msgs = array(req_field(b, "messages", "")?, "messages")?;
    if msgs.is_empty() {
        return Err(invalid("messages: List should have at least 1 item"));
    }
    let mut all_ids = HashSet::new();
    let mut prev_tool_uses: Vec<String> = Vec::new();
    for (i, m) in msgs.iter().enumerate() {
        let p = format!("messages.{i}");
        let o = obj(m, &p)?;
        only_keys(o, &["role", "content"], &p)?;
        let role = string(req_field(o, "role", &p)?, &format!("{p}.role"))?;
        if role != "user" && role != "assistant" {
            return Err(invalid(format!(
                "{p}.role: Input should be 'user' or 'assistant'"
            )));
        }
        if i == 0 && role != "user" {
            return Err(invalid(
                "messages: first message must use the \"user\" role",
            ));
        }
        let content = req_field(o, "content", &p)?;
        let mut tool_uses = Vec::new();
        let mut results = Vec::new();
        match content {
            Value::String(s) => {
                if s.is_empty() && !(role == "assistant" && i + 1 == msgs.len()) {
                    return Err(invalid(format!(
                        "{p}.content: messages must have non-empty content"
                    )));
                }
            }
            Value::Array(blocks) => {
                if blocks.is_empty() {
                    return Err(invalid(format!(
                        "{p}.content: List should have at least 1 item"
                    )));
                }
                let mut seen_other = false;
                for (j, blk) in blocks.iter().enumerate() {
                    let bp = format!("{p}.content.{j}");
                    let bo = obj(blk, &bp)?;
                    let ty = bo
                        .get("type")
                        .and_then(Value::as_str)
                        .ok_or_else(|| invalid(format!("{bp}.type: Field required")))?;
                    match ty {
                        "text" => {
                            check_text_block(bo, &bp)?;
                            seen_other = true;
                        }
                        "tool_use" => {
                            if role != "assistant" {
                                return Err(invalid(format!(
                                    "{bp}: tool_use blocks are only allowed in assistant messages"
                                )));
                            }
                            only_keys(
                                bo,
                                &["type", "id", "name", "input", "cache_control", "caller"],
                                &bp,
                            )?;
                            let id = string(req_field(bo, "id", &bp)?, &format!("{bp}.id"))?;
                            if !tool_name_ok(id) {
                                return Err(invalid(format!(
                                    "{bp}.id: String should match pattern '^[a-zA-Z0-9_-]+$'"
                                )));
                            }
                            let name =
                                string(req_field(bo, "name", &bp)?, &format!("{bp}.name"))?;
                            check_name(name, &format!("{bp}.name"))?;
                            obj(req_field(bo, "input", &bp)?, &format!("{bp}.input"))?;
                            if !all_ids.insert(id.to_string()) {
                                return Err(invalid(format!(
                                    "{bp}.id: `tool_use` ids must be unique"
                                )));
                            }
                            tool_uses.push(id.to_string());
                            seen_other = true;
                        }
                        "tool_result" => {
                            if role != "user" {
                                return Err(invalid(format!(
                                    "{bp}: tool_result blocks are only allowed in user messages"
                                )));
                            }
                            if seen_other {
                                return Err(invalid(format!(
                                    "{p}: tool_result blocks must come first in the content, before any other block"
                                )));
                            }
                            only_keys(
                                bo,
                                &["type", "tool_use_id", "content", "is_error", "cache_control"],
                                &bp,
                            )?;
                            let id = string(
                                req_field(bo, "tool_use_id", &bp)?,
                                &format!("{bp}.tool_use_id"),
                            )?;
                            if let Some(c) = bo.get("content") {
                                match c {
                                    Value::String(_) => {}
                                    Value::Array(items) => {
                                        for (k, it) in items.iter().enumerate() {
                                            let ip = format!("{bp}.content.{k}");
                                            let io = obj(it, &ip)?;
                                            if io.get("type").and_then(Value::as_str)
                                                != Some("text")
                                            {
                                                return Err(invalid(format!(
                                                    "{ip}.type: the fake supports only text in tool results"
                                                )));
                                            }
                                            check_text_block(io, &ip)?;
                                        }
                                    }
                                    _ => {
                                        return Err(invalid(format!(
                                            "{bp}.content: Input should be a valid string or list"
                                        )))
                                    }
                                }
                            }
                            if let Some(e) = bo.get("is_error") {
                                boolean(e, &format!("{bp}.is_error"))?;
                            }
                            if let Some(cc) = bo.get("cache_control") {
                                check_cache_control(cc, &format!("{bp}.cache_control"))?;
                            }
                            if !prev_tool_uses.iter().any(|u| u == id) {
                                return Err(invalid(format!(
                                    "{bp}: unexpected `tool_use_id` found in `tool_result` blocks: {id}. Each `tool_result` block must have a corresponding `tool_use` block in the previous message."
                                )));
                            }
                            results.push(id.to_string());
                        }
                        other => {
                            return Err(invalid(format!(
                                "{bp}.type: Input tag '{other}' found using 'type' does not match any of the expected tags the fake supports: 'text', 'tool_use', 'tool_result'"
                            )))
                        }
                    }
                }
            }
            _ => {
                return Err(invalid(format!(
                    "{p}.content: Input should be a valid string or list"
                )))
            }
        }
        // Every tool_use of the previous (assistant) message is answered here.
        if !prev_tool_uses.is_empty() {
            let missing: Vec<&String> = prev_tool_uses
                .iter()
                .filter(|u| !results.contains(u))
                .collect();
            if role != "user" || !missing.is_empty() {
                let ids: Vec<&str> = if role != "user" {
                    prev_tool_uses.iter().map(String::as_str).collect()
                } else {
                    missing.iter().map(|s| s.as_str()).collect()
                };
                return Err(invalid(format!(
                    "messages.{}: `tool_use` ids were found without `tool_result` blocks immediately after: {}. Each `tool_use` block must have a corresponding `tool_result` block in the next message.",
                    i - 1,
                    ids.join(", ")
                )));
            }
        }
        prev_tool_uses = if role == "assistant" {
            tool_uses
        } else {
            Vec::new()
        };
    }
    let last_role = msgs
        .last()
        .and_then(|m| m.get("role"))
        .and_then(Value::as_str);
    if last_role == Some("assistant") {
        if no_prefill(&model) {
            return Err(invalid(
                "This model does not support assistant message prefill. The conversation must end with a user message.",
            ));
        }
        if !prev_tool_uses.is_empty() {
            return Err(invalid(format!(
                "messages.{}: `tool_use` ids were found without `tool_result` blocks immediately after: {}. Each `tool_use` block must have a corresponding `tool_result` block in the next message.",
                msgs.len() - 1,
                prev_tool_uses.join(", ")
            )));
        }
    }
    Ok(Req {
        model,
        max_tokens,
        tools,
        choice,
        system_chars,
        tools_chars,
        body_chars: body.to_string().chars().count(),
    })
}

fn check_openai(st: &Shared, body: &Value) -> Result<Req, ApiError> {
    let b = obj(body, "body")?;
    only_keys(
        b,
        &[
            "model",
            "messages",
            "tools",
            "tool_choice",
            "parallel_tool_calls",
            "max_completion_tokens",
            "max_tokens",
            "temperature",
            "top_p",
            "n",
            "stop",
            "seed",
            "user",
            "response_format",
            "stream",
            "stream_options",
            "logprobs",
            "top_logprobs",
            "presence_penalty",
            "frequency_penalty",
            "logit_bias",
            "metadata",
            "store",
            "reasoning_effort",
            "service_tier",
            "prompt_cache_key",
            "safety_identifier",
            "verbosity",
        ],
        "",
    )?;
    let model = check_model(st, b.get("model"))?;
    if b.contains_key("max_tokens") && b.contains_key("max_completion_tokens") {
        return Err(invalid(
            "max_tokens: set either max_tokens or max_completion_tokens, not both",
        ));
    }
    let max_tokens = match b.get("max_completion_tokens").or(b.get("max_tokens")) {
        None => 4096,
        Some(v) => match v.as_u64() {
            Some(n) if n >= 1 => n,
            _ => {
                return Err(invalid(
                    "max_completion_tokens: Input should be an integer >= 1",
                ))
            }
        },
    };
    if b.get("stream").and_then(Value::as_bool) == Some(true) {
        return Err(invalid("stream: the fake server does not stream"));
    }
    if let Some(t) = b.get("temperature") {
        let t = t
            .as_f64()
            .ok_or_else(|| invalid("temperature: Input should be a valid number"))?;
        if !(0.0..=2.0).contains(&t) {
            return Err(invalid("temperature: Input should be between 0 and 2"));
        }
    }
    if let Some(n) = b.get("n") {
        if n.as_u64() != Some(1) {
            return Err(invalid("n: the fake answers n = 1 only"));
        }
    }
    // tools
    let mut tools: Vec<(String, Value)> = Vec::new();
    let mut tools_chars = 0;
    if let Some(t) = b.get("tools") {
        tools_chars = t.to_string().chars().count();
        let mut seen = HashSet::new();
        for (i, tool) in array(t, "tools")?.iter().enumerate() {
            let p = format!("tools.{i}");
            let o = obj(tool, &p)?;
            only_keys(o, &["type", "function"], &p)?;
            if o.get("type").and_then(Value::as_str) != Some("function") {
                return Err(invalid(format!("{p}.type: Input should be 'function'")));
            }
            let fp = format!("{p}.function");
            let f = obj(req_field(o, "function", &p)?, &fp)?;
            only_keys(f, &["name", "description", "parameters", "strict"], &fp)?;
            let name = string(req_field(f, "name", &fp)?, &format!("{fp}.name"))?;
            check_name(name, &format!("{fp}.name"))?;
            if let Some(d) = f.get("description") {
                string(d, &format!("{fp}.description"))?;
            }
            if let Some(s) = f.get("strict") {
                boolean(s, &format!("{fp}.strict"))?;
            }
            let schema = f
                .get("parameters")
                .cloned()
                .unwrap_or_else(|| json!({"type": "object", "properties": {}}));
            check_input_schema(&schema, &format!("{fp}.parameters"))?;
            if !seen.insert(name.to_string()) {
                return Err(invalid(format!("{fp}.name: tool names must be unique")));
            }
            tools.push((name.to_string(), schema));
        }
    }
    let choice = match b.get("tool_choice") {
        None => {
            if tools.is_empty() {
                Choice::None
            } else {
                Choice::Auto
            }
        }
        Some(Value::String(s)) => match s.as_str() {
            "none" => Choice::None,
            "auto" => Choice::Auto,
            "required" => Choice::Any,
            other => {
                return Err(invalid(format!(
                    "tool_choice: Invalid value '{other}': expected 'none', 'auto' or 'required'"
                )))
            }
        },
        Some(v) => {
            let o = obj(v, "tool_choice")?;
            only_keys(o, &["type", "function"], "tool_choice")?;
            if o.get("type").and_then(Value::as_str) != Some("function") {
                return Err(invalid("tool_choice.type: Input should be 'function'"));
            }
            let f = obj(
                req_field(o, "function", "tool_choice")?,
                "tool_choice.function",
            )?;
            only_keys(f, &["name"], "tool_choice.function")?;
            let name = string(
                req_field(f, "name", "tool_choice.function")?,
                "tool_choice.function.name",
            )?;
            if !tools.iter().any(|(n, _)| n == name) {
                return Err(invalid(format!(
                    "tool_choice.function.name: Tool '{name}' not found in tools"
                )));
            }
            Choice::Tool(name.to_string())
        }
    };
    if matches!(choice, Choice::Tool(_) | Choice::Any) && tools.is_empty() {
        return Err(invalid(
            "tool_choice: 'tool_choice' is only allowed when 'tools' are specified",
        ));
    }
    if let Some(p) = b.get("parallel_tool_calls") {
        boolean(p, "parallel_tool_calls")?;
        if tools.is_empty() {
            return Err(invalid(
                "parallel_tool_calls: 'parallel_tool_calls' is only allowed when 'tools' are specified",
            ));
        }
    }
    // messages
    let msgs = array(req_field(b, "messages", "")?, "messages")?;
    if msgs.is_empty() {
        return Err(invalid("messages: List should have at least 1 item"));
    }
    let mut system_chars = 0;
    let mut pending: Vec<String> = Vec::new();
    let mut all_ids = HashSet::new();
    for (i, m) in msgs.iter().enumerate() {
        let p = format!("messages.{i}");
        let o = obj(m, &p)?;
        let role = string(req_field(o, "role", &p)?, &format!("{p}.role"))?;
        if !pending.is_empty() && role != "tool" {
            return Err(invalid(format!(
                "{p}: An assistant message with 'tool_calls' must be followed by tool messages responding to each 'tool_call_id'. The following tool_call_ids did not have response messages: {}",
                pending.join(", ")
            )));
        }
        let content_ok = |c: &Value, allow_null: bool| -> Result<(), ApiError> {
            match c {
                Value::String(_) => Ok(()),
                Value::Null if allow_null => Ok(()),
                Value::Array(parts) => {
                    for (k, part) in parts.iter().enumerate() {
                        let pp = format!("{p}.content.{k}");
                        let po = obj(part, &pp)?;
                        only_keys(po, &["type", "text"], &pp)?;
                        if po.get("type").and_then(Value::as_str) != Some("text") {
                            return Err(invalid(format!(
                                "{pp}.type: the fake supports only text parts"
                            )));
                        }
                        string(req_field(po, "text", &pp)?, &format!("{pp}.text"))?;
                    }
                    Ok(())
                }
                _ => Err(invalid(format!(
                    "{p}.content: Input should be a valid string or list"
                ))),
            }
        };
        match role {
            "system" | "developer" | "user" => {
                only_keys(o, &["role", "content", "name"], &p)?;
                let c = req_field(o, "content", &p)?;
                content_ok(c, false)?;
                if role != "user" {
                    system_chars += c.as_str().map_or(0, |s| s.chars().count());
                }
            }
            "assistant" => {
                only_keys(o, &["role", "content", "name", "tool_calls", "refusal"], &p)?;
                if let Some(c) = o.get("content") {
                    content_ok(c, true)?;
                }
                if let Some(calls) = o.get("tool_calls") {
                    for (k, call) in array(calls, &format!("{p}.tool_calls"))?.iter().enumerate() {
                        let cp = format!("{p}.tool_calls.{k}");
                        let co = obj(call, &cp)?;
                        only_keys(co, &["id", "type", "function"], &cp)?;
                        let id = string(req_field(co, "id", &cp)?, &format!("{cp}.id"))?;
                        if co.get("type").and_then(Value::as_str) != Some("function") {
                            return Err(invalid(format!("{cp}.type: Input should be 'function'")));
                        }
                        let fp = format!("{cp}.function");
                        let f = obj(req_field(co, "function", &cp)?, &fp)?;
                        only_keys(f, &["name", "arguments"], &fp)?;
                        check_name(
                            string(req_field(f, "name", &fp)?, &format!("{fp}.name"))?,
                            &format!("{fp}.name"),
                        )?;
                        string(req_field(f, "arguments", &fp)?, &format!("{fp}.arguments"))?;
                        if !all_ids.insert(id.to_string()) {
                            return Err(invalid(format!("{cp}.id: duplicate tool call id {id}")));
                        }
                        pending.push(id.to_string());
                    }
                } else if o.get("content").is_none_or(Value::is_null) {
                    return Err(invalid(format!(
                        "{p}: an assistant message needs content or tool_calls"
                    )));
                }
            }
            "tool" => {
                only_keys(o, &["role", "content", "tool_call_id"], &p)?;
                content_ok(req_field(o, "content", &p)?, false)?;
                let id = string(
                    req_field(o, "tool_call_id", &p)?,
                    &format!("{p}.tool_call_id"),
                )?;
                match pending.iter().position(|x| x == id) {
                    Some(k) => {
                        pending.remove(k);
                    }
                    None => {
                        return Err(invalid(format!(
                            "{p}: Invalid parameter: messages with role 'tool' must be a response to a preceeding message with 'tool_calls' (unknown tool_call_id {id})"
                        )))
                    }
                }
            }
            other => {
                return Err(invalid(format!(
                    "{p}.role: Input should be 'system', 'developer', 'user', 'assistant' or 'tool', not '{other}'"
                )))
            }
        }
    }
    if !pending.is_empty() {
        return Err(invalid(format!(
            "messages: tool calls without tool messages: {}",
            pending.join(", ")
        )));
    }
    Ok(Req {
        model,
        max_tokens,
        tools,
        choice,
        system_chars,
        tools_chars,
        body_chars: body.to_string().chars().count(),
    })
}

/// The text of the last user turn.
fn last_user_text(body: &Value) -> Option<String> {
    let msgs = body.get("messages")?.as_array()?;
    let last_user = msgs
        .iter()
        .rev()
        .find(|m| m.get("role").and_then(Value::as_str) == Some("user"))?;
    let content = last_user.get("content")?;
    match content {
        Value::String(s) => Some(s.clone()),
        Value::Array(blocks) => {
            let texts: Vec<&str> = blocks
                .iter()
                .filter(|b| b.get("type").and_then(Value::as_str) == Some("text"))
                .filter_map(|b| b.get("text").and_then(Value::as_str))
                .collect();
            (!texts.is_empty()).then(|| texts.join("\n"))
        }
        _ => None,
    }
}

// ---------------------------------------------------------------------------------------
// Answers

/// FNV-1a, stable across runs and platforms.
fn hash(parts: &[&str]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for p in parts {
        for b in p.bytes().chain(std::iter::once(0xff)) {
            h ^= b as u64;
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    h
}

/// A value valid against `schema`, chosen by the hash of `ticket` and `path`.
pub fn generate(schema: &Value, ticket: &str, path: &str) -> Value {
    let h = hash(&[ticket, path]);
    if let Some(choices) = schema.get("enum").and_then(Value::as_array) {
        if !choices.is_empty() {
            return choices[(h % choices.len() as u64) as usize].clone();
        }
    }
    if let Some(c) = schema.get("const") {
        return c.clone();
    }
    let ty = match schema.get("type") {
        Some(Value::String(s)) => s.as_str(),
        Some(Value::Array(ts)) => ts
            .iter()
            .filter_map(Value::as_str)
            .find(|t| *t != "null")
            .unwrap_or("null"),
        _ if schema.get("properties").is_some() => "object",
        _ => "string",
    };
    match ty {
        "object" => {
            let mut out = Map::new();
            if let Some(props) = schema.get("properties").and_then(Value::as_object) {
                for (k, s) in props {
                    out.insert(k.clone(), generate(s, ticket, &join(path, k)));
                }
            }
            Value::Object(out)
        }
        "array" => {
            let item = schema.get("items").cloned().unwrap_or(json!({}));
            let min = schema.get("minItems").and_then(Value::as_u64).unwrap_or(0);
            let n = if min > 0 {
                min
            } else {
                ((h >> 8) & 1) + u64::from(h.is_multiple_of(5))
            };
            let mut out: Vec<Value> = Vec::new();
            for i in 0..n.max(min) {
                let v = generate(&item, ticket, &join(path, i));
                if !out.contains(&v) {
                    out.push(v);
                }
            }
            Value::Array(out)
        }
        "number" => {
            let lo = schema.get("minimum").and_then(Value::as_f64).unwrap_or(0.0);
            let hi = schema
                .get("maximum")
                .and_then(Value::as_f64)
                .unwrap_or(1.0)
                .max(lo);
            // Upper half of the range, two decimals: looks like a confidence.
            let frac = ((h >> 16) % 1000) as f64 / 1000.0;
            let v = lo + (hi - lo) * (0.5 + 0.5 * frac);
            json!(((v * 100.0).round() / 100.0).clamp(lo, hi))
        }
        "integer" => {
            let lo = schema.get("minimum").and_then(Value::as_i64).unwrap_or(0);
            let hi = schema
                .get("maximum")
                .and_then(Value::as_i64)
                .unwrap_or(lo + 10)
                .max(lo);
            json!(lo + ((h >> 16) % ((hi - lo) as u64 + 1)) as i64)
        }
        "boolean" => json!((h >> 3) & 1 == 0),
        "null" => Value::Null,
        _ => json!(format!("fake answer {}", h % 1000)),
    }
}

/// Sets the first enum-constrained property to a value outside its enum.
fn break_enum(schema: &Value, input: &mut Value) {
    if let (Some(props), Some(obj)) = (
        schema.get("properties").and_then(Value::as_object),
        input.as_object_mut(),
    ) {
        for (k, s) in props {
            if s.get("enum").is_some() {
                obj.insert(k.clone(), json!("not_a_valid_value"));
                return;
            }
            if let Some(items) = s.get("items") {
                if items.get("enum").is_some() {
                    obj.insert(k.clone(), json!(["not_a_valid_value"]));
                    return;
                }
            }
        }
        // No enum: a wrong type for the first property.
        if let Some(k) = props.keys().next() {
            obj.insert(k.clone(), json!({"unexpected": true}));
        }
    }
}

struct Planned {
    /// `None`: answer with text only.
    tool: Option<String>,
    input: Value,
}

fn plan(st: &Shared, req: &Req, ticket: &str) -> Planned {
    let scripted = st.answer_for(ticket);
    let tool = match &req.choice {
        Choice::None => None,
        Choice::Tool(name) => Some(name.clone()),
        Choice::Any | Choice::Auto => scripted
            .as_ref()
            .and_then(|a| a.tool.clone())
            .filter(|t| req.tools.iter().any(|(n, _)| n == t))
            .or_else(|| req.tools.first().map(|(n, _)| n.clone())),
    };
    let Some(tool) = tool else {
        return Planned {
            tool: None,
            input: Value::Null,
        };
    };
    let schema = &req
        .tools
        .iter()
        .find(|(n, _)| *n == tool)
        .expect("tool exists")
        .1;
    let mut input = generate(schema, ticket, "");
    if let Some(Answer {
        input: Value::Object(over),
        ..
    }) = scripted
    {
        if let Some(obj) = input.as_object_mut() {
            for (k, v) in over {
                obj.insert(k, v);
            }
        }
    }
    Planned {
        tool: Some(tool),
        input,
    }
}

fn usage_numbers(req: &Req, output: &Value) -> (u64, u64, u64, u64) {
    let total = (req.body_chars as u64).div_ceil(4).max(1);
    let cache_read = (req.system_chars as u64 / 4).min(total / 2);
    let cache_write = (req.tools_chars as u64 / 4).min(total / 4);
    let input = total - cache_read - cache_write;
    let out = (output.to_string().chars().count() as u64).div_ceil(4) + 12;
    (
        input,
        out.min(req.max_tokens.max(1)),
        cache_read,
        cache_write,
    )
}

fn answer_body(
    st: &Shared,
    provider: ProviderKind,
    req: &Req,
    ticket: &str,
    fault: Option<&Fault>,
    n: u64,
) -> Value {
    let mut planned = plan(st, req, ticket);
    if let (Some(Fault::BadEnum | Fault::BadJsonArgs), Some(tool)) = (fault, &planned.tool) {
        let schema = &req.tools.iter().find(|(n, _)| n == tool).expect("tool").1;
        if !(provider == ProviderKind::OpenAi && fault == Some(&Fault::BadJsonArgs)) {
            break_enum(schema, &mut planned.input);
        }
    }
    match provider {
        ProviderKind::OpenAi => openai_answer(req, planned, fault, n),
        _ => anthropic_answer(req, planned, fault, n),
    }
}

fn anthropic_answer(req: &Req, planned: Planned, fault: Option<&Fault>, n: u64) -> Value {
    let tool_block = |name: &str, input: &Value, k: u32| json!({"type": "tool_use", "id": format!("toolu_fake_{n}_{k}"), "name": name, "input": input});
    let (content, stop, stop_details) = match (fault, &planned.tool) {
        (Some(Fault::Refusal), _) => (
            json!([]),
            "refusal",
            json!({"type": "refusal", "category": null, "explanation": "The fake was asked to refuse."}),
        ),
        (Some(Fault::MaxTokens), Some(t)) => (
            json!([tool_block(t, &json!({}), 1)]),
            "max_tokens",
            Value::Null,
        ),
        (Some(Fault::MaxTokens), None) => (
            json!([{"type": "text", "text": "This ticket is about"}]),
            "max_tokens",
            Value::Null,
        ),
        (Some(Fault::NoTool), _) | (_, None) => (
            json!([{"type": "text", "text": "This looks like a question for the billing team."}]),
            "end_turn",
            Value::Null,
        ),
        (Some(Fault::WrongTool), Some(_)) => (
            json!([tool_block("not_a_defined_tool", &json!({"x": 1}), 1)]),
            "tool_use",
            Value::Null,
        ),
        (Some(Fault::TwoTools), Some(t)) => (
            json!([
                tool_block("not_a_defined_tool", &json!({"x": 1}), 1),
                tool_block(t, &planned.input, 2)
            ]),
            "tool_use",
            Value::Null,
        ),
        (_, Some(t)) => (
            json!([tool_block(t, &planned.input, 1)]),
            "tool_use",
            Value::Null,
        ),
    };
    let (input, output, cache_read, cache_write) = usage_numbers(req, &content);
    json!({
        "id": format!("msg_fake_{n}"),
        "type": "message",
        "role": "assistant",
        "model": req.model,
        "content": content,
        "stop_reason": stop,
        "stop_sequence": null,
        "stop_details": stop_details,
        "usage": {
            "input_tokens": input,
            "output_tokens": output,
            "cache_creation_input_tokens": cache_write,
            "cache_read_input_tokens": cache_read,
            "cache_creation": {"ephemeral_5m_input_tokens": cache_write, "ephemeral_1h_input_tokens": 0},
            "server_tool_use": null,
            "service_tier": "standard"
        }
    })
}

fn openai_answer(req: &Req, planned: Planned, fault: Option<&Fault>, n: u64) -> Value {
    let call = |name: &str, args: String, k: u32| {
        json!({"id": format!("call_fake_{n}_{k}"), "type": "function",
               "function": {"name": name, "arguments": args}})
    };
    let named = matches!(req.choice, Choice::Tool(_));
    let done = if named { "stop" } else { "tool_calls" };
    let text = |s: &str| json!({"role": "assistant", "content": s, "refusal": null});
    let (message, finish) = match (fault, &planned.tool) {
        (Some(Fault::Refusal), _) => (
            json!({"role": "assistant", "content": null, "refusal": "I'm sorry, I can't help with that."}),
            "stop",
        ),
        (Some(Fault::MaxTokens), Some(t)) => {
            let full = planned.input.to_string();
            let cut = full[..full.len() / 2].to_string();
            (
                json!({"role": "assistant", "content": null, "refusal": null,
                       "tool_calls": [call(t, cut, 1)]}),
                "length",
            )
        }
        (Some(Fault::MaxTokens), None) => (text("This ticket is about"), "length"),
        (Some(Fault::NoTool), _) | (_, None) => (
            text("This looks like a question for the billing team."),
            "stop",
        ),
        (Some(Fault::BadJsonArgs), Some(t)) => (
            json!({"role": "assistant", "content": null, "refusal": null,
                   "tool_calls": [call(t, "{\"department\": billing,".into(), 1)]}),
            done,
        ),
        (Some(Fault::WrongTool), Some(_)) => (
            json!({"role": "assistant", "content": null, "refusal": null,
                   "tool_calls": [call("not_a_defined_tool", "{\"x\":1}".into(), 1)]}),
            done,
        ),
        (Some(Fault::TwoTools), Some(t)) => (
            json!({"role": "assistant", "content": null, "refusal": null,
                   "tool_calls": [call("not_a_defined_tool", "{\"x\":1}".into(), 1),
                                  call(t, planned.input.to_string(), 2)]}),
            done,
        ),
        (_, Some(t)) => (
            json!({"role": "assistant", "content": null, "refusal": null,
                   "tool_calls": [call(t, planned.input.to_string(), 1)]}),
            done,
        ),
    };
    let (input, output, cache_read, _) = usage_numbers(req, &message);
    let prompt = input + cache_read;
    json!({
        "id": format!("chatcmpl-fake-{n}"),
        "object": "chat.completion",
        "created": 1_767_225_600,
        "model": req.model,
        "choices": [{"index": 0, "message": message, "logprobs": null, "finish_reason": finish}],
        "usage": {
            "prompt_tokens": prompt,
            "completion_tokens": output,
            "total_tokens": prompt + output,
            "prompt_tokens_details": {"cached_tokens": cache_read},
            "completion_tokens_details": {"reasoning_tokens": 0}
        },
        "system_fingerprint": "fp_fake"
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_parse() {
        assert_eq!(
            parse_marker("x [[fault:429]] y"),
            Some((Fault::RateLimit, None))
        );
        assert_eq!(
            parse_marker("[[fault:500*2]]"),
            Some((Fault::ServerError, Some(2)))
        );
        assert_eq!(
            parse_marker("[[fault:status-503]]"),
            Some((Fault::Status(503), None))
        );
        assert_eq!(parse_marker("[[fault:nope]]"), None);
        assert_eq!(parse_marker("no marker"), None);
        for f in [
            Fault::RateLimit,
            Fault::RateLimitMs,
            Fault::RateLimitDate,
            Fault::RateLimitBare,
            Fault::SpendLimit,
            Fault::Overloaded,
            Fault::ServerError,
            Fault::ServerErrorNoRetry,
            Fault::BadRequest,
            Fault::BadRequestRetry,
            Fault::Unauthorized,
            Fault::Status(418),
            Fault::Reset,
            Fault::CutBody,
            Fault::Hang,
            Fault::Malformed,
            Fault::NoTool,
            Fault::BadEnum,
            Fault::BadJsonArgs,
            Fault::MaxTokens,
            Fault::Refusal,
            Fault::WrongTool,
            Fault::TwoTools,
        ] {
            assert_eq!(Fault::parse(&f.name()), Some(f.clone()));
            assert_eq!(parse_marker(&f.marker_times(3)), Some((f, Some(3))));
        }
    }

    #[test]
    fn generated_inputs_validate_and_are_stable() {
        let schema = json!({"type": "object", "properties": {
            "department": {"type": "string", "enum": ["a", "b", "c"]},
            "intents": {"type": "array", "items": {"type": "string", "enum": ["x", "y"]}},
            "confidence": {"type": "number", "minimum": 0, "maximum": 1},
            "flag": {"type": "boolean"},
            "reason": {"type": "string"}
        }, "required": ["department", "intents", "confidence", "flag", "reason"],
        "additionalProperties": false});
        for t in ["one", "two", "three", "four", "five", "six"] {
            let v = generate(&schema, t, "");
            assert!(jsonschema::is_valid(&schema, &v), "{v}");
            assert_eq!(v, generate(&schema, t, ""));
        }
    }
}

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
//! exercised). With [`FakeConfig::gold`] (the gold-aware mode, [`gold`]) the fake finds the
//! ticket in the gold set and answers its gold labels with a chosen, seeded probability.
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

mod answer;
mod check;
mod fault;
pub mod gold;
mod response;
mod server;
mod state;

use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;
use tokio::sync::watch;

pub use answer::generate;
pub use fault::{parse_marker, Fault};
pub use gold::{accuracy_marker_text, GoldColumns, GoldDecision, GoldMode, GoldSet, GoldTicket};

/// Which wire protocol a request speaks: the fake's own type (it shares no code with verdict).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Provider {
    /// `POST /v1/messages`.
    Anthropic,
    /// `POST /v1/chat/completions`.
    OpenAi,
}

/// The `anthropic-version` header value the fake accepts.
pub const ANTHROPIC_VERSION: &str = "2023-06-01";

/// Claude model ids the fake accepts by default (aliases and dated ids, as current when this
/// list was written; verdict's test `fake_accepts_every_priced_model` keeps it in step with
/// verdict's price table).
pub const CLAUDE_MODELS: &[&str] = &[
    "claude-fable-5",
    "claude-mythos-5",
    "claude-opus-5",
    "claude-opus-4-8",
    "claude-opus-4-7",
    "claude-opus-4-6",
    "claude-opus-4-5",
    "claude-opus-4-5-20251101",
    "claude-sonnet-5",
    "claude-sonnet-4-6",
    "claude-sonnet-4-5",
    "claude-sonnet-4-5-20250929",
    "claude-haiku-4-5",
    "claude-haiku-4-5-20251001",
];

/// Models the fake accepts when [`FakeConfig::models`] is `None`: [`CLAUDE_MODELS`] and a few
/// OpenAI-compatible names.
pub fn default_models() -> Vec<String> {
    let mut m: Vec<String> = CLAUDE_MODELS.iter().map(|s| s.to_string()).collect();
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
    /// The gold-aware mode: answer gold labels with a chosen accuracy (see [`gold`]).
    pub gold: Option<GoldMode>,
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
            gold: None,
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
            .field(
                "gold",
                &self.gold.as_ref().map(|g| {
                    (
                        g.gold.tickets().len(),
                        g.accuracy,
                        &g.model_accuracy,
                        g.seed,
                    )
                }),
            )
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
    /// What the gold-aware mode decided (which ticket, which fields answered right).
    pub gold: Option<GoldDecision>,
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
    in_flight: Arc<state::InFlight>,
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
    let in_flight = Arc::new(state::InFlight::default());
    let (shutdown_tx, shutdown_rx) = watch::channel(false);
    let router = server::router(config, log.clone(), in_flight.clone(), shutdown_rx.clone());
    let task = tokio::spawn(server::accept_loop(listener, router, shutdown_rx));
    Ok(FakeServer {
        base_url: format!("http://{addr}"),
        addr,
        log,
        in_flight,
        shutdown: shutdown_tx,
        task: Some(task),
    })
}

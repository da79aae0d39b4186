//! Running an LLM variant: every job sent to the provider with bounded, adaptive concurrency,
//! client-side rate limits, retries, a response cache and budget guards, each result
//! journaled the moment it arrives.
//!
//! Shape: one async loop (the *driver*) owns the [`Recorder`]. It walks the jobs in order,
//! serves cache hits itself, and for the rest takes a slot from the [`AdaptiveLimit`] and
//! spawns a task that makes the attempts (rate limit, call, backoff, call...). Tasks report
//! back over one channel and the driver journals each result in completion order, so lines
//! are whole and nothing else writes the journal.
//!
//! Never paying twice: a task stores a response in the cache *before* the driver journals it,
//! so a process killed between the two finds the response in the cache on `--resume` instead
//! of buying it again (this holds unless the cache is off with `--no-cache`).
//!
//! Stopping: Ctrl-C (the recorder's `interrupted` flag), `--max-cost`, `--max-requests` and
//! an authentication failure all stop new requests; requests already on the wire finish and
//! are journaled, tasks waiting for a rate limit or a backoff give up without a line (their
//! tickets stay to do for `--resume`). An authentication failure ends the run with
//! [`Error::RunFailed`] (exit 3); a budget stop is reported to `execute` as [`Stop::Budget`].

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use rand::SeedableRng;
use tokio::sync::{mpsc, watch};

use super::cache::{self, ResponseCache};
use super::concurrency::{AdaptiveLimit, Permit};
use super::ratelimit::RateLimits;
use super::retry::{Decision, RetryPolicy};
use super::{Event, Job, Recorder, RunContext};
use crate::error::{Error, Result};
use crate::eval_log::{Outcome, PredictionRecord};
use crate::provider::prices::{self, Price};
use crate::provider::{CallError, CallOk, LlmClient};
use crate::variant::{LlmSpec, ProviderKind, Variant};

/// What the runner needs from an LLM client: the request body and one attempt. The real one
/// is [`LlmClient`]; tests use scripted ones.
pub trait Transport: Send + Sync + 'static {
    fn provider(&self) -> ProviderKind;
    fn base_url(&self) -> &str;
    fn request_body(
        &self,
        spec: &LlmSpec,
        text: &str,
        id: &str,
        tags: &[String],
    ) -> serde_json::Value;
    fn call(
        &self,
        body: &serde_json::Value,
        attempt: u32,
    ) -> impl Future<Output = Result<CallOk, CallError>> + Send;
}

impl Transport for LlmClient {
    fn provider(&self) -> ProviderKind {
        LlmClient::provider(self)
    }
    fn base_url(&self) -> &str {
        LlmClient::base_url(self)
    }
    fn request_body(
        &self,
        spec: &LlmSpec,
        text: &str,
        id: &str,
        tags: &[String],
    ) -> serde_json::Value {
        LlmClient::request_body(self, spec, text, id, tags)
    }
    fn call(
        &self,
        body: &serde_json::Value,
        attempt: u32,
    ) -> impl Future<Output = Result<CallOk, CallError>> + Send {
        LlmClient::call(self, body, attempt)
    }
}

/// Run-wide limits on spending (`--max-cost`, `--max-requests`), counted over this
/// invocation: on `--resume` they apply afresh.
#[derive(Debug, Clone, Default)]
pub struct Budget {
    pub max_cost: Option<f64>,
    pub max_requests: Option<u64>,
    /// USD spent on responses received so far (cache hits cost nothing).
    pub spent_usd: f64,
    /// Classifications sent to a provider (a retried request counts once).
    pub requests: u64,
}

impl Budget {
    /// Why no new request may start, if one may not.
    pub fn exhausted(&self) -> Option<String> {
        if let Some(max) = self.max_requests {
            if self.requests >= max {
                return Some(format!(
                    "stopped at --max-requests {max} ({} requests sent)",
                    self.requests
                ));
            }
        }
        if let Some(max) = self.max_cost {
            if self.spent_usd >= max {
                return Some(format!(
                    "stopped at --max-cost {max} (${:.4} spent)",
                    self.spent_usd
                ));
            }
        }
        None
    }
}

/// Why a variant's loop ended early.
#[derive(Debug, Clone, PartialEq)]
pub enum Stop {
    /// Every job is journaled (or none was left).
    Done,
    /// Ctrl-C.
    Interrupted,
    /// A budget limit; the message says which.
    Budget(String),
}

/// The limits of one provider endpoint, shared by the variants that use it.
struct Endpoint {
    rate: Arc<RateLimits>,
    limit: Arc<AdaptiveLimit>,
}

/// State that lives for the whole run: the async runtime, the cache, the budget and the
/// per-endpoint limits (a 429 seen by one variant slows the next one on the same endpoint).
pub struct LlmRun {
    rt: tokio::runtime::Runtime,
    cache: Arc<ResponseCache>,
    pub budget: Budget,
    endpoints: HashMap<(&'static str, String), Endpoint>,
}

impl LlmRun {
    pub fn new(ctx: &RunContext) -> Result<Self> {
        let o = &ctx.options;
        let mode = if o.no_cache {
            cache::CacheMode::Off
        } else if o.refresh {
            cache::CacheMode::WriteOnly
        } else {
            cache::CacheMode::ReadWrite
        };
        let dir = match (&o.cache_dir, mode) {
            (Some(d), _) => d.clone(),
            (None, cache::CacheMode::Off) => std::path::PathBuf::new(),
            (None, _) => cache::default_dir().ok_or_else(|| {
                Error::Usage(
                    "no user cache directory is known here; pass --cache-dir DIR or --no-cache"
                        .into(),
                )
            })?,
        };
        if mode != cache::CacheMode::Off {
            std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
        }
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| Error::RunFailed(format!("cannot start the async runtime: {e}")))?;
        Ok(LlmRun {
            rt,
            cache: Arc::new(ResponseCache::new(dir, mode)),
            budget: Budget {
                max_cost: o.max_cost,
                max_requests: o.max_requests,
                ..Budget::default()
            },
            endpoints: HashMap::new(),
        })
    }

    /// Runs the jobs of one LLM variant.
    pub fn run(
        &mut self,
        ctx: &RunContext,
        variant: &Variant,
        spec: &LlmSpec,
        jobs: &[Job],
        recorder: &mut Recorder,
    ) -> Result<Stop> {
        let timeout = Duration::from_secs_f64(ctx.eval.run.timeout_s);
        // The client is built inside the runtime: an HTTP client may need one to exist.
        let client = self
            .rt
            .block_on(async { LlmClient::new(variant.provider, spec, timeout) })
            .map_err(|e| match e {
                CallError::Auth { .. } => auth_error(variant, &e),
                other => Error::Usage(format!(
                    "variant {} ({}): {}",
                    variant.name,
                    crate::error::display_path(&variant.file),
                    other.message()
                )),
            })?;
        self.run_with(ctx, variant, spec, jobs, recorder, Arc::new(client))
    }

    /// [`LlmRun::run`] with any transport.
    pub fn run_with<T: Transport>(
        &mut self,
        ctx: &RunContext,
        variant: &Variant,
        spec: &LlmSpec,
        jobs: &[Job],
        recorder: &mut Recorder,
        transport: Arc<T>,
    ) -> Result<Stop> {
        let settings = &ctx.eval.run;
        let concurrency = ctx.options.concurrency.unwrap_or(settings.concurrency);
        let endpoint = self
            .endpoints
            .entry((
                transport.provider().name(),
                transport.base_url().to_string(),
            ))
            .or_insert_with(|| Endpoint {
                rate: Arc::new(RateLimits::new(
                    settings.requests_per_minute,
                    settings.tokens_per_minute,
                )),
                limit: AdaptiveLimit::new(concurrency),
            });
        let driver = Driver {
            ctx,
            variant,
            spec,
            price: prices::price_for(&spec.model, &ctx.eval.prices),
            transport,
            cache: self.cache.clone(),
            rate: endpoint.rate.clone(),
            limit: endpoint.limit.clone(),
            policy: RetryPolicy::new(settings.max_retries),
            seed: settings.seed,
        };
        if let Err(w) = self.cache.probe() {
            recorder.event(Event::Warning(w));
        }
        let budget = &mut self.budget;
        self.rt.block_on(driver.drive(jobs, recorder, budget))
    }
}

/// `--max-cost` counts dollars from the price table: a variant with work to do whose model has
/// no price would spend without limit (its responses cost "unknown", counted as 0). Checked
/// before anything is sent or written.
pub fn preflight_max_cost(
    eval: &crate::config::Eval,
    work: &[(usize, Vec<Job>, usize)],
    max_cost: Option<f64>,
) -> Result<()> {
    let Some(max) = max_cost else { return Ok(()) };
    let unpriced: Vec<String> = work
        .iter()
        .filter(|(_, jobs, _)| !jobs.is_empty())
        .filter_map(|(vi, _, _)| {
            let v = &eval.variants[*vi];
            match &v.spec {
                crate::variant::VariantSpec::Llm(spec)
                    if prices::price_for(&spec.model, &eval.prices).is_none() =>
                {
                    Some(format!("  {} (model {})", v.name, spec.model))
                }
                _ => None,
            }
        })
        .collect();
    if unpriced.is_empty() {
        return Ok(());
    }
    Err(Error::Usage(format!(
        "--max-cost {max} cannot be enforced: no price is known for\n{}\n(give each model its price under `prices:` in the eval, or use --max-requests)",
        unpriced.join("\n")
    )))
}

/// Every LLM variant with work to do has a usable base URL (`base_url:` or the provider's
/// variable): checked before anything is sent or written, so `ANTHROPIC_BASE_URL="not a url"`
/// is a configuration error (exit 2) naming the variable, not a minute of retried connection
/// errors per request and a run that "succeeds" with every ticket failed.
pub fn preflight_base_urls(
    eval: &crate::config::Eval,
    work: &[(usize, Vec<Job>, usize)],
) -> Result<()> {
    let bad: Vec<String> = work
        .iter()
        .filter(|(_, jobs, _)| !jobs.is_empty())
        .filter_map(|(vi, _, _)| {
            let v = &eval.variants[*vi];
            match &v.spec {
                crate::variant::VariantSpec::Llm(spec) => {
                    crate::provider::client::resolve_base_url(v.provider, spec)
                        .err()
                        .map(|why| {
                            format!(
                                "  {} ({}): {why}",
                                v.name,
                                crate::error::display_path(&v.file)
                            )
                        })
                }
                _ => None,
            }
        })
        .collect();
    if bad.is_empty() {
        return Ok(());
    }
    Err(Error::Usage(format!(
        "a base URL is not usable, so nothing was sent or written:\n{}",
        bad.join("\n")
    )))
}

fn auth_error(variant: &Variant, err: &CallError) -> Error {
    let detail = match err {
        CallError::Auth { status, message } => match status {
            Some(s) if !message.starts_with(&format!("HTTP {s} ")) => {
                format!("HTTP {s}: {message}")
            }
            _ => message.clone(),
        },
        other => describe(other),
    };
    Error::RunFailed(format!(
        "authentication failed for variant {} ({}): {detail}; check the API key (or `api_key_env`) and run again (or `--resume` the run folder)",
        variant.name,
        variant.provider.name()
    ))
}

/// "HTTP 429 rate_limit_error: message" for a failed attempt.
fn describe(err: &CallError) -> String {
    let (status, error_type, message) = match err {
        CallError::Retryable {
            status,
            error_type,
            message,
            ..
        }
        | CallError::Fatal {
            status,
            error_type,
            message,
            ..
        } => (*status, error_type.as_deref(), message.as_str()),
        CallError::Auth { status, message } => (*status, None, message.as_str()),
    };
    // A message built from an error response already starts "HTTP 400 type: ...": said once.
    if let Some(code) = status {
        if message.starts_with(&format!("HTTP {code} "))
            || message.starts_with(&format!("HTTP {code}:"))
        {
            return message.to_string();
        }
    }
    let mut s = match status {
        Some(code) => format!("HTTP {code}"),
        None => "no response".to_string(),
    };
    if let Some(t) = error_type {
        s.push(' ');
        s.push_str(t);
    }
    s.push_str(": ");
    s.push_str(message);
    s
}

/// What a task reports.
enum Msg {
    Retry {
        job: Job,
        attempt: u32,
        reason: String,
    },
    /// Something to tell the user once (an unwritable cache).
    Warning(String),
    Done {
        job: Job,
        result: Result<CallOk, CallError>,
        attempts: u32,
        timing: Timing,
    },
    /// Stopped before a response (Ctrl-C, a budget or an auth stop): nothing to journal.
    Cancelled,
    /// The task panicked (a bug): journaled as a `provider_error`, so the run ends instead
    /// of waiting for the task forever, and `--resume` sends the ticket again.
    Panicked { job: Job, message: String },
}

/// When a job's task started (it had its slot) and how long it took to its final answer,
/// rate-limit waits, retries and backoffs included.
#[derive(Debug, Clone, Copy)]
struct Timing {
    started_at_ms: u64,
    e2e_ms: f64,
}

impl Timing {
    fn fill(self, rec: &mut PredictionRecord) {
        rec.latency_e2e_ms = Some(self.e2e_ms);
        rec.started_at_ms = Some(self.started_at_ms);
        rec.finished_at_ms = Some(self.started_at_ms + self.e2e_ms.round() as u64);
    }
}

/// Polls a future, turning a panic inside it into `Err(panic message)`.
struct CatchUnwind<F>(std::pin::Pin<Box<F>>);

impl<F: Future> Future for CatchUnwind<F> {
    type Output = std::result::Result<F::Output, String>;
    fn poll(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Self::Output> {
        let inner = self.0.as_mut();
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| inner.poll(cx))) {
            Ok(std::task::Poll::Ready(v)) => std::task::Poll::Ready(Ok(v)),
            Ok(std::task::Poll::Pending) => std::task::Poll::Pending,
            Err(payload) => std::task::Poll::Ready(Err(payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "a panic".into()))),
        }
    }
}

/// Everything the driver and its tasks share for one variant.
struct Driver<'a, T> {
    ctx: &'a RunContext<'a>,
    variant: &'a Variant,
    spec: &'a LlmSpec,
    price: Option<Price>,
    transport: Arc<T>,
    cache: Arc<ResponseCache>,
    rate: Arc<RateLimits>,
    limit: Arc<AdaptiveLimit>,
    policy: RetryPolicy,
    seed: u64,
}

/// A job ready to send.
struct Prepared {
    job: Job,
    body: serde_json::Value,
    key: String,
}

impl<T: Transport> Driver<'_, T> {
    fn prepare(&self, job: Job) -> Prepared {
        let t = &self.ctx.eval.gold.tickets[job.ticket];
        let body = self
            .transport
            .request_body(self.spec, &t.text, &t.id, &t.tags);
        let mut key = cache::key(
            self.transport.provider(),
            self.transport.base_url(),
            &self.spec.model,
            &body,
        );
        if job.repeat > 0 {
            // Repeats measure how much answers vary: each repeat has its own entry.
            key = cache::key(
                self.transport.provider(),
                self.transport.base_url(),
                &self.spec.model,
                &serde_json::json!({"repeat": job.repeat, "key": key}),
            );
        }
        Prepared { job, body, key }
    }

    /// The record of a response (fresh or cached).
    fn record_of(&self, job: Job, body: &serde_json::Value, cached: bool) -> PredictionRecord {
        let t = &self.ctx.eval.gold.tickets[job.ticket];
        let it = crate::provider::interpret(
            self.transport.provider(),
            self.spec,
            &self.ctx.eval.gold.fields,
            body,
        );
        let mut rec = PredictionRecord::new(&self.variant.name, &t.id, job.repeat, it.outcome);
        rec.outputs = it.outputs;
        rec.confidence = it.confidence;
        rec.tool = it.tool;
        rec.raw = it.raw;
        rec.usage = it.usage;
        rec.error = it.error;
        rec.stop_reason = crate::provider::interpret::stop_reason(self.transport.provider(), body);
        rec.cached = cached;
        rec.cost_usd = if cached {
            Some(0.0)
        } else {
            self.price
                .as_ref()
                .map(|p| it.usage.map_or(0.0, |u| prices::cost_usd(p, &u)))
        };
        rec
    }

    async fn drive(
        self,
        jobs: &[Job],
        recorder: &mut Recorder<'_>,
        budget: &mut Budget,
    ) -> Result<Stop> {
        let (tx, mut rx) = mpsc::unbounded_channel::<Msg>();
        let (cancel_tx, cancel_rx) = watch::channel(false);
        let mut next = 0;
        let mut outstanding = 0usize;
        let mut pending: Option<Prepared> = None;
        let mut stop: Option<Stop> = None;
        let mut auth: Option<Error> = None;
        let mut tick = tokio::time::interval(Duration::from_millis(50));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);

        loop {
            // The next job that needs the network; cache hits are journaled on the way.
            while pending.is_none() && next < jobs.len() && stop.is_none() {
                if recorder.is_interrupted() {
                    stop = Some(Stop::Interrupted);
                    break;
                }
                let p = self.prepare(jobs[next]);
                if let Some(entry) = self.cache.get(&p.key) {
                    next += 1;
                    let mut rec = self.record_of(p.job, &entry.body, true);
                    rec.request_id = entry.request_id;
                    rec.attempts = Some(0);
                    let now = super::now_ms();
                    (rec.started_at_ms, rec.finished_at_ms) = (Some(now), Some(now));
                    recorder.record(rec)?;
                    continue;
                }
                if let Some(reason) = budget.exhausted() {
                    stop = Some(Stop::Budget(reason));
                    break;
                }
                next += 1;
                pending = Some(p);
            }
            if stop.is_some() {
                pending = None;
            }
            // Ctrl-C and auth failures also call off tasks that have not sent yet; a budget
            // stop lets the requests it already counted go out.
            if stop == Some(Stop::Interrupted) {
                let _ = cancel_tx.send(true);
            }
            if pending.is_none() && outstanding == 0 {
                break;
            }
            tokio::select! {
                biased;
                Some(msg) = rx.recv() => match msg {
                    Msg::Retry { job, attempt, reason } => recorder.event(Event::Retry {
                        variant: self.variant.name.clone(),
                        ticket: self.ctx.eval.gold.tickets[job.ticket].id.clone(),
                        attempt,
                        reason,
                    }),
                    Msg::Warning(w) => recorder.event(Event::Warning(w)),
                    Msg::Cancelled => outstanding -= 1,
                    Msg::Panicked { job, message } => {
                        outstanding -= 1;
                        let t = &self.ctx.eval.gold.tickets[job.ticket];
                        let mut rec = PredictionRecord::new(
                            &self.variant.name,
                            &t.id,
                            job.repeat,
                            Outcome::ProviderError,
                        );
                        rec.error = Some(format!("internal error (a bug in verdict): {message}"));
                        recorder.record(rec)?;
                    }
                    Msg::Done { job, result, attempts, timing } => {
                        outstanding -= 1;
                        match result {
                            Ok(ok) => {
                                let mut rec = self.record_of(job, &ok.body, false);
                                rec.latency_ms = Some(ok.latency_ms);
                                timing.fill(&mut rec);
                                rec.request_id = ok.request_id;
                                rec.attempts = Some(attempts);
                                budget.spent_usd += rec.cost_usd.unwrap_or(0.0);
                                recorder.record(rec)?;
                            }
                            Err(err @ CallError::Auth { .. }) => {
                                if auth.is_none() {
                                    auth = Some(auth_error(self.variant, &err));
                                }
                                stop = Some(Stop::Interrupted);
                            }
                            Err(err) => {
                                let t = &self.ctx.eval.gold.tickets[job.ticket];
                                let mut rec = PredictionRecord::new(
                                    &self.variant.name,
                                    &t.id,
                                    job.repeat,
                                    Outcome::ProviderError,
                                );
                                rec.request_id = match &err {
                                    CallError::Retryable { request_id, .. }
                                    | CallError::Fatal { request_id, .. } => request_id.clone(),
                                    CallError::Auth { .. } => None,
                                };
                                rec.error = Some(format!(
                                    "{} (after {attempts} attempt{})",
                                    describe(&err),
                                    if attempts == 1 { "" } else { "s" }
                                ));
                                rec.attempts = Some(attempts);
                                timing.fill(&mut rec);
                                recorder.record(rec)?;
                            }
                        }
                    }
                },
                permit = self.limit.acquire(), if pending.is_some() && stop.is_none() => {
                    let p = pending.take().expect("guarded");
                    // Responses that came in while this job waited may have spent the budget.
                    if let Some(reason) = budget.exhausted() {
                        stop = Some(Stop::Budget(reason));
                        continue;
                    }
                    budget.requests += 1;
                    outstanding += 1;
                    let task = Attempts {
                        transport: self.transport.clone(),
                        cache: self.cache.clone(),
                        rate: self.rate.clone(),
                        limit: self.limit.clone(),
                        policy: self.policy.clone(),
                        // Estimating serializes the body again: only when a limit will use it.
                        tokens: if self.rate.is_unlimited() {
                            0
                        } else {
                            prices::estimate_input_tokens(&p.body) + self.spec.max_tokens as u64
                        },
                        rng: rand_chacha::ChaCha8Rng::seed_from_u64(
                            self.seed ^ ((p.job.ticket as u64) << 20) ^ (p.job.repeat as u64),
                        ),
                        tx: tx.clone(),
                        cancel: cancel_rx.clone(),
                        permit: Some(permit),
                    };
                    let job = p.job;
                    let tx = tx.clone();
                    tokio::spawn(async move {
                        // A panicking task must still report, or the driver waits forever.
                        if let Err(message) = CatchUnwind(Box::pin(task.run(p))).await {
                            let _ = tx.send(Msg::Panicked { job, message });
                        }
                    });
                },
                _ = tick.tick() => {
                    if recorder.is_interrupted() && stop.is_none() {
                        stop = Some(Stop::Interrupted);
                    }
                },
            }
        }
        if let Some(err) = auth {
            return Err(err);
        }
        Ok(stop.unwrap_or(Stop::Done))
    }
}

/// One job's attempts, on its own task.
struct Attempts<T> {
    transport: Arc<T>,
    cache: Arc<ResponseCache>,
    rate: Arc<RateLimits>,
    limit: Arc<AdaptiveLimit>,
    policy: RetryPolicy,
    tokens: u64,
    rng: rand_chacha::ChaCha8Rng,
    tx: mpsc::UnboundedSender<Msg>,
    cancel: watch::Receiver<bool>,
    /// This job's slot under the adaptive limit, held while a request is on the wire and
    /// through the backoff after it (so no new job takes it meanwhile).
    permit: Option<Permit>,
}

impl<T: Transport> Attempts<T> {
    async fn run(mut self, p: Prepared) {
        let msg = self.attempts(&p).await;
        let _ = self.tx.send(msg);
    }

    /// Waits for `fut` unless the run stops first.
    async fn or_cancel<O>(&mut self, fut: impl Future<Output = O>) -> Option<O> {
        if *self.cancel.borrow() {
            return None;
        }
        tokio::select! {
            o = fut => Some(o),
            _ = self.cancel.wait_for(|c| *c) => None,
        }
    }

    async fn attempts(&mut self, p: &Prepared) -> Msg {
        let started = std::time::Instant::now();
        let started_at_ms = super::now_ms();
        let timing = move || Timing {
            started_at_ms,
            e2e_ms: started.elapsed().as_secs_f64() * 1000.0,
        };
        let mut attempt = 0;
        loop {
            attempt += 1;
            let rate = self.rate.clone();
            if self
                .or_cancel(rate.until_ready(self.tokens))
                .await
                .is_none()
            {
                return Msg::Cancelled;
            }
            // A request on the wire is not cancelled: its answer may already be paid for.
            // `call` takes the 0-based retry count (sent as `x-stainless-retry-count`).
            let result = self.transport.call(&p.body, attempt - 1).await;
            match result {
                Ok(ok) => {
                    self.limit.on_success();
                    // Before the journal line (see the module doc). A failed write loses only
                    // the crash protection of this one response, so the run goes on.
                    if let Err(e) = self.cache.put(&p.key, &ok.body, ok.request_id.as_deref()) {
                        if let Some(w) = self.cache.write_failed(&e) {
                            let _ = self.tx.send(Msg::Warning(w));
                        }
                    }
                    return Msg::Done {
                        job: p.job,
                        result: Ok(ok),
                        attempts: attempt,
                        timing: timing(),
                    };
                }
                Err(err) => {
                    if let CallError::Retryable {
                        rate_limited: true, ..
                    } = err
                    {
                        self.limit.on_rate_limited();
                    }
                    match self.policy.decide(&err, attempt, &mut self.rng) {
                        Decision::GiveUp => {
                            return Msg::Done {
                                job: p.job,
                                result: Err(err),
                                attempts: attempt,
                                timing: timing(),
                            }
                        }
                        Decision::RetryAfter(wait) => {
                            let _ = self.tx.send(Msg::Retry {
                                job: p.job,
                                attempt: attempt + 1,
                                reason: describe(&err),
                            });
                            if self.or_cancel(tokio::time::sleep(wait)).await.is_none() {
                                return Msg::Cancelled;
                            }
                            // A retry is a new request to the server: it waits for a slot
                            // under the limit as it is now, which a 429 may have halved
                            // (holding on to the old slot kept every retry in flight).
                            drop(self.permit.take());
                            let limit = self.limit.clone();
                            match self.or_cancel(limit.acquire()).await {
                                Some(p) => self.permit = Some(p),
                                None => return Msg::Cancelled,
                            }
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
#[path = "llm_tests.rs"]
mod tests;

//! Running an LLM variant: every job sent to the provider with bounded, adaptive concurrency,
//! client-side rate limits, retries, a response cache and budget guards, each result
//! journaled the moment it arrives.
//!
//! Shape: one async loop (the *driver*) owns the [`Recorder`]. It walks the jobs in order,
//! serves cache hits itself, and for the rest takes a slot from the [`AdaptiveLimit`] and
//! spawns a task (in a `JoinSet`) that makes the attempts (rate limit, call, backoff,
//! call...: `attempts.rs`). The driver journals each task's answer in completion order, so
//! lines are whole and nothing else writes the journal; a task that panics is reported by the
//! set and journaled as a `provider_error`.
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
use std::sync::Arc;
use std::time::Duration;

use rand::SeedableRng;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinSet;

use super::attempts::{auth_error, describe, Answer, Attempts, Note, Prepared};
use super::budget::Budget;
use super::cache::{self, ResponseCache};
use super::concurrency::AdaptiveLimit;
use super::executor::{wrong_kind, Executor, Stop};
use super::plan::VariantPlan;
use super::ratelimit::RateLimits;
use super::retry::RetryPolicy;
use super::transport::Transport;
use super::{Event, Job, Recorder, RunContext};
use crate::error::{Error, Result};
use crate::eval_log::{Outcome, PredictionRecord};
use crate::provider::prices::{self, Price};
use crate::provider::{CallError, LlmClient, ToolSchemas, WireFormat};
use crate::variant::{LlmSpec, Variant, VariantSpec};

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
    pub fn run_variant(
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

    /// [`LlmRun::run_variant`] with any transport.
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
                transport.wire().provider().name(),
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
            // Compiled once per variant, before any request, for every response it reads.
            schemas: ToolSchemas::compile(spec),
            wire: transport.wire(),
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

/// The online executor: one runtime, cache, budget and set of endpoint limits for every LLM
/// variant of the run.
impl Executor for LlmRun {
    fn name(&self) -> &str {
        "online"
    }

    fn run(
        &mut self,
        ctx: &RunContext<'_>,
        plan: &VariantPlan,
        recorder: &mut Recorder<'_>,
    ) -> Result<Stop> {
        let variant = &ctx.eval.variants[plan.variant];
        let VariantSpec::Llm(spec) = &variant.spec else {
            return Err(wrong_kind(self.name(), variant));
        };
        self.run_variant(ctx, variant, spec, &plan.jobs, recorder)
    }
}

/// Everything the driver and its tasks share for one variant.
struct Driver<'a, T> {
    ctx: &'a RunContext<'a>,
    variant: &'a Variant,
    spec: &'a LlmSpec,
    schemas: ToolSchemas,
    wire: &'static dyn WireFormat,
    price: Option<Price>,
    transport: Arc<T>,
    cache: Arc<ResponseCache>,
    rate: Arc<RateLimits>,
    limit: Arc<AdaptiveLimit>,
    policy: RetryPolicy,
    seed: u64,
}

impl<T: Transport> Driver<'_, T> {
    fn prepare(&self, job: Job) -> Prepared {
        let t = job.input(&self.ctx.eval.gold);
        let body = self.wire.request_body(self.spec, t.text, t.id, t.tags);
        let mut key = cache::key(
            self.wire.provider(),
            self.transport.base_url(),
            &self.spec.model,
            &body,
        );
        if job.repeat > 0 {
            // Repeats measure how much answers vary: each repeat has its own entry.
            key = cache::key(
                self.wire.provider(),
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
        let it = self
            .wire
            .interpret(self.spec, &self.schemas, &self.ctx.eval.gold.fields, body);
        let mut rec = PredictionRecord::new(&self.variant.name, &t.id, job.repeat, it.outcome);
        rec.outputs = it.outputs;
        rec.confidence = it.confidence;
        rec.tool = it.tool;
        rec.raw = it.raw;
        rec.usage = it.usage;
        rec.error = it.error;
        rec.stop_reason = self.wire.stop_reason(body);
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
        let (tx, mut rx) = mpsc::unbounded_channel::<Note>();
        let (cancel_tx, cancel_rx) = watch::channel(false);
        let mut next = 0;
        // The request tasks; the job of each, to journal a task that panicked.
        let mut tasks: JoinSet<Answer> = JoinSet::new();
        let mut task_jobs: HashMap<tokio::task::Id, Job> = HashMap::new();
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
            if pending.is_none() && tasks.is_empty() {
                break;
            }
            tokio::select! {
                biased;
                Some(note) = rx.recv() => match note {
                    Note::Retry { job, attempt, reason } => recorder.event(Event::Retry {
                        variant: self.variant.name.clone(),
                        ticket: self.ctx.eval.gold.tickets[job.ticket].id.clone(),
                        attempt,
                        reason,
                    }),
                    Note::Warning(w) => recorder.event(Event::Warning(w)),
                },
                Some(joined) = tasks.join_next_with_id(), if !tasks.is_empty() => match joined {
                    Err(err) => {
                        let job = task_jobs.remove(&err.id()).expect("a spawned task");
                        let t = &self.ctx.eval.gold.tickets[job.ticket];
                        let mut rec = PredictionRecord::new(
                            &self.variant.name,
                            &t.id,
                            job.repeat,
                            Outcome::ProviderError,
                        );
                        rec.error = Some(format!(
                            "internal error (a bug in verdict): {}",
                            panic_message(err)
                        ));
                        recorder.record(rec)?;
                    }
                    Ok((id, Answer::Cancelled)) => {
                        task_jobs.remove(&id);
                    }
                    Ok((id, Answer::Done { job, result, attempts, timing })) => {
                        task_jobs.remove(&id);
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
                    let handle = tasks.spawn(task.run(p));
                    task_jobs.insert(handle.id(), job);
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

/// The message of a task that panicked (or "cancelled": the driver never aborts a task, so
/// that would be a bug too).
fn panic_message(err: tokio::task::JoinError) -> String {
    if !err.is_panic() {
        return "the request task was cancelled".into();
    }
    let payload = err.into_panic();
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic".into())
}

#[cfg(test)]
#[path = "llm_tests.rs"]
mod tests;

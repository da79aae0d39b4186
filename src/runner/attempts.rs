//! One job's attempts on its own task: wait for the rate limit, call, back off, call
//! again, until an answer or a final error; and how a failed attempt reads in a record.
//!
//! A task returns its final [`Answer`] (the driver collects tasks in a `JoinSet`, so a task
//! that panics is reported by the set instead of being lost); retries and warnings go to the
//! driver over a channel as they happen.

use std::future::Future;
use std::sync::Arc;

use tokio::sync::{mpsc, watch};

use super::cache::ResponseCache;
use super::concurrency::{AdaptiveLimit, Permit};
use super::ratelimit::RateLimits;
use super::retry::{Decision, RetryPolicy};
use super::transport::Transport;
use super::Job;
use crate::error::Error;
use crate::eval_log::PredictionRecord;
use crate::provider::{CallError, CallOk};
use crate::variant::Variant;

/// A job ready to send.
pub(super) struct Prepared {
    pub job: Job,
    pub body: serde_json::Value,
    pub key: String,
}

pub(super) fn auth_error(variant: &Variant, err: &CallError) -> Error {
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
pub(super) fn describe(err: &CallError) -> String {
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

/// What a task tells the driver while it works.
pub(super) enum Note {
    Retry {
        job: Job,
        attempt: u32,
        reason: String,
    },
    /// Something to tell the user once (an unwritable cache).
    Warning(String),
}

/// How a task ended. A task that panicked (a bug) ends without one: the driver's `JoinSet`
/// reports the panic, and the job is journaled as a `provider_error`, so the run ends instead
/// of waiting for the task forever and `--resume` sends the ticket again.
pub(super) enum Answer {
    Done {
        job: Job,
        result: Result<CallOk, CallError>,
        attempts: u32,
        timing: Timing,
    },
    /// Stopped before a response (Ctrl-C, a budget or an auth stop): nothing to journal.
    Cancelled,
}

/// When a job's task started (it had its slot) and how long it took to its final answer,
/// rate-limit waits, retries and backoffs included.
#[derive(Debug, Clone, Copy)]
pub(super) struct Timing {
    started_at_ms: u64,
    e2e_ms: f64,
}

impl Timing {
    pub(super) fn fill(self, rec: &mut PredictionRecord) {
        rec.latency_e2e_ms = Some(self.e2e_ms);
        rec.started_at_ms = Some(self.started_at_ms);
        rec.finished_at_ms = Some(self.started_at_ms + self.e2e_ms.round() as u64);
    }
}

/// One job's attempts, on its own task.
pub(super) struct Attempts<T> {
    pub(super) transport: Arc<T>,
    pub(super) cache: Arc<ResponseCache>,
    pub(super) rate: Arc<RateLimits>,
    pub(super) limit: Arc<AdaptiveLimit>,
    pub(super) policy: RetryPolicy,
    pub(super) tokens: u64,
    pub(super) rng: rand_chacha::ChaCha8Rng,
    pub(super) tx: mpsc::UnboundedSender<Note>,
    pub(super) cancel: watch::Receiver<bool>,
    /// This job's slot under the adaptive limit, held while a request is on the wire and
    /// through the backoff after it (so no new job takes it meanwhile).
    pub(super) permit: Option<Permit>,
}

impl<T: Transport> Attempts<T> {
    /// Makes the attempts of `p`; the task's result.
    pub(super) async fn run(mut self, p: Prepared) -> Answer {
        self.attempts(&p).await
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

    async fn attempts(&mut self, p: &Prepared) -> Answer {
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
                return Answer::Cancelled;
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
                            let _ = self.tx.send(Note::Warning(w));
                        }
                    }
                    return Answer::Done {
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
                            return Answer::Done {
                                job: p.job,
                                result: Err(err),
                                attempts: attempt,
                                timing: timing(),
                            }
                        }
                        Decision::RetryAfter(wait) => {
                            let _ = self.tx.send(Note::Retry {
                                job: p.job,
                                attempt: attempt + 1,
                                reason: describe(&err),
                            });
                            if self.or_cancel(tokio::time::sleep(wait)).await.is_none() {
                                return Answer::Cancelled;
                            }
                            // A retry is a new request to the server: it waits for a slot
                            // under the limit as it is now, which a 429 may have halved
                            // (holding on to the old slot kept every retry in flight).
                            drop(self.permit.take());
                            let limit = self.limit.clone();
                            match self.or_cancel(limit.acquire()).await {
                                Some(p) => self.permit = Some(p),
                                None => return Answer::Cancelled,
                            }
                        }
                    }
                }
            }
        }
    }
}

//! The driver against scripted transports: retries, the cache, budgets, auth, concurrency.
//!
//! Its size (about 660 lines) is earned: one scenario per driver behaviour and per issue-9
//! regression, all over the one scripted `Mock` and `run` helper above them; split, each part
//! would need its own copy of that harness.
//!
//! Regression tests for issue 9, named after the defect:
//! - item 2: `a_failed_requests_error_says_its_http_status_once`
//! - item 4: `an_unwritable_cache_is_warned_about_once_and_the_run_goes_on`,
//!   `an_unpriced_models_responses_have_no_cost_not_a_zero_cost`
//! - item 7: `latency_e2e_includes_the_retry_wait_that_latency_ms_hides`
//! - item 8: `a_valid_tool_call_with_another_stop_reason_is_kept_and_its_stop_reason_recorded`

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{json, Value};

use std::future::Future;

use crate::provider::CallOk;
use crate::runner::transport::Transport;

use super::*;
use crate::config::Eval;
use crate::eval_log::{read_journal, Journal};
use crate::runner::preflight::max_cost as preflight_max_cost;
use crate::runner::{Options, Recorder};

type Script = dyn Fn(u32) -> Result<CallOk, CallError> + Send + Sync;

/// Answers each body by its 0-based attempt number; logs every call.
struct Mock {
    script: Box<Script>,
    calls: Mutex<Vec<(String, u32)>>,
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
    /// Set once a call was answered with a rate limit.
    rate_limited: AtomicBool,
    /// The most calls in flight at once, counted at the start of each call made after a
    /// rate limit was answered.
    max_in_flight_after_429: AtomicUsize,
    delay: Duration,
}

impl Mock {
    fn new(script: impl Fn(u32) -> Result<CallOk, CallError> + Send + Sync + 'static) -> Self {
        Mock {
            script: Box::new(script),
            calls: Mutex::new(Vec::new()),
            in_flight: AtomicUsize::new(0),
            max_in_flight: AtomicUsize::new(0),
            rate_limited: AtomicBool::new(false),
            max_in_flight_after_429: AtomicUsize::new(0),
            delay: Duration::ZERO,
        }
    }
    fn n_calls(&self) -> usize {
        self.calls.lock().unwrap().len()
    }
}

impl Transport for Mock {
    fn wire(&self) -> &'static dyn WireFormat {
        &crate::provider::anthropic::Anthropic
    }
    fn base_url(&self) -> &str {
        "http://mock"
    }
    fn call(
        &self,
        body: &Value,
        attempt: u32,
    ) -> impl Future<Output = Result<CallOk, CallError>> + Send {
        let text = body.to_string();
        async move {
            let n = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
            self.max_in_flight.fetch_max(n, Ordering::SeqCst);
            if self.rate_limited.load(Ordering::SeqCst) {
                self.max_in_flight_after_429.fetch_max(n, Ordering::SeqCst);
            }
            self.calls.lock().unwrap().push((text, attempt));
            if !self.delay.is_zero() {
                tokio::time::sleep(self.delay).await;
            }
            self.in_flight.fetch_sub(1, Ordering::SeqCst);
            let result = (self.script)(attempt);
            if let Err(CallError::Retryable {
                rate_limited: true, ..
            }) = &result
            {
                self.rate_limited.store(true, Ordering::SeqCst);
            }
            result
        }
    }
}

fn ok() -> Result<CallOk, CallError> {
    Ok(CallOk {
        body: json!({
            "id": "msg_1", "type": "message", "role": "assistant", "model": "claude-haiku-4-5",
            "content": [{"type": "tool_use", "id": "toolu_1", "name": "classify_ticket",
                "input": {"department": "billing", "priority": "low", "intents": [],
                          "confidence": 0.9, "requires_human": false}}],
            "stop_reason": "tool_use", "stop_sequence": null,
            "usage": {"input_tokens": 100, "output_tokens": 20,
                      "cache_read_input_tokens": 0, "cache_creation_input_tokens": 0}
        }),
        request_id: Some("req_ok".into()),
        latency_ms: 12.0,
    })
}

fn rate_limited(retry_after: Option<Duration>) -> CallError {
    CallError::Retryable {
        status: Some(429),
        retry_after,
        rate_limited: true,
        error_type: Some("rate_limit_error".into()),
        message: "slow down".into(),
        request_id: Some("req_429".into()),
    }
}

fn support() -> Eval {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("evals/support.yaml");
    let mut eval = crate::config::load_eval(&path).unwrap();
    eval.run.max_retries = 3;
    eval
}

struct Outcome {
    stop: Result<Stop>,
    records: Vec<PredictionRecord>,
    events: Vec<Event>,
}

/// Runs `classify-ticket` on the first `n` tickets.
fn run(eval: &Eval, n: usize, options: Options, mock: Arc<Mock>, interrupted: bool) -> Outcome {
    let dir = tempfile::tempdir().unwrap();
    let journal_path = dir.path().join("predictions.jsonl");
    let variant = eval
        .variants
        .iter()
        .find(|v| v.name == "classify-ticket")
        .unwrap();
    let crate::variant::VariantSpec::Llm(spec) = &variant.spec else {
        panic!("an LLM variant")
    };
    let ctx = RunContext {
        eval,
        n_tickets: n,
        options,
    };
    let jobs: Vec<Job> = (0..n).map(|ticket| Job::new(ticket, 0)).collect();
    let events = Arc::new(Mutex::new(Vec::new()));
    let ev = events.clone();
    let mut on_event = move |e: Event| ev.lock().unwrap().push(e);
    let flag = Arc::new(AtomicBool::new(interrupted));
    let mut recorder = Recorder::new(Journal::open(&journal_path).unwrap(), &mut on_event, flag);
    let mut llm = LlmRun::new(&ctx).unwrap();
    let stop = llm.run_with(&ctx, variant, spec, &jobs, &mut recorder, mock);
    drop(recorder);
    let events = events.lock().unwrap().clone();
    Outcome {
        stop,
        records: read_journal(&journal_path).unwrap(),
        events,
    }
}

fn options(cache: &std::path::Path) -> Options {
    Options {
        cache_dir: Some(cache.to_path_buf()),
        ..Options::default()
    }
}

#[test]
fn a_rate_limited_request_is_retried_after_the_servers_delay_then_journaled() {
    let cache = tempfile::tempdir().unwrap();
    let mock = Arc::new(Mock::new(|attempt| match attempt {
        0 => Err(rate_limited(Some(Duration::from_millis(5)))),
        _ => ok(),
    }));
    let out = run(&support(), 4, options(cache.path()), mock.clone(), false);
    assert_eq!(out.stop.unwrap(), Stop::Done);
    assert_eq!(mock.n_calls(), 8);
    assert_eq!(out.records.len(), 4);
    for r in &out.records {
        assert_eq!(r.outcome, crate::eval_log::Outcome::Ok, "{r:?}");
        assert_eq!(r.attempts, Some(2));
        assert!(!r.cached);
        assert_eq!(r.request_id.as_deref(), Some("req_ok"));
        assert_eq!(r.latency_ms, Some(12.0));
        // claude-haiku-4-5: $1 / $5 per million tokens.
        assert!(
            (r.cost_usd.unwrap() - 0.0002).abs() < 1e-12,
            "{:?}",
            r.cost_usd
        );
        assert_eq!(r.outputs["department"], json!("billing"));
    }
    let retries = out
        .events
        .iter()
        .filter(|e| matches!(e, Event::Retry { attempt: 2, .. }))
        .count();
    assert_eq!(retries, 4);
}

#[test]
fn a_second_run_is_served_from_the_cache_without_a_call() {
    let cache = tempfile::tempdir().unwrap();
    let eval = support();
    let first = Arc::new(Mock::new(|_| ok()));
    run(&eval, 5, options(cache.path()), first.clone(), false);
    assert_eq!(first.n_calls(), 5);
    let second = Arc::new(Mock::new(|_| ok()));
    let out = run(&eval, 5, options(cache.path()), second.clone(), false);
    assert_eq!(second.n_calls(), 0);
    assert_eq!(out.records.len(), 5);
    assert!(out
        .records
        .iter()
        .all(|r| r.cached && r.cost_usd == Some(0.0)));
    assert!(out
        .records
        .iter()
        .all(|r| r.outcome == crate::eval_log::Outcome::Ok));
    // --refresh calls again (and rewrites); --no-cache neither reads nor writes.
    let refresh = Arc::new(Mock::new(|_| ok()));
    let mut o = options(cache.path());
    o.refresh = true;
    run(&eval, 5, o, refresh.clone(), false);
    assert_eq!(refresh.n_calls(), 5);
    let empty = tempfile::tempdir().unwrap();
    let mut o = options(empty.path());
    o.no_cache = true;
    let off = Arc::new(Mock::new(|_| ok()));
    run(&eval, 2, o, off.clone(), false);
    assert_eq!(off.n_calls(), 2);
    assert_eq!(std::fs::read_dir(empty.path()).unwrap().count(), 0);
}

#[test]
fn a_fatal_error_is_not_retried_and_spent_retries_become_provider_errors() {
    let cache = tempfile::tempdir().unwrap();
    let fatal = Arc::new(Mock::new(|_| {
        Err(CallError::Fatal {
            status: Some(429),
            error_type: Some("rate_limit_error".into()),
            message: "enforced_spend_limit_reached".into(),
            request_id: Some("req_cap".into()),
        })
    }));
    let out = run(&support(), 3, options(cache.path()), fatal.clone(), false);
    assert_eq!(fatal.n_calls(), 3);
    for r in &out.records {
        assert_eq!(r.outcome, crate::eval_log::Outcome::ProviderError);
        assert_eq!(r.attempts, Some(1));
        assert_eq!(r.request_id.as_deref(), Some("req_cap"));
        let e = r.error.as_deref().unwrap();
        assert!(e.contains("HTTP 429 rate_limit_error"), "{e}");
    }
    let always = Arc::new(Mock::new(|_| {
        Err(rate_limited(Some(Duration::from_millis(1))))
    }));
    let out = run(&support(), 2, options(cache.path()), always.clone(), false);
    assert_eq!(always.n_calls(), 2 * 4); // 1 + max_retries 3
    assert!(out.records.iter().all(|r| r.attempts == Some(4)
        && r.outcome == crate::eval_log::Outcome::ProviderError
        && r.error.as_deref().unwrap().ends_with("(after 4 attempts)")));
    // Nothing failed is cached.
    let again = Arc::new(Mock::new(|_| ok()));
    run(&support(), 2, options(cache.path()), again.clone(), false);
    assert_eq!(again.n_calls(), 2);
}

#[test]
fn an_authentication_failure_stops_the_run_without_journaling_failures() {
    let cache = tempfile::tempdir().unwrap();
    let mut mock = Mock::new(|_| {
        Err(CallError::Auth {
            status: Some(401),
            message: "invalid x-api-key".into(),
        })
    });
    mock.delay = Duration::from_millis(5);
    let mock = Arc::new(mock);
    let mut o = options(cache.path());
    o.concurrency = Some(4);
    let out = run(&support(), 50, o, mock.clone(), false);
    let err = out.stop.unwrap_err();
    assert_eq!(err.exit_code(), 3);
    let msg = err.to_string();
    assert!(
        msg.contains("authentication failed for variant classify-ticket"),
        "{msg}"
    );
    assert!(msg.contains("HTTP 401"), "{msg}");
    assert!(out.records.is_empty());
    assert!(mock.n_calls() <= 4, "{} calls", mock.n_calls());
}

#[test]
fn max_requests_stops_new_requests_and_says_so() {
    let cache = tempfile::tempdir().unwrap();
    let mock = Arc::new(Mock::new(|_| ok()));
    let mut o = options(cache.path());
    o.max_requests = Some(3);
    let out = run(&support(), 10, o, mock.clone(), false);
    match out.stop.unwrap() {
        Stop::Budget(m) => assert!(m.contains("--max-requests 3"), "{m}"),
        s => panic!("{s:?}"),
    }
    assert_eq!(mock.n_calls(), 3);
    assert_eq!(out.records.len(), 3);
    // Cache hits do not count against the limit.
    let mut o = options(cache.path());
    o.max_requests = Some(1);
    let again = Arc::new(Mock::new(|_| ok()));
    let out = run(&support(), 10, o, again.clone(), false);
    assert_eq!(again.n_calls(), 1);
    assert_eq!(out.records.len(), 4);
}

#[test]
fn max_cost_stops_once_spent() {
    let cache = tempfile::tempdir().unwrap();
    let mock = Arc::new(Mock::new(|_| ok()));
    let mut o = options(cache.path());
    o.concurrency = Some(1);
    o.max_cost = Some(0.0005); // 0.0002 per request: stops after the third
    let out = run(&support(), 10, o, mock.clone(), false);
    assert!(matches!(out.stop.unwrap(), Stop::Budget(m) if m.contains("--max-cost")));
    assert_eq!(mock.n_calls(), 3);
}

#[test]
fn concurrency_is_bounded_and_rate_limited_requests_all_finish() {
    let cache = tempfile::tempdir().unwrap();
    let mut mock = Mock::new(|_| ok());
    mock.delay = Duration::from_millis(10);
    let mock = Arc::new(mock);
    let mut o = options(cache.path());
    o.concurrency = Some(3);
    run(&support(), 20, o, mock.clone(), false);
    assert_eq!(mock.max_in_flight.load(Ordering::SeqCst), 3);

    // Every first attempt is rate limited (the limit is halved; see concurrency.rs for the
    // arithmetic): every ticket still ends on its second attempt.
    let cache = tempfile::tempdir().unwrap();
    let seen = Arc::new(Mutex::new(HashMap::<u32, usize>::new()));
    let s = seen.clone();
    let mut mock = Mock::new(move |attempt| {
        *s.lock().unwrap().entry(attempt).or_default() += 1;
        if attempt == 0 {
            Err(rate_limited(Some(Duration::from_millis(1))))
        } else {
            ok()
        }
    });
    mock.delay = Duration::from_millis(2);
    let mock = Arc::new(mock);
    let mut o = options(cache.path());
    o.concurrency = Some(8);
    let ctx_eval = support();
    let out = run(&ctx_eval, 12, o, mock.clone(), false);
    assert_eq!(out.records.len(), 12);
    assert!(out.records.iter().all(|r| r.attempts == Some(2)));
}

#[test]
fn an_interrupted_run_sends_nothing_more() {
    let cache = tempfile::tempdir().unwrap();
    let mock = Arc::new(Mock::new(|_| ok()));
    let out = run(&support(), 5, options(cache.path()), mock.clone(), true);
    assert_eq!(out.stop.unwrap(), Stop::Interrupted);
    assert_eq!(mock.n_calls(), 0);
    assert!(out.records.is_empty());
}

#[test]
fn a_panicking_request_task_is_journaled_instead_of_hanging_the_run() {
    // A panic inside a request task (once: `Duration::from_secs_f64` on a huge retry-after)
    // used to leave the driver waiting forever for the task's answer.
    let cache = tempfile::tempdir().unwrap();
    let mock = Arc::new(Mock::new(|attempt| match attempt {
        0 => panic!("injected panic"),
        _ => ok(),
    }));
    let out = run(&support(), 3, options(cache.path()), mock.clone(), false);
    assert_eq!(out.stop.unwrap(), Stop::Done);
    assert_eq!(mock.n_calls(), 3);
    assert_eq!(out.records.len(), 3);
    for r in &out.records {
        assert_eq!(r.outcome, crate::eval_log::Outcome::ProviderError, "{r:?}");
        let e = r.error.as_deref().unwrap();
        assert!(
            e.contains("internal error") && e.contains("injected panic"),
            "{e}"
        );
    }
}

#[test]
fn retries_after_a_429_wait_for_a_slot_under_the_halved_limit() {
    // Eight requests in flight all get a 429: the limit halves to 4. Their retries used to
    // keep the slots they held, so all eight went out again at once and the provider saw no
    // back-off at all; now each retry waits for a slot under the lowered limit.
    let cache = tempfile::tempdir().unwrap();
    let answered = Arc::new(AtomicUsize::new(0));
    let a = answered.clone();
    let mut mock = Mock::new(move |_| {
        if a.fetch_add(1, Ordering::SeqCst) < 8 {
            Err(rate_limited(Some(Duration::from_millis(5))))
        } else {
            ok()
        }
    });
    mock.delay = Duration::from_millis(20);
    let mock = Arc::new(mock);
    let mut o = options(cache.path());
    o.concurrency = Some(8);
    let out = run(&support(), 8, o, mock.clone(), false);
    assert_eq!(out.stop.unwrap(), Stop::Done);
    assert_eq!(mock.max_in_flight.load(Ordering::SeqCst), 8);
    assert_eq!(mock.n_calls(), 16);
    // 4 + 1/4 + 1/4.25 + 1/4.49 + 1/4.71 < 5: the limit stays 4 for all eight retries.
    assert_eq!(mock.max_in_flight_after_429.load(Ordering::SeqCst), 4);
    assert!(out
        .records
        .iter()
        .all(|r| r.attempts == Some(2) && r.outcome == crate::eval_log::Outcome::Ok));
}

#[test]
fn max_cost_with_an_unpriced_model_is_refused_before_anything_is_sent() {
    // A model missing from the price table costs "unknown" per response, which the budget
    // counted as $0: `--max-cost` then never stopped the run.
    let mut eval = support();
    let vi = eval
        .variants
        .iter()
        .position(|v| v.name == "classify-ticket")
        .unwrap();
    let work = vec![VariantPlan {
        variant: vi,
        jobs: vec![Job::new(0, 0)],
        already_done: 0,
    }];
    assert!(preflight_max_cost(&eval, &work, Some(1.0)).is_ok());
    if let crate::variant::VariantSpec::Llm(spec) = &mut eval.variants[vi].spec {
        spec.model = "my-finetune-7b".into();
    }
    let err = preflight_max_cost(&eval, &work, Some(1.0)).unwrap_err();
    assert_eq!(err.exit_code(), 2);
    let msg = err.to_string();
    assert!(
        msg.contains("classify-ticket (model my-finetune-7b)") && msg.contains("prices:"),
        "{msg}"
    );
    // Without --max-cost, or with nothing left to do, an unpriced model is fine.
    assert!(preflight_max_cost(&eval, &work, None).is_ok());
    assert!(preflight_max_cost(
        &eval,
        &[VariantPlan {
            variant: vi,
            jobs: vec![],
            already_done: 1
        }],
        Some(1.0)
    )
    .is_ok());
}

#[test]
fn a_failed_requests_error_says_its_http_status_once() {
    // Issue 9 item 2: the stored text was "HTTP 400 no_db_connection: HTTP 400
    // no_db_connection: No connected db." (the runner prefixed a message that had the prefix).
    let cache = tempfile::tempdir().unwrap();
    let mock = Arc::new(Mock::new(|_| {
        Err(crate::provider::client::classify_error(
            400,
            &reqwest::header::HeaderMap::new(),
            br#"{"error":{"type":"no_db_connection","message":"No connected db."}}"#,
            None,
        ))
    }));
    let out = run(&support(), 2, options(cache.path()), mock, false);
    for r in &out.records {
        let e = r.error.as_deref().unwrap();
        assert_eq!(
            e, "HTTP 400 no_db_connection: No connected db. (after 1 attempt)",
            "{r:?}"
        );
    }
    // A failure without a response keeps its explanation.
    let mock = Arc::new(Mock::new(|_| {
        Err(CallError::Fatal {
            status: None,
            error_type: Some("connection_error".into()),
            message: "connection failed: refused".into(),
            request_id: None,
        })
    }));
    let out = run(&support(), 1, options(cache.path()), mock, false);
    assert_eq!(
        out.records[0].error.as_deref(),
        Some("no response connection_error: connection failed: refused (after 1 attempt)")
    );
}

#[test]
fn an_unwritable_cache_is_warned_about_once_and_the_run_goes_on() {
    // Issue 9 item 4: a cache that cannot be written silently disabled caching (and with it
    // the protection against paying twice after a crash). `v1` being a file makes every
    // write fail, even for root, who ignores read-only permissions.
    let cache = tempfile::tempdir().unwrap();
    std::fs::write(cache.path().join("v1"), b"not a folder").unwrap();
    let mock = Arc::new(Mock::new(|_| ok()));
    let out = run(&support(), 4, options(cache.path()), mock.clone(), false);
    assert_eq!(out.stop.unwrap(), Stop::Done);
    assert_eq!(out.records.len(), 4);
    let warnings: Vec<&String> = out
        .events
        .iter()
        .filter_map(|e| match e {
            Event::Warning(w) => Some(w),
            _ => None,
        })
        .collect();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    let w = warnings[0];
    assert!(
        w.contains("response cache")
            && w.contains("cannot be written")
            && w.contains("--cache-dir"),
        "{w}"
    );
    // A writable cache says nothing.
    let fine = tempfile::tempdir().unwrap();
    let out = run(&support(), 2, options(fine.path()), mock, false);
    assert!(!out.events.iter().any(|e| matches!(e, Event::Warning(_))));
}

#[test]
fn an_unpriced_models_responses_have_no_cost_not_a_zero_cost() {
    // Issue 9 item 4: the tables showed `cost $ 0.0000` for a model without a price.
    let cache = tempfile::tempdir().unwrap();
    let mut eval = support();
    for v in &mut eval.variants {
        if let crate::variant::VariantSpec::Llm(spec) = &mut v.spec {
            spec.model = "fake-model".into();
        }
    }
    let mock = Arc::new(Mock::new(|_| ok()));
    let out = run(&eval, 3, options(cache.path()), mock, false);
    assert!(out
        .records
        .iter()
        .all(|r| r.cost_usd.is_none() && r.usage.is_some()));
    let report = score_of(&eval, &out.records, 3);
    let v = report
        .variants
        .iter()
        .find(|v| v.name == "classify-ticket")
        .unwrap();
    assert_eq!(v.cost.unpriced, 3);
    let table = crate::report::terminal::render(&crate::report::details::details(&report), None);
    let row = table
        .lines()
        .find(|l| l.contains("classify-ticket") && l.contains("no price"));
    assert!(row.is_some(), "{table}");
}

#[test]
fn latency_e2e_includes_the_retry_wait_that_latency_ms_hides() {
    // Issue 9 item 7: `latency_ms` times the last attempt only (12 ms here), hiding a 60 ms
    // wait before the retry; `latency_e2e_ms` includes it.
    let cache = tempfile::tempdir().unwrap();
    let mock = Arc::new(Mock::new(|attempt| match attempt {
        0 => Err(rate_limited(Some(Duration::from_millis(60)))),
        _ => ok(),
    }));
    let out = run(&support(), 2, options(cache.path()), mock, false);
    for r in &out.records {
        assert_eq!(r.latency_ms, Some(12.0));
        let e2e = r.latency_e2e_ms.unwrap();
        assert!(e2e >= 60.0, "{r:?}");
        let (a, b) = (r.started_at_ms.unwrap(), r.finished_at_ms.unwrap());
        assert!(b >= a + 59, "{r:?}");
    }
    let report = score_of(&support(), &out.records, 2);
    let v = report
        .variants
        .iter()
        .find(|v| v.name == "classify-ticket")
        .unwrap();
    assert!(v.cost.latency_e2e_p50_ms.unwrap() >= 60.0);
    assert!(v.cost.latency_e2e_p95_ms.unwrap() >= 60.0);
    assert_eq!(v.cost.latency_p95_ms, Some(12.0));
    assert!(v.cost.wall_s.unwrap() >= 0.059);
    assert!(report.wall_s.unwrap() >= 0.059);
    // Cache hits take no request time: no end-to-end latency.
    let out = run(
        &support(),
        2,
        options(cache.path()),
        Arc::new(Mock::new(|_| ok())),
        false,
    );
    assert!(out
        .records
        .iter()
        .all(|r| r.cached && r.latency_e2e_ms.is_none()));
}

#[test]
fn a_valid_tool_call_with_another_stop_reason_is_kept_and_its_stop_reason_recorded() {
    // Issue 9 item 8: a forced tool call ends with `tool_use`; `end_turn` with a valid call
    // was accepted without a trace. It is still accepted, recorded and counted.
    let cache = tempfile::tempdir().unwrap();
    let mock = Arc::new(Mock::new(|_| {
        let mut r = ok().unwrap();
        r.body["stop_reason"] = json!("end_turn");
        Ok(r)
    }));
    let out = run(&support(), 2, options(cache.path()), mock, false);
    for r in &out.records {
        assert_eq!(r.outcome, crate::eval_log::Outcome::Ok);
        assert_eq!(r.stop_reason.as_deref(), Some("end_turn"));
        assert!(r.unexpected_stop());
    }
    let report = score_of(&support(), &out.records, 2);
    let v = report
        .variants
        .iter()
        .find(|v| v.name == "classify-ticket")
        .unwrap();
    assert_eq!(v.unexpected_stop, 2);
    let table = crate::report::terminal::render(&crate::report::details::details(&report), None);
    assert!(table.contains("odd stop"), "{table}");
    // The expected stop reason is recorded and not counted.
    let fresh = tempfile::tempdir().unwrap();
    let out = run(
        &support(),
        1,
        options(fresh.path()),
        Arc::new(Mock::new(|_| ok())),
        false,
    );
    assert_eq!(out.records[0].stop_reason.as_deref(), Some("tool_use"));
    assert!(!out.records[0].unexpected_stop());
}

/// The report of `classify-ticket` over the first `n` tickets.
fn score_of(eval: &Eval, records: &[PredictionRecord], n: usize) -> crate::score::RunReport {
    crate::score::score(
        &eval.gold,
        &crate::commands::score_settings(eval),
        &[crate::score::ScoredVariant {
            name: "classify-ticket".into(),
            provider: "anthropic".into(),
            model: Some("m".into()),
        }],
        records,
        n,
    )
}

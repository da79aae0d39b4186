//! End to end: the `verdict` binary runs the support eval's Anthropic variants against the
//! strict fake API server (in process, 127.0.0.1), through retries, the cache, budgets, an
//! auth failure, a dry run, and without ever writing the API key anywhere.

mod common;

use std::time::{Duration, Instant};

use common::{files, journal, path_str, run, verdict, Fake};
use verdict::eval_log::Outcome;
use verdict_fake::{FakeConfig, Fault};

const KEY: &str = "sk-ant-test-key";

fn support_args<'a>(out: &'a str, cache: &'a str, limit: &'a str) -> Vec<&'a str> {
    vec![
        "run",
        "evals/support.yaml",
        "--limit",
        limit,
        "--out",
        out,
        "--cache-dir",
        cache,
        "--format",
        "json",
    ]
}

#[test]
fn the_support_evals_anthropic_variants_run_end_to_end() {
    let fake = Fake::start(FakeConfig::default());
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("run");
    let cache = tmp.path().join("cache");
    let mut args = support_args(path_str(&out), path_str(&cache), "6");
    for v in [
        "classify-ticket",
        "classify-ticket-fewshot",
        "triage-ticket",
    ] {
        args.extend(["--variant", v]);
    }
    let o = run(&mut verdict(&fake.server.base_url, KEY, &args));
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(fake.n_messages(), 18);
    assert!(fake.requests().iter().all(|r| r.status == 200));
    let recs = journal(&out);
    assert_eq!(recs.len(), 18);
    for r in &recs {
        assert_ne!(r.outcome, Outcome::ProviderError, "{r:?}");
        assert!(r
            .request_id
            .as_deref()
            .is_some_and(|id| id.starts_with("req_")));
        assert!(
            r.usage.is_some() && r.cost_usd.is_some_and(|c| c > 0.0),
            "{r:?}"
        );
        assert_eq!(r.attempts, Some(1));
        assert!(!r.cached && r.latency_ms.is_some() && r.tool.is_some() && r.raw.is_some());
    }
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(report["variants"].as_array().unwrap().len(), 3);
    let run_json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("run.json")).unwrap()).unwrap();
    assert_eq!(run_json["status"], "complete");
}

#[test]
fn a_429_then_success_is_retried_after_the_servers_retry_after() {
    let fake = Fake::start(FakeConfig {
        script: vec![Fault::RateLimitMs], // 429 with retry-after-ms: 250
        ..FakeConfig::default()
    });
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("run");
    let cache = tmp.path().join("cache");
    let mut args = support_args(path_str(&out), path_str(&cache), "2");
    args.extend(["--variant", "classify-ticket", "--concurrency", "1"]);
    let t = Instant::now();
    let o = run(&mut verdict(&fake.server.base_url, KEY, &args));
    assert_eq!(o.status.code(), Some(0));
    assert!(t.elapsed() >= Duration::from_millis(250));
    let reqs = fake.requests();
    assert_eq!(reqs.len(), 3);
    assert_eq!(reqs[0].status, 429);
    assert_eq!(reqs[1].status, 200);
    // The retry is the same request, announced as a retry.
    assert_eq!(reqs[0].body, reqs[1].body);
    assert_eq!(reqs[1].header("x-stainless-retry-count"), Some("1"));
    let recs = journal(&out);
    assert_eq!(recs.len(), 2);
    assert_eq!(recs[0].attempts, Some(2));
    assert_eq!(recs[0].outcome, Outcome::Ok);
    assert_eq!(recs[1].attempts, Some(1));
}

#[test]
fn a_spend_limit_429_is_not_retried() {
    let fake = Fake::start(FakeConfig {
        script: vec![Fault::SpendLimit],
        ..FakeConfig::default()
    });
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("run");
    let cache = tmp.path().join("cache");
    let mut args = support_args(path_str(&out), path_str(&cache), "2");
    args.extend(["--variant", "classify-ticket", "--concurrency", "1"]);
    let o = run(&mut verdict(&fake.server.base_url, KEY, &args));
    // A record that failed for good leaves the run incomplete: exit 3 (issue 8), with the
    // report printed and the resume command named.
    assert_eq!(o.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--resume"));
    assert_eq!(fake.n_messages(), 2);
    let recs = journal(&out);
    let failed = &recs[0];
    assert_eq!(failed.outcome, Outcome::ProviderError);
    assert_eq!(failed.attempts, Some(1));
    assert!(failed.request_id.is_some());
    let e = failed.error.as_deref().unwrap();
    assert!(e.contains("HTTP 429"), "{e}");
    assert_eq!(recs[1].outcome, Outcome::Ok);
}

#[test]
fn a_401_stops_the_whole_run_at_once_with_exit_3() {
    let fake = Fake::start(FakeConfig {
        api_key: Some("the-right-key".into()),
        ..FakeConfig::default()
    });
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("run");
    let cache = tmp.path().join("cache");
    let mut args = support_args(path_str(&out), path_str(&cache), "40");
    args.extend(["--variant", "classify-ticket", "--concurrency", "2"]);
    let o = run(&mut verdict(&fake.server.base_url, "a-wrong-key", &args));
    assert_eq!(o.status.code(), Some(3));
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(
        stderr.contains("authentication failed for variant classify-ticket"),
        "{stderr}"
    );
    assert!(stderr.contains("401"), "{stderr}");
    assert!(fake.n_messages() <= 2, "{} requests", fake.n_messages());
    assert!(journal(&out).is_empty());
}

#[test]
fn a_missing_key_stops_before_any_request_with_exit_3() {
    let fake = Fake::start(FakeConfig::default());
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("run");
    let cache = tmp.path().join("cache");
    let mut args = support_args(path_str(&out), path_str(&cache), "3");
    args.extend(["--variant", "classify-ticket"]);
    let mut cmd = verdict(&fake.server.base_url, KEY, &args);
    cmd.env_remove("ANTHROPIC_API_KEY");
    let o = run(&mut cmd);
    assert_eq!(o.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&o.stderr).contains("ANTHROPIC_API_KEY"));
    assert_eq!(fake.requests().len(), 0);
    // Checked before the run folder is made: nothing half-written is left behind.
    assert!(!out.exists(), "a run folder was left behind");
}

#[test]
fn a_cached_rerun_makes_zero_requests_and_costs_nothing() {
    let fake = Fake::start(FakeConfig::default());
    let tmp = tempfile::tempdir().unwrap();
    let cache = tmp.path().join("cache");
    let first = tmp.path().join("first");
    let second = tmp.path().join("second");
    for out in [&first, &second] {
        let mut args = support_args(path_str(out), path_str(&cache), "8");
        args.extend(["--variant", "classify-ticket"]);
        let o = run(&mut verdict(&fake.server.base_url, KEY, &args));
        assert_eq!(o.status.code(), Some(0));
    }
    assert_eq!(fake.n_messages(), 8, "the second run made requests");
    let (a, b) = (journal(&first), journal(&second));
    assert!(b.iter().all(|r| r.cached && r.cost_usd == Some(0.0)));
    // The same answers, so the same metrics.
    let outputs = |rs: &[verdict::eval_log::PredictionRecord]| {
        let mut v: Vec<_> = rs
            .iter()
            .map(|r| (r.ticket.clone(), r.outputs.clone()))
            .collect();
        v.sort_by(|x, y| x.0.cmp(&y.0));
        v
    };
    assert_eq!(outputs(&a), outputs(&b));
    // --no-cache sends again and leaves the cache as it was.
    let before = files(&cache).len();
    let third = tmp.path().join("third");
    let mut args = support_args(path_str(&third), path_str(&cache), "8");
    args.extend(["--variant", "classify-ticket", "--no-cache"]);
    assert_eq!(
        run(&mut verdict(&fake.server.base_url, KEY, &args))
            .status
            .code(),
        Some(0)
    );
    assert_eq!(fake.n_messages(), 16);
    assert_eq!(files(&cache).len(), before);
}

#[test]
fn max_requests_stops_with_exit_3_and_resume_finishes_the_run() {
    let fake = Fake::start(FakeConfig::default());
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("run");
    let cache = tmp.path().join("cache");
    let mut args = support_args(path_str(&out), path_str(&cache), "10");
    args.extend(["--variant", "classify-ticket", "--max-requests", "4"]);
    let o = run(&mut verdict(&fake.server.base_url, KEY, &args));
    assert_eq!(o.status.code(), Some(3));
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(stderr.contains("--max-requests 4"), "{stderr}");
    assert!(stderr.contains("--resume"), "{stderr}");
    assert_eq!(fake.n_messages(), 4);
    assert_eq!(journal(&out).len(), 4);
    let o = run(&mut verdict(
        &fake.server.base_url,
        KEY,
        &[
            "run",
            "--resume",
            path_str(&out),
            "--cache-dir",
            path_str(&cache),
        ],
    ));
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(fake.n_messages(), 10);
    assert_eq!(journal(&out).len(), 10);
}

#[test]
fn a_dry_run_sends_nothing_and_estimates_the_cost() {
    let fake = Fake::start(FakeConfig::default());
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("run");
    let cache = tmp.path().join("cache");
    let mut args = support_args(path_str(&out), path_str(&cache), "10");
    args.extend(["--variant", "classify-ticket", "--dry-run"]);
    let mut cmd = verdict(&fake.server.base_url, KEY, &args);
    cmd.env_remove("ANTHROPIC_API_KEY"); // a dry run needs no key
    let o = run(&mut cmd);
    assert_eq!(o.status.code(), Some(0));
    // `--format json` (in support_args) renders the plan as JSON (issue 8 item 1).
    let plan: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(plan["variants"][0]["variant"], "classify-ticket", "{plan}");
    assert_eq!(plan["variants"][0]["requests"], 10, "{plan}");
    assert_eq!(plan["requests"], 10, "{plan}");
    assert!(plan["input_tokens_est"].as_u64().unwrap() > 0, "{plan}");
    // And the table says the same in words.
    let mut args = support_args(path_str(&out), path_str(&cache), "10");
    *args.iter_mut().find(|a| **a == "json").unwrap() = "table";
    args.extend(["--variant", "classify-ticket", "--dry-run"]);
    let mut cmd = verdict(&fake.server.base_url, KEY, &args);
    cmd.env_remove("ANTHROPIC_API_KEY");
    let o = run(&mut cmd);
    assert_eq!(o.status.code(), Some(0));
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(stdout.contains("classify-ticket"), "{stdout}");
    assert!(stdout.contains("total: 10 requests"), "{stdout}");
    assert_eq!(fake.requests().len(), 0);
    assert!(!out.exists());
}

#[test]
fn the_api_key_is_never_written_to_a_file_or_printed() {
    const SENTINEL: &str = "sk-ant-SENTINEL-9f8e7d6c5b4a";
    let fake = Fake::start(FakeConfig {
        script: vec![Fault::RateLimitMs, Fault::ServerError, Fault::BadRequest],
        ..FakeConfig::default()
    });
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("run");
    let cache = tmp.path().join("cache");
    let mut args = support_args(path_str(&out), path_str(&cache), "5");
    args.extend(["--variant", "classify-ticket", "--concurrency", "1"]);
    let mut outputs = vec![run(&mut verdict(&fake.server.base_url, SENTINEL, &args))];
    // The BadRequest leaves one record failed for good: the run is incomplete (exit 3).
    assert_eq!(outputs[0].status.code(), Some(3));
    // And the failure path: a server that rejects the key.
    let strict = Fake::start(FakeConfig {
        api_key: Some("something-else".into()),
        ..FakeConfig::default()
    });
    let out2 = tmp.path().join("run2");
    let mut args = support_args(path_str(&out2), path_str(&cache), "5");
    args.extend(["--variant", "classify-ticket"]);
    outputs.push(run(&mut verdict(&strict.server.base_url, SENTINEL, &args)));
    assert_eq!(outputs[1].status.code(), Some(3));
    for o in &outputs {
        for stream in [&o.stdout, &o.stderr] {
            assert!(!String::from_utf8_lossy(stream).contains("SENTINEL"));
        }
    }
    let written = files(tmp.path());
    assert!(written.len() > 5, "{written:?}");
    for f in written {
        let bytes = std::fs::read(&f).unwrap();
        assert!(
            !String::from_utf8_lossy(&bytes).contains("SENTINEL"),
            "{} holds the key",
            f.display()
        );
    }
}

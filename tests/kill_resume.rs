//! Killing a run (SIGKILL, twice, mid-flight) and resuming it gives the same metrics as a run
//! that was never interrupted, and no ticket whose response had been received is bought
//! again. Ctrl-C stops with exit 130 and a whole journal.

mod common;

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::process::{Child, Stdio};
use std::time::Duration;

use common::{journal, path_str, run, verdict, Fake};
use verdict::runner::cache::{key, CacheMode, ResponseCache};
use verdict::variant::ProviderKind;
use verdict_fake::FakeConfig;

const KEY: &str = "sk-ant-test-key";
const LIMIT: &str = "48";
const CONCURRENCY: usize = 4;

fn args<'a>(out: &'a str, cache: &'a str) -> Vec<&'a str> {
    vec![
        "run",
        "evals/support.yaml",
        "--variant",
        "classify-ticket",
        "--variant",
        "triage-ticket",
        "--limit",
        LIMIT,
        "--concurrency",
        "4",
        "--out",
        out,
        "--cache-dir",
        cache,
        "--format",
        "json",
    ]
}

fn resume_args<'a>(out: &'a str, cache: &'a str) -> Vec<&'a str> {
    vec![
        "run",
        "--resume",
        out,
        "--cache-dir",
        cache,
        "--format",
        "json",
    ]
}

fn spawn(cmd: &mut std::process::Command) -> Child {
    cmd.stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

/// Waits until the journal holds at least `n` lines or the child ends (it always does: its
/// run is finite), with no wall-clock deadline: a slow machine is not a failure.
fn wait_for_lines(child: &mut Child, dir: &Path, n: usize) {
    loop {
        let lines = std::fs::read_to_string(dir.join("predictions.jsonl"))
            .map(|s| s.lines().count())
            .unwrap_or(0);
        if lines >= n || child.try_wait().unwrap().is_some() {
            return;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// The metrics that do not depend on timing: per variant, outcomes and field metrics.
fn metrics(dir: &Path) -> serde_json::Value {
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("run.json")).unwrap()).unwrap();
    assert_eq!(doc["status"], "complete");
    let vs = doc["metrics"]["variants"].as_array().unwrap();
    serde_json::Value::Array(
        vs.iter()
            .map(|v| {
                serde_json::json!({
                    "name": v["name"], "n_records": v["n_records"], "outcomes": v["outcomes"],
                    "fields": v["fields"], "invalid_rate": v["invalid_rate"],
                })
            })
            .collect(),
    )
}

/// The rendered ticket texts of the gold set by id (the fake logs the text).
fn texts() -> HashMap<String, String> {
    let eval = verdict::config::load_eval(&common::repo().join("evals/support.yaml")).unwrap();
    eval.gold
        .tickets
        .iter()
        .map(|t| (t.id.clone(), t.text.clone()))
        .collect()
}

/// (first tool name, ticket turn) of every Messages request from log index `from` on.
fn requested(fake: &Fake, from: usize) -> Vec<(String, String)> {
    fake.requests()[from..]
        .iter()
        .filter(|r| r.path == "/v1/messages")
        .map(|r| {
            let tool = r.body.as_ref().unwrap()["tools"][0]["name"]
                .as_str()
                .unwrap()
                .to_string();
            (tool, r.ticket.clone().unwrap())
        })
        .collect()
}

#[test]
fn sigkill_twice_then_resume_gives_the_uninterrupted_metrics_without_paying_twice() {
    let tmp = tempfile::tempdir().unwrap();
    let texts = texts();

    // The reference: one uninterrupted run.
    let fake = Fake::start(FakeConfig {
        latency: Duration::from_millis(40),
        ..FakeConfig::default()
    });
    let reference = tmp.path().join("reference");
    let ref_cache = tmp.path().join("ref-cache");
    let o = run(&mut verdict(
        &fake.server.base_url,
        KEY,
        &args(path_str(&reference), path_str(&ref_cache)),
    ));
    assert_eq!(o.status.code(), Some(0));

    // The same run, killed twice, then resumed to the end.
    let fake = Fake::start(FakeConfig {
        latency: Duration::from_millis(40),
        ..FakeConfig::default()
    });
    let out = tmp.path().join("killed");
    let cache = tmp.path().join("cache");
    let (o, c) = (path_str(&out), path_str(&cache));
    let mut kills = 0;
    for (phase, kill_at) in [Some(6usize), Some(40), None].into_iter().enumerate() {
        // What had been received before this phase: every response in the cache (written
        // before its journal line) or in the journal.
        let received = received(&fake, &cache);
        let journaled: Vec<(String, String)> = journal(&out)
            .iter()
            .map(|r| (tool_of(&r.variant).to_string(), texts[&r.ticket].clone()))
            .collect();
        assert!(received.len() >= journaled.len());
        let from = fake.requests().len();
        let mut cmd = if phase == 0 {
            verdict(&fake.server.base_url, KEY, &args(o, c))
        } else {
            verdict(&fake.server.base_url, KEY, &resume_args(o, c))
        };
        match kill_at {
            Some(n) => {
                let mut child = spawn(&mut cmd);
                wait_for_lines(&mut child, &out, n);
                if child.try_wait().unwrap().is_none() {
                    child.kill().unwrap(); // SIGKILL
                    kills += 1;
                }
                child.wait().unwrap();
            }
            None => assert_eq!(run(&mut cmd).status.code(), Some(0)),
        }
        let again: Vec<String> = fake.requests()[from..]
            .iter()
            .filter_map(|r| r.body.as_ref().map(|b| b.to_string()))
            .filter(|b| received.contains(b))
            .collect();
        assert!(
            again.is_empty(),
            "phase {phase} re-sent {} received requests",
            again.len()
        );
        let resent: Vec<(String, String)> = requested(&fake, from)
            .into_iter()
            .filter(|(tool, turn)| {
                journaled
                    .iter()
                    .any(|(t, text)| t == tool && turn.contains(text.as_str()))
            })
            .collect();
        assert!(
            resent.is_empty(),
            "phase {phase} re-requested journaled tickets: {resent:?}"
        );
    }
    assert_eq!(kills, 2, "the run finished before it could be killed");
    // A ticket was requested twice only if it was on the wire at a kill.
    let mut counts: HashMap<(String, String), usize> = HashMap::new();
    for t in requested(&fake, 0) {
        *counts.entry(t).or_default() += 1;
    }
    let twice = counts.values().filter(|&&n| n > 1).count();
    assert!(
        twice <= 2 * CONCURRENCY,
        "{twice} tickets were requested more than once"
    );
    assert_eq!(journal(&out).len(), 96);
    assert_eq!(metrics(&out), metrics(&reference));
}

/// The bodies of logged requests whose response is in the cache.
fn received(fake: &Fake, cache: &Path) -> HashSet<String> {
    let cache = ResponseCache::new(cache.to_path_buf(), CacheMode::ReadWrite);
    fake.requests()
        .iter()
        .filter_map(|r| r.body.as_ref())
        .filter(|b| {
            let model = b["model"].as_str().unwrap();
            let k = key(ProviderKind::Anthropic, &fake.server.base_url, model, b);
            cache.get(&k).is_some()
        })
        .map(|b| b.to_string())
        .collect()
}

fn tool_of(variant: &str) -> &'static str {
    match variant {
        "triage-ticket" => "triage_ticket",
        _ => "classify_ticket",
    }
}

#[test]
fn ctrl_c_stops_with_exit_130_keeps_the_journal_and_resume_finishes() {
    let fake = Fake::start(FakeConfig {
        latency: Duration::from_millis(50),
        ..FakeConfig::default()
    });
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("run");
    let cache = tmp.path().join("cache");
    let (o, c) = (path_str(&out), path_str(&cache));
    let mut cmd = verdict(&fake.server.base_url, KEY, &args(o, c));
    let mut child = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_for_lines(&mut child, &out, 5);
    let status = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(130));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("--resume"), "{stderr}");
    // Every line is whole, and the run stopped well before the end.
    let text = std::fs::read_to_string(out.join("predictions.jsonl")).unwrap();
    assert!(text.ends_with('\n'));
    let n = journal(&out).len();
    assert!((5..96).contains(&n), "{n} lines");
    let o2 = run(&mut verdict(&fake.server.base_url, KEY, &resume_args(o, c)));
    assert_eq!(o2.status.code(), Some(0));
    assert_eq!(journal(&out).len(), 96);
}

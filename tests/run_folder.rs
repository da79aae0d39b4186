//! A run folder stands alone (issue 7): it is graded, reported and finished from its snapshot
//! and journal, without the project that made it.
//!
//! Proof points: a copied folder without `metrics` re-grades to the run's report byte for
//! byte; a killed run copied elsewhere, its project deleted, resumes to the uninterrupted run;
//! after a kill and an edit of `defaults.model` and a gold label, the resume sends the original
//! model, names the changed files, and run.json says what was sent.
//!
//! One regression test per resume defect of issue 7, named after it:
//! - a resume after editing `defaults:` sent the rest to the new model:
//!   `resume_after_editing_defaults_model_sent_the_rest_to_the_new_model`
//! - a resume forgot `--concurrency`: `resume_forgot_the_concurrency_of_the_run`
//! - a resume ignored rate-limit overrides (only `--concurrency` and `--cache-dir` could be
//!   given): `resume_rate_limits_default_to_the_run_and_may_be_overridden`
//! - a resume of a `--no-cache` run read and wrote the user cache:
//!   `resume_of_a_no_cache_run_read_and_wrote_the_user_cache`
//! - a resume accepted a newer run.json and rewrote it as version 1:
//!   `resume_accepted_a_newer_run_json_and_rewrote_it`
//! - a resume accepted journal lines for tickets the gold set lacks:
//!   `resume_accepted_journal_lines_for_tickets_the_gold_set_lacks`
//! - a resume after moving the project failed with "file not found":
//!   `resume_after_moving_the_project_failed_with_file_not_found`

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use common::{journal, path_str, run, Fake};
use verdict_fake::FakeConfig;

const KEY: &str = "sk-ant-test-key";
const MODEL: &str = "claude-haiku-4-5";

/// Copies the support eval (config, gold, training set, prompts) into `dir` as a project.
fn project(dir: &Path) -> PathBuf {
    let repo = common::repo();
    for sub in ["evals/support", "prompts/support"] {
        copy_dir(&repo.join(sub), &dir.join(sub));
    }
    std::fs::copy(
        repo.join("evals/support.yaml"),
        dir.join("evals/support.yaml"),
    )
    .unwrap();
    dir.to_path_buf()
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let p = e.unwrap().path();
        let dest = to.join(p.file_name().unwrap());
        if p.is_dir() {
            copy_dir(&p, &dest);
        } else {
            std::fs::copy(&p, &dest).unwrap();
        }
    }
}

/// `verdict ARGS` run in `cwd` against `base_url`.
fn verdict_in(cwd: &Path, base_url: &str, args: &[&str]) -> Command {
    let mut cmd = common::verdict(base_url, KEY, args);
    cmd.current_dir(cwd);
    cmd
}

fn run_args<'a>(out: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut a = vec![
        "run",
        "evals/support.yaml",
        "--variant",
        "classify-ticket",
        "--variant",
        "local-word",
        "--limit",
        "24",
        "--out",
        out,
        "--format",
        "json",
    ];
    a.extend_from_slice(extra);
    a
}

fn run_json(dir: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("run.json")).unwrap()).unwrap()
}

fn write_json(path: &Path, v: &serde_json::Value) {
    std::fs::write(path, serde_json::to_string_pretty(v).unwrap()).unwrap();
}

/// Asserts two outputs are equal byte for byte, showing the first lines that differ.
fn same_bytes(a: &[u8], b: &[u8]) {
    let (a, b) = (String::from_utf8_lossy(a), String::from_utf8_lossy(b));
    if a != b {
        let diff: Vec<String> = a
            .lines()
            .zip(b.lines())
            .enumerate()
            .filter(|(_, (x, y))| x != y)
            .take(5)
            .map(|(i, (x, y))| format!("line {}: {x:?} != {y:?}", i + 1))
            .collect();
        panic!(
            "outputs differ ({} vs {} lines): {diff:?}",
            a.lines().count(),
            b.lines().count()
        );
    }
}

/// The report without what depends on timing (latency, wall time).
fn timeless(metrics: &serde_json::Value) -> serde_json::Value {
    let mut m = metrics.clone();
    m.as_object_mut().unwrap().remove("wall_s");
    for v in m["variants"].as_array_mut().unwrap() {
        v.as_object_mut().unwrap().remove("cost");
    }
    m
}

/// Waits until the journal holds `n` lines or the child ends; no wall-clock deadline.
fn wait_for_lines(child: &mut std::process::Child, dir: &Path, n: usize) {
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

/// Starts a run and SIGKILLs it once `n` lines are journaled; true if it was killed.
fn kill_at(mut cmd: Command, dir: &Path, n: usize) -> bool {
    let mut child = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_for_lines(&mut child, dir, n);
    let killed = child.try_wait().unwrap().is_none();
    if killed {
        child.kill().unwrap();
    }
    child.wait().unwrap();
    killed
}

fn slow_fake() -> Fake {
    Fake::start(FakeConfig {
        latency: Duration::from_millis(30),
        ..FakeConfig::default()
    })
}

/// A finished run of the mini project against the fake server, in `tmp/run`: the project
/// folder, the run folder and what the run printed.
fn finished_run(tmp: &Path) -> (PathBuf, PathBuf, std::process::Output) {
    let fake = Fake::start(FakeConfig::default());
    let proj = project(&tmp.join("project"));
    let out = tmp.join("run");
    let o = run(&mut verdict_in(
        &proj,
        &fake.server.base_url,
        &run_args(path_str(&out), &["--no-cache"]),
    ));
    assert_eq!(o.status.code(), Some(0));
    (proj, out, o)
}

#[test]
fn a_copied_run_folder_without_metrics_regrades_to_the_same_report_byte_for_byte() {
    let tmp = tempfile::tempdir().unwrap();
    let (proj, out, o) = finished_run(tmp.path());
    assert!(out.join("snapshot.json").exists() && out.join("gold.jsonl").exists());

    let copy = tmp.path().join("elsewhere/copy");
    copy_dir(&out, &copy);
    let mut doc = run_json(&copy);
    let metrics = doc.as_object_mut().unwrap().remove("metrics").unwrap();
    write_json(&copy.join("run.json"), &doc);
    std::fs::remove_dir_all(&proj).unwrap();
    let before = common::files(&copy)
        .into_iter()
        .map(|p| (p.clone(), std::fs::read(&p).unwrap()))
        .collect::<Vec<_>>();

    let s = run(&mut verdict_in(
        tmp.path(),
        "http://127.0.0.1:9",
        &["score", path_str(&copy), "--format", "json"],
    ));
    assert_eq!(s.status.code(), Some(0));
    // Byte for byte what the run printed, and the metrics run.json held.
    same_bytes(&s.stdout, &o.stdout);
    let mut printed: serde_json::Value = serde_json::from_slice(&s.stdout).unwrap();
    // The summary first, then the metrics run.json held.
    assert!(printed.as_object_mut().unwrap().remove("summary").is_some());
    assert_eq!(printed, metrics);
    // Writes nothing.
    let after = common::files(&copy)
        .into_iter()
        .map(|p| (p.clone(), std::fs::read(&p).unwrap()))
        .collect::<Vec<_>>();
    assert_eq!(before, after);
    // Tables and markdown render too.
    for format in ["table", "md"] {
        let s = run(&mut verdict_in(
            tmp.path(),
            "http://127.0.0.1:9",
            &["score", path_str(&copy), "--format", format],
        ));
        assert_eq!(s.status.code(), Some(0));
        assert!(String::from_utf8_lossy(&s.stdout).contains("classify-ticket"));
    }
}

#[test]
fn a_killed_run_copied_elsewhere_resumes_after_the_project_was_deleted_to_the_uninterrupted_run() {
    let tmp = tempfile::tempdir().unwrap();
    let proj = project(&tmp.path().join("project"));
    let fake = slow_fake();
    let reference = tmp.path().join("reference");
    let o = run(&mut verdict_in(
        &proj,
        &fake.server.base_url,
        &run_args(path_str(&reference), &["--no-cache"]),
    ));
    assert_eq!(o.status.code(), Some(0));

    let out = proj.join("reports/killed");
    let cmd = verdict_in(
        &proj,
        &fake.server.base_url,
        &run_args(path_str(&out), &["--no-cache", "--concurrency", "2"]),
    );
    assert!(kill_at(cmd, &out, 8), "the run ended before the kill");
    let copy = tmp.path().join("elsewhere/copy");
    copy_dir(&out, &copy);
    std::fs::remove_dir_all(&proj).unwrap();

    let r = run(&mut verdict_in(
        tmp.path(),
        &fake.server.base_url,
        &["run", "--resume", path_str(&copy), "--format", "json"],
    ));
    assert_eq!(r.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&r.stderr);
    assert!(stderr.contains("no longer there"), "{stderr}");
    assert_eq!(journal(&copy).len(), 48);
    let done = run_json(&copy);
    assert_eq!(done["status"], "complete");
    assert_eq!(
        timeless(&done["metrics"]),
        timeless(&run_json(&reference)["metrics"])
    );
}

/// The brief's proof point and the first resume defect: after a kill, `defaults.model` and a
/// gold label are edited; the rest is still sent with the original model.
#[test]
fn resume_after_editing_defaults_model_sent_the_rest_to_the_new_model() {
    let tmp = tempfile::tempdir().unwrap();
    let proj = project(&tmp.path().join("project"));
    let fake = slow_fake();
    let out = tmp.path().join("run");
    let cmd = verdict_in(
        &proj,
        &fake.server.base_url,
        &run_args(path_str(&out), &["--no-cache", "--concurrency", "2"]),
    );
    assert!(kill_at(cmd, &out, 8), "the run ended before the kill");
    let journaled = journal(&out).len();
    assert!(journaled < 48);

    let eval = proj.join("evals/support.yaml");
    let text = std::fs::read_to_string(&eval).unwrap();
    std::fs::write(
        &eval,
        text.replace(&format!("model: {MODEL}"), "model: claude-sonnet-4-5"),
    )
    .unwrap();
    let gold = proj.join("evals/support/gold.yaml");
    let g = std::fs::read_to_string(&gold).unwrap();
    let edited = g.replacen(
        "labels: {department: billing, priority: high, intents: [billing_dispute, refund_request]",
        "labels: {department: sales, priority: high, intents: [billing_dispute, refund_request]",
        1,
    );
    assert_ne!(g, edited);
    std::fs::write(&gold, edited).unwrap();
    let snapshot_gold = std::fs::read_to_string(out.join("gold.jsonl")).unwrap();

    let from = fake.requests().len();
    let r = run(&mut verdict_in(
        &proj,
        &fake.server.base_url,
        &["run", "--resume", path_str(&out), "--format", "json"],
    ));
    assert_eq!(r.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&r.stderr);
    assert!(stderr.contains("support.yaml (changed)"), "{stderr}");
    assert!(stderr.contains("gold.yaml (changed)"), "{stderr}");
    let sent: Vec<_> = fake.requests()[from..]
        .iter()
        .filter(|r| r.path == "/v1/messages")
        .map(|r| r.body.as_ref().unwrap()["model"].clone())
        .collect();
    assert!(!sent.is_empty(), "the resume sent nothing");
    assert!(sent.iter().all(|m| m == MODEL), "{sent:?}");
    // run.json says what was sent; the gold set graded is the snapshot's.
    let doc = run_json(&out);
    assert_eq!(doc["spec"]["variants"][0]["model"], MODEL);
    assert_eq!(doc["metrics"]["variants"][0]["model"], MODEL);
    assert_eq!(
        std::fs::read_to_string(out.join("gold.jsonl")).unwrap(),
        snapshot_gold
    );
    assert!(snapshot_gold.contains(r#""department":"billing""#));
    let s = run(&mut verdict_in(
        tmp.path(),
        &fake.server.base_url,
        &["score", path_str(&out), "--format", "json"],
    ));
    same_bytes(&s.stdout, &r.stdout);
}

#[test]
fn resume_forgot_the_concurrency_of_the_run() {
    let tmp = tempfile::tempdir().unwrap();
    let proj = project(&tmp.path().join("project"));
    let out = tmp.path().join("run");
    let first = slow_fake();
    // The eval says 8; the run said 2. A budget stops it (exit 3), journal intact.
    let o = run(&mut verdict_in(
        &proj,
        &first.server.base_url,
        &run_args(
            path_str(&out),
            &["--no-cache", "--concurrency", "2", "--max-requests", "4"],
        ),
    ));
    assert_eq!(o.status.code(), Some(3));
    let second = slow_fake();
    let r = run(&mut verdict_in(
        &proj,
        &second.server.base_url,
        &["run", "--resume", path_str(&out)],
    ));
    assert_eq!(r.status.code(), Some(0));
    assert!(second.n_messages() >= 20);
    assert!(
        (1..=2).contains(&second.server.max_in_flight()),
        "{} in flight",
        second.server.max_in_flight()
    );
    // An override on the --resume command line wins.
    let out2 = tmp.path().join("run2");
    let o = run(&mut verdict_in(
        &proj,
        &first.server.base_url,
        &run_args(
            path_str(&out2),
            &["--no-cache", "--concurrency", "4", "--max-requests", "4"],
        ),
    ));
    assert_eq!(o.status.code(), Some(3));
    let third = slow_fake();
    let r = run(&mut verdict_in(
        &proj,
        &third.server.base_url,
        &["run", "--resume", path_str(&out2), "--concurrency", "1"],
    ));
    assert_eq!(r.status.code(), Some(0));
    assert_eq!(third.server.max_in_flight(), 1);
}

/// Runs `cmd` and returns how long it took; kills it (and fails) after `deadline`.
fn timed(cmd: &mut Command, deadline: Duration) -> (Option<i32>, Duration) {
    let start = std::time::Instant::now();
    let mut child = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("run verdict");
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return (status.code(), start.elapsed());
        }
        if start.elapsed() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("verdict still running after {deadline:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Rate limits are operational: a resume keeps the run's own (`--requests-per-minute` given
/// at the start, recorded in the snapshot's `run`), and `--requests-per-minute` /
/// `--tokens-per-minute` on the `--resume` command line override them (`off` lifts them).
/// A quota of N per minute lets a burst of N through, then one every 60/N s: with 19 per
/// minute the 20 remaining requests take at least 60/19 s.
#[test]
fn resume_rate_limits_default_to_the_run_and_may_be_overridden() {
    let tmp = tempfile::tempdir().unwrap();
    let proj = project(&tmp.path().join("project"));
    let fake = Fake::start(FakeConfig::default());
    let long = Duration::from_secs(120);
    let start = |out: &Path, extra: &[&str], max_requests: &str| {
        let mut extra = extra.to_vec();
        extra.extend(["--no-cache", "--max-requests", max_requests]);
        let o = run(&mut verdict_in(
            &proj,
            &fake.server.base_url,
            &run_args(path_str(out), &extra),
        ));
        assert_eq!(o.status.code(), Some(3), "stopped by --max-requests");
    };
    let resume = |out: &Path, extra: &[&str], deadline: Duration| {
        let mut args = vec!["run", "--resume", path_str(out)];
        args.extend_from_slice(extra);
        let (code, took) = timed(
            &mut verdict_in(&proj, &fake.server.base_url, &args),
            deadline,
        );
        assert_eq!(code, Some(0));
        assert_eq!(journal(out).len(), 48);
        took
    };
    let snapshot_run = |out: &Path| -> serde_json::Value {
        let s: serde_json::Value =
            serde_json::from_slice(&std::fs::read(out.join("snapshot.json")).unwrap()).unwrap();
        s["run"].clone()
    };

    // Started at 19 requests a minute (the eval has no limit): the snapshot records it and
    // the resume keeps it.
    let a = tmp.path().join("a");
    start(&a, &["--requests-per-minute", "19"], "4");
    assert_eq!(snapshot_run(&a)["requests_per_minute"], 19);
    let took = resume(&a, &[], long);
    assert!(took >= Duration::from_millis(2500), "resume took {took:?}");

    // Started without a limit; the resume command line sets one.
    let b = tmp.path().join("b");
    start(&b, &[], "4");
    assert!(snapshot_run(&b)["requests_per_minute"].is_null());
    let took = resume(&b, &["--requests-per-minute", "19"], long);
    assert!(took >= Duration::from_millis(2500), "resume took {took:?}");

    // Started at 1 request and 1 token a minute: the 23 remaining requests would take over
    // 20 minutes; `off` lifts both limits.
    let c = tmp.path().join("c");
    start(
        &c,
        &[
            "--requests-per-minute",
            "1",
            "--tokens-per-minute",
            "1000000",
        ],
        "1",
    );
    assert_eq!(snapshot_run(&c)["tokens_per_minute"], 1_000_000);
    resume(
        &c,
        &["--requests-per-minute", "off", "--tokens-per-minute", "off"],
        Duration::from_secs(60),
    );

    // A bad value is refused by the command line.
    let o = run(&mut verdict_in(
        &proj,
        &fake.server.base_url,
        &["run", "--resume", path_str(&a), "--tokens-per-minute", "0"],
    ));
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn resume_of_a_no_cache_run_read_and_wrote_the_user_cache() {
    let tmp = tempfile::tempdir().unwrap();
    let proj = project(&tmp.path().join("project"));
    let home = tmp.path().join("home");
    let xdg = tmp.path().join("xdg-cache");
    let fake = Fake::start(FakeConfig::default());
    let out = tmp.path().join("run");
    let with_home = |mut c: Command| {
        c.env("HOME", &home).env("XDG_CACHE_HOME", &xdg);
        c
    };
    let o = run(&mut with_home(verdict_in(
        &proj,
        &fake.server.base_url,
        &run_args(path_str(&out), &["--no-cache", "--max-requests", "3"]),
    )));
    assert_eq!(o.status.code(), Some(3));
    let r = run(&mut with_home(verdict_in(
        &proj,
        &fake.server.base_url,
        &["run", "--resume", path_str(&out)],
    )));
    assert_eq!(r.status.code(), Some(0));
    assert_eq!(journal(&out).len(), 48);
    assert!(
        common::files(&home).is_empty() && common::files(&xdg).is_empty(),
        "the user cache was written: {:?} {:?}",
        common::files(&home),
        common::files(&xdg)
    );
    // Asking for a cache on the resume of a --no-cache run is refused, not obeyed.
    let o = run(&mut with_home(verdict_in(
        &proj,
        &fake.server.base_url,
        &run_args(
            path_str(&tmp.path().join("run2")),
            &["--no-cache", "--max-requests", "3"],
        ),
    )));
    assert_eq!(o.status.code(), Some(3));
    let r = run(&mut with_home(verdict_in(
        &proj,
        &fake.server.base_url,
        &[
            "run",
            "--resume",
            path_str(&tmp.path().join("run2")),
            "--cache-dir",
            path_str(&tmp.path().join("c")),
        ],
    )));
    assert_eq!(r.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&r.stderr).contains("--no-cache"));
}

/// A finished run with its journal cut to `n` lines and run.json set back to `running`.
fn interrupted_mini(tmp: &Path, n: usize) -> PathBuf {
    let dir = tmp.join("run");
    let o = run(&mut verdict_in(
        &common::repo(),
        "http://127.0.0.1:9",
        &[
            "run",
            "tests/fixtures/mini/eval.yaml",
            "--out",
            path_str(&dir),
        ],
    ));
    assert_eq!(o.status.code(), Some(0));
    let j = dir.join("predictions.jsonl");
    let lines: String = std::fs::read_to_string(&j)
        .unwrap()
        .lines()
        .take(n)
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(&j, lines).unwrap();
    let mut doc = run_json(&dir);
    doc["status"] = "running".into();
    doc.as_object_mut().unwrap().remove("metrics");
    write_json(&dir.join("run.json"), &doc);
    dir
}

fn tree(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut v: Vec<_> = common::files(dir)
        .into_iter()
        .map(|p| (p.clone(), std::fs::read(&p).unwrap()))
        .collect();
    v.sort();
    v
}

#[test]
fn resume_accepted_a_newer_run_json_and_rewrote_it() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = interrupted_mini(tmp.path(), 20);
    let mut doc = run_json(&dir);
    doc["version"] = 3.into();
    write_json(&dir.join("run.json"), &doc);
    let before = tree(&dir);
    for args in [
        vec!["run", "--resume", path_str(&dir)],
        vec!["score", path_str(&dir)],
        vec!["report", path_str(&dir)],
    ] {
        let o = run(&mut verdict_in(tmp.path(), "http://127.0.0.1:9", &args));
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert!(stderr.contains("version 3"), "{stderr}");
        assert!(stderr.contains("newer"), "{stderr}");
        assert!(o.stdout.is_empty());
        assert_eq!(tree(&dir), before, "{args:?} changed the folder");
    }
    // Version 1 (no snapshot): report still renders it; grading and resuming say to re-run.
    let done = tempfile::tempdir().unwrap();
    let v1 = done.path().join("v1");
    let o = run(&mut verdict_in(
        &common::repo(),
        "http://127.0.0.1:9",
        &[
            "run",
            "tests/fixtures/mini/eval.yaml",
            "--out",
            path_str(&v1),
            "--format",
            "json",
        ],
    ));
    assert_eq!(o.status.code(), Some(0));
    for f in ["snapshot.json", "gold.jsonl"] {
        std::fs::remove_file(v1.join(f)).unwrap();
    }
    let mut doc = run_json(&v1);
    doc["version"] = 1.into();
    write_json(&v1.join("run.json"), &doc);
    let r = run(&mut verdict_in(
        tmp.path(),
        "http://127.0.0.1:9",
        &["report", path_str(&v1), "--format", "json"],
    ));
    assert_eq!(r.status.code(), Some(0));
    let json = |b: &[u8]| serde_json::from_slice::<serde_json::Value>(b).unwrap();
    assert_eq!(json(&r.stdout), json(&o.stdout));
    for args in [
        vec!["run", "--resume", path_str(&v1)],
        vec!["score", path_str(&v1)],
    ] {
        let r = run(&mut verdict_in(tmp.path(), "http://127.0.0.1:9", &args));
        assert_eq!(r.status.code(), Some(2), "{args:?}");
        assert!(String::from_utf8_lossy(&r.stderr).contains("re-run it"));
        assert_eq!(run_json(&v1)["version"], 1);
    }
}

#[test]
fn resume_accepted_journal_lines_for_tickets_the_gold_set_lacks() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = interrupted_mini(tmp.path(), 10);
    let j = dir.join("predictions.jsonl");
    let mut text = std::fs::read_to_string(&j).unwrap();
    text.push_str(
        r#"{"v":1,"variant":"local-word","ticket":"NOT-A-TICKET","repeat":0,"outcome":"ok","outputs":{}}"#,
    );
    text.push('\n');
    std::fs::write(&j, &text).unwrap();
    let before = tree(&dir);
    for args in [
        vec!["run", "--resume", path_str(&dir)],
        vec!["score", path_str(&dir)],
    ] {
        let o = run(&mut verdict_in(tmp.path(), "http://127.0.0.1:9", &args));
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert!(stderr.contains("predictions.jsonl:11:1"), "{stderr}");
        assert!(stderr.contains("\"NOT-A-TICKET\""), "{stderr}");
        assert!(stderr.contains("is not in the gold set"), "{stderr}");
        assert_eq!(tree(&dir), before);
    }
}

#[test]
fn resume_after_moving_the_project_failed_with_file_not_found() {
    let tmp = tempfile::tempdir().unwrap();
    let proj = tmp.path().join("project");
    copy_dir(&common::repo().join("tests/fixtures/mini"), &proj);
    let dir = proj.join("reports/run");
    // An absolute eval path, as a script would pass it.
    let o = run(&mut verdict_in(
        tmp.path(),
        "http://127.0.0.1:9",
        &[
            "run",
            path_str(&proj.join("eval.yaml")),
            "--out",
            path_str(&dir),
            "--format",
            "json",
        ],
    ));
    assert_eq!(o.status.code(), Some(0));
    let j = dir.join("predictions.jsonl");
    let half: String = std::fs::read_to_string(&j)
        .unwrap()
        .lines()
        .take(30)
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(&j, half).unwrap();
    let mut doc = run_json(&dir);
    doc["status"] = "running".into();
    doc.as_object_mut().unwrap().remove("metrics");
    write_json(&dir.join("run.json"), &doc);

    let moved = tmp.path().join("moved");
    std::fs::rename(&proj, &moved).unwrap();
    let r = run(&mut verdict_in(
        tmp.path(),
        "http://127.0.0.1:9",
        &[
            "run",
            "--resume",
            path_str(&moved.join("reports/run")),
            "--format",
            "json",
        ],
    ));
    assert_eq!(r.status.code(), Some(0));
    let json = |b: &[u8]| timeless(&serde_json::from_slice(b).unwrap());
    assert_eq!(
        json(&r.stdout),
        json(&o.stdout),
        "the resumed run's report differs"
    );
}

#[test]
fn score_run_with_eval_uses_that_evals_routing_settings() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = interrupted_mini(tmp.path(), 72);
    let eval = tmp.path().join("other.yaml");
    let text = std::fs::read_to_string(common::repo().join("tests/fixtures/mini/eval.yaml"))
        .unwrap()
        .replace("gold: gold.yaml", "gold: GOLD")
        .replace("prompts/*.yaml", "PROMPTS")
        .replace("route_at: 0.8", "route_at: 0.95");
    let mini = common::repo().join("tests/fixtures/mini");
    let text = text
        .replace("GOLD", path_str(&mini.join("gold.yaml")))
        .replace("PROMPTS", path_str(&mini.join("prompts/*.yaml")));
    std::fs::write(&eval, text).unwrap();
    let s = run(&mut verdict_in(
        tmp.path(),
        "http://127.0.0.1:9",
        &[
            "score",
            path_str(&dir),
            "--eval",
            path_str(&eval),
            "--format",
            "json",
        ],
    ));
    assert_eq!(s.status.code(), Some(0));
    let report: serde_json::Value = serde_json::from_slice(&s.stdout).unwrap();
    assert_eq!(report["settings"]["routing"]["route_at"], 0.95);
    assert_eq!(report["variants"][0]["routing"]["policy"]["route_at"], 0.95);
    let plain = run(&mut verdict_in(
        tmp.path(),
        "http://127.0.0.1:9",
        &["score", path_str(&dir), "--format", "json"],
    ));
    let plain: serde_json::Value = serde_json::from_slice(&plain.stdout).unwrap();
    assert_eq!(plain["settings"]["routing"]["route_at"], 0.8);
}

/// `score RUN` reads the journal once, straight into the grader: a (variant, ticket, repeat)
/// recorded again (a resume's retry) counts by its last record, with no replacement counted,
/// as the run's own report grades it.
#[test]
fn score_run_grades_the_last_record_of_a_re_recorded_ticket() {
    let tmp = tempfile::tempdir().unwrap();
    let (_, out, _) = finished_run(tmp.path());
    let score = |dir: &Path| {
        let s = run(&mut verdict_in(
            tmp.path(),
            "http://127.0.0.1:9",
            &["score", path_str(dir), "--format", "json"],
        ));
        assert_eq!(
            s.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&s.stderr)
        );
        s.stdout
    };
    let original = score(&out);
    let j = out.join("predictions.jsonl");
    let text = std::fs::read_to_string(&j).unwrap();
    let first = text.lines().next().unwrap().to_string();
    // The first ticket recorded again as a failure, then once more as it was: the last wins.
    let mut failed: serde_json::Value = serde_json::from_str(&first).unwrap();
    failed["outcome"] = "provider_error".into();
    failed["error"] = "HTTP 500".into();
    failed["outputs"] = serde_json::json!({});
    std::fs::write(&j, format!("{text}{failed}\n{first}\n")).unwrap();
    same_bytes(&score(&out), &original);
    // And when the failure is the last record, the ticket counts as failed.
    std::fs::write(&j, format!("{text}{failed}\n")).unwrap();
    let last_failed: serde_json::Value = serde_json::from_slice(&score(&out)).unwrap();
    let text = last_failed.to_string();
    assert!(text.contains("HTTP 500"), "{text}");
    assert!(!text.contains("\"replaced\":1"), "{text}");
}

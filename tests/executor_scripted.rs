//! `verdict run` end to end through a scripted in-memory executor (issue 8 item 3): the real
//! run flow (`app::run_with`, what the binary calls) with an [`ExecutorFactory`] whose
//! executor answers from a script instead of a classifier or a network.
//!
//! The script, per ticket of the mini eval (36 tickets): the gold department for most, a
//! wrong one for every sixth, an invalid output for the first and a refusal for the second.
//! The run folder then holds exactly what the script says: run.json complete, accuracy equal
//! to the scripted rate, one journal line per job with its outcome, and a summary that
//! `verdict report` prints from the folder. A second script stops early (a budget stop after
//! N answers): the run is incomplete, and `--resume` finishes it sending only the jobs left.

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};

use verdict::app::{OutputChoice, RunCommand};
use verdict::eval_log::{Outcome, PredictionRecord};
use verdict::exit::Exit;
use verdict::gold::GoldValue;
use verdict::runner::{Executor, ExecutorFactory, Recorder, RunContext, Stop, VariantPlan};
use verdict::variant::Variant;

const N_TICKETS: usize = 36;
const N_VARIANTS: usize = 2;

fn eval_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/mini/eval.yaml")
}

/// What the script answers for ticket `i`.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Answer {
    Gold,
    Wrong,
    Invalid,
    Refusal,
}

fn script(i: usize) -> Answer {
    match i {
        0 => Answer::Invalid,
        1 => Answer::Refusal,
        i if i % 6 == 5 => Answer::Wrong,
        _ => Answer::Gold,
    }
}

/// Tickets the script answers with the gold department.
fn n_gold() -> usize {
    (0..N_TICKETS)
        .filter(|&i| script(i) == Answer::Gold)
        .count()
}

/// A (variant, ticket id, repeat, turn) the executor was given.
type Seen = Arc<Mutex<Vec<(String, String, u32, u32)>>>;

/// Answers every job from [`script`]; after `stop_after` answers (over the whole run) it
/// stops as a budget would.
struct Scripted {
    seen: Seen,
    answered: usize,
    stop_after: Option<usize>,
}

impl Scripted {
    fn record(
        ctx: &RunContext<'_>,
        variant: &Variant,
        job: verdict::runner::Job,
    ) -> PredictionRecord {
        let gold = &ctx.eval.gold;
        let input = job.input(gold);
        let answer = script(job.ticket);
        let outcome = match answer {
            Answer::Gold | Answer::Wrong => Outcome::Ok,
            Answer::Invalid => Outcome::InvalidOutput,
            Answer::Refusal => Outcome::Refusal,
        };
        let mut rec = PredictionRecord::new(&variant.name, input.id, job.repeat, outcome);
        if outcome != Outcome::Ok {
            rec.error = Some(format!("scripted {answer:?}"));
            return rec;
        }
        let ticket = &gold.tickets[job.ticket];
        for (field, value) in gold.fields.iter().zip(&ticket.labels) {
            let v = match (value, answer) {
                (GoldValue::Label(l), Answer::Wrong) => {
                    let wrong = (*l as usize + 1) % field.values.len();
                    serde_json::Value::String(field.values[wrong].clone())
                }
                _ => value.to_json(field),
            };
            rec.outputs.insert(field.name.clone(), v);
        }
        rec.confidence = Some(0.9);
        rec.cost_usd = Some(0.0);
        rec
    }
}

impl Executor for Scripted {
    fn name(&self) -> &str {
        "scripted"
    }

    fn run(
        &mut self,
        ctx: &RunContext<'_>,
        plan: &VariantPlan,
        recorder: &mut Recorder<'_>,
    ) -> verdict::error::Result<Stop> {
        let variant = &ctx.eval.variants[plan.variant];
        for job in &plan.jobs {
            if self.stop_after == Some(self.answered) {
                return Ok(Stop::Budget(format!(
                    "stopped at --max-requests {} (scripted)",
                    self.answered
                )));
            }
            let input = job.input(&ctx.eval.gold);
            self.seen.lock().unwrap().push((
                variant.name.clone(),
                input.id.to_string(),
                job.repeat,
                job.turn,
            ));
            recorder.record(Self::record(ctx, variant, *job))?;
            self.answered += 1;
        }
        Ok(Stop::Done)
    }
}

/// The scripted executor for every variant, whatever its kind.
struct ScriptedFactory(Scripted);

impl ScriptedFactory {
    fn new(stop_after: Option<usize>) -> (Self, Seen) {
        let seen = Seen::default();
        let f = ScriptedFactory(Scripted {
            seen: seen.clone(),
            answered: 0,
            stop_after,
        });
        (f, seen)
    }
}

impl ExecutorFactory for ScriptedFactory {
    fn executor(
        &mut self,
        _ctx: &RunContext<'_>,
        _variant: &Variant,
    ) -> verdict::error::Result<&mut dyn Executor> {
        Ok(&mut self.0)
    }
}

/// JSON on stdout, the summary only: what the tests read is the run folder.
fn quiet_json() -> OutputChoice {
    OutputChoice {
        formats: vec![verdict::report::Format::Json],
        quiet: true,
        ..OutputChoice::default()
    }
}

fn run_json(dir: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("run.json")).unwrap()).unwrap()
}

fn journal(dir: &Path) -> Vec<PredictionRecord> {
    verdict::eval_log::read_journal(&dir.join("predictions.jsonl")).unwrap()
}

/// `verdict run tests/fixtures/mini/eval.yaml --out OUT --no-cache --format json --quiet`, as
/// the library takes it (no command line parsed: `cli/` builds the same struct).
fn new_run(out: &Path) -> RunCommand {
    RunCommand {
        eval: Some(eval_path()),
        out: Some(out.to_path_buf()),
        no_cache: true,
        output: quiet_json(),
        ..RunCommand::default()
    }
}

/// The department metrics of each variant in run.json.
fn department(doc: &serde_json::Value) -> Vec<(String, serde_json::Value, serde_json::Value)> {
    doc["metrics"]["variants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            let dept = v["fields"]
                .as_array()
                .unwrap()
                .iter()
                .find(|f| f["field"] == "department")
                .unwrap()["label"]
                .clone();
            (
                v["name"].as_str().unwrap().to_string(),
                dept,
                v["outcomes"].clone(),
            )
        })
        .collect()
}

#[test]
fn a_scripted_executor_drives_verdict_run_end_to_end() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("run");
    let (mut factory, seen) = ScriptedFactory::new(None);
    let exit = verdict::app::run_with(
        &new_run(&out),
        Arc::new(AtomicBool::new(false)),
        &mut factory,
    )
    .unwrap();
    assert_eq!(exit, Exit::Ok);

    // Every job went to the executor once, first turn, repeat 0.
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), N_TICKETS * N_VARIANTS);
    assert!(seen
        .iter()
        .all(|(_, _, repeat, turn)| *repeat == 0 && *turn == 0));

    // The journal: one line per job, with the scripted outcome.
    let records = journal(&out);
    assert_eq!(records.len(), N_TICKETS * N_VARIANTS);
    let count = |o: Outcome| records.iter().filter(|r| r.outcome == o).count();
    assert_eq!(count(Outcome::InvalidOutput), N_VARIANTS);
    assert_eq!(count(Outcome::Refusal), N_VARIANTS);
    assert_eq!(count(Outcome::Ok), (N_TICKETS - 2) * N_VARIANTS);

    // run.json: complete, and the accuracy is exactly the scripted rate (an invalid output
    // and a refusal are wrong answers, not skipped tickets).
    let doc = run_json(&out);
    assert_eq!(doc["status"], "complete");
    assert_eq!(doc["metrics"]["n_tickets"], N_TICKETS);
    let depts = department(&doc);
    assert_eq!(depts.len(), N_VARIANTS);
    for (name, label, outcomes) in &depts {
        assert_eq!(label["n"], N_TICKETS, "{name}");
        assert_eq!(label["correct"], n_gold() as u64, "{name}");
        assert_eq!(
            label["accuracy"].as_f64().unwrap(),
            n_gold() as f64 / N_TICKETS as f64,
            "{name}"
        );
        assert_eq!(outcomes["ok"], N_TICKETS - 2, "{name}");
        assert_eq!(outcomes["invalid_output"], 1, "{name}");
        assert_eq!(outcomes["refusal"], 1, "{name}");
    }

    // The summary the folder prints (what `verdict run` printed, re-graded from the folder).
    let report = std::process::Command::new(env!("CARGO_BIN_EXE_verdict"))
        .args(["report", out.to_str().unwrap(), "--quiet"])
        .env("CI", "1")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&report.stdout);
    assert!(report.status.success(), "{text}");
    let pct = format!("{:.1}%", 100.0 * n_gold() as f64 / N_TICKETS as f64);
    assert!(
        text.contains("local-char") && text.contains("local-word"),
        "{text}"
    );
    assert!(text.contains(&pct), "no {pct} in the summary:\n{text}");
}

#[test]
fn a_scripted_executor_that_stops_early_leaves_a_run_that_resume_finishes() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("run");
    // Stops in the middle of the second variant.
    let stop_after = N_TICKETS + 10;
    let (mut factory, seen) = ScriptedFactory::new(Some(stop_after));
    let err = verdict::app::run_with(
        &new_run(&out),
        Arc::new(AtomicBool::new(false)),
        &mut factory,
    )
    .unwrap_err();
    assert_eq!(err.exit_code(), Exit::RunFailed, "{err}");
    assert!(err.to_string().contains("--resume"), "{err}");
    let first: Vec<_> = seen.lock().unwrap().clone();
    assert_eq!(first.len(), stop_after);
    assert_eq!(journal(&out).len(), stop_after);
    assert_eq!(run_json(&out)["status"], "running");

    // The resume sends only the jobs the journal does not hold.
    let (mut factory, seen) = ScriptedFactory::new(None);
    let exit = verdict::app::run_with(
        &RunCommand {
            resume: Some(out.clone()),
            output: quiet_json(),
            ..RunCommand::default()
        },
        Arc::new(AtomicBool::new(false)),
        &mut factory,
    )
    .unwrap();
    assert_eq!(exit, Exit::Ok);
    let second: Vec<_> = seen.lock().unwrap().clone();
    assert_eq!(second.len(), N_TICKETS * N_VARIANTS - stop_after);
    for job in &second {
        assert!(!first.contains(job), "{job:?} was run twice");
    }
    let records = journal(&out);
    assert_eq!(records.len(), N_TICKETS * N_VARIANTS);
    let doc = run_json(&out);
    assert_eq!(doc["status"], "complete");
    for (name, label, _) in department(&doc) {
        assert_eq!(label["correct"], n_gold() as u64, "{name}");
    }
}

//! The benchmarks' generated journals are what `verdict run` writes: every line of
//! `bench/gen_scale.py --full` (the journals `bench/gate_scale.sh` times `compare` and `gate`
//! on) reads as a `PredictionRecord` and writes back byte for byte, with each field a run
//! journals present (so the benchmark's lines are as long, and as varied, as a real run's).

use std::collections::BTreeMap;
use std::process::Command;

use verdict::eval_log::{Outcome, PredictionRecord};

#[test]
fn gen_scale_full_lines_are_the_lines_verdict_run_writes() {
    let dir = tempfile::tempdir().unwrap();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/bench/gen_scale.py");
    let out = Command::new("python3")
        .arg(script)
        .args(["--tickets", "2000", "--variants", "2", "--classes", "7"])
        .args(["--seed", "3", "--full", "--only-predictions", "--out"])
        .arg(dir.path())
        .output()
        .expect("python3 runs bench/gen_scale.py (the benchmarks need it)");
    assert!(
        out.status.success(),
        "gen_scale.py failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(dir.path().join("predictions.jsonl")).unwrap();
    let mut outcomes: BTreeMap<&'static str, usize> = BTreeMap::new();
    let mut escaped = 0;
    for (i, line) in text.lines().enumerate() {
        let rec: PredictionRecord = serde_json::from_str(line)
            .unwrap_or_else(|e| panic!("line {}: not a prediction record: {e}", i + 1));
        assert_eq!(
            serde_json::to_string(&rec).unwrap(),
            line,
            "line {} does not write back as verdict writes it",
            i + 1
        );
        *outcomes.entry(rec.outcome.name()).or_default() += 1;
        // What a run journals for every response and request.
        assert!(rec.latency_e2e_ms.is_some() && rec.started_at_ms.is_some());
        assert!(rec.finished_at_ms >= rec.started_at_ms);
        assert!(rec.request_id.is_some() && rec.attempts.is_some());
        if rec.outcome == Outcome::ProviderError {
            assert!(rec.usage.is_none() && rec.stop_reason.is_none());
        } else {
            assert!(rec.usage.is_some() && rec.cost_usd.is_some() && rec.stop_reason.is_some());
        }
        if rec.outcome == Outcome::Ok {
            assert!(rec.error.is_none() && rec.confidence.is_some() && rec.raw.is_some());
        } else {
            assert!(rec.error.is_some() && rec.outputs.is_empty());
        }
        escaped += usize::from(line.contains("\\\""));
    }
    assert_eq!(outcomes.values().sum::<usize>(), 4000);
    for o in ["ok", "invalid_output", "no_tool_call", "provider_error"] {
        assert!(
            outcomes.get(o).copied().unwrap_or(0) > 0,
            "no {o} line: {outcomes:?}"
        );
    }
    // Invalid outputs quote the value in their message, as the runner's do: escapes in a
    // string, which the journal's fast reader hands to serde.
    assert_eq!(escaped, outcomes["invalid_output"]);
}

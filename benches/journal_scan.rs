//! Criterion benchmark of the journal scanner (`eval_log::scan_line_into`), the part of
//! `verdict compare`, `gate` and `score RUN` / `score --predictions` that reads each journal
//! line. Three shapes of line, 10,000 of each, seeded:
//! - `bench`: the lines `bench/gen_scale.py` writes (about 320 bytes, its key order);
//! - `llm`: a record of an LLM variant in `verdict run`'s key order (usage, request id, stop
//!   reason, timestamps: about 420 bytes);
//! - `local`: a record of a local variant as `verdict run` writes it (17-digit floats).
//!
//! Run: `cargo bench --bench journal_scan` (time per line = time per iteration / 10,000).

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::hint::black_box;
use verdict::eval_log::{scan_line_into, JournalLine};

const LINES: usize = 10_000;

fn lines(shape: &str) -> Vec<String> {
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    (0..LINES)
        .map(|i| {
            let intent = format!("intent_{}", rng.gen_range(0..77));
            let conf = f64::from(rng.gen_range(0..10_000u32)) / 10_000.0;
            let latency = f64::from(rng.gen_range(3_000..20_000u32)) / 10.0;
            let tokens = rng.gen_range(300..420);
            match shape {
                "bench" => format!(
                    r#"{{"v":1,"variant":"variant-1","ticket":"T{i:07}","repeat":0,"outcome":"ok","outputs":{{"intent":"{intent}"}},"confidence":{conf},"tool":"classify","raw":{{"intent":"{intent}","confidence":{conf}}},"latency_ms":{latency},"usage":{{"input_tokens":{tokens},"output_tokens":30}},"cost_usd":0.0004,"request_id":"req_0_{i}","attempts":1}}"#
                ),
                "llm" => {
                    let start = 1_795_777_005_951u64 + 40 * i as u64;
                    format!(
                        r#"{{"v":1,"variant":"variant-1","ticket":"T{i:07}","repeat":0,"outcome":"ok","outputs":{{"intent":"{intent}"}},"confidence":{conf},"tool":"classify","raw":{{"intent":"{intent}","confidence":{conf}}},"usage":{{"input_tokens":{tokens},"output_tokens":30}},"cost_usd":0.0006547,"latency_ms":{latency},"cached":false,"request_id":"req_011CVerhGDF8zogGbzC{i:05}","attempts":1,"error":null,"stop_reason":"tool_use","latency_e2e_ms":{e2e},"started_at_ms":{start},"finished_at_ms":{end}}}"#,
                        e2e = latency + 12.25,
                        end = start + 600,
                    )
                }
                _ => {
                    let p: f64 = rng.gen();
                    format!(
                        r#"{{"v":1,"variant":"tfidf-word-char","ticket":"row-{i}","repeat":0,"outcome":"ok","outputs":{{"intent":"{intent}"}},"confidence":{p},"tool":null,"raw":{{"intent":{{"value":"{intent}","probability":{p}}}}},"usage":null,"cost_usd":0.0,"latency_ms":0.5493595766233766,"cached":false,"request_id":null,"attempts":null,"error":null,"latency_e2e_ms":0.5493595766233766,"started_at_ms":1795777005951,"finished_at_ms":1795777007643}}"#
                    )
                }
            }
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("journal_scan");
    for shape in ["bench", "llm", "local"] {
        let lines = lines(shape);
        // Every line takes the fast path (otherwise this would time the give-up).
        let mut out = JournalLine::blank();
        assert!(lines.iter().all(|l| scan_line_into(l, &mut out)), "{shape}");
        let bytes: usize = lines.iter().map(String::len).sum();
        g.throughput(Throughput::Bytes(bytes as u64));
        g.bench_function(shape, |b| {
            b.iter(|| {
                let mut out = JournalLine::blank();
                for l in &lines {
                    black_box(scan_line_into(black_box(l), &mut out));
                }
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

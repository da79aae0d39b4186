//! All metrics and statistics for 1,000,000 tickets x 3 variants: single
//! label (K = 5) with calibration and routing per variant, 1,000-resample
//! bootstrap intervals for accuracy and macro F1, and every pairwise test.
//! Prints the wall time of the metrics (data generation excluded).
//!
//! `/usr/bin/time -v cargo run --release --example metrics_1m` also gives
//! the peak RSS.

use std::time::Instant;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Beta, Distribution};
use verdict::metrics::{calibration, routing, ConfusionMatrix, RoutingPolicy};
use verdict::stats::{compare_variants, CompareConfig, VariantInput};

const N: usize = 1_000_000;
const K: usize = 5;
const VARIANTS: usize = 3;

struct Variant {
    pred: Vec<Option<u32>>,
    conf: Vec<Option<f64>>,
    correct: Vec<bool>,
}

fn main() {
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let beta = Beta::new(5.0, 1.5).unwrap();
    let gold: Vec<u32> = (0..N).map(|_| rng.gen_range(0..K as u32)).collect();
    let variants: Vec<Variant> = (0..VARIANTS)
        .map(|v| {
            let pred: Vec<Option<u32>> = gold
                .iter()
                .map(|&g| {
                    let u: f64 = rng.gen();
                    if u < 0.01 {
                        None
                    } else if u < 0.8 + 0.02 * v as f64 {
                        Some(g)
                    } else {
                        Some(rng.gen_range(0..K as u32))
                    }
                })
                .collect();
            let conf = (0..N).map(|_| Some(beta.sample(&mut rng))).collect();
            let correct = pred
                .iter()
                .zip(&gold)
                .map(|(p, g)| *p == Some(*g))
                .collect();
            Variant {
                pred,
                conf,
                correct,
            }
        })
        .collect();

    let t0 = Instant::now();
    let policy = RoutingPolicy::default();
    let mut cms = Vec::new();
    for v in &variants {
        let cm = ConfusionMatrix::from_labels(&gold, &v.pred, K);
        let report = cm.report().unwrap();
        let cal = calibration(&v.conf, &v.correct, 10).unwrap();
        let route = routing(&v.conf, &v.correct, &policy).unwrap();
        std::hint::black_box((&report, &cal, &route));
        cms.push(cm);
    }
    let t_metrics = t0.elapsed();
    let names = ["A", "B", "C"];
    let inputs: Vec<VariantInput> = variants
        .iter()
        .zip(&cms)
        .zip(names)
        .map(|((v, cm), name)| VariantInput {
            name,
            correct: &v.correct,
            confusion: Some(cm),
        })
        .collect();
    let cmp = compare_variants(&inputs, &CompareConfig::default()).unwrap();
    let total = t0.elapsed();
    for p in &cmp.pairs {
        println!("{}", p.verdict);
    }
    println!(
        "metrics (confusion, calibration, routing): {:.3} s; statistics: {:.3} s; total: {:.3} s for {N} tickets x {VARIANTS} variants",
        t_metrics.as_secs_f64(),
        (total - t_metrics).as_secs_f64(),
        total.as_secs_f64()
    );
}

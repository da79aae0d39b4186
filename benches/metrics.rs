//! Criterion benchmarks of the metrics and statistics on 1,000,000 tickets
//! (K = 5). Run: `cargo bench --bench metrics`.

use criterion::{criterion_group, criterion_main, Criterion};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Beta, Distribution};
use std::hint::black_box;
use verdict::metrics::{calibration, routing, ConfusionMatrix, RoutingPolicy};
use verdict::stats::{
    bootstrap_accuracy, bootstrap_macro_f1, compare_variants, BootstrapConfig, CompareConfig,
    VariantInput,
};

const N: usize = 1_000_000;
const K: usize = 5;

struct Data {
    gold: Vec<u32>,
    preds: Vec<Vec<Option<u32>>>,
    confs: Vec<Vec<Option<f64>>>,
    corrects: Vec<Vec<bool>>,
}

fn data() -> Data {
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let beta = Beta::new(5.0, 1.5).unwrap();
    let gold: Vec<u32> = (0..N).map(|_| rng.gen_range(0..K as u32)).collect();
    let (mut preds, mut confs, mut corrects) = (vec![], vec![], vec![]);
    for v in 0..3 {
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
        confs.push((0..N).map(|_| Some(beta.sample(&mut rng))).collect());
        corrects.push(
            pred.iter()
                .zip(&gold)
                .map(|(p, g)| *p == Some(*g))
                .collect(),
        );
        preds.push(pred);
    }
    Data {
        gold,
        preds,
        confs,
        corrects,
    }
}

fn bench(c: &mut Criterion) {
    let d = data();
    let mut g = c.benchmark_group("1M_tickets");
    g.sample_size(10);
    g.bench_function("single_label_report", |b| {
        b.iter(|| ConfusionMatrix::from_labels(&d.gold, &d.preds[0], K).report())
    });
    g.bench_function("calibration_10_bins", |b| {
        b.iter(|| calibration(black_box(&d.confs[0]), &d.corrects[0], 10))
    });
    g.bench_function("routing", |b| {
        b.iter(|| {
            routing(
                black_box(&d.confs[0]),
                &d.corrects[0],
                &RoutingPolicy::default(),
            )
        })
    });
    let cms: Vec<ConfusionMatrix> = d
        .preds
        .iter()
        .map(|p| ConfusionMatrix::from_labels(&d.gold, p, K))
        .collect();
    let cfg = BootstrapConfig::default();
    g.bench_function("bootstrap_accuracy_1000", |b| {
        b.iter(|| bootstrap_accuracy(black_box(800_000), N as u64, &cfg, 0))
    });
    g.bench_function("bootstrap_macro_f1_1000", |b| {
        b.iter(|| bootstrap_macro_f1(black_box(&cms[0]), &cfg, 1))
    });
    let inputs: Vec<VariantInput> = ["A", "B", "C"]
        .iter()
        .enumerate()
        .map(|(i, name)| VariantInput {
            name,
            correct: &d.corrects[i],
            confusion: Some(&cms[i]),
        })
        .collect();
    g.bench_function("compare_3_variants", |b| {
        b.iter(|| compare_variants(black_box(&inputs), &CompareConfig::default()))
    });
    g.bench_function("everything_3_variants", |b| {
        b.iter(|| {
            let policy = RoutingPolicy::default();
            let mut cms = Vec::new();
            for v in 0..3 {
                let cm = ConfusionMatrix::from_labels(&d.gold, &d.preds[v], K);
                black_box(cm.report());
                black_box(calibration(&d.confs[v], &d.corrects[v], 10));
                black_box(routing(&d.confs[v], &d.corrects[v], &policy));
                cms.push(cm);
            }
            let inputs: Vec<VariantInput> = (0..3)
                .map(|v| VariantInput {
                    name: "v",
                    correct: &d.corrects[v],
                    confusion: Some(&cms[v]),
                })
                .collect();
            compare_variants(&inputs, &CompareConfig::default())
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

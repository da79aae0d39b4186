//! Trains the local classifier on Banking77 (`evals/banking77/train.csv`), predicts
//! `evals/banking77/test.csv`, and prints accuracy, macro F1, a calibration figure and
//! the train + predict wall time.
//!
//! `cargo run --release --example banking77_local [-- CONFIG]`, where CONFIG is
//! `default`, `fast`, or `FEATURES:MODEL:C[:sublinear]` such as `word_1_2+char_wb_2_5:svm:1`.

use std::collections::BTreeMap;
use std::time::Instant;

use verdict::classifier::{LocalConfig, TextClassifier};

fn read(path: &str) -> (Vec<String>, Vec<String>) {
    let mut rdr = csv::Reader::from_path(path).expect("open csv");
    let (mut texts, mut cats) = (Vec::new(), Vec::new());
    for rec in rdr.records() {
        let rec = rec.expect("csv record");
        texts.push(rec[0].to_string());
        cats.push(rec[1].to_string());
    }
    (texts, cats)
}

fn parse_config(arg: &str) -> LocalConfig {
    match arg {
        "default" => LocalConfig::default(),
        "fast" => LocalConfig::fast(),
        _ => {
            let parts: Vec<&str> = arg.split(':').collect();
            let mut cfg = LocalConfig {
                features: parts[0].split('+').map(|f| f.parse().unwrap()).collect(),
                ..LocalConfig::default()
            };
            if let Some(m) = parts.get(1) {
                cfg.model = m.parse().unwrap();
            }
            if let Some(c) = parts.get(2) {
                cfg.c = c.parse().unwrap();
            }
            if let Some(s) = parts.get(3) {
                cfg.sublinear_tf = *s == "sublinear";
            }
            if let Some(t) = parts.get(4) {
                cfg.tol = t.parse().unwrap();
            }
            if let Some(h) = parts.get(5) {
                cfg.calibration_holdout = h.parse().unwrap();
            }
            cfg
        }
    }
}

fn main() {
    let arg = std::env::args().nth(1).unwrap_or_else(|| "default".into());
    let cfg = parse_config(&arg);
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/evals/banking77");
    let (train_texts, train_cats) = read(&format!("{dir}/train.csv"));
    let (test_texts, test_cats) = read(&format!("{dir}/test.csv"));
    let names: Vec<String> = serde_json::from_str(
        &std::fs::read_to_string(format!("{dir}/categories.json")).expect("categories.json"),
    )
    .expect("categories json");
    let index: BTreeMap<&str, usize> = names
        .iter()
        .enumerate()
        .map(|(i, n)| (n.as_str(), i))
        .collect();
    let y_train: Vec<usize> = train_cats.iter().map(|c| index[c.as_str()]).collect();
    let y_test: Vec<usize> = test_cats.iter().map(|c| index[c.as_str()]).collect();
    let train_refs: Vec<&str> = train_texts.iter().map(String::as_str).collect();
    let test_refs: Vec<&str> = test_texts.iter().map(String::as_str).collect();

    let start = Instant::now();
    let model = TextClassifier::train(&train_refs, &y_train, names.len(), &cfg).expect("train");
    let trained = start.elapsed();
    let pred = model.predict(&test_refs);
    let total = start.elapsed();

    let k = names.len();
    let (mut tp, mut fp, mut fnn) = (vec![0usize; k], vec![0usize; k], vec![0usize; k]);
    let mut correct = 0;
    let mut nll = 0.0;
    let proba = model.predict_proba(&test_refs);
    for ((&(p, _), &y), pr) in pred.iter().zip(&y_test).zip(&proba) {
        if p == y {
            correct += 1;
            tp[y] += 1;
        } else {
            fp[p] += 1;
            fnn[y] += 1;
        }
        nll -= pr[y].max(1e-15).ln();
    }
    let f1: f64 = (0..k)
        .map(|c| {
            let d = 2 * tp[c] + fp[c] + fnn[c];
            if d == 0 {
                0.0
            } else {
                2.0 * tp[c] as f64 / d as f64
            }
        })
        .sum::<f64>()
        / k as f64;
    // Expected calibration error over 10 equal-width confidence bins.
    let mut bins = vec![(0usize, 0.0f64, 0.0f64); 10];
    for (&(p, conf), &y) in pred.iter().zip(&y_test) {
        let b = ((conf * 10.0) as usize).min(9);
        bins[b].0 += 1;
        bins[b].1 += conf;
        bins[b].2 += if p == y { 1.0 } else { 0.0 };
    }
    let n = y_test.len() as f64;
    let ece: f64 = bins
        .iter()
        .map(|&(_, conf, acc)| (conf - acc).abs())
        .sum::<f64>()
        / n;
    println!(
        "config: {arg} ({} features, temperature {:.4})",
        model.n_features(),
        model.temperature()
    );
    println!(
        "accuracy {:.4}  macro F1 {:.4}  log loss {:.4}  ECE {:.4}  train {:.2} s  train+predict {:.2} s",
        correct as f64 / n,
        f1,
        nll / n,
        ece,
        trained.as_secs_f64(),
        total.as_secs_f64()
    );
}

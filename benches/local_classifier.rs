//! Criterion benchmark of the local classifier: train + predict on the full Banking77
//! split (10,003 train / 3,080 test texts), for the default and the fast preset.
//! `cargo bench --bench local_classifier`

use criterion::{criterion_group, criterion_main, Criterion};
use verdict::classifier::{LocalConfig, TextClassifier};

fn read(file: &str) -> (Vec<String>, Vec<String>) {
    let path = format!("{}/evals/banking77/{file}", env!("CARGO_MANIFEST_DIR"));
    let mut rdr = csv::Reader::from_path(path).unwrap();
    let (mut texts, mut cats) = (Vec::new(), Vec::new());
    for rec in rdr.records() {
        let rec = rec.unwrap();
        texts.push(rec[0].to_string());
        cats.push(rec[1].to_string());
    }
    (texts, cats)
}

fn bench(c: &mut Criterion) {
    let (train, train_cats) = read("train.csv");
    let (test, _) = read("test.csv");
    let mut names: Vec<&str> = train_cats.iter().map(String::as_str).collect();
    names.sort_unstable();
    names.dedup();
    let labels: Vec<usize> = train_cats
        .iter()
        .map(|c| names.binary_search(&c.as_str()).unwrap())
        .collect();
    let train: Vec<&str> = train.iter().map(String::as_str).collect();
    let test: Vec<&str> = test.iter().map(String::as_str).collect();
    let mut group = c.benchmark_group("banking77_train_predict");
    group.sample_size(10);
    for (name, cfg) in [
        ("default", LocalConfig::default()),
        ("fast", LocalConfig::fast()),
    ] {
        group.bench_function(name, |b| {
            b.iter(|| {
                let clf = TextClassifier::train(&train, &labels, names.len(), &cfg).unwrap();
                clf.predict(&test)
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

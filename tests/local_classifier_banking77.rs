//! Trains the local classifier on a slice of Banking77 (fast enough for debug builds)
//! and checks a floor on accuracy, calibrated probabilities and determinism.

use std::collections::BTreeMap;

use verdict::classifier::{LocalConfig, TextClassifier};

struct Split {
    texts: Vec<String>,
    labels: Vec<usize>,
}

fn load(file: &str, names: &BTreeMap<String, usize>) -> Split {
    let path = format!("{}/evals/banking77/{file}", env!("CARGO_MANIFEST_DIR"));
    let mut rdr = csv::Reader::from_path(path).unwrap();
    let (mut texts, mut labels) = (Vec::new(), Vec::new());
    for rec in rdr.records() {
        let rec = rec.unwrap();
        texts.push(rec[0].to_string());
        labels.push(names[&rec[1]]);
    }
    Split { texts, labels }
}

fn categories() -> BTreeMap<String, usize> {
    let path = format!(
        "{}/evals/banking77/categories.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let names: Vec<String> = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    names.into_iter().enumerate().map(|(i, n)| (n, i)).collect()
}

#[test]
fn classifier_banking77_subset_accuracy_and_determinism() {
    let names = categories();
    assert_eq!(names.len(), 77);
    let train = load("train.csv", &names);
    let test = load("test.csv", &names);
    // Every 4th training row (~2,500) and every 5th test row (616).
    let tr: Vec<usize> = (0..train.texts.len()).step_by(4).collect();
    let te: Vec<usize> = (0..test.texts.len()).step_by(5).collect();
    let tr_texts: Vec<&str> = tr.iter().map(|&i| train.texts[i].as_str()).collect();
    let tr_labels: Vec<usize> = tr.iter().map(|&i| train.labels[i]).collect();
    let te_texts: Vec<&str> = te.iter().map(|&i| test.texts[i].as_str()).collect();
    let te_labels: Vec<usize> = te.iter().map(|&i| test.labels[i]).collect();

    let cfg = LocalConfig::fast();
    let clf = TextClassifier::train(&tr_texts, &tr_labels, 77, &cfg).unwrap();
    let pred = clf.predict(&te_texts);
    let correct = pred
        .iter()
        .zip(&te_labels)
        .filter(|(p, y)| p.0 == **y)
        .count();
    let acc = correct as f64 / te_labels.len() as f64;
    println!("subset accuracy {acc:.4}");
    // Full-data accuracy is ~0.89; a quarter of the data gives ~0.8.
    assert!(acc > 0.72, "accuracy {acc}");
    // Confidence is a probability, and not wildly off on average.
    let mean_conf = pred.iter().map(|p| p.1).sum::<f64>() / pred.len() as f64;
    assert!(pred.iter().all(|p| (0.0..=1.0).contains(&p.1)));
    assert!(
        (mean_conf - acc).abs() < 0.15,
        "mean confidence {mean_conf} vs accuracy {acc}"
    );

    // Same output, bit for bit, when trained and run again on a single thread.
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    let again = pool.install(|| {
        TextClassifier::train(&tr_texts, &tr_labels, 77, &cfg)
            .unwrap()
            .predict(&te_texts)
    });
    let bits = |p: &[(usize, f64)]| p.iter().map(|(k, c)| (*k, c.to_bits())).collect::<Vec<_>>();
    assert_eq!(bits(&pred), bits(&again));
}

//! Unit tests of the public classifier API: config parsing, errors, determinism,
//! probabilities, and tiny datasets that must be learned exactly.
use super::*;

fn toy() -> (Vec<&'static str>, Vec<usize>) {
    let texts = vec![
        "my card has not arrived yet",
        "when will my new card arrive",
        "card still not delivered",
        "I want to top up my account",
        "how do I top up with a bank transfer",
        "top up failed again",
        "what is the exchange rate for euros",
        "exchange rate for dollars today",
        "which exchange rate do you use",
    ];
    let labels = vec![0, 0, 0, 1, 1, 1, 2, 2, 2];
    (texts, labels)
}

fn no_holdout(cfg: LocalConfig) -> LocalConfig {
    LocalConfig {
        calibration_holdout: 0.0,
        temperature: 0.2,
        ..cfg
    }
}

#[test]
fn feature_spec_parses_and_round_trips() {
    for s in ["word_1_2", "char_wb_2_5", "word_3_3"] {
        let f: FeatureSpec = s.parse().unwrap();
        assert_eq!(f.to_string(), s);
    }
    assert_eq!(
        "char_2_5".parse::<FeatureSpec>().unwrap(),
        FeatureSpec::CharWb { min_n: 2, max_n: 5 }
    );
    assert_eq!(
        "word_1_2".parse::<FeatureSpec>().unwrap(),
        FeatureSpec::Word { min_n: 1, max_n: 2 }
    );
    for bad in [
        "word",
        "word_2_1",
        "word_0_2",
        "char_wb_x_5",
        "bigram_1_2",
        "word_1_2_3",
    ] {
        let err = bad.parse::<FeatureSpec>().unwrap_err();
        assert!(
            err.contains("word_MIN_MAX") && err.contains("char_wb_MIN_MAX"),
            "{err}"
        );
    }
}

#[test]
fn model_kind_parses_and_round_trips() {
    for s in ["logistic", "svm"] {
        assert_eq!(s.parse::<ModelKind>().unwrap().to_string(), s);
    }
    assert!("tree"
        .parse::<ModelKind>()
        .unwrap_err()
        .contains("logistic"));
}

#[test]
fn config_deserialises_from_strings() {
    let cfg: LocalConfig = serde_json::from_str(
        r#"{"features": ["word_1_1", "char_3_4"], "model": "logistic", "c": 4}"#,
    )
    .unwrap();
    assert_eq!(cfg.features[1], FeatureSpec::CharWb { min_n: 3, max_n: 4 });
    assert_eq!(cfg.model, ModelKind::Logistic);
    assert_eq!(cfg.c, 4.0);
    assert_eq!(cfg.min_df, LocalConfig::default().min_df);
    assert!(serde_json::from_str::<LocalConfig>(r#"{"features": ["words"]}"#).is_err());
}

#[test]
fn bad_training_input_is_an_error() {
    let cfg = LocalConfig::default();
    let (texts, labels) = toy();
    assert!(TextClassifier::train(&[], &[], 3, &cfg)
        .unwrap_err()
        .contains("empty"));
    assert!(TextClassifier::train(&texts, &labels[..4], 3, &cfg)
        .unwrap_err()
        .contains("labels"));
    let mut out_of_range = labels.clone();
    out_of_range[2] = 3;
    assert!(TextClassifier::train(&texts, &out_of_range, 3, &cfg)
        .unwrap_err()
        .contains("out of range"));
    assert!(TextClassifier::train(&texts, &labels, 1, &cfg).is_err());
    let no_words = TextClassifier::train(&["a", "b ?", "!"], &[0, 1, 1], 2, &LocalConfig::fast());
    assert!(no_words.unwrap_err().contains("no features"));
    let too_rare = LocalConfig {
        min_df: 100,
        ..cfg.clone()
    };
    assert!(TextClassifier::train(&texts, &labels, 3, &too_rare).is_err());
    for bad in [
        LocalConfig {
            c: 0.0,
            ..cfg.clone()
        },
        LocalConfig {
            c: f64::NAN,
            ..cfg.clone()
        },
        LocalConfig {
            features: vec![],
            ..cfg.clone()
        },
        LocalConfig {
            features: vec![FeatureSpec::Word { min_n: 2, max_n: 1 }],
            ..cfg.clone()
        },
        LocalConfig {
            max_iter: 0,
            ..cfg.clone()
        },
        LocalConfig {
            tol: -1.0,
            ..cfg.clone()
        },
        LocalConfig {
            calibration_holdout: 1.0,
            ..cfg.clone()
        },
        LocalConfig {
            temperature: 0.0,
            ..cfg.clone()
        },
    ] {
        assert!(
            TextClassifier::train(&texts, &labels, 3, &bad).is_err(),
            "{bad:?}"
        );
    }
}

#[test]
fn tiny_separable_dataset_is_learned_perfectly() {
    let (texts, labels) = toy();
    for model in [ModelKind::Svm, ModelKind::Logistic] {
        for base in [LocalConfig::default(), LocalConfig::fast()] {
            let cfg = LocalConfig {
                model,
                c: 10.0,
                ..base
            };
            let clf = TextClassifier::train(&texts, &labels, 3, &cfg).unwrap();
            let pred = clf.predict(&texts);
            let got: Vec<usize> = pred.iter().map(|p| p.0).collect();
            assert_eq!(got, labels, "{model}");
            let new = clf.predict(&["my card never arrived", "top up please", "exchange rate?"]);
            assert_eq!(
                new.iter().map(|p| p.0).collect::<Vec<_>>(),
                vec![0, 1, 2],
                "{model}"
            );
        }
    }
}

#[test]
fn probabilities_sum_to_one_and_match_predict() {
    let (texts, labels) = toy();
    for cfg in [LocalConfig::default(), no_holdout(LocalConfig::default())] {
        let clf = TextClassifier::train(&texts, &labels, 5, &cfg).unwrap();
        let queries = ["card", "top up", "rate", "", "zzz unknown words"];
        let proba = clf.predict_proba(&queries);
        let pred = clf.predict(&queries);
        for (p, &(k, conf)) in proba.iter().zip(&pred) {
            assert_eq!(p.len(), 5);
            assert!((p.iter().sum::<f64>() - 1.0).abs() < 1e-9);
            assert!(p.iter().all(|&v| (0.0..=1.0).contains(&v)));
            // Classes 3 and 4 had no examples: never predicted, probability 0.
            assert_eq!(p[3], 0.0);
            assert_eq!(p[4], 0.0);
            assert!(k < 3);
            assert_eq!(conf, p[k]);
        }
    }
}

#[test]
fn two_class_case() {
    let texts = [
        "this is urgent please help now",
        "urgent: account locked",
        "very urgent issue with payment",
        "just a general question",
        "thanks, no rush",
        "a question about fees when you have time",
    ];
    let labels = [1, 1, 1, 0, 0, 0];
    for model in [ModelKind::Svm, ModelKind::Logistic] {
        let cfg = no_holdout(LocalConfig {
            model,
            ..LocalConfig::default()
        });
        let clf = TextClassifier::train(&texts, &labels, 2, &cfg).unwrap();
        let pred = clf.predict(&texts);
        assert_eq!(pred.iter().map(|p| p.0).collect::<Vec<_>>(), labels);
        let p = clf.predict_proba(&["urgent help"]);
        assert!(p[0][1] > 0.5 && (p[0][0] + p[0][1] - 1.0).abs() < 1e-12);
        let d = clf.decision_function(&["urgent help"]);
        assert_eq!(d[0][0], -d[0][1]);
    }
    // With the holdout fit (default) the binary case also works.
    let clf = TextClassifier::train(&texts, &labels, 2, &LocalConfig::default()).unwrap();
    assert_eq!(clf.predict(&["urgent"])[0].0, 1);
}

#[test]
fn single_present_class_is_always_predicted() {
    let clf =
        TextClassifier::train(&["a text", "another"], &[1, 1], 3, &LocalConfig::default()).unwrap();
    assert_eq!(clf.predict(&["anything"]), vec![(1, 1.0)]);
}

#[test]
fn training_is_deterministic_across_thread_counts() {
    let (texts, labels) = toy();
    let run = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| {
            let clf = TextClassifier::train(&texts, &labels, 3, &LocalConfig::default()).unwrap();
            clf.predict_proba(&["card top up rate", "exchange my card"])
        })
    };
    let one = run(1);
    let four = run(4);
    let bits =
        |v: &Vec<Vec<f64>>| -> Vec<u64> { v.iter().flatten().map(|x| x.to_bits()).collect() };
    assert_eq!(bits(&one), bits(&four));
    assert_eq!(bits(&one), bits(&run(1)));
}

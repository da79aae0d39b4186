//! The built-in offline text classifier behind `provider: local`.
//!
//! A linear model over TF-IDF word and character n-grams, trained on labeled
//! examples: texts are vectorised like scikit-learn's `TfidfVectorizer` (one block per
//! [`FeatureSpec`], each l2-normalised), then one binary model per class (one-vs-rest)
//! is fitted by liblinear-style dual coordinate descent ([`ModelKind::Svm`]: L2-loss
//! SVM, [`ModelKind::Logistic`]: logistic regression), in parallel over classes.
//! Probabilities are a softmax over the per-class decision values with a temperature
//! fitted on a held-out slice of the training set (or fixed in the config), so the
//! reported confidence is a calibrated probability rather than a raw margin.
//!
//! Everything is deterministic: the same texts, labels and config give bit-identical
//! models and outputs whatever the number of threads.

mod calibrate;
mod solver;
mod text;
mod tfidf;

use std::fmt;
use std::str::FromStr;

use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use self::solver::Binary;
use self::tfidf::{Csr, Vectorizer};

/// One block of n-gram features.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum FeatureSpec {
    /// Word n-grams of `min_n..=max_n` tokens; tokens are runs of two or more word
    /// characters (scikit-learn's `analyzer="word"`). Written `word_MIN_MAX`.
    Word {
        /// Shortest n-gram, in tokens (>= 1).
        min_n: usize,
        /// Longest n-gram, in tokens (>= `min_n`).
        max_n: usize,
    },
    /// Character n-grams of `min_n..=max_n` characters taken inside words padded with
    /// a space on each side (scikit-learn's `analyzer="char_wb"`). Written
    /// `char_wb_MIN_MAX` (or `char_MIN_MAX`).
    CharWb {
        /// Shortest n-gram, in characters (>= 1).
        min_n: usize,
        /// Longest n-gram, in characters (>= `min_n`).
        max_n: usize,
    },
}

const FEATURE_FORMS: &str =
    "expected word_MIN_MAX, char_wb_MIN_MAX or char_MIN_MAX with 1 <= MIN <= MAX (e.g. word_1_2, char_wb_2_5)";

impl FromStr for FeatureSpec {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let t = s.trim().to_ascii_lowercase();
        let (kind, rest) = if let Some(r) = t.strip_prefix("word_") {
            ("word", r)
        } else if let Some(r) = t.strip_prefix("char_wb_") {
            ("char", r)
        } else if let Some(r) = t.strip_prefix("char_") {
            ("char", r)
        } else {
            return Err(format!("invalid feature spec `{s}`: {FEATURE_FORMS}"));
        };
        let bounds: Vec<Option<usize>> = rest.split('_').map(|p| p.parse().ok()).collect();
        match bounds.as_slice() {
            [Some(min_n), Some(max_n)] if *min_n >= 1 && min_n <= max_n => Ok(if kind == "word" {
                FeatureSpec::Word {
                    min_n: *min_n,
                    max_n: *max_n,
                }
            } else {
                FeatureSpec::CharWb {
                    min_n: *min_n,
                    max_n: *max_n,
                }
            }),
            _ => Err(format!("invalid feature spec `{s}`: {FEATURE_FORMS}")),
        }
    }
}

impl fmt::Display for FeatureSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FeatureSpec::Word { min_n, max_n } => write!(f, "word_{min_n}_{max_n}"),
            FeatureSpec::CharWb { min_n, max_n } => write!(f, "char_wb_{min_n}_{max_n}"),
        }
    }
}

impl TryFrom<String> for FeatureSpec {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        s.parse()
    }
}

impl From<FeatureSpec> for String {
    fn from(f: FeatureSpec) -> String {
        f.to_string()
    }
}

impl FeatureSpec {
    fn bounds(&self) -> (usize, usize) {
        match *self {
            FeatureSpec::Word { min_n, max_n } | FeatureSpec::CharWb { min_n, max_n } => {
                (min_n, max_n)
            }
        }
    }
}

/// Which binary linear model is fitted per class.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum ModelKind {
    /// L2-regularised logistic regression (liblinear `-s 7`). Written `logistic`.
    Logistic,
    /// L2-regularised L2-loss linear SVM (liblinear `-s 1`, scikit-learn's
    /// `LinearSVC`). Written `svm`.
    Svm,
}

impl FromStr for ModelKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "logistic" => Ok(ModelKind::Logistic),
            "svm" => Ok(ModelKind::Svm),
            _ => Err(format!("invalid model `{s}`: expected `logistic` or `svm`")),
        }
    }
}

impl fmt::Display for ModelKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ModelKind::Logistic => "logistic",
            ModelKind::Svm => "svm",
        })
    }
}

impl TryFrom<String> for ModelKind {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        s.parse()
    }
}

impl From<ModelKind> for String {
    fn from(m: ModelKind) -> String {
        m.to_string()
    }
}

/// Whether any of `texts` yields at least one n-gram of any of `specs`: without one,
/// [`TextClassifier::train`] fails ("the training texts yield no features"). Cheap (stops at
/// the first n-gram), so the config loader can check it before a run starts.
pub fn yields_features(texts: &[&str], specs: &[FeatureSpec]) -> bool {
    let mut buf = String::new();
    texts.iter().any(|t| {
        let lowered = text::preprocess(t);
        specs.iter().any(|spec| {
            let mut any = false;
            text::visit_ngrams(spec, &lowered, &mut buf, &mut |_| any = true);
            any
        })
    })
}

/// Settings of the local classifier: features, model and regularisation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct LocalConfig {
    /// Feature blocks, each TF-IDF weighted and l2-normalised on its own.
    pub features: Vec<FeatureSpec>,
    /// Inverse regularisation strength (larger fits the training set more closely).
    pub c: f64,
    /// The per-class binary model.
    pub model: ModelKind,
    /// Use `1 + ln(tf)` instead of the raw term count.
    pub sublinear_tf: bool,
    /// Drop terms found in fewer than this many training texts.
    pub min_df: usize,
    /// Most passes of coordinate descent per class.
    pub max_iter: usize,
    /// Stopping tolerance of coordinate descent (liblinear's `eps`).
    pub tol: f64,
    /// Fraction of the training set (stratified) held out to fit the softmax
    /// temperature, before the final model is trained on everything. `0` skips the
    /// fit and uses `temperature`.
    pub calibration_holdout: f64,
    /// Softmax temperature used when `calibration_holdout` is 0.
    pub temperature: f64,
    /// Seed of the coordinate order and of the held-out split.
    pub seed: u64,
}

impl Default for LocalConfig {
    /// Word 1-2 + char_wb 2-5 grams, linear SVM with `c = 0.5`, raw tf, temperature
    /// fitted on a 20% holdout: the most accurate preset found on Banking77.
    fn default() -> Self {
        LocalConfig {
            features: vec![
                FeatureSpec::Word { min_n: 1, max_n: 2 },
                FeatureSpec::CharWb { min_n: 2, max_n: 5 },
            ],
            c: 0.5,
            model: ModelKind::Svm,
            sublinear_tf: false,
            min_df: 1,
            max_iter: 1000,
            tol: 0.1,
            calibration_holdout: 0.2,
            temperature: 0.1,
            seed: 0,
        }
    }
}

impl LocalConfig {
    /// A faster, somewhat less accurate preset: word 1-2 grams only, `c = 1`.
    pub fn fast() -> Self {
        LocalConfig {
            features: vec![FeatureSpec::Word { min_n: 1, max_n: 2 }],
            c: 1.0,
            ..LocalConfig::default()
        }
    }

    /// Checks every field, returning a message naming the first bad one.
    pub fn validate(&self) -> Result<(), String> {
        if self.features.is_empty() {
            return Err("local classifier: `features` must list at least one feature spec".into());
        }
        for f in &self.features {
            let (a, b) = f.bounds();
            if a == 0 || a > b {
                return Err(format!(
                    "local classifier: invalid feature spec `{f}`: {FEATURE_FORMS}"
                ));
            }
        }
        if !(self.c.is_finite() && self.c > 0.0) {
            return Err(format!(
                "local classifier: `c` must be a positive number, got {}",
                self.c
            ));
        }
        if !(self.tol.is_finite() && self.tol > 0.0) {
            return Err(format!(
                "local classifier: `tol` must be a positive number, got {}",
                self.tol
            ));
        }
        if self.max_iter == 0 {
            return Err("local classifier: `max_iter` must be at least 1".into());
        }
        if !(0.0..0.9).contains(&self.calibration_holdout) {
            return Err(format!(
                "local classifier: `calibration_holdout` must be in [0, 0.9), got {}",
                self.calibration_holdout
            ));
        }
        if !(self.temperature.is_finite() && self.temperature > 0.0) {
            return Err(format!(
                "local classifier: `temperature` must be a positive number, got {}",
                self.temperature
            ));
        }
        Ok(())
    }
}

/// The linear part: one binary model per class (or a single one for two classes).
#[derive(Debug, Clone)]
struct Linear {
    /// Classes that had training examples, ascending.
    active: Vec<usize>,
    /// Feature-major weights: `weights[j * n_models + m]`.
    weights: Vec<f64>,
    biases: Vec<f64>,
}

impl Linear {
    fn n_models(&self) -> usize {
        self.biases.len()
    }

    /// Fits one binary model per target class. `init[m]`, when given, warm-starts the
    /// model of target `m` (dual variables per row of `x`). Also returns each model's
    /// dual variables.
    fn fit(
        x: &Csr,
        labels: &[usize],
        active: &[usize],
        cfg: &LocalConfig,
        init: Option<&[Vec<f64>]>,
    ) -> (Linear, Vec<Vec<f64>>) {
        let targets: Vec<usize> = match active.len() {
            0 | 1 => Vec::new(),
            2 => vec![active[1]],
            _ => active.to_vec(),
        };
        let init = init.filter(|v| v.len() == targets.len());
        let models: Vec<Binary> = solver::with_rows(x, |rows| {
            targets
                .par_iter()
                .enumerate()
                .map(|(m, &k)| {
                    let y: Vec<f64> = labels
                        .iter()
                        .map(|&l| if l == k { 1.0 } else { -1.0 })
                        .collect();
                    let seed = cfg
                        .seed
                        .wrapping_mul(0x9E37_79B9_7F4A_7C15)
                        .wrapping_add(k as u64);
                    let init = init.map(|v| v[m].as_slice());
                    match cfg.model {
                        ModelKind::Svm => rows.l2svm(&y, cfg.c, cfg.tol, cfg.max_iter, seed, init),
                        ModelKind::Logistic => {
                            rows.logistic(&y, cfg.c, cfg.tol, cfg.max_iter, seed, init)
                        }
                    }
                })
                .collect()
        });
        let m = models.len();
        let mut weights = vec![0.0; x.n_cols * m];
        for (k, model) in models.iter().enumerate() {
            for (j, &v) in model.w.iter().enumerate() {
                weights[j * m + k] = v;
            }
        }
        let linear = Linear {
            active: active.to_vec(),
            weights,
            biases: models.iter().map(|b| b.bias).collect(),
        };
        (linear, models.into_iter().map(|b| b.alpha).collect())
    }

    /// Per-class decision values of every row; classes without examples get `-inf`.
    fn scores(&self, x: &Csr, n_classes: usize) -> Vec<Vec<f64>> {
        let m = self.n_models();
        (0..x.n_rows())
            .into_par_iter()
            .map(|i| {
                let mut out = vec![f64::NEG_INFINITY; n_classes];
                if m == 0 {
                    if let Some(&k) = self.active.first() {
                        out[k] = 0.0;
                    }
                    return out;
                }
                let mut s = self.biases.clone();
                let (idx, val) = x.row(i);
                for (&j, &v) in idx.iter().zip(val) {
                    let row = &self.weights[j as usize * m..(j as usize + 1) * m];
                    for (acc, &w) in s.iter_mut().zip(row) {
                        *acc += v * w;
                    }
                }
                if self.active.len() == 2 {
                    out[self.active[0]] = -s[0];
                    out[self.active[1]] = s[0];
                } else {
                    for (&k, &v) in self.active.iter().zip(&s) {
                        out[k] = v;
                    }
                }
                out
            })
            .collect()
    }
}

/// A trained TF-IDF + linear text classifier.
#[derive(Debug, Clone)]
pub struct TextClassifier {
    vectorizer: Vectorizer,
    linear: Linear,
    n_classes: usize,
    /// Inverse softmax temperature.
    beta: f64,
}

impl TextClassifier {
    /// Trains on `texts` with `labels[i]` in `0..n_classes`; classes with no examples
    /// are never predicted. `n_classes >= 2` (2 is used for boolean flag fields).
    ///
    /// Returns an error for an empty or mismatched training set, a label out of range,
    /// fewer than two classes, an invalid config, or texts that yield no features at
    /// all; never panics on such input.
    pub fn train(
        texts: &[&str],
        labels: &[usize],
        n_classes: usize,
        cfg: &LocalConfig,
    ) -> Result<Self, String> {
        cfg.validate()?;
        if n_classes < 2 {
            return Err(format!(
                "local classifier: need at least 2 classes, got {n_classes}"
            ));
        }
        if texts.is_empty() {
            return Err("local classifier: the training set is empty".into());
        }
        if texts.len() != labels.len() {
            return Err(format!(
                "local classifier: {} texts but {} labels",
                texts.len(),
                labels.len()
            ));
        }
        if let Some((i, &l)) = labels.iter().enumerate().find(|(_, &l)| l >= n_classes) {
            return Err(format!(
                "local classifier: label {l} of example {i} is out of range 0..{n_classes}"
            ));
        }
        let active = active_classes(labels, n_classes);
        // The calibration fit and the vectorisation of the full set are independent.
        let (calibration, (vectorizer, x)) = rayon::join(
            || {
                (cfg.calibration_holdout > 0.0 && active.len() >= 2)
                    .then(|| fit_temperature(texts, labels, n_classes, cfg))
                    .flatten()
            },
            || Vectorizer::fit_transform(texts, &cfg.features, cfg.sublinear_tf, cfg.min_df),
        );
        if vectorizer.n_features == 0 {
            return Err(format!(
                "local classifier: the training texts yield no features for {} with min_df {}",
                cfg.features
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(" + "),
                cfg.min_df
            ));
        }
        let (beta, warm) = match calibration {
            Some((beta, warm)) => (beta, Some(warm)),
            None => (1.0 / cfg.temperature, None),
        };
        let (linear, _) = Linear::fit(&x, labels, &active, cfg, warm.as_deref());
        Ok(TextClassifier {
            vectorizer,
            linear,
            n_classes,
            beta,
        })
    }

    /// Per text: the most probable class and its probability in `[0, 1]`.
    pub fn predict(&self, texts: &[&str]) -> Vec<(usize, f64)> {
        self.predict_proba(texts)
            .into_iter()
            .map(|p| {
                let mut best = 0;
                for (k, &v) in p.iter().enumerate() {
                    if v > p[best] {
                        best = k;
                    }
                }
                (best, p[best])
            })
            .collect()
    }

    /// Per text: a probability for each of the `n_classes` classes, summing to 1.
    pub fn predict_proba(&self, texts: &[&str]) -> Vec<Vec<f64>> {
        let scores = self.decision_function(texts);
        scores
            .iter()
            .map(|s| calibrate::softmax(s, self.beta))
            .collect()
    }

    /// Per text: the raw per-class decision values (`-inf` for classes that had no
    /// training examples).
    pub fn decision_function(&self, texts: &[&str]) -> Vec<Vec<f64>> {
        let x = self.vectorizer.transform(texts);
        self.linear.scores(&x, self.n_classes)
    }

    /// Number of classes the classifier was trained with.
    pub fn n_classes(&self) -> usize {
        self.n_classes
    }

    /// Number of TF-IDF features (all blocks together).
    pub fn n_features(&self) -> usize {
        self.vectorizer.n_features
    }

    /// The softmax temperature in use (fitted or configured).
    pub fn temperature(&self) -> f64 {
        1.0 / self.beta
    }
}

fn active_classes(labels: &[usize], n_classes: usize) -> Vec<usize> {
    let mut seen = vec![false; n_classes];
    for &l in labels {
        seen[l] = true;
    }
    (0..n_classes).filter(|&k| seen[k]).collect()
}

/// Fits the inverse temperature on a stratified held-out slice: trains on the rest,
/// scores the slice, minimises its NLL. Also returns that model's dual variables laid
/// out over all of `texts` (0 for held-out rows), to warm-start the final fit. `None`
/// when no usable slice exists.
fn fit_temperature(
    texts: &[&str],
    labels: &[usize],
    n_classes: usize,
    cfg: &LocalConfig,
) -> Option<(f64, Vec<Vec<f64>>)> {
    let mut by_class: Vec<Vec<usize>> = vec![Vec::new(); n_classes];
    for (i, &l) in labels.iter().enumerate() {
        by_class[l].push(i);
    }
    let mut rng = ChaCha8Rng::seed_from_u64(cfg.seed ^ 0x5EED_CA11_B7A7_1000);
    let (mut fit_idx, mut held_idx) = (Vec::new(), Vec::new());
    for members in &mut by_class {
        members.shuffle(&mut rng);
        let n = members.len();
        let take = if n >= 2 {
            ((n as f64 * cfg.calibration_holdout).round() as usize).min(n - 1)
        } else {
            0
        };
        held_idx.extend_from_slice(&members[..take]);
        fit_idx.extend_from_slice(&members[take..]);
    }
    held_idx.sort_unstable();
    fit_idx.sort_unstable();
    let fit_labels: Vec<usize> = fit_idx.iter().map(|&i| labels[i]).collect();
    let active = active_classes(&fit_labels, n_classes);
    if held_idx.is_empty() || active.len() < 2 {
        return None;
    }
    let fit_texts: Vec<&str> = fit_idx.iter().map(|&i| texts[i]).collect();
    let held_texts: Vec<&str> = held_idx.iter().map(|&i| texts[i]).collect();
    let held_labels: Vec<usize> = held_idx.iter().map(|&i| labels[i]).collect();
    let (vectorizer, x) =
        Vectorizer::fit_transform(&fit_texts, &cfg.features, cfg.sublinear_tf, cfg.min_df);
    let (linear, alphas) = Linear::fit(&x, &fit_labels, &active, cfg, None);
    let warm: Vec<Vec<f64>> = alphas
        .into_iter()
        .filter(|a| a.len() == fit_idx.len())
        .map(|a| {
            let mut full = vec![0.0; texts.len()];
            for (&i, v) in fit_idx.iter().zip(a) {
                full[i] = v;
            }
            full
        })
        .collect();
    let scores = linear.scores(&vectorizer.transform(&held_texts), n_classes);
    // A held-out example of a class absent from the fitting part has no finite score:
    // leave it out of the fit.
    let (s, y): (Vec<Vec<f64>>, Vec<usize>) = scores
        .into_iter()
        .zip(held_labels)
        .filter(|(s, y)| s[*y].is_finite())
        .unzip();
    if s.is_empty() {
        return None;
    }
    Some((calibrate::fit_beta(&s, &y), warm))
}

#[cfg(test)]
mod tests;

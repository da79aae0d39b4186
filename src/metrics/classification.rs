//! Single-label classification metrics (department, priority, ...).
//!
//! Responsible for the K x (K+1) confusion matrix (the extra column counts
//! invalid outputs) and everything derived from it: accuracy, invalid rate,
//! per-class precision / recall / F1 / support, macro / micro / weighted
//! averages, Cohen's kappa and the list of top confusions. Definitions match
//! scikit-learn with `zero_division=0`, with the invalid prediction treated as
//! an extra label that is *not* in `labels=`: the label set `L` used for the
//! averages is the set of declared classes that occur in gold or in valid
//! predictions (scikit-learn's default label set minus the invalid marker).

use serde::{Deserialize, Serialize};

use super::{div0, f1_from_counts, ratio};

/// Counts of (gold class, predicted class or invalid) pairs.
///
/// Row `g` is the gold class, column `p < k` the predicted class and column
/// `k` the invalid outputs. Stored row-major in `counts` (`k * (k + 1)`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfusionMatrix {
    /// Number of declared classes K.
    pub k: usize,
    /// Row-major K x (K+1) cell counts.
    pub counts: Vec<u64>,
}

impl ConfusionMatrix {
    /// An all-zero matrix for `k` classes.
    pub fn zeros(k: usize) -> Self {
        Self {
            k,
            counts: vec![0; k * (k + 1)],
        }
    }

    /// Count `(gold, pred)` pairs in one pass.
    ///
    /// # Panics
    /// If the slices differ in length or a label is `>= k`.
    pub fn from_labels(gold: &[u32], pred: &[Option<u32>], k: usize) -> Self {
        assert_eq!(gold.len(), pred.len(), "gold and pred differ in length");
        let mut m = Self::zeros(k);
        let w = k + 1;
        for (&g, &p) in gold.iter().zip(pred) {
            let g = g as usize;
            assert!(g < k, "gold label {g} out of range 0..{k}");
            let col = match p {
                Some(p) => {
                    let p = p as usize;
                    assert!(p < k, "predicted label {p} out of range 0..{k}");
                    p
                }
                None => k,
            };
            m.counts[g * w + col] += 1;
        }
        m
    }

    /// Cell count for gold class `gold` and column `col` (`col == k`: invalid).
    #[inline]
    pub fn get(&self, gold: usize, col: usize) -> u64 {
        self.counts[gold * (self.k + 1) + col]
    }

    /// Total number of tickets.
    pub fn n(&self) -> u64 {
        self.counts.iter().sum()
    }

    /// Number of correct predictions (the diagonal).
    pub fn correct(&self) -> u64 {
        (0..self.k).map(|c| self.get(c, c)).sum()
    }

    /// Number of invalid outputs (the last column).
    pub fn invalid(&self) -> u64 {
        (0..self.k).map(|g| self.get(g, self.k)).sum()
    }

    /// Gold support per class (row sums, including invalid outputs).
    pub fn support(&self) -> Vec<u64> {
        (0..self.k)
            .map(|g| (0..=self.k).map(|c| self.get(g, c)).sum())
            .collect()
    }

    /// Valid predictions per class (column sums over the first K columns).
    pub fn predicted(&self) -> Vec<u64> {
        (0..self.k)
            .map(|c| (0..self.k).map(|g| self.get(g, c)).sum())
            .collect()
    }

    /// The matrix as K rows of K+1 counts.
    pub fn rows(&self) -> Vec<Vec<u64>> {
        self.counts.chunks(self.k + 1).map(|r| r.to_vec()).collect()
    }

    /// Accuracy = correct / n (`accuracy_score`; invalid is never correct).
    pub fn accuracy(&self) -> Option<f64> {
        ratio(self.correct(), self.n())
    }

    /// Macro-averaged F1 over the label set `L` (classes present in gold or
    /// valid predictions), as `f1_score(average="macro", labels=L,
    /// zero_division=0)`. `None` for an empty matrix.
    pub fn macro_f1(&self) -> Option<f64> {
        macro_f1_of(&self.support(), &self.predicted(), |c| self.get(c, c))
    }

    /// Cohen's kappa with the invalid output as its own category
    /// (`cohen_kappa_score(y_true, y_pred)`). `None` when undefined (all
    /// tickets in one category on both sides, or no tickets).
    pub fn kappa(&self) -> Option<f64> {
        let n = self.n();
        if n == 0 {
            return None;
        }
        let support = self.support();
        let predicted = self.predicted();
        // Expected agreement numerator sum_c row_c * col_c (invalid column
        // has no matching row, so it contributes 0), in exact integers.
        let agree_exp: u128 = (0..self.k)
            .map(|c| support[c] as u128 * predicted[c] as u128)
            .sum();
        let n2 = n as u128 * n as u128;
        let exp_disagree = n2 - agree_exp; // = N * sum(w * expected)
        if exp_disagree == 0 {
            return None;
        }
        let obs_disagree = (n - self.correct()) as f64;
        // sklearn: 1 - sum(w * cm) / sum(w * expected), expected = outer / N.
        Some(1.0 - obs_disagree / (exp_disagree as f64 / n as f64))
    }

    /// Full single-label report derived from the counts; `None` if empty.
    pub fn report(&self) -> Option<SingleLabelReport> {
        let n = self.n();
        if n == 0 {
            return None;
        }
        let k = self.k;
        let support = self.support();
        let predicted = self.predicted();
        let correct = self.correct();
        let invalid = self.invalid();

        let mut per_class = Vec::with_capacity(k);
        let (mut sp, mut sr, mut sf) = (0.0, 0.0, 0.0);
        let (mut wp, mut wr, mut wf) = (0.0, 0.0, 0.0);
        let mut m = 0usize;
        for c in 0..k {
            let tp = self.get(c, c);
            let present = support[c] > 0 || predicted[c] > 0;
            let precision = div0(tp as f64, predicted[c] as f64);
            let recall = div0(tp as f64, support[c] as f64);
            let f1 = f1_from_counts(tp, predicted[c] - tp, support[c] - tp);
            if present {
                m += 1;
                sp += precision;
                sr += recall;
                sf += f1;
                let s = support[c] as f64;
                wp += precision * s;
                wr += recall * s;
                wf += f1 * s;
            }
            per_class.push(ClassMetrics {
                class: c as u32,
                name: None,
                present,
                precision,
                recall,
                f1,
                support: support[c],
                predicted: predicted[c],
            });
        }
        let mf = m as f64;
        let macro_avg = Averages {
            precision: sp / mf,
            recall: sr / mf,
            f1: sf / mf,
        };
        // Weights are the gold supports over L; they sum to n > 0.
        let nf = n as f64;
        let weighted_avg = Averages {
            precision: wp / nf,
            recall: wr / nf,
            f1: wf / nf,
        };
        let valid = n - invalid;
        let micro_avg = Averages {
            precision: div0(correct as f64, valid as f64),
            recall: correct as f64 / nf,
            f1: div0((2 * correct) as f64, (valid + n) as f64),
        };

        let mut top_confusions = Vec::new();
        for g in 0..k {
            for col in 0..=k {
                if col == g {
                    continue;
                }
                let count = self.get(g, col);
                if count > 0 {
                    top_confusions.push(Confusion {
                        gold: g as u32,
                        pred: if col == k { None } else { Some(col as u32) },
                        count,
                    });
                }
            }
        }
        // Count descending, then gold ascending, then prediction ascending
        // with invalid last.
        top_confusions.sort_by(|a, b| {
            b.count
                .cmp(&a.count)
                .then(a.gold.cmp(&b.gold))
                .then(a.pred.unwrap_or(u32::MAX).cmp(&b.pred.unwrap_or(u32::MAX)))
        });

        Some(SingleLabelReport {
            n,
            n_classes: k,
            correct,
            accuracy: correct as f64 / nf,
            invalid,
            invalid_rate: invalid as f64 / nf,
            per_class,
            n_labels_present: m,
            macro_avg,
            micro_avg,
            weighted_avg,
            kappa: self.kappa(),
            confusion: self.rows(),
            top_confusions,
        })
    }
}

/// Precision, recall and F1 averaged one way.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Averages {
    /// Averaged precision.
    pub precision: f64,
    /// Averaged recall.
    pub recall: f64,
    /// Averaged F1 (the average of per-class F1s for macro / weighted).
    pub f1: f64,
}

/// Per-class metrics (one row per declared class, even if absent).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClassMetrics {
    /// Class index.
    pub class: u32,
    /// The class's label name, when the caller knows it (scoring fills it in).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Whether the class occurs in gold or in valid predictions, i.e. is in
    /// the label set `L` over which macro / weighted averages are taken.
    pub present: bool,
    /// tp / predicted, 0 when never predicted.
    pub precision: f64,
    /// tp / support, 0 when absent from gold.
    pub recall: f64,
    /// 2 tp / (support + predicted), 0 when both are 0.
    pub f1: f64,
    /// Number of gold tickets of this class.
    pub support: u64,
    /// Number of valid predictions of this class.
    pub predicted: u64,
}

/// One off-diagonal confusion-matrix cell.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Confusion {
    /// Gold class.
    pub gold: u32,
    /// Predicted class, `None` for invalid output.
    pub pred: Option<u32>,
    /// Number of tickets.
    pub count: u64,
}

/// Everything reported for one single-label field of one variant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SingleLabelReport {
    /// Number of tickets.
    pub n: u64,
    /// Number of declared classes K.
    pub n_classes: usize,
    /// Number of correct predictions.
    pub correct: u64,
    /// `accuracy_score`: correct / n (invalid is always wrong).
    pub accuracy: f64,
    /// Number of invalid outputs.
    pub invalid: u64,
    /// invalid / n.
    pub invalid_rate: f64,
    /// One row per declared class, in class order.
    pub per_class: Vec<ClassMetrics>,
    /// |L|: classes present in gold or valid predictions.
    pub n_labels_present: usize,
    /// Unweighted mean over L (`average="macro"`).
    pub macro_avg: Averages,
    /// Global counts over L (`average="micro"`): precision = correct /
    /// valid predictions, recall = accuracy.
    pub micro_avg: Averages,
    /// Support-weighted mean over L (`average="weighted"`).
    pub weighted_avg: Averages,
    /// Cohen's kappa, invalid as its own category; `None` when undefined.
    pub kappa: Option<f64>,
    /// K rows x (K+1) columns, last column = invalid.
    pub confusion: Vec<Vec<u64>>,
    /// Nonzero off-diagonal cells by count desc, then gold, then prediction
    /// (invalid last).
    pub top_confusions: Vec<Confusion>,
}

/// Single-label metrics for `k` declared classes; `None` for empty input.
///
/// `pred[i] == None` is an invalid output: wrong for accuracy, counted in the
/// extra confusion column, and excluded from the label set of the averages.
///
/// # Panics
/// If lengths differ or a label is `>= k`.
pub fn single_label(gold: &[u32], pred: &[Option<u32>], k: usize) -> Option<SingleLabelReport> {
    ConfusionMatrix::from_labels(gold, pred, k).report()
}

/// Macro F1 from per-class counts (gold support with invalid outputs, valid predictions, true
/// positives): the mean F1 over the classes present in gold or predictions, as
/// [`ConfusionMatrix::macro_f1`] (and the bootstraps' resamples, which count without a
/// matrix) compute it. `None` when no class is present.
pub(crate) fn macro_f1_of(
    support: &[u64],
    predicted: &[u64],
    tp: impl Fn(usize) -> u64,
) -> Option<f64> {
    let mut sum = 0.0;
    let mut m = 0usize;
    for (c, (&s, &p)) in support.iter().zip(predicted).enumerate() {
        if s == 0 && p == 0 {
            continue;
        }
        let tp = tp(c);
        sum += f1_from_counts(tp, p - tp, s - tp);
        m += 1;
    }
    if m == 0 {
        None
    } else {
        Some(sum / m as f64)
    }
}

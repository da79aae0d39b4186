//! Multi-label metrics (intents): each ticket has a set of labels.
//!
//! Responsible for exact-match ratio, sample-averaged Jaccard, Hamming loss,
//! micro / macro precision, recall and F1, per-label rows, and multi-intent
//! detection. Definitions match scikit-learn on K-column indicator matrices
//! with `zero_division=0`; the macro average is over all K declared labels
//! (scikit-learn's default for indicator matrices), so a label that is never
//! in gold nor predicted contributes 0 to it. An invalid output (`None`) is
//! treated as the empty predicted set and counted. Duplicate labels within a
//! set collapse (sets, not lists).

use serde::{Deserialize, Serialize};

use super::classification::Averages;
use super::{div0, f1_from_counts, ratio};

/// Per-label counts and metrics.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LabelMetrics {
    /// Label index.
    pub label: u32,
    /// tp / predicted, 0 when never predicted.
    pub precision: f64,
    /// tp / support, 0 when absent from gold.
    pub recall: f64,
    /// 2 tp / (support + predicted), 0 when both are 0.
    pub f1: f64,
    /// Tickets whose gold set contains the label.
    pub support: u64,
    /// Tickets whose predicted set contains the label.
    pub predicted: u64,
}

/// Detection of tickets with two or more gold intents.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MultiIntent {
    /// Tickets with >= 2 gold labels.
    pub n_multi: u64,
    /// Among them, share predicted with >= 2 labels; `None` if `n_multi == 0`.
    pub predicted_multi_rate: Option<f64>,
    /// Among them, share whose predicted set equals the gold set.
    pub exact_rate: Option<f64>,
}

/// Everything reported for one multi-label field of one variant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MultiLabelReport {
    /// Number of tickets.
    pub n: u64,
    /// Number of declared labels K.
    pub n_labels: usize,
    /// Invalid outputs (scored as the empty set).
    pub invalid: u64,
    /// Share of tickets whose predicted set equals the gold set
    /// (`accuracy_score` on indicator matrices).
    pub exact_match: f64,
    /// Mean per-ticket |G ∩ P| / |G ∪ P|, 0 when both are empty
    /// (`jaccard_score(average="samples", zero_division=0)`).
    pub jaccard_samples: f64,
    /// Share of wrong (ticket, label) cells (`hamming_loss`).
    pub hamming_loss: f64,
    /// Global tp / fp / fn over all labels (`average="micro"`).
    pub micro_avg: Averages,
    /// Unweighted mean over all K declared labels (`average="macro"`).
    pub macro_avg: Averages,
    /// One row per declared label.
    pub per_label: Vec<LabelMetrics>,
    /// Multi-intent detection.
    pub multi_intent: MultiIntent,
}

/// Multi-label metrics for `k` declared labels; `None` for empty input.
///
/// # Panics
/// If lengths differ or a label is `>= k`.
pub fn multilabel(
    gold: &[Vec<u32>],
    pred: &[Option<Vec<u32>>],
    k: usize,
) -> Option<MultiLabelReport> {
    assert_eq!(gold.len(), pred.len(), "gold and pred differ in length");
    let n = gold.len() as u64;
    if n == 0 {
        return None;
    }
    let empty: Vec<u32> = Vec::new();
    let mut tp = vec![0u64; k];
    let mut support = vec![0u64; k];
    let mut predicted = vec![0u64; k];
    // Per-ticket marks: bit 1 = gold, bit 2 = predicted; reset after use.
    let mut mark = vec![0u8; k];
    let (mut invalid, mut exact, mut n_multi, mut multi_pred, mut multi_exact) =
        (0u64, 0u64, 0u64, 0u64, 0u64);
    let mut jaccard_sum = 0.0;
    let mut wrong_cells = 0u64;
    for (g, p) in gold.iter().zip(pred) {
        let p = match p {
            Some(p) => p,
            None => {
                invalid += 1;
                &empty
            }
        };
        for &l in g {
            let l = l as usize;
            assert!(l < k, "gold label {l} out of range 0..{k}");
            mark[l] |= 1;
        }
        for &l in p {
            let l = l as usize;
            assert!(l < k, "predicted label {l} out of range 0..{k}");
            mark[l] |= 2;
        }
        let (mut inter, mut union, mut ng, mut np) = (0u64, 0u64, 0u64, 0u64);
        // Visit each touched label once (the mark is cleared on first visit).
        for &l in g.iter().chain(p.iter()) {
            let l = l as usize;
            let m = mark[l];
            if m == 0 {
                continue;
            }
            mark[l] = 0;
            union += 1;
            if m & 1 != 0 {
                ng += 1;
                support[l] += 1;
            }
            if m & 2 != 0 {
                np += 1;
                predicted[l] += 1;
            }
            if m == 3 {
                inter += 1;
                tp[l] += 1;
            }
        }
        wrong_cells += union - inter;
        let is_exact = union == inter;
        exact += is_exact as u64;
        jaccard_sum += div0(inter as f64, union as f64);
        if ng >= 2 {
            n_multi += 1;
            multi_pred += (np >= 2) as u64;
            multi_exact += is_exact as u64;
        }
    }
    let nf = n as f64;
    let mut per_label = Vec::with_capacity(k);
    let (mut sp, mut sr, mut sf) = (0.0, 0.0, 0.0);
    let (mut ttp, mut tsup, mut tpred) = (0u64, 0u64, 0u64);
    for l in 0..k {
        let precision = div0(tp[l] as f64, predicted[l] as f64);
        let recall = div0(tp[l] as f64, support[l] as f64);
        let f1 = f1_from_counts(tp[l], predicted[l] - tp[l], support[l] - tp[l]);
        sp += precision;
        sr += recall;
        sf += f1;
        ttp += tp[l];
        tsup += support[l];
        tpred += predicted[l];
        per_label.push(LabelMetrics {
            label: l as u32,
            precision,
            recall,
            f1,
            support: support[l],
            predicted: predicted[l],
        });
    }
    let kf = k as f64;
    Some(MultiLabelReport {
        n,
        n_labels: k,
        invalid,
        exact_match: exact as f64 / nf,
        jaccard_samples: jaccard_sum / nf,
        hamming_loss: div0(wrong_cells as f64, nf * kf),
        micro_avg: Averages {
            precision: div0(ttp as f64, tpred as f64),
            recall: div0(ttp as f64, tsup as f64),
            f1: f1_from_counts(ttp, tpred - ttp, tsup - ttp),
        },
        macro_avg: Averages {
            precision: div0(sp, kf),
            recall: div0(sr, kf),
            f1: div0(sf, kf),
        },
        per_label,
        multi_intent: MultiIntent {
            n_multi,
            predicted_multi_rate: ratio(multi_pred, n_multi),
            exact_rate: ratio(multi_exact, n_multi),
        },
    })
}

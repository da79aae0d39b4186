//! Binary flag metrics (requires_human).
//!
//! Responsible for the 2x2 table and precision / recall / F1 of the `true`
//! class and accuracy, as scikit-learn computes them with `zero_division=0`.
//! An invalid output (`None`) is treated as "not predicted positive", i.e.
//! `false` for the scikit-learn metrics, and is counted separately (split by
//! the gold value). Because that makes an invalid output on a negative ticket
//! count as correct in `accuracy`, `accuracy_invalid_wrong` is also given,
//! in which an invalid output is always wrong (like the single-label
//! accuracy).

use serde::{Deserialize, Serialize};

use super::{div0, f1_from_counts};

/// Everything reported for one flag field of one variant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FlagReport {
    /// Number of tickets.
    pub n: u64,
    /// Gold true, predicted true.
    pub tp: u64,
    /// Gold false, predicted true.
    pub fp: u64,
    /// Gold true, predicted false or invalid.
    pub fn_: u64,
    /// Gold false, predicted false or invalid.
    pub tn: u64,
    /// tp / (tp + fp), 0 when nothing is predicted true.
    pub precision: f64,
    /// tp / (tp + fn), 0 when no gold true.
    pub recall: f64,
    /// 2 tp / (2 tp + fp + fn), 0 when undefined.
    pub f1: f64,
    /// (tp + tn) / n with invalid read as false (`accuracy_score`).
    pub accuracy: f64,
    /// Share of tickets with a valid prediction equal to gold.
    pub accuracy_invalid_wrong: f64,
    /// Invalid outputs.
    pub invalid: u64,
    /// Invalid outputs on gold-true tickets (counted in `fn_`).
    pub invalid_on_positive: u64,
    /// Invalid outputs on gold-false tickets (counted in `tn`).
    pub invalid_on_negative: u64,
}

/// Flag metrics; `None` for empty input.
///
/// # Panics
/// If lengths differ.
pub fn flag(gold: &[bool], pred: &[Option<bool>]) -> Option<FlagReport> {
    assert_eq!(gold.len(), pred.len(), "gold and pred differ in length");
    if gold.is_empty() {
        return None;
    }
    let (mut tp, mut fp, mut fn_, mut tn, mut inv_pos, mut inv_neg) =
        (0u64, 0u64, 0u64, 0u64, 0u64, 0u64);
    for (&g, &p) in gold.iter().zip(pred) {
        match (g, p) {
            (true, Some(true)) => tp += 1,
            (false, Some(true)) => fp += 1,
            (true, Some(false)) => fn_ += 1,
            (false, Some(false)) => tn += 1,
            (true, None) => inv_pos += 1,
            (false, None) => inv_neg += 1,
        }
    }
    let n = gold.len() as u64;
    let nf = n as f64;
    let strict_correct = tp + tn;
    fn_ += inv_pos;
    tn += inv_neg;
    Some(FlagReport {
        n,
        tp,
        fp,
        fn_,
        tn,
        precision: div0(tp as f64, (tp + fp) as f64),
        recall: div0(tp as f64, (tp + fn_) as f64),
        f1: f1_from_counts(tp, fp, fn_),
        accuracy: (tp + tn) as f64 / nf,
        accuracy_invalid_wrong: strict_correct as f64 / nf,
        invalid: inv_pos + inv_neg,
        invalid_on_positive: inv_pos,
        invalid_on_negative: inv_neg,
    })
}

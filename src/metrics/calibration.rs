//! Calibration of stated confidence against correctness.
//!
//! Responsible for expected calibration error with equal-width bins (binned
//! exactly like scikit-learn's `calibration_curve(strategy="uniform")`),
//! equal-mass ECE (HELM's `ece_10_bin`, i.e. the `uncertainty-calibration`
//! package's `get_ece_em`: L1, no debiasing), maximum calibration error,
//! the Brier score of the top label, mean confidence, accuracy,
//! overconfidence and the reliability tables. Tickets without a confidence
//! are excluded and counted in `n_missing`.

use serde::{Deserialize, Serialize};

/// One row of a reliability table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReliabilityBin {
    /// Lower edge (exclusive, except 0 for the first equal-width bin).
    pub lo: f64,
    /// Upper edge (inclusive).
    pub hi: f64,
    /// Tickets in the bin.
    pub count: u64,
    /// Mean confidence in the bin; `None` when empty.
    pub mean_conf: Option<f64>,
    /// Share correct in the bin; `None` when empty.
    pub accuracy: Option<f64>,
}

/// Calibration of one variant's confidences.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CalibrationReport {
    /// All tickets.
    pub n: u64,
    /// Tickets with a confidence (used below).
    pub n_scored: u64,
    /// Tickets without a confidence (excluded).
    pub n_missing: u64,
    /// Number of bins requested.
    pub n_bins: usize,
    /// Σ (n_b / N) |acc_b − conf_b| over equal-width bins.
    pub ece: f64,
    /// The same over equal-mass bins (HELM `ece_10_bin` when `n_bins = 10`).
    pub ece_equal_mass: f64,
    /// max |acc_b − conf_b| over non-empty equal-width bins.
    pub mce: f64,
    /// mean (conf − correct)² (`brier_score_loss(correct, conf)`).
    pub brier: f64,
    /// Mean confidence.
    pub mean_conf: f64,
    /// Share correct among scored tickets.
    pub accuracy: f64,
    /// mean_conf − accuracy (positive: overconfident).
    pub overconfidence: f64,
    /// Equal-width bins, all `n_bins` rows (empty ones with count 0).
    pub reliability: Vec<ReliabilityBin>,
    /// Equal-mass bins (at most `n_bins`, fewer with ties or few tickets).
    pub equal_mass: Vec<ReliabilityBin>,
}

#[derive(Clone, Copy, Default)]
struct Acc {
    count: u64,
    conf: f64,
    correct: u64,
}

impl Acc {
    fn row(&self, lo: f64, hi: f64) -> ReliabilityBin {
        let (mean_conf, accuracy) = if self.count == 0 {
            (None, None)
        } else {
            let c = self.count as f64;
            (Some(self.conf / c), Some(self.correct as f64 / c))
        };
        ReliabilityBin {
            lo,
            hi,
            count: self.count,
            mean_conf,
            accuracy,
        }
    }
}

/// Equal-width bin edges exactly as `np.linspace(0, 1, n_bins + 1)`.
pub fn uniform_edges(n_bins: usize) -> Vec<f64> {
    let step = 1.0 / n_bins as f64;
    let mut e: Vec<f64> = (0..=n_bins).map(|i| i as f64 * step).collect();
    e[n_bins] = 1.0;
    e
}

/// Bin index of `p` as `np.searchsorted(edges[1:-1], p)`: a value on an
/// inner edge goes to the lower bin.
#[inline]
fn uniform_bin(edges: &[f64], p: f64) -> usize {
    let nb = edges.len() - 1;
    let mut b = ((p * nb as f64) as usize).min(nb - 1);
    while b > 0 && edges[b] >= p {
        b -= 1;
    }
    while b + 1 < nb && edges[b + 1] < p {
        b += 1;
    }
    b
}

/// Equal-mass bin upper edges as `uncertainty-calibration`'s
/// `get_equal_bins(probs, num_bins)`: split the sorted values into
/// `min(num_bins, N)` nearly equal parts (`np.array_split`: the first
/// `N % parts` parts get one extra), put an edge halfway between
/// neighbouring parts, append 1.0 and drop duplicates.
pub fn equal_mass_edges(sorted: &[f64], n_bins: usize) -> Vec<f64> {
    equal_mass_edges_by(sorted.len(), |i| sorted[i], n_bins)
}

/// [`equal_mass_edges`] of the `n` sorted values `sorted(0)`, ..., `sorted(n - 1)`.
fn equal_mass_edges_by(n: usize, sorted: impl Fn(usize) -> f64, n_bins: usize) -> Vec<f64> {
    let parts = n_bins.min(n);
    let mut edges = Vec::with_capacity(parts);
    if let Some(base) = n.checked_div(parts) {
        let extra = n % parts;
        let mut end = 0usize; // exclusive end of the current part
        for i in 0..parts - 1 {
            end += base + usize::from(i < extra);
            edges.push((sorted(end - 1) + sorted(end)) / 2.0);
        }
    }
    edges.push(1.0);
    edges.sort_by(f64::total_cmp);
    edges.dedup();
    edges
}

/// Calibration metrics; `None` when no ticket has a confidence.
///
/// # Panics
/// If lengths differ, `n_bins == 0`, or a confidence is outside `[0, 1]`
/// (or NaN).
pub fn calibration(
    conf: &[Option<f64>],
    correct: &[bool],
    n_bins: usize,
) -> Option<CalibrationReport> {
    calibration_sorted(conf, correct, n_bins, &sorted_scores(conf, correct))
}

/// The (confidence, correct) pairs of the tickets that have a confidence, in ascending order
/// of confidence (`f64::total_cmp`'s order; a stable radix sort, about 3x a comparison sort
/// at a million tickets, so the same input gives the same order). Calibration's equal-mass
/// bins and routing's risk-coverage curve both walk it: [`calibration_sorted`] and
/// [`super::routing::routing_sorted`] take one sort for both.
///
/// # Panics
/// If lengths differ.
pub fn sorted_scores(conf: &[Option<f64>], correct: &[bool]) -> Vec<(f64, bool)> {
    assert_eq!(
        conf.len(),
        correct.len(),
        "conf and correct differ in length"
    );
    let mut scored: Vec<(f64, bool)> = conf
        .iter()
        .zip(correct)
        .filter_map(|(&c, &ok)| Some((c?, ok)))
        .collect();
    radsort::sort_by_key(&mut scored, |s| s.0);
    scored
}

/// [`calibration`] with `sorted`, the [`sorted_scores`] of `conf` and `correct`.
///
/// # Panics
/// As [`calibration`]; debug builds also check that `sorted` holds as many pairs as `conf`
/// has confidences.
pub(crate) fn calibration_sorted(
    conf: &[Option<f64>],
    correct: &[bool],
    n_bins: usize,
    sorted: &[(f64, bool)],
) -> Option<CalibrationReport> {
    assert_eq!(
        conf.len(),
        correct.len(),
        "conf and correct differ in length"
    );
    assert!(n_bins > 0, "n_bins must be positive");
    let edges = uniform_edges(n_bins);
    let mut bins = vec![Acc::default(); n_bins];
    let mut m = 0u64;
    let (mut sum_conf, mut n_correct, mut brier) = (0.0, 0u64, 0.0);
    for (&c, &ok) in conf.iter().zip(correct) {
        let Some(p) = c else { continue };
        assert!((0.0..=1.0).contains(&p), "confidence {p} outside [0, 1]");
        let b = &mut bins[uniform_bin(&edges, p)];
        b.count += 1;
        b.conf += p;
        b.correct += ok as u64;
        sum_conf += p;
        n_correct += ok as u64;
        let y = if ok { 1.0 } else { 0.0 };
        brier += (p - y) * (p - y);
        m += 1;
    }
    debug_assert_eq!(m, sorted.len() as u64, "sorted is not the scores of conf");
    if m == 0 {
        return None;
    }
    let mf = m as f64;
    let (mut ece, mut mce) = (0.0, 0.0f64);
    let mut reliability = Vec::with_capacity(n_bins);
    for (i, b) in bins.iter().enumerate() {
        let row = b.row(edges[i], edges[i + 1]);
        if let (Some(c), Some(a)) = (row.mean_conf, row.accuracy) {
            let gap = (a - c).abs();
            ece += b.count as f64 / mf * gap;
            mce = mce.max(gap);
        }
        reliability.push(row);
    }
    let (ece_equal_mass, equal_mass) = equal_mass_ece(sorted, n_bins);
    let mean_conf = sum_conf / mf;
    let accuracy = n_correct as f64 / mf;
    Some(CalibrationReport {
        n: conf.len() as u64,
        n_scored: m,
        n_missing: conf.len() as u64 - m,
        n_bins,
        ece,
        ece_equal_mass,
        mce,
        brier: brier / mf,
        mean_conf,
        accuracy,
        overconfidence: mean_conf - accuracy,
        reliability,
        equal_mass,
    })
}

/// Equal-mass ECE and its table, from the scores sorted by confidence (within equal
/// confidences the order does not matter: equal values, the same bin).
fn equal_mass_ece(scored: &[(f64, bool)], n_bins: usize) -> (f64, Vec<ReliabilityBin>) {
    let edges = equal_mass_edges_by(scored.len(), |i| scored[i].0, n_bins);
    // Data is sorted, so bins are contiguous runs: walk once.
    let mut acc = vec![Acc::default(); edges.len()];
    let mut b = 0usize;
    for &(p, ok) in scored.iter() {
        // np.searchsorted(edges, p): first edge >= p.
        while edges[b] < p {
            b += 1;
        }
        let a = &mut acc[b];
        a.count += 1;
        a.conf += p;
        a.correct += ok as u64;
    }
    let mf = scored.len() as f64;
    let mut ece = 0.0;
    let mut rows = Vec::with_capacity(edges.len());
    let mut lo = 0.0;
    for (a, &hi) in acc.iter().zip(&edges) {
        let row = a.row(lo, hi);
        if let (Some(c), Some(y)) = (row.mean_conf, row.accuracy) {
            ece += a.count as f64 / mf * (c - y).abs();
        }
        rows.push(row);
        lo = hi;
    }
    (ece, rows)
}

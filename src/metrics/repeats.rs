//! Stability across repeated runs (the same tickets classified k times at
//! temperature > 0).
//!
//! Responsible for the accuracy of each run, their mean, sample standard
//! deviation (ddof = 1, as `numpy.std(ddof=1)`), min and max, and the share
//! of tickets whose label is not the same in every run (an invalid output is
//! a label of its own for this purpose).

use serde::{Deserialize, Serialize};

/// Accuracy spread and label instability across repeats.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RepeatsReport {
    /// Tickets.
    pub n: u64,
    /// Number of runs.
    pub k: usize,
    /// Accuracy of each run, in run order.
    pub accuracies: Vec<f64>,
    /// Mean accuracy.
    pub mean: f64,
    /// Sample standard deviation (ddof = 1); `None` with a single run.
    pub std: Option<f64>,
    /// Lowest run accuracy.
    pub min: f64,
    /// Highest run accuracy.
    pub max: f64,
    /// Tickets whose label differs between at least two runs.
    pub unstable: u64,
    /// unstable / n.
    pub unstable_share: f64,
}

/// Repeat statistics; `None` if there are no tickets or no runs.
///
/// # Panics
/// If a run's length differs from `gold`'s.
pub fn repeats<R: AsRef<[Option<u32>]>>(gold: &[u32], runs: &[R]) -> Option<RepeatsReport> {
    let n = gold.len();
    if n == 0 || runs.is_empty() {
        return None;
    }
    for r in runs {
        assert_eq!(r.as_ref().len(), n, "a run differs in length from gold");
    }
    let nf = n as f64;
    let accuracies: Vec<f64> = runs
        .iter()
        .map(|r| {
            let ok = r
                .as_ref()
                .iter()
                .zip(gold)
                .filter(|(p, g)| **p == Some(**g))
                .count();
            ok as f64 / nf
        })
        .collect();
    let first = runs[0].as_ref();
    let unstable = (0..n)
        .filter(|&i| runs[1..].iter().any(|r| r.as_ref()[i] != first[i]))
        .count() as u64;
    let k = runs.len();
    let mean = accuracies.iter().sum::<f64>() / k as f64;
    let std = (k >= 2).then(|| {
        let ss: f64 = accuracies.iter().map(|a| (a - mean) * (a - mean)).sum();
        (ss / (k - 1) as f64).sqrt()
    });
    Some(RepeatsReport {
        n: n as u64,
        k,
        min: accuracies.iter().copied().fold(f64::INFINITY, f64::min),
        max: accuracies.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        accuracies,
        mean,
        std,
        unstable,
        unstable_share: unstable as f64 / nf,
    })
}

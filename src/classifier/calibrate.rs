//! Turning per-class decision values into probabilities: a softmax over the scores
//! scaled by `beta = 1 / temperature`, where `beta` is either fixed or fitted by
//! minimising the negative log-likelihood on held-out examples (temperature scaling,
//! Guo et al. 2017). The fitted NLL is convex in `beta`, so a bisection on its
//! derivative finds the optimum deterministically.

use rayon::prelude::*;

/// Softmax of `beta * scores`; `-inf` scores get probability 0.
pub(crate) fn softmax(scores: &[f64], beta: f64) -> Vec<f64> {
    let max = scores
        .iter()
        .copied()
        .filter(|s| s.is_finite())
        .fold(f64::NEG_INFINITY, f64::max);
    if !max.is_finite() {
        let n = scores.len().max(1) as f64;
        return vec![1.0 / n; scores.len()];
    }
    let mut p: Vec<f64> = scores
        .iter()
        .map(|&s| {
            if s.is_finite() {
                (beta * (s - max)).exp()
            } else {
                0.0
            }
        })
        .collect();
    let z: f64 = p.iter().sum();
    for v in &mut p {
        *v /= z;
    }
    p
}

/// Smallest and largest `beta` that fitting may return.
pub(crate) const BETA_RANGE: (f64, f64) = (1e-2, 1e2);

/// d/d(beta) of the mean NLL: mean over rows of `E_p[s] - s_y`. Increasing in beta.
/// The rows' terms are computed in parallel and added up in row order, so the result
/// does not depend on the number of threads.
fn nll_slope(scores: &[Vec<f64>], labels: &[usize], beta: f64) -> f64 {
    let terms: Vec<f64> = scores
        .par_iter()
        .zip(labels)
        .with_min_len(64)
        .map(|(s, &y)| {
            let p = softmax(s, beta);
            let max = s
                .iter()
                .copied()
                .filter(|v| v.is_finite())
                .fold(f64::NEG_INFINITY, f64::max);
            let expected: f64 = p
                .iter()
                .zip(s)
                .filter(|(&pk, _)| pk > 0.0)
                .map(|(pk, sk)| pk * (sk - max))
                .sum();
            expected - (s[y] - max)
        })
        .collect();
    let mut total = 0.0;
    for t in terms {
        total += t;
    }
    total / scores.len() as f64
}

/// The `beta` in [`BETA_RANGE`] that minimises the negative log-likelihood of `labels`
/// under `softmax(beta * scores)`.
pub(crate) fn fit_beta(scores: &[Vec<f64>], labels: &[usize]) -> f64 {
    let (mut lo, mut hi) = (BETA_RANGE.0.ln(), BETA_RANGE.1.ln());
    if scores.is_empty() {
        return 1.0;
    }
    if nll_slope(scores, labels, lo.exp()) >= 0.0 {
        return lo.exp();
    }
    if nll_slope(scores, labels, hi.exp()) <= 0.0 {
        return hi.exp();
    }
    for _ in 0..60 {
        let mid = 0.5 * (lo + hi);
        if nll_slope(scores, labels, mid.exp()) < 0.0 {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    (0.5 * (lo + hi)).exp()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn softmax_sums_to_one_and_ignores_missing_classes() {
        let p = softmax(&[1.0, f64::NEG_INFINITY, -1.0], 2.0);
        assert!((p.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        assert_eq!(p[1], 0.0);
        assert!((p[0] - 1.0 / (1.0 + (-4.0f64).exp())).abs() < 1e-12);
    }

    #[test]
    fn fitted_beta_sharpens_reliable_scores_and_softens_noisy_ones() {
        // Scores that are always right: beta should be large.
        let scores: Vec<Vec<f64>> = (0..50)
            .map(|i| {
                if i % 2 == 0 {
                    vec![1.0, -1.0]
                } else {
                    vec![-1.0, 1.0]
                }
            })
            .collect();
        let labels: Vec<usize> = (0..50).map(|i| i % 2).collect();
        assert!(fit_beta(&scores, &labels) > 10.0);
        // Right 3 times out of 4: p(correct) = 0.75 = sigmoid(2 * beta).
        let labels: Vec<usize> = (0..48)
            .map(|i| if i % 4 == 0 { 1 - i % 2 } else { i % 2 })
            .collect();
        let b = fit_beta(&scores[..48], &labels);
        let p = softmax(&[1.0, -1.0], b)[0];
        assert!((p - 0.75).abs() < 1e-6, "p = {p}");
    }
}

//! One-sided paired tests between a baseline and a candidate on the same tickets, and the
//! power question that comes with them: is the gold set large enough to see the drop a rule
//! is meant to catch?
//!
//! - Accuracy: one-sided exact McNemar. With `b` tickets right -> wrong (the baseline right,
//!   the candidate wrong) and `c` wrong -> right, under H0 (no drop) `b ~ Binomial(b + c, ½)`,
//!   so `p = P(X >= b)` (= statsmodels `binom_test(b, b + c, 0.5, alternative="larger")`).
//! - Any other count metric: a seeded one-sided paired bootstrap. Each ticket is a *joint
//!   cell* (its gold value and both predictions); a resample of N tickets is one
//!   Multinomial(N, observed cell shares) draw over the distinct cells (the design's counts
//!   bootstrap: the same distribution as resampling tickets, at a cost that depends on the
//!   number of distinct cells, not on N). `p = (1 + #{Δ* >= 0}) / (B + 1)` where Δ* is the
//!   candidate-minus-baseline change in the "better" direction. Above [`POISSON_ABOVE`]
//!   tickets each cell's resampled count is an independent Poisson(observed count) draw
//!   instead (the Poisson bootstrap; Hanley & MacGibbon 2006, Chamandy et al. 2012): the same
//!   distribution up to O(1/N), at a few nanoseconds a cell instead of a binomial draw over
//!   the remaining N, which is what a million tickets with tens of thousands of distinct
//!   cells needs.
//! - Power: Connor's (1987) sample size for McNemar's test, one-sided; for bootstrap metrics
//!   the normal approximation `n_req = n ((z_{1−α} + z_power) sd(Δ*) / margin)²`.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use statrs::distribution::{ContinuousCDF, DiscreteCDF, Normal};

/// One-sided exact McNemar p-value for "the candidate is worse": `P(X >= b)` with
/// `X ~ Binomial(b + c, ½)`; 1 when there is no discordant ticket.
pub fn mcnemar_one_sided(b: u64, c: u64) -> f64 {
    let n = b + c;
    if n == 0 || b == 0 {
        return 1.0;
    }
    let bin = statrs::distribution::Binomial::new(0.5, n).expect("valid binomial");
    // P(X >= b) = 1 − P(X <= b − 1) = sf(b − 1).
    bin.sf(b - 1).clamp(0.0, 1.0)
}

/// Tickets needed for a one-sided McNemar test at level `alpha` to detect a drop of `delta`
/// (a proportion) with `power`, given the discordant rate `psi` (Connor 1987):
///
/// n = ( z_{1−α} √ψ + z_{power} √(ψ − δ²) )² / δ²
///
/// ψ is floored at δ (a δ drop needs at least δ discordance). Real-valued; round up.
pub fn mcnemar_required_n(psi: f64, delta: f64, alpha: f64, power: f64) -> f64 {
    let z = Normal::new(0.0, 1.0).expect("standard normal");
    let za = z.inverse_cdf(1.0 - alpha);
    let zb = z.inverse_cdf(power);
    let psi = psi.max(delta);
    let root = za * psi.sqrt() + zb * (psi - delta * delta).max(0.0).sqrt();
    root * root / (delta * delta)
}

/// Tickets needed to detect `margin` with a one-sided test at `alpha` and `power` when the
/// change's standard deviation is `sd` on `n` tickets (it scales as 1/√n).
pub fn normal_required_n(n: u64, sd: f64, margin: f64, alpha: f64, power: f64) -> f64 {
    let z = Normal::new(0.0, 1.0).expect("standard normal");
    let k = (z.inverse_cdf(1.0 - alpha) + z.inverse_cdf(power)) * sd / margin;
    n as f64 * k * k
}

/// The random stream of one quantity: the caller's seed and a stream number.
pub fn rng_for(seed: u64, stream: u64) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(stream);
    rng
}

pub use crate::stats::POISSON_ABOVE;
use crate::stats::{poisson_draws, MultinomialPlan, PoissonPlan, PoissonStat};

/// What a paired bootstrap of one change found.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PairedBootstrap {
    /// The observed change, candidate minus baseline (in the metric's own direction).
    pub estimate: f64,
    /// Percentile interval of the change at `level`.
    pub lo: f64,
    pub hi: f64,
    pub level: f64,
    /// One-sided p-value for "the candidate is worse".
    pub p_worse: f64,
    /// Standard deviation of the resampled changes.
    pub sd: f64,
    pub resamples: usize,
}

/// Paired bootstrap over joint cells. `counts[i]` is how many tickets fall in distinct cell
/// `i`; `stat(resampled_counts)` returns the change (candidate minus baseline) of the metric,
/// or `None` when it is undefined on that resample (such resamples are dropped).
/// `higher_is_better` orients the p-value. `None` when there are no tickets or the metric is
/// undefined on the observed data.
pub fn paired_bootstrap(
    counts: &[u64],
    stat: impl Fn(&[u64]) -> Option<f64>,
    higher_is_better: bool,
    resamples: usize,
    level: f64,
    seed: u64,
    stream: u64,
) -> Option<PairedBootstrap> {
    paired_bootstrap_with(
        counts,
        stat,
        None,
        higher_is_better,
        resamples,
        level,
        seed,
        stream,
    )
}

/// [`paired_bootstrap`], with `poisson` (when given) computing each Poisson resample's
/// statistic straight from the draws instead of `stat` over stored weights: the same numbers
/// when it computes what `stat` computes. Those resamples are computed in blocks on every
/// core, each block's stream positioned where the one before leaves it ([`StreamSkip`]):
/// the same draws, in the same order, as one pass.
#[allow(clippy::too_many_arguments)]
pub(crate) fn paired_bootstrap_with(
    counts: &[u64],
    stat: impl Fn(&[u64]) -> Option<f64>,
    poisson: Option<PoissonStat>,
    higher_is_better: bool,
    resamples: usize,
    level: f64,
    seed: u64,
    stream: u64,
) -> Option<PairedBootstrap> {
    let n: u64 = counts.iter().sum();
    if n == 0 {
        return None;
    }
    let estimate = stat(counts)?;
    let mut rng = rng_for(seed, stream);
    let plan = (n > POISSON_ABOVE).then(|| PoissonPlan::new(counts));
    let mut draws: Vec<f64> = match (&plan, poisson) {
        (Some(plan), Some(poisson)) => poisson_draws(plan, counts, &rng, resamples, poisson),
        _ => {
            let mut out = vec![0u64; counts.len()];
            let mut draws = Vec::with_capacity(resamples);
            // The same draws as `multinomial`, its binomials' powers computed once.
            let exact = plan.is_none().then(|| MultinomialPlan::new(counts));
            for _ in 0..resamples {
                if let Some(plan) = &plan {
                    plan.draw(&mut rng, &mut out);
                } else if let Some(exact) = &exact {
                    exact.draw(&mut rng, n, &mut out);
                }
                if let Some(d) = stat(&out) {
                    draws.push(d);
                }
            }
            draws
        }
    };
    draws.sort_unstable_by(f64::total_cmp);
    let tail = (1.0 - level) / 2.0;
    let lo = crate::stats::percentile(&draws, tail).unwrap_or(estimate);
    let hi = crate::stats::percentile(&draws, 1.0 - tail).unwrap_or(estimate);
    let not_worse = draws
        .iter()
        .filter(|&&d| if higher_is_better { d >= 0.0 } else { d <= 0.0 })
        .count();
    let m = draws.len() as f64;
    let mean = draws.iter().sum::<f64>() / m.max(1.0);
    let sd = if draws.len() > 1 {
        (draws.iter().map(|d| (d - mean) * (d - mean)).sum::<f64>() / (m - 1.0)).sqrt()
    } else {
        0.0
    };
    Some(PairedBootstrap {
        estimate,
        lo,
        hi,
        level,
        p_worse: (1.0 + not_worse as f64) / (m + 1.0),
        sd,
        resamples: draws.len(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn above_the_threshold_the_poisson_bootstrap_agrees_with_the_multinomial_one() {
        // The accuracy change on four (base right, candidate right) cells: its bootstrap sd
        // is known in closed form, sqrt((b + c - (b - c)^2 / n) / n^2) for the discordant b, c.
        let stat = |c: &[u64]| {
            let n = c.iter().sum::<u64>() as f64;
            (n > 0.0).then(|| (c[1] as f64 - c[2] as f64) / n)
        };
        for n_scale in [1u64, 20] {
            let counts = [
                2_000 * n_scale,
                400 * n_scale,
                600 * n_scale,
                7_000 * n_scale,
            ];
            let n = counts.iter().sum::<u64>();
            let r = paired_bootstrap(&counts, stat, true, 2000, 0.95, 11, 2).unwrap();
            let (b, c, nf) = (counts[2] as f64, counts[1] as f64, n as f64);
            let sd = ((b + c - (b - c) * (b - c) / nf) / (nf * nf)).sqrt();
            assert!(
                (r.sd / sd - 1.0).abs() < 0.06,
                "n {n} (poisson: {}): sd {} vs {sd}",
                n > POISSON_ABOVE,
                r.sd
            );
            assert!((r.estimate - (c - b) / nf).abs() < 1e-12);
        }
    }

    #[test]
    fn one_sided_mcnemar_by_hand() {
        // P(X >= 12 | 14, ½) = (C(14,12) + C(14,13) + C(14,14)) / 2^14.
        let p = mcnemar_one_sided(12, 2);
        assert!((p - 106.0 / 16384.0).abs() < 1e-15, "{p}");
        assert_eq!(mcnemar_one_sided(0, 5), 1.0);
        assert_eq!(mcnemar_one_sided(0, 0), 1.0);
        // The whole distribution: P(X >= 1 | 1) = ½.
        assert!((mcnemar_one_sided(1, 0) - 0.5).abs() < 1e-15);
    }

    #[test]
    fn bootstrap_is_seeded_and_oriented() {
        // Cells: (base right, cand wrong) x 30, (base wrong, cand right) x 5, both x 165.
        let counts = [30u64, 5, 165];
        let stat = |c: &[u64]| {
            let n = (c[0] + c[1] + c[2]) as f64;
            Some((c[1] as f64 - c[0] as f64) / n)
        };
        let a = paired_bootstrap(&counts, stat, true, 1000, 0.95, 7, 1).unwrap();
        let b = paired_bootstrap(&counts, stat, true, 1000, 0.95, 7, 1).unwrap();
        assert_eq!(a, b);
        assert!((a.estimate + 0.125).abs() < 1e-12);
        assert!(a.p_worse < 0.01, "{a:?}");
        assert!(a.lo < a.estimate && a.estimate < a.hi);
        // The same change read as a lower-is-better metric is an improvement.
        let c = paired_bootstrap(&counts, stat, false, 1000, 0.95, 7, 1).unwrap();
        assert!(c.p_worse > 0.99, "{c:?}");
    }

    #[test]
    fn multinomial_keeps_the_total_and_empty_cells() {
        let mut rng = rng_for(1, 2);
        let mut out = [0u64; 4];
        let plan = MultinomialPlan::new(&[3, 0, 7, 0]);
        for _ in 0..100 {
            plan.draw(&mut rng, 50, &mut out);
            assert_eq!(out.iter().sum::<u64>(), 50);
            assert_eq!(out[1], 0);
            assert_eq!(out[3], 0);
        }
    }
}

//! Statistics over metric counts: seeded bootstrap intervals, paired tests
//! between prompt variants, multiple-comparison correction and verdicts.
//!
//! Bootstraps resample *counts*, not items: the cell counts of a resample of
//! N items drawn with replacement are Multinomial(N, observed cell shares),
//! so accuracy needs one binomial draw per resample, macro F1 one
//! multinomial over the K x (K+1) confusion cells, and a paired accuracy
//! difference one multinomial over the four cells of the 2x2 agreement table.
//! Above [`POISSON_ABOVE`] items, macro F1's cells are resampled with
//! independent Poisson(count) weights instead (the Poisson bootstrap).
//! This is the same distribution as the item bootstrap at a cost independent
//! of N. Intervals are percentile intervals (numpy's default linear
//! interpolation) at the requested level. Every random draw comes from a
//! `ChaCha8Rng` seeded from the caller's `u64` seed and a per-quantity stream
//! number, so results are reproducible and independent of evaluation order.
//!
//! Paired tests: McNemar's exact test (= statsmodels `mcnemar(table,
//! exact=True)`), Holm-Bonferroni adjustment (= statsmodels
//! `multipletests(method="holm")`) and Connor's (1987) sample size for
//! McNemar's test, used to say how many tickets a non-significant comparison
//! would need.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use statrs::distribution::{ContinuousCDF, DiscreteCDF, Normal};

use crate::metrics::ConfusionMatrix;

use resample::binomial;
#[cfg(test)]
use resample::multinomial;
pub use resample::POISSON_ABOVE;
pub(crate) use resample::{poisson_draws, MultinomialPlan, PoissonPlan, PoissonStat};

/// How to bootstrap.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BootstrapConfig {
    /// Number of resamples (default 1,000).
    pub resamples: usize,
    /// Confidence level of the percentile interval (default 0.95).
    pub level: f64,
    /// Seed of the random streams (default 0).
    pub seed: u64,
}

impl Default for BootstrapConfig {
    fn default() -> Self {
        Self {
            resamples: 1000,
            level: 0.95,
            seed: 0,
        }
    }
}

/// A point estimate with a percentile-bootstrap interval.
///
/// `lo <= hi` always holds. The percentile interval is *not* guaranteed to
/// contain `estimate` (it almost always does for these statistics, but a
/// skewed bootstrap distribution can exclude it); no clamping is applied.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Interval {
    /// Statistic on the observed data.
    pub estimate: f64,
    /// Lower percentile ((1 − level) / 2).
    pub lo: f64,
    /// Upper percentile ((1 + level) / 2).
    pub hi: f64,
    /// Confidence level.
    pub level: f64,
    /// Number of resamples.
    pub resamples: usize,
}

fn rng_for(seed: u64, stream: u64) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(stream);
    rng
}

/// Percentile `q` in [0, 1] of sorted data with numpy's default linear
/// interpolation (`np.percentile(x, 100 q)`). `None` for empty data.
pub fn percentile(sorted: &[f64], q: f64) -> Option<f64> {
    let n = sorted.len();
    if n == 0 {
        return None;
    }
    let h = q * (n - 1) as f64;
    let lo = (h.floor() as usize).min(n - 1);
    let hi = (lo + 1).min(n - 1);
    let t = h - lo as f64;
    let (a, b) = (sorted[lo], sorted[hi]);
    let d = b - a;
    // numpy's _lerp: a + d t, or b − d (1 − t) when t >= 0.5.
    Some(if t >= 0.5 {
        b - d * (1.0 - t)
    } else {
        a + d * t
    })
}

fn interval(estimate: f64, mut draws: Vec<f64>, cfg: &BootstrapConfig) -> Interval {
    draws.sort_unstable_by(f64::total_cmp);
    let tail = (1.0 - cfg.level) / 2.0;
    Interval {
        estimate,
        lo: percentile(&draws, tail).unwrap_or(estimate),
        hi: percentile(&draws, 1.0 - tail).unwrap_or(estimate),
        level: cfg.level,
        resamples: cfg.resamples,
    }
}

/// Bootstrap interval of an accuracy `correct / n`: each resample is one
/// Binomial(n, correct / n) draw. `stream` selects an independent random
/// stream for this quantity. `None` when `n == 0`.
pub fn bootstrap_accuracy(
    correct: u64,
    n: u64,
    cfg: &BootstrapConfig,
    stream: u64,
) -> Option<Interval> {
    if n == 0 {
        return None;
    }
    assert!(correct <= n, "correct > n");
    let mut rng = rng_for(cfg.seed, stream);
    let p = correct as f64 / n as f64;
    let nf = n as f64;
    let draws = (0..cfg.resamples)
        .map(|_| binomial(&mut rng, n, p) as f64 / nf)
        .collect();
    Some(interval(p, draws, cfg))
}

/// Bootstrap interval of macro F1: each resample is a multinomial draw of
/// the K x (K+1) confusion cells (above [`POISSON_ABOVE`] items, an independent
/// Poisson(count) draw per cell: the Poisson bootstrap, the same distribution up
/// to O(1/N) at a fraction of the cost with thousands of cells), scored with [`ConfusionMatrix::macro_f1`]
/// (label set recomputed per resample, as scikit-learn would on the
/// resampled items). `None` for an empty matrix.
pub fn bootstrap_macro_f1(
    cm: &ConfusionMatrix,
    cfg: &BootstrapConfig,
    stream: u64,
) -> Option<Interval> {
    let n = cm.n();
    let estimate = cm.macro_f1()?;
    let mut rng = rng_for(cfg.seed, stream);
    // Only the non-zero cells are resampled: neither scheme draws anything for an empty cell
    // (the multinomial skips it, the Poisson plan draws it as 0 without the stream), so the
    // resamples are the same as over all K x (K+1) cells, at a cost that follows the distinct
    // cells the tickets fill (a few hundred for a good classifier) instead of K^2 (250,500
    // cells at 500 classes, each resample also building a dense matrix).
    let cells = SparseCells::of(cm);
    let draws = if n > POISSON_ABOVE {
        // One Poisson weight per cell from the plan's tables (the draws of `PoissonTables`,
        // one `u64` of the stream per table cell), the resamples in blocks on every core,
        // each block's stream positioned where the one before leaves it: the same draws as
        // one pass.
        let plan = PoissonPlan::new(&cells.counts);
        let stat = |plan: &PoissonPlan, rng: &mut ChaCha8Rng, w: &mut Vec<u64>| {
            let n = plan.len();
            w.resize(n + 3 * cm.k, 0);
            let (weights, scratch) = w.split_at_mut(n);
            plan.draw(rng, weights);
            Some(cells.macro_f1(weights, scratch).unwrap_or(0.0))
        };
        poisson_draws(&plan, &cells.counts, &rng, cfg.resamples, &stat)
    } else {
        let plan = MultinomialPlan::new(&cells.counts);
        let mut weights = vec![0u64; cells.counts.len()];
        let mut scratch = vec![0u64; 3 * cm.k];
        (0..cfg.resamples)
            .map(|_| {
                plan.draw(&mut rng, n, &mut weights);
                cells.macro_f1(&weights, &mut scratch).unwrap_or(0.0)
            })
            .collect()
    };
    Some(interval(estimate, draws, cfg))
}

/// A confusion matrix's non-zero cells, for resampling.
struct SparseCells {
    k: usize,
    /// Per cell: its gold class and column (`k`: invalid).
    at: Vec<(u32, u32)>,
    counts: Vec<u64>,
}

impl SparseCells {
    fn of(cm: &ConfusionMatrix) -> Self {
        let w = cm.k + 1;
        let (mut at, mut counts) = (Vec::new(), Vec::new());
        for (i, &n) in cm.counts.iter().enumerate() {
            if n > 0 {
                at.push(((i / w) as u32, (i % w) as u32));
                counts.push(n);
            }
        }
        SparseCells {
            k: cm.k,
            at,
            counts,
        }
    }

    /// [`ConfusionMatrix::macro_f1`] of the matrix with these cells' counts replaced by
    /// `weights`: the same per-class integer sums, then the same `macro_f1_of`, so the same
    /// `f64`. `scratch` holds at least 3 k numbers.
    fn macro_f1(&self, weights: &[u64], scratch: &mut [u64]) -> Option<f64> {
        let k = self.k;
        let (support, rest) = scratch[..3 * k].split_at_mut(k);
        let (predicted, tp) = rest.split_at_mut(k);
        support.fill(0);
        predicted.fill(0);
        tp.fill(0);
        for (&(g, c), &n) in self.at.iter().zip(weights) {
            let (g, c) = (g as usize, c as usize);
            support[g] += n;
            if c < k {
                predicted[c] += n;
                if c == g {
                    tp[g] += n;
                }
            }
        }
        crate::metrics::classification::macro_f1_of(support, predicted, |c| tp[c])
    }
}

/// Agreement table of two variants on the same tickets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PairedTable {
    /// Both correct.
    pub both_correct: u64,
    /// A correct, B wrong (McNemar's b).
    pub a_only: u64,
    /// A wrong, B correct (McNemar's c).
    pub b_only: u64,
    /// Both wrong.
    pub both_wrong: u64,
}

impl PairedTable {
    /// Count the table in one pass.
    ///
    /// # Panics
    /// If the slices differ in length.
    pub fn from_correct(a: &[bool], b: &[bool]) -> Self {
        assert_eq!(a.len(), b.len(), "variants scored on different tickets");
        let mut t = [0u64; 4];
        for (&x, &y) in a.iter().zip(b) {
            t[(x as usize) << 1 | y as usize] += 1;
        }
        Self {
            both_wrong: t[0],
            b_only: t[1],
            a_only: t[2],
            both_correct: t[3],
        }
    }

    /// Number of tickets.
    pub fn n(&self) -> u64 {
        self.both_correct + self.a_only + self.b_only + self.both_wrong
    }

    /// Accuracy of B minus accuracy of A, `(c − b) / n`; `None` if empty.
    pub fn diff(&self) -> Option<f64> {
        let n = self.n();
        (n > 0).then(|| (self.b_only as f64 - self.a_only as f64) / n as f64)
    }
}

/// Paired-bootstrap interval of accuracy(B) − accuracy(A): each resample
/// is a multinomial draw of the four agreement cells. `None` if empty.
pub fn bootstrap_paired_diff(
    t: &PairedTable,
    cfg: &BootstrapConfig,
    stream: u64,
) -> Option<Interval> {
    let estimate = t.diff()?;
    let n = t.n();
    let nf = n as f64;
    let cells = [t.a_only, t.b_only, t.both_correct + t.both_wrong];
    let mut out = [0u64; 3];
    let mut rng = rng_for(cfg.seed, stream);
    let plan = MultinomialPlan::new(&cells);
    let draws = (0..cfg.resamples)
        .map(|_| {
            plan.draw(&mut rng, n, &mut out);
            (out[1] as f64 - out[0] as f64) / nf
        })
        .collect();
    Some(interval(estimate, draws, cfg))
}

/// Result of McNemar's exact test.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct McNemar {
    /// A correct, B wrong.
    pub b: u64,
    /// A wrong, B correct.
    pub c: u64,
    /// min(b, c), as statsmodels reports it.
    pub statistic: f64,
    /// Two-sided exact p-value: min(1, 2 · BinomCDF(min(b, c); b + c, ½)).
    pub p_value: f64,
}

/// McNemar's exact test on the discordant counts, as statsmodels
/// `mcnemar([[_, b], [c, _]], exact=True)`. With b + c = 0 the p-value is 1.
pub fn mcnemar_exact(b: u64, c: u64) -> McNemar {
    let k = b.min(c);
    let n = b + c;
    let cdf = if n == 0 {
        1.0
    } else {
        statrs::distribution::Binomial::new(0.5, n)
            .expect("valid binomial")
            .cdf(k)
    };
    McNemar {
        b,
        c,
        statistic: k as f64,
        p_value: (2.0 * cdf).min(1.0),
    }
}

/// Holm-Bonferroni adjusted p-values and rejections at `alpha`, as
/// statsmodels `multipletests(p, alpha, method="holm")`.
pub fn holm(p: &[f64], alpha: f64) -> (Vec<f64>, Vec<bool>) {
    let m = p.len();
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by(|&i, &j| p[i].total_cmp(&p[j]));
    let mut adjusted = vec![0.0; m];
    let mut reject = vec![false; m];
    let mut running = 0.0f64;
    let mut still_rejecting = true;
    for (rank, &i) in order.iter().enumerate() {
        let factor = (m - rank) as f64;
        running = running.max(p[i] * factor);
        adjusted[i] = running.min(1.0);
        // statsmodels: reject while p_(j) <= alpha / (m − j) for all j <= i.
        still_rejecting = still_rejecting && p[i] <= alpha / factor;
        reject[i] = still_rejecting;
    }
    (adjusted, reject)
}

/// Tickets needed to detect an accuracy difference `delta` (a proportion,
/// e.g. 0.02) with McNemar's test at two-sided level `alpha` and `power`,
/// given the discordant rate `psi` (share of tickets where exactly one
/// variant is right). Connor (1987):
///
/// n = ( z_{1−α/2} √ψ + z_{power} √(ψ − δ²) )² / δ²
///
/// ψ is floored at δ (a δ difference needs at least δ discordance).
/// Returns the real-valued n; callers round up.
pub fn mcnemar_sample_size(psi: f64, delta: f64, alpha: f64, power: f64) -> f64 {
    let z = Normal::new(0.0, 1.0).expect("standard normal");
    let za = z.inverse_cdf(1.0 - alpha / 2.0);
    let zb = z.inverse_cdf(power);
    let psi = psi.max(delta);
    let root = za * psi.sqrt() + zb * (psi - delta * delta).sqrt();
    root * root / (delta * delta)
}

/// One variant's input to [`compare_variants`].
#[derive(Debug, Clone)]
pub struct VariantInput<'a> {
    /// Display name ("A", "prompt-v2", ...).
    pub name: &'a str,
    /// Per-ticket correctness, same tickets in the same order for all.
    pub correct: &'a [bool],
    /// Confusion matrix, for a macro-F1 interval (optional).
    pub confusion: Option<&'a ConfusionMatrix>,
}

/// Settings of a comparison.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CompareConfig {
    /// Bootstrap settings shared by all intervals.
    pub bootstrap: BootstrapConfig,
    /// Family-wise significance level after Holm (default 0.05).
    pub alpha: f64,
    /// Power for the sample-size statement (default 0.8).
    pub power: f64,
    /// Difference to size for, in accuracy points (default 2.0).
    pub mde_points: f64,
}

impl Default for CompareConfig {
    fn default() -> Self {
        Self {
            bootstrap: BootstrapConfig::default(),
            alpha: 0.05,
            power: 0.8,
            mde_points: 2.0,
        }
    }
}

/// Intervals for one variant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VariantStats {
    /// Variant name.
    pub name: String,
    /// Tickets.
    pub n: u64,
    /// Accuracy with its bootstrap interval.
    pub accuracy: Interval,
    /// Macro F1 with its bootstrap interval, when a matrix was given.
    pub macro_f1: Option<Interval>,
}

/// Comparison of one pair of variants (B against A).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PairComparison {
    /// First variant's name.
    pub a: String,
    /// Second variant's name.
    pub b: String,
    /// Agreement table.
    pub table: PairedTable,
    /// Accuracy of A.
    pub accuracy_a: f64,
    /// Accuracy of B.
    pub accuracy_b: f64,
    /// accuracy(B) − accuracy(A) with its paired-bootstrap interval.
    pub diff: Interval,
    /// McNemar's exact test.
    pub mcnemar: McNemar,
    /// Holm-adjusted p-value across all pairs of the comparison.
    pub p_holm: f64,
    /// Holm rejects at `alpha`.
    pub significant: bool,
    /// Tickets needed to detect `mde_points` at `alpha`, `power` given the
    /// observed discordant rate (Connor 1987), rounded up.
    pub required_n: u64,
    /// Plain-language verdict.
    pub verdict: String,
}

/// All intervals and pairwise tests of a set of variants.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ComparisonReport {
    /// Settings used.
    pub config: CompareConfig,
    /// One entry per variant, in input order.
    pub variants: Vec<VariantStats>,
    /// One entry per pair (i < j) in lexicographic order.
    pub pairs: Vec<PairComparison>,
}

/// Intervals for every variant and tests for every pair.
///
/// Random streams: variant i uses streams 2i (accuracy) and 2i + 1 (macro
/// F1); pair number p (in output order) uses stream 2^32 + p. `None` when
/// there is no variant or the tickets are empty.
///
/// # Panics
/// If variants have different numbers of tickets.
pub fn compare_variants(
    variants: &[VariantInput<'_>],
    cfg: &CompareConfig,
) -> Option<ComparisonReport> {
    let n = variants.first()?.correct.len() as u64;
    if n == 0 {
        return None;
    }
    let bs = &cfg.bootstrap;
    // One seeded stream per quantity, so the variants' bootstraps run in parallel and give
    // the same numbers as one after the other.
    use rayon::prelude::*;
    let stats: Vec<VariantStats> = variants
        .par_iter()
        .enumerate()
        .map(|(i, v)| {
            assert_eq!(
                v.correct.len() as u64,
                n,
                "variants scored on different tickets"
            );
            let correct = v.correct.iter().filter(|&&c| c).count() as u64;
            Some(VariantStats {
                name: v.name.to_string(),
                n,
                accuracy: bootstrap_accuracy(correct, n, bs, 2 * i as u64)?,
                macro_f1: v
                    .confusion
                    .and_then(|cm| bootstrap_macro_f1(cm, bs, 2 * i as u64 + 1)),
            })
        })
        .collect::<Option<Vec<_>>>()?;
    let mut pairs = Vec::new();
    for i in 0..variants.len() {
        for j in i + 1..variants.len() {
            let (a, b) = (&variants[i], &variants[j]);
            let table = PairedTable::from_correct(a.correct, b.correct);
            let stream = (1u64 << 32) + pairs.len() as u64;
            let diff = bootstrap_paired_diff(&table, bs, stream)?;
            let mcnemar = mcnemar_exact(table.a_only, table.b_only);
            let psi = (table.a_only + table.b_only) as f64 / n as f64;
            let required = mcnemar_sample_size(psi, cfg.mde_points / 100.0, cfg.alpha, cfg.power);
            pairs.push(PairComparison {
                a: a.name.to_string(),
                b: b.name.to_string(),
                table,
                accuracy_a: stats[i].accuracy.estimate,
                accuracy_b: stats[j].accuracy.estimate,
                diff,
                p_holm: mcnemar.p_value,
                mcnemar,
                significant: false,
                required_n: required.ceil() as u64,
                verdict: String::new(),
            });
        }
    }
    let raw: Vec<f64> = pairs.iter().map(|p| p.mcnemar.p_value).collect();
    // Holm's reject flags are `adjusted <= alpha` (up to rounding exactly at alpha); the
    // decision stored is the one [`pair_verdict`] takes, so flag and sentence never differ.
    let (adjusted, _reject) = holm(&raw, cfg.alpha);
    for (k, pc) in pairs.iter_mut().enumerate() {
        pc.p_holm = adjusted[k];
        let v = verdict_of(pc, cfg.alpha, cfg.mde_points);
        pc.significant = v.significant;
        pc.verdict = v.text;
    }
    Some(ComparisonReport {
        config: cfg.clone(),
        variants: stats,
        pairs,
    })
}

mod resample;
mod verdict;
pub use verdict::*;

#[cfg(test)]
mod tests;

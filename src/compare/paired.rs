//! Resampling the per-ticket data of a comparison: the joint (gold, baseline, candidate)
//! cells of a field, their confusion matrices, and the paired bootstraps of a label-field
//! metric and of the invalid rate.

use hashbrown::HashMap;

use super::PairedField;
use crate::metrics::ConfusionMatrix;
use crate::onesided::{self, PairedBootstrap};

/// A joint cell `(gold, base column, candidate column)` and its count.
type JointCell = ((u32, u32, u32), u64);

/// Joint cells `(gold, base column, candidate column)` of a field over `rows` (all when
/// `None`); column `k` is an invalid prediction.
pub fn joint_cells(pf: &PairedField, rows: Option<&[usize]>) -> Vec<((u32, u32, u32), u64)> {
    let k = pf.field.values.len() as u32;
    let w = k as usize + 1;
    if w * w * w <= 1 << 22 {
        // Few enough classes: count in a dense table, whose order is the cells' order.
        let mut t = vec![0u64; w * w * w];
        let mut add = |i: usize| {
            let (g, b, c) = (
                pf.gold[i] as usize,
                pf.base[i].unwrap_or(k) as usize,
                pf.cand[i].unwrap_or(k) as usize,
            );
            t[(g * w + b) * w + c] += 1;
        };
        match rows {
            Some(rows) => rows.iter().for_each(|&i| add(i)),
            None => (0..pf.gold.len()).for_each(&mut add),
        }
        return t
            .iter()
            .enumerate()
            .filter(|(_, &n)| n > 0)
            .map(|(i, &n)| {
                let (g, b, c) = (i / (w * w), i / w % w, i % w);
                ((g as u32, b as u32, c as u32), n)
            })
            .collect();
    }
    let mut m: HashMap<(u32, u32, u32), u64> = HashMap::new();
    let mut add = |i: usize| {
        let key = (pf.gold[i], pf.base[i].unwrap_or(k), pf.cand[i].unwrap_or(k));
        *m.entry(key).or_default() += 1;
    };
    match rows {
        Some(rows) => rows.iter().for_each(|&i| add(i)),
        None => (0..pf.gold.len()).for_each(&mut add),
    }
    let mut cells: Vec<_> = m.into_iter().collect();
    cells.sort_unstable();
    cells
}

/// The two confusion matrices of a resample of joint cells.
pub fn matrices(
    k: usize,
    cells: &[((u32, u32, u32), u64)],
    counts: &[u64],
) -> (ConfusionMatrix, ConfusionMatrix) {
    let mut b = ConfusionMatrix::zeros(k);
    let mut c = ConfusionMatrix::zeros(k);
    let w = k + 1;
    for (((g, pb, pc), _), &n) in cells.iter().zip(counts) {
        if n == 0 {
            continue;
        }
        b.counts[*g as usize * w + *pb as usize] += n;
        c.counts[*g as usize * w + *pc as usize] += n;
    }
    (b, c)
}

/// Paired bootstrap of a label-field metric over joint cells.
#[allow(clippy::too_many_arguments)]
pub fn metric_bootstrap(
    pf: &PairedField,
    rows: Option<&[usize]>,
    metric: &crate::gate::metric::Metric,
    higher_is_better: bool,
    resamples: usize,
    level: f64,
    seed: u64,
    stream: u64,
) -> Option<PairedBootstrap> {
    let mut cells = joint_cells(pf, rows);
    let k = pf.field.values.len();
    let class = metric
        .class()
        .and_then(|c| pf.field.index_of(c))
        .map(|i| i as usize);
    let n: u64 = cells.iter().map(|(_, n)| *n).sum();
    let inner = match metric {
        crate::gate::metric::Metric::Tag { inner, .. } => &**inner,
        m => m,
    };
    if matches!(inner, crate::gate::metric::Metric::MacroF1) {
        // Each resample's per-class sums straight from its weights, under the exact
        // multinomial as under Poisson weights: the numbers the two confusion matrices a
        // resample gave, without building them (K x (K+1) cells twice a resample, and their
        // column sums).
        return macro_f1_bootstrap(
            &cells,
            k,
            metric,
            higher_is_better,
            resamples,
            level,
            seed,
            stream,
        );
    }
    if n > onesided::POISSON_ABOVE {
        // Poisson weights are independent per cell, so cells that count the same way in the
        // metric on both sides can be one cell (a sum of independent Poissons is Poisson of
        // the summed count): the same distribution, fewer draws.
        if let Some(merged) = merge_cells(&cells, k, inner, class) {
            cells = merged;
        }
    }
    let counts: Vec<u64> = cells.iter().map(|(_, n)| *n).collect();
    onesided::paired_bootstrap(
        &counts,
        |cnt| {
            let (b, c) = matrices(k, &cells, cnt);
            Some(metric.on_matrix(&c, class)? - metric.on_matrix(&b, class)?)
        },
        higher_is_better,
        resamples,
        level,
        seed,
        stream,
    )
}

/// Joint cells merged where the metric cannot tell them apart: for the invalid rate, by
/// (baseline invalid, candidate invalid); for a metric of one class, by that class's role
/// (true positive, false negative, false positive, none) on each side. Each merged cell keeps
/// its first member as its representative, so [`matrices`] of the merged cells gives the
/// metric the same counts. `None` for metrics over every class (macro F1).
fn merge_cells(
    cells: &[JointCell],
    k: usize,
    metric: &crate::gate::metric::Metric,
    class: Option<usize>,
) -> Option<Vec<JointCell>> {
    use crate::gate::metric::Metric;
    let k = k as u32;
    let key: Box<dyn Fn(u32, u32, u32) -> u32> = match metric {
        Metric::InvalidRate => Box::new(move |_, b, c| ((b == k) as u32) << 1 | (c == k) as u32),
        Metric::Recall { .. } | Metric::Precision { .. } | Metric::F1 { .. } => {
            let c = class? as u32;
            let role = move |g: u32, p: u32| match (g == c, p == c) {
                (true, true) => 1,
                (true, false) => 2,
                (false, true) => 3,
                (false, false) => 0,
            };
            Box::new(move |g, b, p| role(g, b) << 2 | role(g, p))
        }
        _ => return None,
    };
    let mut out: Vec<JointCell> = Vec::new();
    let mut at: HashMap<u32, usize> = HashMap::new();
    for &((g, b, c), n) in cells {
        match at.get(&key(g, b, c)) {
            Some(&i) => out[i].1 += n,
            None => {
                at.insert(key(g, b, c), out.len());
                out.push(((g, b, c), n));
            }
        }
    }
    Some(out)
}

/// The paired macro F1 bootstrap: each resample's per-class true positives and errors (false
/// positives + false negatives) of both sides summed straight from the cells' weights (the
/// multinomial's up to [`onesided::POISSON_ABOVE`] tickets, Poisson above), without
/// confusion matrices. Macro F1 is 2 tp / (2 tp + errors) averaged over the classes with any
/// count, as [`ConfusionMatrix::macro_f1`] computes it.
#[allow(clippy::too_many_arguments)]
fn macro_f1_bootstrap(
    cells: &[((u32, u32, u32), u64)],
    k: usize,
    metric: &crate::gate::metric::Metric,
    higher_is_better: bool,
    resamples: usize,
    level: f64,
    seed: u64,
    stream: u64,
) -> Option<PairedBootstrap> {
    let counts: Vec<u64> = cells.iter().map(|(_, n)| *n).collect();
    // Per cell, the slots it adds to: [tp_b | err_b | tp_c | err_c] x k; u32::MAX = none.
    let kk = k as u32;
    let side = |g: u32, p: u32, base: u32| -> [u32; 2] {
        if p == g {
            [base + g, u32::MAX]
        } else if p == kk {
            [base + kk + g, u32::MAX]
        } else {
            [base + kk + g, base + kk + p]
        }
    };
    let slots: Vec<[u32; 4]> = cells
        .iter()
        .map(|&((g, b, c), _)| {
            let [a1, a2] = side(g, b, 0);
            let [b1, b2] = side(g, c, 2 * kk);
            [a1, a2, b1, b2]
        })
        .collect();
    let f1 = |sums: &[u64]| -> Option<f64> {
        let (tp, err) = sums.split_at(k);
        let mut sum = 0.0;
        let mut m = 0usize;
        for c in 0..k {
            let den = 2 * tp[c] + err[c];
            if den == 0 {
                continue;
            }
            sum += (2 * tp[c]) as f64 / den as f64;
            m += 1;
        }
        (m > 0).then(|| sum / m as f64)
    };
    let sums = std::cell::RefCell::new(vec![0u64; 4 * k]);
    let (b0, c0) = matrices(k, cells, &counts);
    let observed = Some(metric.on_matrix(&c0, None)? - metric.on_matrix(&b0, None)?);
    let first = std::cell::Cell::new(true);
    // Above the Poisson threshold: each resample's sums added up as its weights are drawn
    // (the same draws, in the same order, as the closure below reads from stored weights).
    // Without branches: "none" adds to a spare slot past the 4 k that count.
    let spare = (4 * k) as u32;
    let flat: Vec<[u32; 4]> = slots
        .iter()
        .map(|s| s.map(|j| if j == u32::MAX { spare } else { j }))
        .collect();
    debug_assert!(flat.iter().flatten().all(|&j| j <= spare));
    let fused = |plan: &crate::stats::PoissonPlan,
                 rng: &mut rand_chacha::ChaCha8Rng,
                 wide: &mut Vec<u64>| {
        wide.clear();
        wide.resize(4 * k + 1, 0);
        plan.draw_zip(rng, &flat, |s, n| {
            // SAFETY: every entry of `flat` is a sum's index below 4 k or `spare` = 4 k, and
            // `wide` has 4 k + 1 places. (The bounds checks were a sixth of a draw's
            // instructions.)
            unsafe {
                *wide.get_unchecked_mut(s[0] as usize) += n;
                *wide.get_unchecked_mut(s[1] as usize) += n;
                *wide.get_unchecked_mut(s[2] as usize) += n;
                *wide.get_unchecked_mut(s[3] as usize) += n;
            }
        });
        let (b, c) = wide[..4 * k].split_at(2 * k);
        Some(f1(c)? - f1(b)?)
    };
    onesided::paired_bootstrap_with(
        &counts,
        |w| {
            if first.replace(false) {
                // The observed change, as the matrices give it.
                return observed;
            }
            let mut sums = sums.borrow_mut();
            sums.iter_mut().for_each(|x| *x = 0);
            for (s, &n) in slots.iter().zip(w) {
                if n == 0 {
                    continue;
                }
                for &i in s {
                    if i != u32::MAX {
                        sums[i as usize] += n;
                    }
                }
            }
            let (b, c) = sums.split_at(2 * k);
            Some(f1(c)? - f1(b)?)
        },
        Some(&fused),
        higher_is_better,
        resamples,
        level,
        seed,
        stream,
    )
}

/// The four (base ok, candidate ok) cells over `rows`.
pub fn ok_cells(base_ok: &[bool], cand_ok: &[bool], rows: Option<&[usize]>) -> [u64; 4] {
    let mut t = [0u64; 4];
    let mut add = |i: usize| t[(base_ok[i] as usize) << 1 | cand_ok[i] as usize] += 1;
    match rows {
        Some(rows) => rows.iter().for_each(|&i| add(i)),
        None => (0..base_ok.len()).for_each(&mut add),
    }
    t
}

/// Paired bootstrap of the change of the share of records that are not `ok`, from the four
/// (baseline ok, candidate ok) cells of [`ok_cells`].
pub fn invalid_bootstrap(
    cells: &[u64; 4],
    resamples: usize,
    level: f64,
    seed: u64,
    stream: u64,
) -> Option<PairedBootstrap> {
    // cell index = base_ok << 1 | cand_ok; invalid = !ok.
    onesided::paired_bootstrap(
        cells,
        |c| {
            let n = (c[0] + c[1] + c[2] + c[3]) as f64;
            if n == 0.0 {
                return None;
            }
            let inv_b = (c[0] + c[1]) as f64 / n;
            let inv_c = (c[0] + c[2]) as f64 / n;
            Some(inv_c - inv_b)
        },
        false,
        resamples,
        level,
        seed,
        stream,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gate::metric::Metric;

    /// Joint cells of `n_tickets` seeded tickets over `k` classes (some invalid answers).
    fn cells(k: u32, n_tickets: usize) -> Vec<JointCell> {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
        let mut at: HashMap<(u32, u32, u32), usize> = HashMap::new();
        let mut out: Vec<JointCell> = Vec::new();
        for _ in 0..n_tickets {
            let g = rng.gen_range(0..k);
            let mut answer = |skill: f64| match rng.gen::<f64>() {
                u if u < skill => g,
                u if u < skill + 0.03 => k,
                _ => rng.gen_range(0..k),
            };
            let key = (g, answer(0.8), answer(0.75));
            match at.get(&key) {
                Some(&i) => out[i].1 += 1,
                None => {
                    at.insert(key, out.len());
                    out.push((key, 1));
                }
            }
        }
        out
    }

    /// The macro F1 bootstrap sums each resample's per-class counts from the weights; that
    /// gives what the two confusion matrices of the resample gave, draw for draw, under the
    /// exact multinomial and under Poisson weights.
    #[test]
    fn macro_f1_sums_from_the_weights_equal_the_confusion_matrices() {
        let k = 12;
        for n_tickets in [3_000, 30_000] {
            let cells = cells(k, n_tickets);
            let counts: Vec<u64> = cells.iter().map(|(_, n)| *n).collect();
            let got =
                macro_f1_bootstrap(&cells, k as usize, &Metric::MacroF1, true, 300, 0.9, 5, 7)
                    .unwrap();
            let want = onesided::paired_bootstrap(
                &counts,
                |cnt| {
                    let (b, c) = matrices(k as usize, &cells, cnt);
                    Some(c.macro_f1()? - b.macro_f1()?)
                },
                true,
                300,
                0.9,
                5,
                7,
            )
            .unwrap();
            assert_eq!(got, want, "{n_tickets} tickets");
        }
    }
}

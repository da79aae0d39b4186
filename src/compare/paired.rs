//! Resampling the per-ticket data of a comparison: the joint (gold, baseline, candidate)
//! cells of a field, their confusion matrices, and the paired bootstraps of a label-field
//! metric and of the invalid rate.

use hashbrown::HashMap;

use super::PairedField;
use crate::metrics::ConfusionMatrix;
use crate::onesided::{self, PairedBootstrap};

/// Joint cells `(gold, base column, candidate column)` of a field over `rows` (all when
/// `None`); column `k` is an invalid prediction.
pub fn joint_cells(pf: &PairedField, rows: Option<&[usize]>) -> Vec<((u32, u32, u32), u64)> {
    let k = pf.field.values.len() as u32;
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
    let cells = joint_cells(pf, rows);
    let counts: Vec<u64> = cells.iter().map(|(_, n)| *n).collect();
    let k = pf.field.values.len();
    let class = metric
        .class()
        .and_then(|c| pf.field.index_of(c))
        .map(|i| i as usize);
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

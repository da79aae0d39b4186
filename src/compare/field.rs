//! One label field compared: per-class deltas, the confusion-matrix change, the flipped
//! tickets and the accuracy test with its interval.

use super::*;
use crate::gold::GoldSet;
use crate::onesided;
use crate::score::VariantReport;
use crate::stats::{self, BootstrapConfig, Interval, PairedTable};

#[allow(clippy::too_many_arguments)]
pub(super) fn field_delta(
    pf: &PairedField,
    gold: &GoldSet,
    cand_conf: &[Option<f64>],
    base_report: &VariantReport,
    cand_report: &VariantReport,
    opts: &CompareOptions,
    field_no: u64,
) -> FieldDelta {
    let f = &pf.field;
    let lb = base_report.field(&f.name).and_then(|x| x.label.as_ref());
    let lc = cand_report.field(&f.name).and_then(|x| x.label.as_ref());
    let cb: Vec<bool> = pf
        .gold
        .iter()
        .zip(&pf.base)
        .map(|(g, p)| Some(*g) == *p)
        .collect();
    let cc: Vec<bool> = pf
        .gold
        .iter()
        .zip(&pf.cand)
        .map(|(g, p)| Some(*g) == *p)
        .collect();
    let table = PairedTable::from_correct(&cb, &cc);
    let bs = BootstrapConfig {
        resamples: opts.resamples,
        level: opts.level,
        seed: opts.seed,
    };
    // The accuracy interval: run.json's stream for two variants of one run (pairs are i < j,
    // B − A; a baseline that is the pair's second variant is the mirror image).
    let accuracy_interval = match opts.same_run_pair {
        Some((pair, swapped)) => {
            let t = if swapped {
                PairedTable {
                    a_only: table.b_only,
                    b_only: table.a_only,
                    ..table
                }
            } else {
                table
            };
            let iv = stats::bootstrap_paired_diff(&t, &bs, (1u64 << 32) + pair);
            iv.map(|iv| {
                if swapped {
                    Interval {
                        estimate: -iv.estimate,
                        lo: -iv.hi,
                        hi: -iv.lo,
                        ..iv
                    }
                } else {
                    iv
                }
            })
        }
        None => stats::bootstrap_paired_diff(&table, &bs, (1u64 << 36) + field_no),
    }
    .unwrap_or(Interval {
        estimate: 0.0,
        lo: 0.0,
        hi: 0.0,
        level: opts.level,
        resamples: 0,
    });
    let mut accuracy = Delta::of(lb.map(|l| l.accuracy), lc.map(|l| l.accuracy));
    accuracy.interval = Some((accuracy_interval.lo, accuracy_interval.hi));
    // Two independent seeded streams: run side by side, the same numbers.
    let (f1_interval, invalid_interval) = rayon::join(
        || {
            metric_bootstrap(
                pf,
                None,
                &crate::gate::metric::Metric::MacroF1,
                true,
                opts.resamples,
                opts.level,
                opts.seed,
                (1u64 << 37) + field_no,
            )
            .map(|b| (b.lo, b.hi))
        },
        || {
            metric_bootstrap(
                pf,
                None,
                &crate::gate::metric::Metric::InvalidRate,
                false,
                opts.resamples,
                opts.level,
                opts.seed,
                (1u64 << 38) + field_no,
            )
            .map(|b| (b.lo, b.hi))
        },
    );
    let mut macro_f1 = Delta::of(lb.map(|l| l.macro_avg.f1), lc.map(|l| l.macro_avg.f1));
    macro_f1.interval = f1_interval;
    let mut invalid_rate = Delta::of(lb.map(|l| l.invalid_rate), lc.map(|l| l.invalid_rate));
    invalid_rate.interval = invalid_interval;
    let per_class = f
        .values
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let b = lb.and_then(|l| l.per_class.iter().find(|c| c.class as usize == i));
            let c = lc.and_then(|l| l.per_class.iter().find(|c| c.class as usize == i));
            ClassDelta {
                class: name.clone(),
                support: c.map_or(0, |c| c.support),
                recall: Delta::of(b.map(|x| x.recall), c.map(|x| x.recall)),
                precision: Delta::of(b.map(|x| x.precision), c.map(|x| x.precision)),
            }
        })
        .collect();
    // Confusion delta: the largest cells of candidate − baseline.
    let k = f.values.len();
    let mut confusion_delta = Vec::new();
    if let (Some(lb), Some(lc)) = (lb, lc) {
        for g in 0..k {
            for p in 0..=k {
                let (b, c) = (lb.confusion[g][p], lc.confusion[g][p]);
                if b != c {
                    confusion_delta.push(CellDelta {
                        gold: f.values[g].clone(),
                        predicted: (p < k).then(|| f.values[p].clone()),
                        baseline: b,
                        candidate: c,
                        diff: c as i64 - b as i64,
                    });
                }
            }
        }
    }
    confusion_delta.sort_by(|a, b| {
        b.diff
            .abs()
            .cmp(&a.diff.abs())
            .then(b.diff.cmp(&a.diff))
            .then(a.gold.cmp(&b.gold))
            .then(a.predicted.cmp(&b.predicted))
    });
    confusion_delta.truncate(opts.confusion_cells);
    // Flips.
    let mut flips: Vec<(bool, Option<f64>, usize)> = (0..pf.gold.len())
        .filter(|&i| cb[i] != cc[i])
        .map(|i| (cb[i], cand_conf[i], i))
        .collect();
    let right_to_wrong = flips.iter().filter(|f| f.0).count();
    let wrong_to_right = flips.len() - right_to_wrong;
    // Only the kept ones are sorted (the ticket's position breaks ties as the stable sort
    // did: the order is total). First, without looking at ticket ids: only flips up to the
    // kept-th by direction and confidence can be kept (the full order refines that one).
    let by_confidence = |a: &(bool, Option<f64>, usize), b: &(bool, Option<f64>, usize)| {
        b.0.cmp(&a.0)
            .then(b.1.unwrap_or(-1.0).total_cmp(&a.1.unwrap_or(-1.0)))
    };
    let kept = opts.flips_kept;
    if kept > 0 && flips.len() > kept {
        let mut keys = flips.clone();
        keys.select_nth_unstable_by(kept - 1, by_confidence);
        let last = keys[kept - 1];
        flips.retain(|f| by_confidence(f, &last) != std::cmp::Ordering::Greater);
    }
    super::first_sorted(&mut flips, opts.flips_kept, |a, b| {
        b.0.cmp(&a.0)
            .then(b.1.unwrap_or(-1.0).total_cmp(&a.1.unwrap_or(-1.0)))
            .then(gold.tickets[a.2].id.cmp(&gold.tickets[b.2].id))
            .then(a.2.cmp(&b.2))
    });
    let name = |l: Option<u32>| l.map(|l| f.values[l as usize].clone());
    let flips = flips
        .into_iter()
        .map(|(r2w, conf, i)| {
            let t = &gold.tickets[i];
            Flip {
                id: t.id.clone(),
                direction: if r2w {
                    "right_to_wrong"
                } else {
                    "wrong_to_right"
                }
                .into(),
                text: t.text.clone(),
                gold: f.values[pf.gold[i] as usize].clone(),
                before: name(pf.base[i]),
                after: name(pf.cand[i]),
                confidence: conf,
            }
        })
        .collect();
    FieldDelta {
        field: f.name.clone(),
        accuracy,
        macro_f1,
        invalid_rate,
        per_class,
        mcnemar: stats::mcnemar_exact(table.a_only, table.b_only),
        p_worse: onesided::mcnemar_one_sided(table.a_only, table.b_only),
        table,
        accuracy_interval,
        confusion_delta,
        right_to_wrong,
        wrong_to_right,
        flips,
    }
}

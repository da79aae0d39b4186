//! Paired comparison of a baseline and a candidate variant (two runs, or two variants of one
//! run): pure, data in, data out.
//!
//! Both sides are graded against the *candidate's* gold set. A ticket counts only when both
//! runs have it with the same text: tickets whose text changed are excluded and counted, and
//! so are tickets only one side has. Label-space changes (fields and values added or removed)
//! are listed. On the tickets both have, every metric of both variants comes from
//! [`crate::score::score`] (the same code as `verdict run`), the changes are candidate minus
//! baseline, accuracy gets McNemar's exact test (two-sided, as in run.json's `comparisons`,
//! and one-sided for "the candidate is worse") and a paired-bootstrap interval; macro F1 and
//! the invalid rate get a joint-cell paired bootstrap ([`crate::onesided`]).
//!
//! [`Paired`] keeps the per-ticket data so a gate can test further metrics and slices.
mod field;
mod paired;
mod types;

use std::sync::Arc;

use hashbrown::{HashMap, HashSet};

use serde::{Deserialize, Serialize};

use crate::eval_log::{Outcome, PredictionRecord};
use crate::gold::{Field, FieldKind, GoldSet, GoldValue};
use crate::score::{
    Graded, GradedVariant, PredColumn, ScoreSettings, ScoredVariant, VariantReport,
};
use field::field_delta;
pub use paired::{invalid_bootstrap, joint_cells, matrices, metric_bootstrap, ok_cells};
pub use types::{
    CellDelta, ClassDelta, Comparison, Delta, FieldDelta, Flip, LabelSpaceChange, TicketAccounting,
};

/// One side of a comparison.
#[derive(Debug, Clone)]
pub struct Side<'a> {
    /// How the output names it (`reports/run-a:baseline`).
    pub label: String,
    /// The run's gold set (the run's tickets only: after `--limit`).
    pub gold: &'a GoldSet,
    pub variant: &'a ScoredVariant,
    /// The run's journal (other variants' records are ignored).
    pub records: &'a [PredictionRecord],
}

/// Settings of a comparison.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CompareOptions {
    /// Seed of every bootstrap (the candidate run's seed by default).
    pub seed: u64,
    pub resamples: usize,
    pub level: f64,
    /// Flipped tickets kept per field (all are counted).
    pub flips_kept: usize,
    /// Confusion-delta cells kept per field.
    pub confusion_cells: usize,
    /// When both sides are variants of one run: the index of run.json's pair (i < j) and
    /// whether the baseline is the pair's second variant; the accuracy interval then uses
    /// run.json's random stream, so the numbers equal its `comparisons`.
    pub same_run_pair: Option<(u64, bool)>,
}

impl Default for CompareOptions {
    fn default() -> Self {
        CompareOptions {
            seed: 0,
            resamples: 1000,
            level: 0.95,
            flips_kept: 200,
            confusion_cells: 10,
            same_run_pair: None,
        }
    }
}

/// A label field's per-ticket values on the compared tickets.
#[derive(Debug, Clone)]
pub struct PairedField {
    pub index: usize,
    pub field: Field,
    pub gold: Vec<u32>,
    pub base: Vec<Option<u32>>,
    pub cand: Vec<Option<u32>>,
}

/// Per-ticket data of the compared tickets, for further tests.
#[derive(Debug, Clone)]
pub struct Paired {
    /// The compared tickets (candidate gold, in candidate order).
    pub gold: Arc<GoldSet>,
    pub fields: Vec<PairedField>,
    /// Record present and `ok`.
    pub base_ok: Vec<bool>,
    pub cand_ok: Vec<bool>,
    pub cand_conf: Vec<Option<f64>>,
    /// Both variants' reports on the compared tickets.
    pub base_report: VariantReport,
    pub cand_report: VariantReport,
}

/// The last repeat-0 record of `variant` per ticket id.
fn latest<'a>(
    records: &'a [PredictionRecord],
    variant: &str,
) -> HashMap<&'a str, &'a PredictionRecord> {
    let mut m = HashMap::new();
    for r in records {
        if r.repeat == 0 && r.variant == variant {
            m.insert(r.ticket.as_str(), r);
        }
    }
    m
}

fn label_space(base: &[Field], cand: &[Field]) -> Vec<LabelSpaceChange> {
    let mut out = Vec::new();
    for c in cand {
        match base.iter().find(|b| b.name == c.name) {
            None => out.push(LabelSpaceChange {
                field: c.name.clone(),
                change: "field added".into(),
                added: c.values.clone(),
                removed: vec![],
            }),
            Some(b) if b.kind != c.kind => out.push(LabelSpaceChange {
                field: c.name.clone(),
                change: format!("kind changed from {} to {}", b.kind.name(), c.kind.name()),
                added: vec![],
                removed: vec![],
            }),
            Some(b) => {
                let added: Vec<String> = c
                    .values
                    .iter()
                    .filter(|v| !b.values.contains(v))
                    .cloned()
                    .collect();
                let removed: Vec<String> = b
                    .values
                    .iter()
                    .filter(|v| !c.values.contains(v))
                    .cloned()
                    .collect();
                if !added.is_empty() || !removed.is_empty() {
                    out.push(LabelSpaceChange {
                        field: c.name.clone(),
                        change: "values changed".into(),
                        added,
                        removed,
                    });
                }
            }
        }
    }
    for b in base {
        if !cand.iter().any(|c| c.name == b.name) {
            out.push(LabelSpaceChange {
                field: b.name.clone(),
                change: "field removed".into(),
                added: vec![],
                removed: b.values.clone(),
            });
        }
    }
    out
}

/// USD per 1,000 tickets as if uncached: the mean cost of the records that were paid for
/// (not served from the cache), times 1,000. `Some(0)` for a variant that never costs
/// (local); `None` when a paid record has no price.
pub fn uncached_cost_per_1k(records: &[&PredictionRecord]) -> Option<f64> {
    let paid: Vec<&&PredictionRecord> = records
        .iter()
        .filter(|r| !r.cached && r.usage.is_some())
        .collect();
    if paid.is_empty() {
        return Some(0.0);
    }
    let mut sum = 0.0;
    for r in &paid {
        sum += r.cost_usd?;
    }
    Some(sum / paid.len() as f64 * 1000.0)
}

/// Which tickets two runs are compared on, and what changed between their gold sets.
#[derive(Debug, Clone)]
pub struct Compared {
    /// The compared tickets: the candidate's gold set (its fields, its order) restricted to
    /// the tickets both runs have with the same text (the candidate's own set, shared, when
    /// that is all of it).
    pub gold: Arc<GoldSet>,
    pub tickets: TicketAccounting,
    pub label_space: Vec<LabelSpaceChange>,
}

impl Compared {
    /// Two variants of one run: every ticket, nothing changed.
    pub fn same_run(gold: &Arc<GoldSet>) -> Self {
        Compared {
            gold: gold.clone(),
            tickets: TicketAccounting {
                compared: gold.tickets.len(),
                ..Default::default()
            },
            label_space: Vec::new(),
        }
    }

    /// The tickets of `base` and `cand` compared: in both with the same text.
    pub fn of(base: &GoldSet, cand: &Arc<GoldSet>) -> Self {
        let mut acc = TicketAccounting::default();
        let mut keep: Vec<bool> = Vec::with_capacity(cand.tickets.len());
        let text_changed = |acc: &mut TicketAccounting, t: &crate::gold::Ticket| {
            acc.text_changed += 1;
            if acc.text_changed_ids.len() < 20 {
                acc.text_changed_ids.push(t.id.clone());
            }
        };
        if std::ptr::eq(base, &**cand) {
            // One gold set read once for both runs: every ticket, nothing changed.
            return Compared {
                gold: cand.clone(),
                tickets: TicketAccounting {
                    compared: cand.tickets.len(),
                    ..Default::default()
                },
                label_space: label_space(&base.fields, &cand.fields),
            };
        }
        let same_ids = base.tickets.len() == cand.tickets.len()
            && base
                .tickets
                .iter()
                .zip(&cand.tickets)
                .all(|(b, c)| b.id == c.id);
        if same_ids {
            // The usual case (the same gold set): ticket by ticket, without a map.
            for (b, t) in base.tickets.iter().zip(&cand.tickets) {
                let same = b.text == t.text;
                if !same {
                    text_changed(&mut acc, t);
                }
                keep.push(same);
            }
        } else {
            let base_by_id: HashMap<&str, &crate::gold::Ticket> =
                base.tickets.iter().map(|t| (t.id.as_str(), t)).collect();
            let mut cand_ids = HashSet::with_capacity(cand.tickets.len());
            for t in &cand.tickets {
                cand_ids.insert(t.id.as_str());
                match base_by_id.get(t.id.as_str()) {
                    None => {
                        acc.missing_in_baseline += 1;
                        if acc.missing_in_baseline_ids.len() < 20 {
                            acc.missing_in_baseline_ids.push(t.id.clone());
                        }
                        keep.push(false);
                    }
                    Some(b) if b.text != t.text => {
                        text_changed(&mut acc, t);
                        keep.push(false);
                    }
                    Some(_) => keep.push(true),
                }
            }
            for t in &base.tickets {
                if !cand_ids.contains(t.id.as_str()) {
                    acc.missing_in_candidate += 1;
                    if acc.missing_in_candidate_ids.len() < 20 {
                        acc.missing_in_candidate_ids.push(t.id.clone());
                    }
                }
            }
        }
        let compared = keep.iter().filter(|&&k| k).count();
        acc.compared = compared;
        let gold = if compared == cand.tickets.len() {
            cand.clone()
        } else {
            Arc::new(GoldSet {
                fields: cand.fields.clone(),
                tickets: cand
                    .tickets
                    .iter()
                    .zip(&keep)
                    .filter(|(_, &k)| k)
                    .map(|(t, _)| t.clone())
                    .collect(),
                sha256: cand.sha256.clone(),
            })
        };
        Compared {
            gold,
            tickets: acc,
            label_space: label_space(&base.fields, &cand.fields),
        }
    }
}

/// One side of a comparison, graded on the compared tickets against the candidate's gold
/// set (as [`crate::score::score`] grades: the last record of each ticket wins).
#[derive(Debug, Clone)]
pub struct GradedSide<'a> {
    /// How the output names it (`reports/run-a:baseline`).
    pub label: String,
    /// The variant graded on [`Compared::gold`]'s tickets, in their order.
    pub variant: &'a GradedVariant,
    /// Its metrics there.
    pub report: &'a VariantReport,
    /// [`uncached_cost_per_1k`] of its repeat-0 records of those tickets.
    pub cost_per_1k: Option<f64>,
}

/// A [`Side`] graded on the compared tickets.
fn grade_side(
    c: &Compared,
    settings: &ScoreSettings,
    side: &Side,
) -> (Graded, VariantReport, Option<f64>) {
    let gold = &*c.gold;
    let graded = crate::score::grade(
        gold,
        std::slice::from_ref(side.variant),
        side.records,
        gold.tickets.len(),
    );
    let report = crate::score::variant_reports(&graded, settings)
        .into_iter()
        .next()
        .expect("one variant");
    let recs = latest(side.records, &side.variant.name);
    let mine: Vec<&PredictionRecord> = gold
        .tickets
        .iter()
        .filter_map(|t| recs.get(t.id.as_str()).copied())
        .collect();
    (graded, report, uncached_cost_per_1k(&mine))
}

/// Compares `base` and `cand`. `settings` are the candidate's calibration and routing
/// settings. Returns the comparison and the per-ticket data.
pub fn compare(
    base: &Side,
    cand: &Side,
    settings: &ScoreSettings,
    opts: &CompareOptions,
) -> (Comparison, Paired) {
    compare_with(base, cand, settings, opts, true)
}

/// The per-ticket data of [`compare`] alone, without the per-field changes and their
/// intervals (no paired bootstrap runs): what the gate needs of a variant paired with itself.
pub fn paired(base: &Side, cand: &Side, settings: &ScoreSettings) -> Paired {
    compare_with(base, cand, settings, &CompareOptions::default(), false).1
}

fn compare_with(
    base: &Side,
    cand: &Side,
    settings: &ScoreSettings,
    opts: &CompareOptions,
    deltas: bool,
) -> (Comparison, Paired) {
    let c = Compared::of(base.gold, &Arc::new(cand.gold.clone()));
    let ((gb, rb, cb), (gc, rc, cc)) = rayon::join(
        || grade_side(&c, settings, base),
        || grade_side(&c, settings, cand),
    );
    compare_graded_with(
        &c,
        &GradedSide {
            label: base.label.clone(),
            variant: &gb.variants[0],
            report: &rb,
            cost_per_1k: cb,
        },
        &GradedSide {
            label: cand.label.clone(),
            variant: &gc.variants[0],
            report: &rc,
            cost_per_1k: cc,
        },
        opts,
        deltas,
    )
}

/// [`compare`] of two graded sides on the tickets `c` says.
pub fn compare_graded(
    c: &Compared,
    base: &GradedSide,
    cand: &GradedSide,
    opts: &CompareOptions,
) -> (Comparison, Paired) {
    compare_graded_with(c, base, cand, opts, true)
}

/// [`paired`] of two graded sides: the per-ticket data only.
pub fn paired_graded(c: &Compared, base: &GradedSide, cand: &GradedSide) -> Paired {
    compare_graded_with(c, base, cand, &CompareOptions::default(), false).1
}

/// [`compare_graded`]; with `deltas` false the comparison's per-field changes and intervals
/// are left out (the paired data is the same): for a caller that reads only the paired data.
pub fn compare_graded_with(
    c: &Compared,
    base: &GradedSide,
    cand: &GradedSide,
    opts: &CompareOptions,
    deltas: bool,
) -> (Comparison, Paired) {
    let gold = &*c.gold;
    let n = gold.tickets.len();
    let (base_report, cand_report) = (base.report, cand.report);
    let ok = |o: &Option<Outcome>| *o == Some(Outcome::Ok);
    let base_ok: Vec<bool> = base.variant.outcomes.iter().map(ok).collect();
    let cand_ok: Vec<bool> = cand.variant.outcomes.iter().map(ok).collect();
    let cand_conf: Vec<Option<f64>> = cand.variant.confidence.clone();

    // Per label field both variants predict.
    let mut fields = Vec::new();
    let mut paired_fields = Vec::new();
    for (fi, f) in gold.fields.iter().enumerate() {
        if f.kind != FieldKind::Label
            || base_report.field(&f.name).is_none()
            || cand_report.field(&f.name).is_none()
        {
            continue;
        }
        let column = |v: &GradedVariant| match v.fields[fi].as_ref().map(|g| &g.predicted) {
            Some(PredColumn::Label(p)) => p.clone(),
            _ => vec![None; n],
        };
        let g: Vec<u32> = gold
            .tickets
            .iter()
            .map(|t| match t.labels[fi] {
                GoldValue::Label(l) => l,
                _ => unreachable!("label field"),
            })
            .collect();
        let pf = PairedField {
            index: fi,
            field: f.clone(),
            gold: g,
            base: column(base.variant),
            cand: column(cand.variant),
        };
        if deltas {
            fields.push(field_delta(
                &pf,
                gold,
                &cand_conf,
                base_report,
                cand_report,
                opts,
                fields.len() as u64,
            ));
        }
        paired_fields.push(pf);
    }

    // Variant-level changes.
    let mut invalid_rate = Delta::of(
        Some(base_report.invalid_rate),
        Some(cand_report.invalid_rate),
    );
    if n > 0 && deltas {
        let cells = ok_cells(&base_ok, &cand_ok, None);
        invalid_rate.interval =
            invalid_bootstrap(&cells, opts.resamples, opts.level, opts.seed, 1 << 40)
                .map(|b| (b.lo, b.hi));
    }
    let routing_cov = |v: &VariantReport| {
        v.routing
            .as_ref()
            .map(|r| r.target.as_ref().map_or(0.0, |t| t.coverage))
    };
    let comparison = Comparison {
        baseline: base.label.clone(),
        candidate: cand.label.clone(),
        tickets: c.tickets.clone(),
        label_space: c.label_space.clone(),
        fields,
        invalid_rate,
        ece: Delta::of(
            base_report.calibration.as_ref().map(|c| c.ece),
            cand_report.calibration.as_ref().map(|c| c.ece),
        ),
        misroute_rate: Delta::of(
            base_report.routing.as_ref().and_then(|r| r.misroute_rate),
            cand_report.routing.as_ref().and_then(|r| r.misroute_rate),
        ),
        coverage: Delta::of(routing_cov(base_report), routing_cov(cand_report)),
        cost_per_1k: Delta::of(base.cost_per_1k, cand.cost_per_1k),
        p95_latency_ms: Delta::of(
            base_report.cost.latency_p95_ms,
            cand_report.cost.latency_p95_ms,
        ),
        options: opts.clone(),
    };
    let paired = Paired {
        gold: c.gold.clone(),
        fields: paired_fields,
        base_ok,
        cand_ok,
        cand_conf,
        base_report: base_report.clone(),
        cand_report: cand_report.clone(),
    };
    (comparison, paired)
}

/// The first `k` of `v` in the order of `cmp` (a total order), sorted: a full sort's first
/// `k` without sorting the rest.
pub(crate) fn first_sorted<T>(
    v: &mut Vec<T>,
    k: usize,
    mut cmp: impl FnMut(&T, &T) -> std::cmp::Ordering,
) {
    if k == 0 {
        v.clear();
        return;
    }
    if v.len() > k {
        v.select_nth_unstable_by(k - 1, &mut cmp);
        v.truncate(k);
    }
    v.sort_by(cmp);
}

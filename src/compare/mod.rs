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

use hashbrown::{HashMap, HashSet};

use serde::{Deserialize, Serialize};

use crate::eval_log::{Outcome, PredictionRecord};
use crate::gold::{Field, FieldKind, GoldSet, GoldValue};
use crate::score::{ScoreSettings, ScoredVariant, VariantReport};
use crate::stats::{Interval, McNemar, PairedTable};
use field::field_delta;
pub use paired::{invalid_bootstrap, joint_cells, matrices, metric_bootstrap, ok_cells};

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

/// A value on both sides and the change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Delta {
    pub baseline: Option<f64>,
    pub candidate: Option<f64>,
    /// candidate − baseline.
    pub diff: Option<f64>,
    /// Paired-bootstrap interval of the change, when computed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interval: Option<(f64, f64)>,
}

impl Delta {
    fn of(baseline: Option<f64>, candidate: Option<f64>) -> Self {
        Delta {
            baseline,
            candidate,
            diff: baseline.zip(candidate).map(|(b, c)| c - b),
            interval: None,
        }
    }
}

/// Which tickets were compared.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct TicketAccounting {
    /// In both runs with the same text: compared.
    pub compared: usize,
    /// In both runs, text changed: excluded.
    pub text_changed: usize,
    /// In the candidate only.
    pub missing_in_baseline: usize,
    /// In the baseline only.
    pub missing_in_candidate: usize,
    /// Up to 20 ids of each excluded kind, for the message.
    pub text_changed_ids: Vec<String>,
    pub missing_in_baseline_ids: Vec<String>,
    pub missing_in_candidate_ids: Vec<String>,
}

/// A field or label added or removed between the two gold sets.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LabelSpaceChange {
    pub field: String,
    /// `field added`, `field removed`, `kind changed` or `values changed`.
    pub change: String,
    pub added: Vec<String>,
    pub removed: Vec<String>,
}

/// One class's recall and precision on both sides.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClassDelta {
    pub class: String,
    pub support: u64,
    pub recall: Delta,
    pub precision: Delta,
}

/// One cell of candidate − baseline confusion counts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CellDelta {
    pub gold: String,
    /// Predicted label, `None` for invalid.
    pub predicted: Option<String>,
    pub baseline: u64,
    pub candidate: u64,
    pub diff: i64,
}

/// A ticket whose correctness changed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Flip {
    pub id: String,
    /// `right_to_wrong` or `wrong_to_right`.
    pub direction: String,
    pub text: String,
    pub gold: String,
    /// Prediction before and after (`None` = invalid output).
    pub before: Option<String>,
    pub after: Option<String>,
    pub confidence: Option<f64>,
}

/// Everything compared on one label field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldDelta {
    pub field: String,
    pub accuracy: Delta,
    pub macro_f1: Delta,
    pub invalid_rate: Delta,
    pub per_class: Vec<ClassDelta>,
    /// Agreement table: `a_only` = right -> wrong (McNemar's b), `b_only` = wrong -> right.
    pub table: PairedTable,
    /// Two-sided exact McNemar (= statsmodels `mcnemar(exact=True)`).
    pub mcnemar: McNemar,
    /// One-sided exact McNemar p-value for "the candidate is less accurate".
    pub p_worse: f64,
    /// Bootstrap interval of the accuracy change (as run.json's comparisons).
    pub accuracy_interval: Interval,
    pub confusion_delta: Vec<CellDelta>,
    pub right_to_wrong: usize,
    pub wrong_to_right: usize,
    /// Right -> wrong first, then by the candidate's confidence, highest first.
    pub flips: Vec<Flip>,
}

/// The whole comparison.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    pub baseline: String,
    pub candidate: String,
    pub tickets: TicketAccounting,
    pub label_space: Vec<LabelSpaceChange>,
    pub fields: Vec<FieldDelta>,
    pub invalid_rate: Delta,
    pub ece: Delta,
    pub misroute_rate: Delta,
    /// Auto-route coverage at the routing target accuracy.
    pub coverage: Delta,
    /// USD per 1,000 tickets as if no response had come from the cache.
    pub cost_per_1k: Delta,
    pub p95_latency_ms: Delta,
    pub options: CompareOptions,
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
    pub gold: GoldSet,
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

fn score_one(gold: &GoldSet, settings: &ScoreSettings, side: &Side) -> VariantReport {
    let report = crate::score::score(
        gold,
        settings,
        std::slice::from_ref(side.variant),
        side.records,
        gold.tickets.len(),
    );
    report.variants.into_iter().next().expect("one variant")
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

/// [`compare`]; with `deltas` false the comparison's per-field changes and intervals are
/// left out (the paired data is the same).
fn compare_with(
    base: &Side,
    cand: &Side,
    settings: &ScoreSettings,
    opts: &CompareOptions,
    deltas: bool,
) -> (Comparison, Paired) {
    // 1. Which tickets.
    let base_by_id: HashMap<&str, &crate::gold::Ticket> = base
        .gold
        .tickets
        .iter()
        .map(|t| (t.id.as_str(), t))
        .collect();
    let mut acc = TicketAccounting::default();
    let mut common = Vec::with_capacity(cand.gold.tickets.len());
    let mut cand_ids = HashSet::with_capacity(cand.gold.tickets.len());
    for t in &cand.gold.tickets {
        cand_ids.insert(t.id.as_str());
        match base_by_id.get(t.id.as_str()) {
            None => {
                acc.missing_in_baseline += 1;
                if acc.missing_in_baseline_ids.len() < 20 {
                    acc.missing_in_baseline_ids.push(t.id.clone());
                }
            }
            Some(b) if b.text != t.text => {
                acc.text_changed += 1;
                if acc.text_changed_ids.len() < 20 {
                    acc.text_changed_ids.push(t.id.clone());
                }
            }
            Some(_) => common.push(t.clone()),
        }
    }
    for t in &base.gold.tickets {
        if !cand_ids.contains(t.id.as_str()) {
            acc.missing_in_candidate += 1;
            if acc.missing_in_candidate_ids.len() < 20 {
                acc.missing_in_candidate_ids.push(t.id.clone());
            }
        }
    }
    acc.compared = common.len();
    let gold = GoldSet {
        fields: cand.gold.fields.clone(),
        tickets: common,
        sha256: cand.gold.sha256.clone(),
    };
    let n = gold.tickets.len();

    // 2. Both variants graded against the candidate's gold on those tickets.
    let (base_report, cand_report) = rayon::join(
        || score_one(&gold, settings, base),
        || score_one(&gold, settings, cand),
    );
    let base_recs = latest(base.records, &base.variant.name);
    let cand_recs = latest(cand.records, &cand.variant.name);
    let rec_b: Vec<Option<&PredictionRecord>> = gold
        .tickets
        .iter()
        .map(|t| base_recs.get(t.id.as_str()).copied())
        .collect();
    let rec_c: Vec<Option<&PredictionRecord>> = gold
        .tickets
        .iter()
        .map(|t| cand_recs.get(t.id.as_str()).copied())
        .collect();
    let ok = |r: &Option<&PredictionRecord>| r.is_some_and(|r| r.outcome == Outcome::Ok);
    let base_ok: Vec<bool> = rec_b.iter().map(ok).collect();
    let cand_ok: Vec<bool> = rec_c.iter().map(ok).collect();
    let cand_conf: Vec<Option<f64>> = rec_c
        .iter()
        .map(|r| {
            r.and_then(|r| r.confidence)
                .filter(|c| (0.0..=1.0).contains(c))
        })
        .collect();

    // 3. Per label field both variants predict.
    let mut fields = Vec::new();
    let mut paired_fields = Vec::new();
    for (fi, f) in gold.fields.iter().enumerate() {
        if f.kind != FieldKind::Label
            || base_report.field(&f.name).is_none()
            || cand_report.field(&f.name).is_none()
        {
            continue;
        }
        let label = |v: Option<GoldValue>| match v {
            Some(GoldValue::Label(l)) => Some(l),
            _ => None,
        };
        let g: Vec<u32> = gold
            .tickets
            .iter()
            .map(|t| match t.labels[fi] {
                GoldValue::Label(l) => l,
                _ => unreachable!("label field"),
            })
            .collect();
        let pb: Vec<Option<u32>> = rec_b
            .iter()
            .map(|r| label(crate::score::predicted(*r, &gold, fi)))
            .collect();
        let pc: Vec<Option<u32>> = rec_c
            .iter()
            .map(|r| label(crate::score::predicted(*r, &gold, fi)))
            .collect();
        let pf = PairedField {
            index: fi,
            field: f.clone(),
            gold: g,
            base: pb,
            cand: pc,
        };
        if deltas {
            fields.push(field_delta(
                &pf,
                &gold,
                &cand_conf,
                &base_report,
                &cand_report,
                opts,
                fields.len() as u64,
            ));
        }
        paired_fields.push(pf);
    }

    // 4. Variant-level changes.
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
    fn recs_of<'r>(
        gold: &GoldSet,
        recs: &HashMap<&str, &'r PredictionRecord>,
    ) -> Vec<&'r PredictionRecord> {
        gold.tickets
            .iter()
            .filter_map(|t| recs.get(t.id.as_str()).copied())
            .collect()
    }
    let comparison = Comparison {
        baseline: base.label.clone(),
        candidate: cand.label.clone(),
        tickets: acc,
        label_space: label_space(&base.gold.fields, &cand.gold.fields),
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
        coverage: Delta::of(routing_cov(&base_report), routing_cov(&cand_report)),
        cost_per_1k: Delta::of(
            uncached_cost_per_1k(&recs_of(&gold, &base_recs)),
            uncached_cost_per_1k(&recs_of(&gold, &cand_recs)),
        ),
        p95_latency_ms: Delta::of(
            base_report.cost.latency_p95_ms,
            cand_report.cost.latency_p95_ms,
        ),
        options: opts.clone(),
    };
    let paired = Paired {
        gold,
        fields: paired_fields,
        base_ok,
        cand_ok,
        cand_conf,
        base_report,
        cand_report,
    };
    (comparison, paired)
}

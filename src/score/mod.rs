//! Scoring a run: from the gold set and the journal's records to every metric, per variant
//! and field, in two pure steps: [`grade`](mod@grade) (records -> per variant, ticket and
//! field: gold value, predicted value or invalid, confidence, correct: a [`Graded`] run, which
//! `compare`/`gate` can also consume) and [`summary`] (graded -> [`RunReport`]). No printing,
//! no files; [`crate::report`] renders the result, [`crate::predictions`] streams a file in.
//!
//! A record whose outcome is not `ok`, or whose output for a field is missing or not a valid
//! value, is an *invalid* prediction for that field: wrong for accuracy and counted in the
//! `invalid` column. A field a variant never predicts (a local variant and a `labels` field)
//! is not scored for that variant.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::eval_log::PredictionRecord;
use crate::gold::{FieldKind, GoldSet};
use crate::metrics::{self, SingleLabelReport};

pub mod grade;
pub mod summary;

pub use grade::{
    line_view, GoldColumn, GoldTable, Graded, GradedField, GradedVariant, Grader, OutputValue,
    Placer, PredColumn, Prepared, Preparer, RecordView, TagRows,
};
pub use summary::{summarize, variant_reports};

/// The largest `repeat` a predictions file given to `verdict score` may hold (exclusive):
/// repeats are numbered from 0, so at most 1,000 repeats. A larger number is an error naming
/// its line, never an allocation.
pub const MAX_REPEATS: u32 = 1000;

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// Every metric of a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunReport {
    /// Tickets scored (after `--limit`).
    pub n_tickets: usize,
    /// The gold set's fields, for rendering label names.
    pub fields: Vec<crate::gold::Field>,
    /// What the numbers were scored with: the calibration and routing fields and policy, and
    /// the bootstrap seed.
    #[serde(default)]
    pub settings: ScoreSettings,
    pub variants: Vec<VariantReport>,
    /// Wall time of the run, seconds: the union of every record's span (see
    /// `CostSummary::wall_s`).
    #[serde(default)]
    pub wall_s: Option<f64>,
    /// Per label field: bootstrap intervals per variant and every pairwise test.
    #[serde(default)]
    pub comparisons: Vec<FieldComparison>,
}

/// Statistics comparing the variants on one label field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldComparison {
    pub field: String,
    pub report: crate::stats::ComparisonReport,
}

/// Metrics restricted to the tickets that carry one tag.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SliceReport {
    pub tag: String,
    pub n: usize,
    pub fields: Vec<FieldReport>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub calibration: Option<metrics::CalibrationReport>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub routing: Option<metrics::RoutingReport>,
}

/// Everything measured for one variant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VariantReport {
    pub name: String,
    pub provider: String,
    pub model: Option<String>,
    /// Tickets scored: the records of repeat 0, missing ones included.
    pub n_records: usize,
    /// Count per outcome (`ok`, `invalid_output`, ...) over repeat 0, plus `missing` for
    /// tickets without a record.
    pub outcomes: BTreeMap<String, usize>,
    /// Share of records that are not `ok` (missing records included).
    pub invalid_rate: f64,
    /// Records whose confidence is outside [0, 1] or NaN; scored as having no confidence.
    #[serde(default)]
    pub confidence_invalid: usize,
    /// Accepted classifications (repeat 0) whose stop reason is not that of a forced tool
    /// call (`end_turn` with a valid tool call, say): counted, not rejected.
    #[serde(default)]
    pub unexpected_stop: usize,
    /// Scored tickets without a record (repeat 0); also in `outcomes` as `missing`.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub missing: usize,
    /// Records replaced by a later, different record of the same (ticket, repeat): the last
    /// one wins, and this says how many earlier ones it overruled.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub replaced: usize,
    /// Per gold field, in gold order; fields the variant does not predict are absent.
    pub fields: Vec<FieldReport>,
    /// Calibration of the stated confidence against the calibration field.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub calibration: Option<metrics::CalibrationReport>,
    /// What the routing policy would do, and the threshold sweep.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub routing: Option<metrics::RoutingReport>,
    /// Every metric per tag value.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub slices: Vec<SliceReport>,
    pub cost: CostSummary,
    /// What went wrong: the distinct error messages of the variant's records that are not
    /// `ok` (all repeats, scored tickets), most frequent first, at most [`ERROR_MESSAGES`];
    /// absent when every record is `ok`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<ErrorCount>,
    /// Records not `ok` whose message is beyond the first [`ERROR_MESSAGES`].
    #[serde(default, skip_serializing_if = "is_zero")]
    pub errors_other: usize,
}

/// Most distinct error messages kept per variant in a report.
pub const ERROR_MESSAGES: usize = 20;

/// One distinct error message and how many records carry it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorCount {
    /// The records' outcome (`provider_error`, `invalid_output`, ...).
    pub outcome: String,
    /// The record's `error` (the outcome's name when the record has none).
    pub message: String,
    pub count: usize,
}

impl VariantReport {
    /// The metrics of a field, if the variant predicts it.
    pub fn field(&self, name: &str) -> Option<&FieldReport> {
        self.fields.iter().find(|f| f.field == name)
    }
}

/// Metrics of one field for one variant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldReport {
    pub field: String,
    pub kind: FieldKind,
    /// Single-label metrics (kind `label`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<SingleLabelReport>,
    /// Multi-label metrics (kind `labels`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub labels: Option<metrics::MultiLabelReport>,
    /// Flag metrics (kind `flag`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub flag: Option<metrics::FlagReport>,
    /// Spread across repeats (label fields, when the run has repeats > 1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub repeats: Option<metrics::RepeatsReport>,
}

/// Tokens, cost and latency of a variant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct CostSummary {
    pub requests: usize,
    pub cached: usize,
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub cache_read_input_tokens: u64,
    pub cache_creation_input_tokens: u64,
    pub total_usd: f64,
    /// Cost per 1,000 tickets classified.
    pub usd_per_1000: f64,
    /// Sum of per-record latencies, seconds (request time, not wall time: see `wall_s`).
    pub time_s: f64,
    /// Of the last attempt only (`latency_ms`); the tables show the end-to-end ones.
    pub latency_p50_ms: Option<f64>,
    pub latency_p95_ms: Option<f64>,
    /// Responses received from a model with no price: `total_usd` cannot include them, so
    /// the tables say "no price" instead of a cost.
    #[serde(default)]
    pub unpriced: usize,
    /// End-to-end time per ticket (`latency_e2e_ms`: retries, backoffs and waits included).
    #[serde(default)]
    pub latency_e2e_p50_ms: Option<f64>,
    #[serde(default)]
    pub latency_e2e_p95_ms: Option<f64>,
    /// Wall time of the variant, seconds: the union of its records' spans (so the time
    /// between an interrupted run and its `--resume` is not counted). `None` for records
    /// written before spans were recorded.
    #[serde(default)]
    pub wall_s: Option<f64>,
}

/// Sorts `spans` and merges the overlapping ones: what is left is disjoint and in order.
pub fn merge_spans(spans: &mut Vec<(u64, u64)>) {
    spans.retain(|(a, b)| a <= b);
    spans.sort_unstable();
    let mut out: Vec<(u64, u64)> = Vec::with_capacity(spans.len().min(16));
    for &(a, b) in spans.iter() {
        match out.last_mut() {
            Some(cur) if a <= cur.1 => cur.1 = cur.1.max(b),
            _ => out.push((a, b)),
        }
    }
    *spans = out;
}

/// The seconds covered by the union of `[start_ms, end_ms]` spans; `None` when there are none.
pub fn wall_time_s(spans: &[(u64, u64)]) -> Option<f64> {
    let mut v = spans.to_vec();
    merge_spans(&mut v);
    if v.is_empty() {
        return None;
    }
    Some(v.iter().map(|(a, b)| b - a).sum::<u64>() as f64 / 1000.0)
}

/// Percentiles 50 and 95 of `v` in any order (reordered; `None` when empty), linearly
/// interpolated between the order statistics at floor and ceil of `q / 100 * (n - 1)` as
/// the sort-then-index version before it did, found by selection instead of a sort (linear
/// time, about 4x faster at a million values): the same order statistics, so the same
/// numbers (the test holds it to that version).
pub fn percentiles_50_95(v: &mut [f64]) -> [Option<f64>; 2] {
    if v.is_empty() {
        return [None, None];
    }
    let n = v.len();
    // The ranks each needs (numpy's linear interpolation between floor and ceil).
    let ranks = |q: f64| {
        let pos = q / 100.0 * (n - 1) as f64;
        (pos, pos.floor() as usize, pos.ceil() as usize)
    };
    // Value of rank `lo` once selected, and of rank `lo + 1` (the least of what follows).
    let at = |v: &mut [f64], (pos, lo, hi): (f64, usize, usize)| {
        let (_, &mut x, rest) = v.select_nth_unstable_by(lo, f64::total_cmp);
        let y = if hi > lo {
            rest.iter().copied().min_by(f64::total_cmp).unwrap_or(x)
        } else {
            x
        };
        x + (y - x) * (pos - lo as f64)
    };
    let r95 = ranks(95.0);
    let p95 = at(v, r95);
    // Everything before rank r95.lo is at most it: rank r50.lo is among them (or it).
    let r50 = ranks(50.0);
    let p50 = if r50.2 < r95.1 {
        at(&mut v[..r95.1], r50)
    } else {
        at(v, r50)
    };
    [Some(p50), Some(p95)]
}

/// Settings that change how predictions are scored (from the eval config).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ScoreSettings {
    pub calibration: Option<CalibrationSettings>,
    pub routing: Option<RoutingSettings>,
    pub seed: u64,
}

/// Which field the confidence is about, and the binning.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CalibrationSettings {
    pub field: String,
    pub bins: usize,
}

/// The confidence policy.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RoutingSettings {
    pub field: String,
    pub route_at: f64,
    pub clarify_at: f64,
    pub target_accuracy: f64,
}

/// A variant to score: its name and what ran it.
#[derive(Debug, Clone, PartialEq)]
pub struct ScoredVariant {
    pub name: String,
    pub provider: String,
    pub model: Option<String>,
}

/// Scores `variants` over the first `n_tickets` tickets of `gold` from their records:
/// [`grade()`] then [`summarize`]. Primary metrics use repeat 0; later repeats feed the repeat
/// statistics. One record per (variant, ticket, repeat): the last one wins.
pub fn score(
    gold: &GoldSet,
    settings: &ScoreSettings,
    variants: &[ScoredVariant],
    records: &[PredictionRecord],
    n_tickets: usize,
) -> RunReport {
    summarize(&grade(gold, variants, records, n_tickets), settings)
}

/// Grades `variants` over the first `n_tickets` tickets of `gold` from in-memory records
/// (what a run just recorded); records of other variants or tickets are ignored.
pub fn grade(
    gold: &GoldSet,
    variants: &[ScoredVariant],
    records: &[PredictionRecord],
    n_tickets: usize,
) -> Graded {
    let mut grader = Grader::new(gold, variants, n_tickets);
    for r in records {
        grader.add_record(r);
    }
    grader.finish()
}

/// Most risk-coverage points kept in a report (run.json, `--format json`).
pub const RISK_COVERAGE_POINTS: usize = 200;

/// The risk-coverage curve as reported: every point when there are at most
/// [`RISK_COVERAGE_POINTS`], else the points at indices `floor(i (m - 1) / (P - 1))` for
/// `i = 0..P` (the first and the last are kept). AURC and the target threshold are computed
/// on the full curve before thinning.
pub fn thin_risk_coverage(
    curve: Vec<metrics::RiskCoveragePoint>,
) -> Vec<metrics::RiskCoveragePoint> {
    let m = curve.len();
    if m <= RISK_COVERAGE_POINTS {
        return curve;
    }
    (0..RISK_COVERAGE_POINTS)
        .map(|i| curve[i * (m - 1) / (RISK_COVERAGE_POINTS - 1)].clone())
        .collect()
}

/// The prediction of one field in a record, or `None` if invalid (no record, an outcome
/// other than `ok`, or an output that is not a valid value of the field).
pub fn predicted(
    rec: Option<&PredictionRecord>,
    gold: &GoldSet,
    field: usize,
) -> Option<crate::gold::GoldValue> {
    let rec = rec?;
    if rec.outcome != crate::eval_log::Outcome::Ok {
        return None;
    }
    let f = &gold.fields[field];
    crate::gold::GoldValue::from_json(f, rec.outputs.get(&f.name)?).ok()
}

#[cfg(test)]
mod tests {
    /// The percentile of sorted values the latencies were reported with before selection.
    fn percentile(sorted: &[f64], q: f64) -> Option<f64> {
        if sorted.is_empty() {
            return None;
        }
        let pos = q / 100.0 * (sorted.len() - 1) as f64;
        let lo = pos.floor() as usize;
        let hi = pos.ceil() as usize;
        Some(sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo as f64))
    }

    /// Selection gives what sorting then [`percentile`] gives, bit for bit: sizes 1
    /// to 300 and a large one, many repeated values, signed zeros.
    #[test]
    fn percentiles_by_selection_equal_percentiles_of_the_sorted_values() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        let sizes: Vec<usize> = (1..=300).chain([10_007]).collect();
        for n in sizes {
            for distinct in [2u32, 17, 1_000_000] {
                let v: Vec<f64> = (0..n)
                    .map(|_| match rng.gen_range(0..distinct) {
                        0 => -0.0,
                        k => f64::from(k) * 1.25 + rng.gen_range(0..2) as f64 * 0.5,
                    })
                    .collect();
                let mut sorted = v.clone();
                sorted.sort_by(f64::total_cmp);
                let want = [50.0, 95.0].map(|q| percentile(&sorted, q).map(f64::to_bits));
                let mut w = v.clone();
                let got = super::percentiles_50_95(&mut w).map(|x| x.map(f64::to_bits));
                assert_eq!(got, want, "n {n}, {distinct} distinct");
            }
        }
        assert_eq!(super::percentiles_50_95(&mut []), [None, None]);
    }
}

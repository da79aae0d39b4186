//! Scoring a run: from the gold set and the journal's records to every metric, per variant
//! and field. Pure over its inputs; [`crate::report`] renders the result.
//!
//! A record whose outcome is not `ok`, or whose output for a field is missing or not a valid
//! value, is an *invalid* prediction for that field: wrong for accuracy and counted in the
//! `invalid` column. A field a variant never predicts (a local variant and a `labels` field)
//! is not scored for that variant.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

use crate::config::Eval;
use crate::eval_log::{Outcome, PredictionRecord};
use crate::gold::{FieldKind, GoldSet, GoldValue};
use crate::metrics::{self, SingleLabelReport};

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

fn is_zero(n: &usize) -> bool {
    *n == 0
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

/// The distinct (outcome, message) pairs of the records that are not `ok`, most frequent
/// first (ties in order of first appearance), the first [`ERROR_MESSAGES`] of them, and how
/// many records the rest hold.
pub fn error_counts(recs: &[&PredictionRecord]) -> (Vec<ErrorCount>, usize) {
    let mut counts: Vec<ErrorCount> = Vec::new();
    let mut index: HashMap<(Outcome, &str), usize> = HashMap::new();
    for r in recs.iter().filter(|r| r.outcome != Outcome::Ok) {
        let message = r.error.as_deref().unwrap_or(r.outcome.name());
        match index.get(&(r.outcome, message)) {
            Some(&i) => counts[i].count += 1,
            None => {
                index.insert((r.outcome, message), counts.len());
                counts.push(ErrorCount {
                    outcome: r.outcome.name().to_string(),
                    message: message.to_string(),
                    count: 1,
                });
            }
        }
    }
    // A stable sort keeps first appearance among equal counts.
    counts.sort_by_key(|e| std::cmp::Reverse(e.count));
    let other = counts.iter().skip(ERROR_MESSAGES).map(|e| e.count).sum();
    counts.truncate(ERROR_MESSAGES);
    (counts, other)
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
    /// Sum of per-record latencies, seconds.
    pub time_s: f64,
    pub latency_p50_ms: Option<f64>,
    pub latency_p95_ms: Option<f64>,
}

/// The prediction of one field in a record, or `None` if invalid.
pub fn predicted(
    rec: Option<&PredictionRecord>,
    gold: &GoldSet,
    field: usize,
) -> Option<GoldValue> {
    let rec = rec?;
    if rec.outcome != Outcome::Ok {
        return None;
    }
    let f = &gold.fields[field];
    GoldValue::from_json(f, rec.outputs.get(&f.name)?).ok()
}

/// Percentile with linear interpolation (numpy's default), `None` when empty.
pub fn percentile(sorted: &[f64], q: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let pos = q / 100.0 * (sorted.len() - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = pos.ceil() as usize;
    Some(sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo as f64))
}

/// Per label field of a variant: which tickets it got right, and its confusion matrix.
type LabelCorrectness = (usize, Vec<bool>, Option<metrics::ConfusionMatrix>);

/// Settings that change how predictions are scored (from the eval config).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ScoreSettings {
    pub calibration: Option<crate::config::CalibrationSettings>,
    pub routing: Option<crate::config::RoutingSettings>,
    pub seed: u64,
}

impl ScoreSettings {
    pub fn of(eval: &Eval) -> Self {
        ScoreSettings {
            calibration: eval.calibration.clone(),
            routing: eval.routing.clone(),
            seed: eval.run.seed,
        }
    }
}

/// A variant to score: its name and what ran it.
#[derive(Debug, Clone, PartialEq)]
pub struct ScoredVariant {
    pub name: String,
    pub provider: String,
    pub model: Option<String>,
}

/// Scores `variants` over the first `n_tickets` tickets of `gold` from their records.
/// Primary metrics use repeat 0; later repeats feed the repeat statistics.
pub fn score(
    gold: &GoldSet,
    settings: &ScoreSettings,
    variants: &[ScoredVariant],
    records: &[PredictionRecord],
    n_tickets: usize,
) -> RunReport {
    // One record per (variant, ticket, repeat): the last one wins, at the position of the
    // first (as `eval_log::dedup_latest`), so an in-process caller gets what the CLI gets.
    let tickets = &gold.tickets[..n_tickets];
    let ticket_ids: std::collections::HashSet<&str> =
        tickets.iter().map(|t| t.id.as_str()).collect();
    let mut by_key: HashMap<(&str, &str, u32), &PredictionRecord> = HashMap::new();
    let mut records_once: Vec<(&str, &str, u32)> = Vec::new();
    for r in records {
        let key = (r.variant.as_str(), r.ticket.as_str(), r.repeat);
        if by_key.insert(key, r).is_none() {
            records_once.push(key);
        }
    }
    let records: Vec<&PredictionRecord> = records_once.iter().map(|k| by_key[k]).collect();
    let all_rows: Vec<usize> = (0..n_tickets).collect();
    // Tags in first-seen order.
    let mut tags: Vec<&str> = Vec::new();
    for t in tickets {
        for tag in &t.tags {
            if !tags.contains(&tag.as_str()) {
                tags.push(tag);
            }
        }
    }
    let mut per_variant_correct: Vec<Vec<LabelCorrectness>> = Vec::new();
    let reports = variants
        .iter()
        .map(|v| {
            let recs: Vec<Option<&PredictionRecord>> = tickets
                .iter()
                .map(|t| by_key.get(&(v.name.as_str(), t.id.as_str(), 0)).copied())
                .collect();
            let n_repeats = records
                .iter()
                .filter(|r| r.variant == v.name && ticket_ids.contains(r.ticket.as_str()))
                .map(|r| r.repeat + 1)
                .max()
                .unwrap_or(1);
            // Cost and latency: every record of the variant (all repeats) on the scored tickets.
            let all: Vec<&PredictionRecord> = records
                .iter()
                .copied()
                .filter(|r| r.variant == v.name && ticket_ids.contains(r.ticket.as_str()))
                .collect();
            let mut outcomes: BTreeMap<String, usize> = BTreeMap::new();
            for r in &recs {
                let name = r.map_or("missing", |r| r.outcome.name());
                *outcomes.entry(name.to_string()).or_default() += 1;
            }
            let not_ok = recs
                .iter()
                .filter(|r| r.is_none_or(|r| r.outcome != Outcome::Ok))
                .count();
            let preds: Vec<Vec<Option<GoldValue>>> = (0..gold.fields.len())
                .map(|fi| recs.iter().map(|r| predicted(*r, gold, fi)).collect())
                .collect();
            let any_ok = recs.iter().flatten().any(|r| r.outcome == Outcome::Ok);
            let scored: Vec<usize> = (0..gold.fields.len())
                .filter(|&fi| {
                    // A field the variant never outputs is not scored for it.
                    !any_ok
                        || recs
                            .iter()
                            .flatten()
                            .any(|r| r.outputs.contains_key(&gold.fields[fi].name))
                })
                .collect();
            // A confidence outside [0, 1] (or NaN) is treated as missing, and counted.
            let confidence_invalid = recs
                .iter()
                .flatten()
                .filter(|r| r.confidence.is_some_and(|c| !(0.0..=1.0).contains(&c)))
                .count();
            let conf: Vec<Option<f64>> = recs
                .iter()
                .map(|r| {
                    r.and_then(|r| r.confidence)
                        .filter(|c| (0.0..=1.0).contains(c))
                })
                .collect();
            let mut fields = field_reports(gold, tickets, &all_rows, &scored, &preds);
            // Repeat statistics for label fields.
            if n_repeats > 1 {
                for fr in fields.iter_mut().filter(|f| f.kind == FieldKind::Label) {
                    let (fi, _) = gold.field(&fr.field).expect("gold field");
                    let runs: Vec<Vec<Option<u32>>> = (0..n_repeats)
                        .map(|rep| {
                            tickets
                                .iter()
                                .map(|t| {
                                    let r =
                                        by_key.get(&(v.name.as_str(), t.id.as_str(), rep)).copied();
                                    match predicted(r, gold, fi) {
                                        Some(GoldValue::Label(i)) => Some(i),
                                        _ => None,
                                    }
                                })
                                .collect()
                        })
                        .collect();
                    fr.repeats = metrics::repeats(&label_gold(tickets, &all_rows, fi), &runs);
                }
            }
            let (calibration, routing) =
                confidence_reports(gold, settings, tickets, &all_rows, &scored, &preds, &conf);
            let slices = tags
                .iter()
                .map(|tag| {
                    let rows: Vec<usize> = (0..n_tickets)
                        .filter(|&i| tickets[i].tags.iter().any(|t| t == tag))
                        .collect();
                    let (calibration, routing) =
                        confidence_reports(gold, settings, tickets, &rows, &scored, &preds, &conf);
                    SliceReport {
                        tag: tag.to_string(),
                        n: rows.len(),
                        fields: field_reports(gold, tickets, &rows, &scored, &preds),
                        calibration,
                        routing,
                    }
                })
                .collect();
            // Correctness per label field, for the comparisons.
            per_variant_correct.push(
                scored
                    .iter()
                    .filter(|&&fi| gold.fields[fi].kind == FieldKind::Label)
                    .map(|&fi| {
                        let g = label_gold(tickets, &all_rows, fi);
                        let p = label_pred(&preds[fi], &all_rows);
                        let correct: Vec<bool> =
                            g.iter().zip(&p).map(|(g, p)| Some(*g) == *p).collect();
                        let cm = metrics::ConfusionMatrix::from_labels(
                            &g,
                            &p,
                            gold.fields[fi].values.len(),
                        );
                        (fi, correct, Some(cm))
                    })
                    .collect(),
            );
            let errors = error_counts(&all);
            VariantReport {
                name: v.name.clone(),
                provider: v.provider.clone(),
                model: v.model.clone(),
                n_records: recs.len(),
                outcomes,
                invalid_rate: if recs.is_empty() {
                    0.0
                } else {
                    not_ok as f64 / recs.len() as f64
                },
                confidence_invalid,
                fields,
                calibration,
                routing,
                slices,
                cost: cost_summary(&all),
                errors: errors.0,
                errors_other: errors.1,
            }
        })
        .collect::<Vec<_>>();
    // Pairwise statistics per label field, over the variants that predict it.
    let mut comparisons = Vec::new();
    for (fi, f) in gold
        .fields
        .iter()
        .enumerate()
        .filter(|(_, f)| f.kind == FieldKind::Label)
    {
        let inputs: Vec<crate::stats::VariantInput> = variants
            .iter()
            .zip(&per_variant_correct)
            .filter_map(|(v, per_field)| {
                per_field
                    .iter()
                    .find(|(i, _, _)| *i == fi)
                    .map(|(_, correct, cm)| crate::stats::VariantInput {
                        name: &v.name,
                        correct,
                        confusion: cm.as_ref(),
                    })
            })
            .collect();
        if inputs.is_empty() || n_tickets == 0 {
            continue;
        }
        let cfg = crate::stats::CompareConfig {
            bootstrap: crate::stats::BootstrapConfig {
                seed: settings.seed,
                ..Default::default()
            },
            ..Default::default()
        };
        if let Some(report) = crate::stats::compare_variants(&inputs, &cfg) {
            comparisons.push(FieldComparison {
                field: f.name.clone(),
                report,
            });
        }
    }
    RunReport {
        n_tickets,
        fields: gold.fields.clone(),
        settings: settings.clone(),
        variants: reports,
        comparisons,
    }
}

fn label_gold(tickets: &[crate::gold::Ticket], rows: &[usize], fi: usize) -> Vec<u32> {
    rows.iter()
        .map(|&i| match tickets[i].labels[fi] {
            GoldValue::Label(l) => l,
            _ => unreachable!("label field"),
        })
        .collect()
}

fn label_pred(preds: &[Option<GoldValue>], rows: &[usize]) -> Vec<Option<u32>> {
    rows.iter()
        .map(|&i| match &preds[i] {
            Some(GoldValue::Label(l)) => Some(*l),
            _ => None,
        })
        .collect()
}

/// Per-field metrics over the tickets in `rows`.
fn field_reports(
    gold: &GoldSet,
    tickets: &[crate::gold::Ticket],
    rows: &[usize],
    scored: &[usize],
    preds: &[Vec<Option<GoldValue>>],
) -> Vec<FieldReport> {
    scored
        .iter()
        .map(|&fi| {
            let f = &gold.fields[fi];
            let mut report = FieldReport {
                field: f.name.clone(),
                kind: f.kind,
                label: None,
                labels: None,
                flag: None,
                repeats: None,
            };
            match f.kind {
                FieldKind::Label => {
                    report.label = metrics::single_label(
                        &label_gold(tickets, rows, fi),
                        &label_pred(&preds[fi], rows),
                        f.values.len(),
                    );
                }
                FieldKind::Labels => {
                    let g: Vec<Vec<u32>> = rows
                        .iter()
                        .map(|&i| match &tickets[i].labels[fi] {
                            GoldValue::Labels(v) => v.clone(),
                            _ => unreachable!("labels field"),
                        })
                        .collect();
                    let p: Vec<Option<Vec<u32>>> = rows
                        .iter()
                        .map(|&i| match &preds[fi][i] {
                            Some(GoldValue::Labels(v)) => Some(v.clone()),
                            _ => None,
                        })
                        .collect();
                    report.labels = metrics::multilabel(&g, &p, f.values.len());
                }
                FieldKind::Flag => {
                    let g: Vec<bool> = rows
                        .iter()
                        .map(|&i| matches!(tickets[i].labels[fi], GoldValue::Flag(true)))
                        .collect();
                    let p: Vec<Option<bool>> = rows
                        .iter()
                        .map(|&i| match &preds[fi][i] {
                            Some(GoldValue::Flag(b)) => Some(*b),
                            _ => None,
                        })
                        .collect();
                    report.flag = metrics::flag(&g, &p);
                }
            }
            report
        })
        .collect()
}

/// Calibration and routing of the confidence against the configured label fields.
#[allow(clippy::too_many_arguments)]
fn confidence_reports(
    gold: &GoldSet,
    settings: &ScoreSettings,
    tickets: &[crate::gold::Ticket],
    rows: &[usize],
    scored: &[usize],
    preds: &[Vec<Option<GoldValue>>],
    conf: &[Option<f64>],
) -> (
    Option<metrics::CalibrationReport>,
    Option<metrics::RoutingReport>,
) {
    let correct_on = |name: &str| -> Option<Vec<bool>> {
        let (fi, f) = gold.field(name)?;
        if f.kind != FieldKind::Label || !scored.contains(&fi) {
            return None;
        }
        let g = label_gold(tickets, rows, fi);
        let p = label_pred(&preds[fi], rows);
        Some(g.iter().zip(&p).map(|(g, p)| Some(*g) == *p).collect())
    };
    let c: Vec<Option<f64>> = rows.iter().map(|&i| conf[i]).collect();
    let has_conf = c.iter().any(Option::is_some);
    let calibration = settings
        .calibration
        .as_ref()
        .filter(|_| has_conf)
        .and_then(|cs| {
            let correct = correct_on(&cs.field)?;
            metrics::calibration(&c, &correct, cs.bins)
        });
    let routing = settings
        .routing
        .as_ref()
        .filter(|_| has_conf)
        .and_then(|rs| {
            let correct = correct_on(&rs.field)?;
            let policy = metrics::RoutingPolicy {
                route_at: rs.route_at,
                clarify_at: rs.clarify_at,
                target_accuracy: rs.target_accuracy,
            };
            let mut report = metrics::routing(&c, &correct, &policy)?;
            report.risk_coverage = thin_risk_coverage(std::mem::take(&mut report.risk_coverage));
            Some(report)
        });
    (calibration, routing)
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

fn cost_summary(recs: &[&PredictionRecord]) -> CostSummary {
    let mut s = CostSummary::default();
    let mut lat: Vec<f64> = Vec::with_capacity(recs.len());
    for r in recs {
        if r.cached {
            s.cached += 1;
        } else if r.usage.is_some() {
            s.requests += 1;
        }
        if let Some(u) = r.usage {
            s.input_tokens += u.input_tokens;
            s.output_tokens += u.output_tokens;
            s.cache_read_input_tokens += u.cache_read_input_tokens;
            s.cache_creation_input_tokens += u.cache_creation_input_tokens;
        }
        s.total_usd += r.cost_usd.unwrap_or(0.0);
        if let Some(l) = r.latency_ms {
            if !r.cached {
                lat.push(l);
            }
            s.time_s += l / 1000.0;
        }
    }
    lat.sort_by(f64::total_cmp);
    s.latency_p50_ms = percentile(&lat, 50.0);
    s.latency_p95_ms = percentile(&lat, 95.0);
    s.usd_per_1000 = if recs.is_empty() {
        0.0
    } else {
        s.total_usd / recs.len() as f64 * 1000.0
    };
    s
}

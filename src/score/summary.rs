//! Summarizing: from a [`Graded`] run to every metric ([`RunReport`]): per variant and field,
//! per tag, calibration, routing, repeat spread, cost, and the pairwise comparisons. Pure; the
//! metrics themselves are [`crate::metrics`] and [`crate::stats`].

use std::borrow::Cow;
use std::collections::BTreeMap;

use crate::eval_log::Outcome;
use crate::gold::FieldKind;
use crate::metrics;

use super::grade::{GoldColumn, Graded, GradedField, GradedVariant, PredColumn};
use super::{
    thin_risk_coverage, FieldComparison, FieldReport, RunReport, ScoreSettings, SliceReport,
    VariantReport,
};

/// The rows of a column: all of them, or those in `rows`.
fn rows_of<'a, T: Clone>(col: &'a [T], rows: Option<&[u32]>) -> Cow<'a, [T]> {
    match rows {
        None => Cow::Borrowed(col),
        Some(rows) => Cow::Owned(rows.iter().map(|&i| col[i as usize].clone()).collect()),
    }
}

/// Every metric of a graded run.
pub fn summarize(graded: &Graded, settings: &ScoreSettings) -> RunReport {
    let n_tickets = graded.n_tickets();
    // The variants' metrics and the bootstraps of the comparisons at once: each is one task
    // per variant, and together they keep both cores busy where each alone leaves one core
    // idle while its last variant finishes.
    let (reports, comparisons) = rayon::join(
        || variant_reports(graded, settings),
        || comparisons(graded, settings),
    );
    let spans: Vec<(u64, u64)> = graded
        .variants
        .iter()
        .flat_map(|v| v.spans.iter().copied())
        .collect();
    RunReport {
        wall_s: super::wall_time_s(&spans),
        n_tickets,
        fields: graded.fields.clone(),
        settings: settings.clone(),
        variants: reports,
        comparisons,
    }
}

/// Pairwise statistics per label field, over the variants that predict it.
fn comparisons(graded: &Graded, settings: &ScoreSettings) -> Vec<FieldComparison> {
    let n_tickets = graded.n_tickets();
    let mut comparisons = Vec::new();
    for (fi, f) in graded.fields.iter().enumerate() {
        let GoldColumn::Label(g) = &graded.gold[fi] else {
            continue;
        };
        let matrices: Vec<Option<(&GradedVariant, &GradedField, metrics::ConfusionMatrix)>> =
            graded
                .variants
                .iter()
                .map(|v| {
                    let gf = v.fields[fi].as_ref()?;
                    let PredColumn::Label(p) = &gf.predicted else {
                        return None;
                    };
                    let cm = metrics::ConfusionMatrix::from_labels(g, p, f.values.len());
                    Some((v, gf, cm))
                })
                .collect();
        let inputs: Vec<crate::stats::VariantInput> = matrices
            .iter()
            .flatten()
            .map(|(v, gf, cm)| crate::stats::VariantInput {
                name: &v.name,
                correct: &gf.correct,
                confusion: Some(cm),
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
    comparisons
}

/// Every variant's metrics ([`RunReport::variants`]) without the run's pairwise comparisons
/// (what `compare` and `gate` read).
pub fn variant_reports(graded: &Graded, settings: &ScoreSettings) -> Vec<VariantReport> {
    // Variants are independent (calibration and routing sort per variant): in parallel.
    use rayon::prelude::*;
    graded
        .variants
        .par_iter()
        .map(|v| variant_report(graded, settings, v))
        .collect()
}

fn variant_report(graded: &Graded, settings: &ScoreSettings, v: &GradedVariant) -> VariantReport {
    let n = v.outcomes.len();
    // Counted by position (each outcome, then missing), named once at the end: not a
    // string and a map look-up per ticket.
    const _: () = {
        // `o as usize` is o's position in `Outcome::ALL`.
        let mut k = 0;
        while k < Outcome::ALL.len() {
            assert!(Outcome::ALL[k] as usize == k);
            k += 1;
        }
    };
    let mut counts = [0usize; Outcome::ALL.len() + 1];
    for o in &v.outcomes {
        counts[o.map_or(Outcome::ALL.len(), |o| o as usize)] += 1;
    }
    let outcomes: BTreeMap<String, usize> = Outcome::ALL
        .iter()
        .map(|o| o.name())
        .chain(["missing"])
        .zip(counts)
        .filter(|&(_, count)| count > 0)
        .map(|(name, count)| (name.to_string(), count))
        .collect();
    let not_ok = v
        .outcomes
        .iter()
        .filter(|o| **o != Some(Outcome::Ok))
        .count();
    let mut fields = field_reports(graded, v, None);
    // Repeat statistics for label fields.
    if v.n_repeats > 1 {
        for fr in fields.iter_mut().filter(|f| f.kind == FieldKind::Label) {
            let fi = graded
                .fields
                .iter()
                .position(|f| f.name == fr.field)
                .expect("gold field");
            let (Some(gf), GoldColumn::Label(g)) = (&v.fields[fi], &graded.gold[fi]) else {
                continue;
            };
            let PredColumn::Label(first) = &gf.predicted else {
                continue;
            };
            // A repeat without any record is all invalid; one shared column stands for all.
            let none: Vec<Option<u32>> = if gf.repeat_runs.iter().any(Option::is_none) {
                vec![None; n]
            } else {
                Vec::new()
            };
            let runs: Vec<&[Option<u32>]> = std::iter::once(first.as_slice())
                .chain(
                    gf.repeat_runs
                        .iter()
                        .map(|r| r.as_deref().unwrap_or(none.as_slice())),
                )
                .collect();
            fr.repeats = metrics::repeats(g, &runs);
        }
    }
    let (calibration, routing) = confidence_reports(graded, settings, v, None);
    let slices = graded
        .tags
        .iter()
        .map(|(tag, rows)| {
            let (calibration, routing) = confidence_reports(graded, settings, v, Some(rows));
            SliceReport {
                tag: tag.clone(),
                n: rows.len(),
                fields: field_reports(graded, v, Some(rows)),
                calibration,
                routing,
            }
        })
        .collect();
    VariantReport {
        name: v.name.clone(),
        provider: v.provider.clone(),
        model: v.model.clone(),
        n_records: n,
        outcomes,
        invalid_rate: if n == 0 {
            0.0
        } else {
            not_ok as f64 / n as f64
        },
        confidence_invalid: v.confidence_invalid,
        unexpected_stop: v.unexpected_stop,
        missing: v.missing(),
        replaced: v.replaced,
        fields,
        calibration,
        routing,
        slices,
        cost: v.cost.clone(),
        errors: v.errors.clone(),
        errors_other: v.errors_other,
    }
}

/// Per-field metrics over the tickets in `rows` (all when `None`).
fn field_reports(graded: &Graded, v: &GradedVariant, rows: Option<&[u32]>) -> Vec<FieldReport> {
    v.fields
        .iter()
        .flatten()
        .map(|gf| {
            let f = &graded.fields[gf.field];
            let mut report = FieldReport {
                field: f.name.clone(),
                kind: f.kind,
                label: None,
                labels: None,
                flag: None,
                repeats: None,
            };
            match (&graded.gold[gf.field], &gf.predicted) {
                (GoldColumn::Label(g), PredColumn::Label(p)) => {
                    report.label =
                        metrics::single_label(&rows_of(g, rows), &rows_of(p, rows), f.values.len())
                            .map(|mut r| {
                                // The label's name next to its index.
                                for c in &mut r.per_class {
                                    c.name = f.values.get(c.class as usize).cloned();
                                }
                                r
                            });
                }
                (GoldColumn::Labels(g), PredColumn::Labels(p)) => {
                    report.labels =
                        metrics::multilabel(&rows_of(g, rows), &rows_of(p, rows), f.values.len());
                }
                (GoldColumn::Flag(g), PredColumn::Flag(p)) => {
                    report.flag = metrics::flag(&rows_of(g, rows), &rows_of(p, rows));
                }
                _ => unreachable!("gold and predicted columns of one field have one kind"),
            }
            report
        })
        .collect()
}

/// Calibration and routing of the confidence against the configured label fields.
/// Scores sorted by confidence, and the correct column they came from.
type SortedScores<'a> = (Cow<'a, [(f64, bool)]>, Cow<'a, [bool]>);

fn confidence_reports(
    graded: &Graded,
    settings: &ScoreSettings,
    v: &GradedVariant,
    rows: Option<&[u32]>,
) -> (
    Option<metrics::CalibrationReport>,
    Option<metrics::RoutingReport>,
) {
    let correct_on = |name: &str| -> Option<Cow<[bool]>> {
        let fi = graded.fields.iter().position(|f| f.name == name)?;
        if graded.fields[fi].kind != FieldKind::Label {
            return None;
        }
        let gf = v.fields[fi].as_ref()?;
        Some(rows_of(&gf.correct, rows))
    };
    let c = rows_of(&v.confidence, rows);
    let has_conf = c.iter().any(Option::is_some);
    let calibration_on = settings.calibration.as_ref().filter(|_| has_conf);
    let routing_on = settings.routing.as_ref().filter(|_| has_conf);
    // Both walk the scores sorted by confidence: one sort when they grade the same field
    // (the usual case), each its own otherwise.
    let shared = match (calibration_on, routing_on) {
        (Some(cs), Some(rs)) if cs.field == rs.field => correct_on(&cs.field)
            .map(|correct| (metrics::calibration::sorted_scores(&c, &correct), correct)),
        _ => None,
    };
    let scores = |field: &str| -> Option<SortedScores> {
        match &shared {
            Some((sorted, correct)) => Some((Cow::Borrowed(sorted), Cow::Borrowed(correct))),
            None => {
                let correct = correct_on(field)?;
                let sorted = metrics::calibration::sorted_scores(&c, &correct);
                Some((Cow::Owned(sorted), correct))
            }
        }
    };
    // On both cores.
    let calibration = || {
        calibration_on.and_then(|cs| {
            let (sorted, correct) = scores(&cs.field)?;
            metrics::calibration::calibration_sorted(&c, &correct, cs.bins, &sorted)
        })
    };
    let routing = || {
        routing_on.and_then(|rs| {
            let (sorted, correct) = scores(&rs.field)?;
            let policy = metrics::RoutingPolicy {
                route_at: rs.route_at,
                clarify_at: rs.clarify_at,
                target_accuracy: rs.target_accuracy,
            };
            let mut report = metrics::routing::routing_sorted(&c, &correct, &policy, &sorted)?;
            report.risk_coverage = thin_risk_coverage(std::mem::take(&mut report.risk_coverage));
            Some(report)
        })
    };
    rayon::join(calibration, routing)
}

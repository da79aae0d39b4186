//! One variant's stored records graded: per field the predicted column against the gold one,
//! with its confidences, outcomes, cost, latency and error messages.

use std::collections::HashMap;

use super::slots::{Pred, Slot, VariantSlots, CONF_ABSENT, CONF_INVALID};
use super::{GoldColumn, GradedField, GradedVariant, PredColumn};
use crate::eval_log::Outcome;
use crate::gold::{Field, FieldKind};
use crate::score::{CostSummary, ErrorCount, ScoredVariant, ERROR_MESSAGES};

pub(super) fn grade_variant(
    v: &ScoredVariant,
    vs: &VariantSlots,
    fields: &[Field],
    gold_cols: &[GoldColumn],
    n: usize,
    label_sets: &[Vec<u32>],
    messages: &[(Outcome, String)],
) -> GradedVariant {
    // The columns on one core, the messages, cost and latencies (a sort of every latency) on
    // the other: a variant's slots are graded at once, one variant at a time (each one's
    // slots are freed before the next is graded, which keeps the peak down).
    let (columns, ((errors, errors_other), (cost, spans))) = rayon::join(
        || columns(vs, fields, gold_cols, n, label_sets),
        || (error_counts(&vs.slots, messages), cost_summary(vs)),
    );
    let Columns {
        outcomes,
        confidence,
        confidence_invalid,
        fields,
        n_repeats,
        unexpected_stop,
    } = columns;
    GradedVariant {
        errors,
        errors_other,
        name: v.name.clone(),
        provider: v.provider.clone(),
        model: v.model.clone(),
        outcomes,
        confidence,
        confidence_invalid,
        fields,
        n_repeats,
        replaced: vs.replaced,
        unexpected_stop,
        spans,
        cost,
    }
}

/// A variant's per-ticket columns ([`GradedVariant`]'s).
struct Columns {
    outcomes: Vec<Option<Outcome>>,
    confidence: Vec<Option<f64>>,
    confidence_invalid: usize,
    fields: Vec<Option<GradedField>>,
    n_repeats: u32,
    unexpected_stop: usize,
}

fn columns(
    vs: &VariantSlots,
    fields: &[Field],
    gold_cols: &[GoldColumn],
    n: usize,
    label_sets: &[Vec<u32>],
) -> Columns {
    let nf = fields.len();
    let rep0 = |ti: usize| {
        Some(vs.rep0[ti])
            .filter(|&s| s != u32::MAX)
            .map(|s| s as usize)
    };
    let outcomes: Vec<Option<Outcome>> = (0..n)
        .map(|ti| rep0(ti).map(|s| vs.slots[s].outcome))
        .collect();
    let mut confidence_invalid = 0;
    let confidence: Vec<Option<f64>> = (0..n)
        .map(|ti| {
            let c = rep0(ti).map_or(CONF_ABSENT, |s| vs.slots[s].confidence);
            if c == CONF_INVALID {
                confidence_invalid += 1;
            }
            (c >= 0.0).then_some(c)
        })
        .collect();
    let any_ok = outcomes.contains(&Some(Outcome::Ok));
    let n_repeats = vs.more.keys().map(|&(_, r)| r + 1).max().unwrap_or(1);
    let fields = (0..nf)
        .map(|fi| {
            // A field the variant never outputs (in an `ok` record) is not scored for it.
            let outputs_it = (0..n).any(|ti| {
                rep0(ti).is_some_and(|s| {
                    vs.slots[s].outcome == Outcome::Ok && vs.preds[s * nf + fi] != Pred::Absent
                })
            });
            if any_ok && !outputs_it {
                return None;
            }
            // Invalid unless the record is `ok` and the value valid.
            let pred_at = |s: Option<usize>| -> Pred {
                match s {
                    Some(s) if vs.slots[s].outcome == Outcome::Ok => vs.preds[s * nf + fi],
                    _ => Pred::Invalid,
                }
            };
            let (predicted, correct) = match &gold_cols[fi] {
                GoldColumn::Label(g) => {
                    let p: Vec<Option<u32>> = (0..n)
                        .map(|ti| match pred_at(rep0(ti)) {
                            Pred::Label(l) => Some(l),
                            _ => None,
                        })
                        .collect();
                    let c = g.iter().zip(&p).map(|(g, p)| Some(*g) == *p).collect();
                    (PredColumn::Label(p), c)
                }
                GoldColumn::Labels(g) => {
                    let p: Vec<Option<Vec<u32>>> = (0..n)
                        .map(|ti| match pred_at(rep0(ti)) {
                            Pred::Labels(i) => Some(label_sets[i as usize].clone()),
                            _ => None,
                        })
                        .collect();
                    let c = g
                        .iter()
                        .zip(&p)
                        .map(|(g, p)| p.as_ref() == Some(g))
                        .collect();
                    (PredColumn::Labels(p), c)
                }
                GoldColumn::Flag(g) => {
                    let p: Vec<Option<bool>> = (0..n)
                        .map(|ti| match pred_at(rep0(ti)) {
                            Pred::Flag(b) => Some(b),
                            _ => None,
                        })
                        .collect();
                    let c = g.iter().zip(&p).map(|(g, p)| Some(*g) == *p).collect();
                    (PredColumn::Flag(p), c)
                }
            };
            let mut repeat_runs = Vec::new();
            if n_repeats > 1 && fields[fi].kind == FieldKind::Label {
                let mut runs: Vec<Option<Vec<Option<u32>>>> = vec![None; n_repeats as usize - 1];
                for (&(ti, rep), &s) in &vs.more {
                    let run = runs[rep as usize - 1].get_or_insert_with(|| vec![None; n]);
                    if let Pred::Label(l) = pred_at(Some(s as usize)) {
                        run[ti as usize] = Some(l);
                    }
                }
                repeat_runs = runs;
            }
            Some(GradedField {
                field: fi,
                predicted,
                correct,
                repeat_runs,
            })
        })
        .collect();
    let unexpected_stop = (0..n)
        .filter_map(rep0)
        .filter(|&s| vs.slots[s].unexpected_stop())
        .count();
    Columns {
        outcomes,
        confidence,
        confidence_invalid,
        fields,
        n_repeats,
        unexpected_stop,
    }
}

/// Tokens, cost and latency over records in first-seen order, and their merged spans.
fn cost_summary(vs: &VariantSlots) -> (CostSummary, Vec<(u64, u64)>) {
    let slots = &vs.slots;
    let mut s = CostSummary::default();
    let mut lat: Vec<f64> = Vec::with_capacity(slots.len());
    let mut e2e: Vec<f64> = Vec::new();
    let mut spans: Vec<(u64, u64)> = slots.iter().filter_map(Slot::span).collect();
    crate::score::merge_spans(&mut spans);
    for (si, r) in slots.iter().enumerate() {
        if r.unpriced() {
            s.unpriced += 1;
        }
        if !r.cached() && !r.latency_e2e_ms.is_nan() {
            e2e.push(r.latency_e2e_ms);
        }
        if r.cached() {
            s.cached += 1;
        } else if r.has_usage() {
            s.requests += 1;
        }
        if r.has_usage() {
            let u = vs.usage(si);
            // Saturating: a record may hold any u64 (a hand-made file), never an overflow.
            s.input_tokens = s.input_tokens.saturating_add(u.input_tokens);
            s.output_tokens = s.output_tokens.saturating_add(u.output_tokens);
            s.cache_read_input_tokens = s
                .cache_read_input_tokens
                .saturating_add(u.cache_read_input_tokens);
            s.cache_creation_input_tokens = s
                .cache_creation_input_tokens
                .saturating_add(u.cache_creation_input_tokens);
        }
        s.total_usd += r.cost_usd;
        if !r.latency_ms.is_nan() {
            if !r.cached() {
                lat.push(r.latency_ms);
            }
            s.time_s += r.latency_ms / 1000.0;
        }
    }
    [s.latency_p50_ms, s.latency_p95_ms] = crate::score::percentiles_50_95(&mut lat);
    [s.latency_e2e_p50_ms, s.latency_e2e_p95_ms] = crate::score::percentiles_50_95(&mut e2e);
    s.wall_s = crate::score::wall_time_s(&spans);
    s.usd_per_1000 = if slots.is_empty() {
        0.0
    } else {
        s.total_usd / slots.len() as f64 * 1000.0
    };
    (s, spans)
}

/// The distinct (outcome, message) pairs of the records that are not `ok`, most frequent
/// first (ties in order of first appearance), the first [`ERROR_MESSAGES`] of them, and how
/// many records the rest hold.
fn error_counts(slots: &[Slot], messages: &[(Outcome, String)]) -> (Vec<ErrorCount>, usize) {
    let mut counts: Vec<ErrorCount> = Vec::new();
    let mut index: HashMap<u32, usize> = HashMap::new();
    for s in slots.iter().filter(|s| s.outcome != Outcome::Ok) {
        match index.get(&s.error) {
            Some(&i) => counts[i].count += 1,
            None => {
                index.insert(s.error, counts.len());
                let (outcome, message) = &messages[s.error as usize];
                counts.push(ErrorCount {
                    outcome: outcome.name().to_string(),
                    message: message.clone(),
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

//! One rule on one variant: the observed value, the bound or the baseline's value, the
//! interval or p-value, power and INCONCLUSIVE, and the check's status and message.

use super::metric::Metric;
use super::rules::{Rule, RuleKind, RuleSet};
use super::*;

#[allow(clippy::too_many_arguments)]
pub(super) fn evaluate(
    rule: &Rule,
    v: &CandidateVariant,
    field: Option<&Field>,
    set: &RuleSet,
    m_family: usize,
    sig_stream: &mut u64,
    check: &mut Check,
    input: &GateInput,
) {
    let pass_or_fail = |ok: bool| if ok { Status::Pass } else { Status::Fail };
    match &rule.kind {
        RuleKind::Health {
            max_failed,
            max_missing,
        } => {
            let failed = *v.report.outcomes.get("provider_error").unwrap_or(&0) as u64;
            let missing = *v.report.outcomes.get("missing").unwrap_or(&0) as u64;
            check.observed = Some((failed + missing) as f64);
            check.n = Some(v.report.n_records);
            check.bound = format!("failed <= {max_failed}, missing <= {max_missing}");
            check.status = pass_or_fail(failed <= *max_failed && missing <= *max_missing);
            check.message = format!(
                "{failed} failed (provider_error) and {missing} missing of {} records",
                v.report.n_records
            );
        }
        RuleKind::Bound {
            min,
            max,
            min_tickets,
        } => {
            let m = rule.metric.as_ref().expect("metric");
            check.bound = match (min, max) {
                (Some(a), Some(b)) => format!("{} to {}", fmt(*a), fmt(*b)),
                (Some(a), None) => format!(">= {}", fmt(*a)),
                (None, Some(b)) => format!("<= {}", fmt(*b)),
                (None, None) => String::new(),
            };
            let Some((value, n)) = m.value(v.report, field) else {
                check.message = format!("variant {:?} has no {}", v.name, check.metric);
                return;
            };
            check.observed = Some(value);
            check.n = Some(n);
            if m.tag().is_some() && n < *min_tickets {
                check.message =
                    format!("only {n} tickets in the slice (a slice rule needs {min_tickets})");
                return;
            }
            let ok = min.is_none_or(|a| value >= a) && max.is_none_or(|b| value <= b);
            check.status = pass_or_fail(ok);
            check.message = format!(
                "{} = {} {}",
                check.metric,
                fmt(value),
                if ok { "is within" } else { "breaks" }.to_owned() + " " + &check.bound
            );
        }
        RuleKind::Tolerance { max_drop } => {
            let m = rule.metric.as_ref().expect("metric");
            let higher = m.higher_is_better().unwrap_or(true);
            check.bound = format!(
                "{} by at most {}",
                if higher { "drops" } else { "rises" },
                fmt(*max_drop)
            );
            let Some((bname, _, paired)) = &v.pair else {
                check.message = no_baseline(input, &v.name);
                return;
            };
            check.baseline_variant = Some(bname.clone());
            let (Some((c, n)), Some((b, _))) = (
                m.value(&paired.cand_report, field),
                m.value(&paired.base_report, field),
            ) else {
                check.message = format!("{} is not available on both sides", check.metric);
                return;
            };
            check.observed = Some(c);
            check.baseline = Some(b);
            check.n = Some(n);
            let worse = if higher { b - c } else { c - b };
            let ok = worse <= max_drop + 1e-12;
            check.status = pass_or_fail(ok);
            check.message = format!(
                "{} {} by {} against the baseline (allowed {})",
                check.metric,
                if worse > 0.0 {
                    "worsened"
                } else {
                    "did not worsen"
                },
                fmt(worse.max(0.0)),
                fmt(*max_drop)
            );
        }
        RuleKind::Significance {
            margin,
            alpha: _,
            power,
            min_tickets,
        } => {
            let m = rule.metric.as_ref().expect("metric");
            let higher = m.higher_is_better().unwrap_or(true);
            check.bound = format!("margin {}", fmt(*margin));
            let Some((bname, _, paired)) = &v.pair else {
                check.message = no_baseline(input, &v.name);
                return;
            };
            check.baseline_variant = Some(bname.clone());
            let stream = *sig_stream;
            *sig_stream += 1;
            let rows = slice_rows(paired, m);
            let n = rows.as_ref().map_or(paired.gold.tickets.len(), Vec::len);
            check.n = Some(n);
            if let (Some((c, _)), Some((b, _))) = (
                m.value(&paired.cand_report, field),
                m.value(&paired.base_report, field),
            ) {
                check.observed = Some(c);
                check.baseline = Some(b);
            }
            if n == 0 || (m.tag().is_some() && n < *min_tickets) {
                check.message =
                    format!("only {n} tickets in the slice (a slice rule needs {min_tickets})");
                return;
            }
            let level_for_power = set.alpha / m_family as f64;
            let inner = match m {
                Metric::Tag { inner, .. } => &**inner,
                m => m,
            };
            if matches!(inner, Metric::Accuracy) {
                let Some(pf) =
                    field.and_then(|f| paired.fields.iter().find(|p| p.field.name == f.name))
                else {
                    check.message = format!("{} is not available on both sides", check.metric);
                    return;
                };
                let (mut b, mut c) = (0u64, 0u64);
                let mut count = |i: usize| {
                    let g = pf.gold[i];
                    match (pf.base[i] == Some(g), pf.cand[i] == Some(g)) {
                        (true, false) => b += 1,
                        (false, true) => c += 1,
                        _ => {}
                    }
                };
                match &rows {
                    Some(r) => r.iter().for_each(|&i| count(i)),
                    None => (0..n).for_each(&mut count),
                }
                check.p = Some(crate::onesided::mcnemar_one_sided(b, c));
                let psi = (b + c) as f64 / n as f64;
                check.required_n = Some(
                    crate::onesided::mcnemar_required_n(psi, *margin, level_for_power, *power)
                        .ceil() as u64,
                );
                let table = crate::stats::PairedTable {
                    both_correct: 0,
                    a_only: b,
                    b_only: c,
                    both_wrong: n as u64 - b - c,
                };
                check.interval = crate::stats::bootstrap_paired_diff(
                    &table,
                    &crate::stats::BootstrapConfig {
                        resamples: set.resamples,
                        level: 0.95,
                        seed: set.seed,
                    },
                    (1u64 << 44) + stream,
                )
                .map(|iv| (iv.lo, iv.hi));
                check.message = if b > c { "worse" } else { "not worse" }.into();
                return;
            }
            let boot = if matches!(inner, Metric::InvalidRate) {
                let cells =
                    crate::compare::ok_cells(&paired.base_ok, &paired.cand_ok, rows.as_deref());
                crate::compare::invalid_bootstrap(
                    &cells,
                    set.resamples,
                    0.95,
                    set.seed,
                    (1u64 << 45) + stream,
                )
            } else {
                let Some(pf) =
                    field.and_then(|f| paired.fields.iter().find(|p| p.field.name == f.name))
                else {
                    check.message = format!("{} is not available on both sides", check.metric);
                    return;
                };
                crate::compare::metric_bootstrap(
                    pf,
                    rows.as_deref(),
                    inner,
                    higher,
                    set.resamples,
                    0.95,
                    set.seed,
                    (1u64 << 45) + stream,
                )
            };
            let Some(boot) = boot else {
                check.message = format!("{} is undefined on these tickets", check.metric);
                return;
            };
            check.p = Some(boot.p_worse);
            check.interval = Some((boot.lo, boot.hi));
            // A change with no spread at all (identical predictions) is sized as a rate with
            // the margin's own discordance, as McNemar's psi is floored at the margin.
            let sd = boot.sd.max((margin / n as f64).sqrt());
            check.required_n = Some(
                crate::onesided::normal_required_n(n as u64, sd, *margin, level_for_power, *power)
                    .ceil() as u64,
            );
            let worse = if higher {
                boot.estimate < 0.0
            } else {
                boot.estimate > 0.0
            };
            check.message = if worse { "worse" } else { "not worse" }.into();
        }
    }
}

pub(super) fn no_baseline(input: &GateInput, variant: &str) -> String {
    match (&input.baseline_skipped, &input.baseline) {
        (Some(why), _) => format!("no baseline ({why}): regression rule skipped"),
        (None, Some(_)) => format!(
            "the baseline has no variant to pair with {variant:?} (pair them with --pair BASE={variant})"
        ),
        (None, None) => "no --baseline given: regression rule skipped".into(),
    }
}

//! `verdict gate`: rules over a run, optionally against a baseline run, evaluated to PASS /
//! FAIL / WARN / INCONCLUSIVE. [`gate`] is pure: graded data in, a [`GateReport`] out; the
//! command ([`command`]) reads the folders and writes the outputs ([`output`]).
//!
//! Significance rules: accuracy uses the one-sided exact McNemar test; every other count
//! metric a seeded one-sided paired bootstrap; the p-values of all significance checks of one
//! gate are adjusted together with Holm at the gate's `alpha`. A check that is not
//! significant is PASS only when the compared tickets are enough to detect the rule's margin
//! with the rule's power at level alpha / m (m = significance checks in the gate: the
//! strictest level Holm may apply); otherwise it is INCONCLUSIVE with the tickets needed.

pub mod command;
pub mod metric;
pub mod output;
pub mod rules;

use serde::{Deserialize, Serialize};

use crate::compare::{Comparison, Flip, Paired};
use crate::gold::{Field, FieldKind};
use crate::score::VariantReport;
use metric::Metric;
use rules::{Rule, RuleKind, RuleSet, Severity};

/// The outcome of one rule on one variant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Status {
    Pass,
    Fail,
    Warn,
    Inconclusive,
    /// Not enough data to evaluate (a slice under its minimum, a metric the variant lacks,
    /// no baseline): reported, does not fail the gate.
    NotEvaluable,
}

impl Status {
    pub fn label(self) -> &'static str {
        match self {
            Status::Pass => "PASS",
            Status::Fail => "FAIL",
            Status::Warn => "WARN",
            Status::Inconclusive => "INCONCLUSIVE",
            Status::NotEvaluable => "NOT EVALUABLE",
        }
    }
}

/// One rule evaluated on one variant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Check {
    pub rule: String,
    /// Where the rule is written (file:line:column).
    pub at: String,
    pub variant: String,
    /// The baseline variant it was compared with.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub baseline_variant: Option<String>,
    /// `bound`, `tolerance`, `significance` or `health`.
    pub kind: String,
    pub severity: Severity,
    pub metric: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// The candidate's value.
    pub observed: Option<f64>,
    /// What it is held to, in words (`>= 0.9`, `drop <= 0.015`, ...).
    pub bound: String,
    pub baseline: Option<f64>,
    /// Tickets the value is measured on.
    pub n: Option<usize>,
    /// Interval of the change (significance rules).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interval: Option<(f64, f64)>,
    /// One-sided p-value for "worse", and Holm-adjusted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub p: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub p_holm: Option<f64>,
    /// Tickets needed to detect the margin (significance rules).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub required_n: Option<u64>,
    pub status: Status,
    /// Whether this check makes the gate fail.
    pub fails_gate: bool,
    /// Why, in one sentence.
    pub message: String,
    /// The tickets that drive a failing check (right -> wrong flips, or the candidate's
    /// mistakes most confident first), at most 20.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tickets: Vec<Flip>,
    /// How many such tickets there are in all.
    #[serde(skip_serializing_if = "is_zero")]
    pub tickets_total: usize,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// The result of a gate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GateReport {
    pub passed: bool,
    /// "gate failed: 2 of 9 rules; 1 inconclusive".
    pub summary: String,
    pub candidate: String,
    pub baseline: Option<String>,
    /// Why regression rules were skipped (`--baseline-optional` without a baseline).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub baseline_skipped: Option<String>,
    /// `fail` or `pass`: what an INCONCLUSIVE check does.
    pub inconclusive: String,
    pub alpha: f64,
    pub checks: Vec<Check>,
    /// The comparisons behind the regression rules, per candidate variant.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub comparisons: Vec<Comparison>,
}

/// A candidate variant and what it is gated with.
pub struct CandidateVariant<'a> {
    pub name: String,
    /// Its report over the whole candidate run.
    pub report: &'a VariantReport,
    /// The candidate run's per-ticket data (compared with itself), for its mistakes.
    pub own: &'a Paired,
    /// A cost rule on it cannot be evaluated.
    pub unpriced: bool,
    /// The baseline pairing, when there is a baseline.
    pub pair: Option<(String, &'a Comparison, &'a Paired)>,
}

/// What the gate runs on.
pub struct GateInput<'a> {
    pub candidate: String,
    pub baseline: Option<String>,
    pub baseline_skipped: Option<String>,
    pub fields: &'a [Field],
    pub variants: Vec<CandidateVariant<'a>>,
}

/// How to gate.
#[derive(Debug, Clone, Default)]
pub struct GateOptions {
    /// `--inconclusive pass`.
    pub inconclusive_passes: bool,
}

fn metric_text(rule: &Rule) -> String {
    rule.metric
        .as_ref()
        .map(metric_name)
        .unwrap_or_else(|| "health".into())
}

/// The metric as the user writes it.
pub fn metric_name(m: &Metric) -> String {
    match m {
        Metric::Accuracy => "accuracy".into(),
        Metric::MacroF1 => "macro_f1".into(),
        Metric::Recall { class } => format!("recall[{class}]"),
        Metric::Precision { class } => format!("precision[{class}]"),
        Metric::F1 { class } => format!("f1[{class}]"),
        Metric::InvalidRate => "invalid_rate".into(),
        Metric::Ece => "ece".into(),
        Metric::MisrouteRate => "misroute_rate".into(),
        Metric::Coverage => "coverage".into(),
        Metric::CostPer1k => "cost_per_1k".into(),
        Metric::P95LatencyMs => "p95_latency_ms".into(),
        Metric::Tag { tag, inner } => format!("tag[{tag}].{}", metric_name(inner)),
        Metric::Path { path, .. } => path.clone(),
    }
}

fn fmt(v: f64) -> String {
    if v != 0.0 && v.abs() < 0.001 {
        format!("{v:.2e}")
    } else {
        let s = format!("{v:.4}");
        let s = s.trim_end_matches('0').trim_end_matches('.');
        if s.is_empty() || s == "-" {
            "0".into()
        } else {
            s.to_string()
        }
    }
}

/// Rows of `paired` the metric is measured on (a tag's tickets), `None` = all.
fn slice_rows(paired: &Paired, m: &Metric) -> Option<Vec<usize>> {
    let tag = m.tag()?;
    Some(
        paired
            .gold
            .tickets
            .iter()
            .enumerate()
            .filter(|(_, t)| t.tags.iter().any(|x| x == tag))
            .map(|(i, _)| i)
            .collect(),
    )
}

/// The field a rule's metric is about (the first label field by default).
fn rule_field<'f>(rule: &Rule, fields: &'f [Field]) -> Option<&'f Field> {
    let m = rule.metric.as_ref()?;
    if !m.uses_field() {
        return None;
    }
    match &rule.field {
        Some(name) => fields.iter().find(|f| &f.name == name),
        None => fields.iter().find(|f| f.kind == FieldKind::Label),
    }
}

/// The tickets behind a failing check: with a pair, the right -> wrong flips of the field
/// that the metric concerns; without, the candidate's mistakes, most confident first.
fn driving_tickets(rule: &Rule, field: Option<&Field>, v: &CandidateVariant) -> (Vec<Flip>, usize) {
    let Some(m) = rule.metric.as_ref() else {
        return (Vec::new(), 0);
    };
    let field = field.or_else(|| {
        // Variant-level metrics: the first label field's tickets.
        v.own.fields.first().map(|pf| &pf.field)
    });
    let Some(field) = field else {
        return (Vec::new(), 0);
    };
    let class = m.class().and_then(|c| field.index_of(c));
    let regression = rule.kind.is_regression() && v.pair.is_some();
    let paired = match (&v.pair, regression) {
        (Some((_, _, p)), true) => *p,
        _ => v.own,
    };
    let Some(pf) = paired.fields.iter().find(|pf| pf.field.name == field.name) else {
        return (Vec::new(), 0);
    };
    let rows = slice_rows(paired, m);
    let in_rows = |i: usize| rows.as_ref().is_none_or(|r| r.binary_search(&i).is_ok());
    let mut picked: Vec<(Option<f64>, usize)> = (0..pf.gold.len())
        .filter(|&i| in_rows(i))
        .filter(|&i| {
            let g = pf.gold[i];
            let right_c = pf.cand[i] == Some(g);
            let right_b = pf.base[i] == Some(g);
            let concerned = match (m, class) {
                (Metric::Precision { .. }, Some(c)) | (Metric::Tag { .. }, Some(c))
                    if matches!(m, Metric::Precision { .. })
                        || matches!(m, Metric::Tag { inner, .. } if matches!(**inner, Metric::Precision { .. })) =>
                {
                    pf.cand[i] == Some(c)
                }
                (_, Some(c)) => g == c,
                _ => true,
            };
            let interesting = if regression {
                right_b && !right_c
            } else {
                !right_c
            };
            concerned && interesting
        })
        .map(|i| (paired.cand_conf[i], i))
        .collect();
    let total = picked.len();
    picked.sort_by(|a, b| {
        b.0.unwrap_or(-1.0).total_cmp(&a.0.unwrap_or(-1.0)).then(
            paired.gold.tickets[a.1]
                .id
                .cmp(&paired.gold.tickets[b.1].id),
        )
    });
    let name = |l: Option<u32>| l.map(|l| field.values[l as usize].clone());
    let flips = picked
        .into_iter()
        .take(20)
        .map(|(conf, i)| {
            let t = &paired.gold.tickets[i];
            Flip {
                id: t.id.clone(),
                direction: if regression {
                    "right_to_wrong"
                } else {
                    "wrong"
                }
                .into(),
                text: t.text.clone(),
                gold: field.values[pf.gold[i] as usize].clone(),
                before: if regression { name(pf.base[i]) } else { None },
                after: name(pf.cand[i]),
                confidence: conf,
            }
        })
        .collect();
    (flips, total)
}

/// Evaluates every rule on every variant it applies to. `Err` (exit 2) for rules that cannot
/// be gated: a variant a rule names is not in the run, a cost rule on an unpriced variant.
pub fn gate(input: &GateInput, set: &RuleSet, opts: &GateOptions) -> Result<GateReport, String> {
    let mut checks: Vec<Check> = Vec::new();
    let names: Vec<&str> = input.variants.iter().map(|v| v.name.as_str()).collect();
    let mut problems = Vec::new();
    for rule in &set.rules {
        for v in &rule.variants {
            if !names.contains(&v.as_str()) {
                problems.push(format!(
                    "{}: rule {:?} names variant {v:?}, which is not gated in this run (variants: {})",
                    rule.at,
                    rule.name,
                    names.join(", ")
                ));
            }
        }
        if matches!(rule.metric, Some(Metric::CostPer1k)) {
            for v in input.variants.iter().filter(|v| applies(rule, &v.name)) {
                if v.unpriced {
                    problems.push(format!(
                        "{}: rule {:?} is about cost, but variant {:?} has responses without a price (add its model under `prices:` in the eval and re-run)",
                        rule.at, rule.name, v.name
                    ));
                }
            }
        }
    }
    if !problems.is_empty() {
        return Err(problems.join("\n"));
    }
    // Significance checks: the family for Holm.
    let m_family = set
        .rules
        .iter()
        .filter(|r| matches!(r.kind, RuleKind::Significance { .. }))
        .map(|r| {
            input
                .variants
                .iter()
                .filter(|v| applies(r, &v.name) && v.pair.is_some())
                .count()
        })
        .sum::<usize>()
        .max(1);
    let mut sig_stream = 0u64;
    for rule in &set.rules {
        for v in input.variants.iter().filter(|v| applies(rule, &v.name)) {
            let field = rule_field(rule, input.fields);
            let mut check = Check {
                rule: rule.name.clone(),
                at: rule.at.clone(),
                variant: v.name.clone(),
                baseline_variant: None,
                kind: match rule.kind {
                    RuleKind::Bound { .. } => "bound",
                    RuleKind::Tolerance { .. } => "tolerance",
                    RuleKind::Significance { .. } => "significance",
                    RuleKind::Health { .. } => "health",
                }
                .into(),
                severity: rule.severity,
                metric: metric_text(rule),
                field: field.map(|f| f.name.clone()),
                observed: None,
                bound: String::new(),
                baseline: None,
                n: None,
                interval: None,
                p: None,
                p_holm: None,
                required_n: None,
                status: Status::NotEvaluable,
                fails_gate: false,
                message: String::new(),
                tickets: Vec::new(),
                tickets_total: 0,
            };
            evaluate(
                rule,
                v,
                field,
                set,
                m_family,
                &mut sig_stream,
                &mut check,
                input,
            );
            checks.push(check);
        }
    }
    // Holm across the significance checks.
    let idx: Vec<usize> = (0..checks.len())
        .filter(|&i| checks[i].kind == "significance" && checks[i].p.is_some())
        .collect();
    let p: Vec<f64> = idx.iter().map(|&i| checks[i].p.expect("p")).collect();
    let (adjusted, reject) = crate::stats::holm(&p, set.alpha);
    for (k, &i) in idx.iter().enumerate() {
        let c = &mut checks[i];
        c.p_holm = Some(adjusted[k]);
        let worse = c.message == "worse";
        if reject[k] && worse {
            c.status = Status::Fail;
            c.message = format!(
                "significant drop: p = {} (Holm-adjusted across {} significance check{}) <= alpha {}",
                fmt_p(adjusted[k]),
                p.len(),
                if p.len() == 1 { "" } else { "s" },
                fmt(set.alpha)
            );
        } else if c.required_n.is_some_and(|r| r > c.n.unwrap_or(0) as u64) {
            c.status = Status::Inconclusive;
            c.message = format!(
                "no significant drop (p = {}), but {} tickets cannot detect a drop of {}: about {} would be needed",
                fmt_p(adjusted[k]),
                c.n.unwrap_or(0),
                c.bound.trim_start_matches("margin "),
                c.required_n.unwrap_or(0)
            );
        } else {
            c.status = Status::Pass;
            c.message = format!(
                "no significant drop (p = {}); {} tickets are enough to detect it (about {} needed)",
                fmt_p(adjusted[k]),
                c.n.unwrap_or(0),
                c.required_n.unwrap_or(0)
            );
        }
    }
    // Severity, the inconclusive policy, and the tickets behind failures.
    for (check, (rule, v)) in checks.iter_mut().zip(set.rules.iter().flat_map(|r| {
        input
            .variants
            .iter()
            .filter(|v| applies(r, &v.name))
            .map(move |v| (r, v))
    })) {
        if check.status == Status::Fail && rule.severity == Severity::Warn {
            check.status = Status::Warn;
        }
        check.fails_gate = match check.status {
            Status::Fail => true,
            Status::Inconclusive => !opts.inconclusive_passes && rule.severity == Severity::Fail,
            _ => false,
        };
        if matches!(
            check.status,
            Status::Fail | Status::Warn | Status::Inconclusive
        ) {
            let (t, total) = driving_tickets(rule, rule_field(rule, input.fields), v);
            check.tickets = t;
            check.tickets_total = total;
        }
    }
    let failed = checks.iter().filter(|c| c.fails_gate).count();
    let inconclusive = checks
        .iter()
        .filter(|c| c.status == Status::Inconclusive)
        .count();
    let warned = checks.iter().filter(|c| c.status == Status::Warn).count();
    let not_eval = checks
        .iter()
        .filter(|c| c.status == Status::NotEvaluable)
        .count();
    let n = checks.len();
    let plural = |k: usize, w: &str| format!("{k} {w}{}", if k == 1 { "" } else { "s" });
    let mut summary = if failed > 0 {
        format!("gate failed: {failed} of {}", plural(n, "rule"))
    } else {
        format!("gate passed: {}", plural(n, "rule"))
    };
    if inconclusive > 0 {
        summary.push_str(&format!("; {inconclusive} inconclusive"));
    }
    if warned > 0 {
        summary.push_str(&format!("; {}", plural(warned, "warning")));
    }
    if not_eval > 0 {
        summary.push_str(&format!("; {not_eval} not evaluable"));
    }
    if input.baseline_skipped.is_some() {
        summary.push_str("; no baseline: regression rules skipped");
    }
    Ok(GateReport {
        passed: failed == 0,
        summary,
        candidate: input.candidate.clone(),
        baseline: input.baseline.clone(),
        baseline_skipped: input.baseline_skipped.clone(),
        inconclusive: if opts.inconclusive_passes {
            "pass"
        } else {
            "fail"
        }
        .into(),
        alpha: set.alpha,
        checks,
        comparisons: input
            .variants
            .iter()
            .filter_map(|v| v.pair.as_ref().map(|(_, c, _)| (*c).clone()))
            .collect(),
    })
}

fn applies(rule: &Rule, variant: &str) -> bool {
    rule.variants.is_empty() || rule.variants.iter().any(|v| v == variant)
}

fn fmt_p(p: f64) -> String {
    if p < 0.0001 {
        format!("{p:.1e}")
    } else {
        format!("{p:.4}")
    }
}

#[allow(clippy::too_many_arguments)]
fn evaluate(
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

fn no_baseline(input: &GateInput, variant: &str) -> String {
    match (&input.baseline_skipped, &input.baseline) {
        (Some(why), _) => format!("no baseline ({why}): regression rule skipped"),
        (None, Some(_)) => format!(
            "the baseline has no variant to pair with {variant:?} (pair them with --pair BASE={variant})"
        ),
        (None, None) => "no --baseline given: regression rule skipped".into(),
    }
}

#[cfg(test)]
mod tests;

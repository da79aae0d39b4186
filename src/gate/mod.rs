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
mod evaluate;
pub mod folder;
mod grading;
pub mod metric;
pub mod output;
pub mod rules;
pub mod summary_line;

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
    /// The comparison is there when the report is to hold it (`GateReport::comparisons`).
    pub pair: Option<(String, Option<&'a Comparison>, &'a Paired)>,
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
    /// The report holds each baseline pair's comparison, with its bootstraps (only the JSON
    /// report shows them); otherwise `gate::command::gate_run` computes only the paired data
    /// the rules read.
    pub comparisons: bool,
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
    crate::compare::first_sorted(&mut picked, 20, |a, b| {
        b.0.unwrap_or(-1.0)
            .total_cmp(&a.0.unwrap_or(-1.0))
            .then(
                paired.gold.tickets[a.1]
                    .id
                    .cmp(&paired.gold.tickets[b.1].id),
            )
            .then(a.1.cmp(&b.1))
    });
    let name = |l: Option<u32>| l.map(|l| field.values[l as usize].clone());
    let flips = picked
        .into_iter()
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
            evaluate::evaluate(
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
            .filter_map(|v| v.pair.as_ref().and_then(|(_, c, _)| c.cloned()))
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

#[cfg(test)]
mod tests;

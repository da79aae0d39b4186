//! Gate rules: what they say and how they are read from YAML (an eval's `gate:` section or a
//! `--rules FILE`), with every problem reported at its file:line:column.
//!
//! The format (docs/gate.md has the full reference):
//!
//! ```yaml
//! gate:
//!   alpha: 0.05          # family-wise level of the significance rules (Holm)
//!   power: 0.8           # power the gold set must give a significance rule's margin
//!   min_tickets: 30      # fewest tickets in a slice for a slice rule to be evaluable
//!   rules:
//!     - {metric: accuracy, min: 0.85}
//!     - {metric: "recall[billing]", min: 0.9, severity: warn}
//!     - {metric: accuracy, max_drop: 0.015}              # tolerance against the baseline
//!     - {metric: accuracy, significant_drop: {margin: 0.03}}
//!     - {health: {max_failed: 0, max_missing: 0}}
//! ```
//!
//! `gate:` may also be the list of rules alone.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::metric::Metric;
use crate::config::check::{index, Checker, Fields};
use crate::gold::{Field, FieldKind};
use crate::yaml::{Node, Value};

/// What a failing rule does to the gate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The gate fails (exit 1).
    Fail,
    /// Reported, the gate still passes.
    Warn,
}

/// The test a rule applies.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RuleKind {
    /// The candidate's value within `[min, max]`.
    Bound {
        min: Option<f64>,
        max: Option<f64>,
        /// Fewest tickets in the slice (slice metrics only).
        min_tickets: usize,
    },
    /// Against the baseline: may not get worse by more than `max_drop` (in the metric's unit,
    /// e.g. 0.015 = 1.5 accuracy points; "worse" follows the metric's direction).
    Tolerance { max_drop: f64 },
    /// Against the baseline: fails only on a statistically significant drop (Holm across the
    /// gate's significance checks at the gate's `alpha`); INCONCLUSIVE when the gold set is
    /// too small to detect a drop of `margin` with `power`.
    Significance {
        margin: f64,
        alpha: f64,
        power: f64,
        min_tickets: usize,
    },
    /// Failed (`provider_error`) and missing records of the candidate at most these counts.
    Health { max_failed: u64, max_missing: u64 },
}

impl RuleKind {
    /// Whether the rule needs a baseline.
    pub fn is_regression(&self) -> bool {
        matches!(
            self,
            RuleKind::Tolerance { .. } | RuleKind::Significance { .. }
        )
    }
}

/// One rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rule {
    /// What the output calls it: `name:` or one written from the rule.
    pub name: String,
    /// The metric (`None` for a health rule).
    pub metric: Option<Metric>,
    /// The label field the metric is about (label metrics; default the first label field).
    pub field: Option<String>,
    /// The candidate variants it applies to; empty = every variant.
    pub variants: Vec<String>,
    pub severity: Severity,
    pub kind: RuleKind,
    /// Where it is written: `file:line:column`.
    pub at: String,
}

/// A gate: settings and rules.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RuleSet {
    pub alpha: f64,
    pub power: f64,
    pub min_tickets: usize,
    /// Bootstrap resamples of the significance rules on metrics other than accuracy.
    pub resamples: usize,
    pub seed: u64,
    pub rules: Vec<Rule>,
}

impl Default for RuleSet {
    fn default() -> Self {
        RuleSet {
            alpha: 0.05,
            power: 0.8,
            min_tickets: 30,
            resamples: 2000,
            seed: 0,
            rules: Vec::new(),
        }
    }
}

const GATE_KEYS: &[&str] = &[
    "alpha",
    "power",
    "min_tickets",
    "resamples",
    "seed",
    "rules",
];
const RULE_KEYS: &[&str] = &[
    "name",
    "metric",
    "field",
    "variants",
    "severity",
    "min",
    "max",
    "min_tickets",
    "max_drop",
    "significant_drop",
    "better",
    "health",
];

/// Reads the gate (the value of `gate:`, or a whole rules file) at `path` into `c`'s file.
/// `fields` are the gold set's fields when known: field names and labels are then checked.
/// `None` when there was any problem (all of them are in `c.diags`).
pub fn read_gate(
    c: &mut Checker,
    node: &Node,
    path: &str,
    fields: Option<&[Field]>,
) -> Option<RuleSet> {
    let before = c.diags.len();
    let mut set = RuleSet::default();
    let rules_node = match &node.value {
        Value::Seq(_) => Some(node),
        _ => {
            let f = c.map(node, path, GATE_KEYS, &["rules"])?;
            if let Some(n) = f.get("alpha") {
                set.alpha = c.number(n, &f.sub("alpha"), 1e-9, 0.5).unwrap_or(0.05);
            }
            if let Some(n) = f.get("power") {
                set.power = c.number(n, &f.sub("power"), 0.5, 0.9999).unwrap_or(0.8);
            }
            if let Some(n) = f.get("min_tickets") {
                set.min_tickets = c
                    .integer(n, &f.sub("min_tickets"), 1, i64::MAX)
                    .unwrap_or(30) as usize;
            }
            if let Some(n) = f.get("resamples") {
                set.resamples = c
                    .integer(n, &f.sub("resamples"), 100, 1_000_000)
                    .unwrap_or(2000) as usize;
            }
            if let Some(n) = f.get("seed") {
                set.seed = c.integer(n, &f.sub("seed"), 0, i64::MAX).unwrap_or(0) as u64;
            }
            f.get("rules")
        }
    };
    let rules_path = if matches!(node.value, Value::Seq(_)) {
        path.to_string()
    } else {
        crate::config::check::join(path, "rules")
    };
    if let Some(rn) = rules_node {
        let items = c.seq(rn, &rules_path)?;
        if items.is_empty() {
            c.error(Some(rn.pos), &rules_path, "a gate needs at least one rule");
        }
        for (i, item) in items.iter().enumerate() {
            if let Some(rule) = read_rule(c, item, &index(&rules_path, i), &set, fields) {
                set.rules.push(rule);
            }
        }
    }
    (c.diags.len() == before).then_some(set)
}

fn read_rule(
    c: &mut Checker,
    node: &Node,
    path: &str,
    set: &RuleSet,
    fields: Option<&[Field]>,
) -> Option<Rule> {
    let f = c.map(node, path, RULE_KEYS, &[])?;
    let before = c.diags.len();
    let at = format!(
        "{}:{}:{}",
        crate::error::display_path(&c.file),
        node.pos.line,
        node.pos.col
    );
    let name = f.get("name").and_then(|n| c.string(n, &f.sub("name")));
    let severity = match f.get("severity") {
        Some(n) => match c
            .choice(n, &f.sub("severity"), &["fail", "warn"])
            .as_deref()
        {
            Some("warn") => Severity::Warn,
            _ => Severity::Fail,
        },
        None => Severity::Fail,
    };
    let variants = match f.get("variants") {
        Some(n) => c.strings(n, &f.sub("variants")).unwrap_or_default(),
        None => Vec::new(),
    };
    // A health rule stands alone.
    if let Some(h) = f.get("health") {
        for key in [
            "metric",
            "field",
            "min",
            "max",
            "max_drop",
            "significant_drop",
            "better",
            "min_tickets",
        ] {
            if let Some(n) = f.get(key) {
                c.error(
                    Some(n.pos),
                    &f.sub(key),
                    format!(
                        "a health rule takes no `{key}` (it checks failed and missing records)"
                    ),
                );
            }
        }
        let hp = f.sub("health");
        let (mut max_failed, mut max_missing) = (0u64, 0u64);
        match &h.value {
            Value::Bool(true) => {}
            _ => {
                let hf = c.map(h, &hp, &["max_failed", "max_missing"], &[])?;
                if let Some(n) = hf.get("max_failed") {
                    max_failed = c.integer(n, &hf.sub("max_failed"), 0, i64::MAX)? as u64;
                }
                if let Some(n) = hf.get("max_missing") {
                    max_missing = c.integer(n, &hf.sub("max_missing"), 0, i64::MAX)? as u64;
                }
            }
        }
        let kind = RuleKind::Health {
            max_failed,
            max_missing,
        };
        return (c.diags.len() == before).then(|| Rule {
            name: name.unwrap_or_else(|| {
                format!("health: failed <= {max_failed}, missing <= {max_missing}")
            }),
            metric: None,
            field: None,
            variants,
            severity,
            kind,
            at,
        });
    }
    let Some(mnode) = f.get("metric") else {
        c.error(
            Some(node.pos),
            &f.sub("metric"),
            "missing required key `metric` (or `health:` for a run-health rule)",
        );
        return None;
    };
    let mtext = c.string(mnode, &f.sub("metric"))?;
    let metric = match Metric::parse(&mtext) {
        Ok(m) => m,
        Err(e) => {
            c.error(Some(mnode.pos), &f.sub("metric"), e);
            return None;
        }
    };
    let better_higher = match f.get("better") {
        Some(n) => Some(c.choice(n, &f.sub("better"), &["higher", "lower"])? == "higher"),
        None => None,
    };
    let metric = match (metric, better_higher) {
        (Metric::Path { path, .. }, b) => Metric::Path {
            path,
            higher_is_better: b,
        },
        (m, Some(_)) => {
            c.error(
                Some(f.get("better").expect("given").pos),
                &f.sub("better"),
                format!("`better` is only for a run.json key path; `{mtext}` is known to be better when {}", if m.higher_is_better() == Some(true) { "higher" } else { "lower" }),
            );
            m
        }
        (m, None) => m,
    };
    let field = match f.get("field") {
        Some(n) => {
            let s = c.string(n, &f.sub("field"))?;
            if !metric.uses_field() {
                c.error(
                    Some(n.pos),
                    &f.sub("field"),
                    format!("`{mtext}` is not about one label field; remove `field`"),
                );
            }
            Some((s, n.pos))
        }
        None => None,
    };
    // Check the field and labels against the gold set when it is known.
    if let Some(fields) = fields {
        check_against_gold(c, &f, mnode, &metric, field.as_ref(), fields);
    }
    let kind = read_kind(c, &f, node, path, set, &metric, &mtext)?;
    let shown = match &field {
        Some((f, _)) => format!("{f}: {mtext}"),
        None => mtext.clone(),
    };
    let rule_name = name.unwrap_or_else(|| default_name(&shown, &kind));
    (c.diags.len() == before).then(|| Rule {
        name: rule_name,
        metric: Some(metric),
        field: field.map(|(s, _)| s),
        variants,
        severity,
        kind,
        at,
    })
}

fn read_kind(
    c: &mut Checker,
    f: &Fields,
    node: &Node,
    path: &str,
    set: &RuleSet,
    metric: &Metric,
    mtext: &str,
) -> Option<RuleKind> {
    let present: Vec<&str> = ["min", "max", "max_drop", "significant_drop"]
        .into_iter()
        .filter(|k| f.get(k).is_some())
        .collect();
    let bound = present.iter().any(|k| *k == "min" || *k == "max");
    let others: Vec<&str> = present
        .iter()
        .copied()
        .filter(|k| *k == "max_drop" || *k == "significant_drop")
        .collect();
    if present.is_empty() {
        c.error(
            Some(node.pos),
            path,
            "a rule needs one test: `min`/`max` (a bound), `max_drop` (a tolerance against the baseline) or `significant_drop` (a significance test against the baseline)",
        );
        return None;
    }
    if others.len() + usize::from(bound) > 1 {
        c.error(
            Some(node.pos),
            path,
            format!(
                "a rule has one test, this one has {}; write one rule per test",
                present
                    .iter()
                    .map(|k| format!("`{k}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        );
        return None;
    }
    let min_tickets = match f.get("min_tickets") {
        Some(n) => c.integer(n, &f.sub("min_tickets"), 1, i64::MAX)? as usize,
        None => set.min_tickets,
    };
    let num = |c: &mut Checker, key: &str| -> Option<f64> {
        let n = f.get(key)?;
        c.number(n, &f.sub(key), -1e300, 1e300)
    };
    if bound {
        let min = num(c, "min");
        let max = num(c, "max");
        if let (Some(lo), Some(hi)) = (min, max) {
            if lo > hi {
                c.error(
                    Some(node.pos),
                    path,
                    format!("min {lo} is above max {hi}: no value can pass"),
                );
                return None;
            }
        }
        if f.get("min").is_some() && min.is_none() || f.get("max").is_some() && max.is_none() {
            return None;
        }
        return Some(RuleKind::Bound {
            min,
            max,
            min_tickets,
        });
    }
    if metric.higher_is_better().is_none() {
        c.error(
            Some(node.pos),
            path,
            format!("a rule against the baseline on the key path `{mtext}` needs `better: higher` or `better: lower`"),
        );
        return None;
    }
    if let Some(n) = f.get("max_drop") {
        let v = c.number(n, &f.sub("max_drop"), 0.0, 1e300)?;
        return Some(RuleKind::Tolerance { max_drop: v });
    }
    let n = f.get("significant_drop").expect("present");
    let sp = f.sub("significant_drop");
    if !metric.supports_significance() {
        c.error(
            Some(n.pos),
            &sp,
            format!("`{mtext}` has no paired significance test (it is not a count over tickets); significance rules take accuracy, macro_f1, recall[..], precision[..], f1[..], invalid_rate or tag[..].<one of those>; use `max_drop` for `{mtext}`"),
        );
        return None;
    }
    let sf = c.map(n, &sp, &["margin", "power"], &["margin"])?;
    let margin = sf
        .get("margin")
        .and_then(|m| c.number(m, &sf.sub("margin"), 1e-6, 1.0));
    let alpha = Some(set.alpha);
    let power = match sf.get("power") {
        Some(a) => c.number(a, &sf.sub("power"), 0.5, 0.9999),
        None => Some(set.power),
    };
    Some(RuleKind::Significance {
        margin: margin?,
        alpha: alpha?,
        power: power?,
        min_tickets,
    })
}

fn check_against_gold(
    c: &mut Checker,
    f: &Fields,
    mnode: &Node,
    metric: &Metric,
    field: Option<&(String, crate::yaml::Pos)>,
    fields: &[Field],
) {
    let labels: Vec<&Field> = fields
        .iter()
        .filter(|f| f.kind == FieldKind::Label)
        .collect();
    if !metric.uses_field() {
        return;
    }
    let target = match field {
        Some((name, pos)) => match labels.iter().find(|l| &l.name == name) {
            Some(l) => *l,
            None => {
                let names: Vec<&str> = labels.iter().map(|l| l.name.as_str()).collect();
                c.error(
                    Some(*pos),
                    &f.sub("field"),
                    format!(
                        "{name:?} is not a label field of the gold set (label fields: {})",
                        crate::config::check::list(&names)
                    ),
                );
                return;
            }
        },
        None => match labels.first() {
            Some(l) => *l,
            None => {
                c.error(
                    Some(mnode.pos),
                    &f.sub("metric"),
                    "the gold set has no label field for this metric",
                );
                return;
            }
        },
    };
    if let Some(label) = metric.class() {
        if target.index_of(label).is_none() {
            let hint = crate::config::check::did_you_mean(
                label,
                &target.values.iter().map(String::as_str).collect::<Vec<_>>(),
            )
            .map(|s| format!("did you mean {s:?}? "))
            .unwrap_or_default();
            c.error(
                Some(mnode.pos),
                &f.sub("metric"),
                format!(
                    "{label:?} is not a value of field {:?} ({hint}valid: {})",
                    target.name,
                    crate::config::check::list(&target.values)
                ),
            );
        }
    }
}

fn fmt_num(v: f64) -> String {
    format!("{v}")
}

/// "accuracy >= 0.9", "accuracy drop <= 0.015", "accuracy: no significant drop (margin 0.02)".
fn default_name(metric: &str, kind: &RuleKind) -> String {
    match kind {
        RuleKind::Bound { min, max, .. } => match (min, max) {
            (Some(lo), Some(hi)) => format!("{} <= {metric} <= {}", fmt_num(*lo), fmt_num(*hi)),
            (Some(lo), None) => format!("{metric} >= {}", fmt_num(*lo)),
            (None, Some(hi)) => format!("{metric} <= {}", fmt_num(*hi)),
            (None, None) => metric.to_string(),
        },
        RuleKind::Tolerance { max_drop } => {
            format!("{metric} worsens by at most {}", fmt_num(*max_drop))
        }
        RuleKind::Significance { margin, .. } => {
            format!(
                "{metric}: no significant drop (margin {})",
                fmt_num(*margin)
            )
        }
        RuleKind::Health { .. } => "health".into(),
    }
}

/// Reads a `--rules FILE`: the same content as an eval's `gate:` section (a `gate:` key at
/// the top is accepted too).
pub fn load_rules_file(path: &Path, fields: Option<&[Field]>) -> crate::error::Result<RuleSet> {
    use crate::config::source::{parse_yaml, read_text, ReadError};
    use crate::error::Error;
    let mut c = Checker::new(path);
    let text = match read_text(path, &mut c) {
        Ok(t) => t,
        Err(ReadError::Missing(msg)) => return Err(Error::Usage(msg)),
        Err(ReadError::Reported) => return Err(Error::Invalid(c.diags)),
    };
    let Some(node) = parse_yaml(&text.text, &mut c) else {
        return Err(Error::Invalid(c.diags));
    };
    // `gate:` at the top, as in an eval, is the same thing.
    let (inner, p) = match &node.value {
        Value::Map(entries) if entries.len() == 1 && entries[0].0.as_str() == Some("gate") => {
            (&entries[0].1, "gate")
        }
        _ => (&node, ""),
    };
    match read_gate(&mut c, inner, p, fields) {
        Some(set) if c.diags.is_empty() => Ok(set),
        _ => Err(Error::Invalid(c.diags)),
    }
}

/// Parses gate YAML text (tests and the eval loader).
pub fn parse_gate_text(
    file: &Path,
    text: &str,
    fields: Option<&[Field]>,
) -> Result<RuleSet, Vec<crate::error::Diagnostic>> {
    let mut c = Checker::new(file);
    let Some(node) = crate::config::source::parse_yaml(text, &mut c) else {
        return Err(c.diags);
    };
    match read_gate(&mut c, &node, "", fields) {
        Some(set) if c.diags.is_empty() => Ok(set),
        _ => Err(c.diags),
    }
}

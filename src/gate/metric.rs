//! The metrics a gate rule can name: documented aliases (`accuracy`, `recall[billing]`,
//! `tag[fr].accuracy`, `cost_per_1k`, ...) or a run.json key path below a variant of
//! `metrics.variants[]` (`cost.total_usd`, `routing.auto.share`), and how each is read from a
//! variant's report or from a confusion matrix (for the paired bootstrap).

use serde::{Deserialize, Serialize};

use crate::gold::Field;
use crate::metrics::ConfusionMatrix;
use crate::score::VariantReport;

/// A metric named by a rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "metric", rename_all = "snake_case")]
pub enum Metric {
    /// Accuracy of a label field.
    Accuracy,
    /// Macro-averaged F1 of a label field.
    MacroF1,
    /// Recall of one class.
    Recall { class: String },
    /// Precision of one class.
    Precision { class: String },
    /// F1 of one class.
    F1 { class: String },
    /// Share of the variant's records that are not `ok` (missing included).
    InvalidRate,
    /// Expected calibration error of the calibration field.
    Ece,
    /// Wrong auto-routed tickets / auto-routed tickets.
    MisrouteRate,
    /// Auto-route coverage at the routing target accuracy (0 when no threshold reaches it).
    Coverage,
    /// Cost per 1,000 tickets, USD.
    CostPer1k,
    /// End-to-end p95 latency, ms.
    P95LatencyMs,
    /// A metric restricted to the tickets with one tag.
    Tag { tag: String, inner: Box<Metric> },
    /// A run.json key path below the variant (`routing.auto.share`).
    Path {
        path: String,
        higher_is_better: Option<bool>,
    },
}

/// The aliases, for messages and docs.
pub const ALIASES: &[&str] = &[
    "accuracy",
    "macro_f1",
    "recall[CLASS]",
    "precision[CLASS]",
    "f1[CLASS]",
    "invalid_rate",
    "ece",
    "misroute_rate",
    "coverage",
    "cost_per_1k",
    "p95_latency_ms",
    "tag[TAG].<metric>",
];

fn bracket<'a>(s: &'a str, head: &str) -> Option<Result<&'a str, String>> {
    let rest = s.strip_prefix(head)?.strip_prefix('[')?;
    Some(match rest.strip_suffix(']') {
        Some(inner) if !inner.is_empty() => Ok(inner),
        _ => Err(format!("`{s}` should be `{head}[NAME]`")),
    })
}

impl Metric {
    /// Parses an alias or a key path.
    pub fn parse(s: &str) -> Result<Metric, String> {
        let s = s.trim();
        if let Some(rest) = s.strip_prefix("tag[") {
            let Some(close) = rest.find("].") else {
                return Err(format!(
                    "`{s}` should be `tag[TAG].<metric>`, e.g. `tag[fr].accuracy`"
                ));
            };
            let tag = &rest[..close];
            let inner = Metric::parse(&rest[close + 2..])?;
            if tag.is_empty() {
                return Err(format!("`{s}` names no tag"));
            }
            if !inner.per_ticket() {
                return Err(format!(
                    "`{}` cannot be restricted to a tag (slices have accuracy, macro_f1, recall[..], precision[..], f1[..], ece, misroute_rate and coverage)",
                    &rest[close + 2..]
                ));
            }
            return Ok(Metric::Tag {
                tag: tag.to_string(),
                inner: Box::new(inner),
            });
        }
        for (head, make) in [
            (
                "recall",
                (|c: String| Metric::Recall { class: c }) as fn(String) -> Metric,
            ),
            ("precision", |c| Metric::Precision { class: c }),
            ("f1", |c| Metric::F1 { class: c }),
        ] {
            if let Some(r) = bracket(s, head) {
                return r.map(|c| make(c.to_string()));
            }
        }
        Ok(match s {
            "accuracy" => Metric::Accuracy,
            "macro_f1" => Metric::MacroF1,
            "invalid_rate" => Metric::InvalidRate,
            "ece" => Metric::Ece,
            "misroute_rate" => Metric::MisrouteRate,
            "coverage" => Metric::Coverage,
            "cost_per_1k" => Metric::CostPer1k,
            "p95_latency_ms" => Metric::P95LatencyMs,
            "" => return Err("the metric is empty".into()),
            _ if s.contains('.') || s.contains('[') => Metric::Path {
                path: s.to_string(),
                higher_is_better: None,
            },
            _ => {
                let hint = crate::diag::did_you_mean(s, ALIASES)
                    .map(|a| format!("did you mean `{a}`? "))
                    .unwrap_or_default();
                return Err(format!(
                    "unknown metric `{s}` ({hint}valid: {}, or a run.json key path below a variant such as `cost.total_usd`)",
                    ALIASES.join(", ")
                ));
            }
        })
    }

    /// Whether the metric is about one label field (`field:` applies).
    pub fn uses_field(&self) -> bool {
        match self {
            Metric::Accuracy
            | Metric::MacroF1
            | Metric::Recall { .. }
            | Metric::Precision { .. }
            | Metric::F1 { .. } => true,
            Metric::Tag { inner, .. } => inner.uses_field(),
            _ => false,
        }
    }

    /// Whether a slice has it.
    fn per_ticket(&self) -> bool {
        matches!(
            self,
            Metric::Accuracy
                | Metric::MacroF1
                | Metric::Recall { .. }
                | Metric::Precision { .. }
                | Metric::F1 { .. }
                | Metric::Ece
                | Metric::MisrouteRate
                | Metric::Coverage
        )
    }

    /// The class a per-class metric names.
    pub fn class(&self) -> Option<&str> {
        match self {
            Metric::Recall { class } | Metric::Precision { class } | Metric::F1 { class } => {
                Some(class)
            }
            Metric::Tag { inner, .. } => inner.class(),
            _ => None,
        }
    }

    /// The tag of a slice metric.
    pub fn tag(&self) -> Option<&str> {
        match self {
            Metric::Tag { tag, .. } => Some(tag),
            _ => None,
        }
    }

    /// `Some(true)` when higher is better; `None` for a key path without `better:`.
    pub fn higher_is_better(&self) -> Option<bool> {
        match self {
            Metric::Accuracy
            | Metric::MacroF1
            | Metric::Recall { .. }
            | Metric::Precision { .. }
            | Metric::F1 { .. }
            | Metric::Coverage => Some(true),
            Metric::InvalidRate
            | Metric::Ece
            | Metric::MisrouteRate
            | Metric::CostPer1k
            | Metric::P95LatencyMs => Some(false),
            Metric::Tag { inner, .. } => inner.higher_is_better(),
            Metric::Path {
                higher_is_better, ..
            } => *higher_is_better,
        }
    }

    /// Whether a paired significance test exists: counts over tickets.
    pub fn supports_significance(&self) -> bool {
        match self {
            Metric::Accuracy
            | Metric::MacroF1
            | Metric::Recall { .. }
            | Metric::Precision { .. }
            | Metric::F1 { .. }
            | Metric::InvalidRate => true,
            Metric::Tag { inner, .. } => {
                inner.supports_significance() && !matches!(**inner, Metric::InvalidRate)
            }
            _ => false,
        }
    }

    /// The metric on one field's confusion matrix (`class` resolved to its index).
    pub fn on_matrix(&self, cm: &ConfusionMatrix, class: Option<usize>) -> Option<f64> {
        let per_class = |c: usize| {
            let tp = cm.get(c, c);
            let support: u64 = (0..=cm.k).map(|p| cm.get(c, p)).sum();
            let predicted: u64 = (0..cm.k).map(|g| cm.get(g, c)).sum();
            (tp, support, predicted)
        };
        match self {
            Metric::Accuracy => cm.accuracy(),
            Metric::MacroF1 => cm.macro_f1(),
            Metric::Recall { .. } => {
                let (tp, s, _) = per_class(class?);
                Some(if s == 0 { 0.0 } else { tp as f64 / s as f64 })
            }
            Metric::Precision { .. } => {
                let (tp, _, p) = per_class(class?);
                Some(if p == 0 { 0.0 } else { tp as f64 / p as f64 })
            }
            Metric::F1 { .. } => {
                let (tp, s, p) = per_class(class?);
                Some(if s + p == 0 {
                    0.0
                } else {
                    2.0 * tp as f64 / (s + p) as f64
                })
            }
            Metric::InvalidRate => {
                let n = cm.n();
                (n > 0).then(|| cm.invalid() as f64 / n as f64)
            }
            Metric::Tag { inner, .. } => inner.on_matrix(cm, class),
            _ => None,
        }
    }

    /// The metric's value for a variant, and the number of tickets it is measured on.
    /// `field` is the label field (already defaulted). `None` when the report does not have
    /// it (a field the variant does not predict, no confidence, an absent tag, ...).
    pub fn value(&self, v: &VariantReport, field: Option<&Field>) -> Option<(f64, usize)> {
        let n = v.n_records;
        let label_of = |fields: &[crate::score::FieldReport]| {
            let field = field?;
            fields
                .iter()
                .find(|f| f.field == field.name)
                .and_then(|f| f.label.as_ref())
                .cloned()
        };
        match self {
            Metric::InvalidRate => Some((v.invalid_rate, n)),
            Metric::CostPer1k => Some((v.cost.usd_per_1000, n)),
            Metric::P95LatencyMs => v.cost.latency_p95_ms.map(|x| (x, n)),
            Metric::Ece => v.calibration.as_ref().map(|c| (c.ece, n)),
            Metric::MisrouteRate => v
                .routing
                .as_ref()
                .and_then(|r| r.misroute_rate.map(|m| (m, n))),
            Metric::Coverage => v
                .routing
                .as_ref()
                .map(|r| (r.target.as_ref().map_or(0.0, |t| t.coverage), n)),
            Metric::Tag { tag, inner } => {
                let s = v.slices.iter().find(|s| &s.tag == tag)?;
                let value = match &**inner {
                    Metric::Ece => s.calibration.as_ref().map(|c| c.ece),
                    Metric::MisrouteRate => s.routing.as_ref().and_then(|r| r.misroute_rate),
                    Metric::Coverage => s
                        .routing
                        .as_ref()
                        .map(|r| r.target.as_ref().map_or(0.0, |t| t.coverage)),
                    m => label_value(m, &label_of(&s.fields)?, field?),
                }?;
                Some((value, s.n))
            }
            Metric::Path { path, .. } => {
                let json = serde_json::to_value(v).ok()?;
                json_path(&json, path)
                    .and_then(|x| x.as_f64())
                    .map(|x| (x, n))
            }
            m => label_value(m, &label_of(&v.fields)?, field?).map(|x| (x, n)),
        }
    }
}

fn label_value(m: &Metric, r: &crate::metrics::SingleLabelReport, field: &Field) -> Option<f64> {
    let class = |name: &str| -> Option<&crate::metrics::ClassMetrics> {
        let i = field.index_of(name)?;
        r.per_class.iter().find(|c| c.class == i)
    };
    match m {
        Metric::Accuracy => Some(r.accuracy),
        Metric::MacroF1 => Some(r.macro_avg.f1),
        Metric::Recall { class: c } => class(c).map(|x| x.recall),
        Metric::Precision { class: c } => class(c).map(|x| x.precision),
        Metric::F1 { class: c } => class(c).map(|x| x.f1),
        _ => None,
    }
}

/// Walks `a.b[2].c` (or `a.b.2.c`) through a JSON value.
pub fn json_path<'a>(mut v: &'a serde_json::Value, path: &str) -> Option<&'a serde_json::Value> {
    let path = path.strip_prefix("metrics.").unwrap_or(path);
    for part in path.split('.') {
        let (key, idx) = match part.find('[') {
            Some(i) => (&part[..i], Some(&part[i..])),
            None => (part, None),
        };
        if !key.is_empty() {
            v = match v {
                serde_json::Value::Object(m) => m.get(key)?,
                serde_json::Value::Array(a) => a.get(key.parse::<usize>().ok()?)?,
                _ => return None,
            };
        }
        if let Some(mut rest) = idx {
            while let Some(r) = rest.strip_prefix('[') {
                let close = r.find(']')?;
                let inner = &r[..close];
                v = match v {
                    serde_json::Value::Array(a) => match inner.parse::<usize>() {
                        Ok(i) => a.get(i)?,
                        // `fields[department]`: the element whose name-like key matches.
                        Err(_) => a.iter().find(|e| {
                            ["field", "tag", "name"]
                                .iter()
                                .any(|k| e.get(k).and_then(|x| x.as_str()) == Some(inner))
                        })?,
                    },
                    serde_json::Value::Object(m) => m.get(inner)?,
                    _ => return None,
                };
                rest = &r[close + 1..];
            }
        }
    }
    Some(v)
}

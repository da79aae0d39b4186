//! The answer first: what a run says in a few lines, before any table. Which variant to
//! ship and why, at what cost and coverage, whether it passes the gate, and what to worry
//! about. A pure function of the [`RunReport`]; every exporter renders the same [`Summary`].

use serde::Serialize;

use crate::gold::FieldKind;
use crate::score::{RunReport, VariantReport};
use crate::stats::{verdict_of, IntervalSide};

/// The summary of a run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    /// The eval's name (filled by the caller from the run's meta; `None` for `verdict score`).
    /// Not in JSON, which carries it elsewhere, so `score RUN` and `report RUN` agree.
    #[serde(skip)]
    pub eval: Option<String>,
    pub tickets: usize,
    pub variants: Vec<String>,
    /// The label field the variants are ranked on (the routing field, else the first).
    pub field: Option<String>,
    pub recommended: Option<Recommendation>,
    /// Why, in one sentence.
    pub headline: String,
    /// Whether the recommended variant is good enough: the gate's verdict, filled by the
    /// caller when the eval has gate rules.
    pub gate: String,
    pub warnings: Vec<String>,
}

/// The variant a run recommends.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Recommendation {
    pub variant: String,
    pub accuracy: f64,
    pub runner_up: Option<String>,
    /// Whether the lead over the runner-up is significant (McNemar with Holm); `None` with
    /// no runner-up or no test of the pair.
    pub significant: Option<bool>,
    /// The cheaper of the two, as good, when the lead is not significant.
    pub equally_good: Option<String>,
    /// US dollars per 1,000 tickets; `None` when the model has no price.
    pub usd_per_1000: Option<f64>,
    /// Share of tickets routed automatically under the eval's routing policy.
    pub auto_share: Option<f64>,
    /// The built-in offline classifier: no API cost to state (JSON keeps `usd_per_1000`).
    #[serde(skip)]
    pub offline: bool,
}

/// The gate line when the eval sets no gate rules.
pub const NO_GATE: &str = "no gate rules set";

/// A share as a percentage with one decimal (`12.3%`), never `-0.0%`.
pub fn pct(v: f64) -> String {
    no_negative_zero(format!("{:.1}%", v * 100.0))
}

/// A number with `digits` decimals, never `-0.0`.
pub fn fixed(v: f64, digits: usize) -> String {
    no_negative_zero(format!("{v:.digits$}"))
}

fn no_negative_zero(s: String) -> String {
    if s.starts_with('-') && s[1..].chars().all(|c| c == '0' || c == '.' || c == '%') {
        s[1..].to_string()
    } else {
        s
    }
}

/// A p-value to 3 significant digits, or `< 0.001`.
pub fn p_value(p: f64) -> String {
    if p.is_nan() {
        return "-".into();
    }
    if p < 0.001 {
        return "< 0.001".into();
    }
    if p >= 1.0 {
        return "1".into();
    }
    // 3 significant digits: 0.0123, 0.123.
    let digits = (2 - p.log10().floor() as i32).max(0) as usize;
    format!("{p:.digits$}")
}

/// `1 ticket`, `2 tickets`.
pub fn plural(n: impl Into<u64>, one: &str, many: &str) -> String {
    let n = n.into();
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The label field a report leads with: the routing field, else the first label field.
pub fn primary_field(report: &RunReport) -> Option<&crate::gold::Field> {
    let routing = report.settings.routing.as_ref().map(|r| r.field.as_str());
    report
        .fields
        .iter()
        .filter(|f| f.kind == FieldKind::Label)
        .find(|f| Some(f.name.as_str()) == routing)
        .or_else(|| report.fields.iter().find(|f| f.kind == FieldKind::Label))
}

fn accuracy_on(v: &VariantReport, field: &str) -> Option<f64> {
    v.field(field)?.label.as_ref().map(|l| l.accuracy)
}

fn cost(v: &VariantReport) -> Option<f64> {
    (v.cost.unpriced == 0).then_some(v.cost.usd_per_1000)
}

/// The summary of a run.
pub fn summarize(report: &RunReport) -> Summary {
    let field = primary_field(report).map(|f| f.name.clone());
    let mut recommended = None;
    let headline = match &field {
        None => "No single-label field to rank the variants on.".to_string(),
        Some(field) => {
            let mut ranked: Vec<(&VariantReport, f64)> = report
                .variants
                .iter()
                .filter_map(|v| accuracy_on(v, field).map(|a| (v, a)))
                .collect();
            // Stable: among equally accurate variants the first listed wins.
            ranked.sort_by(|a, b| b.1.total_cmp(&a.1));
            let rec = |v: &VariantReport, acc: f64| Recommendation {
                variant: v.name.clone(),
                accuracy: acc,
                runner_up: None,
                significant: None,
                equally_good: None,
                usd_per_1000: cost(v),
                auto_share: v.routing.as_ref().map(|r| r.auto.share),
                offline: v.provider == "local",
            };
            match ranked.as_slice() {
                [] => "No variant predicts the routing field.".to_string(),
                [(v, acc)] => {
                    recommended = Some(rec(v, *acc));
                    format!(
                        "{} is the only variant; it is {} accurate on {field}.",
                        v.name,
                        pct(*acc)
                    )
                }
                [(best, acc), (second, acc2), ..] => {
                    // The same decision and wording as the pair's sentence in the details.
                    let verdict = report
                        .comparisons
                        .iter()
                        .filter(|c| &c.field == field)
                        .flat_map(|c| c.report.pairs.iter().map(move |p| (&c.report.config, p)))
                        .find(|(_, p)| {
                            (p.a == best.name && p.b == second.name)
                                || (p.b == best.name && p.a == second.name)
                        })
                        .map(|(cfg, p)| verdict_of(p, cfg.alpha, cfg.mde_points));
                    let mut r = rec(best, *acc);
                    r.runner_up = Some(second.name.clone());
                    r.significant = verdict.as_ref().map(|v| v.significant);
                    let vs = format!("{} vs {} for {}", pct(*acc), pct(*acc2), second.name);
                    // When the bootstrap interval of the lead disagrees with the test, say so.
                    let caveat = verdict
                        .as_ref()
                        .filter(|v| v.disagrees)
                        .map(|v| {
                            let (lo, hi) = v.lead_points;
                            let iv = format!("[{}, {}]", fixed(lo, 1), fixed(hi, 1));
                            match v.side {
                                IntervalSide::Above => format!(
                                    " by McNemar with Holm, though the bootstrap interval of the lead {iv} excludes 0"
                                ),
                                IntervalSide::IncludesZero => format!(
                                    " by McNemar with Holm, though the bootstrap interval of the lead {iv} includes 0"
                                ),
                                IntervalSide::Below => format!(
                                    " by McNemar with Holm, though the bootstrap interval of the lead {iv} lies below 0"
                                ),
                            }
                        })
                        .unwrap_or_default();
                    let line = if r.significant != Some(false) {
                        format!(
                            "Ship {}: the most accurate on {field} ({vs}){}.",
                            best.name,
                            if r.significant == Some(true) {
                                format!(", a significant lead{caveat}")
                            } else {
                                String::new()
                            }
                        )
                    } else {
                        let lead = format!(
                            "{} is the most accurate on {field} ({vs}), but its lead is not significant{caveat}",
                            best.name
                        );
                        match (cost(best), cost(second)) {
                            (Some(c1), Some(c2)) if c2 < c1 => {
                                r.equally_good = Some(second.name.clone());
                                format!(
                                    "{lead}: {} is as good and the cheaper of the two.",
                                    second.name
                                )
                            }
                            (Some(c1), Some(c2)) if c1 < c2 => {
                                r.equally_good = Some(best.name.clone());
                                format!("{lead}; it is also the cheaper of the two.")
                            }
                            (Some(_), Some(_)) => {
                                format!("{lead}: the two are equally good at the same cost.")
                            }
                            _ => format!(
                                "{lead}: the two are equally good (a price is missing, so neither is known to be cheaper)."
                            ),
                        }
                    };
                    recommended = Some(r);
                    line
                }
            }
        }
    };
    Summary {
        eval: None,
        tickets: report.n_tickets,
        variants: report.variants.iter().map(|v| v.name.clone()).collect(),
        field,
        recommended,
        headline,
        gate: NO_GATE.to_string(),
        warnings: warnings(report),
    }
}

fn warnings(report: &RunReport) -> Vec<String> {
    let mut out = Vec::new();
    for v in &report.variants {
        let ok = v.outcomes.get("ok").copied().unwrap_or(0);
        let failed = v.n_records.saturating_sub(ok);
        if failed > 0 {
            let mut errors: Vec<String> = v
                .errors
                .iter()
                .map(|e| format!("{}× {}", e.count, e.message))
                .collect();
            if errors.is_empty() {
                errors = v
                    .outcomes
                    .iter()
                    .filter(|(k, n)| k.as_str() != "ok" && **n > 0)
                    .map(|(k, n)| format!("{n}× {k}"))
                    .collect();
            }
            if v.errors_other > 0 {
                errors.push(format!(
                    "{} more",
                    plural(v.errors_other as u64, "other", "others")
                ));
            }
            out.push(format!(
                "{}: {failed} of {} failed ({}).",
                v.name,
                plural(v.n_records as u64, "record", "records"),
                errors.join("; ")
            ));
        }
        if v.missing > 0 {
            out.push(format!(
                "{}: {} missing (no prediction).",
                v.name,
                plural(v.missing as u64, "ticket", "tickets")
            ));
        }
        for f in &report.fields {
            if v.field(&f.name).is_none() {
                out.push(format!("{} does not predict the field {}.", v.name, f.name));
            }
        }
    }
    // One line per field: the most tickets any undecided pair would need.
    for fc in &report.comparisons {
        // The same power statement as the pair's sentence: never for a detected difference.
        let cfg = &fc.report.config;
        let short = fc
            .report
            .pairs
            .iter()
            .filter_map(|p| {
                let v = verdict_of(p, cfg.alpha, cfg.mde_points);
                v.short_of.map(|needed| (p, p.table.n(), needed))
            })
            .max_by_key(|(_, _, needed)| *needed);
        if let Some((p, n, needed)) = short {
            out.push(format!(
                "{}: the gold set ({}) is too small to detect a {}-point difference (about {} needed, for {} vs {}).",
                fc.field,
                plural(n, "ticket", "tickets"),
                fixed(fc.report.config.mde_points, 0),
                needed,
                p.a,
                p.b
            ));
        }
    }
    out
}

impl Summary {
    /// The summary's lines after the headline: what was run, the cost and coverage of the
    /// recommended variant, the gate.
    pub fn lines(&self) -> Vec<String> {
        let mut lines = Vec::new();
        let mut what = String::new();
        if let Some(e) = &self.eval {
            what.push_str(&format!("Eval {e}: "));
        }
        what.push_str(&format!(
            "{}, {}",
            plural(self.tickets as u64, "ticket", "tickets"),
            plural(self.variants.len() as u64, "variant", "variants")
        ));
        if !self.variants.is_empty() {
            what.push_str(&format!(" ({})", self.variants.join(", ")));
        }
        what.push('.');
        lines.push(what);
        if let Some(r) = &self.recommended {
            let mut s = if r.offline {
                format!("{}: runs offline, no API cost", r.variant)
            } else {
                let cost = r
                    .usd_per_1000
                    .map_or("no price".to_string(), |c| format!("${}", fixed(c, 4)));
                format!("{}: {cost} per 1,000 tickets", r.variant)
            };
            if let Some(a) = r.auto_share {
                s.push_str(&format!("; auto-routes {} of tickets", pct(a)));
            }
            s.push('.');
            lines.push(s);
        }
        lines.push(format!("Gate: {}.", self.gate));
        lines
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_well() {
        assert_eq!(pct(-0.00001), "0.0%");
        assert_eq!(pct(0.1234), "12.3%");
        assert_eq!(fixed(-0.00001, 1), "0.0");
        assert_eq!(fixed(-0.5, 1), "-0.5");
        assert_eq!(p_value(0.0004), "< 0.001");
        assert_eq!(p_value(0.012345), "0.0123");
        assert_eq!(p_value(0.5), "0.500");
        assert_eq!(p_value(1.0), "1");
        assert_eq!(plural(1u64, "ticket", "tickets"), "1 ticket");
        assert_eq!(plural(0u64, "ticket", "tickets"), "0 tickets");
    }
}

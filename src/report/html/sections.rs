//! The report page's sections: the rows, panels and charts the template draws, each built
//! from the run report (and, for the summary, the page's input). Pure: data in, data out.

use serde::Serialize;

use super::{chart, charts, pct, tickets, HtmlInput, HtmlOptions, RunMeta};
use crate::gold::FieldKind;
use crate::score::{RunReport, VariantReport};

#[derive(Serialize)]
pub(super) struct VariantRow {
    pub(super) name: String,
    pub(super) color: String,
    pub(super) provider: String,
    pub(super) model: String,
    pub(super) accuracy: String,
    pub(super) accuracy_sort: f64,
    pub(super) accuracy_ci: String,
    pub(super) macro_f1: String,
    pub(super) macro_f1_ci: String,
    pub(super) invalid: String,
    pub(super) ece: String,
    pub(super) auto: String,
    pub(super) cost: String,
    pub(super) p50: String,
}

#[derive(Serialize)]
pub(super) struct ClassRow {
    pub(super) name: String,
    pub(super) support: u64,
    pub(super) cells: Vec<[f64; 3]>,
}

#[derive(Serialize)]
pub(super) struct Heatmap {
    pub(super) variant: String,
    pub(super) svg: String,
    pub(super) note: String,
}

#[derive(Serialize)]
pub(super) struct LabelSection {
    pub(super) field: String,
    pub(super) n_values: usize,
    pub(super) variants: Vec<String>,
    pub(super) classes: Vec<ClassRow>,
    pub(super) f1_chart: String,
    pub(super) f1_note: String,
    pub(super) heatmaps: Vec<Heatmap>,
}

#[derive(Serialize)]
pub(super) struct CalibrationPanel {
    pub(super) variant: String,
    pub(super) reliability: String,
    pub(super) histogram: String,
    pub(super) ece: String,
    pub(super) ece_equal_mass: String,
    pub(super) brier: String,
    pub(super) mean_conf: String,
    pub(super) accuracy: String,
    pub(super) n_missing: u64,
}

#[derive(Serialize)]
pub(super) struct RoutingRow {
    pub(super) variant: String,
    pub(super) auto: String,
    pub(super) auto_acc: String,
    pub(super) clarify: String,
    pub(super) human: String,
    pub(super) misroutes: u64,
    pub(super) aurc: String,
    pub(super) target: String,
}

#[derive(Serialize)]
pub(super) struct Routing {
    pub(super) policy: String,
    pub(super) curve: String,
    pub(super) bands: String,
    pub(super) rows: Vec<RoutingRow>,
}

#[derive(Serialize)]
pub(super) struct SliceRow {
    pub(super) tag: String,
    pub(super) n: usize,
    pub(super) cells: Vec<String>,
}

#[derive(Serialize)]
pub(super) struct Slices {
    pub(super) field: String,
    pub(super) variants: Vec<String>,
    pub(super) rows: Vec<SliceRow>,
}

#[derive(Serialize)]
pub(super) struct PairRow {
    pub(super) a: String,
    pub(super) b: String,
    pub(super) diff: String,
    pub(super) interval: String,
    pub(super) b_count: u64,
    pub(super) c_count: u64,
    pub(super) p: String,
    pub(super) p_holm: String,
    pub(super) significant: bool,
    pub(super) verdict: String,
}

#[derive(Serialize)]
pub(super) struct Comparison {
    pub(super) field: String,
    pub(super) level: String,
    pub(super) chart: String,
    pub(super) pairs: Vec<PairRow>,
}

#[derive(Serialize)]
pub(super) struct OtherField {
    pub(super) name: String,
    pub(super) kind: &'static str,
    pub(super) variants: Vec<String>,
    pub(super) rows: Vec<(String, Vec<String>)>,
}

#[derive(Serialize)]
pub(super) struct Summary {
    pub(super) headline: String,
    pub(super) lines: Vec<String>,
    pub(super) warnings: Vec<String>,
}

#[derive(Serialize)]
pub(super) struct TicketSection {
    pub(super) json: String,
    pub(super) counts: tickets::TicketCounts,
    pub(super) missing: Option<String>,
}

#[derive(Serialize)]
pub(super) struct Page {
    pub(super) meta: RunMeta,
    pub(super) csp: String,
    pub(super) css: &'static str,
    pub(super) js: &'static str,
    pub(super) n_tickets: usize,
    pub(super) n_variants: usize,
    pub(super) summary: Summary,
    pub(super) variants: Vec<VariantRow>,
    pub(super) primary_field: String,
    pub(super) labels: Vec<LabelSection>,
    pub(super) others: Vec<OtherField>,
    pub(super) calibration: Vec<CalibrationPanel>,
    pub(super) calibration_field: String,
    pub(super) routing: Option<Routing>,
    pub(super) slices: Option<Slices>,
    pub(super) comparisons: Vec<Comparison>,
    pub(super) tickets: TicketSection,
}

/// The answer first: the same [`crate::report::summary::Summary`] as every exporter.
pub(super) fn summary(input: &HtmlInput<'_>) -> Summary {
    let mut s = crate::report::summary::summarize(input.report);
    if !input.meta.eval_name.is_empty() {
        s.eval = Some(input.meta.eval_name.clone());
    }
    Summary {
        headline: s.headline.clone(),
        lines: s.lines(),
        warnings: s.warnings,
    }
}

pub(super) fn variant_rows(report: &RunReport, field: Option<&str>) -> Vec<VariantRow> {
    let stats = field.and_then(|f| report.comparisons.iter().find(|c| c.field == f));
    report
        .variants
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let label = field.and_then(|f| v.field(f)?.label.as_ref());
            let st = stats.and_then(|s| s.report.variants.iter().find(|x| x.name == v.name));
            let iv = |i: &crate::stats::Interval| format!("[{}, {}]", pct(i.lo), pct(i.hi));
            VariantRow {
                name: v.name.clone(),
                color: charts::hex(charts::variant_color(i)),
                provider: v.provider.clone(),
                model: v.model.clone().unwrap_or_else(|| "-".into()),
                accuracy: label.map_or("-".into(), |l| pct(l.accuracy)),
                accuracy_sort: label.map_or(-1.0, |l| l.accuracy),
                accuracy_ci: st.map_or(String::new(), |s| iv(&s.accuracy)),
                macro_f1: label.map_or("-".into(), |l| format!("{:.3}", l.macro_avg.f1)),
                macro_f1_ci: st
                    .and_then(|s| s.macro_f1.as_ref())
                    .map_or(String::new(), |m| format!("[{:.3}, {:.3}]", m.lo, m.hi)),
                invalid: pct(v.invalid_rate),
                ece: v
                    .calibration
                    .as_ref()
                    .map_or("-".into(), |c| format!("{:.3}", c.ece)),
                auto: v.routing.as_ref().map_or("-".into(), |r| pct(r.auto.share)),
                cost: format!("{:.4}", v.cost.usd_per_1000),
                p50: v
                    .cost
                    .latency_p50_ms
                    .map_or("-".into(), |x| format!("{x:.0}")),
            }
        })
        .collect()
}

pub(super) fn label_sections(report: &RunReport, opts: &HtmlOptions) -> Vec<LabelSection> {
    let mut out = Vec::new();
    for field in report.fields.iter().filter(|f| f.kind == FieldKind::Label) {
        let vs: Vec<(usize, &str, &crate::metrics::SingleLabelReport)> = report
            .variants
            .iter()
            .enumerate()
            .filter_map(|(i, v)| {
                v.field(&field.name)?
                    .label
                    .as_ref()
                    .map(|l| (i, v.name.as_str(), l))
            })
            .collect();
        let Some(&(_, _, first)) = vs.first() else {
            continue;
        };
        // The chart shows the classes the best variant on this field finds hardest.
        let best = vs
            .iter()
            .max_by(|a, b| a.2.accuracy.total_cmp(&b.2.accuracy))
            .map(|x| x.2)
            .unwrap_or(first);
        let mut order: Vec<usize> = (0..field.values.len()).collect();
        order.sort_by(|&a, &b| {
            best.per_class[a]
                .f1
                .total_cmp(&best.per_class[b].f1)
                .then(a.cmp(&b))
        });
        let shown: Vec<usize> = order.iter().copied().take(opts.max_bar_classes).collect();
        let f1_note = if shown.len() < order.len() {
            format!(
                "The {} categories with the lowest F1 for {} are drawn; all {} are in the table.",
                shown.len(),
                vs.iter()
                    .find(|x| std::ptr::eq(x.2, best))
                    .map_or("", |x| x.1),
                order.len()
            )
        } else {
            String::new()
        };
        let heatmaps = vs
            .iter()
            .map(|(_, name, l)| {
                let view = charts::heatmap_view(&l.confusion, opts.heatmap_top_k);
                Heatmap {
                    variant: name.to_string(),
                    svg: chart(charts::heatmap(name, &field.values, l, opts.heatmap_top_k)),
                    note: if view.hidden > 0 {
                        format!(
                            "The {} classes most involved in confusions; the other {} are counted together as “other”.",
                            view.axis.len() - 1,
                            view.hidden
                        )
                    } else {
                        String::new()
                    },
                }
            })
            .collect();
        out.push(LabelSection {
            field: field.name.clone(),
            n_values: field.values.len(),
            variants: vs.iter().map(|x| x.1.to_string()).collect(),
            classes: field
                .values
                .iter()
                .enumerate()
                .map(|(ci, name)| ClassRow {
                    name: name.clone(),
                    support: first.per_class[ci].support,
                    cells: vs
                        .iter()
                        .map(|(_, _, l)| {
                            let c = &l.per_class[ci];
                            [c.precision, c.recall, c.f1]
                        })
                        .collect(),
                })
                .collect(),
            f1_chart: chart(charts::f1_bars(&field.name, &field.values, &vs, &shown)),
            f1_note,
            heatmaps,
        });
    }
    out
}

pub(super) fn other_fields(report: &RunReport) -> Vec<OtherField> {
    let mut out = Vec::new();
    for field in report.fields.iter().filter(|f| f.kind != FieldKind::Label) {
        let vs: Vec<&VariantReport> = report
            .variants
            .iter()
            .filter(|v| v.field(&field.name).is_some())
            .collect();
        if vs.is_empty() {
            continue;
        }
        let mut rows: Vec<(String, Vec<String>)> = Vec::new();
        let f3 = |x: f64| format!("{x:.3}");
        match field.kind {
            FieldKind::Flag => {
                type Get = fn(&crate::metrics::FlagReport) -> String;
                let getters: [(&str, Get); 5] = [
                    ("precision", |x| format!("{:.3}", x.precision)),
                    ("recall", |x| format!("{:.3}", x.recall)),
                    ("F1", |x| format!("{:.3}", x.f1)),
                    ("accuracy", |x| format!("{:.3}", x.accuracy)),
                    ("invalid", |x| x.invalid.to_string()),
                ];
                for (name, g) in getters {
                    rows.push((
                        name.into(),
                        vs.iter()
                            .map(|v| {
                                v.field(&field.name)
                                    .and_then(|f| f.flag.as_ref())
                                    .map_or("-".into(), g)
                            })
                            .collect(),
                    ));
                }
            }
            FieldKind::Labels => {
                type Get = fn(&crate::metrics::MultiLabelReport) -> f64;
                let getters: [(&str, Get); 5] = [
                    ("exact match", |x| x.exact_match),
                    ("Jaccard (samples)", |x| x.jaccard_samples),
                    ("micro F1", |x| x.micro_avg.f1),
                    ("macro F1", |x| x.macro_avg.f1),
                    ("Hamming loss", |x| x.hamming_loss),
                ];
                for (name, g) in getters {
                    rows.push((
                        name.into(),
                        vs.iter()
                            .map(|v| {
                                v.field(&field.name)
                                    .and_then(|f| f.labels.as_ref())
                                    .map_or("-".into(), |x| f3(g(x)))
                            })
                            .collect(),
                    ));
                }
            }
            FieldKind::Label => {}
        }
        out.push(OtherField {
            name: field.name.clone(),
            kind: field.kind.name(),
            variants: vs.iter().map(|v| v.name.clone()).collect(),
            rows,
        });
    }
    out
}

pub(super) fn calibration_panels(report: &RunReport) -> Vec<CalibrationPanel> {
    report
        .variants
        .iter()
        .enumerate()
        .filter_map(|(i, v)| {
            let c = v.calibration.as_ref()?;
            Some(CalibrationPanel {
                variant: v.name.clone(),
                reliability: chart(charts::reliability(i, &v.name, c)),
                histogram: chart(charts::confidence_histogram(&v.name, c)),
                ece: format!("{:.3}", c.ece),
                ece_equal_mass: format!("{:.3}", c.ece_equal_mass),
                brier: format!("{:.3}", c.brier),
                mean_conf: format!("{:.3}", c.mean_conf),
                accuracy: format!("{:.3}", c.accuracy),
                n_missing: c.n_missing,
            })
        })
        .collect()
}

pub(super) fn routing(report: &RunReport) -> Option<Routing> {
    let vs: Vec<(usize, &str, &crate::metrics::RoutingReport)> = report
        .variants
        .iter()
        .enumerate()
        .filter_map(|(i, v)| v.routing.as_ref().map(|r| (i, v.name.as_str(), r)))
        .collect();
    let (_, _, first) = vs.first()?;
    let field = report
        .settings
        .routing
        .as_ref()
        .map_or(String::new(), |r| format!(" on {}", r.field));
    Some(Routing {
        policy: format!(
            "Route automatically at confidence ≥ {}, ask a clarifying question at ≥ {}, else hand to a human; target accuracy {}{field}.",
            first.policy.route_at, first.policy.clarify_at, first.policy.target_accuracy
        ),
        curve: chart(charts::risk_coverage(&vs)),
        bands: chart(charts::bands(&vs)),
        rows: vs
            .iter()
            .map(|(_, name, r)| RoutingRow {
                variant: name.to_string(),
                auto: pct(r.auto.share),
                auto_acc: r.auto.accuracy.map_or("-".into(), |a| format!("{a:.3}")),
                clarify: pct(r.clarify.share),
                human: pct(r.escalate.share),
                misroutes: r.misroutes,
                aurc: r.aurc.map_or("-".into(), |a| format!("{a:.4}")),
                target: r.target.as_ref().map_or("none".into(), |t| {
                    format!("≥ {:.3} ({} routed)", t.threshold, pct(t.coverage))
                }),
            })
            .collect(),
    })
}

pub(super) fn slices(report: &RunReport, field: Option<&str>) -> Option<Slices> {
    let field = field?;
    let first = report.variants.iter().find(|v| !v.slices.is_empty())?;
    Some(Slices {
        field: field.to_string(),
        variants: report.variants.iter().map(|v| v.name.clone()).collect(),
        rows: first
            .slices
            .iter()
            .map(|s| SliceRow {
                tag: s.tag.clone(),
                n: s.n,
                cells: report
                    .variants
                    .iter()
                    .map(|v| {
                        v.slices
                            .iter()
                            .find(|x| x.tag == s.tag)
                            .and_then(|x| x.fields.iter().find(|f| f.field == field))
                            .and_then(|f| f.label.as_ref())
                            .map_or("-".into(), |l| pct(l.accuracy))
                    })
                    .collect(),
            })
            .collect(),
    })
}

pub(super) fn fmt_p(p: f64) -> String {
    if p < 0.001 {
        "< 0.001".into()
    } else {
        format!("{p:.3}")
    }
}

pub(super) fn comparisons(report: &RunReport) -> Vec<Comparison> {
    report
        .comparisons
        .iter()
        .filter(|c| !c.report.pairs.is_empty())
        .map(|c| {
            let level = c.report.config.bootstrap.level;
            let intervals: Vec<charts::PairInterval> = c
                .report
                .pairs
                .iter()
                .map(|p| charts::PairInterval {
                    a: &p.b,
                    b: &p.a,
                    estimate: p.diff.estimate,
                    lo: p.diff.lo,
                    hi: p.diff.hi,
                    significant: p.significant,
                })
                .collect();
            Comparison {
                field: c.field.clone(),
                level: format!("{:.0}%", level * 100.0),
                chart: chart(charts::pair_intervals(&c.field, level, &intervals)),
                pairs: c
                    .report
                    .pairs
                    .iter()
                    .map(|p| PairRow {
                        a: p.b.clone(),
                        b: p.a.clone(),
                        diff: format!("{:+.1}", p.diff.estimate * 100.0),
                        interval: format!("[{:+.1}, {:+.1}]", p.diff.lo * 100.0, p.diff.hi * 100.0),
                        b_count: p.mcnemar.b,
                        c_count: p.mcnemar.c,
                        p: fmt_p(p.mcnemar.p_value),
                        p_holm: fmt_p(p.p_holm),
                        significant: p.significant,
                        verdict: p.verdict.clone(),
                    })
                    .collect(),
            }
        })
        .collect()
}

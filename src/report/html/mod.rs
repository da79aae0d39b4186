//! The HTML report: one self-contained page a team opens to choose a variant.
//!
//! [`render`] is pure: a run's metrics ([`RunReport`]), its gold tickets and prediction
//! records in, the bytes of `report.html` out. The page is a minijinja template
//! (`src/report/templates/report.html`, auto-escaped) with inline SVG charts drawn by
//! plotters ([`charts`]) and an inline stylesheet and script whose SHA-256 hashes are the
//! only sources its Content-Security-Policy (`default-src 'none'`) allows, so the page makes
//! no request of any kind. Size stays bounded whatever the run's size: charts draw
//! aggregates, and the ticket table carries a sample ([`tickets`]).

pub mod charts;
pub mod compare;
pub mod compare_charts;
pub mod svg;
pub mod tickets;

use base64::Engine as _;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::eval_log::PredictionRecord;
use crate::gold::{FieldKind, Ticket};
use crate::score::{RunReport, VariantReport};

const TEMPLATE: &str = include_str!("../templates/report.html");
const CSS: &str = include_str!("../templates/report.css");
const JS: &str = include_str!("../templates/report.js");

/// Where the run came from, for the page's heading.
pub use super::RunMeta;

/// Everything the page is made from.
pub struct HtmlInput<'a> {
    pub meta: RunMeta,
    pub report: &'a RunReport,
    /// The gold tickets of the run (the first `report.n_tickets` are scored); `None` when
    /// they are not available, and then `tickets_missing` says why.
    pub tickets: Option<&'a [Ticket]>,
    pub records: &'a [PredictionRecord],
    /// The records' answers, when the caller read them compactly (a big journal); else
    /// they are taken from `records`.
    pub answers: Option<&'a tickets::Answers>,
    pub tickets_missing: Option<String>,
}

/// Limits that keep the page readable and small.
#[derive(Debug, Clone)]
pub struct HtmlOptions {
    /// Most tickets in the ticket table.
    pub max_ticket_rows: usize,
    /// Characters of a ticket's text kept in the table.
    pub max_text_chars: usize,
    /// Classes shown one by one in a confusion heatmap (the rest are "other").
    pub heatmap_top_k: usize,
    /// Classes in the per-category F1 chart (the lowest F1 first; all are in the table).
    pub max_bar_classes: usize,
}

impl Default for HtmlOptions {
    fn default() -> Self {
        HtmlOptions {
            max_ticket_rows: 2000,
            max_text_chars: 600,
            heatmap_top_k: 12,
            max_bar_classes: 25,
        }
    }
}

/// `'sha256-...'` of an inline element's exact text, for the Content-Security-Policy.
fn csp_hash(text: &str) -> String {
    let digest = Sha256::digest(text.as_bytes());
    format!(
        "'sha256-{}'",
        base64::engine::general_purpose::STANDARD.encode(digest)
    )
}

/// The Content-Security-Policy of the page: nothing may load; only the page's own style
/// and script run.
pub fn csp() -> String {
    format!(
        "default-src 'none'; style-src {}; script-src {}; img-src 'none'; base-uri 'none'; form-action 'none'",
        csp_hash(CSS),
        csp_hash(JS)
    )
}

fn pct(v: f64) -> String {
    format!("{:.1}%", v * 100.0)
}

fn chart(c: charts::Chart) -> String {
    c.unwrap_or_else(|e| {
        format!(
            "<p class=\"note\">This chart could not be drawn: {}</p>",
            svg::escape(&e.to_string())
        )
    })
}

#[derive(Serialize)]
struct VariantRow {
    name: String,
    color: String,
    provider: String,
    model: String,
    accuracy: String,
    accuracy_sort: f64,
    accuracy_ci: String,
    macro_f1: String,
    macro_f1_ci: String,
    invalid: String,
    ece: String,
    auto: String,
    cost: String,
    p50: String,
}

#[derive(Serialize)]
struct ClassRow {
    name: String,
    support: u64,
    cells: Vec<[f64; 3]>,
}

#[derive(Serialize)]
struct Heatmap {
    variant: String,
    svg: String,
    note: String,
}

#[derive(Serialize)]
struct LabelSection {
    field: String,
    n_values: usize,
    variants: Vec<String>,
    classes: Vec<ClassRow>,
    f1_chart: String,
    f1_note: String,
    heatmaps: Vec<Heatmap>,
}

#[derive(Serialize)]
struct CalibrationPanel {
    variant: String,
    reliability: String,
    histogram: String,
    ece: String,
    ece_equal_mass: String,
    brier: String,
    mean_conf: String,
    accuracy: String,
    n_missing: u64,
}

#[derive(Serialize)]
struct RoutingRow {
    variant: String,
    auto: String,
    auto_acc: String,
    clarify: String,
    human: String,
    misroutes: u64,
    aurc: String,
    target: String,
}

#[derive(Serialize)]
struct Routing {
    policy: String,
    curve: String,
    bands: String,
    rows: Vec<RoutingRow>,
}

#[derive(Serialize)]
struct SliceRow {
    tag: String,
    n: usize,
    cells: Vec<String>,
}

#[derive(Serialize)]
struct Slices {
    field: String,
    variants: Vec<String>,
    rows: Vec<SliceRow>,
}

#[derive(Serialize)]
struct PairRow {
    a: String,
    b: String,
    diff: String,
    interval: String,
    b_count: u64,
    c_count: u64,
    p: String,
    p_holm: String,
    significant: bool,
    verdict: String,
}

#[derive(Serialize)]
struct Comparison {
    field: String,
    level: String,
    chart: String,
    pairs: Vec<PairRow>,
}

#[derive(Serialize)]
struct OtherField {
    name: String,
    kind: &'static str,
    variants: Vec<String>,
    rows: Vec<(String, Vec<String>)>,
}

#[derive(Serialize)]
struct Summary {
    headline: String,
    lines: Vec<String>,
    warnings: Vec<String>,
}

#[derive(Serialize)]
struct TicketSection {
    json: String,
    counts: tickets::TicketCounts,
    missing: Option<String>,
}

#[derive(Serialize)]
struct Page {
    meta: RunMeta,
    csp: String,
    css: &'static str,
    js: &'static str,
    n_tickets: usize,
    n_variants: usize,
    summary: Summary,
    variants: Vec<VariantRow>,
    primary_field: String,
    labels: Vec<LabelSection>,
    others: Vec<OtherField>,
    calibration: Vec<CalibrationPanel>,
    calibration_field: String,
    routing: Option<Routing>,
    slices: Option<Slices>,
    comparisons: Vec<Comparison>,
    tickets: TicketSection,
}

use crate::report::summary::primary_field;

/// The answer first: the same [`crate::report::summary::Summary`] as every exporter.
fn summary(input: &HtmlInput<'_>) -> Summary {
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

fn variant_rows(report: &RunReport, field: Option<&str>) -> Vec<VariantRow> {
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

fn label_sections(report: &RunReport, opts: &HtmlOptions) -> Vec<LabelSection> {
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

fn other_fields(report: &RunReport) -> Vec<OtherField> {
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

fn calibration_panels(report: &RunReport) -> Vec<CalibrationPanel> {
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

fn routing(report: &RunReport) -> Option<Routing> {
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

fn slices(report: &RunReport, field: Option<&str>) -> Option<Slices> {
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

fn fmt_p(p: f64) -> String {
    if p < 0.001 {
        "< 0.001".into()
    } else {
        format!("{p:.3}")
    }
}

fn comparisons(report: &RunReport) -> Vec<Comparison> {
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

/// The template environment: the page template, auto-escaped as HTML.
fn environment() -> minijinja::Environment<'static> {
    let mut env = minijinja::Environment::new();
    env.add_template("report.html", TEMPLATE)
        .expect("the report template parses");
    env.add_filter("f3", |v: f64| format!("{v:.3}"));
    env.add_filter("thousands", |v: u64| thousands(v));
    env
}

/// 1234567 -> "1,234,567".
pub fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Renders the report page.
pub fn render(input: &HtmlInput, opts: &HtmlOptions) -> String {
    let report = input.report;
    let primary = primary_field(report).map(|f| f.name.clone());
    let primary = primary.as_deref();
    let (json, counts) = match input.tickets {
        Some(t) => {
            let owned;
            let answers = match input.answers {
                Some(a) => a,
                None => {
                    owned = tickets::Answers::from_records(report, t, input.records);
                    &owned
                }
            };
            let (data, counts) = tickets::build(
                report,
                t,
                answers,
                opts.max_ticket_rows,
                opts.max_text_chars,
            );
            (tickets::script_json(&data), counts)
        }
        None => ("null".to_string(), tickets::TicketCounts::default()),
    };
    let page = Page {
        meta: input.meta.clone(),
        csp: csp(),
        css: CSS,
        js: JS,
        n_tickets: report.n_tickets,
        n_variants: report.variants.len(),
        summary: summary(input),
        variants: variant_rows(report, primary),
        primary_field: primary.unwrap_or("").to_string(),
        labels: label_sections(report, opts),
        others: other_fields(report),
        calibration: calibration_panels(report),
        calibration_field: report
            .settings
            .calibration
            .as_ref()
            .map_or(String::new(), |c| c.field.clone()),
        routing: routing(report),
        slices: slices(report, primary),
        comparisons: comparisons(report),
        tickets: TicketSection {
            json,
            counts,
            missing: input.tickets_missing.clone(),
        },
    };
    environment()
        .get_template("report.html")
        .expect("template is registered")
        .render(minijinja::Value::from_serialize(&page))
        .expect("the report template renders")
}

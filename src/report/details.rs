//! The details of a run as a [`Doc`]: per label field the comparison, per-category metrics
//! and the most frequent confusions; flag and multi-label fields; calibration and routing;
//! the bootstrap comparison; outcomes, cost and latency. Pure: data in, document out.

use super::model::{Cell, Doc, TableModel};

use super::summary::{fixed, p_value, plural};
use crate::gold::{Field, FieldKind};
use crate::score::{RunReport, VariantReport};

/// Categories the per-category table shows without `--all`.
pub const CATEGORIES_SHOWN: usize = 10;

/// What the details show.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options<'a> {
    /// Every category, not only the [`CATEGORIES_SHOWN`] lowest-F1 of the focus variant.
    pub all_categories: bool,
    /// The variant whose F1 orders the categories (the recommended one); the first variant
    /// of a field when `None` or when it does not predict the field.
    pub focus: Option<&'a str>,
}

fn num(v: f64) -> Cell {
    Cell::new(fixed(v, 4)).right()
}

fn int(v: impl std::fmt::Display) -> Cell {
    Cell::new(v.to_string()).right()
}

fn label_name(field: &Field, i: u32) -> &str {
    field.values.get(i as usize).map_or("?", String::as_str)
}

/// Every detail table of a run, in reading order, every category shown.
pub fn details(report: &RunReport) -> Doc {
    details_with(
        report,
        &Options {
            all_categories: true,
            focus: None,
        },
    )
}

/// Every detail table of a run, in reading order.
pub fn details_with(report: &RunReport, opts: &Options<'_>) -> Doc {
    let mut out = Doc::default();
    for field in report.fields.iter().filter(|f| f.kind == FieldKind::Label) {
        let vs: Vec<(&VariantReport, &crate::metrics::SingleLabelReport)> = report
            .variants
            .iter()
            .filter_map(|v| v.field(&field.name)?.label.as_ref().map(|l| (v, l)))
            .collect();
        if vs.is_empty() {
            continue;
        }
        out.heading(format!(
            "{} ({}, {})",
            field.name,
            plural(field.values.len() as u64, "value", "values"),
            plural(report.n_tickets as u64, "ticket", "tickets")
        ));
        let mut t = TableModel::default();
        let mut header = vec![Cell::new("")];
        header.extend(vs.iter().map(|(v, _)| Cell::new(&v.name)));
        t.set_header(header);
        type Row = (
            &'static str,
            fn(&VariantReport, &crate::metrics::SingleLabelReport) -> Cell,
        );
        let rows: [Row; 8] = [
            ("n", |_, l| int(l.n)),
            ("accuracy", |_, l| pct(l.accuracy)),
            ("macro precision", |_, l| num(l.macro_avg.precision)),
            ("macro recall", |_, l| num(l.macro_avg.recall)),
            ("macro F1", |_, l| num(l.macro_avg.f1)),
            ("invalid", |_, l| int(l.invalid)),
            ("kappa", |_, l| l.kappa.map_or(Cell::new("-"), num)),
            // Wall time (the sum of request latencies overstates it by the concurrency).
            ("time (s)", |v, _| {
                v.cost
                    .wall_s
                    .map_or(Cell::new("-"), |w| Cell::new(format!("{w:.2}")).right())
            }),
        ];
        for (name, f) in rows {
            let mut row = vec![Cell::new(name)];
            row.extend(vs.iter().map(|(v, l)| f(v, l)));
            t.add_row(row);
        }
        // With repeats: how stable each variant's answers are across them.
        let repeats: Vec<Option<&crate::metrics::RepeatsReport>> = vs
            .iter()
            .map(|(v, _)| v.field(&field.name).and_then(|f| f.repeats.as_ref()))
            .collect();
        if repeats.iter().any(Option::is_some) {
            let mut row = vec![Cell::new("accuracy over repeats")];
            row.extend(repeats.iter().map(|r| {
                r.map_or(Cell::new("-"), |r| {
                    let std = r.std.map_or("-".to_string(), |s| fixed(s, 4));
                    Cell::new(format!("{} ± {std} (k={})", fixed(r.mean, 4), r.k)).right()
                })
            }));
            t.add_row(row);
            let mut row = vec![Cell::new("answer changes across repeats")];
            row.extend(
                repeats
                    .iter()
                    .map(|r| r.map_or(Cell::new("-"), |r| pct(r.unstable_share))),
            );
            t.add_row(row);
        }
        out.table(t);

        // Lowest F1 of the focus variant first; ties in the field's order.
        let focus = vs
            .iter()
            .position(|(v, _)| Some(v.name.as_str()) == opts.focus)
            .unwrap_or(0);
        let mut order: Vec<usize> = (0..field.values.len()).collect();
        order.sort_by(|&a, &b| {
            let f = &vs[focus].1.per_class;
            f[a].f1.total_cmp(&f[b].f1)
        });
        let shown = if opts.all_categories {
            order.len()
        } else {
            order.len().min(CATEGORIES_SHOWN)
        };
        // Per category: support, the focus variant's precision and recall, then F1 for each
        // variant (the focus first), so the table fits a terminal.
        let mut cols: Vec<usize> = vec![focus];
        cols.extend((0..vs.len()).filter(|&i| i != focus));
        let mut t = TableModel::default();
        let mut header = vec![
            Cell::new(&field.name),
            Cell::new("support"),
            Cell::new(format!("{} P", vs[focus].0.name)),
            Cell::new("R"),
        ];
        header.extend(
            cols.iter()
                .map(|&i| Cell::new(format!("{} F1", vs[i].0.name))),
        );
        t.set_header(header);
        for &ci in &order[..shown] {
            let value = &field.values[ci];
            let c = &vs[focus].1.per_class[ci];
            let mut row = vec![
                Cell::new(value),
                int(c.support),
                num(c.precision),
                num(c.recall),
            ];
            row.extend(cols.iter().map(|&i| num(vs[i].1.per_class[ci].f1)));
            t.add_row(row);
        }
        if shown < order.len() {
            out.heading(format!(
                "{}: the {} lowest-F1 categories of {}",
                field.name, shown, vs[focus].0.name
            ));
        } else {
            out.heading(format!("{}: per category", field.name));
        }
        out.table(t);
        if shown < order.len() {
            let rest = order.len() - shown;
            out.text(format!(
                "{} not shown (--all shows every one).",
                plural(rest as u64, "more category", "more categories")
            ));
        }

        // The most frequent confusions of each variant.
        let mut t = TableModel::default();
        t.set_header(vec!["variant", "gold", "predicted", "count"]);
        for (v, l) in &vs {
            for c in l.top_confusions.iter().take(5) {
                t.add_row(vec![
                    Cell::new(&v.name),
                    Cell::new(label_name(field, c.gold)),
                    Cell::new(c.pred.map_or("(invalid)", |p| label_name(field, p))),
                    int(c.count),
                ]);
            }
        }
        if !t.is_empty() {
            out.heading("most frequent confusions");
            out.table(t);
        }
    }

    out.extend(other_fields(report));
    out.extend(confidence_tables(report));
    out.extend(slice_table(report));
    out.extend(comparison_lines(report));

    // Outcomes, cost and latency. Latency is end to end (retries and waits included), with
    // the last attempt's as a fallback for journals written before it was recorded. The
    // "odd stop" column appears only when a variant has accepted answers with a stop reason
    // other than a forced tool call's.
    let odd_stop = report.variants.iter().any(|v| v.unexpected_stop > 0);
    let mut t = TableModel::default();
    let mut header = vec!["variant", "ok", "not ok"];
    if odd_stop {
        header.push("odd stop");
    }
    header.extend([
        "requests",
        "cached",
        "tokens in/out",
        "cost $",
        "$ / 1k tickets",
        "p50 ms",
        "p95 ms",
    ]);
    t.set_header(header);
    for v in &report.variants {
        let ok = v.outcomes.get("ok").copied().unwrap_or(0);
        // An unpriced model's responses cost an unknown amount: never shown as $0.
        let usd = |x: f64| {
            if v.cost.unpriced > 0 {
                Cell::new("no price").right()
            } else {
                Cell::new(format!("{x:.4}")).right()
            }
        };
        let ms = |x: Option<f64>| x.map_or(Cell::new("-"), |x| int(format!("{x:.1}")));
        let mut row = vec![Cell::new(&v.name), int(ok), int(v.n_records - ok)];
        if odd_stop {
            row.push(int(v.unexpected_stop));
        }
        row.extend([
            int(v.cost.requests),
            int(v.cost.cached),
            int(format!("{}/{}", v.cost.input_tokens, v.cost.output_tokens)),
            usd(v.cost.total_usd),
            usd(v.cost.usd_per_1000),
            ms(v.cost.latency_e2e_p50_ms.or(v.cost.latency_p50_ms)),
            ms(v.cost.latency_e2e_p95_ms.or(v.cost.latency_p95_ms)),
        ]);
        t.add_row(row);
    }
    out.heading("outcomes, cost and latency");
    out.table(t);
    out
}

fn opt(v: Option<f64>) -> Cell {
    v.map_or(Cell::new("-"), num)
}

fn pct(v: f64) -> Cell {
    Cell::new(super::summary::pct(v)).right()
}

/// Per-tag slices of every variant: tickets, accuracy and macro F1 on the primary field,
/// and the auto-routed share.
fn slice_table(report: &RunReport) -> Doc {
    let mut out = Doc::default();
    if report.variants.iter().all(|v| v.slices.is_empty()) {
        return out;
    }
    let field = super::summary::primary_field(report).map(|f| f.name.as_str());
    let mut t = TableModel::default();
    let acc = field.map_or("accuracy".to_string(), |f| format!("{f} accuracy"));
    t.set_header(vec![
        Cell::new("variant"),
        Cell::new("tag"),
        Cell::new("tickets"),
        Cell::new(acc),
        Cell::new("macro F1"),
        Cell::new("auto-routed"),
    ]);
    for v in &report.variants {
        for s in &v.slices {
            let label = field.and_then(|f| {
                s.fields
                    .iter()
                    .find(|x| x.field == f)
                    .and_then(|x| x.label.as_ref())
            });
            t.add_row(vec![
                Cell::new(&v.name),
                Cell::new(&s.tag),
                int(s.n),
                label.map_or(Cell::new("-"), |l| pct(l.accuracy)),
                label.map_or(Cell::new("-"), |l| num(l.macro_avg.f1)),
                s.routing
                    .as_ref()
                    .map_or(Cell::new("-"), |r| pct(r.auto.share)),
            ]);
        }
    }
    out.heading("per tag");
    out.table(t);
    out
}

/// Flag and multi-label fields: one comparison table each.
fn other_fields(report: &RunReport) -> Doc {
    let mut out = Doc::default();
    for field in report.fields.iter().filter(|f| f.kind != FieldKind::Label) {
        let vs: Vec<(&VariantReport, &crate::score::FieldReport)> = report
            .variants
            .iter()
            .filter_map(|v| v.field(&field.name).map(|f| (v, f)))
            .collect();
        if vs.is_empty() {
            continue;
        }
        let mut t = TableModel::default();
        let mut header = vec![Cell::new("")];
        header.extend(vs.iter().map(|(v, _)| Cell::new(&v.name)));
        t.set_header(header);
        let mut add = |name: &str, f: &dyn Fn(&crate::score::FieldReport) -> Cell| {
            let mut row = vec![Cell::new(name)];
            row.extend(vs.iter().map(|(_, fr)| f(fr)));
            t.add_row(row);
        };
        match field.kind {
            FieldKind::Flag => {
                out.heading(format!(
                    "{} (flag, {} tickets)",
                    field.name, report.n_tickets
                ));
                add("precision", &|f| {
                    f.flag.as_ref().map_or(Cell::new("-"), |x| num(x.precision))
                });
                add("recall", &|f| {
                    f.flag.as_ref().map_or(Cell::new("-"), |x| num(x.recall))
                });
                add("F1", &|f| {
                    f.flag.as_ref().map_or(Cell::new("-"), |x| num(x.f1))
                });
                add("accuracy", &|f| {
                    f.flag.as_ref().map_or(Cell::new("-"), |x| num(x.accuracy))
                });
                add("tp / fp / fn / tn", &|f| {
                    f.flag.as_ref().map_or(Cell::new("-"), |x| {
                        int(format!("{} / {} / {} / {}", x.tp, x.fp, x.fn_, x.tn))
                    })
                });
                add("invalid", &|f| {
                    f.flag.as_ref().map_or(Cell::new("-"), |x| int(x.invalid))
                });
            }
            FieldKind::Labels => {
                out.heading(format!(
                    "{} (multi-label, {} values, {} tickets)",
                    field.name,
                    field.values.len(),
                    report.n_tickets
                ));
                let m = |f: &crate::score::FieldReport| f.labels.clone();
                add("exact match", &|f| {
                    m(f).map_or(Cell::new("-"), |x| num(x.exact_match))
                });
                add("Jaccard (samples)", &|f| {
                    m(f).map_or(Cell::new("-"), |x| num(x.jaccard_samples))
                });
                add("micro F1", &|f| {
                    m(f).map_or(Cell::new("-"), |x| num(x.micro_avg.f1))
                });
                add("macro F1", &|f| {
                    m(f).map_or(Cell::new("-"), |x| num(x.macro_avg.f1))
                });
                add("Hamming loss", &|f| {
                    m(f).map_or(Cell::new("-"), |x| num(x.hamming_loss))
                });
                add("multi-intent detected", &|f| {
                    m(f).map_or(Cell::new("-"), |x| opt(x.multi_intent.predicted_multi_rate))
                });
                add("invalid", &|f| {
                    m(f).map_or(Cell::new("-"), |x| int(x.invalid))
                });
            }
            FieldKind::Label => {}
        }
        out.table(t);
    }
    out
}

/// Calibration and the routing policy, one column per variant that states a confidence.
fn confidence_tables(report: &RunReport) -> Doc {
    let mut out = Doc::default();
    let cal: Vec<(&VariantReport, &crate::metrics::CalibrationReport)> = report
        .variants
        .iter()
        .filter_map(|v| v.calibration.as_ref().map(|c| (v, c)))
        .collect();
    if !cal.is_empty() {
        out.heading("calibration of the stated confidence");
        let mut t = TableModel::default();
        let mut header = vec![Cell::new("")];
        header.extend(cal.iter().map(|(v, _)| Cell::new(&v.name)));
        t.set_header(header);
        type Row = (&'static str, fn(&crate::metrics::CalibrationReport) -> Cell);
        let rows: [Row; 7] = [
            ("ECE (equal width)", |c| num(c.ece)),
            ("ECE (equal mass)", |c| num(c.ece_equal_mass)),
            ("MCE", |c| num(c.mce)),
            ("Brier (top label)", |c| num(c.brier)),
            ("mean confidence", |c| num(c.mean_conf)),
            ("accuracy", |c| num(c.accuracy)),
            ("over-confidence", |c| num(c.overconfidence)),
        ];
        for (name, f) in rows {
            let mut row = vec![Cell::new(name)];
            row.extend(cal.iter().map(|(_, c)| f(c)));
            t.add_row(row);
        }
        let mut row = vec![Cell::new("tickets without confidence")];
        row.extend(cal.iter().map(|(_, c)| int(c.n_missing)));
        t.add_row(row);
        if cal.iter().any(|(v, _)| v.confidence_invalid > 0) {
            let mut row = vec![Cell::new("  of which outside [0, 1]")];
            row.extend(cal.iter().map(|(v, _)| int(v.confidence_invalid)));
            t.add_row(row);
        }
        out.table(t);
    }
    let routing: Vec<(&VariantReport, &crate::metrics::RoutingReport)> = report
        .variants
        .iter()
        .filter_map(|v| v.routing.as_ref().map(|r| (v, r)))
        .collect();
    if let Some((_, first)) = routing.first() {
        out.heading(format!(
            "routing policy (route at >= {}, clarify at >= {}, else a human)",
            first.policy.route_at, first.policy.clarify_at
        ));
        let mut t = TableModel::default();
        let mut header = vec![Cell::new("")];
        header.extend(routing.iter().map(|(v, _)| Cell::new(&v.name)));
        t.set_header(header);
        type Row = (&'static str, fn(&crate::metrics::RoutingReport) -> Cell);
        let rows: [Row; 9] = [
            ("auto-routed", |r| pct(r.auto.share)),
            ("  accuracy", |r| opt(r.auto.accuracy)),
            ("  misroutes", |r| int(r.misroutes)),
            ("clarify", |r| pct(r.clarify.share)),
            ("  accuracy", |r| opt(r.clarify.accuracy)),
            ("escalated to a human", |r| pct(r.escalate.share)),
            ("  accuracy", |r| opt(r.escalate.accuracy)),
            ("AURC", |r| opt(r.aurc)),
            ("lowest threshold for target", |r| {
                r.target.as_ref().map_or(Cell::new("none"), |t| {
                    Cell::new(format!(
                        "{:.3} ({:.1}% routed, acc {:.3})",
                        t.threshold,
                        t.coverage * 100.0,
                        t.accuracy
                    ))
                    .right()
                })
            }),
        ];
        for (name, f) in rows {
            let mut row = vec![Cell::new(name)];
            row.extend(routing.iter().map(|(_, r)| f(r)));
            t.add_row(row);
        }
        out.table(t);
    }
    out
}

/// Bootstrap intervals and the plain-language verdict of every pair.
fn comparison_lines(report: &RunReport) -> Doc {
    let mut out = Doc::default();
    for fc in &report.comparisons {
        if fc.report.variants.len() < 2 {
            continue;
        }
        out.heading(format!(
            "{}: accuracy and macro F1 with {:.0}% bootstrap intervals ({} resamples)",
            fc.field,
            fc.report.config.bootstrap.level * 100.0,
            fc.report.config.bootstrap.resamples
        ));
        let mut t = TableModel::default();
        let interval = format!("{:.0}% interval", fc.report.config.bootstrap.level * 100.0);
        t.set_header(vec![
            "variant",
            "accuracy",
            interval.as_str(),
            "macro F1",
            interval.as_str(),
        ]);
        for v in &fc.report.variants {
            let iv = |i: &crate::stats::Interval| {
                Cell::new(format!("[{}, {}]", fixed(i.lo, 4), fixed(i.hi, 4)))
            };
            let pct_iv = |i: &crate::stats::Interval| {
                Cell::new(format!(
                    "[{}, {}]",
                    super::summary::pct(i.lo),
                    super::summary::pct(i.hi)
                ))
            };
            t.add_row(vec![
                Cell::new(&v.name),
                pct(v.accuracy.estimate),
                pct_iv(&v.accuracy),
                v.macro_f1
                    .as_ref()
                    .map_or(Cell::new("-"), |m| num(m.estimate)),
                v.macro_f1.as_ref().map_or(Cell::new("-"), iv),
            ]);
        }
        out.table(t);
        out.list(
            fc.report
                .pairs
                .iter()
                .map(|p| {
                    let p_holm = p_value(p.p_holm);
                    let eq = if p_holm.starts_with('<') { "" } else { "= " };
                    format!(
                        "{} (McNemar b={}, c={}, Holm p {eq}{p_holm})",
                        p.verdict, p.mcnemar.b, p.mcnemar.c
                    )
                })
                .collect(),
        );
    }
    out
}

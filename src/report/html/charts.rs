//! The report's charts: plotters lays each out on an [`SvgCanvas`] and every data mark
//! carries its numbers (`data-count`, `data-value`, ...) for the tests and a `<title>` for
//! the reader. Pure: report data in, an `<svg>` string out.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::svg::{Mark, Marks, SvgCanvas};
use crate::metrics::{CalibrationReport, RoutingReport, SingleLabelReport};

/// A chart, or why it could not be drawn.
pub type Chart = Result<String, Box<dyn std::error::Error>>;

/// One colour per variant (Okabe-Ito, readable with colour-blindness), in variant order.
pub const PALETTE: [RGBColor; 7] = [
    RGBColor(0x00, 0x72, 0xB2),
    RGBColor(0xE6, 0x9F, 0x00),
    RGBColor(0x00, 0x9E, 0x73),
    RGBColor(0xCC, 0x79, 0xA7),
    RGBColor(0x56, 0xB4, 0xE9),
    RGBColor(0xD5, 0x5E, 0x00),
    RGBColor(0x99, 0x99, 0x99),
];

/// The colour of the `i`-th variant.
pub fn variant_color(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

/// The colour as `#rrggbb`, for legends drawn in HTML.
pub fn hex(c: RGBColor) -> String {
    format!("#{:02x}{:02x}{:02x}", c.0, c.1, c.2)
}

pub(super) const RIGHT: RGBColor = RGBColor(0x00, 0x9E, 0x73);
pub(super) const WRONG: RGBColor = RGBColor(0xD5, 0x5E, 0x00);
pub(super) const GRID: RGBColor = RGBColor(0xE6, 0xE6, 0xE6);
pub(super) const INK: RGBColor = RGBColor(0x33, 0x33, 0x33);
pub(super) const FONT: &str = "sans-serif";

pub(super) fn canvas(w: u32, h: u32) -> (DrawingArea<SvgCanvas, Shift>, Marks) {
    let (c, marks) = SvgCanvas::new(w, h);
    (c.into_drawing_area(), marks)
}

pub(super) fn finish(root: DrawingArea<SvgCanvas, Shift>, marks: &Marks, label: &str) -> Chart {
    let size = root.dim_in_pixel();
    root.present()?;
    drop(root);
    Ok(SvgCanvas::finish(marks, size, label))
}

/// Shortens a label for an axis; the full name stays in the tooltip.
pub(super) fn short(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(n.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

/// Per-category F1 of every variant as horizontal grouped bars, one group per class in
/// `classes` (already chosen and ordered by the caller).
pub fn f1_bars(
    field: &str,
    names: &[String],
    variants: &[(usize, &str, &SingleLabelReport)],
    classes: &[usize],
) -> Chart {
    let nv = variants.len().max(1);
    let group = (nv as u32 * 9 + 6).max(16);
    let h = 50 + group * classes.len() as u32;
    let (root, marks) = canvas(680, h);
    let n = classes.len() as f64;
    let mut chart = ChartBuilder::on(&root)
        .margin(8)
        .margin_left(4)
        .x_label_area_size(28)
        .y_label_area_size(200)
        .build_cartesian_2d(0f64..1f64, n..0f64)?;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .light_line_style(TRANSPARENT)
        .bold_line_style(GRID)
        .x_labels(6)
        .x_label_formatter(&|v| format!("{v:.1}"))
        .y_labels(0)
        .y_label_formatter(&|_| String::new())
        .x_desc(format!("F1 ({field})"))
        .label_style((FONT, 12))
        .draw()?;
    let band = 0.8 / nv as f64;
    for (row, &ci) in classes.iter().enumerate() {
        let y0 = row as f64 + 0.1;
        for (slot, (vi, vname, rep)) in variants.iter().enumerate() {
            let c = &rep.per_class[ci];
            marks.next(
                Mark::new("f1-bar")
                    .attr("variant", vname)
                    .attr("class", &names[ci])
                    .attr("value", format!("{:.6}", c.f1))
                    .attr("precision", format!("{:.6}", c.precision))
                    .attr("recall", format!("{:.6}", c.recall))
                    .attr("support", c.support)
                    .title(format!(
                        "{}: {vname}: F1 {:.3}, precision {:.3}, recall {:.3}, support {}",
                        names[ci], c.f1, c.precision, c.recall, c.support
                    )),
            );
            let y = y0 + slot as f64 * band;
            chart.draw_series(std::iter::once(Rectangle::new(
                [(0.0, y), (c.f1.max(0.002), y + band * 0.9)],
                variant_color(*vi).filled(),
            )))?;
        }
        let (_, py) = chart.backend_coord(&(0.0, row as f64 + 0.5));
        let (px, _) = chart.backend_coord(&(0.0, 0.0));
        root.draw(&Text::new(
            short(&names[ci], 30),
            (px - 6, py),
            (FONT, 12)
                .into_font()
                .color(&INK)
                .pos(Pos::new(HPos::Right, VPos::Center)),
        ))?;
    }
    finish(root, &marks, &format!("F1 per category of {field}"))
}

/// What a heatmap shows: a square of the most confused classes plus "other" and "invalid".
pub struct HeatmapView {
    /// Shown rows/columns: class indices, then `None` for "(other)" when classes are hidden.
    pub axis: Vec<Option<usize>>,
    /// Whether the "(invalid)" column is shown.
    pub invalid: bool,
    /// Classes not shown one by one.
    pub hidden: usize,
}

/// Picks the `top_k` classes most involved in confusions (off-diagonal row + column sums,
/// invalid outputs included) of a K x (K+1) confusion matrix.
pub fn heatmap_view(confusion: &[Vec<u64>], top_k: usize) -> HeatmapView {
    let k = confusion.len();
    let invalid = confusion.iter().any(|r| r.get(k).copied().unwrap_or(0) > 0);
    if k <= top_k {
        return HeatmapView {
            axis: (0..k).map(Some).collect(),
            invalid,
            hidden: 0,
        };
    }
    let mut score = vec![0u64; k];
    for (g, row) in confusion.iter().enumerate() {
        for (p, &c) in row.iter().enumerate() {
            if p != g {
                score[g] += c;
                if p < k {
                    score[p] += c;
                }
            }
        }
    }
    let mut order: Vec<usize> = (0..k).collect();
    order.sort_by(|a, b| score[*b].cmp(&score[*a]).then(a.cmp(b)));
    let mut shown: Vec<usize> = order[..top_k].to_vec();
    shown.sort_unstable();
    let mut axis: Vec<Option<usize>> = shown.into_iter().map(Some).collect();
    axis.push(None);
    HeatmapView {
        axis,
        invalid,
        hidden: k - top_k,
    }
}

/// The count of a heatmap cell: a gold row (class or "other") and a predicted column
/// (class, "other", or invalid when `pred` is `k`).
pub fn heatmap_count(
    confusion: &[Vec<u64>],
    view: &HeatmapView,
    gold: Option<usize>,
    pred: Option<usize>,
) -> u64 {
    let k = confusion.len();
    let shown: Vec<usize> = view.axis.iter().flatten().copied().collect();
    let rows: Vec<usize> = match gold {
        Some(g) => vec![g],
        None => (0..k).filter(|g| !shown.contains(g)).collect(),
    };
    let cols: Vec<usize> = match pred {
        Some(p) => vec![p],
        None => (0..k).filter(|p| !shown.contains(p)).collect(),
    };
    rows.iter()
        .map(|&g| cols.iter().map(|&p| confusion[g][p]).sum::<u64>())
        .sum()
}

/// A confusion heatmap: rows gold, columns predicted; one cell per non-zero shown pair.
/// Diagonal cells are green, confusions orange, shaded by their share of the gold row.
pub fn heatmap(variant: &str, names: &[String], rep: &SingleLabelReport, top_k: usize) -> Chart {
    let k = rep.confusion.len();
    let view = heatmap_view(&rep.confusion, top_k);
    let mut cols: Vec<Option<usize>> = view.axis.clone();
    if view.invalid {
        cols.push(Some(k));
    }
    let rows = &view.axis;
    let label = |c: Option<usize>| match c {
        Some(i) if i == k => "(invalid)".to_string(),
        Some(i) => names[i].clone(),
        None => format!("(other {} classes)", view.hidden),
    };
    let cell = 30u32;
    let left = 170u32;
    let top = 150u32;
    let (w, h) = (
        left + cell * cols.len() as u32 + 10,
        top + cell * rows.len() as u32 + 10,
    );
    let (root, marks) = canvas(w, h);
    let row_totals: Vec<u64> = rows
        .iter()
        .map(|&g| {
            cols.iter()
                .map(|&p| heatmap_count(&rep.confusion, &view, g, p))
                .sum()
        })
        .collect();
    let max_off = rows
        .iter()
        .enumerate()
        .flat_map(|(ri, &g)| {
            let row_totals = &row_totals;
            let view = &view;
            cols.iter().filter_map(move |&p| {
                let c = heatmap_count(&rep.confusion, view, g, p);
                (g.is_none() || g != p).then(|| c as f64 / row_totals[ri].max(1) as f64)
            })
        })
        .fold(0.0f64, f64::max)
        .max(1e-9);
    for (ri, &g) in rows.iter().enumerate() {
        let y = (top + cell * ri as u32) as i32;
        root.draw(&Text::new(
            short(&label(g), 26),
            (left as i32 - 6, y + cell as i32 / 2),
            (FONT, 11)
                .into_font()
                .color(&INK)
                .pos(Pos::new(HPos::Right, VPos::Center)),
        ))?;
        for (ci, &p) in cols.iter().enumerate() {
            let count = heatmap_count(&rep.confusion, &view, g, p);
            if count == 0 {
                continue;
            }
            let x = (left + cell * ci as u32) as i32;
            let share = count as f64 / row_totals[ri].max(1) as f64;
            let diagonal = g.is_some() && g == p;
            let (base, t) = if diagonal {
                (RIGHT, 0.15 + 0.85 * share)
            } else {
                (WRONG, 0.15 + 0.85 * (share / max_off).min(1.0))
            };
            marks.next(
                Mark::new("heat-cell")
                    .attr("variant", variant)
                    .attr("gold", label(g))
                    .attr("pred", label(p))
                    .attr("count", count)
                    .attr("value", format!("{share:.6}"))
                    .title(format!(
                        "gold {} → predicted {}: {count} ({:.1}% of the row)",
                        label(g),
                        label(p),
                        share * 100.0
                    )),
            );
            root.draw(&Rectangle::new(
                [(x + 1, y + 1), (x + cell as i32 - 1, y + cell as i32 - 1)],
                base.mix(t).filled(),
            ))?;
            let ink = if t > 0.6 { &WHITE } else { &INK };
            root.draw(&Text::new(
                compact(count),
                (x + cell as i32 / 2, y + cell as i32 / 2),
                (FONT, 10)
                    .into_font()
                    .color(ink)
                    .pos(Pos::new(HPos::Center, VPos::Center)),
            ))?;
        }
    }
    for (ci, &p) in cols.iter().enumerate() {
        let x = (left + cell * ci as u32) as i32 + cell as i32 / 2;
        root.draw(&Text::new(
            short(&label(p), 24),
            (x, top as i32 - 6),
            (FONT, 11)
                .into_font()
                .color(&INK)
                .transform(FontTransform::Rotate270)
                .pos(Pos::new(HPos::Left, VPos::Center)),
        ))?;
    }
    root.draw(&Text::new(
        "predicted →",
        (left as i32, 12),
        (FONT, 12).into_font().color(&INK),
    ))?;
    root.draw(&Text::new(
        "gold ↓",
        (8, top as i32 - 8),
        (FONT, 12).into_font().color(&INK),
    ))?;
    finish(
        root,
        &marks,
        &format!("Confusion matrix of {variant}: gold rows, predicted columns"),
    )
}

/// 1234 -> "1234", 12345 -> "12k", for cell labels.
fn compact(n: u64) -> String {
    match n {
        0..=9_999 => n.to_string(),
        10_000..=999_999 => format!("{}k", n / 1000),
        _ => format!("{:.1}M", n as f64 / 1e6),
    }
}

/// A reliability diagram: one bar per non-empty bin at its accuracy, its count above it,
/// the diagonal of perfect calibration, the ECE in the title.
pub fn reliability(vi: usize, variant: &str, cal: &CalibrationReport) -> Chart {
    let (root, marks) = canvas(420, 340);
    let title = format!("{variant}: ECE {:.3}", cal.ece);
    let mut chart = ChartBuilder::on(&root)
        .caption(&title, (FONT, 15).into_font().color(&INK))
        .margin(10)
        .x_label_area_size(34)
        .y_label_area_size(40)
        .build_cartesian_2d(0f64..1f64, 0f64..1.08f64)?;
    chart
        .configure_mesh()
        .light_line_style(TRANSPARENT)
        .bold_line_style(GRID)
        .x_labels(6)
        .y_labels(6)
        .x_label_formatter(&|v| format!("{v:.1}"))
        .y_label_formatter(&|v| format!("{v:.1}"))
        .x_desc("stated confidence")
        .y_desc("accuracy")
        .label_style((FONT, 11))
        .draw()?;
    for b in cal.reliability.iter().filter(|b| b.count > 0) {
        let acc = b.accuracy.unwrap_or(0.0);
        let w = b.hi - b.lo;
        marks.next(
            Mark::new("rel-bar")
                .attr("variant", variant)
                .attr("lo", b.lo)
                .attr("hi", b.hi)
                .attr("count", b.count)
                .attr("value", format!("{acc:.6}"))
                .attr("conf", format!("{:.6}", b.mean_conf.unwrap_or(0.0)))
                .title(format!(
                    "confidence {:.2}–{:.2}: {} tickets, accuracy {acc:.3}, mean confidence {:.3}",
                    b.lo,
                    b.hi,
                    b.count,
                    b.mean_conf.unwrap_or(0.0)
                )),
        );
        chart.draw_series(std::iter::once(Rectangle::new(
            [(b.lo + w * 0.06, 0.0), (b.hi - w * 0.06, acc)],
            variant_color(vi).mix(0.85).filled(),
        )))?;
        let (x, y) = chart.backend_coord(&((b.lo + b.hi) / 2.0, acc));
        root.draw(&Text::new(
            compact(b.count),
            (x, y - 3),
            (FONT, 9)
                .into_font()
                .color(&INK)
                .pos(Pos::new(HPos::Center, VPos::Bottom)),
        ))?;
    }
    marks.next(Mark::new("diagonal").title("perfect calibration"));
    chart.draw_series(LineSeries::new(
        vec![(0.0, 0.0), (1.0, 1.0)],
        INK.mix(0.6).stroke_width(1),
    ))?;
    finish(root, &marks, &format!("Reliability diagram of {title}"))
}

/// The confidence histogram of right and wrong answers over the calibration bins.
pub fn confidence_histogram(variant: &str, cal: &CalibrationReport) -> Chart {
    let (root, marks) = canvas(420, 300);
    let split: Vec<(f64, f64, u64, u64)> = cal
        .reliability
        .iter()
        .map(|b| {
            let right = (b.accuracy.unwrap_or(0.0) * b.count as f64).round() as u64;
            (b.lo, b.hi, right, b.count - right)
        })
        .collect();
    let max = split.iter().map(|s| s.2.max(s.3)).max().unwrap_or(1).max(1) as f64;
    let mut chart = ChartBuilder::on(&root)
        .caption(
            format!("{variant}: confidence of right and wrong answers"),
            (FONT, 14).into_font().color(&INK),
        )
        .margin(10)
        .x_label_area_size(34)
        .y_label_area_size(46)
        .build_cartesian_2d(0f64..1f64, 0f64..max * 1.08)?;
    chart
        .configure_mesh()
        .light_line_style(TRANSPARENT)
        .bold_line_style(GRID)
        .x_labels(6)
        .y_labels(5)
        .x_label_formatter(&|v| format!("{v:.1}"))
        .y_label_formatter(&|v| compact(v.round() as u64))
        .x_desc("stated confidence")
        .y_desc("tickets")
        .label_style((FONT, 11))
        .draw()?;
    for &(lo, hi, right, wrong) in &split {
        let w = hi - lo;
        for (kind, count, x0, x1, color) in [
            ("right", right, lo + w * 0.06, lo + w / 2.0, RIGHT),
            ("wrong", wrong, lo + w / 2.0, hi - w * 0.06, WRONG),
        ] {
            if count == 0 {
                continue;
            }
            marks.next(
                Mark::new("hist-bar")
                    .attr("variant", variant)
                    .attr("kind", kind)
                    .attr("lo", lo)
                    .attr("hi", hi)
                    .attr("count", count)
                    .title(format!("confidence {lo:.2}–{hi:.2}: {count} {kind}")),
            );
            chart.draw_series(std::iter::once(Rectangle::new(
                [(x0, 0.0), (x1, count as f64)],
                color.filled(),
            )))?;
        }
    }
    finish(
        root,
        &marks,
        &format!("Confidence histogram of right and wrong answers of {variant}"),
    )
}

/// A point where the routing policy sits on a variant's risk-coverage curve.
#[derive(Debug, Clone)]
pub struct PolicyPoint {
    pub kind: &'static str,
    pub threshold: f64,
    pub coverage: f64,
    pub risk: f64,
}

/// Where the route, clarify and target-accuracy thresholds sit on the curve.
pub fn policy_points(r: &RoutingReport) -> Vec<PolicyPoint> {
    let mut out = Vec::new();
    if let Some(acc) = r.auto.accuracy {
        out.push(PolicyPoint {
            kind: "route",
            threshold: r.policy.route_at,
            coverage: r.auto.share,
            risk: 1.0 - acc,
        });
    }
    let n = r.auto.count + r.clarify.count;
    if n > 0 && r.clarify.count > 0 {
        let right = r.auto.accuracy.unwrap_or(0.0) * r.auto.count as f64
            + r.clarify.accuracy.unwrap_or(0.0) * r.clarify.count as f64;
        out.push(PolicyPoint {
            kind: "clarify",
            threshold: r.policy.clarify_at,
            coverage: r.auto.share + r.clarify.share,
            risk: 1.0 - right / n as f64,
        });
    }
    if let Some(t) = &r.target {
        out.push(PolicyPoint {
            kind: "target",
            threshold: t.threshold,
            coverage: t.coverage,
            risk: 1.0 - t.accuracy,
        });
    }
    out
}

/// Risk (error rate among answered) against coverage (share answered) for every variant,
/// with the route / clarify / target thresholds marked and the target risk as a line.
pub fn risk_coverage(variants: &[(usize, &str, &RoutingReport)]) -> Chart {
    let (root, marks) = canvas(680, 380);
    let max_risk = variants
        .iter()
        .flat_map(|(_, _, r)| r.risk_coverage.iter().map(|p| p.risk))
        .fold(0.0f64, f64::max)
        .max(0.02);
    let target = variants.first().map(|(_, _, r)| r.policy.target_accuracy);
    let mut chart = ChartBuilder::on(&root)
        .caption(
            "Risk–coverage: error rate of the tickets routed automatically",
            (FONT, 14).into_font().color(&INK),
        )
        .margin(10)
        .x_label_area_size(34)
        .y_label_area_size(48)
        .build_cartesian_2d(0f64..1f64, 0f64..max_risk * 1.1)?;
    chart
        .configure_mesh()
        .light_line_style(TRANSPARENT)
        .bold_line_style(GRID)
        .x_labels(6)
        .y_labels(6)
        .x_label_formatter(&|v| format!("{:.0}%", v * 100.0))
        .y_label_formatter(&|v| format!("{:.1}%", v * 100.0))
        .x_desc("coverage (share routed automatically)")
        .y_desc("risk (error rate)")
        .label_style((FONT, 11))
        .draw()?;
    if let Some(t) = target {
        let risk = 1.0 - t;
        if risk <= max_risk * 1.1 {
            marks.next(
                Mark::new("target-line")
                    .attr("value", format!("{risk:.6}"))
                    .title(format!("target accuracy {t}: risk {:.1}%", risk * 100.0)),
            );
            chart.draw_series(LineSeries::new(
                vec![(0.0, risk), (1.0, risk)],
                INK.mix(0.5).stroke_width(1),
            ))?;
        }
    }
    for (vi, name, r) in variants {
        marks.next(
            Mark::new("rc-curve")
                .attr("variant", name)
                .attr("count", r.risk_coverage.len())
                .attr("value", r.aurc.map_or(String::new(), |a| format!("{a:.6}")))
                .title(format!(
                    "{name}: AURC {}",
                    r.aurc.map_or("-".into(), |a| format!("{a:.4}"))
                )),
        );
        chart.draw_series(LineSeries::new(
            r.risk_coverage.iter().map(|p| (p.coverage, p.risk)),
            variant_color(*vi).stroke_width(2),
        ))?;
        for p in policy_points(r) {
            marks.next(
                Mark::new("rc-point")
                    .attr("variant", name)
                    .attr("kind", p.kind)
                    .attr("threshold", p.threshold)
                    .attr("coverage", format!("{:.6}", p.coverage))
                    .attr("value", format!("{:.6}", p.risk))
                    .title(format!(
                        "{name}: {} threshold {:.3}: {:.1}% routed, risk {:.2}%",
                        p.kind,
                        p.threshold,
                        p.coverage * 100.0,
                        p.risk * 100.0
                    )),
            );
            let style = match p.kind {
                "route" => variant_color(*vi).filled(),
                "clarify" => WHITE.filled(),
                _ => INK.filled(),
            };
            chart.draw_series(std::iter::once(Circle::new((p.coverage, p.risk), 5, style)))?;
            chart.draw_series(std::iter::once(Circle::new(
                (p.coverage, p.risk),
                5,
                variant_color(*vi).stroke_width(2),
            )))?;
            let (x, y) = chart.backend_coord(&(p.coverage, p.risk));
            root.draw(&Text::new(
                p.kind,
                (x + 7, y - 7),
                (FONT, 10).into_font().color(&INK),
            ))?;
        }
    }
    finish(
        root,
        &marks,
        "Risk-coverage curves with the routing thresholds",
    )
}

/// Band shares (auto-routed, clarify, a human) as one stacked bar per variant.
pub fn bands(variants: &[(usize, &str, &RoutingReport)]) -> Chart {
    let h = 40 + 34 * variants.len() as u32 + 30;
    let (root, marks) = canvas(680, h);
    let n = variants.len() as f64;
    let mut chart = ChartBuilder::on(&root)
        .margin(8)
        .x_label_area_size(26)
        .y_label_area_size(150)
        .build_cartesian_2d(0f64..1f64, n..0f64)?;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .light_line_style(TRANSPARENT)
        .bold_line_style(GRID)
        .x_labels(6)
        .x_label_formatter(&|v| format!("{:.0}%", v * 100.0))
        .y_labels(0)
        .y_label_formatter(&|_| String::new())
        .label_style((FONT, 11))
        .draw()?;
    let colors = [
        ("auto", RGBColor(0x00, 0x72, 0xB2)),
        ("clarify", RGBColor(0xE6, 0x9F, 0x00)),
        ("human", RGBColor(0x99, 0x99, 0x99)),
    ];
    for (row, (_, name, r)) in variants.iter().enumerate() {
        let y = row as f64;
        let mut x = 0.0;
        for ((kind, color), band) in colors.iter().zip([&r.auto, &r.clarify, &r.escalate]) {
            if band.count > 0 {
                marks.next(
                    Mark::new("band")
                        .attr("variant", name)
                        .attr("kind", kind)
                        .attr("count", band.count)
                        .attr("value", format!("{:.6}", band.share))
                        .title(format!(
                            "{name}: {kind}: {} tickets ({:.1}%), accuracy {}",
                            band.count,
                            band.share * 100.0,
                            band.accuracy.map_or("-".into(), |a| format!("{a:.3}"))
                        )),
                );
                chart.draw_series(std::iter::once(Rectangle::new(
                    [(x, y + 0.18), (x + band.share, y + 0.82)],
                    color.filled(),
                )))?;
                if band.share >= 0.08 {
                    let (px, py) = chart.backend_coord(&(x + band.share / 2.0, y + 0.5));
                    root.draw(&Text::new(
                        format!("{:.0}%", band.share * 100.0),
                        (px, py),
                        (FONT, 11)
                            .into_font()
                            .color(&WHITE)
                            .pos(Pos::new(HPos::Center, VPos::Center)),
                    ))?;
                }
            }
            x += band.share;
        }
        let (px, py) = chart.backend_coord(&(0.0, y + 0.5));
        root.draw(&Text::new(
            short(name, 22),
            (px - 6, py),
            (FONT, 12)
                .into_font()
                .color(&INK)
                .pos(Pos::new(HPos::Right, VPos::Center)),
        ))?;
    }
    finish(
        root,
        &marks,
        "Share of tickets routed automatically, sent to clarify, and escalated to a human",
    )
}

/// One paired comparison: the difference in accuracy of `a` minus `b` and its interval.
pub struct PairInterval<'a> {
    pub a: &'a str,
    pub b: &'a str,
    pub estimate: f64,
    pub lo: f64,
    pub hi: f64,
    pub significant: bool,
}

/// A forest plot of paired accuracy differences with their intervals and the zero line.
pub fn pair_intervals(field: &str, level: f64, pairs: &[PairInterval]) -> Chart {
    let h = 50 + 30 * pairs.len() as u32 + 20;
    let (root, marks) = canvas(680, h);
    let span = pairs
        .iter()
        .flat_map(|p| [p.lo.abs(), p.hi.abs()])
        .fold(0.01f64, f64::max)
        * 1.15;
    let n = pairs.len() as f64;
    let mut chart = ChartBuilder::on(&root)
        .margin(8)
        .x_label_area_size(34)
        .y_label_area_size(200)
        .build_cartesian_2d(-span..span, n..0f64)?;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .light_line_style(TRANSPARENT)
        .bold_line_style(GRID)
        .x_labels(7)
        .x_label_formatter(&|v| format!("{:+.1}", v * 100.0))
        .y_labels(0)
        .y_label_formatter(&|_| String::new())
        .x_desc(format!(
            "difference in {field} accuracy, points ({:.0}% interval)",
            level * 100.0
        ))
        .label_style((FONT, 11))
        .draw()?;
    chart.draw_series(LineSeries::new(
        vec![(0.0, 0.0), (0.0, n)],
        INK.mix(0.6).stroke_width(1),
    ))?;
    for (row, p) in pairs.iter().enumerate() {
        let y = row as f64 + 0.5;
        let color = if p.significant { WRONG } else { INK };
        marks.next(
            Mark::new("pair-interval")
                .attr("a", p.a)
                .attr("b", p.b)
                .attr("value", format!("{:.6}", p.estimate))
                .attr("lo", format!("{:.6}", p.lo))
                .attr("hi", format!("{:.6}", p.hi))
                .title(format!(
                    "{} − {}: {:+.2} points [{:+.2}, {:+.2}]",
                    p.a,
                    p.b,
                    p.estimate * 100.0,
                    p.lo * 100.0,
                    p.hi * 100.0
                )),
        );
        chart.draw_series(LineSeries::new(
            vec![(p.lo, y), (p.hi, y)],
            color.stroke_width(3),
        ))?;
        chart.draw_series(std::iter::once(Circle::new(
            (p.estimate, y),
            5,
            color.filled(),
        )))?;
        let (px, py) = chart.backend_coord(&(-span, y));
        root.draw(&Text::new(
            short(&format!("{} − {}", p.a, p.b), 32),
            (px - 6, py),
            (FONT, 12)
                .into_font()
                .color(&INK)
                .pos(Pos::new(HPos::Right, VPos::Center)),
        ))?;
    }
    finish(
        root,
        &marks,
        &format!("Paired differences in {field} accuracy with intervals"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heatmap_view_counts_every_ticket_once() {
        // 4 classes, top 2: the rest go to "other"; the cells add up to every ticket.
        let m = vec![
            vec![5, 3, 0, 0, 1],
            vec![2, 6, 0, 0, 0],
            vec![0, 0, 4, 1, 0],
            vec![0, 0, 0, 7, 0],
        ];
        let v = heatmap_view(&m, 2);
        assert_eq!(v.axis, vec![Some(0), Some(1), None]);
        assert!(v.invalid);
        assert_eq!(v.hidden, 2);
        let mut cols = v.axis.clone();
        cols.push(Some(4));
        let total: u64 = v
            .axis
            .iter()
            .flat_map(|&g| cols.iter().map(move |&p| (g, p)))
            .map(|(g, p)| heatmap_count(&m, &v, g, p))
            .sum();
        assert_eq!(total, m.iter().flatten().sum::<u64>());
        assert_eq!(heatmap_count(&m, &v, None, None), 12);
        assert_eq!(heatmap_count(&m, &v, Some(0), Some(4)), 1);
    }
}

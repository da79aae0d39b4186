//! The routing charts: the risk-coverage curves with the policy's thresholds marked, and the
//! band shares (auto-routed, clarify, a human) per variant.

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::{canvas, finish, short, variant_color, Chart, FONT, GRID, INK};
use crate::metrics::RoutingReport;
use crate::report::html::svg::Mark;

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

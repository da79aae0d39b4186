//! The calibration charts of one variant: the reliability diagram and the confidence
//! histogram of right and wrong answers.

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::{canvas, compact, finish, variant_color, Chart, FONT, GRID, INK, RIGHT, WRONG};
use crate::metrics::CalibrationReport;
use crate::report::html::svg::Mark;

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

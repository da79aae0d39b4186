//! The report's charts: plotters lays each out on an [`SvgCanvas`] and every data mark
//! carries its numbers (`data-count`, `data-value`, ...) for the tests and a `<title>` for
//! the reader. Pure: report data in, an `<svg>` string out.

mod calibration;
mod heatmap;
mod routing;
#[cfg(test)]
mod tests;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::svg::{Mark, Marks, SvgCanvas};
use crate::metrics::SingleLabelReport;
pub use calibration::{confidence_histogram, reliability};
pub use heatmap::{heatmap, heatmap_count, heatmap_view, HeatmapView};
pub use routing::{bands, policy_points, risk_coverage, PolicyPoint};

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
/// 1234 -> "1234", 12345 -> "12k", for cell labels.
pub(super) fn compact(n: u64) -> String {
    match n {
        0..=9_999 => n.to_string(),
        10_000..=999_999 => format!("{}k", n / 1000),
        _ => format!("{:.1}M", n as f64 / 1e6),
    }
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

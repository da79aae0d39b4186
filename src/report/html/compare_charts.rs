//! The charts of the comparison page ([`super::compare`]): the paired differences with their
//! intervals (a forest plot) and the largest cells of the confusion-matrix change (diverging
//! bars). Drawn by plotters on the report's [`super::svg::SvgCanvas`], every mark carrying
//! its numbers (`data-value`, `data-lo`, `data-hi`, ...) as the run report's charts do.

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::charts::{canvas, finish, short, Chart, FONT, GRID, INK, RIGHT, WRONG};
use super::svg::Mark;
use crate::compare::CellDelta;

/// Whether a change is an improvement, a regression, or not established.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    Better,
    Worse,
    Unclear,
}

impl Direction {
    /// From a change, whether higher is better, and whether the change is established (a
    /// test or an interval that excludes zero).
    pub fn of(diff: f64, higher_is_better: bool, established: bool) -> Direction {
        if !established || diff == 0.0 {
            Direction::Unclear
        } else if (diff > 0.0) == higher_is_better {
            Direction::Better
        } else {
            Direction::Worse
        }
    }

    fn color(self) -> RGBColor {
        match self {
            Direction::Better => RIGHT,
            Direction::Worse => WRONG,
            Direction::Unclear => INK,
        }
    }
}

/// An axis tick with its sign (`+5`, `−5`), and `0` rather than `+0` or `-0.0`.
fn tick(v: f64, digits: usize) -> String {
    let s = format!("{:.digits$}", v.abs());
    if s.chars().all(|c| c == '0' || c == '.') {
        "0".into()
    } else if v < 0.0 {
        format!("−{s}")
    } else {
        format!("+{s}")
    }
}

/// One row of the forest plot: the change of a rate (0..1), candidate − baseline.
pub struct DeltaInterval<'a> {
    pub field: &'a str,
    pub metric: &'a str,
    pub estimate: f64,
    pub lo: f64,
    pub hi: f64,
    pub direction: Direction,
}

/// Paired differences (candidate − baseline, in points) with their intervals and the zero
/// line; green where the candidate is better, orange where it is worse, grey where the data
/// do not tell.
pub fn delta_intervals(title: &str, level: f64, rows: &[DeltaInterval]) -> Chart {
    let h = 50 + 30 * rows.len() as u32 + 20;
    let (root, marks) = canvas(640, h);
    let span = rows
        .iter()
        .flat_map(|r| [r.lo.abs(), r.hi.abs(), r.estimate.abs()])
        .fold(0.01f64, f64::max)
        * 1.15;
    let n = rows.len() as f64;
    let mut chart = ChartBuilder::on(&root)
        .margin(8)
        .x_label_area_size(34)
        .y_label_area_size(170)
        .build_cartesian_2d(-span..span, n..0f64)?;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .light_line_style(TRANSPARENT)
        .bold_line_style(GRID)
        .x_labels(7)
        .x_label_formatter(&|v| tick(*v * 100.0, 1))
        .y_labels(0)
        .y_label_formatter(&|_| String::new())
        .x_desc(format!(
            "change, candidate − baseline, points ({:.0}% interval)",
            level * 100.0
        ))
        .label_style((FONT, 11))
        .draw()?;
    chart.draw_series(LineSeries::new(
        vec![(0.0, 0.0), (0.0, n)],
        INK.mix(0.6).stroke_width(1),
    ))?;
    for (row, r) in rows.iter().enumerate() {
        let y = row as f64 + 0.5;
        let color = r.direction.color();
        marks.next(
            Mark::new("diff-interval")
                .attr("field", r.field)
                .attr("metric", r.metric)
                .attr("value", format!("{:.6}", r.estimate))
                .attr("lo", format!("{:.6}", r.lo))
                .attr("hi", format!("{:.6}", r.hi))
                .attr(
                    "direction",
                    match r.direction {
                        Direction::Better => "better",
                        Direction::Worse => "worse",
                        Direction::Unclear => "unclear",
                    },
                )
                .title(format!(
                    "{} {}: {:+.2} points [{:+.2}, {:+.2}]",
                    r.field,
                    r.metric,
                    r.estimate * 100.0,
                    r.lo * 100.0,
                    r.hi * 100.0
                )),
        );
        // A zero-width interval is still drawn as a short tick.
        let (lo, hi) = if r.hi - r.lo < span * 0.004 {
            (r.estimate - span * 0.002, r.estimate + span * 0.002)
        } else {
            (r.lo, r.hi)
        };
        chart.draw_series(LineSeries::new(
            vec![(lo, y), (hi, y)],
            color.stroke_width(3),
        ))?;
        chart.draw_series(std::iter::once(Circle::new(
            (r.estimate, y),
            5,
            color.filled(),
        )))?;
        let (px, py) = chart.backend_coord(&(-span, y));
        root.draw(&Text::new(
            short(&format!("{} {}", r.field, r.metric), 28),
            (px - 6, py),
            (FONT, 12)
                .into_font()
                .color(&INK)
                .pos(Pos::new(HPos::Right, VPos::Center)),
        ))?;
    }
    finish(root, &marks, title)
}

/// The largest cells of candidate − baseline confusion counts as diverging bars. A gain on
/// the diagonal (more right answers) or a loss off it is green; the reverse is orange.
pub fn confusion_delta(field: &str, cells: &[CellDelta]) -> Chart {
    let h = 50 + 24 * cells.len() as u32 + 10;
    let (root, marks) = canvas(640, h);
    let span = cells
        .iter()
        .map(|c| c.diff.unsigned_abs() as f64)
        .fold(1.0f64, f64::max)
        * 1.15;
    let n = cells.len() as f64;
    let mut chart = ChartBuilder::on(&root)
        .margin(8)
        .x_label_area_size(34)
        .y_label_area_size(230)
        .build_cartesian_2d(-span..span, n..0f64)?;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .light_line_style(TRANSPARENT)
        .bold_line_style(GRID)
        .x_labels(7)
        .x_label_formatter(&|v| tick(*v, 0))
        .y_labels(0)
        .y_label_formatter(&|_| String::new())
        .x_desc(format!("tickets, candidate − baseline ({field})"))
        .label_style((FONT, 11))
        .draw()?;
    chart.draw_series(LineSeries::new(
        vec![(0.0, 0.0), (0.0, n)],
        INK.mix(0.6).stroke_width(1),
    ))?;
    for (row, c) in cells.iter().enumerate() {
        let pred = c.predicted.as_deref().unwrap_or("(invalid)");
        let diagonal = c.predicted.as_deref() == Some(c.gold.as_str());
        let good = (c.diff > 0) == diagonal;
        marks.next(
            Mark::new("delta-cell")
                .attr("field", field)
                .attr("gold", &c.gold)
                .attr("pred", pred)
                .attr("value", c.diff)
                .attr("baseline", c.baseline)
                .attr("candidate", c.candidate)
                .title(format!(
                    "gold {} → {pred}: {} → {} ({:+})",
                    c.gold, c.baseline, c.candidate, c.diff
                )),
        );
        let y = row as f64 + 0.15;
        chart.draw_series(std::iter::once(Rectangle::new(
            [(0.0, y), (c.diff as f64, y + 0.7)],
            if good { RIGHT } else { WRONG }.filled(),
        )))?;
        let (px, py) = chart.backend_coord(&(-span, row as f64 + 0.5));
        root.draw(&Text::new(
            short(&format!("{} → {pred}", c.gold), 34),
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
        &format!("Largest changes of the {field} confusion matrix"),
    )
}

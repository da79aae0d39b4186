//! The confusion heatmap: which classes it shows (the most confused, plus "other" and
//! invalid outputs), the count of each cell, and the drawing.

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::{canvas, compact, finish, short, Chart, FONT, INK, RIGHT, WRONG};
use crate::metrics::SingleLabelReport;
use crate::report::html::svg::Mark;

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

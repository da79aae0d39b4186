//! The terminal exporter: a [`Doc`] drawn with comfy-table's box characters.
//!
//! With a width (a terminal, `--width N` or `COLUMNS`), tables use comfy-table's dynamic
//! arrangement within it and each row stays one line: a cell too long for its column ends
//! in an ellipsis instead of wrapping the row; sentences wrap at word boundaries. Without a
//! width (output piped to a file or a program) nothing is ever cut.
//!
//! Numbers are never cut: a column holding a number (a right-aligned cell) keeps the width
//! of its widest cell, header included, and a table too wide for the terminal with every
//! number whole is split into several tables, one under the other,
//! each repeating the first column (what the row is about). A table may name one column
//! that gives way first ([`TableModel::flex`], a ticket's text); the others then keep their
//! full width when they can.

use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{
    CellAlignment, ColumnConstraint, ContentArrangement, Row, Table, Width as ColumnWidth,
};

use super::model::{Align, Block, Doc, TableModel};

/// Draws a document for a terminal `width` columns wide (`None`: no limit).
pub fn render(doc: &Doc, width: Option<usize>) -> String {
    let mut out = String::new();
    for (i, block) in doc.blocks.iter().enumerate() {
        match block {
            Block::Title { text, lines } => {
                push_wrapped(&mut out, text, "", width);
                for l in lines {
                    push_wrapped(&mut out, l, "", width);
                }
            }
            Block::Heading(text) => {
                if i > 0 {
                    out.push('\n');
                }
                push_wrapped(&mut out, text, "", width);
            }
            Block::Text(text) => push_wrapped(&mut out, text, "", width),
            Block::List(items) => {
                for item in items {
                    push_wrapped(&mut out, &format!("- {item}"), "  ", width);
                }
            }
            Block::Table(t) => {
                out.push_str(&table(t, width));
                out.push('\n');
            }
        }
    }
    out
}

/// A text column may be cut down to this many characters before a table is split.
const MIN_TEXT: usize = 8;

/// One table, fitted to `width` when there is one (split when it cannot fit whole numbers).
pub fn table(model: &TableModel, width: Option<usize>) -> String {
    match width {
        None => draw(model, None),
        Some(w) => split(model, w)
            .iter()
            .map(|part| draw(part, Some(w)))
            .collect::<Vec<_>>()
            .join("\n"),
    }
}

/// The widest cell of each column, header included, in characters.
fn content_widths(model: &TableModel) -> Vec<usize> {
    let n = model
        .rows
        .iter()
        .map(Vec::len)
        .chain([model.header.len()])
        .max()
        .unwrap_or(0);
    (0..n)
        .map(|i| {
            std::iter::once(&model.header)
                .chain(&model.rows)
                .filter_map(|r| r.get(i))
                .map(|c| c.text.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect()
}

/// Whether column `i` holds numbers (any right-aligned body cell): it is never cut.
fn numeric(model: &TableModel, i: usize) -> bool {
    model
        .rows
        .iter()
        .any(|r| r.get(i).is_some_and(|c| c.align == Align::Right))
}

/// The narrowest each column may be drawn: numbers whole, text down to [`MIN_TEXT`].
fn min_widths(model: &TableModel) -> Vec<usize> {
    content_widths(model)
        .into_iter()
        .enumerate()
        .map(|(i, w)| {
            if numeric(model, i) {
                w
            } else {
                w.min(MIN_TEXT)
            }
        })
        .collect()
}

/// The width of a table whose columns are `widths` wide (one space of padding each side,
/// a border between and around them).
fn drawn_width(widths: impl IntoIterator<Item = usize>) -> usize {
    let mut n = 0;
    let mut sum = 0;
    for w in widths {
        n += 1;
        sum += w + 2;
    }
    sum + n + 1
}

/// The table as one or more tables that each fit `width` with every number whole: the
/// first column, then as many of the next columns as fit, repeated as needed.
fn split(model: &TableModel, width: usize) -> Vec<TableModel> {
    let mins = min_widths(model);
    if mins.len() <= 2 || drawn_width(mins.iter().copied()) <= width {
        return vec![model.clone()];
    }
    let mut parts: Vec<Vec<usize>> = vec![vec![0]];
    for i in 1..mins.len() {
        let last = parts.last_mut().expect("one part at least");
        let fits = drawn_width(last.iter().chain([&i]).map(|&c| mins[c])) <= width;
        if fits || last.len() == 1 {
            last.push(i);
        } else {
            parts.push(vec![0, i]);
        }
    }
    let pick = |row: &Vec<super::model::Cell>, cols: &[usize]| {
        cols.iter()
            .map(|&c| row.get(c).cloned().unwrap_or_default())
            .collect::<Vec<_>>()
    };
    parts
        .iter()
        .map(|cols| TableModel {
            header: if model.header.is_empty() {
                Vec::new()
            } else {
                pick(&model.header, cols)
            },
            rows: model.rows.iter().map(|r| pick(r, cols)).collect(),
            flex: model.flex.and_then(|f| cols.iter().position(|&c| c == f)),
        })
        .collect()
}

/// Draws one table: numbers whole; with a width, other cells cut with an ellipsis.
fn draw(model: &TableModel, width: Option<usize>) -> String {
    let mut t = Table::new();
    t.load_preset(UTF8_FULL_CONDENSED);
    match width {
        Some(w) => {
            t.set_content_arrangement(ContentArrangement::Dynamic)
                .set_width(w.min(u16::MAX as usize) as u16)
                .set_truncation_indicator("…");
        }
        None => {
            t.set_content_arrangement(ContentArrangement::Disabled);
        }
    }
    let cell = |c: &super::model::Cell| {
        comfy_table::Cell::new(&c.text).set_alignment(match c.align {
            Align::Left => CellAlignment::Left,
            Align::Right => CellAlignment::Right,
        })
    };
    if !model.header.is_empty() {
        let mut row = Row::from(model.header.iter().map(cell).collect::<Vec<_>>());
        if width.is_some() {
            row.max_height(1);
        }
        t.set_header(row);
    }
    for r in &model.rows {
        let mut row = Row::from(r.iter().map(cell).collect::<Vec<_>>());
        if width.is_some() {
            row.max_height(1);
        }
        t.add_row(row);
    }
    if let Some(w) = width {
        let widths = content_widths(model);
        // With a flex column, the others keep their full width when the flex column can
        // still show MIN_TEXT characters; otherwise only numbers are kept whole.
        let keep_all = model.flex.is_some_and(|f| {
            let others = widths.iter().enumerate().filter(|(i, _)| *i != f);
            drawn_width(others.map(|(_, &w)| w).chain([MIN_TEXT])) <= w
        });
        for (i, col) in t.column_iter_mut().enumerate() {
            let keep = if keep_all {
                Some(i) != model.flex
            } else {
                numeric(model, i)
            };
            if keep {
                let full = (widths.get(i).copied().unwrap_or(0) + 2).min(u16::MAX as usize);
                col.set_constraint(ColumnConstraint::LowerBoundary(ColumnWidth::Fixed(
                    full as u16,
                )));
            }
        }
    }
    t.to_string()
}

/// Appends `text` wrapped at word boundaries to `width` (continuation lines indented).
fn push_wrapped(out: &mut String, text: &str, indent: &str, width: Option<usize>) {
    let Some(width) = width else {
        out.push_str(text);
        out.push('\n');
        return;
    };
    for para in text.split('\n') {
        let mut line = String::new();
        let mut len = 0usize;
        for word in para.split(' ') {
            let wl = word.chars().count();
            if len > 0 && len + 1 + wl > width {
                out.push_str(&line);
                out.push('\n');
                line = indent.to_string();
                len = indent.chars().count();
            } else if len > 0 {
                line.push(' ');
                len += 1;
            }
            line.push_str(word);
            len += wl;
        }
        out.push_str(&line);
        out.push('\n');
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::model::Cell;

    #[test]
    fn a_long_label_is_cut_with_an_ellipsis_not_wrapped() {
        let mut t = TableModel::new(["category", "F1"]);
        t.add_row([Cell::new("x".repeat(200)), Cell::new("0.5000").right()]);
        let s = table(&t, Some(40));
        assert!(s.lines().all(|l| l.chars().count() <= 40), "{s}");
        assert!(s.contains('…'), "{s}");
        assert_eq!(s.lines().count(), 5, "{s}");
    }

    #[test]
    fn numbers_are_never_cut_a_wide_table_is_split() {
        let header: Vec<String> = (0..10).map(|i| format!("column {i}")).collect();
        let mut t = TableModel::new(header);
        let mut row = vec![Cell::new("variant")];
        row.extend((1..10).map(|i| Cell::new(format!("{}.123456", i * 1000)).right()));
        t.add_row(row);
        let s = table(&t, Some(80));
        assert!(s.lines().all(|l| l.chars().count() <= 80), "{s}");
        assert!(!s.contains('…'), "{s}");
        for i in 1..10 {
            assert!(s.contains(&format!("{}.123456", i * 1000)), "{s}");
            assert!(s.contains(&format!("column {i}")), "{s}");
        }
        // The first column starts every part.
        assert!(s.matches("variant").count() >= 2, "{s}");
    }

    #[test]
    fn the_flex_column_gives_way_first() {
        let mut t = TableModel::new(["id", "text", "gold", "predicted"]);
        t.flex = Some(1);
        t.add_row([
            Cell::new("T-1"),
            Cell::new("word ".repeat(40)),
            Cell::new("billing"),
            Cell::new("technical 0.93"),
        ]);
        let s = table(&t, Some(60));
        assert!(s.lines().all(|l| l.chars().count() <= 60), "{s}");
        assert!(s.contains("technical 0.93") && s.contains("billing"), "{s}");
        assert!(s.contains('…'), "{s}");
    }

    #[test]
    fn piped_output_is_never_cut() {
        let mut t = TableModel::new(["category"]);
        t.add_row(["y".repeat(200)]);
        assert!(table(&t, None).contains(&"y".repeat(200)));
    }

    #[test]
    fn sentences_wrap_at_words() {
        let mut out = String::new();
        push_wrapped(&mut out, "aaa bbb ccc ddd", "  ", Some(8));
        assert_eq!(out, "aaa bbb\n  ccc\n  ddd\n");
    }
}

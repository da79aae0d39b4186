//! The terminal exporter: a [`Doc`] drawn with comfy-table's box characters.
//!
//! With a width (a terminal, `--width N` or `COLUMNS`), tables use comfy-table's dynamic
//! arrangement within it and each row stays one line: a cell too long for its column ends
//! in an ellipsis instead of wrapping the row; sentences wrap at word boundaries. Without a
//! width (output piped to a file or a program) nothing is ever cut.

use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{CellAlignment, ContentArrangement, Row, Table};

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

/// One table, fitted to `width` when there is one.
pub fn table(model: &TableModel, width: Option<usize>) -> String {
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

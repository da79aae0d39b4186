//! The Markdown exporter: the same [`Doc`] as the terminal, as GitHub-flavoured Markdown to
//! paste into a pull request. Headed with the eval, run id, date and git revision, so a
//! pasted report keeps its context.

use super::model::{Align, Block, Doc, TableModel};

/// Writes a document as Markdown.
pub fn render(doc: &Doc) -> String {
    let mut out = String::new();
    for block in &doc.blocks {
        match block {
            Block::Title { text, lines } => {
                out.push_str(&format!("# {}\n\n", escape_text(text)));
                for l in lines {
                    out.push_str(&format!("{}  \n", escape_text(l)));
                }
                if !lines.is_empty() {
                    out.push('\n');
                }
            }
            Block::Heading(text) => out.push_str(&format!("### {}\n\n", escape_text(text))),
            Block::Text(text) => out.push_str(&format!("{}\n\n", escape_text(text))),
            Block::List(items) => {
                for item in items {
                    out.push_str(&format!("- {}\n", escape_text(item)));
                }
                out.push('\n');
            }
            Block::Table(t) => {
                out.push_str(&table(t));
                out.push('\n');
            }
        }
    }
    // One trailing newline, not a blank line.
    while out.ends_with("\n\n") {
        out.pop();
    }
    out
}

/// A pipe table; `|` inside a cell is escaped so it cannot split the cell.
pub fn table(t: &TableModel) -> String {
    let width = t
        .rows
        .iter()
        .map(Vec::len)
        .chain([t.header.len()])
        .max()
        .unwrap_or(0);
    let mut out = String::from("|");
    for i in 0..width {
        let h = t.header.get(i).map_or("", |c| c.text.as_str());
        out.push_str(&format!(" {} |", cell_text(h)));
    }
    out.push_str("\n|");
    for i in 0..width {
        // The alignment of a column is the alignment of its first body cell.
        let right = t
            .rows
            .first()
            .and_then(|r| r.get(i))
            .is_some_and(|c| c.align == Align::Right);
        out.push_str(if right { "---:|" } else { "---|" });
    }
    out.push('\n');
    for r in &t.rows {
        out.push('|');
        for i in 0..width {
            let c = r.get(i).map_or("", |c| c.text.as_str());
            out.push_str(&format!(" {} |", cell_text(c)));
        }
        out.push('\n');
    }
    out
}

/// A cell's text: `|` escaped so it cannot split the cell, line breaks as spaces, `<`, `>`
/// and `&` as entities (a pull request would read them as HTML), and `\`, `*` and `` ` ``
/// escaped so ticket text cannot turn into emphasis or code.
fn cell_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '|' => out.push_str("\\|"),
            '*' => out.push_str("\\*"),
            '`' => out.push_str("\\`"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// Text outside tables: `<` and `>` would open HTML in a pull request comment.
fn escape_text(s: &str) -> String {
    s.replace('<', "&lt;").replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::model::Cell;

    #[test]
    fn a_pipe_in_a_label_does_not_split_the_cell() {
        let mut t = TableModel::new(["label", "n"]);
        t.add_row([Cell::new("a|b"), Cell::new("3").right()]);
        assert_eq!(table(&t), "| label | n |\n|---|---:|\n| a\\|b | 3 |\n");
    }

    #[test]
    fn ticket_text_cannot_become_markup() {
        assert_eq!(
            cell_text("<b>*x*</b> `c` a\\b & d\ne"),
            "&lt;b&gt;\\*x\\*&lt;/b&gt; \\`c\\` a\\\\b &amp; d e"
        );
    }
}

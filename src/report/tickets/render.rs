//! A [`TicketList`] drawn: as a [`Doc`] for the terminal and Markdown (a text excerpt, each
//! variant's prediction with its confidence, a line counting the tickets not shown), as
//! JSON, and as CSV through the `csv` crate (the whole text, every number at full
//! precision, one row per ticket).

use super::select::{Prediction, Selection, TicketList};
use crate::report::model::{Cell, Doc, TableModel};
use crate::report::summary::{fixed, plural};

/// Characters of a ticket's text the terminal and Markdown show (the terminal cuts it
/// further to fit its width).
pub const EXCERPT_CHARS: usize = 120;

/// The text on one line (runs of whitespace as one space), cut to `max` characters with
/// an ellipsis.
pub fn excerpt(text: &str, max: usize) -> String {
    let one_line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() <= max {
        return one_line;
    }
    let mut s: String = one_line.chars().take(max.saturating_sub(1)).collect();
    s.push('…');
    s
}

/// A variant's answer in a cell: the prediction (or the outcome in parentheses when there
/// is none) and the stated confidence to 2 decimals.
fn answer(p: &Prediction) -> String {
    let mut s = match &p.predicted {
        Some(v) => v.clone(),
        None if p.outcome == "ok" => "(invalid)".into(),
        None => format!("({})", p.outcome),
    };
    if let Some(c) = p.confidence {
        s.push(' ');
        s.push_str(&fixed(c, 2));
    }
    s
}

fn what(l: &TicketList) -> String {
    match l.selection {
        Selection::Wrong => format!("wrong on {} in {}", l.field, joined(&l.variants, "or")),
        Selection::Disagree => format!(
            "on which {} disagree on {}",
            joined(&l.variants, "and"),
            l.field
        ),
        Selection::LowConfidence => format!(
            "with a stated confidence below {} ({}) in {}",
            fixed(l.low_confidence_below, 2),
            if l.below_route_at {
                "the eval's routing.route_at: not routed automatically"
            } else {
                "no routing section: the default"
            },
            joined(&l.variants, "or")
        ),
        Selection::All => format!(
            "with the answers of {} on {}",
            joined(&l.variants, "and"),
            l.field
        ),
    }
}

/// `a`, `a or b`, `a, b or c`.
fn joined(items: &[String], word: &str) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} {word} {last}", rest.join(", ")),
    }
}

/// The list as document blocks (terminal and Markdown).
pub fn doc(l: &TicketList) -> Doc {
    let mut doc = Doc::default();
    doc.heading(format!("tickets: {}", l.selection.name()));
    let of = match &l.tag {
        Some(tag) => format!(
            "{} tagged {tag}",
            plural(l.considered as u64, "ticket", "tickets")
        ),
        None => plural(l.considered as u64, "ticket", "tickets"),
    };
    doc.text(format!("{} of {of} {}.", l.matched, what(l)));
    if !l.not_predicting.is_empty() {
        doc.text(format!(
            "Not listed: {} ({} not predict {}).",
            l.not_predicting.join(", "),
            if l.not_predicting.len() == 1 {
                "does"
            } else {
                "do"
            },
            l.field
        ));
    }
    if l.rows.is_empty() {
        return doc;
    }
    let mut t = TableModel::default();
    let mut header = vec![
        Cell::new("id"),
        Cell::new("text"),
        Cell::new(format!("gold {}", l.field)),
    ];
    header.extend(l.variants.iter().map(Cell::new));
    t.set_header(header);
    t.flex = Some(1);
    for r in &l.rows {
        let mut row = vec![
            Cell::new(&r.id),
            Cell::new(excerpt(&r.text, EXCERPT_CHARS)),
            Cell::new(&r.gold),
        ];
        row.extend(r.predictions.iter().map(|p| Cell::new(answer(p))));
        t.add_row(row);
    }
    doc.table(t);
    let rest = l.matched - l.rows.len();
    if rest > 0 {
        doc.text(format!(
            "{} not shown (--limit N shows more).",
            plural(rest as u64, "more ticket", "more tickets")
        ));
    }
    doc
}

/// The list as pretty JSON (the whole text of every ticket), with a trailing newline.
pub fn json(l: &TicketList) -> Vec<u8> {
    let mut bytes = serde_json::to_vec_pretty(l).expect("ticket lists serialize");
    bytes.push(b'\n');
    bytes
}

/// The list as CSV: `id, text, tags, field, gold, wrong, disagree, low_confidence`, then per
/// variant `<variant> predicted`, `<variant> confidence`, `<variant> outcome`. The text is
/// whole; tags are joined with `;`; a missing value is an empty cell.
pub fn csv(l: &TicketList) -> Vec<u8> {
    let mut w = ::csv::Writer::from_writer(Vec::new());
    let mut header: Vec<String> = [
        "id",
        "text",
        "tags",
        "field",
        "gold",
        "wrong",
        "disagree",
        "low_confidence",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    for v in &l.variants {
        header.extend([
            format!("{v} predicted"),
            format!("{v} confidence"),
            format!("{v} outcome"),
        ]);
    }
    // Writing into memory cannot fail.
    let err = "CSV is written into memory";
    w.write_record(&header).expect(err);
    for r in &l.rows {
        let mut rec = vec![
            r.id.clone(),
            r.text.clone(),
            r.tags.join(";"),
            l.field.clone(),
            r.gold.clone(),
            r.wrong.to_string(),
            r.disagree.to_string(),
            r.low_confidence.to_string(),
        ];
        for p in &r.predictions {
            rec.extend([
                p.predicted.clone().unwrap_or_default(),
                p.confidence.map_or(String::new(), |c| c.to_string()),
                p.outcome.clone(),
            ]);
        }
        w.write_record(&rec).expect(err);
    }
    w.into_inner().expect(err)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::tickets::select::TicketRow;

    fn list() -> TicketList {
        TicketList {
            selection: Selection::Wrong,
            field: "department".into(),
            variants: vec!["a".into(), "b".into()],
            not_predicting: vec![],
            tag: None,
            low_confidence_below: 0.8,
            below_route_at: true,
            considered: 3,
            matched: 2,
            rows: vec![TicketRow {
                id: "T|1".into(),
                text: "Refund \"now\", please,\nline two | <b>".into(),
                tags: vec!["email".into(), "vip".into()],
                gold: "billing".into(),
                predictions: vec![
                    Prediction {
                        variant: "a".into(),
                        predicted: Some("technical".into()),
                        confidence: Some(0.123456789),
                        outcome: "ok".into(),
                        correct: false,
                    },
                    Prediction {
                        variant: "b".into(),
                        predicted: None,
                        confidence: None,
                        outcome: "refusal".into(),
                        correct: false,
                    },
                ],
                wrong: true,
                disagree: true,
                low_confidence: false,
            }],
        }
    }

    #[test]
    fn csv_keeps_the_whole_text_and_full_precision() {
        let bytes = csv(&list());
        let mut r = ::csv::Reader::from_reader(bytes.as_slice());
        let h = r.headers().unwrap().clone();
        assert_eq!(h.get(8), Some("a predicted"));
        let rec = r.records().next().unwrap().unwrap();
        assert_eq!(&rec[1], "Refund \"now\", please,\nline two | <b>");
        assert_eq!(&rec[2], "email;vip");
        assert_eq!(&rec[9], "0.123456789");
        assert_eq!(&rec[11], "");
        assert_eq!(&rec[13], "refusal");
    }

    #[test]
    fn the_doc_counts_what_is_not_shown() {
        let d = doc(&list());
        let text = crate::report::markdown::render(&d);
        assert!(
            text.contains("2 of 3 tickets wrong on department in a or b."),
            "{text}"
        );
        assert!(text.contains("1 more ticket not shown"), "{text}");
        assert!(text.contains("technical 0.12"), "{text}");
        assert!(text.contains("(refusal)"), "{text}");
    }

    #[test]
    fn an_excerpt_is_one_line_and_cut_with_an_ellipsis() {
        assert_eq!(excerpt("a\n b\tc", 10), "a b c");
        assert_eq!(excerpt("abcdefghij", 5), "abcd…");
    }
}

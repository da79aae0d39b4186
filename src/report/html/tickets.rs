//! The tickets behind the numbers: which ones the report's ticket table carries, and the
//! JSON the page's script reads them from.
//!
//! A run can hold a million tickets; the table carries at most [`super::HtmlOptions`]'s
//! `max_ticket_rows`, chosen in this order: wrong and disagreed on, then wrong, then
//! disagreed on, then low confidence, then the rest; a group that does not fit whole is
//! sampled evenly across the gold set. The page says how many rows were left out.
//! Ticket text is hostile input: the JSON is escaped so that nothing in it can end the
//! `<script>` element that holds it ([`script_json`]), and the page's script only ever
//! writes it with `textContent`.

use hashbrown::HashMap;

use serde::Serialize;

use crate::eval_log::{Outcome, PredictionRecord};
use crate::gold::{Field, GoldSet, GoldValue, Ticket};
use crate::score::{predicted, RunReport};

/// What the ticket table needs of one variant's answer to one ticket (repeat 0): a few
/// bytes instead of the whole record, so a run of a million answers fits in little memory.
#[derive(Debug, Clone)]
pub struct Answer {
    pub outcome: Outcome,
    pub confidence: Option<f64>,
    /// Per field, in gold order: the prediction; `None` when not `ok`, missing or invalid.
    pub preds: Box<[Option<GoldValue>]>,
}

/// `[variant][ticket]`: the answers to a run's scored tickets, the last record of each
/// (variant, ticket) winning, as in scoring.
#[derive(Debug, Clone, Default)]
pub struct Answers {
    cells: Vec<Vec<Option<Answer>>>,
}

impl Answers {
    /// Places answers keyed by variant and ticket index; a later one replaces an earlier one.
    pub fn new(
        n_variants: usize,
        n_tickets: usize,
        keyed: impl IntoIterator<Item = (usize, usize, Answer)>,
    ) -> Self {
        let mut cells = vec![vec![None; n_tickets]; n_variants];
        for (vi, ti, a) in keyed {
            cells[vi][ti] = Some(a);
        }
        Answers { cells }
    }

    /// The answers held by records (a run just recorded, a journal read whole).
    pub fn from_records(
        report: &RunReport,
        tickets: &[Ticket],
        records: &[PredictionRecord],
    ) -> Self {
        let keyer = Keyer::new(report, tickets);
        Self::new(
            report.variants.len(),
            keyer.n_tickets,
            records.iter().filter_map(|r| keyer.keyed(r)),
        )
    }

    fn get(&self, vi: usize, ti: usize) -> Option<&Answer> {
        self.cells.get(vi)?.get(ti)?.as_ref()
    }
}

/// Turns a record into a keyed [`Answer`]: its variant and ticket as indices of the report's
/// variants and scored tickets, its predictions read once. Records of other variants,
/// tickets or repeats give `None`. Shared across threads while a journal is read.
pub struct Keyer<'a> {
    variants: Vec<&'a str>,
    tickets: &'a [Ticket],
    index: HashMap<&'a str, usize>,
    gold: GoldSet,
    n_tickets: usize,
}

impl<'a> Keyer<'a> {
    pub fn new(report: &'a RunReport, tickets: &'a [Ticket]) -> Self {
        let n_tickets = report.n_tickets.min(tickets.len());
        Keyer {
            variants: report.variants.iter().map(|v| v.name.as_str()).collect(),
            tickets: &tickets[..n_tickets],
            index: tickets[..n_tickets]
                .iter()
                .enumerate()
                .map(|(i, t)| (t.id.as_str(), i))
                .collect(),
            gold: GoldSet {
                fields: report.fields.clone(),
                tickets: Vec::new(),
                sha256: String::new(),
            },
            n_tickets,
        }
    }

    pub fn n_variants(&self) -> usize {
        self.variants.len()
    }

    pub fn n_tickets(&self) -> usize {
        self.n_tickets
    }

    pub fn keyed(&self, r: &PredictionRecord) -> Option<(usize, usize, Answer)> {
        if r.repeat != 0 {
            return None;
        }
        let vi = self.variants.iter().position(|v| *v == r.variant)?;
        // A journal lists each variant's tickets in gold order: the ticket after this
        // thread's last one is tried before the table (half a million scattered ids).
        thread_local! {
            static NEXT: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
        }
        let next = NEXT.with(|n| n.get());
        let ti = match self.tickets.get(next) {
            Some(t) if t.id == r.ticket => next,
            _ => *self.index.get(r.ticket.as_str())?,
        };
        NEXT.with(|n| n.set(ti + 1));
        let preds = (0..self.gold.fields.len())
            .map(|fi| predicted(Some(r), &self.gold, fi))
            .collect();
        Some((
            vi,
            ti,
            Answer {
                outcome: r.outcome,
                confidence: r.confidence,
                preds,
            },
        ))
    }
}

/// JSON that is safe inside `<script type="application/json">`: `<`, `>`, `&` and the
/// line/paragraph separators U+2028/U+2029 are written as `\u` escapes (JSON.parse reads
/// them back unchanged), so no `</script>` or `<!--` can appear in it.
pub fn script_json<T: Serialize>(value: &T) -> String {
    let s = serde_json::to_string(value).expect("ticket data serializes");
    let mut out = String::with_capacity(s.len() + s.len() / 16);
    for c in s.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out
}

/// What the page's script reads.
#[derive(Debug, Serialize)]
pub struct TicketData {
    /// Field names, in gold order.
    pub fields: Vec<String>,
    /// Variant names, in run order.
    pub variants: Vec<String>,
    /// Every tag of the shown tickets.
    pub tags: Vec<String>,
    /// Below this confidence a prediction counts as low confidence.
    pub low_at: f64,
    /// The field selected at first (the routing field, else the first).
    pub default_field: usize,
    /// `[variant][field]`: whether the variant is scored on the field (predicts it).
    pub scored: Vec<Vec<bool>>,
    pub rows: Vec<Row>,
}

/// One ticket in the table.
#[derive(Debug, Serialize)]
pub struct Row {
    pub id: String,
    pub text: String,
    /// The text was cut to the first `max_text_chars` characters.
    pub cut: bool,
    pub tags: Vec<String>,
    /// The gold value of every field, as text.
    pub gold: Vec<String>,
    /// `[variant][field]`: the prediction as text, `null` when invalid or missing.
    pub pred: Vec<Vec<Option<String>>>,
    /// Per variant: the stated confidence.
    pub conf: Vec<Option<f64>>,
    /// Per variant: the outcome (`ok`, `invalid_output`, ..., `missing`).
    pub outcome: Vec<&'static str>,
}

/// How many tickets of each kind there are, and how many the table shows.
#[derive(Debug, Serialize, Default, Clone)]
pub struct TicketCounts {
    pub total: usize,
    pub shown: usize,
    pub left_out: usize,
    pub wrong: usize,
    pub disagree: usize,
    pub low_confidence: usize,
    pub wrong_left_out: usize,
}

/// A value as the table shows it.
fn text_of(field: &Field, v: &GoldValue) -> String {
    match v {
        GoldValue::Label(i) => field.values[*i as usize].clone(),
        GoldValue::Labels(ls) => ls
            .iter()
            .map(|i| field.values[*i as usize].as_str())
            .collect::<Vec<_>>()
            .join(", "),
        GoldValue::Flag(b) => b.to_string(),
    }
}

/// Picks the tickets of the table and builds its data.
pub fn build(
    report: &RunReport,
    tickets: &[Ticket],
    answers: &Answers,
    max_rows: usize,
    max_text_chars: usize,
) -> (TicketData, TicketCounts) {
    let fields = &report.fields;
    let n = report.n_tickets.min(tickets.len());
    let tickets = &tickets[..n];
    let variants: Vec<&str> = report.variants.iter().map(|v| v.name.as_str()).collect();
    let routing = report.settings.routing.as_ref();
    let low_at = routing.map_or(0.5, |r| r.route_at);
    let default_field = routing
        .and_then(|r| fields.iter().position(|f| f.name == r.field))
        .unwrap_or(0);
    // Which fields each variant is scored on (a local variant may not predict every field).
    let scored: Vec<Vec<usize>> = report
        .variants
        .iter()
        .map(|v| {
            (0..fields.len())
                .filter(|&fi| v.field(&fields[fi].name).is_some())
                .collect()
        })
        .collect();
    // Priority of every ticket: 0 wrong and disagreed on, 1 wrong, 2 disagreed on, 3 low
    // confidence, 4 the rest.
    let mut counts = TicketCounts {
        total: n,
        ..TicketCounts::default()
    };
    let mut priority = vec![4u8; n];
    for (ti, t) in tickets.iter().enumerate() {
        let mut wrong = false;
        let mut disagree = false;
        let mut low = false;
        for fi in 0..fields.len() {
            let mut first: Option<Option<GoldValue>> = None;
            for (vi, sc) in scored.iter().enumerate() {
                if !sc.contains(&fi) {
                    continue;
                }
                let p = answers.get(vi, ti).and_then(|a| a.preds[fi].clone());
                if p.as_ref() != Some(&t.labels[fi]) {
                    wrong = true;
                }
                match &first {
                    None => first = Some(p),
                    Some(f) if *f != p => disagree = true,
                    Some(_) => {}
                }
            }
        }
        for vi in 0..variants.len() {
            if let Some(c) = answers.get(vi, ti).and_then(|a| a.confidence) {
                if c < low_at {
                    low = true;
                }
            }
        }
        counts.wrong += wrong as usize;
        counts.disagree += disagree as usize;
        counts.low_confidence += low as usize;
        priority[ti] = match (wrong, disagree, low) {
            (true, true, _) => 0,
            (true, false, _) => 1,
            (false, true, _) => 2,
            (false, false, true) => 3,
            _ => 4,
        };
    }
    let mut chosen: Vec<usize> = Vec::with_capacity(max_rows.min(n));
    for p in 0..=4u8 {
        let group: Vec<usize> = (0..n).filter(|&i| priority[i] == p).collect();
        let room = max_rows - chosen.len();
        if group.len() <= room {
            chosen.extend(group);
        } else {
            // Evenly across the gold set, so a sample is not just its first tickets.
            chosen.extend((0..room).map(|j| group[j * group.len() / room]));
        }
        if chosen.len() == max_rows {
            break;
        }
    }
    counts.shown = chosen.len();
    counts.left_out = n - chosen.len();
    let wrong_shown = chosen.iter().filter(|&&i| priority[i] <= 1).count();
    counts.wrong_left_out = counts.wrong - wrong_shown;
    let mut tags: Vec<String> = Vec::new();
    let rows = chosen
        .iter()
        .map(|&ti| {
            let t = &tickets[ti];
            for tag in &t.tags {
                if !tags.contains(tag) {
                    tags.push(tag.clone());
                }
            }
            let cut = t.text.chars().count() > max_text_chars;
            Row {
                id: t.id.clone(),
                text: if cut {
                    t.text.chars().take(max_text_chars).collect()
                } else {
                    t.text.clone()
                },
                cut,
                tags: t.tags.clone(),
                gold: fields
                    .iter()
                    .zip(&t.labels)
                    .map(|(f, v)| text_of(f, v))
                    .collect(),
                pred: (0..variants.len())
                    .map(|vi| {
                        (0..fields.len())
                            .map(|fi| {
                                answers
                                    .get(vi, ti)
                                    .and_then(|a| a.preds[fi].as_ref())
                                    .map(|v| text_of(&fields[fi], v))
                            })
                            .collect()
                    })
                    .collect(),
                conf: (0..variants.len())
                    .map(|vi| answers.get(vi, ti).and_then(|a| a.confidence))
                    .collect(),
                outcome: (0..variants.len())
                    .map(|vi| answers.get(vi, ti).map_or("missing", |a| a.outcome.name()))
                    .collect(),
            }
        })
        .collect();
    tags.sort();
    (
        TicketData {
            fields: fields.iter().map(|f| f.name.clone()).collect(),
            variants: variants.iter().map(|s| s.to_string()).collect(),
            tags,
            low_at,
            default_field,
            scored: scored
                .iter()
                .map(|sc| (0..fields.len()).map(|fi| sc.contains(&fi)).collect())
                .collect(),
            rows,
        },
        counts,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_json_cannot_close_the_script_element() {
        let s = script_json(&"</script><!-- & \u{2028}\u{2029}");
        assert!(!s.contains('<') && !s.contains('>') && !s.contains('&'));
        assert!(!s.contains('\u{2028}') && !s.contains('\u{2029}'));
        let back: String = serde_json::from_str(&s).unwrap();
        assert_eq!(back, "</script><!-- & \u{2028}\u{2029}");
    }
}

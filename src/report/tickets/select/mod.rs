//! Which tickets `verdict report RUN --tickets ...` lists, and what each row says. Pure: the
//! run's fields, tickets, records and variants in, rows out; the command reads them from the
//! run folder's own snapshot (gold.jsonl, predictions.jsonl), the renderers draw the rows.
//!
//! On one field (`--field`, default the routing field, else the first label field) and for
//! the selected variants (`--variant`, default every variant that predicts the field):
//!
//! - **wrong**: at least one selected variant's prediction differs from the gold value; an
//!   invalid answer, a failed request or a missing record counts as wrong, as in scoring.
//! - **disagree**: the selected variants do not all give the same prediction (invalid and
//!   missing count as one answer, "no valid prediction"); needs two variants or more.
//! - **low-confidence**: at least one selected variant states a confidence below the eval's
//!   `routing.route_at`, i.e. would not route the ticket on its own (0.5 without a routing
//!   section). A record without a confidence is not low confidence: it states none.
//! - **all**: every ticket.
//!
//! `--tag` keeps the tickets with that tag. Rows come wrong and disagreed on first, then
//! wrong, then disagreed on, then low confidence, then the rest; within each group in the
//! gold set's order. Only repeat 0 is shown (the answer every metric but stability uses).

use std::collections::HashMap;

use serde::Serialize;

use crate::error::{Error, Result};
use crate::eval_log::PredictionRecord;
use crate::gold::{Field, FieldKind, GoldSet, GoldValue, Ticket};
use crate::score::{predicted, RoutingSettings};

/// The confidence below which a prediction is low without a routing section.
pub const LOW_CONFIDENCE_DEFAULT: f64 = 0.5;

/// Which tickets to list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Selection {
    Wrong,
    Disagree,
    LowConfidence,
    All,
}

impl Selection {
    /// The name `--tickets` takes.
    pub fn name(self) -> &'static str {
        match self {
            Selection::Wrong => "wrong",
            Selection::Disagree => "disagree",
            Selection::LowConfidence => "low-confidence",
            Selection::All => "all",
        }
    }
}

/// What the user asked for.
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    pub selection: Selection,
    /// Variant names; empty: every variant that predicts the field.
    pub variants: Vec<String>,
    /// The field; `None`: the routing field, else the first label field.
    pub field: Option<String>,
    pub tag: Option<String>,
    /// At most this many rows; `None`: every matching ticket.
    pub limit: Option<usize>,
}

/// A variant of the run and the fields it is scored on.
#[derive(Debug, Clone, PartialEq)]
pub struct RunVariant<'a> {
    pub name: &'a str,
    pub fields: Vec<&'a str>,
}

/// What the selection reads.
#[derive(Debug, Clone)]
pub struct Source<'a> {
    pub fields: &'a [Field],
    /// The run's tickets, in gold order.
    pub tickets: &'a [Ticket],
    pub records: &'a [PredictionRecord],
    /// The run's variants, in run order.
    pub variants: Vec<RunVariant<'a>>,
    pub routing: Option<&'a RoutingSettings>,
}

impl<'a> Source<'a> {
    /// The source of a finished run: its report says which variant predicts which field.
    pub fn of_run(
        report: &'a crate::score::RunReport,
        tickets: &'a [Ticket],
        records: &'a [PredictionRecord],
    ) -> Self {
        Source {
            fields: &report.fields,
            tickets: &tickets[..report.n_tickets.min(tickets.len())],
            records,
            variants: report
                .variants
                .iter()
                .map(|v| RunVariant {
                    name: &v.name,
                    fields: v.fields.iter().map(|f| f.field.as_str()).collect(),
                })
                .collect(),
            routing: report.settings.routing.as_ref(),
        }
    }
}

/// One ticket's row.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TicketRow {
    pub id: String,
    /// The whole text (renderers cut it to an excerpt where they must).
    pub text: String,
    pub tags: Vec<String>,
    /// The gold value of the field, as text.
    pub gold: String,
    /// Per listed variant, in [`TicketList::variants`] order.
    pub predictions: Vec<Prediction>,
    pub wrong: bool,
    pub disagree: bool,
    pub low_confidence: bool,
}

/// One variant's answer on a ticket.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Prediction {
    pub variant: String,
    /// The predicted value as text; `None` when invalid, failed or missing.
    pub predicted: Option<String>,
    pub confidence: Option<f64>,
    /// `ok`, `invalid_output`, ..., or `missing` (no record).
    pub outcome: String,
    pub correct: bool,
}

/// The rows of a selection and what they were selected on.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TicketList {
    pub selection: Selection,
    pub field: String,
    /// The listed variants, in run order.
    pub variants: Vec<String>,
    /// Selected variants (by default) left out because they do not predict the field.
    pub not_predicting: Vec<String>,
    pub tag: Option<String>,
    /// A prediction below this confidence is low confidence.
    pub low_confidence_below: f64,
    /// That threshold is the eval's `routing.route_at` (else [`LOW_CONFIDENCE_DEFAULT`]).
    pub below_route_at: bool,
    /// Tickets considered (after `--tag`).
    pub considered: usize,
    /// Tickets that match the selection; `rows` holds the first `limit` of them.
    pub matched: usize,
    pub rows: Vec<TicketRow>,
}

fn names(items: impl IntoIterator<Item = impl AsRef<str>>) -> String {
    items
        .into_iter()
        .map(|s| s.as_ref().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The value as text, label names joined by `, ` for a multi-label field.
pub fn value_text(field: &Field, v: &GoldValue) -> String {
    match v {
        GoldValue::Label(i) => field.values[*i as usize].clone(),
        GoldValue::Labels(ls) => names(ls.iter().map(|i| field.values[*i as usize].as_str())),
        GoldValue::Flag(b) => b.to_string(),
    }
}

/// The tickets of `source` that `query` selects; a variant, field or tag the run does not
/// have is a usage error naming it and listing the valid ones.
pub fn select(source: &Source<'_>, query: &Query) -> Result<TicketList> {
    let fields = source.fields;
    let fi = match &query.field {
        Some(name) => fields.iter().position(|f| &f.name == name).ok_or_else(|| {
            Error::Usage(format!(
                "--field {name:?} is not a field of this run (its fields: {})",
                names(fields.iter().map(|f| &f.name))
            ))
        })?,
        None => {
            let routing = source.routing.map(|r| r.field.as_str());
            fields
                .iter()
                .position(|f| Some(f.name.as_str()) == routing && f.kind == FieldKind::Label)
                .or_else(|| fields.iter().position(|f| f.kind == FieldKind::Label))
                .unwrap_or(0)
        }
    };
    let field = fields
        .get(fi)
        .ok_or_else(|| Error::Usage("this run has no fields".into()))?;
    for v in &query.variants {
        if !source.variants.iter().any(|rv| rv.name == v) {
            return Err(Error::Usage(format!(
                "--variant {v:?} is not a variant of this run (its variants: {})",
                names(source.variants.iter().map(|v| v.name))
            )));
        }
    }
    let predicts = |v: &RunVariant<'_>| v.fields.contains(&field.name.as_str());
    let chosen: Vec<(usize, &RunVariant<'_>)> = source
        .variants
        .iter()
        .enumerate()
        .filter(|(_, v)| query.variants.is_empty() || query.variants.iter().any(|q| q == v.name))
        .collect();
    let named_not_predicting: Vec<&str> = chosen
        .iter()
        .filter(|(_, v)| !predicts(v) && !query.variants.is_empty())
        .map(|(_, v)| v.name)
        .collect();
    let predicting: Vec<&str> = source
        .variants
        .iter()
        .filter(|v| predicts(v))
        .map(|v| v.name)
        .collect();
    if !named_not_predicting.is_empty() {
        return Err(Error::Usage(format!(
            "--variant {} does not predict the field {} (the variants that do: {})",
            names(&named_not_predicting),
            field.name,
            if predicting.is_empty() {
                "none".to_string()
            } else {
                names(&predicting)
            }
        )));
    }
    let not_predicting: Vec<String> = chosen
        .iter()
        .filter(|(_, v)| !predicts(v))
        .map(|(_, v)| v.name.to_string())
        .collect();
    let listed: Vec<(usize, &RunVariant<'_>)> =
        chosen.into_iter().filter(|(_, v)| predicts(v)).collect();
    if listed.is_empty() {
        return Err(Error::Usage(format!(
            "no variant of this run predicts the field {}",
            field.name
        )));
    }
    if query.selection == Selection::Disagree && listed.len() < 2 {
        return Err(Error::Usage(format!(
            "--tickets disagree compares variants and needs two or more that predict {} (listed: {}; this run's: {})",
            field.name,
            names(listed.iter().map(|(_, v)| v.name)),
            if predicting.is_empty() { "none".to_string() } else { names(&predicting) }
        )));
    }
    if let Some(tag) = &query.tag {
        if !source.tickets.iter().any(|t| t.tags.contains(tag)) {
            let mut tags: Vec<&str> = source
                .tickets
                .iter()
                .flat_map(|t| t.tags.iter().map(String::as_str))
                .collect();
            tags.sort_unstable();
            tags.dedup();
            return Err(Error::Usage(if tags.is_empty() {
                format!("--tag {tag:?}: no ticket of this run has a tag")
            } else {
                format!(
                    "--tag {tag:?} is not a tag of any ticket of this run (its tags: {})",
                    names(&tags)
                )
            }));
        }
    }

    // Repeat 0 of each (listed variant, ticket); the last record wins, as in scoring.
    let index: HashMap<&str, usize> = source
        .tickets
        .iter()
        .enumerate()
        .map(|(i, t)| (t.id.as_str(), i))
        .collect();
    let mut recs: Vec<Vec<Option<&PredictionRecord>>> =
        vec![vec![None; source.tickets.len()]; listed.len()];
    for r in source.records.iter().filter(|r| r.repeat == 0) {
        if let (Some(li), Some(&ti)) = (
            listed.iter().position(|(_, v)| v.name == r.variant),
            index.get(r.ticket.as_str()),
        ) {
            recs[li][ti] = Some(r);
        }
    }
    let gold = GoldSet {
        fields: fields.to_vec(),
        tickets: Vec::new(),
        sha256: String::new(),
    };
    let low_at = source
        .routing
        .map_or(LOW_CONFIDENCE_DEFAULT, |r| r.route_at);

    let mut matched: Vec<(u8, TicketRow)> = Vec::new();
    let mut considered = 0;
    for (ti, t) in source.tickets.iter().enumerate() {
        if query.tag.as_ref().is_some_and(|tag| !t.tags.contains(tag)) {
            continue;
        }
        considered += 1;
        let gold_value = &t.labels[fi];
        let answers: Vec<Option<GoldValue>> = (0..listed.len())
            .map(|li| predicted(recs[li][ti], &gold, fi))
            .collect();
        let wrong = answers.iter().any(|a| a.as_ref() != Some(gold_value));
        let disagree = answers.windows(2).any(|w| w[0] != w[1]);
        let low_confidence = (0..listed.len()).any(|li| {
            recs[li][ti]
                .and_then(|r| r.confidence)
                .is_some_and(|c| c < low_at)
        });
        let keep = match query.selection {
            Selection::Wrong => wrong,
            Selection::Disagree => disagree,
            Selection::LowConfidence => low_confidence,
            Selection::All => true,
        };
        if !keep {
            continue;
        }
        let group = match (wrong, disagree, low_confidence) {
            (true, true, _) => 0,
            (true, false, _) => 1,
            (false, true, _) => 2,
            (false, false, true) => 3,
            _ => 4,
        };
        let predictions = listed
            .iter()
            .enumerate()
            .map(|(li, (_, v))| {
                let rec = recs[li][ti];
                Prediction {
                    variant: v.name.to_string(),
                    predicted: answers[li].as_ref().map(|a| value_text(field, a)),
                    confidence: rec.and_then(|r| r.confidence),
                    outcome: rec.map_or("missing", |r| r.outcome.name()).to_string(),
                    correct: answers[li].as_ref() == Some(gold_value),
                }
            })
            .collect();
        matched.push((
            group,
            TicketRow {
                id: t.id.clone(),
                text: t.text.clone(),
                tags: t.tags.clone(),
                gold: value_text(field, gold_value),
                predictions,
                wrong,
                disagree,
                low_confidence,
            },
        ));
    }
    // Stable: gold order within a group.
    matched.sort_by_key(|(g, _)| *g);
    let n_matched = matched.len();
    let rows = matched
        .into_iter()
        .take(query.limit.unwrap_or(usize::MAX))
        .map(|(_, r)| r)
        .collect();
    Ok(TicketList {
        selection: query.selection,
        field: field.name.clone(),
        variants: listed.iter().map(|(_, v)| v.name.to_string()).collect(),
        not_predicting,
        tag: query.tag.clone(),
        low_confidence_below: low_at,
        below_route_at: source.routing.is_some(),
        considered,
        matched: n_matched,
        rows,
    })
}

#[cfg(test)]
mod tests;

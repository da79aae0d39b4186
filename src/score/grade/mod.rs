//! Grading: from the gold set and a stream of prediction records to, per variant, ticket and
//! field, the gold value, the predicted value (or invalid), the confidence and whether it is
//! correct. Pure: records go in one at a time ([`Grader::add`]), a [`Graded`] comes out; no
//! metric is computed here (that is [`super::summary`]).
//!
//! Storage is by column, with interned ticket and variant ids: a record costs a few dozen
//! bytes, not a JSON tree in a string-keyed map, so a million tickets x 3 variants fit in
//! memory comfortably. One record per (variant, ticket, repeat): the last one wins, at the
//! position of the first (as [`crate::eval_log::dedup_latest`]); a replacement that changes
//! the outcome, a prediction or the confidence is counted as *replaced*. Records of tickets
//! outside the scored ones are ignored. Nothing is allocated from a number read from a record:
//! repeats are stored sparsely, and a repeat that no record has costs nothing.
mod slots;
mod table;
mod ticket_index;
mod variant;

use std::collections::HashMap;

use crate::eval_log::{JournalLine, Outcome, OutputRef, PredictionRecord, Usage};
use crate::gold::{Field, FieldKind, GoldSet};

use super::{CostSummary, ErrorCount, ScoredVariant};
use slots::{Pred, Slot, VariantSlots, CONF_ABSENT, CONF_INVALID};
pub use table::{GoldTable, TagRows};
use ticket_index::TicketIndex;
use variant::grade_variant;

/// A gold column: one value per scored ticket.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum GoldColumn {
    Label(Vec<u32>),
    /// Sorted, without duplicates.
    Labels(Vec<Vec<u32>>),
    Flag(Vec<bool>),
}

/// A predicted column: one value per scored ticket, `None` where the prediction is invalid
/// (no record, an outcome other than `ok`, the field missing or not a valid value).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum PredColumn {
    Label(Vec<Option<u32>>),
    Labels(Vec<Option<Vec<u32>>>),
    Flag(Vec<Option<bool>>),
}

/// One field of one variant, graded.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct GradedField {
    /// Index into [`Graded::fields`].
    pub field: usize,
    /// Repeat 0's predictions.
    pub predicted: PredColumn,
    /// Repeat 0: the prediction equals the gold value (invalid is wrong).
    pub correct: Vec<bool>,
    /// Label fields of a run with repeats: the predictions of repeats 1, 2, ...; `None` for a
    /// repeat of which the variant has no record at all (every prediction invalid).
    pub repeat_runs: Vec<Option<Vec<Option<u32>>>>,
}

/// One variant, graded.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct GradedVariant {
    pub name: String,
    pub provider: String,
    pub model: Option<String>,
    /// Repeat 0's outcome per ticket; `None`: the ticket has no record.
    pub outcomes: Vec<Option<Outcome>>,
    /// Repeat 0's confidence per ticket, when present and valid (a number in [0, 1]).
    pub confidence: Vec<Option<f64>>,
    /// Repeat-0 records whose confidence is present but not a number in [0, 1].
    pub confidence_invalid: usize,
    /// Per gold field, `None` when the variant does not predict it (no `ok` record has it,
    /// while some record is `ok`).
    pub fields: Vec<Option<GradedField>>,
    /// Repeats seen: the largest repeat + 1 (1 without repeats).
    pub n_repeats: u32,
    /// Records replaced by a later, different record of the same (ticket, repeat).
    pub replaced: usize,
    /// Tokens, cost and latency over every record (all repeats) of the scored tickets.
    pub cost: CostSummary,
    /// Repeat-0 `ok` records whose stop reason is not that of a forced tool call.
    pub unexpected_stop: usize,
    /// The records' `[started_at_ms, finished_at_ms]` spans, merged (disjoint, in order):
    /// the run's wall time is their union across variants.
    pub spans: Vec<(u64, u64)>,
    /// The distinct (outcome, message) pairs of those records that are not `ok`, most
    /// frequent first (ties in order of first appearance), at most [`ERROR_MESSAGES`].
    pub errors: Vec<ErrorCount>,
    /// Records not `ok` whose message is beyond the first [`ERROR_MESSAGES`].
    pub errors_other: usize,
}

impl GradedVariant {
    /// Scored tickets without a repeat-0 record.
    pub fn missing(&self) -> usize {
        self.outcomes.iter().filter(|o| o.is_none()).count()
    }
}

/// A run graded: what the summary and `compare`/`gate` work from.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Graded {
    /// The gold set's fields.
    pub fields: Vec<Field>,
    /// How many tickets are scored (the first of the gold set's, in its order; ids are
    /// the gold set's).
    pub n_tickets: usize,
    /// Per field, the gold values of the scored tickets.
    pub gold: Vec<GoldColumn>,
    /// Per tag, in first-seen order: the scored tickets (indices) that carry it.
    pub tags: Vec<(String, Vec<u32>)>,
    pub variants: Vec<GradedVariant>,
}

impl Graded {
    /// Scored tickets.
    pub fn n_tickets(&self) -> usize {
        self.n_tickets
    }
}

/// An output value as read from a record, before it is checked against its field.
#[derive(Debug, Clone, PartialEq)]
pub enum OutputValue<'a> {
    Str(&'a str),
    Bool(bool),
    /// A list of strings.
    List(Vec<&'a str>),
    /// Anything else (a number, null, an object, a list with a non-string item).
    Other,
}

impl<'a> OutputValue<'a> {
    /// From a JSON value.
    pub fn of_json(v: &'a serde_json::Value) -> Self {
        use serde_json::Value as J;
        match v {
            J::String(s) => OutputValue::Str(s),
            J::Bool(b) => OutputValue::Bool(*b),
            J::Array(items) => items
                .iter()
                .map(|i| i.as_str())
                .collect::<Option<Vec<&str>>>()
                .map_or(OutputValue::Other, OutputValue::List),
            _ => OutputValue::Other,
        }
    }
}

/// One record as the grader needs it. `outputs` looks a field's output up by name.
pub struct RecordView<'a, O: Fn(&str) -> Option<OutputValue<'a>>> {
    pub variant: &'a str,
    pub ticket: &'a str,
    pub repeat: u32,
    pub outcome: Outcome,
    pub outputs: O,
    /// `Some(NaN)` for a confidence that is present but not a number.
    pub confidence: Option<f64>,
    pub usage: Option<Usage>,
    pub cost_usd: Option<f64>,
    pub latency_ms: Option<f64>,
    pub cached: bool,
    /// What went wrong, when the outcome is not `ok`.
    pub error: Option<&'a str>,
    /// Why the model stopped, as the provider said it.
    pub stop_reason: Option<&'a str>,
    pub latency_e2e_ms: Option<f64>,
    pub started_at_ms: Option<u64>,
    pub finished_at_ms: Option<u64>,
}

/// The view of a journal line read by the scanner ([`crate::eval_log::scan_line`]).
pub fn line_view<'l>(
    l: &'l JournalLine<'_>,
) -> RecordView<'l, impl Fn(&str) -> Option<OutputValue<'l>> + 'l> {
    RecordView {
        variant: &l.variant,
        ticket: &l.ticket,
        repeat: l.repeat,
        outcome: l.outcome,
        outputs: move |name: &str| {
            l.output(name).map(|o| match o {
                OutputRef::Str(s) => OutputValue::Str(s),
                OutputRef::Bool(b) => OutputValue::Bool(b),
                OutputRef::List(v) => OutputValue::List(v),
                OutputRef::Other => OutputValue::Other,
            })
        },
        confidence: l.confidence,
        usage: l.usage,
        cost_usd: l.cost_usd,
        latency_ms: l.latency_ms,
        cached: l.cached,
        error: l.error.as_deref(),
        stop_reason: l.stop_reason.as_deref(),
        latency_e2e_ms: l.latency_e2e_ms,
        started_at_ms: l.started_at_ms,
        finished_at_ms: l.finished_at_ms,
    }
}

/// A record checked against the gold set's fields ([`Grader::prepare`]), not yet stored
/// ([`Grader::place`]).
///
/// About 120 bytes, the rare parts boxed: a chunk's prepared records are moved from the
/// scanning side to the placer (at about 250 bytes each, those copies were about 5 % of
/// `verdict score`'s CPU at a million tickets).
pub struct Prepared {
    /// `error` is not yet an index (u32::MAX) until placed.
    slot: Slot,
    repeat: u32,
    /// The first 4 fields' predictions; `Pred::Labels` index the rest's `sets` until placed.
    preds: [Pred; 4],
    /// What most records do not have.
    rest: Option<Box<PreparedRest>>,
}

/// The rare parts of a [`Prepared`] record.
#[derive(Default)]
struct PreparedRest {
    /// The record's usage, kept aside when the slot cannot hold it ([`Slot::new`]).
    usage: Option<Usage>,
    /// The predictions of fields beyond the 4th.
    more_preds: Vec<Pred>,
    /// The record's label sets (multi-label fields).
    sets: Vec<Vec<u32>>,
    /// The message of a record that is not `ok`.
    error: Option<String>,
}

/// Grades records one at a time; [`Grader::finish`] returns the [`Graded`] run.
///
/// It has two halves, which [`Grader::parts`] lends out at once: the [`Preparer`] reads the
/// gold set (any thread, shared), the [`Placer`] stores prepared records in order (one
/// thread), so one chunk of records can be stored while the next is prepared.
pub struct Grader {
    prep: Preparer,
    store: Placer,
}

/// The half of a [`Grader`] that only reads: the gold table and each field's values, for
/// finding a record's ticket and checking its predictions ([`Preparer::prepare`]).
pub struct Preparer {
    gold: GoldTable,
    /// Per field: label name -> index.
    value_index: Vec<hashbrown::HashMap<Box<str>, u32>>,
}

/// The half of a [`Grader`] that stores records, in order ([`Placer::place`]).
pub struct Placer {
    n_tickets: usize,
    n_fields: usize,
    variants: Vec<ScoredVariant>,
    variant_index: HashMap<String, usize>,
    slots: Vec<VariantSlots>,
    label_sets: Vec<Vec<u32>>,
    /// Distinct (outcome, error message) pairs of records that are not `ok`.
    errors: Vec<(Outcome, String)>,
    /// Outcome -> message -> index into `errors`.
    error_index: HashMap<Outcome, HashMap<String, u32>>,
}

impl Grader {
    /// A grader for `variants` over the first `n_tickets` tickets of `gold`. Records of other
    /// variants are ignored.
    pub fn new(gold: &GoldSet, variants: &[ScoredVariant], n_tickets: usize) -> Self {
        Grader::with_table(GoldTable::new(gold, n_tickets), variants)
    }

    /// [`Grader::new`] over a gold set already made into a [`GoldTable`] (which the grader
    /// keeps; the gold set itself may be dropped).
    pub fn with_table(gold: GoldTable, variants: &[ScoredVariant]) -> Self {
        let value_index = gold
            .fields
            .iter()
            .map(|f| {
                f.values
                    .iter()
                    .enumerate()
                    .map(|(i, v)| (Box::from(v.as_str()), i as u32))
                    .collect()
            })
            .collect();
        let mut variant_index = HashMap::new();
        for (i, v) in variants.iter().enumerate() {
            variant_index.entry(v.name.clone()).or_insert(i);
        }
        let (n_tickets, n_fields) = (gold.n_tickets, gold.fields.len());
        Grader {
            prep: Preparer { gold, value_index },
            store: Placer {
                n_tickets,
                n_fields,
                variants: variants.to_vec(),
                variant_index,
                slots: variants
                    .iter()
                    .map(|_| VariantSlots::for_tickets(n_tickets, n_fields))
                    .collect(),
                label_sets: Vec::new(),
                errors: Vec::new(),
                error_index: HashMap::new(),
            },
        }
    }

    /// A grader whose records come only through [`Grader::add_at`] (the caller finds
    /// variants and tickets): [`Grader::new`] without its ticket-id index.
    pub fn for_add_at(gold: &GoldSet, variants: &[ScoredVariant], n_tickets: usize) -> Self {
        Grader::with_table(GoldTable::with_index(gold, n_tickets, false), variants)
    }

    /// Both halves at once: the preparer to share, the placer to store with.
    pub fn parts(&mut self) -> (&Preparer, &mut Placer) {
        (&self.prep, &mut self.store)
    }

    /// Per variant, the mean cost per 1,000 of its repeat-0 records that were paid for
    /// (not cached, with usage), in ticket order, as [`crate::compare::uncached_cost_per_1k`]
    /// prices a run: `None` when one of them came back with usage but no price, `Some(0)`
    /// when none was paid for.
    pub fn paid_cost_per_1k(&self) -> Vec<Option<f64>> {
        self.store
            .slots
            .iter()
            .map(|vs| {
                let (mut sum, mut n) = (0.0, 0usize);
                for &si in &vs.rep0 {
                    let Some(slot) = vs.slots.get(si as usize) else {
                        continue; // no record of the ticket
                    };
                    if slot.cached() || !slot.has_usage() {
                        continue;
                    }
                    if slot.unpriced() {
                        return None;
                    }
                    sum += slot.cost_usd;
                    n += 1;
                }
                Some(if n == 0 { 0.0 } else { sum / n as f64 * 1000.0 })
            })
            .collect()
    }

    /// How many records are kept (one per variant, ticket and repeat met).
    pub fn stored(&self) -> usize {
        self.store.slots.iter().map(|vs| vs.slots.len()).sum()
    }

    /// Whether `id` is one of the scored tickets.
    pub fn knows_ticket(&self, id: &str) -> bool {
        self.prep.ticket_row(id).is_some()
    }

    /// The position of ticket `id` among the scored tickets (for [`Grader::add_at`]).
    pub fn ticket_row(&self, id: &str) -> Option<u32> {
        self.prep.ticket_row(id)
    }

    /// [`Grader::ticket_row`] from any thread: `last` is the caller's last row found
    /// (`u32::MAX` at first), tried first since records mostly come in ticket order.
    pub fn ticket_row_after(&self, id: &str, last: &mut u32) -> Option<u32> {
        self.prep.ticket_row_after(id, last)
    }

    /// Adds a variant met in the records (`verdict score` scores every variant it reads)
    /// and returns its position (for [`Grader::add_at`]).
    pub fn ensure_variant(&mut self, name: &str) -> usize {
        self.store.ensure_variant(name)
    }

    /// Grades one journal record.
    pub fn add_record(&mut self, r: &PredictionRecord) {
        let Some(&vi) = self.store.variant_index.get(&r.variant) else {
            return;
        };
        let Some(ti) = self.prep.ticket_row(&r.ticket) else {
            return;
        };
        self.add_record_at(vi, ti, r);
    }

    /// [`Grader::add_record`] with the variant and ticket found by the caller (as in
    /// [`Grader::add_at`]).
    pub fn add_record_at(&mut self, vi: usize, ti: u32, r: &PredictionRecord) {
        self.store.add_record_at(&self.prep, vi, ti, r);
    }

    /// Grades one record.
    pub fn add<'a, O: Fn(&str) -> Option<OutputValue<'a>>>(&mut self, r: RecordView<'a, O>) {
        let Some(&vi) = self.store.variant_index.get(r.variant) else {
            return;
        };
        let Some(ti) = self.prep.ticket_row(r.ticket) else {
            return;
        };
        self.add_at(vi, ti, r);
    }

    /// Grades one record of variant `vi` (its position in the variants given to
    /// [`Grader::new`], the first of its name) on scored ticket `ti` (its position among the
    /// scored tickets), found by the caller: [`Grader::add`] without the look-ups.
    pub fn add_at<'a, O: Fn(&str) -> Option<OutputValue<'a>>>(
        &mut self,
        vi: usize,
        ti: u32,
        r: RecordView<'a, O>,
    ) {
        self.store.add_at(&self.prep, vi, ti, r);
    }

    /// [`Preparer::prepare`].
    pub fn prepare<'a, O: Fn(&str) -> Option<OutputValue<'a>>>(
        &self,
        r: &RecordView<'a, O>,
    ) -> Prepared {
        self.prep.prepare(r)
    }

    /// [`Placer::place`].
    pub fn place(&mut self, vi: usize, ti: u32, p: Prepared) {
        self.store.place(vi, ti, p);
    }

    /// The graded run.
    pub fn finish(self) -> Graded {
        let GoldTable {
            fields,
            n_tickets: n,
            columns: gold_cols,
            tags,
            ..
        } = self.prep.gold;
        let store = self.store;
        let label_sets = &store.label_sets;
        // Each variant's slots are freed once its columns are built, so the peak holds one
        // variant's slots and columns at a time, not all of both.
        let variants = store
            .variants
            .iter()
            .zip(store.slots)
            .map(|(v, vs)| grade_variant(v, &vs, &fields, &gold_cols, n, label_sets, &store.errors))
            .collect();
        Graded {
            fields,
            n_tickets: n,
            gold: gold_cols,
            tags,
            variants,
        }
    }
}

impl Preparer {
    /// The position of ticket `id` among the scored tickets.
    pub fn ticket_row(&self, id: &str) -> Option<u32> {
        self.gold.index.get(id)
    }

    /// How many tickets are scored.
    pub fn n_tickets(&self) -> usize {
        self.gold.n_tickets()
    }

    /// [`Preparer::ticket_row`] from any thread: `last` is the caller's last row found
    /// (`u32::MAX` at first), tried first since records mostly come in ticket order.
    pub fn ticket_row_after(&self, id: &str, last: &mut u32) -> Option<u32> {
        self.gold.index.get_after(id, last)
    }

    /// The part of [`Grader::add_at`] that reads only the record and the gold set's fields,
    /// so it can run on any thread: each field's prediction checked against its field, the
    /// confidence, cost and latency as stored. [`Placer::place`] stores the result.
    pub fn prepare<'a, O: Fn(&str) -> Option<OutputValue<'a>>>(
        &self,
        r: &RecordView<'a, O>,
    ) -> Prepared {
        let nf = self.gold.fields.len();
        let mut preds: [Pred; 4] = [Pred::Absent; 4];
        let mut more_preds: Vec<Pred> = Vec::new();
        let mut sets: Vec<Vec<u32>> = Vec::new();
        for (fi, f) in self.gold.fields.iter().enumerate() {
            let p = match (r.outputs)(f.name.as_str()) {
                None => Pred::Absent,
                Some(_) if r.outcome != Outcome::Ok => Pred::Invalid,
                Some(v) => self.value(fi, f, &v, &mut sets),
            };
            if fi < preds.len() {
                preds[fi] = p;
            } else {
                more_preds.push(p);
            }
        }
        debug_assert!(nf <= preds.len() || more_preds.len() == nf - preds.len());
        let confidence = match r.confidence {
            None => CONF_ABSENT,
            Some(c) if (0.0..=1.0).contains(&c) => c,
            Some(_) => CONF_INVALID,
        };
        let slot = Slot::new(
            r.outcome,
            confidence,
            r.latency_ms.unwrap_or(f64::NAN),
            r.cost_usd.unwrap_or(0.0),
            r.latency_e2e_ms.unwrap_or(f64::NAN),
            r.started_at_ms.zip(r.finished_at_ms),
            r.usage,
            r.cached,
            !r.cached && r.usage.is_some() && r.cost_usd.is_none(),
            crate::eval_log::unexpected_stop(r.outcome, r.stop_reason),
        );
        let error =
            (r.outcome != Outcome::Ok).then(|| r.error.unwrap_or(r.outcome.name()).to_string());
        let usage = r.usage.filter(|_| slot.big_usage());
        let rare = usage.is_some() || !more_preds.is_empty() || !sets.is_empty() || error.is_some();
        Prepared {
            slot,
            repeat: r.repeat,
            preds,
            rest: rare.then(|| {
                Box::new(PreparedRest {
                    usage,
                    more_preds,
                    sets,
                    error,
                })
            }),
        }
    }

    /// An output value checked against its field (as [`GoldValue::from_json`]).
    fn value(&self, fi: usize, f: &Field, v: &OutputValue, sets: &mut Vec<Vec<u32>>) -> Pred {
        let idx = &self.value_index[fi];
        match (f.kind, v) {
            (FieldKind::Label, OutputValue::Str(s)) => {
                idx.get(*s).map_or(Pred::Invalid, |&i| Pred::Label(i))
            }
            (FieldKind::Labels, OutputValue::List(items)) => {
                let Some(mut set) = items
                    .iter()
                    .map(|s| idx.get(*s).copied())
                    .collect::<Option<Vec<u32>>>()
                else {
                    return Pred::Invalid;
                };
                set.sort_unstable();
                set.dedup();
                sets.push(set);
                Pred::Labels(sets.len() as u32 - 1)
            }
            (FieldKind::Flag, OutputValue::Bool(b)) => Pred::Flag(*b),
            _ => Pred::Invalid,
        }
    }
}

impl Placer {
    /// Adds a variant met in the records (`verdict score` scores every variant it reads)
    /// and returns its position (for [`Placer::place`]).
    pub fn ensure_variant(&mut self, name: &str) -> usize {
        if let Some(&i) = self.variant_index.get(name) {
            return i;
        }
        self.variant_index
            .insert(name.to_string(), self.variants.len());
        self.variants.push(ScoredVariant {
            name: name.to_string(),
            provider: "external".into(),
            model: None,
        });
        self.slots
            .push(VariantSlots::for_tickets(self.n_tickets, self.n_fields));
        self.variants.len() - 1
    }

    /// [`Grader::add_at`], `prep` being the grader's other half.
    pub fn add_at<'a, O: Fn(&str) -> Option<OutputValue<'a>>>(
        &mut self,
        prep: &Preparer,
        vi: usize,
        ti: u32,
        r: RecordView<'a, O>,
    ) {
        let p = prep.prepare(&r);
        self.place(vi, ti, p);
    }

    /// [`Grader::add_record_at`], `prep` being the grader's other half.
    pub fn add_record_at(&mut self, prep: &Preparer, vi: usize, ti: u32, r: &PredictionRecord) {
        self.add_at(
            prep,
            vi,
            ti,
            RecordView {
                variant: &r.variant,
                ticket: &r.ticket,
                repeat: r.repeat,
                outcome: r.outcome,
                outputs: |name: &str| r.outputs.get(name).map(OutputValue::of_json),
                confidence: r.confidence,
                usage: r.usage,
                cost_usd: r.cost_usd,
                latency_ms: r.latency_ms,
                cached: r.cached,
                error: r.error.as_deref(),
                stop_reason: r.stop_reason.as_deref(),
                latency_e2e_ms: r.latency_e2e_ms,
                started_at_ms: r.started_at_ms,
                finished_at_ms: r.finished_at_ms,
            },
        );
    }

    /// Stores a record [`Preparer::prepare`]d as variant `vi`'s on scored ticket `ti` (as in
    /// [`Grader::add_at`]): the last record of its (variant, ticket, repeat) wins.
    pub fn place(&mut self, vi: usize, ti: u32, p: Prepared) {
        let nf = self.n_fields;
        let Prepared {
            mut slot,
            repeat,
            mut preds,
            rest,
        } = p;
        let PreparedRest {
            usage,
            mut more_preds,
            sets,
            error,
        } = rest.map(|r| *r).unwrap_or_default();
        if !sets.is_empty() {
            // The record's label sets join the grader's; its indices are shifted to theirs.
            let base = self.label_sets.len() as u32;
            self.label_sets.extend(sets);
            for p in preds.iter_mut().chain(more_preds.iter_mut()) {
                if let Pred::Labels(k) = p {
                    *k += base;
                }
            }
        }
        if let Some(message) = error {
            let of_outcome = self.error_index.entry(slot.outcome).or_default();
            slot.error = match of_outcome.get(&message) {
                Some(&i) => i,
                None => {
                    let i = self.errors.len() as u32;
                    self.errors.push((slot.outcome, message.clone()));
                    of_outcome.insert(message, i);
                    i
                }
            };
        }
        let field_preds = || {
            preds
                .iter()
                .take(nf)
                .copied()
                .chain(more_preds.iter().copied())
        };
        let vs = &mut self.slots[vi];
        let existing = if repeat == 0 {
            Some(vs.rep0[ti as usize]).filter(|&s| s != u32::MAX)
        } else {
            vs.more.get(&(ti, repeat)).copied()
        };
        match existing {
            Some(si) => {
                let si = si as usize;
                let old = &vs.slots[si];
                let differs = old.outcome != slot.outcome
                    || old.confidence.to_bits() != slot.confidence.to_bits()
                    || vs.preds[si * nf..(si + 1) * nf]
                        .iter()
                        .copied()
                        .zip(field_preds())
                        .any(|(a, b)| !same_pred(a, b, &self.label_sets));
                if differs {
                    vs.replaced += 1;
                }
                let big = slot.big_usage() || vs.slots[si].big_usage();
                vs.slots[si] = slot;
                if big {
                    vs.set_big_usage(si as u32, usage);
                }
                for (k, p) in field_preds().enumerate() {
                    vs.preds[si * nf + k] = p;
                }
            }
            None => {
                let si = vs.slots.len() as u32;
                if repeat == 0 {
                    vs.rep0[ti as usize] = si;
                } else {
                    vs.more.insert((ti, repeat), si);
                }
                let big = slot.big_usage();
                vs.slots.push(slot);
                if big {
                    vs.set_big_usage(si, usage);
                }
                vs.preds.extend(field_preds());
            }
        }
    }
}

fn same_pred(a: Pred, b: Pred, sets: &[Vec<u32>]) -> bool {
    match (a, b) {
        (Pred::Labels(x), Pred::Labels(y)) => sets[x as usize] == sets[y as usize],
        _ => a == b,
    }
}

#[cfg(test)]
mod prepared_tests {
    /// The prepared records a chunk moves from the scanning side to the placer stay small
    /// (see [`super::Prepared`]).
    #[test]
    fn a_prepared_record_is_about_120_bytes() {
        assert!(std::mem::size_of::<super::Prepared>() <= 120);
        assert!(std::mem::size_of::<Option<super::Prepared>>() <= 120);
    }
}

//! The gold set as the grader reads it: the scored tickets' ids (for finding a record's
//! ticket), each field's gold values as a column, and each tag's tickets. No texts, no
//! per-ticket allocations: at 1,000,000 tickets a few dozen MB, where the [`GoldSet`] it is
//! made from holds about 260 MB (without texts), so `verdict score` can free the gold set
//! before the predictions are read.

use hashbrown::HashMap;

use super::GoldColumn;
use super::TicketIndex;
use crate::gold::{Field, FieldKind, GoldSet, GoldValue};

/// The first `n_tickets` tickets of a gold set, for grading.
pub struct GoldTable {
    pub(super) fields: Vec<Field>,
    pub(super) n_tickets: usize,
    /// Ticket id -> row; empty for a grader fed only through [`super::Grader::add_at`].
    pub(super) index: TicketIndex,
    /// Per field, the gold values of the tickets.
    pub(super) columns: Vec<GoldColumn>,
    /// Per tag, in first-seen order: the tickets (rows) that carry it.
    pub(super) tags: Vec<(String, Vec<u32>)>,
}

impl GoldTable {
    /// The first `n_tickets` tickets of `gold` (all of them when it has fewer).
    pub fn new(gold: &GoldSet, n_tickets: usize) -> Self {
        GoldTable::with_index(gold, n_tickets, true)
    }

    pub(super) fn with_index(gold: &GoldSet, n_tickets: usize, index: bool) -> Self {
        let n = n_tickets.min(gold.tickets.len());
        let tickets = &gold.tickets[..n];
        let (index, (columns, tags)) = rayon::join(
            || TicketIndex::new(&tickets[..if index { n } else { 0 }]),
            || (columns(gold, n), tags(gold, n)),
        );
        GoldTable {
            fields: gold.fields.clone(),
            n_tickets: n,
            index,
            columns,
            tags,
        }
    }

    /// A table from its parts, as a loader reads them straight from a file: the ids one
    /// after another in `ids`, ticket i's ending at `ends[i]`; per field its gold column;
    /// per tag, in first-seen order, the rows that carry it (ascending). What
    /// [`GoldTable::new`] makes of the gold set with those tickets. No id may be repeated
    /// (the one-pass loader gives a file up on a repeated or look-alike id): the ids are not
    /// hashed until a lookup needs it.
    pub fn from_parts(
        fields: Vec<Field>,
        ids: String,
        ends: Vec<usize>,
        columns: Vec<GoldColumn>,
        tags: Vec<(String, Vec<u32>)>,
    ) -> Self {
        GoldTable {
            fields,
            n_tickets: ends.len(),
            index: TicketIndex::from_unique_ids(ids, ends),
            columns,
            tags,
        }
    }

    /// How many tickets are scored.
    pub fn n_tickets(&self) -> usize {
        self.n_tickets
    }

    /// The gold set's fields.
    pub fn fields(&self) -> &[Field] {
        &self.fields
    }
}

/// Equal: the same fields, ids (in order), gold columns and tags.
impl PartialEq for GoldTable {
    fn eq(&self, other: &Self) -> bool {
        self.fields == other.fields
            && self.n_tickets == other.n_tickets
            && self.columns == other.columns
            && self.tags == other.tags
            && self.index.ids().eq(other.index.ids())
    }
}

impl std::fmt::Debug for GoldTable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GoldTable")
            .field("fields", &self.fields)
            .field("n_tickets", &self.n_tickets)
            .field("ids", &self.index.ids().collect::<Vec<_>>())
            .field("columns", &self.columns)
            .field("tags", &self.tags)
            .finish()
    }
}

fn columns(gold: &GoldSet, n: usize) -> Vec<GoldColumn> {
    let tickets = &gold.tickets[..n];
    (0..gold.fields.len())
        .map(|fi| {
            let vals = tickets.iter().map(|t| &t.labels[fi]);
            match gold.fields[fi].kind {
                FieldKind::Label => GoldColumn::Label(
                    vals.map(|v| match v {
                        GoldValue::Label(l) => *l,
                        _ => unreachable!("label field"),
                    })
                    .collect(),
                ),
                FieldKind::Labels => GoldColumn::Labels(
                    vals.map(|v| match v {
                        GoldValue::Labels(l) => l.clone(),
                        _ => unreachable!("labels field"),
                    })
                    .collect(),
                ),
                FieldKind::Flag => {
                    GoldColumn::Flag(vals.map(|v| matches!(v, GoldValue::Flag(true))).collect())
                }
            }
        })
        .collect()
}

fn tags(gold: &GoldSet, n: usize) -> Vec<(String, Vec<u32>)> {
    let mut tags = TagRows::default();
    for (i, t) in gold.tickets[..n].iter().enumerate() {
        for tag in &t.tags {
            tags.add(tag, i as u32);
        }
    }
    tags.into_vec()
}

/// Each tag's rows, as rows are met in order: the tags in first-seen order, each tag's rows
/// ascending, once each ([`GoldTable`]'s `tags`).
#[derive(Default)]
pub struct TagRows {
    tags: Vec<(String, Vec<u32>)>,
    index: HashMap<String, usize>,
}

impl TagRows {
    /// Row `row` carries `tag` (rows come in ascending order).
    pub fn add(&mut self, tag: &str, row: u32) {
        let k = match self.index.get(tag) {
            Some(&k) => k,
            None => {
                self.index.insert(tag.to_string(), self.tags.len());
                self.tags.push((tag.to_string(), Vec::new()));
                self.tags.len() - 1
            }
        };
        let rows = &mut self.tags[k].1;
        if rows.last() != Some(&row) {
            rows.push(row);
        }
    }

    /// The rows of `next`, which met the rows after this one's, `base` being its first row's
    /// number here: as if this one had met them.
    pub fn append(&mut self, next: TagRows, base: u32) {
        for (tag, rows) in next.tags {
            let rows = rows.into_iter().map(|r| r + base);
            match self.index.get(tag.as_str()) {
                Some(&k) => self.tags[k].1.extend(rows),
                None => {
                    self.index.insert(tag.clone(), self.tags.len());
                    self.tags.push((tag, rows.collect()));
                }
            }
        }
    }

    pub fn into_vec(self) -> Vec<(String, Vec<u32>)> {
        self.tags
    }
}

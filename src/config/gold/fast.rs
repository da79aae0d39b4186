//! The fast path of a CSV or JSONL gold set: one streaming pass over the file's text straight
//! into typed tickets, with no `serde_json::Value` per cell and no row table in between.
//!
//! It reads only the columns the [`TableSpec`] names and interns each field's labels as rows
//! are read. It accepts a file only when the full loader ([`super::table::from_table`] over
//! [`crate::config::source::read_table`]) would load it to the same gold set with no error
//! and no warning: anything else (a bad cell, a missing label, a duplicate or look-alike id,
//! a repeated key, a value of an unusual JSON type, a cell holding a line break, a column the
//! spec names that the file lacks) gives up with `None`, and the caller runs the full loader,
//! which says what is wrong, where. So every message is the full loader's, and the fast path
//! only decides how quickly a good file loads (1,000,000 rows: about 0.5 s, where the row
//! table took about 6 s and 1.2 GB). `fast_tests.rs` holds the two to the same result.

use std::borrow::Cow;
use std::hash::{BuildHasher, Hasher};

use hashbrown::HashMap;
use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::TableSpec;
use crate::gold::{Field, FieldKind, GoldSet, GoldValue, Ticket};
use crate::score::{GoldColumn, GoldTable, TagRows};

/// The gold set of a CSV or JSONL file `text` read through `spec`, or `None` when the full
/// loader must read it (see the module's comment).
///
/// With `texts` false the tickets' texts are checked as ever but not kept (each is left
/// empty): for a caller that grades and never reads them, it saves an allocation and a copy
/// per ticket.
pub(super) fn from_text(
    spec: &TableSpec,
    text: &str,
    sha256: &str,
    texts: bool,
) -> Option<GoldSet> {
    let mode = if texts { Mode::Texts } else { Mode::NoTexts };
    from_text_split(spec, text, sha256, mode, &halves).map(|(gold, _)| gold)
}

/// [`from_text`] for grading alone: the tickets go straight into a [`GoldTable`] (ids in one
/// buffer, a column per field, the rows of each tag), with no [`Ticket`] in between; the
/// gold set returned holds the fields and the SHA-256, and no tickets. The table is
/// [`GoldTable::new`] of [`from_text`]'s gold set (the tests hold the two to it).
pub(super) fn table_from_text(
    spec: &TableSpec,
    text: &str,
    sha256: &str,
) -> Option<(GoldSet, GoldTable)> {
    let (gold, table) = from_text_split(spec, text, sha256, Mode::Table, &halves)?;
    Some((gold, table?))
}

/// The split of [`from_text_split`] that [`from_text`] uses: two halves from [`SPLIT_MIN`].
fn halves(n: usize) -> Option<usize> {
    (n >= SPLIT_MIN).then_some(n / 2)
}

/// What the loader makes of the rows.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Mode {
    /// Tickets, with their texts.
    Texts,
    /// Tickets, their texts checked and left empty.
    NoTexts,
    /// A [`GoldTable`] (see [`table_from_text`]).
    Table,
}

/// Files from this size on are read in two parts, one per core ([`from_text_split`]).
const SPLIT_MIN: usize = 1 << 20;

/// [`from_text`], reading the file in two parts at once when `split_from` (given the length
/// of the text after any CSV header) says where to start looking for the line break that ends
/// the first part: the second part is the rest. Each part fills a builder of its own (the
/// same columns, fields, declared values and id hasher) and the second joins the first
/// ([`Builder::join`]): its labels renumbered into the first's, its ids checked against the
/// first's. The result is the one-part result, `None`
/// included; the tests hold the two to it at every split point.
///
/// A file whose tickets have no id column is read in one part (the ids made up from row
/// numbers need the rows before).
fn from_text_split(
    spec: &TableSpec,
    text: &str,
    sha256: &str,
    mode: Mode,
    split_from: &dyn Fn(usize) -> Option<usize>,
) -> Option<(GoldSet, Option<GoldTable>)> {
    let csv = spec
        .path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("csv"));
    let jsonl = spec
        .path
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| ["jsonl", "ndjson"].contains(&e.to_ascii_lowercase().as_str()));
    if !csv && !jsonl {
        return None;
    }
    let mut b = Builder::new(spec, !csv, mode)?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    // CSV: the header's columns, then the records after it.
    let (columns, body) = if csv {
        let (columns, header_end) = csv_header(text, &b)?;
        b.met.iter_mut().for_each(|m| *m = true);
        (Some(columns), &text[header_end..])
    } else {
        (None, text)
    };
    // Room for a ticket per line from the start: a vector grown by doubling copies a million
    // tickets about twenty times over and touches twice the memory.
    let lines = |part: &str| memchr::memchr_iter(b'\n', part.as_bytes()).count() + 1;
    // `Some(true)`: a CSV value holds a line break (a quoted value over several lines).
    let read = |part: &str, b: &mut Builder| -> Option<bool> {
        match &columns {
            Some(c) => read_csv(part, c, b),
            None => read_jsonl(part, b).map(|()| false),
        }
    };
    // A CSV value over several lines is what the full loader checks for a quote left open
    // (which swallows what follows into one value, up to the next quote): the same check,
    // and the fast path gives such a file up to it.
    let unclosed =
        |line_breaks: bool| line_breaks && crate::config::source::unclosed_quote(text, 0).is_some();
    // The whole body in one part.
    let one_part = |b: &mut Builder| -> Option<()> {
        let n = lines(body);
        b.reserve(n, body.len() / 4);
        b.ids.reserve(n);
        (!unclosed(read(body, b)?)).then_some(())
    };
    let cut = split_from(body.len())
        .filter(|&from| spec.id.is_some() && from <= body.len())
        .and_then(|from| Some(from + memchr::memchr(b'\n', &body.as_bytes()[from..])? + 1));
    match cut {
        Some(cut) if cut < body.len() => {
            // The first part keeps its line break: in CSV, one inside a quoted value then
            // stays in that value, which the first part refuses, as the whole file's reading
            // does.
            let (first, second) = body.split_at(cut);
            let mut b2 = b.fork();
            // The first part's vectors have room for the second's tickets too: they are
            // moved into them, not copied to a third.
            let (n1, n2) = (lines(first), lines(second));
            b.reserve(n1 + n2, first.len() / 4);
            b.ids.reserve(n1 + n2);
            b2.reserve(n2, second.len() / 4);
            b2.ids.reserve(n2);
            let (r1, r2) = rayon::join(|| read(first, &mut b), || read(second, &mut b2));
            if r1 != Some(false) || r2 != Some(false) {
                if !csv {
                    return None;
                }
                // A value over several lines, and the cut may be inside one (the parts then
                // read as something else, or not at all): the file again, in one part.
                let mut b = Builder::new(spec, !csv, mode)?;
                b.met.iter_mut().for_each(|m| *m = true);
                one_part(&mut b)?;
                return b.finish(sha256.to_string());
            }
            b.join(b2)?;
        }
        _ => one_part(&mut b)?,
    }
    b.finish(sha256.to_string())
}

/// One cell as read, borrowed from the text where it has no escapes.
#[derive(Debug)]
enum Cell<'a> {
    Missing,
    Null,
    Str(Cow<'a, str>),
    Bool(bool),
    /// A JSON array of strings.
    List(Vec<Cow<'a, str>>),
    /// Any other JSON value (number, object, array of other things): the full loader's.
    Other,
}

/// How the labels of one field are turned into indices.
#[derive(Clone)]
enum Values {
    /// Declared values: a label must be one of them.
    Fixed(HashMap<String, u32>),
    /// Values collected from the cells (undeclared fields, and declared ones without
    /// `values:`), numbered in first-seen order, renumbered in sorted order at the end.
    Seen(HashMap<String, u32>),
}

struct FieldReader {
    field: Field,
    /// Index of its column among the needed columns.
    col: usize,
    /// Not declared in `fields:` (a label per cell; lists and booleans are errors).
    inferred: bool,
    values: Values,
}

/// Where a [`Builder`]'s rows go.
enum Out {
    Tickets(Vec<Ticket>),
    Table(Columns),
}

/// The parts of a [`GoldTable`], as rows are read.
struct Columns {
    /// The ids one after another; id i ends at `ends[i]`.
    ids: String,
    ends: Vec<usize>,
    /// Per field (in [`Builder::fields`] order), its values.
    cols: Vec<GoldColumn>,
    /// Per tag, in first-seen order, the rows that carry it.
    tags: TagRows,
}

impl Out {
    fn empty(mode: Mode, fields: &[FieldReader]) -> Out {
        match mode {
            Mode::Texts | Mode::NoTexts => Out::Tickets(Vec::new()),
            Mode::Table => Out::Table(Columns {
                ids: String::new(),
                ends: Vec::new(),
                cols: fields
                    .iter()
                    .map(|f| match f.field.kind {
                        FieldKind::Label => GoldColumn::Label(Vec::new()),
                        FieldKind::Labels => GoldColumn::Labels(Vec::new()),
                        FieldKind::Flag => GoldColumn::Flag(Vec::new()),
                    })
                    .collect(),
                tags: TagRows::default(),
            }),
        }
    }

    fn len(&self) -> usize {
        match self {
            Out::Tickets(t) => t.len(),
            Out::Table(c) => c.ends.len(),
        }
    }

    /// Renumbers field `k`'s labels through `new_of` (old index -> new), sorting each set.
    fn relabel(&mut self, k: usize, new_of: &[u32]) {
        let set = |v: &mut Vec<u32>| {
            v.iter_mut().for_each(|i| *i = new_of[*i as usize]);
            v.sort_unstable();
            v.dedup();
        };
        match self {
            Out::Tickets(tickets) => {
                for t in tickets {
                    match &mut t.labels[k] {
                        GoldValue::Label(i) => *i = new_of[*i as usize],
                        GoldValue::Labels(v) => set(v),
                        GoldValue::Flag(_) => {}
                    }
                }
            }
            Out::Table(c) => match &mut c.cols[k] {
                GoldColumn::Label(col) => col.iter_mut().for_each(|i| *i = new_of[*i as usize]),
                GoldColumn::Labels(col) => col.iter_mut().for_each(set),
                GoldColumn::Flag(_) => {}
            },
        }
    }
}

/// Collects tickets; `None` from any method means "the full loader must read this file".
struct Builder<'s> {
    /// The columns read, in this order: text, id (if any), each field's, each tag's.
    columns: Vec<&'s str>,
    /// Whether each needed column was met (JSONL: in some row; CSV: in the header).
    met: Vec<bool>,
    has_id: bool,
    fields: Vec<FieldReader>,
    tag_cols: Vec<usize>,
    jsonl: bool,
    /// Keep the texts (see [`from_text`]).
    texts: bool,
    out: Out,
    /// Hashes of the ids seen, trimmed and lowercased: a second id with the same hash is a
    /// duplicate, a look-alike (both reported by the full loader) or a hash collision.
    ids: hashbrown::HashSet<u64, NoHash>,
    hasher: hashbrown::DefaultHashBuilder,
}

impl<'s> Builder<'s> {
    fn new(spec: &'s TableSpec, jsonl: bool, mode: Mode) -> Option<Self> {
        let mut columns: Vec<&str> = vec![&spec.text];
        if let Some(id) = &spec.id {
            columns.push(id);
        }
        let declared: &[Field] = spec.fields.as_deref().unwrap_or(&[]);
        // Every declared field needs its column; field names are unique.
        if declared
            .iter()
            .any(|f| !spec.labels.iter().any(|(n, _)| n == &f.name))
        {
            return None;
        }
        let mut names: Vec<&str> = spec.labels.iter().map(|(n, _)| n.as_str()).collect();
        names.sort_unstable();
        if names.windows(2).any(|w| w[0] == w[1]) {
            return None;
        }
        let mut fields = Vec::new();
        let column_of = |name: &str| {
            spec.labels
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, c)| c.as_str())
        };
        let ordered = declared.iter().map(|f| (f.clone(), false)).chain(
            spec.labels
                .iter()
                .filter(|(n, _)| !declared.iter().any(|f| &f.name == n))
                .map(|(n, _)| {
                    let f = Field {
                        name: n.clone(),
                        kind: FieldKind::Label,
                        values: Vec::new(),
                    };
                    (f, true)
                }),
        );
        for (field, inferred) in ordered {
            let col = column_of(&field.name)?;
            let values = if field.kind != FieldKind::Flag && field.values.is_empty() {
                Values::Seen(HashMap::new())
            } else {
                Values::Fixed(
                    field
                        .values
                        .iter()
                        .enumerate()
                        .map(|(i, v)| (v.clone(), i as u32))
                        .collect(),
                )
            };
            fields.push(FieldReader {
                field,
                col: columns.len(),
                inferred,
                values,
            });
            columns.push(col);
        }
        let mut tag_cols = Vec::new();
        for tag in &spec.tags {
            tag_cols.push(columns.len());
            columns.push(tag);
        }
        Some(Builder {
            met: vec![false; columns.len()],
            columns,
            has_id: spec.id.is_some(),
            out: Out::empty(mode, &fields),
            fields,
            tag_cols,
            jsonl,
            texts: mode == Mode::Texts,
            ids: hashbrown::HashSet::with_hasher(NoHash),
            hasher: hashbrown::DefaultHashBuilder::default(),
        })
    }

    /// An empty builder like this one (the same columns, fields, values and id hasher) for
    /// another part of the file, to be [`Builder::join`]ed to this one.
    fn fork(&self) -> Self {
        Builder {
            columns: self.columns.clone(),
            met: self.met.clone(),
            has_id: self.has_id,
            fields: self
                .fields
                .iter()
                .map(|f| FieldReader {
                    field: f.field.clone(),
                    col: f.col,
                    inferred: f.inferred,
                    values: f.values.clone(),
                })
                .collect(),
            tag_cols: self.tag_cols.clone(),
            jsonl: self.jsonl,
            texts: self.texts,
            out: Out::empty(
                match self.out {
                    Out::Tickets(_) => Mode::Texts,
                    Out::Table(_) => Mode::Table,
                },
                &self.fields,
            ),
            ids: hashbrown::HashSet::with_hasher(NoHash),
            hasher: self.hasher,
        }
    }

    /// Appends the tickets of `next` (a [`Builder::fork`] of this one that read the part of
    /// the file after this one's), as if this builder had read them: `None` for an id whose
    /// hash this part has (a duplicate, a look-alike or a collision, as within one part); the
    /// labels first seen in `next` numbered after this part's.
    fn join(&mut self, mut next: Builder<'s>) -> Option<()> {
        for h in &next.ids {
            if !self.ids.insert(*h) {
                return None;
            }
        }
        for (m, n) in self.met.iter_mut().zip(&next.met) {
            *m |= n;
        }
        for (k, (f, g)) in self.fields.iter_mut().zip(&next.fields).enumerate() {
            let (Values::Seen(mine), Values::Seen(theirs)) = (&mut f.values, &g.values) else {
                continue;
            };
            let mut to_mine = vec![0u32; theirs.len()];
            for (label, &j) in theirs {
                let n = mine.len() as u32;
                to_mine[j as usize] = *mine.entry_ref(label.as_str()).or_insert(n);
            }
            // (A set's order and duplicates are settled by `finish`'s renumbering.)
            next.out.relabel(k, &to_mine);
        }
        match (&mut self.out, next.out) {
            (Out::Tickets(mine), Out::Tickets(mut theirs)) => mine.append(&mut theirs),
            (Out::Table(mine), Out::Table(theirs)) => {
                let (base, offset) = (mine.ends.len() as u32, mine.ids.len());
                mine.ids.push_str(&theirs.ids);
                mine.ends.extend(theirs.ends.iter().map(|e| e + offset));
                for (m, t) in mine.cols.iter_mut().zip(theirs.cols) {
                    match (m, t) {
                        (GoldColumn::Label(m), GoldColumn::Label(t)) => m.extend(t),
                        (GoldColumn::Labels(m), GoldColumn::Labels(t)) => m.extend(t),
                        (GoldColumn::Flag(m), GoldColumn::Flag(t)) => m.extend(t),
                        _ => unreachable!("a fork has the same columns"),
                    }
                }
                mine.tags.append(theirs.tags, base);
            }
            _ => unreachable!("a fork has the same kind of output"),
        }
        Some(())
    }

    /// Room for `n` more rows (and, for a table, `id_bytes` more bytes of ids).
    fn reserve(&mut self, n: usize, id_bytes: usize) {
        match &mut self.out {
            Out::Tickets(t) => t.reserve(n),
            Out::Table(c) => {
                c.ends.reserve(n);
                c.ids.reserve(id_bytes.min(n * 16));
                for col in &mut c.cols {
                    match col {
                        GoldColumn::Label(v) => v.reserve(n),
                        GoldColumn::Labels(v) => v.reserve(n),
                        GoldColumn::Flag(v) => v.reserve(n),
                    }
                }
            }
        }
    }

    /// Adds the row whose needed cells are `cells` (in [`Builder::columns`] order).
    fn row(&mut self, cells: &mut [Cell]) -> Option<()> {
        let n = self.out.len();
        let made_up;
        let id: &str = if self.has_id {
            match &cells[1] {
                Cell::Str(s) if !s.trim().is_empty() => s,
                _ => return None,
            }
        } else {
            made_up = format!("row-{}", n + 1);
            &made_up
        };
        let mut h = self.hasher.build_hasher();
        let key = id.trim();
        if key.is_ascii() {
            for b in key.bytes() {
                h.write_u8(b.to_ascii_lowercase());
            }
        } else {
            h.write(key.to_lowercase().as_bytes());
        }
        if !self.ids.insert(h.finish()) {
            return None;
        }
        let Out::Tickets(tickets) = &mut self.out else {
            return self.table_row(n, id, cells);
        };
        let id = id.to_string();
        let text = match std::mem::replace(&mut cells[0], Cell::Missing) {
            Cell::Str(s) if !s.trim().is_empty() => match self.texts {
                true => s.into_owned(),
                false => String::new(),
            },
            _ => return None,
        };
        let mut labels = Vec::with_capacity(self.fields.len());
        for f in &mut self.fields {
            labels.push(value(f, &cells[f.col], self.jsonl)?);
        }
        let mut tags = Vec::new();
        for &c in &self.tag_cols {
            if let Some(tag) = tag(&cells[c])? {
                tags.push(tag.to_string());
            }
        }
        tickets.push(Ticket {
            id,
            text,
            labels,
            tags,
            clarification: None,
        });
        Some(())
    }

    /// [`Builder::row`] into a table: row `n`, its `id` checked already.
    fn table_row(&mut self, n: usize, id: &str, cells: &[Cell]) -> Option<()> {
        let Out::Table(c) = &mut self.out else {
            unreachable!("a table's builder");
        };
        if !matches!(&cells[0], Cell::Str(s) if !s.trim().is_empty()) {
            return None;
        }
        c.ids.push_str(id);
        c.ends.push(c.ids.len());
        for (f, col) in self.fields.iter_mut().zip(&mut c.cols) {
            match (value(f, &cells[f.col], self.jsonl)?, col) {
                (GoldValue::Label(i), GoldColumn::Label(col)) => col.push(i),
                (GoldValue::Labels(v), GoldColumn::Labels(col)) => col.push(v),
                (GoldValue::Flag(b), GoldColumn::Flag(col)) => col.push(b),
                _ => unreachable!("a field's column is of its kind"),
            }
        }
        for &k in &self.tag_cols {
            if let Some(tag) = tag(&cells[k])? {
                c.tags.add(tag, n as u32);
            }
        }
        Some(())
    }

    fn finish(mut self, sha256: String) -> Option<(GoldSet, Option<GoldTable>)> {
        if self.out.len() == 0 || self.met.iter().any(|m| !m) {
            return None;
        }
        let mut fields = Vec::with_capacity(self.fields.len());
        for (k, f) in self.fields.into_iter().enumerate() {
            let mut field = f.field;
            if let Values::Seen(seen) = f.values {
                // Sorted as the full loader sorts them; the first-seen numbers are renumbered.
                let mut vals: Vec<(String, u32)> = seen.into_iter().collect();
                vals.sort_unstable();
                let mut new_of = vec![0u32; vals.len()];
                for (new, (_, old)) in vals.iter().enumerate() {
                    new_of[*old as usize] = new as u32;
                }
                self.out.relabel(k, &new_of);
                field.values = vals.into_iter().map(|(v, _)| v).collect();
            }
            fields.push(field);
        }
        Some(match self.out {
            Out::Tickets(tickets) => (
                GoldSet {
                    fields,
                    tickets,
                    sha256,
                },
                None,
            ),
            Out::Table(c) => {
                let table =
                    GoldTable::from_parts(fields.clone(), c.ids, c.ends, c.cols, c.tags.into_vec());
                let gold = GoldSet {
                    fields,
                    tickets: Vec::new(),
                    sha256,
                };
                (gold, Some(table))
            }
        })
    }
}

/// The tag in a tag column's `cell` (`None` when the cell has none: missing, null or empty);
/// `None` outside when the full loader must read it.
fn tag<'c>(cell: &'c Cell) -> Option<Option<&'c str>> {
    match cell {
        Cell::Missing | Cell::Null => Some(None),
        Cell::Str(s) if s.is_empty() => Some(None),
        Cell::Str(s) => Some(Some(s)),
        _ => None,
    }
}

/// The value of field `f` in `cell`, as the full loader's `table_value` reads it when it finds
/// nothing wrong; `None` when it might (then it is that loader's to say).
fn value(f: &mut FieldReader, cell: &Cell, jsonl: bool) -> Option<GoldValue> {
    match (f.field.kind, cell) {
        (FieldKind::Label, Cell::Str(s)) => {
            // Surrounding spaces, an empty cell, and in CSV a `|` list in a column not declared
            // in `fields:` are errors there.
            if s.trim() != s || s.is_empty() || (f.inferred && !jsonl && s.contains('|')) {
                return None;
            }
            Some(GoldValue::Label(intern(&mut f.values, s)?))
        }
        (FieldKind::Labels, Cell::Str(s)) => {
            let mut out = Vec::new();
            for p in s.split('|').map(str::trim).filter(|p| !p.is_empty()) {
                out.push(intern(&mut f.values, p)?);
            }
            out.sort_unstable();
            out.dedup();
            Some(GoldValue::Labels(out))
        }
        (FieldKind::Labels, Cell::List(items)) => {
            let mut out = Vec::with_capacity(items.len());
            for p in items {
                if p.trim().is_empty() {
                    return None;
                }
                out.push(intern(&mut f.values, p)?);
            }
            out.sort_unstable();
            out.dedup();
            Some(GoldValue::Labels(out))
        }
        (FieldKind::Flag, Cell::Bool(b)) if jsonl && !f.inferred => Some(GoldValue::Flag(*b)),
        (FieldKind::Flag, Cell::Str(s)) => match s.trim().to_ascii_lowercase().as_str() {
            "true" | "yes" | "1" => Some(GoldValue::Flag(true)),
            "false" | "no" | "0" => Some(GoldValue::Flag(false)),
            _ => None,
        },
        _ => None,
    }
}

fn intern(values: &mut Values, s: &str) -> Option<u32> {
    match values {
        Values::Fixed(map) => map.get(s).copied(),
        Values::Seen(map) => {
            if let Some(&i) = map.get(s) {
                return Some(i);
            }
            let i = map.len() as u32;
            map.insert(s.to_string(), i);
            Some(i)
        }
    }
}

/// Where a CSV file's needed columns are.
struct CsvColumns {
    /// The header's width: every record has as many values.
    width: usize,
    /// Per needed column (in [`Builder::columns`] order), its index in a record.
    at: Vec<usize>,
}

/// The columns of the CSV `text`'s header, and where the records after it start.
fn csv_header(text: &str, b: &Builder) -> Option<(CsvColumns, usize)> {
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(text.as_bytes());
    let mut rec = csv::StringRecord::new();
    if !rdr.read_record(&mut rec).ok()? {
        return None;
    }
    let header: Vec<&str> = rec.iter().collect();
    // The header's own checks (one column that looks separated by `;` or tabs, a column
    // named twice, a line break in a name) are the full loader's.
    if header.len() < 2 || header.iter().any(|h| h.contains('\n')) {
        return None;
    }
    for (i, c) in header.iter().enumerate() {
        if header[..i].contains(c) {
            return None;
        }
    }
    let at: Vec<usize> = b
        .columns
        .iter()
        .map(|c| header.iter().position(|h| h == c))
        .collect::<Option<_>>()?;
    let end = usize::try_from(rdr.position().byte()).ok()?;
    // The records start on the line after the header's.
    if end > text.len()
        || !text.is_char_boundary(end)
        || !(text[..end].ends_with('\n') || text[..end].ends_with('\r'))
    {
        return None;
    }
    let width = header.len();
    Some((CsvColumns { width, at }, end))
}

/// Reads the CSV records of `text` (after the header, or a part of them that starts at the
/// start of a line).
fn read_csv(text: &str, columns: &CsvColumns, b: &mut Builder) -> Option<bool> {
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let at = &columns.at;
    let mut rec = csv::StringRecord::new();
    let mut line_breaks = false;
    while rdr.read_record(&mut rec).ok()? {
        if rec.len() != columns.width {
            return None;
        }
        // A line break inside a value: the caller checks the file for a quote left open.
        line_breaks |= rec.iter().any(|v| v.contains('\n'));
        let mut cells: Vec<Cell> = at
            .iter()
            .map(|&i| Cell::Str(Cow::Borrowed(&rec[i])))
            .collect();
        b.row(&mut cells)?;
    }
    Some(line_breaks)
}

fn read_jsonl(text: &str, b: &mut Builder) -> Option<()> {
    let mut keys: Vec<Cow<str>> = Vec::new();
    let mut cells: Vec<Cell> = Vec::new();
    for line in text.lines() {
        if line.trim().is_empty() {
            continue;
        }
        keys.clear();
        cells.clear();
        cells.resize_with(b.columns.len(), || Cell::Missing);
        // The JSON cursor first (plain strings, the usual line); serde for a line it is not
        // sure of (an escape, a deep value), with the same result.
        if scan_line(line, &b.columns, &mut cells, &mut keys).is_none() {
            keys.clear();
            cells.clear();
            cells.resize_with(b.columns.len(), || Cell::Missing);
            let mut de = serde_json::Deserializer::from_str(line);
            LineSeed {
                columns: &b.columns,
                cells: &mut cells,
                keys: &mut keys,
            }
            .deserialize(&mut de)
            .ok()?;
            de.end().ok()?;
        }
        for (m, c) in b.met.iter_mut().zip(&cells) {
            *m |= !matches!(c, Cell::Missing);
        }
        b.row(&mut cells)?;
    }
    Some(())
}

/// [`LineSeed`] on the JSON cursor: one line read into the needed columns' cells as serde
/// reads it, or `None` when the cursor is not sure (a string with an escape, nesting beyond
/// its depth, anything that is not JSON): the caller then reads the line with serde, which
/// decides. A repeated key is `None` too (serde refuses it, so does the caller).
fn scan_line<'a>(
    line: &'a str,
    columns: &[&str],
    cells: &mut [Cell<'a>],
    keys: &mut Vec<Cow<'a, str>>,
) -> Option<()> {
    use crate::eval_log::Scan;
    let mut s = Scan::new(line);
    s.object(|s, key| {
        if keys.iter().any(|k| k == key) {
            return None;
        }
        keys.push(Cow::Borrowed(key));
        let Some(i) = columns.iter().position(|c| *c == key) else {
            return s.skip_value(0);
        };
        cells[i] = match s.peek()? {
            b'"' => Cell::Str(Cow::Borrowed(s.string()?)),
            b't' | b'f' => Cell::Bool(s.bool()?),
            b'n' => {
                s.literal(b"null")?;
                Cell::Null
            }
            b'[' => {
                // Strings alone: a list; anything else in it: a value of another kind.
                let mut items = Vec::new();
                let mut strings = true;
                s.array(|s| {
                    if strings && s.peek()? == b'"' {
                        items.push(Cow::Borrowed(s.string()?));
                        Some(())
                    } else {
                        strings = false;
                        s.skip_value(1)
                    }
                })?;
                if strings {
                    Cell::List(items)
                } else {
                    Cell::Other
                }
            }
            _ => {
                s.skip_value(0)?;
                Cell::Other
            }
        };
        Some(())
    })?;
    s.at_end().then_some(())
}

/// Reads one JSONL line (an object) into the needed columns' cells; fails on anything else,
/// and on a key given twice.
struct LineSeed<'c, 'k, 'a> {
    columns: &'c [&'c str],
    cells: &'c mut [Cell<'a>],
    keys: &'k mut Vec<Cow<'a, str>>,
}

impl<'de, 'c, 'k> DeserializeSeed<'de> for LineSeed<'c, 'k, 'de> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de, 'c, 'k> Visitor<'de> for LineSeed<'c, 'k, 'de> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        use serde::de::Error;
        while let Some(key) = map.next_key::<Cow<'de, str>>()? {
            if self.keys.contains(&key) {
                return Err(A::Error::custom("repeated key"));
            }
            match self.columns.iter().position(|c| *c == key) {
                Some(i) => self.cells[i] = map.next_value::<CellValue>()?.0,
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
            self.keys.push(key);
        }
        Ok(())
    }
}

/// A [`Cell`] read from any JSON value.
struct CellValue<'a>(Cell<'a>);

impl<'de> serde::Deserialize<'de> for CellValue<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = CellValue<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON value")
            }
            fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Self::Value, E> {
                Ok(CellValue(Cell::Str(Cow::Borrowed(s))))
            }
            fn visit_str<E>(self, s: &str) -> Result<Self::Value, E> {
                Ok(CellValue(Cell::Str(Cow::Owned(s.to_string()))))
            }
            fn visit_string<E>(self, s: String) -> Result<Self::Value, E> {
                Ok(CellValue(Cell::Str(Cow::Owned(s))))
            }
            fn visit_bool<E>(self, b: bool) -> Result<Self::Value, E> {
                Ok(CellValue(Cell::Bool(b)))
            }
            fn visit_unit<E>(self) -> Result<Self::Value, E> {
                Ok(CellValue(Cell::Null))
            }
            fn visit_none<E>(self) -> Result<Self::Value, E> {
                Ok(CellValue(Cell::Null))
            }
            fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
                Ok(CellValue(Cell::Other))
            }
            fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
                Ok(CellValue(Cell::Other))
            }
            fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
                Ok(CellValue(Cell::Other))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(CellValue(Cell::Other))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut items = Vec::new();
                let mut strings = true;
                while let Some(CellValue(c)) = seq.next_element::<CellValue>()? {
                    match c {
                        Cell::Str(s) if strings => items.push(s),
                        _ => strings = false,
                    }
                }
                Ok(CellValue(if strings {
                    Cell::List(items)
                } else {
                    Cell::Other
                }))
            }
        }
        d.deserialize_any(V)
    }
}

/// The ids' set is keyed by hashes already computed: no second hashing.
#[derive(Clone, Copy, Default)]
struct NoHash;

impl BuildHasher for NoHash {
    type Hasher = NoHasher;
    fn build_hasher(&self) -> NoHasher {
        NoHasher(0)
    }
}

struct NoHasher(u64);

impl Hasher for NoHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 << 8) | u64::from(b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

#[cfg(test)]
#[path = "fast_tests.rs"]
mod tests;

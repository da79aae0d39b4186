//! Loading gold sets (and local training sets, which share the format) from YAML, CSV or JSONL.
//!
//! A YAML gold set declares its fields and lists tickets. A table source (CSV or JSONL) is
//! described in the eval config by a [`TableSpec`]: which column holds the text, the id, each
//! field's label and the tags. Every problem of every ticket is reported, not only the first.

use std::collections::HashMap;
use std::hash::BuildHasher;
use std::path::{Path, PathBuf};

use super::check::{did_you_mean, index, join, list, Checker};
use super::source::{self, ReadError};
use crate::gold::{Field, FieldKind, GoldSet, GoldValue, Ticket};
use crate::yaml::{Node, Pos, Value};

/// Where a gold set comes from, as named in an eval config or a local variant.
#[derive(Debug, Clone, PartialEq)]
pub enum GoldSource {
    /// A gold-format YAML file.
    Yaml(PathBuf),
    /// A CSV or JSONL table and its columns.
    Table(TableSpec),
}

/// The columns of a CSV or JSONL gold source.
#[derive(Debug, Clone, PartialEq)]
pub struct TableSpec {
    pub path: PathBuf,
    pub text: String,
    pub id: Option<String>,
    /// Field name -> column.
    pub labels: Vec<(String, String)>,
    pub tags: Vec<String>,
    /// Declared fields; `None` infers a label field per column from the values seen.
    pub fields: Option<Vec<Field>>,
    /// Where each part of the spec is written (`text`, `labels.intent`, `tags[0]`...), so a
    /// column that does not exist is reported at the name that is wrong.
    pub positions: Vec<(String, Pos)>,
}

impl TableSpec {
    /// The position of a part of the spec, if it was read from a file.
    pub fn pos_of(&self, key: &str) -> Option<Pos> {
        self.positions
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, p)| *p)
    }
}

const TABLE_KEYS: &[&str] = &["path", "text", "id", "labels", "tags", "fields"];

/// Reads the `gold:` (or `train:`) value of a config: a path or a table spec.
pub fn read_source(c: &mut Checker, node: &Node, path: &str) -> Option<GoldSource> {
    if let Value::Str(s) = &node.value {
        let p = source::resolve(&c.file, s);
        let ext = p.extension().and_then(|e| e.to_str()).unwrap_or("");
        return match ext {
            "yaml" | "yml" => Some(GoldSource::Yaml(p)),
            "csv" | "jsonl" | "ndjson" => {
                c.error(
                    Some(node.pos),
                    path,
                    format!(
                        "{s:?} is a table: write it as {{path: {s}, text: <column>, labels: {{<field>: <column>}}}}"
                    ),
                );
                None
            }
            _ => {
                c.error(
                    Some(node.pos),
                    path,
                    format!("{s:?} has an unknown extension (valid: .yaml, .yml, or a table .csv/.jsonl with its columns)"),
                );
                None
            }
        };
    }
    let f = c.map(node, path, TABLE_KEYS, &["path", "text", "labels"])?;
    let mut positions = Vec::new();
    for key in ["path", "text", "id", "fields"] {
        if let Some(n) = f.get(key) {
            positions.push((key.to_string(), n.pos));
        }
    }
    if let Some(n) = f.get("tags") {
        match &n.value {
            Value::Seq(items) => positions.extend(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, it)| (index("tags", i), it.pos)),
            ),
            _ => positions.push(("tags".to_string(), n.pos)),
        }
    }
    let file = f.get("path").and_then(|n| c.string(n, &f.sub("path")));
    let text = f.get("text").and_then(|n| c.string(n, &f.sub("text")));
    let id = f.get("id").and_then(|n| c.string(n, &f.sub("id")));
    let tags = match f.get("tags") {
        Some(n) => c.strings(n, &f.sub("tags")),
        None => Some(Vec::new()),
    };
    let mut labels = Vec::new();
    if let Some(n) = f.get("labels") {
        if let Some(m) = c.any_map(n, &f.sub("labels"), "a mapping of field -> column") {
            for (k, v) in m.entries() {
                let key = k.key_string();
                if let Some(col) = c.string(v, &m.sub(&key)) {
                    positions.push((join("labels", &key), v.pos));
                    labels.push((key, col));
                }
            }
        }
    }
    let fields = match f.get("fields") {
        Some(n) => Some(read_fields(c, n, &f.sub("fields"), false)?),
        None => None,
    };
    Some(GoldSource::Table(TableSpec {
        path: source::resolve(&c.file, &file?),
        text: text?,
        id,
        labels,
        tags: tags?,
        fields,
        positions,
    }))
}

/// Reads a `fields:` mapping. `need_values`: label fields must list their values.
fn read_fields(c: &mut Checker, node: &Node, path: &str, need_values: bool) -> Option<Vec<Field>> {
    let m = c.any_map(node, path, "a mapping of field name -> {kind, values}")?;
    let mut fields = Vec::new();
    let mut ok = true;
    for (k, v) in m.entries() {
        let name = k.key_string();
        let fpath = m.sub(&name);
        let Some(f) = c.map(v, &fpath, &["kind", "values"], &["kind"]) else {
            ok = false;
            continue;
        };
        let kind = match f
            .get("kind")
            .and_then(|n| c.choice(n, &f.sub("kind"), &["label", "labels", "flag"]))
        {
            Some(k) => match k.as_str() {
                "label" => FieldKind::Label,
                "labels" => FieldKind::Labels,
                _ => FieldKind::Flag,
            },
            None => {
                ok = false;
                continue;
            }
        };
        let mut values = Vec::new();
        match (kind, f.get("values")) {
            (FieldKind::Flag, Some(n)) => {
                c.error(
                    Some(n.pos),
                    &f.sub("values"),
                    "a flag field has no values (it is true or false)",
                );
                ok = false;
            }
            (FieldKind::Flag, None) => {}
            (_, Some(n)) => match c.strings(n, &f.sub("values")) {
                Some(vs) => {
                    if vs.is_empty() {
                        c.error(
                            Some(n.pos),
                            &f.sub("values"),
                            "a label field needs at least one value",
                        );
                        ok = false;
                    }
                    for (i, val) in vs.iter().enumerate() {
                        if vs[..i].contains(val) {
                            c.error(
                                Some(n.pos),
                                &f.sub("values"),
                                format!("value {val:?} is listed twice"),
                            );
                            ok = false;
                        }
                    }
                    values = vs;
                }
                None => ok = false,
            },
            (_, None) if need_values => {
                c.error(
                    Some(v.pos),
                    &f.sub("values"),
                    format!(
                        "missing required key `values` (a {} field lists its values)",
                        kind.name()
                    ),
                );
                ok = false;
            }
            (_, None) => {}
        }
        fields.push(Field { name, kind, values });
    }
    if fields.is_empty() && ok {
        c.error(Some(node.pos), path, "declare at least one field");
        ok = false;
    }
    ok.then_some(fields)
}

/// Loads a gold set. File-level problems (missing file) are reported into `parent` at
/// `named_at`; problems inside the file into a checker of its own, appended to `out`.
pub fn load(
    src: &GoldSource,
    parent: &mut Checker,
    named_at: (Pos, &str),
    out: &mut Vec<crate::error::Diagnostic>,
) -> Option<GoldSet> {
    let file = match src {
        GoldSource::Yaml(p) => p,
        GoldSource::Table(t) => &t.path,
    };
    let mut c = Checker::new(file);
    let text = match source::read_text(file, &mut c) {
        Ok(t) => Some(t),
        Err(ReadError::Missing(msg)) => {
            parent.error(Some(named_at.0), named_at.1, msg);
            None
        }
        Err(ReadError::Reported) => None,
    };
    let gold = text.and_then(|t| match src {
        GoldSource::Yaml(_) => {
            let node = source::parse_yaml(&t.text, &mut c)?;
            from_yaml(&mut c, &node, t.sha256)
        }
        GoldSource::Table(spec) => from_table(&mut c, spec, parent, named_at, &t.text, t.sha256),
    });
    out.append(&mut c.diags);
    gold
}

/// Parses a gold YAML document.
pub fn from_yaml(c: &mut Checker, node: &Node, sha256: String) -> Option<GoldSet> {
    let top = c.map(node, "", &["fields", "tickets"], &["fields", "tickets"])?;
    let fields = read_fields(c, top.get("fields")?, "fields", true);
    let tickets_node = top.get("tickets")?;
    let items = c.seq(tickets_node, "tickets")?;
    let fields = fields?;
    let names: Vec<&str> = fields.iter().map(|f| f.name.as_str()).collect();
    let mut tickets = Vec::with_capacity(items.len());
    let mut seen: HashMap<String, Pos> = HashMap::new();
    let before = c.diags.len();
    for (i, item) in items.iter().enumerate() {
        let path = index("tickets", i);
        let Some(t) = c.map(
            item,
            &path,
            &["id", "text", "labels", "tags", "clarification"],
            &["id", "text", "labels"],
        ) else {
            continue;
        };
        let id = t.get("id").and_then(|n| {
            let id = c.scalar_string(n, &t.sub("id"))?;
            if id.trim().is_empty() {
                c.error(
                    Some(n.pos),
                    &t.sub("id"),
                    format!(
                        "ticket id is empty ({}); every ticket needs a unique id",
                        n.display()
                    ),
                );
                return None;
            }
            if let Some(first) = seen.get(&id) {
                c.error(
                    Some(n.pos),
                    &t.sub("id"),
                    format!(
                        "duplicate ticket id {id:?} (first used at line {})",
                        first.line
                    ),
                );
                return None;
            }
            seen.insert(id.clone(), n.pos);
            Some(id)
        });
        let text = t.get("text").and_then(|n| {
            let s = c.string(n, &t.sub("text"))?;
            if s.trim().is_empty() {
                c.error(
                    Some(n.pos),
                    &t.sub("text"),
                    format!(
                        "ticket text is empty ({}); every ticket needs the customer's message",
                        n.display()
                    ),
                );
                return None;
            }
            Some(s)
        });
        let tags = match t.get("tags") {
            Some(n) => c.strings(n, &t.sub("tags")),
            None => Some(Vec::new()),
        };
        let clarification = t
            .get("clarification")
            .and_then(|n| c.string(n, &t.sub("clarification")));
        let labels = t.get("labels").and_then(|n| {
            let lm = c.any_map(n, &t.sub("labels"), "a mapping of field -> value")?;
            for (k, _) in lm.entries() {
                let key = k.key_string();
                if !names.contains(&key.as_str()) {
                    let hint = did_you_mean(&key, &names)
                        .map(|s| format!("did you mean `{s}`? "))
                        .unwrap_or_default();
                    c.error(
                        Some(k.pos),
                        &lm.sub(&key),
                        format!("unknown field `{key}` ({hint}fields: {})", list(&names)),
                    );
                }
            }
            let mut values = Vec::with_capacity(fields.len());
            let mut ok = true;
            for field in &fields {
                let fpath = lm.sub(&field.name);
                match lm.get(&field.name) {
                    None => {
                        c.error(
                            Some(n.pos),
                            &fpath,
                            format!("missing label for field `{}`", field.name),
                        );
                        ok = false;
                    }
                    Some(v) => match value_from_node(c, field, v, &fpath) {
                        Some(gv) => values.push(gv),
                        None => ok = false,
                    },
                }
            }
            ok.then_some(values)
        });
        if let (Some(id), Some(text), Some(labels), Some(tags)) = (id, text, labels, tags) {
            tickets.push(Ticket {
                id,
                text,
                labels,
                tags,
                clarification,
            });
        }
    }
    if items.is_empty() {
        c.error(
            Some(tickets_node.pos),
            "tickets",
            "the gold set has no tickets",
        );
    }
    (c.diags.len() == before && !items.is_empty()).then_some(GoldSet {
        fields,
        tickets,
        sha256,
    })
}

/// Reads one label value from YAML, pointing at the offending item on error.
fn value_from_node(c: &mut Checker, field: &Field, node: &Node, path: &str) -> Option<GoldValue> {
    let bad_label = |c: &mut Checker, n: &Node, p: &str, s: &str| {
        let names: Vec<&str> = field.values.iter().map(String::as_str).collect();
        let hint = did_you_mean(s, &names)
            .map(|h| format!("; did you mean {h:?}?"))
            .unwrap_or_default();
        c.error(
            Some(n.pos),
            p,
            format!(
                "{s:?} is not a value of field `{}` (valid: {}{hint})",
                field.name,
                list(&names)
            ),
        );
    };
    match field.kind {
        FieldKind::Label => {
            let s = c.scalar_string(node, path)?;
            match field.index_of(&s) {
                Some(i) => Some(GoldValue::Label(i)),
                None => {
                    bad_label(c, node, path, &s);
                    None
                }
            }
        }
        FieldKind::Labels => {
            let items: Vec<Node> = match &node.value {
                Value::Seq(items) => items.clone(),
                Value::Str(_) => vec![node.clone()],
                _ => {
                    c.error(
                        Some(node.pos),
                        path,
                        format!(
                            "expected a list of values of field `{}`, found {}",
                            field.name,
                            node.display()
                        ),
                    );
                    return None;
                }
            };
            let mut out = Vec::new();
            let mut ok = true;
            for (i, item) in items.iter().enumerate() {
                let p = if matches!(node.value, Value::Seq(_)) {
                    index(path, i)
                } else {
                    path.to_string()
                };
                match c.scalar_string(item, &p) {
                    Some(s) => match field.index_of(&s) {
                        Some(ix) => out.push(ix),
                        None => {
                            bad_label(c, item, &p, &s);
                            ok = false;
                        }
                    },
                    None => ok = false,
                }
            }
            out.sort_unstable();
            out.dedup();
            ok.then_some(GoldValue::Labels(out))
        }
        FieldKind::Flag => c.bool(node, path).map(GoldValue::Flag),
    }
}

/// Builds a gold set from a table and its spec, in one pass over the rows: each row becomes a
/// typed ticket at once (label ids interned per field, no `serde_json::Value` per cell), and
/// the problems found are rendered in row order at the end, when the fields' values are known.
/// Spec problems (a column that does not exist) are reported in the file that holds the spec
/// (`parent`).
fn from_table(
    c: &mut Checker,
    spec: &TableSpec,
    parent: &mut Checker,
    named_at: (Pos, &str),
    text: &str,
    sha256: String,
) -> Option<GoldSet> {
    // Fields as the rows are read: declared, or one label field per column; a label(s) field
    // without declared values takes the values seen (sorted once every row is read).
    let mut fields: Vec<Field> = match &spec.fields {
        Some(declared) => declared.clone(),
        None => spec
            .labels
            .iter()
            .map(|(name, _)| Field {
                name: name.clone(),
                kind: FieldKind::Label,
                values: Vec::new(),
            })
            .collect(),
    };
    let seen_field: Vec<bool> = fields
        .iter()
        .map(|f| f.kind != FieldKind::Flag && f.values.is_empty())
        .collect();
    // The wanted columns: text, id, one per field (its label column), tags.
    let label_cols: Vec<Option<&str>> = fields
        .iter()
        .map(|f| {
            spec.labels
                .iter()
                .find(|(n, _)| n == &f.name)
                .map(|(_, col)| col.as_str())
        })
        .collect();
    let mut wanted: Vec<&str> = vec![spec.text.as_str(), spec.id.as_deref().unwrap_or("")];
    let label_at = wanted.len();
    // A field without a column is reported below; it reads a column no table has ("").
    wanted.extend(label_cols.iter().map(|c| c.unwrap_or("")));
    let tags_at = wanted.len();
    wanted.extend(spec.tags.iter().map(String::as_str));
    let mut rows = Rows::new(&fields, &seen_field);
    let columns = {
        let mut on_row = |pos: Pos, cells: &[Option<source::Cell>]| {
            rows.add(spec, &fields, pos, cells, label_at, tags_at);
        };
        source::read_table(text, &spec.path, c, &wanted, &mut on_row)
    }?;
    let cols: Vec<&str> = columns.iter().map(String::as_str).collect();
    let mut ok = true;
    let at = |key: &str| Some(spec.pos_of(key).unwrap_or(named_at.0));
    let mut check_col = |parent: &mut Checker, col: &str, key: &str| {
        if !cols.contains(&col) {
            let hint = did_you_mean(col, &cols)
                .map(|h| format!("did you mean {h:?}? "))
                .unwrap_or_default();
            parent.error(
                at(key),
                &join(named_at.1, key),
                format!(
                    "column {col:?} does not exist in {} ({hint}columns: {})",
                    crate::error::display_path(&spec.path),
                    list(&cols)
                ),
            );
            ok = false;
        }
    };
    check_col(parent, &spec.text, "text");
    if let Some(id) = &spec.id {
        check_col(parent, id, "id");
    }
    for (field, col) in &spec.labels {
        check_col(parent, col, &format!("labels.{field}"));
    }
    for (i, tag) in spec.tags.iter().enumerate() {
        let key = index("tags", i);
        if spec.pos_of(&key).is_some() {
            check_col(parent, tag, &key);
        } else {
            check_col(parent, tag, "tags");
        }
    }
    if !ok {
        return None;
    }
    if let Some(declared) = &spec.fields {
        for (name, _) in &spec.labels {
            if !declared.iter().any(|f| &f.name == name) {
                parent.error(
                    at(&join("labels", name)),
                    &format!("{}.labels.{name}", named_at.1),
                    format!("field `{name}` is not declared in `fields`"),
                );
                ok = false;
            }
        }
        for f in declared {
            if !spec.labels.iter().any(|(n, _)| n == &f.name) {
                parent.error(
                    at("fields"),
                    &format!("{}.fields.{}", named_at.1, f.name),
                    format!("field `{}` has no column in `labels`", f.name),
                );
                ok = false;
            }
        }
    }
    if !ok {
        return None;
    }
    let Rows {
        seen,
        mut tickets,
        problems,
        n_rows,
        ..
    } = rows;
    // The values seen, sorted; label ids interned in first-seen order are renumbered.
    let mut renumber: Vec<Option<Vec<u32>>> = vec![None; fields.len()];
    for (fi, values) in seen.into_iter().enumerate() {
        let Some(values) = values else { continue };
        let mut order: Vec<u32> = (0..values.names.len() as u32).collect();
        order.sort_by(|&a, &b| values.names[a as usize].cmp(&values.names[b as usize]));
        let mut new_id = vec![0u32; order.len()];
        for (new, &old) in order.iter().enumerate() {
            new_id[old as usize] = new as u32;
        }
        let mut names = values.names;
        fields[fi].values = order
            .iter()
            .map(|&old| std::mem::take(&mut names[old as usize]))
            .collect();
        renumber[fi] = Some(new_id);
    }
    let before = c.diags.len();
    for p in problems {
        match p {
            Problem::Ready { pos, path, message } => c.error(Some(pos), &path, message),
            Problem::Label {
                pos,
                path,
                field,
                cell,
            } => {
                if let Err(message) = table_value(&fields[field], &cell) {
                    c.error(Some(pos), &path, message);
                }
            }
        }
    }
    if n_rows == 0 {
        c.error(
            Some(Pos { line: 1, col: 1 }),
            "",
            "the table has no rows (one row per ticket is needed)",
        );
    }
    if c.diags.len() != before || n_rows == 0 {
        return None;
    }
    if renumber.iter().any(Option::is_some) {
        for t in &mut tickets {
            for (fi, v) in t.labels.iter_mut().enumerate() {
                let Some(new_id) = &renumber[fi] else {
                    continue;
                };
                match v {
                    GoldValue::Label(i) => *i = new_id[*i as usize],
                    GoldValue::Labels(items) => {
                        for i in items.iter_mut() {
                            *i = new_id[*i as usize];
                        }
                        items.sort_unstable();
                    }
                    GoldValue::Flag(_) => {}
                }
            }
        }
    }
    tickets.shrink_to_fit();
    Some(GoldSet {
        fields,
        tickets,
        sha256,
    })
}

/// A problem of a row, rendered once every row is read: a label's message may list the
/// field's values, which for a field without declared values are the values of every row.
enum Problem {
    Ready {
        pos: Pos,
        path: String,
        message: String,
    },
    /// The cell of `field` is not one of its values: [`table_value`] says why.
    Label {
        pos: Pos,
        path: String,
        field: usize,
        cell: serde_json::Value,
    },
}

/// Marks an index into [`Rows::orphans`].
const ORPHAN: u32 = 1 << 31;

/// The values of a field met in the rows, in first-seen order, and their ids.
#[derive(Default)]
struct Seen {
    names: Vec<String>,
    ids: hashbrown::HashMap<String, u32>,
}

impl Seen {
    fn add(&mut self, s: &str) {
        if !s.trim().is_empty() && !self.ids.contains_key(s) {
            self.ids.insert(s.to_string(), self.names.len() as u32);
            self.names.push(s.to_string());
        }
    }
}

/// What the rows hold so far: the tickets, and the ids of rows whose text is empty (which
/// still count for duplicates, as they did).
struct Rows {
    /// Per field: the declared values' ids, or `None` for a field that takes the values seen.
    declared: Vec<Option<hashbrown::HashMap<String, u32>>>,
    /// Per field that takes the values seen.
    seen: Vec<Option<Seen>>,
    /// Ids of rows with an empty text.
    orphans: Vec<String>,
    /// Every id met by hash: (hash, index into `tickets`, or into `orphans` with the top bit
    /// set, line). The hash is kept so that growing the table and most mismatches do not read
    /// the ids (a cache miss each, for 1M ids).
    id_index: hashbrown::HashTable<(u64, u32, usize)>,
    hasher: std::hash::RandomState,
    tickets: Vec<Ticket>,
    problems: Vec<Problem>,
    n_rows: usize,
}

impl Rows {
    fn new(fields: &[Field], seen_field: &[bool]) -> Self {
        Rows {
            declared: fields
                .iter()
                .zip(seen_field)
                .map(|(f, &seen)| {
                    (!seen).then(|| {
                        let mut m = hashbrown::HashMap::new();
                        for (i, v) in f.values.iter().enumerate() {
                            // The first of a repeated value, as `Field::index_of` finds it.
                            m.entry(v.clone()).or_insert(i as u32);
                        }
                        m
                    })
                })
                .collect(),
            seen: seen_field.iter().map(|&s| s.then(Seen::default)).collect(),
            orphans: Vec::new(),
            id_index: hashbrown::HashTable::new(),
            hasher: std::hash::RandomState::new(),
            tickets: Vec::new(),
            problems: Vec::new(),
            n_rows: 0,
        }
    }

    /// The id of a value of field `fi` (declared, or seen so far).
    fn value_id(&self, fi: usize, s: &str) -> Option<u32> {
        match (&self.declared[fi], &self.seen[fi]) {
            (Some(m), _) => m.get(s).copied(),
            (None, Some(seen)) => seen.ids.get(s).copied(),
            (None, None) => None,
        }
    }

    fn add(
        &mut self,
        spec: &TableSpec,
        fields: &[Field],
        pos: Pos,
        cells: &[Option<source::Cell>],
        label_at: usize,
        tags_at: usize,
    ) {
        use source::Cell;
        let r = self.n_rows;
        self.n_rows += 1;
        // The values seen count every row, whatever else is wrong with it.
        for (fi, f) in fields.iter().enumerate() {
            let Some(seen) = &mut self.seen[fi] else {
                continue;
            };
            match &cells[label_at + fi] {
                Some(Cell::Str(s)) if f.kind == FieldKind::Labels => {
                    for p in s.split('|').map(str::trim).filter(|p| !p.is_empty()) {
                        seen.add(p);
                    }
                }
                Some(Cell::Str(s)) => seen.add(s),
                Some(Cell::Json(serde_json::Value::Array(a))) => {
                    for v in a {
                        if let Some(s) = v.as_str() {
                            seen.add(s);
                        }
                    }
                }
                _ => {}
            }
        }
        let cell_str = |cell: &Option<Cell>| -> Option<String> {
            match cell.as_ref()? {
                Cell::Str(s) => Some(s.to_string()),
                Cell::Json(serde_json::Value::Null) => None,
                Cell::Json(other) => Some(other.to_string()),
            }
        };
        let rpath = || format!("row {}", r + 1);
        let id_col = spec.id.as_deref().unwrap_or("id");
        let id = match &spec.id {
            Some(_) => cell_str(&cells[1]).unwrap_or_default(),
            None => format!("row-{}", r + 1),
        };
        if id.trim().is_empty() {
            self.problems.push(Problem::Ready {
                pos,
                path: join(&rpath(), id_col),
                message: "ticket id is empty".into(),
            });
            return;
        }
        let hash = self.hasher.hash_one(id.as_str());
        let (tickets, orphans) = (&self.tickets, &self.orphans);
        let id_at = |i: u32| match i & ORPHAN {
            0 => tickets[i as usize].id.as_str(),
            _ => orphans[(i & !ORPHAN) as usize].as_str(),
        };
        if let Some(&(_, _, first)) = self
            .id_index
            .find(hash, |&(h, i, _)| h == hash && id_at(i) == id)
        {
            self.problems.push(Problem::Ready {
                pos,
                path: join(&rpath(), id_col),
                message: format!("duplicate ticket id {id:?} (first at line {first})"),
            });
            return;
        }
        let text = cell_str(&cells[0]).unwrap_or_default();
        let at = match text.trim().is_empty() {
            true => self.orphans.len() as u32 | ORPHAN,
            false => self.tickets.len() as u32,
        };
        self.id_index
            .insert_unique(hash, (hash, at, pos.line), |&(h, _, _)| h);
        if text.trim().is_empty() {
            self.orphans.push(id);
            self.problems.push(Problem::Ready {
                pos,
                path: join(&rpath(), &spec.text),
                message: format!(
                    "ticket text is empty (column {:?}); every ticket needs the customer's message",
                    spec.text
                ),
            });
            return;
        }
        let mut labels = Vec::with_capacity(fields.len());
        for (fi, f) in fields.iter().enumerate() {
            let cell = &cells[label_at + fi];
            match self.fast_value(fi, f, cell.as_ref()) {
                Some(v) => labels.push(v),
                None => {
                    let col = spec
                        .labels
                        .iter()
                        .find(|(n, _)| n == &f.name)
                        .map_or("", |(_, c)| c.as_str());
                    self.problems.push(Problem::Label {
                        pos,
                        path: join(&rpath(), col),
                        field: fi,
                        cell: cell.as_ref().map_or(serde_json::Value::Null, Cell::to_json),
                    });
                    // A placeholder: the set is refused anyway.
                    labels.push(GoldValue::Flag(false));
                }
            }
        }
        let tags = cells[tags_at..]
            .iter()
            .filter_map(|cell| cell_str(cell).filter(|s| !s.is_empty()))
            .collect();
        self.tickets.push(Ticket {
            id,
            text,
            labels,
            tags,
            clarification: None,
        });
    }

    /// A cell as a value of field `fi` when it is one (as [`table_value`] reads it); `None`
    /// when it is not, for [`table_value`] to say why once the values are known.
    fn fast_value(&self, fi: usize, f: &Field, cell: Option<&source::Cell>) -> Option<GoldValue> {
        use serde_json::Value as J;
        use source::Cell;
        match (f.kind, cell?) {
            (FieldKind::Label, Cell::Str(s)) if !s.trim().is_empty() => {
                self.value_id(fi, s).map(GoldValue::Label)
            }
            (FieldKind::Labels, Cell::Str(s)) => {
                let mut out = Vec::new();
                for p in s.split('|').map(str::trim).filter(|p| !p.is_empty()) {
                    out.push(self.value_id(fi, p)?);
                }
                out.sort_unstable();
                out.dedup();
                Some(GoldValue::Labels(out))
            }
            (FieldKind::Flag, Cell::Str(s)) => match s.trim().to_ascii_lowercase().as_str() {
                "true" | "yes" | "1" => Some(GoldValue::Flag(true)),
                "false" | "no" | "0" => Some(GoldValue::Flag(false)),
                _ => None,
            },
            (FieldKind::Labels, Cell::Json(J::Array(items))) => {
                let mut out = Vec::with_capacity(items.len());
                for item in items {
                    out.push(self.value_id(fi, item.as_str()?)?);
                }
                out.sort_unstable();
                out.dedup();
                Some(GoldValue::Labels(out))
            }
            (FieldKind::Flag, Cell::Json(J::Bool(b))) => Some(GoldValue::Flag(*b)),
            _ => None,
        }
    }
}

fn missing_label(field: &Field) -> String {
    match field.kind {
        FieldKind::Flag => format!(
            "missing label for field `{}` (valid: true, false, yes, no, 1, 0)",
            field.name
        ),
        _ if field.values.is_empty() => format!(
            "missing label for field `{}` (the column has no value in any row)",
            field.name
        ),
        _ => format!(
            "missing label for field `{}` (valid: {})",
            field.name,
            list(&field.values)
        ),
    }
}

/// A table cell as a value of `field`: CSV cells are strings (`a|b` for label sets,
/// true/false/yes/no/1/0 for flags); JSONL cells may be typed.
fn table_value(field: &Field, cell: &serde_json::Value) -> Result<GoldValue, String> {
    use serde_json::Value as J;
    match (field.kind, cell) {
        (FieldKind::Labels, J::String(s)) => {
            let items: Vec<J> = s
                .split('|')
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(|p| J::String(p.to_string()))
                .collect();
            GoldValue::from_json(field, &J::Array(items))
        }
        // An empty cell is a missing label, as in JSONL (`null`); only a `labels` field may be
        // empty (the empty set).
        (FieldKind::Label | FieldKind::Flag, J::String(s)) if s.trim().is_empty() => {
            Err(missing_label(field))
        }
        (FieldKind::Flag, J::String(s)) => match s.trim().to_ascii_lowercase().as_str() {
            "true" | "yes" | "1" => Ok(GoldValue::Flag(true)),
            "false" | "no" | "0" => Ok(GoldValue::Flag(false)),
            _ => Err(format!(
                "{s:?} is not a flag value (valid: true, false, yes, no, 1, 0)"
            )),
        },
        (_, J::Null) => Err(missing_label(field)),
        _ => GoldValue::from_json(field, cell),
    }
}

/// Loads a gold set from a path alone (used by `verdict score --gold`).
pub fn load_path(path: &Path) -> crate::error::Result<GoldSet> {
    let mut parent = Checker::new(path);
    let mut diags = Vec::new();
    let gold = load(
        &GoldSource::Yaml(path.to_path_buf()),
        &mut parent,
        (Pos { line: 0, col: 0 }, ""),
        &mut diags,
    );
    // The file itself could not be read: say so once, without a position.
    if let Some(d) = parent.diags.into_iter().next() {
        return Err(crate::error::Error::Usage(d.message));
    }
    match gold {
        Some(g) if diags.is_empty() => Ok(g),
        _ => Err(crate::error::Error::Invalid(diags)),
    }
}

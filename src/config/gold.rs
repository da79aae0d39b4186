//! Loading gold sets (and local training sets, which share the format) from YAML, CSV or JSONL.
//!
//! A YAML gold set declares its fields and lists tickets. A table source (CSV or JSONL) is
//! described in the eval config by a [`TableSpec`]: which column holds the text, the id, each
//! field's label and the tags. Every problem of every ticket is reported, not only the first.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::check::{did_you_mean, index, join, list, ticket, Checker};
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
        GoldSource::Table(spec) => {
            let table = source::read_table(&t.text, file, &mut c)?;
            from_table(&mut c, spec, parent, named_at, &table, &t.text, t.sha256)
        }
    });
    out.append(&mut c.diags);
    // Warnings go with the file that names the gold set (and so to the eval's warnings).
    parent.warnings.append(&mut c.warnings);
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
    // Ids that differ only by case or surrounding spaces ("T-1", "t-1 "): likely the same
    // ticket written twice, or a typo; a warning, as both are valid ids.
    let mut similar: HashMap<String, (String, usize)> = HashMap::new();
    for (i, item) in items.iter().enumerate() {
        let path = ticket(i);
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
            similar_id(c, &mut similar, &id, i, n.pos, &t.sub("id"));
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

/// Warns when `id` differs from an earlier ticket's id only by case or surrounding spaces.
fn similar_id(
    c: &mut Checker,
    similar: &mut HashMap<String, (String, usize)>,
    id: &str,
    i: usize,
    pos: Pos,
    path: &str,
) {
    let key = id.trim().to_lowercase();
    match similar.get(&key) {
        Some((first, n)) => {
            let how = if first.trim() == id.trim() {
                "only by surrounding spaces"
            } else {
                "only by case"
            };
            c.warn(
                Some(pos),
                path,
                format!(
                    "ticket id {id:?} differs from {first:?} (ticket {}) {how}; if they are the same ticket, keep one, otherwise give them distinct ids",
                    n + 1
                ),
            );
        }
        None => {
            similar.insert(key, (id.to_string(), i));
        }
    }
}

/// The message for a label with spaces around it, when the value without them is valid.
fn spaces_hint(field: &Field, s: &str) -> Option<String> {
    (s.trim() != s && field.index_of(s.trim()).is_some()).then(|| {
        format!(
            "{s:?} has surrounding spaces, so it is not the value {:?} of field `{}`; remove the spaces",
            s.trim(),
            field.name
        )
    })
}

/// Reads one label value from YAML, pointing at the offending item on error.
fn value_from_node(c: &mut Checker, field: &Field, node: &Node, path: &str) -> Option<GoldValue> {
    let bad_label = |c: &mut Checker, n: &Node, p: &str, s: &str| {
        if let Some(msg) = spaces_hint(field, s) {
            c.error(Some(n.pos), p, msg);
            return;
        }
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

/// Builds a gold set from a table and its spec. Spec problems (a column that does not exist)
/// are reported in the file that holds the spec (`parent`).
fn from_table(
    c: &mut Checker,
    spec: &TableSpec,
    parent: &mut Checker,
    named_at: (Pos, &str),
    table: &source::Table,
    raw: &str,
    sha256: String,
) -> Option<GoldSet> {
    let cols: Vec<&str> = table.columns.iter().map(String::as_str).collect();
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
    // Fields: those declared in `fields:`, in its order, then one `label` field per other
    // column of `labels:`, its values those seen (sorted). A cell that is not a single label
    // in an undeclared column (a `|` list, a JSON array or boolean) is an error that prints
    // the `fields:` entry to add: the kind is never guessed from the data.
    let declared: &[Field] = spec.fields.as_deref().unwrap_or(&[]);
    let inferred_field = |name: &str| {
        let mut f = Field {
            name: name.to_string(),
            kind: FieldKind::Label,
            values: Vec::new(),
        };
        f.values = seen_values(table, &spec.labels, &f);
        f
    };
    let inferred: Vec<Field> = spec
        .labels
        .iter()
        .filter(|(name, _)| !declared.iter().any(|f| &f.name == name))
        .map(|(name, _)| inferred_field(name))
        .collect();
    let fields: Vec<Field> = match &spec.fields {
        Some(declared) => {
            let mut fs = Vec::new();
            for f in declared {
                if !spec.labels.iter().any(|(n, _)| n == &f.name) {
                    parent.error(
                        at("fields"),
                        &format!("{}.fields.{}", named_at.1, f.name),
                        format!("field `{}` has no column in `labels`", f.name),
                    );
                    ok = false;
                }
                let mut f = f.clone();
                if f.kind != FieldKind::Flag && f.values.is_empty() {
                    f.values = seen_values(table, &spec.labels, &f);
                }
                fs.push(f);
            }
            fs.extend(inferred.iter().cloned());
            fs
        }
        None => inferred.clone(),
    };
    let is_inferred = |name: &str| inferred.iter().any(|f| f.name == name);
    // Where a cell is, for messages: its line and column in the file.
    let jsonl = !spec
        .path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("csv"));
    let cell_pos = |row: &source::Row, col: &str| -> Pos {
        if jsonl {
            source::jsonl_value_pos(raw, row.pos.line, col)
        } else {
            let i = table.columns.iter().position(|c| c == col).unwrap_or(0);
            source::csv_cell_pos(raw, row.pos.line, i)
        }
    };
    let config_file = crate::error::display_path(&parent.file);
    let mut kind_reported: Vec<&str> = Vec::new();
    let mut similar: HashMap<String, (String, usize)> = HashMap::new();
    if !ok {
        return None;
    }
    let before = c.diags.len();
    let mut tickets = Vec::with_capacity(table.rows.len());
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (r, row) in table.rows.iter().enumerate() {
        let cell_str = |col: &str| -> Option<String> {
            match row.get(col)? {
                serde_json::Value::String(s) => Some(s.clone()),
                serde_json::Value::Null => None,
                other => Some(other.to_string()),
            }
        };
        let id = match &spec.id {
            Some(col) => cell_str(col).unwrap_or_default(),
            None => format!("row-{}", r + 1),
        };
        let rpath = ticket(r);
        let id_col = spec.id.as_deref().unwrap_or("id");
        let id_pos = || match &spec.id {
            Some(col) => cell_pos(row, col),
            None => row.pos,
        };
        if id.trim().is_empty() {
            c.error(Some(id_pos()), &join(&rpath, id_col), "ticket id is empty");
            continue;
        }
        if let Some(first) = seen.get(&id) {
            c.error(
                Some(id_pos()),
                &join(&rpath, id_col),
                format!("duplicate ticket id {id:?} (first at line {first})"),
            );
            continue;
        }
        seen.insert(id.clone(), row.pos.line);
        similar_id(c, &mut similar, &id, r, id_pos(), &join(&rpath, id_col));
        let text = cell_str(&spec.text).unwrap_or_default();
        if text.trim().is_empty() {
            c.error(
                Some(cell_pos(row, &spec.text)),
                &join(&rpath, &spec.text),
                format!(
                    "ticket text is empty (column {:?}); every ticket needs the customer's message",
                    spec.text
                ),
            );
            continue;
        }
        let mut labels = Vec::with_capacity(fields.len());
        let mut row_ok = true;
        for field in &fields {
            let col = &spec
                .labels
                .iter()
                .find(|(n, _)| n == &field.name)
                .expect("checked")
                .1;
            let cell = row.get(col).cloned().unwrap_or(serde_json::Value::Null);
            if is_inferred(&field.name) {
                if let Some(kind) = undeclared_kind(&cell, jsonl) {
                    row_ok = false;
                    if !kind_reported.contains(&field.name.as_str()) {
                        kind_reported.push(&field.name);
                        let entry = format!("{}: {{kind: {}}}", field.name, kind.name());
                        let entry = if spec.fields.is_some() {
                            format!("under `{}.fields`, add `{entry}`", named_at.1)
                        } else {
                            format!("add `fields: {{{entry}}}` to `{}`", named_at.1)
                        };
                        c.error(
                            Some(cell_pos(row, col)),
                            &join(&rpath, col),
                            format!(
                                "column {col:?} holds {} ({}), but a column not declared in `fields:` holds one label per ticket; to read it as a {} field, in {config_file} {entry}",
                                match kind {
                                    FieldKind::Flag => "true/false",
                                    _ => "a list of values",
                                },
                                cell,
                                kind.name(),
                            ),
                        );
                    }
                    continue;
                }
            }
            match table_value(field, &cell) {
                Ok(v) => labels.push(v),
                Err(msg) => {
                    c.error(Some(cell_pos(row, col)), &join(&rpath, col), msg);
                    row_ok = false;
                }
            }
        }
        let tags = spec
            .tags
            .iter()
            .filter_map(|col| cell_str(col).filter(|s| !s.is_empty()))
            .collect();
        if row_ok {
            tickets.push(Ticket {
                id,
                text,
                labels,
                tags,
                clarification: None,
            });
        }
    }
    if table.rows.is_empty() {
        c.error(
            Some(Pos { line: 1, col: 1 }),
            "",
            "the table has no rows (one row per ticket is needed)",
        );
    }
    (c.diags.len() == before && !table.rows.is_empty()).then_some(GoldSet {
        fields,
        tickets,
        sha256,
    })
}

/// The kind a cell of an undeclared column holds when it is not a single label: a `|` list in
/// CSV, a JSON array or a JSON boolean.
fn undeclared_kind(cell: &serde_json::Value, jsonl: bool) -> Option<FieldKind> {
    match cell {
        serde_json::Value::String(s) if !jsonl && s.contains('|') => Some(FieldKind::Labels),
        serde_json::Value::Array(_) => Some(FieldKind::Labels),
        serde_json::Value::Bool(_) => Some(FieldKind::Flag),
        _ => None,
    }
}

/// The values of a label(s) field seen in a table, sorted.
fn seen_values(table: &source::Table, labels: &[(String, String)], field: &Field) -> Vec<String> {
    let col = &labels
        .iter()
        .find(|(n, _)| n == &field.name)
        .map(|(_, c)| c.clone())
        .unwrap_or_default();
    let mut vals: Vec<String> = Vec::new();
    for row in &table.rows {
        let parts: Vec<String> = match row.get(col) {
            Some(serde_json::Value::String(s)) if field.kind == FieldKind::Labels => s
                .split('|')
                .map(|p| p.trim().to_string())
                .filter(|p| !p.is_empty())
                .collect(),
            // Surrounding spaces are an error at the cell, not a value of their own.
            Some(serde_json::Value::String(s)) => vec![s.trim().to_string()],
            Some(serde_json::Value::Array(a)) => a
                .iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect(),
            _ => vec![],
        };
        for p in parts {
            if !p.trim().is_empty() && !vals.contains(&p) {
                vals.push(p);
            }
        }
    }
    vals.sort();
    vals
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
        (FieldKind::Label, J::String(s)) if spaces_hint(field, s).is_some() => {
            Err(spaces_hint(field, s).unwrap_or_default())
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

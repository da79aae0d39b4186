//! A gold set read from a CSV or JSONL table through its [`TableSpec`]: columns checked
//! against the spec, undeclared fields inferred from the cells, each cell read as a value.

use std::collections::HashMap;

use super::{similar_id, spaces_hint, TableSpec};
use crate::config::check::{did_you_mean, index, join, list, ticket, Checker};
use crate::config::source;
use crate::gold::{Field, FieldKind, GoldSet, GoldValue, Ticket};
use crate::yaml::Pos;

/// Builds a gold set from a table and its spec. Spec problems (a column that does not exist)
/// are reported in the file that holds the spec (`parent`).
pub(super) fn from_table(
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
        similar_id(c, &mut similar, &id, r, id_pos, &join(&rpath, id_col));
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

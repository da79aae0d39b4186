//! Loading gold sets (and local training sets, which share the format) from YAML, CSV or JSONL.
//!
//! A YAML gold set declares its fields and lists tickets. A table source (CSV or JSONL) is
//! described in the eval config by a [`TableSpec`]: which column holds the text, the id, each
//! field's label and the tags. Every problem of every ticket is reported, not only the first.

mod document;
mod fast;
mod fast_yaml;
mod table;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::check::{index, join, Checker};
use super::source::{self, ReadError};
use crate::gold::{Field, FieldKind, GoldSet};
use crate::yaml::{Node, Pos, Value};
pub use document::from_yaml;
use table::from_table;

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

/// Whether a gold set's ticket texts are kept when it is loaded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Texts {
    Keep,
    /// Checked as ever (a ticket without text is still an error) but not kept where the
    /// loader can help it (the one-pass CSV/JSONL path leaves each empty; a YAML gold set and
    /// a file with something to report keep theirs): for a caller that grades and never
    /// reads a text, such as `verdict score --gold EVAL`.
    Skip,
}

/// Loads a gold set. File-level problems (missing file) are reported into `parent` at
/// `named_at`; problems inside the file into a checker of its own, appended to `out`.
pub fn load(
    src: &GoldSource,
    parent: &mut Checker,
    named_at: (Pos, &str),
    out: &mut Vec<crate::error::Diagnostic>,
    texts: Texts,
) -> Option<GoldSet> {
    load_into(src, parent, named_at, out, texts, None)
}

/// [`load`]; with `table`, a CSV/JSONL gold set that the one-pass loader takes goes straight
/// into the [`GoldTable`] the grader reads, put in `table`, and the gold set returned has its
/// fields and SHA-256 but no tickets (otherwise `table` is left alone and the gold set is
/// [`load`]'s).
pub(crate) fn load_into(
    src: &GoldSource,
    parent: &mut Checker,
    named_at: (Pos, &str),
    out: &mut Vec<crate::error::Diagnostic>,
    texts: Texts,
    table: Option<&mut Option<crate::score::GoldTable>>,
) -> Option<GoldSet> {
    let file = match src {
        GoldSource::Yaml(p) => p,
        GoldSource::Table(t) => &t.path,
    };
    let mut c = Checker::new(file);
    // A table read straight into the grader's table only borrows the text: mapped, if large.
    let read = match (src, &table) {
        (GoldSource::Table(_), Some(_)) => source::map_unhashed(file, &mut c),
        _ => source::read_unhashed(file, &mut c).map(source::FileText::from),
    };
    let text = match read {
        Ok(t) => Some(t),
        Err(ReadError::Missing(msg)) => {
            parent.error(Some(named_at.0), named_at.1, msg);
            None
        }
        Err(ReadError::Reported) => None,
    };
    let gold = text.and_then(|text| {
        // Straight into a table, the file hashed on the side while its rows are read.
        let mut tried = false;
        let sha256 = match (src, table) {
            (GoldSource::Table(spec), Some(slot)) => {
                let (sha256, fast) = rayon::join(
                    || source::sha256_hex(text.as_str().as_bytes()),
                    || fast::table_from_text(spec, text.as_str(), ""),
                );
                if let Some((mut gold, grading)) = fast {
                    gold.sha256 = sha256;
                    *slot = Some(grading);
                    return Some(gold);
                }
                tried = true;
                sha256
            }
            _ => source::sha256_hex(text.as_str().as_bytes()),
        };
        let t = source::Text {
            text: text.into_string(),
            sha256,
        };
        load_text(src, &mut c, parent, named_at, texts, t, tried)
    });
    out.append(&mut c.diags);
    // Warnings go with the file that names the gold set (and so to the eval's warnings).
    parent.warnings.append(&mut c.warnings);
    gold
}

/// [`load`]'s reading of the file's text `t`, its problems reported into `c`; `tried_fast`:
/// the one-pass loader has given the file up already.
fn load_text(
    src: &GoldSource,
    c: &mut Checker,
    parent: &mut Checker,
    named_at: (Pos, &str),
    texts: Texts,
    t: source::Text,
    tried_fast: bool,
) -> Option<GoldSet> {
    let file = match src {
        GoldSource::Yaml(p) => p,
        GoldSource::Table(t) => &t.path,
    };
    match src {
        GoldSource::Yaml(_) => {
            // The common layout in one pass; the tree (and every message) otherwise.
            if let Some(gold) = fast_yaml::from_text(&t.text, file, &t.sha256) {
                return Some(gold);
            }
            let node = source::parse_yaml(&t.text, c)?;
            from_yaml(c, &node, t.sha256)
        }
        GoldSource::Table(spec) => {
            if !tried_fast {
                if let Some(gold) = fast::from_text(spec, &t.text, &t.sha256, texts == Texts::Keep)
                {
                    return Some(gold);
                }
            }
            let table = source::read_table(&t.text, file, c)?;
            from_table(c, spec, parent, named_at, &table, &t.text, t.sha256)
        }
    }
}

/// Warns when `id` differs from an earlier ticket's id only by case or surrounding spaces.
/// `pos` is called only for the warning: finding a cell's position scans its file, so an
/// eager position per ticket made loading quadratic in the number of rows.
fn similar_id(
    c: &mut Checker,
    similar: &mut HashMap<String, (String, usize)>,
    id: &str,
    i: usize,
    pos: impl FnOnce() -> Pos,
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
                Some(pos()),
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

/// Loads a gold set from a path alone (used by `verdict score --gold`).
pub fn load_path(path: &Path) -> crate::error::Result<GoldSet> {
    let mut parent = Checker::new(path);
    let mut diags = Vec::new();
    let gold = load(
        &GoldSource::Yaml(path.to_path_buf()),
        &mut parent,
        (Pos { line: 0, col: 0 }, ""),
        &mut diags,
        Texts::Keep,
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

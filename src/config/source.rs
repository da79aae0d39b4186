//! Reading input files: text that must be UTF-8, YAML trees, and tables (CSV, JSONL).
//!
//! Every failure becomes a diagnostic naming the file and, where there is one, the line and
//! column, so a missing file, a stray Latin-1 byte and a YAML syntax error all read alike.

use std::borrow::Cow;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use sha2::{Digest, Sha256};

use super::check::Checker;
use crate::yaml::{self, Node, Pos};

/// A file's text and the SHA-256 of its bytes.
pub struct Text {
    pub text: String,
    pub sha256: String,
}

/// Why a file could not be read.
pub enum ReadError {
    /// Missing or unreadable: reported where the file is named.
    Missing(String),
    /// Read, but not UTF-8: already reported into the file's own checker.
    Reported,
}

/// Reads a UTF-8 text file; invalid UTF-8 is reported into `checker` (the file's own).
pub fn read_text(path: &Path, checker: &mut Checker) -> Result<Text, ReadError> {
    let bytes = std::fs::read(path).map_err(|e| {
        ReadError::Missing(match e.kind() {
            std::io::ErrorKind::NotFound => {
                format!("file not found: {}", crate::error::display_path(path))
            }
            _ => format!("cannot read {}: {e}", crate::error::display_path(path)),
        })
    })?;
    let sha256 = hex::encode(Sha256::digest(&bytes));
    if let Some((pos, message)) = not_text(&bytes) {
        checker.error(Some(pos), "", message);
        return Err(ReadError::Reported);
    }
    match String::from_utf8(bytes) {
        Ok(text) => Ok(Text { text, sha256 }),
        Err(e) => {
            let offset = e.utf8_error().valid_up_to();
            let pos = yaml::pos_at_byte(e.as_bytes(), offset);
            let byte = e.as_bytes()[offset];
            checker.error(
                Some(pos),
                "",
                format!("invalid UTF-8 (byte 0x{byte:02x}); save the file as UTF-8"),
            );
            Err(ReadError::Reported)
        }
    }
}

/// Why bytes are not a UTF-8 text file, when they are recognisably something else: UTF-16
/// (a byte order mark, or NUL bytes between ASCII characters) or a file with NUL bytes (which
/// the YAML parser would report as "unexpected end of stream", pointing nowhere useful).
fn not_text(bytes: &[u8]) -> Option<(Pos, String)> {
    let utf16 = "; save it as UTF-8 (in most editors: Save with Encoding, UTF-8)";
    match bytes {
        [0xff, 0xfe, ..] => {
            return Some((
                Pos { line: 1, col: 1 },
                format!("the file is UTF-16 little-endian (byte order mark FF FE){utf16}"),
            ))
        }
        [0xfe, 0xff, ..] => {
            return Some((
                Pos { line: 1, col: 1 },
                format!("the file is UTF-16 big-endian (byte order mark FE FF){utf16}"),
            ))
        }
        _ => {}
    }
    let nul = bytes.iter().position(|&b| b == 0)?;
    // UTF-16 without a byte order mark: ASCII text with a NUL after (or before) each byte.
    let head = &bytes[..bytes.len().min(200)];
    let nuls = head.iter().filter(|&&b| b == 0).count();
    if head.len() >= 4 && nuls * 10 >= head.len() * 4 {
        return Some((
            Pos { line: 1, col: 1 },
            format!("the file looks like UTF-16 (a NUL byte between characters){utf16}"),
        ));
    }
    Some((
        yaml::pos_at_byte(bytes, nul),
        "a NUL byte (0x00): a text file has none; remove it (was the file saved by a program that pads or truncates with NUL bytes?)".to_string(),
    ))
}

/// Parses YAML text, reporting a syntax error into `checker`.
pub fn parse_yaml(text: &str, checker: &mut Checker) -> Option<Node> {
    match yaml::parse(text) {
        Ok(node) => Some(node),
        Err(e) => {
            checker.error(
                Some(e.pos),
                &e.path,
                format!("YAML syntax error: {}", e.message),
            );
            None
        }
    }
}

/// Resolves `rel` against the folder of `base_file`.
pub fn resolve(base_file: &Path, rel: &str) -> PathBuf {
    let p = Path::new(rel);
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        base_file.parent().unwrap_or(Path::new(".")).join(p)
    }
}

/// One cell of a table row, as a table gives it: CSV cells are strings; a JSONL cell keeps its
/// JSON type (a string is borrowed from the line where it has no escapes, and only a cell that
/// is not a string becomes a `serde_json::Value`).
pub enum Cell<'a> {
    Str(Cow<'a, str>),
    Json(serde_json::Value),
}

impl Cell<'_> {
    /// The cell as a JSON value (for the messages that quote it).
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Cell::Str(s) => serde_json::Value::String(s.to_string()),
            Cell::Json(v) => v.clone(),
        }
    }
}

/// Reads a CSV or JSONL table (by extension) in one pass, reporting problems into `checker`.
/// `on_row` gets each row's position and the cells of the `wanted` columns, in that order
/// (`None`: the row has no such column); other columns are skipped without being copied.
/// Returns the table's columns (CSV: the header; JSONL: every key met, in first-seen order)
/// when every row could be read; after a problem the remaining rows are still read (to report
/// every problem at once) but may not be given to `on_row`.
pub fn read_table(
    text: &str,
    path: &Path,
    checker: &mut Checker,
    wanted: &[&str],
    on_row: &mut dyn FnMut(Pos, &[Option<Cell<'_>>]),
) -> Option<Vec<String>> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    match ext.as_str() {
        "csv" => read_csv(text, checker, wanted, on_row),
        "jsonl" | "ndjson" => read_jsonl(text, checker, wanted, on_row),
        _ => {
            checker.error(
                None,
                "",
                format!("unknown table format {ext:?} (valid: .csv, .jsonl)"),
            );
            None
        }
    }
}

fn read_csv(
    text: &str,
    checker: &mut Checker,
    wanted: &[&str],
    on_row: &mut dyn FnMut(Pos, &[Option<Cell<'_>>]),
) -> Option<Vec<String>> {
    // Spreadsheet exports often start with a byte order mark; it is not part of the header.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(text.as_bytes());
    let columns: Vec<String> = match rdr.headers() {
        Ok(h) => h.iter().map(str::to_string).collect(),
        Err(e) => {
            checker.error(Some(Pos { line: 1, col: 1 }), "", format!("CSV error: {e}"));
            return None;
        }
    };
    // The first column of each wanted name (as a lookup by name finds it).
    let at: Vec<Option<usize>> = wanted
        .iter()
        .map(|w| columns.iter().position(|c| c == w))
        .collect();
    let mut ok = true;
    let mut lines = LineCounter::new(text);
    let mut rec = csv::StringRecord::new();
    loop {
        match rdr.read_record(&mut rec) {
            Ok(false) => break,
            Ok(true) => {
                let line = rec.position().map_or(0, |p| lines.line_at(p));
                if ok {
                    let cells: Vec<Option<Cell>> = at
                        .iter()
                        .map(|i| {
                            i.and_then(|i| rec.get(i))
                                .map(|v| Cell::Str(Cow::Borrowed(v)))
                        })
                        .collect();
                    on_row(Pos { line, col: 1 }, &cells);
                }
            }
            Err(e) => {
                let line = e.position().map_or(0, |p| lines.line_at(p));
                // The csv crate numbers records from 0, the header being record 0.
                let row = e
                    .position()
                    .map_or(String::new(), |p| format!("row {}", p.record()));
                let message = match e.kind() {
                    csv::ErrorKind::UnequalLengths {
                        expected_len, len, ..
                    } => format!(
                        "this row has {len} field{} but the header has {expected_len} ({}); quote a value that contains a comma, e.g. \"a, b\"",
                        if *len == 1 { "" } else { "s" },
                        super::check::list(&columns)
                    ),
                    _ => {
                        // Its message ends with its own position, already in ours.
                        let full = e.to_string();
                        let msg = full.split_once("): ").map_or(full.as_str(), |(_, m)| m);
                        format!("CSV error: {msg}")
                    }
                };
                checker.error(Some(Pos { line, col: 1 }), &row, message);
                ok = false;
            }
        }
    }
    ok.then_some(columns)
}

/// The line a CSV record starts on, counted incrementally: records come in file order, so each
/// call counts only the newlines since the previous record (linear in the file, where counting
/// from the start for every record was quadratic: 100,000 rows took 31 s). The csv crate's own
/// line count is one short after CRLF line ends (spreadsheet exports), so every row would point
/// one line up; its byte offset then points at the `\n` of the previous line end, which is
/// skipped here.
struct LineCounter<'a> {
    bytes: &'a [u8],
    /// Bytes before `at` hold `line - 1` newlines.
    at: usize,
    line: usize,
}

impl<'a> LineCounter<'a> {
    fn new(text: &'a str) -> Self {
        LineCounter {
            bytes: text.as_bytes(),
            at: 0,
            line: 1,
        }
    }

    fn line_at(&mut self, pos: &csv::Position) -> usize {
        let bytes = self.bytes;
        let mut start = (pos.byte() as usize).min(bytes.len());
        while start < bytes.len() && matches!(bytes[start], b'\r' | b'\n') {
            start += 1;
        }
        if start < self.at {
            // Not expected (positions only grow); count from the start rather than be wrong.
            self.at = 0;
            self.line = 1;
        }
        self.line += bytes[self.at..start]
            .iter()
            .filter(|&&b| b == b'\n')
            .count();
        self.at = start;
        self.line
    }
}

fn read_jsonl(
    text: &str,
    checker: &mut Checker,
    wanted: &[&str],
    on_row: &mut dyn FnMut(Pos, &[Option<Cell<'_>>]),
) -> Option<Vec<String>> {
    let mut columns: Vec<String> = Vec::new();
    let mut ok = true;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut n_rows = 0;
    let mut seed = RowSeed {
        wanted,
        cells: Vec::with_capacity(wanted.len()),
        keys: Vec::new(),
    };
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        n_rows += 1;
        let pos = Pos {
            line: i + 1,
            col: 1,
        };
        // The fast path: an object, read into the wanted cells only. Anything else is read
        // again as a `serde_json::Value`, for the messages below.
        let mut de = serde_json::Deserializer::from_str(line);
        let fast = serde::de::DeserializeSeed::deserialize(&mut seed, &mut de)
            .and_then(|()| de.end())
            .is_ok();
        if fast {
            for k in seed.keys.drain(..) {
                if !columns.iter().any(|c| *c == *k) {
                    columns.push(k.into_owned());
                }
            }
            if ok {
                on_row(pos, &seed.cells);
            }
            continue;
        }
        seed.keys.clear();
        let row = format!("row {n_rows}");
        match serde_json::from_str::<serde_json::Value>(line) {
            Ok(serde_json::Value::Object(obj)) => {
                // Not expected (the fast path reads every object); read it the slow way.
                for k in obj.keys() {
                    if !columns.contains(k) {
                        columns.push(k.clone());
                    }
                }
                let cells: Vec<Option<Cell>> = wanted
                    .iter()
                    .map(|w| obj.get(*w).map(|v| json_cell(v.clone())))
                    .collect();
                if ok {
                    on_row(pos, &cells);
                }
            }
            Ok(other) => {
                checker.error(
                    Some(pos),
                    &row,
                    format!(
                        "expected a JSON object on each line, found {}",
                        json_kind(&other)
                    ),
                );
                ok = false;
            }
            Err(e) => {
                // serde_json ends its message with "at line 1 column N": the line is always
                // 1 here (one line is parsed), and the column is in our position.
                let full = e.to_string();
                let msg = full
                    .rsplit_once(" at line ")
                    .map_or(full.as_str(), |(m, _)| m);
                // Its column counts bytes; ours count characters.
                let mut b = e.column().saturating_sub(1).min(line.len());
                while !line.is_char_boundary(b) {
                    b -= 1;
                }
                checker.error(
                    Some(Pos {
                        line: i + 1,
                        col: line[..b].chars().count() + 1,
                    }),
                    &row,
                    format!("invalid JSON: {msg} (valid: one JSON object per line)"),
                );
                ok = false;
            }
        }
    }
    ok.then_some(columns)
}

fn json_cell<'a>(v: serde_json::Value) -> Cell<'a> {
    match v {
        serde_json::Value::String(s) => Cell::Str(Cow::Owned(s)),
        other => Cell::Json(other),
    }
}

/// Reads one JSONL object: the wanted cells (a repeated key: the last wins, as in a
/// `serde_json::Value`) and every key, into buffers reused from row to row.
struct RowSeed<'w, 'a> {
    wanted: &'w [&'w str],
    cells: Vec<Option<Cell<'a>>>,
    keys: Vec<Cow<'a, str>>,
}

impl<'de, 'w> serde::de::DeserializeSeed<'de> for &mut RowSeed<'w, 'de> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de, 'w> serde::de::Visitor<'de> for &mut RowSeed<'w, 'de> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON object")
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut m: A) -> Result<(), A::Error> {
        self.cells.clear();
        self.cells.resize_with(self.wanted.len(), || None);
        self.keys.clear();
        while let Some(Key(k)) = m.next_key()? {
            match self.wanted.iter().position(|w| **w == *k) {
                Some(i) => {
                    let cell = m.next_value::<CellIn>()?.0;
                    // Every wanted column of this name gets the cell.
                    for (j, w) in self.wanted.iter().enumerate().skip(i + 1) {
                        if **w == *k {
                            self.cells[j] = Some(clone_cell(&cell));
                        }
                    }
                    self.cells[i] = Some(cell);
                }
                None => {
                    m.next_value::<serde::de::IgnoredAny>()?;
                }
            }
            self.keys.push(k);
        }
        Ok(())
    }
}

fn clone_cell<'a>(c: &Cell<'a>) -> Cell<'a> {
    match c {
        Cell::Str(s) => Cell::Str(s.clone()),
        Cell::Json(v) => Cell::Json(v.clone()),
    }
}

#[derive(serde::Deserialize)]
struct Key<'a>(#[serde(borrow)] Cow<'a, str>);

/// A cell: a string borrowed where it can be, anything else as a `serde_json::Value`.
struct CellIn<'a>(Cell<'a>);

impl<'de> serde::Deserialize<'de> for CellIn<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = CellIn<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON value")
            }
            fn visit_borrowed_str<E: serde::de::Error>(
                self,
                s: &'de str,
            ) -> Result<Self::Value, E> {
                Ok(CellIn(Cell::Str(Cow::Borrowed(s))))
            }
            fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<Self::Value, E> {
                Ok(CellIn(Cell::Str(Cow::Owned(s.to_string()))))
            }
            fn visit_string<E: serde::de::Error>(self, s: String) -> Result<Self::Value, E> {
                Ok(CellIn(Cell::Str(Cow::Owned(s))))
            }
            fn visit_bool<E: serde::de::Error>(self, b: bool) -> Result<Self::Value, E> {
                Ok(CellIn(Cell::Json(serde_json::Value::Bool(b))))
            }
            fn visit_i64<E: serde::de::Error>(self, n: i64) -> Result<Self::Value, E> {
                Ok(CellIn(Cell::Json(n.into())))
            }
            fn visit_u64<E: serde::de::Error>(self, n: u64) -> Result<Self::Value, E> {
                Ok(CellIn(Cell::Json(n.into())))
            }
            fn visit_f64<E: serde::de::Error>(self, n: f64) -> Result<Self::Value, E> {
                Ok(CellIn(Cell::Json(
                    serde_json::Number::from_f64(n).map_or(serde_json::Value::Null, Into::into),
                )))
            }
            fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
                Ok(CellIn(Cell::Json(serde_json::Value::Null)))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                a: A,
            ) -> Result<Self::Value, A::Error> {
                let v = serde_json::Value::deserialize(
                    serde::de::value::SeqAccessDeserializer::new(a),
                )?;
                Ok(CellIn(Cell::Json(v)))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                a: A,
            ) -> Result<Self::Value, A::Error> {
                let v = serde_json::Value::deserialize(
                    serde::de::value::MapAccessDeserializer::new(a),
                )?;
                Ok(CellIn(Cell::Json(v)))
            }
        }
        d.deserialize_any(V)
    }
}

pub use crate::diag::json_kind;

//! Reading input files: text that must be UTF-8, YAML trees, and tables (CSV, JSONL).
//!
//! Every failure becomes a diagnostic naming the file and, where there is one, the line and
//! column, so a missing file, a stray Latin-1 byte and a YAML syntax error all read alike.

use std::path::{Path, PathBuf};

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

/// One row of a table: its position and its cells by column name.
pub struct Row {
    pub pos: Pos,
    pub cells: Vec<(String, serde_json::Value)>,
}

impl Row {
    pub fn get(&self, column: &str) -> Option<&serde_json::Value> {
        self.cells.iter().find(|(c, _)| c == column).map(|(_, v)| v)
    }
}

/// A table read from CSV (header row) or JSONL (one object per line).
pub struct Table {
    pub columns: Vec<String>,
    pub rows: Vec<Row>,
}

/// Reads a CSV or JSONL table (by extension), reporting problems into `checker`.
pub fn read_table(text: &str, path: &Path, checker: &mut Checker) -> Option<Table> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    match ext.as_str() {
        "csv" => read_csv(text, checker),
        "jsonl" | "ndjson" => read_jsonl(text, checker),
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

fn read_csv(text: &str, checker: &mut Checker) -> Option<Table> {
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
    let mut rows = Vec::new();
    let mut ok = true;
    let mut lines = LineCounter::new(text);
    for record in rdr.records() {
        match record {
            Ok(rec) => {
                let line = rec.position().map_or(0, |p| lines.line_at(p));
                let cells = columns
                    .iter()
                    .zip(rec.iter())
                    .map(|(c, v)| (c.clone(), serde_json::Value::String(v.to_string())))
                    .collect();
                rows.push(Row {
                    pos: Pos { line, col: 1 },
                    cells,
                });
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
    ok.then_some(Table { columns, rows })
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

fn read_jsonl(text: &str, checker: &mut Checker) -> Option<Table> {
    let mut columns: Vec<String> = Vec::new();
    let mut rows = Vec::new();
    let mut ok = true;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut n_rows = 0;
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        n_rows += 1;
        let row = format!("row {n_rows}");
        let pos = Pos {
            line: i + 1,
            col: 1,
        };
        match serde_json::from_str::<serde_json::Value>(line) {
            Ok(serde_json::Value::Object(obj)) => {
                for k in obj.keys() {
                    if !columns.contains(k) {
                        columns.push(k.clone());
                    }
                }
                rows.push(Row {
                    pos,
                    cells: obj.into_iter().collect(),
                });
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
    ok.then_some(Table { columns, rows })
}

pub use crate::diag::json_kind;

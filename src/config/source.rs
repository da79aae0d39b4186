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
    let text = read_unhashed(path, checker)?;
    let sha256 = sha256_hex(text.as_bytes());
    Ok(Text { text, sha256 })
}

/// The SHA-256 of `bytes`, in lowercase hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// [`read_text`] without the SHA-256, for a caller that hashes the text while it reads it.
pub fn read_unhashed(path: &Path, checker: &mut Checker) -> Result<String, ReadError> {
    let bytes = std::fs::read(path).map_err(|e| missing(path, e))?;
    check_text(&bytes, checker)?;
    // (Checked just above: `check_text` fails on anything that is not UTF-8.)
    String::from_utf8(bytes).map_err(|_| ReadError::Reported)
}

/// The error of a file that cannot be opened or read.
fn missing(path: &Path, e: std::io::Error) -> ReadError {
    ReadError::Missing(match e.kind() {
        std::io::ErrorKind::NotFound => {
            format!("file not found: {}", crate::error::display_path(path))
        }
        _ => format!("cannot read {}: {e}", crate::error::display_path(path)),
    })
}

/// Checks that `bytes` are a UTF-8 text, reporting into `checker` why not.
fn check_text(bytes: &[u8], checker: &mut Checker) -> Result<(), ReadError> {
    if let Some((pos, message)) = not_text(bytes) {
        checker.error(Some(pos), "", message);
        return Err(ReadError::Reported);
    }
    match crate::file_bytes::utf8(bytes) {
        Ok(_) => Ok(()),
        Err(e) => {
            let offset = e.valid_up_to();
            let pos = yaml::pos_at_byte(bytes, offset);
            let byte = bytes[offset];
            checker.error(
                Some(pos),
                "",
                format!("invalid UTF-8 (byte 0x{byte:02x}); save the file as UTF-8"),
            );
            Err(ReadError::Reported)
        }
    }
}

/// A text file's contents for a reader that only borrows them ([`map_unhashed`]): bytes
/// checked to be UTF-8.
pub struct FileText(FileBytes);

impl FileText {
    pub fn as_str(&self) -> &str {
        // SAFETY: a `FileText` holds bytes `check_text` found to be UTF-8 (`map_unhashed`)
        // or a `String`'s; neither changes (the map is read-only).
        unsafe { std::str::from_utf8_unchecked(&self.0) }
    }

    /// The text as a `String` of its own (a copy of a mapped file).
    pub fn into_string(self) -> String {
        match self.0 {
            FileBytes::Mapped(_) => self.as_str().to_owned(),
            // SAFETY: as in `as_str`.
            FileBytes::Read(v) => unsafe { String::from_utf8_unchecked(v) },
        }
    }
}

impl From<String> for FileText {
    fn from(s: String) -> Self {
        FileText(FileBytes::Read(s.into_bytes()))
    }
}

pub use crate::file_bytes::{map_bytes, FileBytes, MAP_MIN};

/// [`read_unhashed`] for a reader that only borrows the text: a file of [`MAP_MIN`] bytes
/// or more is mapped into memory instead of read (see [`map_bytes`]), with the same checks
/// and errors.
pub fn map_unhashed(path: &Path, checker: &mut Checker) -> Result<FileText, ReadError> {
    let bytes = map_bytes(path).map_err(|e| missing(path, e))?;
    check_text(&bytes, checker)?;
    Ok(FileText(bytes))
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
    let nul = memchr::memchr(0, bytes)?;
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
    if !check_header(text, &columns, checker) {
        return None;
    }
    let mut rows = Vec::new();
    let mut ok = true;
    let diags_before = checker.diags.len();
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
                    .map_or(String::new(), |p| format!("ticket {}", p.record()));
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
    // A quote left open swallows what follows into one value, up to the next quote (or the
    // end of the file): rows then seem to lack fields, or a value holds a line break and runs
    // on after its closing quote. Checked only then (the scan reads the file once more).
    if !ok
        || rows.iter().any(|r| {
            r.cells
                .iter()
                .any(|(_, v)| v.as_str().is_some_and(|s| s.contains('\n')))
        })
    {
        if let Some((q, record)) = unclosed_quote(text, 0) {
            checker.diags.truncate(diags_before);
            checker.error(
                Some(yaml::pos_at_byte(text.as_bytes(), q)),
                &format!("ticket {record}"),
                UNCLOSED_QUOTE,
            );
            return None;
        }
    }
    ok.then_some(Table { columns, rows })
}

const UNCLOSED_QUOTE: &str = "unclosed quote: this `\"` opens a quoted value that is not closed where the value ends, so what follows (line breaks and commas included) is read into it up to the next quote; close it, and write a quote inside a quoted value as `\"\"`";

/// The byte offset where line `line` (1-based) starts.
fn line_start(text: &str, line: usize) -> usize {
    if line <= 1 {
        return 0;
    }
    text.match_indices('\n')
        .nth(line - 2)
        .map_or(text.len(), |(i, _)| i + 1)
}

/// Where each field of the CSV record starting at byte `from` begins (byte offsets), and
/// whether the record ends inside an open quote (then the offset of that quote). RFC 4180:
/// a quote opens a quoted value only at the start of a field; `""` inside it is a quote.
fn scan_record(text: &str, from: usize) -> (Vec<usize>, Option<usize>, usize) {
    let b = text.as_bytes();
    let mut starts = vec![from];
    let mut i = from;
    let mut field_start = true;
    while i < b.len() {
        match b[i] {
            b'"' if field_start => {
                let open = i;
                i += 1;
                loop {
                    match b.get(i) {
                        None => return (starts, Some(open), b.len()),
                        Some(b'"') if b.get(i + 1) == Some(&b'"') => i += 2,
                        Some(b'"') => {
                            i += 1;
                            // A value ends at its closing quote: text after it means this
                            // quote closed an earlier, unclosed one.
                            if !matches!(b.get(i), None | Some(b',' | b'\r' | b'\n')) {
                                return (starts, Some(open), b.len());
                            }
                            break;
                        }
                        Some(_) => i += 1,
                    }
                }
                field_start = false;
                continue;
            }
            b',' => {
                starts.push(i + 1);
                field_start = true;
            }
            b'\n' | b'\r' => break,
            _ => field_start = false,
        }
        i += 1;
    }
    (starts, None, i)
}

/// The offset of the first quote opened in or after the record at byte `from` that is not
/// closed where its value ends, and the number of its record (the header is 0).
pub(crate) fn unclosed_quote(text: &str, from: usize) -> Option<(usize, usize)> {
    let b = text.as_bytes();
    let mut at = from.min(b.len());
    let mut record = 0;
    while at < b.len() {
        let (_, open, end) = scan_record(text, at);
        if let Some(q) = open {
            return Some((q, record));
        }
        // The next record starts after the line end the scan stopped at (blank lines are
        // not records).
        if !text[at..end].trim().is_empty() {
            record += 1;
        }
        at = end + 1;
    }
    None
}

/// The position of the `index`-th cell (0-based) of the CSV record that starts on `line`.
pub fn csv_cell_pos(text: &str, line: usize, index: usize) -> Pos {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let from = line_start(text, line);
    let (starts, _, _) = scan_record(text, from);
    let at = starts.get(index).copied().unwrap_or(from);
    yaml::pos_at_byte(text.as_bytes(), at)
}

/// The position of the value of `key` on a JSONL line (`line` 1-based), or its start.
pub fn jsonl_value_pos(text: &str, line: usize, key: &str) -> Pos {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let from = line_start(text, line);
    let end = text[from..].find('\n').map_or(text.len(), |n| from + n);
    let l = &text[from..end];
    let quoted = serde_json::to_string(key).unwrap_or_default();
    let col = l
        .find(&format!("{quoted}:"))
        .or_else(|| l.find(&quoted))
        .map(|k| {
            let mut v = k + quoted.len();
            let rest = l[v..].trim_start_matches([' ', ':']);
            v = l.len() - rest.len();
            l[..v].chars().count() + 1
        })
        .unwrap_or(1);
    Pos { line, col }
}

/// Checks a CSV header: a file separated by `;` or tabs (read as one column), and a column
/// name used twice (a lookup by name would only ever see the first).
fn check_header(text: &str, columns: &[String], checker: &mut Checker) -> bool {
    if columns.len() == 1 {
        for (sep, name) in [(';', "semicolons"), ('\t', "tabs")] {
            if columns[0].contains(sep) {
                checker.error(
                    Some(Pos { line: 1, col: 1 }),
                    "header",
                    format!(
                        "the header is one column {:?}: the file looks separated by {name}, but a .csv gold file is separated by commas; export it again with commas (or as .jsonl)",
                        columns[0]
                    ),
                );
                return false;
            }
        }
    }
    let mut ok = true;
    for (i, c) in columns.iter().enumerate() {
        if let Some(first) = columns[..i].iter().position(|o| o == c) {
            checker.error(
                Some(csv_cell_pos(text, 1, i)),
                "header",
                format!(
                    "column name {c:?} is used twice in the header (columns {} and {}); rename one, each column needs its own name",
                    first + 1,
                    i + 1
                ),
            );
            ok = false;
        }
    }
    ok
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

/// The first key a JSON object line repeats, with the 1-based character column of its second
/// occurrence; `None` when the object's `distinct` keys are all its keys.
fn repeated_key(line: &str, distinct: usize) -> Option<(String, usize)> {
    struct Keys(Vec<String>);
    impl<'de> serde::Deserialize<'de> for Keys {
        fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            struct V;
            impl<'de> serde::de::Visitor<'de> for V {
                type Value = Keys;
                fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                    f.write_str("a JSON object")
                }
                fn visit_map<A: serde::de::MapAccess<'de>>(
                    self,
                    mut map: A,
                ) -> Result<Keys, A::Error> {
                    let mut keys = Vec::new();
                    while let Some((k, _)) = map.next_entry::<String, serde::de::IgnoredAny>()? {
                        keys.push(k);
                    }
                    Ok(Keys(keys))
                }
            }
            d.deserialize_map(V)
        }
    }
    let Keys(keys) = serde_json::from_str::<Keys>(line).ok()?;
    if keys.len() == distinct {
        return None;
    }
    let mut seen = std::collections::HashSet::new();
    let key = keys.into_iter().find(|k| !seen.insert(k.clone()))?;
    // Where the second `"key":` starts (keys with escapes: column 1).
    let quoted = serde_json::to_string(&key).ok()?;
    let col = line
        .match_indices(&quoted)
        .filter(|(at, m)| line[at + m.len()..].trim_start().starts_with(':'))
        .nth(1)
        .map_or(1, |(at, _)| line[..at].chars().count() + 1);
    Some((key, col))
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
        let row = format!("ticket {n_rows}");
        let pos = Pos {
            line: i + 1,
            col: 1,
        };
        match serde_json::from_str::<serde_json::Value>(line) {
            Ok(serde_json::Value::Object(obj)) => {
                // serde_json keeps the last of repeated keys: a repeated column would drop a
                // value without a word. Name it instead.
                if let Some((key, col)) = repeated_key(line, obj.len()) {
                    checker.error(
                        Some(Pos { line: i + 1, col }),
                        &row,
                        format!(
                            "key {key:?} appears twice in this object, and only one value can be read; give each key once per line"
                        ),
                    );
                    ok = false;
                    continue;
                }
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

#[cfg(test)]
mod tests {
    use super::*;

    /// What [`map_unhashed`] and [`read_unhashed`] make of `bytes`: the text, or the
    /// diagnostics ("line:col message").
    fn both(bytes: &[u8]) -> [Result<String, Vec<String>>; 2] {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("gold.jsonl");
        std::fs::write(&path, bytes).expect("write");
        let shown = |c: Checker| {
            c.diags
                .iter()
                .map(|d| {
                    let p = d.pos.expect("a position");
                    format!("{}:{} {}", p.line, p.col, d.message)
                })
                .collect::<Vec<_>>()
        };
        let mut c = Checker::new(&path);
        let mapped = match map_unhashed(&path, &mut c) {
            Ok(t) => Ok(t.as_str().to_owned()),
            Err(_) => Err(shown(c)),
        };
        let mut c = Checker::new(&path);
        let read = match read_unhashed(&path, &mut c) {
            Ok(t) => Ok(t),
            Err(_) => Err(shown(c)),
        };
        [mapped, read]
    }

    /// A file of `lines` lines of 100 bytes, with `last` as its last line.
    fn big(lines: usize, last: &[u8]) -> Vec<u8> {
        let mut b = Vec::new();
        for i in 0..lines {
            b.extend_from_slice(
                format!("{{\"id\": \"T{i:07}\", \"text\": \"{:>64}\"}}\n", "x").as_bytes(),
            );
        }
        b.extend_from_slice(last);
        b
    }

    #[test]
    fn a_mapped_file_reads_and_fails_as_a_read_one() {
        // Over MAP_MIN: mapped; under it: read. Either way the same text or the same errors.
        for lines in [10, 20_000] {
            let ok = big(lines, "{\"id\": \"é\"}\n".as_bytes());
            assert!(lines < 20_000 || ok.len() as u64 > MAP_MIN);
            let [mapped, read] = both(&ok);
            assert_eq!(
                mapped.as_deref(),
                Ok(std::str::from_utf8(&ok).expect("utf-8"))
            );
            assert_eq!(mapped, read);

            let latin1 = big(lines, b"{\"id\": \"caf\xe9\"}\n");
            let [mapped, read] = both(&latin1);
            let want = format!(
                "{}:12 invalid UTF-8 (byte 0xe9); save the file as UTF-8",
                lines + 1
            );
            assert_eq!(mapped, Err(vec![want]));
            assert_eq!(mapped, read);

            let nul = big(lines, b"{\"id\": \"a\x00\"}\n");
            let [mapped, read] = both(&nul);
            let got = mapped.clone().expect_err("a NUL byte");
            assert!(
                got[0].starts_with(&format!("{}:10 a NUL byte", lines + 1)),
                "{got:?}"
            );
            assert_eq!(mapped, read);
        }
    }

    #[test]
    fn mapped_bytes_are_the_files_bytes() {
        let dir = tempfile::tempdir().expect("temp dir");
        for (name, lines) in [("small", 10), ("big", 20_000)] {
            let path = dir.path().join(name);
            let bytes = big(lines, b"\xff\x00 not text\n");
            std::fs::write(&path, &bytes).expect("write");
            let got = map_bytes(&path).expect("maps");
            assert_eq!(*got, *bytes);
            assert_eq!(matches!(got, FileBytes::Mapped(_)), lines == 20_000);
        }
        assert!(map_bytes(&dir.path().join("nope")).is_err());
    }

    #[test]
    fn a_missing_file_is_missing_either_way() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("nope.csv");
        let mut c = Checker::new(&path);
        match map_unhashed(&path, &mut c) {
            Err(ReadError::Missing(m)) => assert!(m.starts_with("file not found: "), "{m}"),
            _ => panic!("a missing file maps"),
        }
    }
}

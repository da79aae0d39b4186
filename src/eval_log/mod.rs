//! The run folder's records: one [`PredictionRecord`] per variant x ticket x repeat in
//! `predictions.jsonl` (the journal). (What was run, run.json's `RunSpec`, is
//! [`crate::run_dir`]'s.)
//!
//! Versioning: [`PREDICTION_VERSION`] changes when a field of a journal line changes meaning
//! or is removed (adding an optional field does not bump it); `run_dir::RUN_VERSION` likewise
//! for run.json. Readers refuse versions they do not know.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// Version of a predictions.jsonl line.
pub const PREDICTION_VERSION: u32 = 1;
/// What happened when a ticket was classified.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// A valid classification.
    Ok,
    /// A tool was called but its input does not validate against the schema.
    InvalidOutput,
    /// The model answered without calling a tool (or called a tool the variant doesn't know).
    NoToolCall,
    /// The model (or its safety system) refused.
    Refusal,
    /// The answer was cut off at max_tokens.
    MaxTokens,
    /// The provider failed after every retry.
    ProviderError,
}

impl Outcome {
    pub const ALL: [Outcome; 6] = [
        Outcome::Ok,
        Outcome::InvalidOutput,
        Outcome::NoToolCall,
        Outcome::Refusal,
        Outcome::MaxTokens,
        Outcome::ProviderError,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::InvalidOutput => "invalid_output",
            Outcome::NoToolCall => "no_tool_call",
            Outcome::Refusal => "refusal",
            Outcome::MaxTokens => "max_tokens",
            Outcome::ProviderError => "provider_error",
        }
    }
}

/// Tokens of one call.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Usage {
    pub input_tokens: u64,
    pub output_tokens: u64,
    #[serde(default)]
    pub cache_read_input_tokens: u64,
    #[serde(default)]
    pub cache_creation_input_tokens: u64,
}

/// One classification: a line of predictions.jsonl.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PredictionRecord {
    pub v: u32,
    pub variant: String,
    pub ticket: String,
    #[serde(default)]
    pub repeat: u32,
    pub outcome: Outcome,
    /// Gold field -> predicted value (label names, a list of names, or a boolean).
    #[serde(default)]
    pub outputs: serde_json::Map<String, serde_json::Value>,
    /// The stated confidence (tool property) or the local classifier's probability. A value
    /// that is not a number reads as NaN: invalid, scored as no confidence and counted.
    #[serde(default, deserialize_with = "lenient_confidence")]
    pub confidence: Option<f64>,
    /// The tool the model called.
    #[serde(default)]
    pub tool: Option<String>,
    /// The tool's input exactly as it came back.
    #[serde(default)]
    pub raw: Option<serde_json::Value>,
    #[serde(default)]
    pub usage: Option<Usage>,
    #[serde(default)]
    pub cost_usd: Option<f64>,
    #[serde(default)]
    pub latency_ms: Option<f64>,
    /// Served from the response cache (no network call, no cost).
    #[serde(default)]
    pub cached: bool,
    #[serde(default)]
    pub request_id: Option<String>,
    /// HTTP attempts made (1 = no retry).
    #[serde(default)]
    pub attempts: Option<u32>,
    /// What went wrong, when the outcome is not `ok`.
    #[serde(default)]
    pub error: Option<String>,
    /// Why the model stopped, as the provider said it (`stop_reason` / `finish_reason`), for
    /// responses received. See [`PredictionRecord::unexpected_stop`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop_reason: Option<String>,
    /// The ticket's end-to-end time in ms: from taking a request slot to the final answer,
    /// retries, backoffs and rate-limit waits included (`latency_ms` is the last attempt
    /// only). `None` for cache hits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency_e2e_ms: Option<f64>,
    /// When work on this record started and finished (Unix time, ms): the wall time of a
    /// variant is the union of these spans, so it survives `--resume` without counting the
    /// time between sessions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at_ms: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at_ms: Option<u64>,
}

/// Stop reasons of a forced tool call: Anthropic `tool_use`; OpenAI-compatible `tool_calls`
/// or, with a named tool choice, `stop`. (Neither wire format uses the other's values.)
pub const EXPECTED_STOP_REASONS: [&str; 3] = ["tool_use", "tool_calls", "stop"];

/// An `ok` outcome with a stop reason that is not that of a forced tool call.
pub fn unexpected_stop(outcome: Outcome, stop_reason: Option<&str>) -> bool {
    outcome == Outcome::Ok && stop_reason.is_some_and(|s| !EXPECTED_STOP_REASONS.contains(&s))
}

impl PredictionRecord {
    /// A record with an outcome and nothing else, to be filled in.
    pub fn new(variant: &str, ticket: &str, repeat: u32, outcome: Outcome) -> Self {
        PredictionRecord {
            v: PREDICTION_VERSION,
            variant: variant.to_string(),
            ticket: ticket.to_string(),
            repeat,
            outcome,
            outputs: serde_json::Map::new(),
            confidence: None,
            tool: None,
            raw: None,
            usage: None,
            cost_usd: None,
            latency_ms: None,
            cached: false,
            request_id: None,
            attempts: None,
            error: None,
            stop_reason: None,
            latency_e2e_ms: None,
            started_at_ms: None,
            finished_at_ms: None,
        }
    }

    /// An accepted classification whose stop reason is not that of a forced tool call (say
    /// `end_turn` with a valid tool call): kept, but counted, since it may mean the request
    /// did not force the tool the way it should.
    pub fn unexpected_stop(&self) -> bool {
        unexpected_stop(self.outcome, self.stop_reason.as_deref())
    }

    /// The key that identifies a unit of work.
    pub fn key(&self) -> (String, String, u32) {
        (self.variant.clone(), self.ticket.clone(), self.repeat)
    }
}

/// Reads a record's `confidence`: a number, or nothing (absent or `null`). Anything else (a
/// string such as `"high"`, a boolean, a list) is kept as NaN, which scoring treats as an
/// invalid confidence (counted in `confidence_invalid`, scored as absent) rather than a reason
/// to refuse the whole file.
pub fn lenient_confidence<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> std::result::Result<Option<f64>, D::Error> {
    use serde::de::{IgnoredAny, MapAccess, SeqAccess, Visitor};
    struct V;
    impl<'de> Visitor<'de> for V {
        type Value = Option<f64>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a number")
        }
        fn visit_f64<E: serde::de::Error>(self, x: f64) -> std::result::Result<Self::Value, E> {
            Ok(Some(x))
        }
        fn visit_i64<E: serde::de::Error>(self, x: i64) -> std::result::Result<Self::Value, E> {
            Ok(Some(x as f64))
        }
        fn visit_u64<E: serde::de::Error>(self, x: u64) -> std::result::Result<Self::Value, E> {
            Ok(Some(x as f64))
        }
        fn visit_unit<E: serde::de::Error>(self) -> std::result::Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_none<E: serde::de::Error>(self) -> std::result::Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_some<D2: serde::Deserializer<'de>>(
            self,
            d: D2,
        ) -> std::result::Result<Self::Value, D2::Error> {
            d.deserialize_any(V)
        }
        fn visit_bool<E: serde::de::Error>(self, _: bool) -> std::result::Result<Self::Value, E> {
            Ok(Some(f64::NAN))
        }
        fn visit_str<E: serde::de::Error>(self, _: &str) -> std::result::Result<Self::Value, E> {
            Ok(Some(f64::NAN))
        }
        fn visit_seq<A: SeqAccess<'de>>(
            self,
            mut s: A,
        ) -> std::result::Result<Self::Value, A::Error> {
            while s.next_element::<IgnoredAny>()?.is_some() {}
            Ok(Some(f64::NAN))
        }
        fn visit_map<A: MapAccess<'de>>(
            self,
            mut m: A,
        ) -> std::result::Result<Self::Value, A::Error> {
            while m.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
            Ok(Some(f64::NAN))
        }
    }
    d.deserialize_any(V)
}

/// Appends records to predictions.jsonl, one whole line per write, flushed at once, so a
/// crash loses at most the line being written (which [`read_journal`] then drops).
pub struct Journal {
    file: std::fs::File,
    path: PathBuf,
}

impl Journal {
    /// Opens (creating) the journal for appending, first cutting a torn last line.
    pub fn open(path: &Path) -> Result<Self> {
        if let Ok(bytes) = std::fs::read(path) {
            if !bytes.is_empty() && !bytes.ends_with(b"\n") {
                let keep = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
                let f = std::fs::OpenOptions::new()
                    .write(true)
                    .open(path)
                    .map_err(|e| Error::io(path, e))?;
                f.set_len(keep as u64).map_err(|e| Error::io(path, e))?;
            }
        }
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|e| Error::io(path, e))?;
        Ok(Journal {
            file,
            path: path.to_path_buf(),
        })
    }

    /// Appends one record as one line.
    pub fn append(&mut self, rec: &PredictionRecord) -> Result<()> {
        let mut line = serde_json::to_vec(rec).expect("records serialize");
        line.push(b'\n');
        self.file
            .write_all(&line)
            .and_then(|_| self.file.flush())
            .map_err(|e| Error::io(&self.path, e))
    }
}

/// Reads a journal. A torn last line (a crash mid-write) is skipped; any other bad line is
/// an error naming its line number.
pub fn read_journal(path: &Path) -> Result<Vec<PredictionRecord>> {
    read_journal_with(
        path,
        |line| serde_json::from_str::<PredictionRecord>(line).ok(),
        Some,
    )
}

/// A journal line as the report pages' ticket tables need it: the answer, not its
/// provenance (the `raw` tool input, usage, timings are not read).
#[derive(Deserialize)]
struct AnswerLine {
    v: u32,
    variant: String,
    ticket: String,
    #[serde(default)]
    repeat: u32,
    outcome: Outcome,
    #[serde(default)]
    outputs: serde_json::Map<String, serde_json::Value>,
    #[serde(default, deserialize_with = "lenient_confidence")]
    confidence: Option<f64>,
}

/// [`read_journal`] keeping of each record only its answer: variant, ticket, repeat,
/// outcome, outputs and confidence (every other field at its default). The HTML report reads
/// a journal of a million lines this way in well under half the time and memory. Lines are
/// checked as [`read_journal`] checks them, with the same messages.
pub fn read_journal_answers(path: &Path) -> Result<Vec<PredictionRecord>> {
    read_journal_answers_into(path, Some)
}

/// [`read_journal_answers`], turning each answer into what the caller keeps as it is read
/// (`None`: not kept), so a journal of millions of lines never exists as records at once.
/// The results are in journal order.
pub fn read_journal_answers_into<T: Send>(
    path: &Path,
    keep: impl Fn(PredictionRecord) -> Option<T> + Sync,
) -> Result<Vec<T>> {
    read_journal_with(
        path,
        |line| {
            let a = serde_json::from_str::<AnswerLine>(line).ok()?;
            let mut r = PredictionRecord::new(&a.variant, &a.ticket, a.repeat, a.outcome);
            r.v = a.v;
            r.outputs = a.outputs;
            r.confidence = a.confidence;
            Some(r)
        },
        keep,
    )
}

/// Bytes of the journal read and parsed at a time: the file is never held whole.
const JOURNAL_CHUNK: usize = 16 << 20;

/// Reads a journal in chunks of whole lines, `fast` turning each line of a chunk into a record
/// on both cores and `keep` into what the caller keeps; a line `fast` cannot read (or of
/// another version) goes through the careful reader, which says why with the line's
/// position. A journal of a million lines reads in a fraction of the time a `Value` tree per
/// line took, and in the memory of one chunk plus what is kept.
fn read_journal_with<T: Send>(
    path: &Path,
    fast: impl Fn(&str) -> Option<PredictionRecord> + Sync,
    keep: impl Fn(PredictionRecord) -> Option<T> + Sync,
) -> Result<Vec<T>> {
    read_journal_chunked(path, JOURNAL_CHUNK, fast, keep)
}

/// [`read_journal_with`] in chunks of `chunk` bytes (tests use tiny ones).
fn read_journal_chunked<T: Send>(
    path: &Path,
    chunk: usize,
    fast: impl Fn(&str) -> Option<PredictionRecord> + Sync,
    keep: impl Fn(PredictionRecord) -> Option<T> + Sync,
) -> Result<Vec<T>> {
    let size = std::fs::metadata(path).map_or(0, |m| m.len() as usize);
    let mut out: Vec<T> = Vec::new();
    read_journal_text_chunks(path, chunk, |text, line_base, eof| {
        if out.capacity() == 0 && !text.is_empty() {
            // Room for the whole journal at this chunk's bytes per line.
            let lines = text.lines().count().max(1);
            out.reserve(size / (text.len() / lines).max(1) + 16);
        }
        read_lines(path, text, line_base, eof, &fast, &keep, &mut out)
    })?;
    Ok(out)
}

/// The journal's text in chunks of about `chunk` bytes of whole lines: `on_chunk(text,
/// lines before it, whether its last line is the file's)` returns the chunk's line count. A
/// missing file is no chunk.
///
/// A large journal is mapped, not read ([`crate::file_bytes::map_bytes`]: no copy out
/// of the page cache), and the pages of each chunk done with are dropped from the map, so
/// the process holds a few chunks of the file at a time, not the whole file.
fn read_journal_text_chunks(
    path: &Path,
    chunk: usize,
    mut on_chunk: impl FnMut(&str, usize, bool) -> Result<usize>,
) -> Result<()> {
    let Some(bytes) = map_journal(path)? else {
        return Ok(());
    };
    // Bytes of the map released so far (the chunks done with, several at a time).
    let mut released = 0usize;
    let mut line_base = 0usize;
    for_text_chunks(path, &bytes, chunk, |text, start, eof| {
        let n = on_chunk(text, line_base, eof)?;
        line_base += n;
        bytes.release_before(start + text.len(), &mut released, 4 * chunk);
        Ok(())
    })
}

/// A journal's bytes, mapped when large and advised for reading in order; `None` when there
/// is no journal yet.
pub(super) fn map_journal(path: &Path) -> Result<Option<crate::file_bytes::FileBytes>> {
    match crate::file_bytes::map_bytes(path) {
        Ok(b) => {
            b.advise_sequential();
            Ok(Some(b))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::io(path, e)),
    }
}

/// `bytes` (a journal's) in chunks of about `chunk` bytes of whole lines: `each(text, its
/// byte offset, whether its last line is the file's)`. A line longer than `chunk` is a
/// chunk of its own; the file's last line is always in the last chunk, so that a torn last
/// line is known as such. Text that is not UTF-8 is an error naming its byte.
pub(super) fn for_text_chunks<'a>(
    path: &Path,
    bytes: &'a [u8],
    chunk: usize,
    mut each: impl FnMut(&'a str, usize, bool) -> Result<()>,
) -> Result<()> {
    let len = bytes.len();
    let mut start = 0usize;
    while start < len {
        // The chunk ends after its line end, unless that leaves nothing after it: then it
        // is the rest.
        let cut = match crate::file_bytes::chunk_end(bytes, start, chunk) {
            Some(nl) if nl + 1 < len => nl + 1,
            _ => len,
        };
        let text = crate::file_bytes::utf8(&bytes[start..cut]).map_err(|e| {
            Error::io(
                path,
                std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    format!("invalid UTF-8 at byte {}", start + e.valid_up_to()),
                ),
            )
        })?;
        each(text, start, cut == len)?;
        start = cut;
    }
    Ok(())
}

/// Line `i` of a chunk whose first line is the file's line `first_line` (0-based): a byte
/// order mark before the file's first line (some editors and Windows tools add one) is not
/// part of the JSON.
pub(crate) fn chunk_line<'a>(lines: &[&'a str], i: usize, first_line: usize) -> &'a str {
    if i == 0 && first_line == 0 {
        lines[0].strip_prefix('\u{feff}').unwrap_or(lines[0])
    } else {
        lines[i]
    }
}

/// The lines of one chunk (`first_line` lines into the file; `at_end`: its last line is the
/// file's) into `out`; returns how many lines the chunk has.
fn read_lines<T: Send>(
    path: &Path,
    text: &str,
    first_line: usize,
    at_end: bool,
    fast: &(impl Fn(&str) -> Option<PredictionRecord> + Sync),
    keep: &(impl Fn(PredictionRecord) -> Option<T> + Sync),
    out: &mut Vec<T>,
) -> Result<usize> {
    use rayon::prelude::*;
    let lines: Vec<&str> = text.lines().collect();
    let line_at = |i: usize| chunk_line(&lines, i, first_line);
    let quick = |i: usize| fast(line_at(i)).filter(|r| r.v == PREDICTION_VERSION);
    // Every line read by `fast` in parallel; a line it gives up on (an escape in a string:
    // an `invalid_output` record's message quotes the value) is read the careful way after,
    // in order, so the first bad line of the file is the error, as a serial read finds it.
    let n = lines.len();
    let read: Vec<Option<Option<T>>> = (0..n).into_par_iter().map(|i| quick(i).map(keep)).collect();
    out.reserve(n);
    for (i, r) in read.into_iter().enumerate() {
        match r {
            Some(kept) => out.extend(kept),
            None => {
                let at_last = at_end && i + 1 == n;
                if let Some(rec) = careful_line(path, line_at(i), first_line + i + 1, at_last)? {
                    out.extend(keep(rec));
                }
            }
        }
    }
    Ok(n)
}

/// A line the fast reader could not read, read by serde with the reason when it is bad:
/// `None` for a blank line and for a torn last line of the file (`last`); `at` is its
/// 1-based line number.
fn careful_line(
    path: &Path,
    line: &str,
    at: usize,
    last: bool,
) -> Result<Option<PredictionRecord>> {
    if line.trim().is_empty() {
        return Ok(None);
    }
    let bad_at = |col: usize, key: &str, message: String| {
        Error::Invalid(vec![crate::error::Diagnostic {
            file: path.to_path_buf(),
            pos: Some(crate::diag::Pos {
                line: at,
                col: col.max(1),
            }),
            path: key.to_string(),
            message,
        }])
    };
    let bad = |col: usize, message: String| bad_at(col, "", message);
    // The version first, so a newer format gets a version message, not a parse error.
    let value: serde_json::Value = match serde_json::from_str(line) {
        Ok(v) => v,
        Err(_) if last => return Ok(None), // torn last line
        Err(e) => return Err(bad(e.column(), format!("not a prediction record: {e}"))),
    };
    match value.get("v").and_then(|v| v.as_u64()) {
        Some(v) if v == u64::from(PREDICTION_VERSION) => {}
        Some(v) => {
            return Err(bad_at(
                1,
                "v",
                format!("prediction format version {v} is not supported (this verdict reads version {PREDICTION_VERSION})"),
            ))
        }
        None => return Err(bad(1, "not a prediction record: missing version `v`".into())),
    }
    match serde_json::from_value::<PredictionRecord>(value) {
        Ok(rec) => Ok(Some(rec)),
        Err(e) => Err(bad(1, format!("not a prediction record: {e}"))),
    }
}

/// Keeps the last record of each (variant, ticket, repeat), in first-seen order.
pub fn dedup_latest(records: Vec<PredictionRecord>) -> Vec<PredictionRecord> {
    // Most journals repeat nothing: check that without copying a key.
    let unique = {
        let mut seen: hashbrown::HashSet<(&str, &str, u32)> =
            hashbrown::HashSet::with_capacity(records.len());
        records
            .iter()
            .all(|r| seen.insert((r.variant.as_str(), r.ticket.as_str(), r.repeat)))
    };
    if unique {
        return records;
    }
    let mut index: HashMap<(String, String, u32), usize> = HashMap::new();
    let mut out: Vec<PredictionRecord> = Vec::with_capacity(records.len());
    for rec in records {
        match index.get(&rec.key()) {
            Some(&i) => out[i] = rec,
            None => {
                index.insert(rec.key(), out.len());
                out.push(rec);
            }
        }
    }
    out
}

mod cursor;
mod scan;
pub use cursor::eq_short;
pub use scan::{read_journal_views, scan_line, scan_line_into, JournalLine, OutputRef, Outputs};
pub(crate) use scan::{recycle, Scan};

#[cfg(test)]
mod tests;

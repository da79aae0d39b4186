//! Reading a predictions file for `verdict score`, in one streaming pass straight into the
//! [`Grader`]: each line is parsed into a borrowed, typed view (no `serde_json::Value`, no
//! owned record kept), graded, and dropped, so memory follows the gold set, not the file.
//!
//! The file is held to the journal's format ([`crate::eval_log::PredictionRecord`]) with the
//! same messages: a line the fast parser refuses is parsed again the journal's way, which
//! either names the problem (file:line:column) or accepts it (a duplicate key, say). Unlike a
//! run's own journal, a malformed last line is an error, not a torn write to skip. Every
//! ticket must be in the gold set (the first 20 strangers are reported together), `repeat`
//! must be below [`MAX_REPEATS`], and there must be at least one record.

use std::borrow::Cow;
use std::path::Path;

use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;

use crate::error::{Diagnostic, Error, Result};
use crate::eval_log::{
    recycle, scan_line_into, JournalLine, Outcome, PredictionRecord, Usage, PREDICTION_VERSION,
};
use crate::score::{
    line_view, GoldTable, Graded, Grader, OutputValue, Placer, Prepared, Preparer, RecordView,
    MAX_REPEATS,
};

/// One line, borrowed from the line's text where it has no escapes.
#[derive(Deserialize)]
struct Line<'a> {
    v: Option<u64>,
    #[serde(borrow)]
    variant: Cow<'a, str>,
    #[serde(borrow)]
    ticket: Cow<'a, str>,
    #[serde(default)]
    repeat: u32,
    outcome: Outcome,
    #[serde(default, borrow)]
    outputs: Outputs<'a>,
    #[serde(default, deserialize_with = "crate::eval_log::lenient_confidence")]
    confidence: Option<f64>,
    // Typed as in the journal, so a line is refused here exactly when it is there.
    #[serde(default)]
    #[allow(dead_code)]
    tool: Option<String>,
    #[serde(default)]
    #[allow(dead_code)]
    raw: Option<IgnoredAny>,
    #[serde(default)]
    usage: Option<Usage>,
    #[serde(default)]
    cost_usd: Option<f64>,
    #[serde(default)]
    latency_ms: Option<f64>,
    #[serde(default)]
    cached: bool,
    #[serde(default, borrow)]
    stop_reason: Option<Cow<'a, str>>,
    #[serde(default)]
    latency_e2e_ms: Option<f64>,
    #[serde(default)]
    started_at_ms: Option<u64>,
    #[serde(default)]
    finished_at_ms: Option<u64>,
    #[serde(default)]
    #[allow(dead_code)]
    request_id: Option<String>,
    #[serde(default)]
    #[allow(dead_code)]
    attempts: Option<u32>,
    #[serde(default)]
    error: Option<String>,
}

/// The `outputs` object: field name -> value, in order (a repeated key: the last wins).
#[derive(Default)]
struct Outputs<'a>(Vec<(Cow<'a, str>, Out<'a>)>);

impl<'a> Outputs<'a> {
    fn get(&self, name: &str) -> Option<OutputValue<'_>> {
        self.0
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| match v {
                Out::Str(s) => OutputValue::Str(s),
                Out::Bool(b) => OutputValue::Bool(*b),
                Out::List(items) => OutputValue::List(items.iter().map(|s| s.as_ref()).collect()),
                Out::Other => OutputValue::Other,
            })
    }
}

/// An output value: only strings, booleans and lists of strings can be valid.
enum Out<'a> {
    Str(Cow<'a, str>),
    Bool(bool),
    List(Vec<Cow<'a, str>>),
    Other,
}

#[derive(Deserialize)]
struct Key<'a>(#[serde(borrow)] Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for Outputs<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Outputs<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a map")
            }
            fn visit_map<A: MapAccess<'de>>(
                self,
                mut m: A,
            ) -> std::result::Result<Self::Value, A::Error> {
                let mut out = Vec::new();
                while let Some(Key(k)) = m.next_key()? {
                    out.push((k, m.next_value::<Out>()?));
                }
                Ok(Outputs(out))
            }
        }
        d.deserialize_map(V)
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Out<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Out<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_borrowed_str<E: de::Error>(
                self,
                s: &'de str,
            ) -> std::result::Result<Self::Value, E> {
                Ok(Out::Str(Cow::Borrowed(s)))
            }
            fn visit_str<E: de::Error>(self, s: &str) -> std::result::Result<Self::Value, E> {
                Ok(Out::Str(Cow::Owned(s.to_string())))
            }
            fn visit_string<E: de::Error>(self, s: String) -> std::result::Result<Self::Value, E> {
                Ok(Out::Str(Cow::Owned(s)))
            }
            fn visit_bool<E: de::Error>(self, b: bool) -> std::result::Result<Self::Value, E> {
                Ok(Out::Bool(b))
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> std::result::Result<Self::Value, E> {
                Ok(Out::Other)
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> std::result::Result<Self::Value, E> {
                Ok(Out::Other)
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> std::result::Result<Self::Value, E> {
                Ok(Out::Other)
            }
            fn visit_unit<E: de::Error>(self) -> std::result::Result<Self::Value, E> {
                Ok(Out::Other)
            }
            fn visit_none<E: de::Error>(self) -> std::result::Result<Self::Value, E> {
                Ok(Out::Other)
            }
            fn visit_seq<A: SeqAccess<'de>>(
                self,
                mut s: A,
            ) -> std::result::Result<Self::Value, A::Error> {
                let mut items = Vec::new();
                let mut all_str = true;
                while let Some(item) = s.next_element::<Out>()? {
                    match item {
                        Out::Str(x) => items.push(x),
                        _ => all_str = false,
                    }
                }
                Ok(if all_str {
                    Out::List(items)
                } else {
                    Out::Other
                })
            }
            fn visit_map<A: MapAccess<'de>>(
                self,
                mut m: A,
            ) -> std::result::Result<Self::Value, A::Error> {
                while m.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Out::Other)
            }
        }
        d.deserialize_any(V)
    }
}

fn bad(path: &Path, line: usize, col: usize, key: &str, message: String) -> Error {
    Error::Invalid(vec![Diagnostic {
        file: path.to_path_buf(),
        pos: Some(crate::yaml::Pos {
            line,
            col: col.max(1),
        }),
        path: key.to_string(),
        message,
    }])
}

/// A line the fast parser refused, parsed the journal's way: the record, or the journal's
/// message for it.
fn parse_slow(path: &Path, line_no: usize, line: &str) -> Result<PredictionRecord> {
    let value: serde_json::Value = serde_json::from_str(line).map_err(|e| {
        bad(
            path,
            line_no,
            e.column(),
            "",
            format!("not a prediction record: {e}"),
        )
    })?;
    match value.get("v").and_then(|v| v.as_u64()) {
        Some(v) if v == u64::from(PREDICTION_VERSION) => {}
        Some(v) => {
            return Err(bad(
                path,
                line_no,
                1,
                "v",
                format!("prediction format version {v} is not supported (this verdict reads version {PREDICTION_VERSION})"),
            ))
        }
        None => {
            return Err(bad(
                path,
                line_no,
                1,
                "",
                "not a prediction record: missing version `v`".into(),
            ))
        }
    }
    serde_json::from_value::<PredictionRecord>(value).map_err(|e| {
        bad(
            path,
            line_no,
            1,
            "",
            format!("not a prediction record: {e}"),
        )
    })
}

/// Bytes of the file scanned at a time: the lines of a chunk are scanned on both cores,
/// then graded in order; memory follows the chunk, not the file. (Three chunks are in
/// flight at once: scanned, waiting, placed.)
const CHUNK: usize = 2 << 20;

/// Reads and grades `verdict score --predictions PATH` against every ticket of `gold`, with
/// one variant per name met, in first-seen order.
///
/// The file is mapped (from 1 MiB on; [`crate::file_bytes::map_bytes`]) and read in chunks
/// of whole lines. Each chunk's lines are read by the journal's scanner ([`scan_line`]) on
/// both cores; a line it gives up on is read here as before (the borrowed serde line, then
/// the journal's way with its messages), so what is accepted and what each error says do
/// not depend on the scanner.
pub fn grade_file(path: &Path, gold: GoldTable) -> Result<Graded> {
    let bytes = crate::file_bytes::map_bytes(path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            Error::io(path, "file not found")
        } else {
            Error::io(path, e)
        }
    })?;
    bytes.advise_sequential();
    let mut grader = Grader::with_table(gold, &[]);
    let mut state = State {
        path,
        n_records: 0,
        strangers: Vec::new(),
        last_variant: None,
    };
    // Two stages at once: a thread of its own scans each chunk's lines (scanned, ticket
    // found, record prepared, on both cores) while this thread stores the chunk before, in
    // order.
    {
        use std::sync::mpsc;
        let (prep, store) = grader.parts();
        let state = &mut state;
        let bytes = &bytes;
        std::thread::scope(|s| {
            let (tx, rx) = mpsc::sync_channel::<Scanned>(1);
            // The chunks' lists go back to be filled again (fresh ones are fresh memory
            // from the system each time, zeroed by the kernel).
            let (spare_tx, spare_rx) = mpsc::channel::<Vec<Option<Ready>>>();
            // The scanning side on a thread of its own; the placer here, on the thread that
            // later builds the graded columns and frees the slots it allocates (the allocator
            // returns memory freed by the thread that allocated it at once; frees from
            // another thread wait in a list, which raised the peak by about 60 MB).
            let reader = s.spawn(move || -> Result<()> {
                let mut line_base = 0usize;
                let mut lines_buf: Vec<&str> = Vec::new();
                for_chunks(path, bytes, CHUNK, |text| {
                    let mut lines = recycle(std::mem::take(&mut lines_buf));
                    split_lines(text, &mut lines);
                    let mut ready = spare_rx.try_recv().unwrap_or_default();
                    // Each line scanned, its ticket found among the gold set's and its record
                    // checked against the gold set's fields ([`Preparer::prepare`]), on both
                    // cores; what is left for the placer is storing it, in order.
                    {
                        use rayon::prelude::*;
                        let n_tickets = prep.n_tickets().max(1);
                        lines
                            .par_iter()
                            .enumerate()
                            .map_init(
                                // Each worker's last ticket row, and its line read in place
                                // (no copy of a 376-byte line out of the scanner).
                                || (u32::MAX, JournalLine::blank()),
                                |(last, l), (i, line)| {
                                    if !scan_line_into(clean(line, line_base + i), l) {
                                        return None;
                                    }
                                    if *last == u32::MAX {
                                        // A part's first line: its ticket guessed from its
                                        // line number (a file of each variant's records in
                                        // ticket order has ticket k % n on line k), so that
                                        // records in that order never hash an id.
                                        *last =
                                            (((line_base + i) % n_tickets) as u32).wrapping_sub(1);
                                    }
                                    let row = prep.ticket_row_after(&l.ticket, last);
                                    let prepared = (row.is_some() && l.repeat < MAX_REPEATS)
                                        .then(|| prep.prepare(&line_view(l)));
                                    Some(Ready {
                                        variant: Span::of(std::mem::take(&mut l.variant), text),
                                        ticket: Span::of(std::mem::take(&mut l.ticket), text),
                                        repeat: l.repeat,
                                        row,
                                        prepared,
                                    })
                                },
                            )
                            .collect_into_vec(&mut ready);
                    }
                    let n = lines.len();
                    lines_buf = recycle(lines);
                    let chunk = Scanned {
                        text,
                        ready,
                        line_base,
                    };
                    line_base += n;
                    // The placer has stopped only on an error, which it returns below.
                    tx.send(chunk)
                        .map_err(|_| Error::Usage("the placer stopped".into()))
                })
            });
            let placed = (move || -> Result<()> {
                let mut lines_buf: Vec<&str> = Vec::new();
                // Bytes of the map released: the chunks stored, several at a time.
                let mut released = 0usize;
                for chunk in rx {
                    let Scanned {
                        text,
                        mut ready,
                        line_base,
                    } = chunk;
                    let mut lines = recycle(std::mem::take(&mut lines_buf));
                    split_lines(text, &mut lines);
                    state.place_chunk(prep, store, text, &lines, line_base, &mut ready)?;
                    lines_buf = recycle(lines);
                    let _ = spare_tx.send(recycle(ready));
                    let end = text.as_ptr() as usize - bytes.as_ptr() as usize + text.len();
                    bytes.release_before(end, &mut released, 4 * CHUNK);
                }
                Ok(())
            })();
            // (`rx` is gone: a scanning side still at work stops at its next chunk.)
            let read = match reader.join() {
                Ok(read) => read,
                Err(panic) => std::panic::resume_unwind(panic),
            };
            // The placer's error comes first: it is on an earlier line than anything the
            // reading side met (it stores the chunks in order, before the one being read).
            placed?;
            read
        })?;
    }
    if !state.strangers.is_empty() {
        return Err(Error::Invalid(state.strangers));
    }
    if state.n_records == 0 {
        return Err(Error::Usage(format!(
            "{} holds no predictions",
            crate::error::display_path(path)
        )));
    }
    Ok(grader.finish())
}

/// `text.split('\n')` into `out`, finding the line ends with SIMD (`memchr`).
fn split_lines<'t>(text: &'t str, out: &mut Vec<&'t str>) {
    let mut start = 0;
    for nl in memchr::memchr_iter(b'\n', text.as_bytes()) {
        out.push(&text[start..nl]);
        start = nl + 1;
    }
    out.push(&text[start..]);
}

/// A line without its `\r` (CRLF files) and, on the file's first line, its byte order mark
/// (some editors and Windows tools add one; it is not JSON).
fn clean(line: &str, index: usize) -> &str {
    let line = line.strip_suffix('\r').unwrap_or(line);
    match index {
        0 => line.strip_prefix('\u{feff}').unwrap_or(line),
        _ => line,
    }
}

/// Calls `each` with the file's text in chunks of about `chunk` bytes of whole lines: each
/// chunk ends before a `\n` and the next starts after it, so the chunks split at `\n` are
/// the file's lines (`text.split('\n')`: the last chunk may be empty, after a last `\n`);
/// a line longer than `chunk` is a chunk of its own. Text that is not UTF-8 is an error
/// naming its line.
fn for_chunks<'b>(
    path: &Path,
    bytes: &'b [u8],
    chunk: usize,
    mut each: impl FnMut(&'b str) -> Result<()>,
) -> Result<()> {
    let mut start = 0usize;
    let mut lines_before = 0usize;
    loop {
        let cut = crate::file_bytes::chunk_end(bytes, start, chunk);
        let end = cut.unwrap_or(bytes.len());
        let text = crate::file_bytes::utf8(&bytes[start..end]).map_err(|e| {
            let valid = e.valid_up_to();
            let line =
                lines_before + 1 + memchr::memchr_iter(b'\n', &bytes[start..start + valid]).count();
            bad(
                path,
                line,
                1,
                "",
                "not UTF-8 text: a predictions file is JSON Lines in UTF-8".into(),
            )
        })?;
        each(text)?;
        match cut {
            None => return Ok(()),
            Some(nl) => {
                lines_before += memchr::memchr_iter(b'\n', text.as_bytes()).count() + 1;
                start = nl + 1;
            }
        }
    }
}

/// A line read by the scanner: its key, its ticket's row among the gold set's (`None`: not in
/// the gold set), and its record prepared for the grader (unless the ticket is a stranger or
/// the repeat too large: the line is an error).
struct Ready {
    variant: Span,
    ticket: Span,
    repeat: u32,
    row: Option<u32>,
    prepared: Option<Prepared>,
}

/// A string of a chunk's line: where it is in the chunk's text, or its own copy (a string
/// with escapes). (Positions, not borrows: the chunk and its lines go to the placer together.)
/// 16 bytes (the `At` offsets sit in the box's null niche): a prepared line holds two.
enum Span {
    At(u32, u32),
    Owned(Box<str>),
}

impl Span {
    /// `s`, read from a line of `text`.
    fn of(s: Cow<'_, str>, text: &str) -> Span {
        match s {
            Cow::Borrowed(b) => {
                let start = b.as_ptr() as usize - text.as_ptr() as usize;
                match (u32::try_from(start), u32::try_from(start + b.len())) {
                    (Ok(start), Ok(end)) => Span::At(start, end),
                    // (A chunk past 4 GB: one line that long.)
                    _ => Span::Owned(b.into()),
                }
            }
            Cow::Owned(o) => Span::Owned(o.into_boxed_str()),
        }
    }

    fn get<'a>(&'a self, text: &'a str) -> &'a str {
        match self {
            Span::At(start, end) => &text[*start as usize..*end as usize],
            Span::Owned(o) => o,
        }
    }
}

/// A chunk scanned, on its way to the placer: its text, its lines as read (in order), and
/// the number of lines before it.
struct Scanned<'b> {
    text: &'b str,
    ready: Vec<Option<Ready>>,
    line_base: usize,
}

/// One line as read: by the scanner (and prepared), by the borrowed serde line, or the
/// journal's way.
enum Parsed<'p, 'l> {
    Prepared(&'p mut Option<Prepared>),
    Line(&'p Line<'l>),
    Record(&'p PredictionRecord),
}

/// What grading the lines keeps between them.
struct State<'p> {
    path: &'p Path,
    n_records: usize,
    /// Records of tickets the gold set lacks (the first 20 are reported).
    strangers: Vec<Diagnostic>,
    /// The last variant met and its position (records come in runs of one variant).
    last_variant: Option<(String, usize)>,
}

impl State<'_> {
    /// Stores a chunk's lines in order (`lines`: its `text` split at `\n`, `ready`: as
    /// read; `line_base` lines before it); a line the scanner
    /// gave up on is read here, as before (the borrowed serde line, then the journal's way
    /// with its messages).
    fn place_chunk(
        &mut self,
        prep: &Preparer,
        store: &mut Placer,
        text: &str,
        lines: &[&str],
        line_base: usize,
        ready: &mut [Option<Ready>],
    ) -> Result<()> {
        for (i, (line, ready)) in lines
            .iter()
            .zip(ready.iter_mut().map(Option::take))
            .enumerate()
        {
            let line_no = line_base + i + 1;
            match ready {
                // (A line the scanner read is not blank.)
                Some(mut r) => {
                    self.n_records += 1;
                    let key = (r.variant.get(text), r.ticket.get(text), r.repeat);
                    self.grade(
                        prep,
                        store,
                        line_no,
                        key,
                        r.row,
                        Parsed::Prepared(&mut r.prepared),
                    )?
                }
                None => {
                    let line = clean(line, line_no - 1);
                    if line.trim().is_empty() {
                        continue;
                    }
                    self.n_records += 1;
                    let fast = serde_json::from_str::<Line>(line)
                        .ok()
                        .filter(|l| l.v == Some(u64::from(PREDICTION_VERSION)));
                    match fast {
                        Some(l) => {
                            let row = prep.ticket_row(&l.ticket);
                            let key = (&*l.variant, &*l.ticket, l.repeat);
                            self.grade(prep, store, line_no, key, row, Parsed::Line(&l))?
                        }
                        None => {
                            let r = parse_slow(self.path, line_no, line)?;
                            let row = prep.ticket_row(&r.ticket);
                            let key = (&*r.variant, &*r.ticket, r.repeat);
                            self.grade(prep, store, line_no, key, row, Parsed::Record(&r))?
                        }
                    }
                }
            }
        }
        Ok(())
    }

    /// Grades one line; `row` is its ticket's position among the gold set's (`None`: not
    /// in the gold set).
    fn grade(
        &mut self,
        prep: &Preparer,
        store: &mut Placer,
        line_no: usize,
        (variant, ticket, repeat): (&str, &str, u32),
        row: Option<u32>,
        parsed: Parsed,
    ) -> Result<()> {
        if repeat >= MAX_REPEATS {
            return Err(bad(
                self.path,
                line_no,
                1,
                "repeat",
                format!(
                    "repeat {repeat} is too large (valid: 0 to {}; `verdict score` reads at most {MAX_REPEATS} repeats per ticket)",
                    MAX_REPEATS - 1
                ),
            ));
        }
        let Some(row) = row else {
            if self.strangers.len() < 20 {
                self.strangers.push(Diagnostic {
                    file: self.path.to_path_buf(),
                    pos: Some(crate::yaml::Pos {
                        line: line_no,
                        col: 1,
                    }),
                    path: "ticket".into(),
                    message: format!(
                        "ticket {ticket:?} (variant {variant:?}) is not in the gold set"
                    ),
                });
            }
            return Ok(());
        };
        if !self.strangers.is_empty() {
            // The run is refused anyway; keep reading only to report the lines.
            return Ok(());
        }
        let vi = match &self.last_variant {
            Some((name, vi)) if name == variant => *vi,
            _ => {
                let vi = store.ensure_variant(variant);
                self.last_variant = Some((variant.to_string(), vi));
                vi
            }
        };
        match parsed {
            Parsed::Prepared(p) => store.place(
                vi,
                row,
                p.take()
                    .expect("a line of a known ticket and a valid repeat is prepared"),
            ),
            Parsed::Line(l) => store.add_at(
                prep,
                vi,
                row,
                RecordView {
                    variant: &l.variant,
                    ticket: &l.ticket,
                    repeat: l.repeat,
                    outcome: l.outcome,
                    outputs: |name: &str| l.outputs.get(name),
                    confidence: l.confidence,
                    usage: l.usage,
                    cost_usd: l.cost_usd,
                    latency_ms: l.latency_ms,
                    cached: l.cached,
                    error: l.error.as_deref(),
                    stop_reason: l.stop_reason.as_deref(),
                    latency_e2e_ms: l.latency_e2e_ms,
                    started_at_ms: l.started_at_ms,
                    finished_at_ms: l.finished_at_ms,
                },
            ),
            Parsed::Record(r) => store.add_record_at(prep, vi, row, r),
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A chunk's lines on their way to the placer stay small, and a span reads its string.
    #[test]
    fn a_span_is_16_bytes_and_reads_its_string() {
        assert_eq!(std::mem::size_of::<Span>(), 16);
        // (About 340 bytes with unboxed rare parts and `String` spans.)
        assert!(std::mem::size_of::<Option<Ready>>() <= 168);
        let text = "{\"variant\":\"v1\"}";
        let at = Span::of(Cow::Borrowed(&text[12..14]), text);
        assert!(matches!(at, Span::At(12, 14)));
        assert_eq!(at.get(text), "v1");
        let owned = Span::of(Cow::Owned("v\"2".to_string()), text);
        assert_eq!(owned.get(text), "v\"2");
    }

    /// A gold set of `n` tickets T1..Tn, field `intent` (a or b), and a predictions file
    /// of several chunks: variant v1 then v2 on every ticket, the answer `a`.
    fn many_chunks(n: usize) -> (crate::gold::GoldSet, Vec<String>) {
        use crate::gold::{Field, FieldKind, GoldSet, GoldValue, Ticket};
        let gold = GoldSet {
            fields: vec![Field {
                name: "intent".into(),
                kind: FieldKind::Label,
                values: vec!["a".into(), "b".into()],
            }],
            tickets: (1..=n)
                .map(|i| Ticket {
                    id: format!("T{i}"),
                    text: String::new(),
                    labels: vec![GoldValue::Label((i % 2) as u32)],
                    tags: Vec::new(),
                    clarification: None,
                })
                .collect(),
            sha256: String::new(),
        };
        let lines = ["v1", "v2"]
            .iter()
            .flat_map(|v| {
                (1..=n).map(move |i| {
                    format!(
                        r#"{{"v":1,"variant":"{v}","ticket":"T{i}","repeat":0,"outcome":"ok","outputs":{{"intent":"a"}},"confidence":0.5,"latency_ms":100.0,"usage":{{"input_tokens":300,"output_tokens":30}}}}"#
                    )
                })
            })
            .collect();
        (gold, lines)
    }

    /// Chunks are read on one side and stored in order on the other: across many chunks the
    /// result is the one-record-at-a-time grading's, the last record of a ticket wins, and an
    /// error names the first bad line, however far the reading side has got.
    #[test]
    fn many_chunks_grade_in_order_and_the_first_error_wins() {
        let n = 40_000;
        let (gold, mut lines) = many_chunks(n);
        assert!(lines.iter().map(|l| l.len() + 1).sum::<usize>() > 3 * CHUNK);
        // Ticket 1 of v1 answered again at the end, wrong then right; ticket 2 once more, `b`.
        lines.push(lines[0].replace(r#""a""#, r#""b""#));
        lines.push(lines[1].replace(r#""a""#, r#""b""#));
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.jsonl");
        std::fs::write(&path, lines.join("\n")).unwrap();
        let got = grade_file(&path, GoldTable::new(&gold, n)).unwrap();
        let mut want = Grader::new(&gold, &[], n);
        for l in &lines {
            let r: PredictionRecord = serde_json::from_str(l).unwrap();
            let vi = want.ensure_variant(&r.variant);
            let ti = want.ticket_row(&r.ticket).unwrap();
            want.add_record_at(vi, ti, &r);
        }
        let want = want.finish();
        assert_eq!(got, want);
        let v1 = &got.variants[0];
        let correct = &v1.fields[0].as_ref().unwrap().correct;
        // T1's gold is b (1 % 2), T2's a: the last records win.
        assert!(correct[0] && !correct[1], "{:?}", &correct[..2]);
        assert_eq!(v1.replaced, 2);

        // A bad line in the first chunk, bytes that are not UTF-8 near the end: the line.
        let mut bad = lines.clone();
        bad[9] = "{not json".into();
        let mut bytes = bad.join("\n").into_bytes();
        let at = bytes.len() - 10;
        bytes[at] = 0xff;
        std::fs::write(&path, &bytes).unwrap();
        let err = grade_file(&path, GoldTable::new(&gold, n))
            .unwrap_err()
            .to_string();
        assert!(err.contains(":10:"), "{err}");
        assert!(!err.contains("UTF-8"), "{err}");

        // The same bytes without the bad line: the UTF-8 error, on its line.
        let mut bytes = lines.join("\n").into_bytes();
        bytes[at] = 0xff;
        std::fs::write(&path, &bytes).unwrap();
        let err = grade_file(&path, GoldTable::new(&gold, n))
            .unwrap_err()
            .to_string();
        assert!(err.contains("not UTF-8"), "{err}");
        let line_of_at = 1 + bytes[..at].iter().filter(|&&b| b == b'\n').count();
        assert!(
            err.contains(&format!(":{line_of_at}:1")),
            "{err} {line_of_at}"
        );

        // A ticket the gold set lacks, in a later chunk: named with its line.
        let mut strange = lines.clone();
        strange[2 * n - 5] = strange[2 * n - 5].replace("\"T", "\"X");
        std::fs::write(&path, strange.join("\n")).unwrap();
        let err = grade_file(&path, GoldTable::new(&gold, n))
            .unwrap_err()
            .to_string();
        assert!(err.contains(&format!(":{}:1", 2 * n - 4)), "{err}");
        assert!(err.contains("is not in the gold set"), "{err}");
    }

    #[test]
    fn split_lines_is_split_on_newline() {
        for text in ["", "\n", "a", "a\n", "a\r\nb", "\n\nx\n\n", "é\nü\r\n\r\n"] {
            let mut got = Vec::new();
            split_lines(text, &mut got);
            assert_eq!(got, text.split('\n').collect::<Vec<_>>(), "{text:?}");
        }
    }

    /// The chunks, split into lines, are the file's lines, whatever the chunk size: lines
    /// longer than a chunk, CRLF, no newline at the end; invalid UTF-8 names its line.
    #[test]
    fn chunks_hold_whole_lines_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.jsonl");
        let long = "x".repeat(100);
        let text = format!("\u{feff}a\r\nbb\n\n{long}\nccc\r\n\nd");
        std::fs::write(&path, &text).unwrap();
        for chunk in [1, 2, 3, 7, 64, 1 << 20] {
            let mut lines = Vec::new();
            for_chunks(&path, text.as_bytes(), chunk, |t| {
                lines.extend(t.split('\n').map(str::to_string));
                Ok(())
            })
            .unwrap();
            let want: Vec<&str> = text.split('\n').collect();
            assert_eq!(lines, want, "chunk {chunk}");
        }
        let mut n = 0;
        for_chunks(&path, b"{}\n{}\n", 2, |t| {
            n += t.split('\n').count();
            Ok(())
        })
        .unwrap();
        assert_eq!(n, 3, "two lines and the empty end after the last newline");
        for chunk in [4, 1 << 20] {
            let err = for_chunks(&path, b"{}\n{}\n{\"a\": \"\xe9\"}\n", chunk, |_| Ok(()))
                .unwrap_err()
                .to_string();
            assert!(err.contains(":3:1"), "chunk {chunk}: {err}");
            assert!(err.contains("not UTF-8"), "{err}");
        }
    }
}

//! A journal line read without building a [`PredictionRecord`]: a scanner for the lines
//! `verdict run` writes (strings without escapes, numbers, the known keys), borrowing its
//! strings from the line. Anything it is not sure of (an escape in a string, a duplicate key,
//! a value of an unexpected type, an exponent in a number) makes it give up, and the line
//! goes through serde as before ([`read_journal_views`] does both), so every line reads as
//! [`read_journal`](super::read_journal) reads it, with the same errors.

use std::borrow::Cow;
use std::path::Path;

pub(crate) use super::cursor::{eq_short, Scan};
use super::{Outcome, PredictionRecord, Usage, PREDICTION_VERSION};
use crate::error::Result;

/// An output value as a line holds it.
#[derive(Debug, Clone, PartialEq)]
pub enum OutputRef<'a> {
    Str(&'a str),
    Bool(bool),
    /// A list of strings.
    List(Vec<&'a str>),
    /// Anything else (a number, null, an object, a list with a non-string item).
    Other,
}

/// The `outputs` of a line: the object's text (scanned again to look a key up), or the map of
/// a record read by serde.
#[derive(Debug, Clone)]
pub enum Outputs<'a> {
    Text(&'a str),
    /// A small object of strings and booleans, read once by the scanner: its first `n`
    /// (key, value) pairs in the line's order (a repeated key: the last one wins, as in a map).
    Flat {
        n: u8,
        items: [(&'a str, FlatValue<'a>); FLAT_MAX],
    },
    Map(Box<serde_json::Map<String, serde_json::Value>>),
}

/// Most keys an [`Outputs::Flat`] holds (more: [`Outputs::Text`]).
pub const FLAT_MAX: usize = 4;

/// A value of an [`Outputs::Flat`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum FlatValue<'a> {
    Str(&'a str),
    Bool(bool),
}

/// One journal line: what grading reads of a [`PredictionRecord`] (not `tool`, `raw`,
/// `request_id`, `attempts`).
#[derive(Debug, Clone)]
pub struct JournalLine<'a> {
    pub variant: Cow<'a, str>,
    pub ticket: Cow<'a, str>,
    pub repeat: u32,
    pub outcome: Outcome,
    pub outputs: Outputs<'a>,
    pub confidence: Option<f64>,
    pub usage: Option<Usage>,
    pub cost_usd: Option<f64>,
    pub latency_ms: Option<f64>,
    pub cached: bool,
    pub error: Option<Cow<'a, str>>,
    pub stop_reason: Option<Cow<'a, str>>,
    pub latency_e2e_ms: Option<f64>,
    pub started_at_ms: Option<u64>,
    pub finished_at_ms: Option<u64>,
}

impl JournalLine<'_> {
    /// A line with nothing read yet.
    pub fn blank() -> JournalLine<'static> {
        JournalLine {
            variant: Cow::Borrowed(""),
            ticket: Cow::Borrowed(""),
            repeat: 0,
            outcome: Outcome::Ok,
            outputs: Outputs::Text("{}"),
            confidence: None,
            usage: None,
            cost_usd: None,
            latency_ms: None,
            cached: false,
            error: None,
            stop_reason: None,
            latency_e2e_ms: None,
            started_at_ms: None,
            finished_at_ms: None,
        }
    }

    /// A record read by serde (a line the scanner gave up on).
    pub fn from_record(r: PredictionRecord) -> JournalLine<'static> {
        JournalLine {
            variant: Cow::Owned(r.variant),
            ticket: Cow::Owned(r.ticket),
            repeat: r.repeat,
            outcome: r.outcome,
            outputs: Outputs::Map(Box::new(r.outputs)),
            confidence: r.confidence,
            usage: r.usage,
            cost_usd: r.cost_usd,
            latency_ms: r.latency_ms,
            cached: r.cached,
            error: r.error.map(Cow::Owned),
            stop_reason: r.stop_reason.map(Cow::Owned),
            latency_e2e_ms: r.latency_e2e_ms,
            started_at_ms: r.started_at_ms,
            finished_at_ms: r.finished_at_ms,
        }
    }

    /// The output of `name` (the last one, as a map keeps it).
    pub fn output(&self, name: &str) -> Option<OutputRef<'_>> {
        match &self.outputs {
            Outputs::Map(m) => {
                use serde_json::Value as J;
                Some(match m.get(name)? {
                    J::String(s) => OutputRef::Str(s),
                    J::Bool(b) => OutputRef::Bool(*b),
                    J::Array(items) => items
                        .iter()
                        .map(|i| i.as_str())
                        .collect::<Option<Vec<&str>>>()
                        .map_or(OutputRef::Other, OutputRef::List),
                    _ => OutputRef::Other,
                })
            }
            Outputs::Flat { n, items } => items[..*n as usize]
                .iter()
                .rev()
                .find(|(k, _)| eq_short(k.as_bytes(), name.as_bytes()))
                .map(|(_, v)| match *v {
                    FlatValue::Str(s) => OutputRef::Str(s),
                    FlatValue::Bool(b) => OutputRef::Bool(b),
                }),
            Outputs::Text(t) => {
                let mut s = Scan::new(t);
                let mut found = None;
                s.object(|s, key| {
                    if key == name {
                        found = Some(s.output_value()?);
                    } else {
                        s.skip_value(0)?;
                    }
                    Some(())
                })?;
                found
            }
        }
    }
}

impl<'a, const LOOSE: bool> Scan<'a, LOOSE> {
    /// An output value (checked as [`Scan::skip_value`] checks it).
    fn output_value(&mut self) -> Option<OutputRef<'a>> {
        match self.peek()? {
            b'"' => self.string().map(OutputRef::Str),
            b't' | b'f' => self.bool().map(OutputRef::Bool),
            b'[' => {
                let start = self.i;
                let mut items = Vec::new();
                self.i += 1;
                if self.peek()? == b']' {
                    self.i += 1;
                    return Some(OutputRef::List(items));
                }
                loop {
                    if self.peek()? == b'"' {
                        items.push(self.string()?);
                    } else {
                        break;
                    }
                    match self.peek()? {
                        b',' => self.i += 1,
                        b']' => {
                            self.i += 1;
                            return Some(OutputRef::List(items));
                        }
                        _ => return None,
                    }
                }
                self.i = start;
                self.skip_value(0)?;
                Some(OutputRef::Other)
            }
            _ => self.skip_value(0).map(|_| OutputRef::Other),
        }
    }

    /// An `outputs` object of at most [`FLAT_MAX`] keys whose values are strings (without
    /// escapes) or booleans, read into `out` (in place: no copy of the list), or `None` (the
    /// caller then reads it as text, from its start; `out` holds nothing of use).
    fn flat_outputs_into(&mut self, out: &mut Outputs<'a>) -> Option<()> {
        *out = Outputs::Flat {
            n: 0,
            items: [("", FlatValue::Bool(false)); FLAT_MAX],
        };
        let Outputs::Flat { n, items } = out else {
            unreachable!("just set")
        };
        self.object(|s, key| {
            let k = usize::from(*n);
            if k == FLAT_MAX {
                return None;
            }
            let v = match s.peek()? {
                b'"' => FlatValue::Str(s.string()?),
                b't' | b'f' => FlatValue::Bool(s.bool()?),
                _ => return None,
            };
            items[k] = (key, v);
            *n += 1;
            Some(())
        })
    }

    /// The confidence as [`super::lenient_confidence`] reads it.
    fn confidence(&mut self) -> Option<Option<f64>> {
        match self.peek()? {
            b'n' => self.literal(b"null").map(|_| None),
            b'-' | b'0'..=b'9' => self.f64().map(Some),
            _ => self.skip_value(0).map(|_| Some(f64::NAN)),
        }
    }

    fn usage(&mut self) -> Option<Option<Usage>> {
        if self.is_null() {
            return Some(None);
        }
        let mut u = Usage::default();
        let mut seen = 0u8;
        self.object_in_order(&QUOTED_USAGE, |s, key| {
            let k = match key {
                Ok(k) => k,
                // By length and bytes in line (a `match` on strings calls `memcmp`).
                Err(key) => match QUOTED_USAGE
                    .iter()
                    .position(|q| eq_short(&q[1..q.len() - 2], key.as_bytes()))
                {
                    Some(k) => k,
                    None => return s.skip_value(0).map(|_| None),
                },
            };
            let bit = 1u8 << k;
            if seen & bit != 0 {
                return None;
            }
            seen |= bit;
            let v = s.u64()?;
            match k {
                0 => u.input_tokens = v,
                1 => u.output_tokens = v,
                2 => u.cache_read_input_tokens = v,
                _ => u.cache_creation_input_tokens = v,
            }
            Some(Some(k))
        })?;
        (seen & 3 == 3).then_some(Some(u))
    }
}

/// The keys of a journal line that serde reads (each one's bit is its position), in the
/// order `verdict run` writes them (the fields of [`PredictionRecord`]).
const KEYS: [&str; 20] = [
    "v",
    "variant",
    "ticket",
    "repeat",
    "outcome",
    "outputs",
    "confidence",
    "tool",
    "raw",
    "usage",
    "cost_usd",
    "latency_ms",
    "cached",
    "request_id",
    "attempts",
    "error",
    "stop_reason",
    "latency_e2e_ms",
    "started_at_ms",
    "finished_at_ms",
];

/// The keys of [`Usage`] as written (`"key":`), in the order they are written.
const QUOTED_USAGE: [&[u8]; 4] = [
    b"\"input_tokens\":",
    b"\"output_tokens\":",
    b"\"cache_read_input_tokens\":",
    b"\"cache_creation_input_tokens\":",
];

/// [`KEYS`] as `verdict run` writes each (`"key":`), in the order it writes them, for
/// [`Scan::object_in_order`].
const QUOTED_KEYS: [&[u8]; 20] = [
    b"\"v\":",
    b"\"variant\":",
    b"\"ticket\":",
    b"\"repeat\":",
    b"\"outcome\":",
    b"\"outputs\":",
    b"\"confidence\":",
    b"\"tool\":",
    b"\"raw\":",
    b"\"usage\":",
    b"\"cost_usd\":",
    b"\"latency_ms\":",
    b"\"cached\":",
    b"\"request_id\":",
    b"\"attempts\":",
    b"\"error\":",
    b"\"stop_reason\":",
    b"\"latency_e2e_ms\":",
    b"\"started_at_ms\":",
    b"\"finished_at_ms\":",
];

/// A key's position in [`KEYS`]: found by its length, first and last byte (unique among
/// the keys), then checked whole.
#[inline]
fn key_bit(key: &str) -> Option<u32> {
    let b = key.as_bytes();
    let i = match (b.len(), *b.first()?, b[b.len() - 1]) {
        (1, b'v', _) => 0,
        (7, b'v', _) => 1,
        (6, b't', _) => 2,
        (6, b'r', _) => 3,
        (7, b'o', b'e') => 4,
        (7, b'o', b's') => 5,
        (10, b'c', _) => 6,
        (4, b't', _) => 7,
        (3, b'r', _) => 8,
        (5, b'u', _) => 9,
        (8, b'c', _) => 10,
        (10, b'l', _) => 11,
        (6, b'c', _) => 12,
        (10, b'r', _) => 13,
        (8, b'a', _) => 14,
        (5, b'e', _) => 15,
        (11, b's', _) => 16,
        (14, b'l', _) => 17,
        (13, b's', _) => 18,
        (14, b'f', _) => 19,
        _ => return None,
    };
    eq_short(KEYS[i].as_bytes(), b).then_some(i as u32)
}

fn outcome(s: &str) -> Option<Outcome> {
    Outcome::ALL
        .into_iter()
        .find(|o| eq_short(o.name().as_bytes(), s.as_bytes()))
}

/// Reads a journal line the way serde reads a [`PredictionRecord`], or `None` when the line
/// needs serde (see the module's documentation) or is not of [`PREDICTION_VERSION`].
#[inline]
pub fn scan_line(line: &str) -> Option<JournalLine<'_>> {
    let mut out = JournalLine::blank();
    scan_line_into(line, &mut out).then_some(out)
}

/// [`scan_line`] into `out` (whatever it held before): `true` when read, `false` when the
/// line needs serde (`out` then holds nothing of use). Read in place, so a reader that
/// keeps its lines in a list does not copy each (376 bytes) out of the scanner.
#[inline]
pub fn scan_line_into<'a>(line: &'a str, out: &mut JournalLine<'a>) -> bool {
    // A line as `verdict run` writes it (no white space between tokens) first, by a cursor
    // that does not look for any; a line that has some, again by one that skips it.
    *out = JournalLine::blank();
    if scan_line_with(Scan::compact(line), out).is_some() {
        return true;
    }
    *out = JournalLine::blank();
    scan_line_with(Scan::new(line), out).is_some()
}

/// Reads the line into `out`, which must be blank ([`JournalLine::blank`]).
#[inline]
fn scan_line_with<'a, const LOOSE: bool>(
    mut s: Scan<'a, LOOSE>,
    out: &mut JournalLine<'a>,
) -> Option<()> {
    let mut seen = 0u32;
    let mut v = None;
    let mut variant = None;
    let mut ticket = None;
    let mut got_outcome = false;
    s.object_in_order(&QUOTED_KEYS, |s, key| {
        let bit = match key {
            Ok(k) => k as u32,
            Err(key) => match key_bit(key) {
                Some(bit) => bit,
                None => return s.skip_value(0).map(|_| None),
            },
        };
        if seen & (1 << bit) != 0 {
            return None; // serde: duplicate field
        }
        seen |= 1 << bit;
        match bit {
            0 => v = Some(s.u32()?),
            1 => variant = Some(s.string()?),
            2 => ticket = Some(s.string()?),
            3 => out.repeat = s.u32()?,
            4 => {
                out.outcome = outcome(s.string()?)?;
                got_outcome = true;
            }
            5 => {
                s.ws();
                let start = s.i;
                if s.peek()? != b'{' {
                    return None;
                }
                if s.flat_outputs_into(&mut out.outputs).is_none() {
                    s.i = start;
                    s.skip_value(0)?;
                    out.outputs = Outputs::Text(s.value_text(start));
                }
            }
            6 => out.confidence = s.confidence()?,
            7 | 13 => {
                s.opt_str()?;
            }
            8 => s.skip_value(0)?,
            9 => out.usage = s.usage()?,
            10 => out.cost_usd = s.opt_f64()?,
            11 => out.latency_ms = s.opt_f64()?,
            12 => out.cached = s.bool()?,
            14 => {
                if !s.is_null() {
                    s.u32()?;
                }
            }
            15 => out.error = s.opt_str()?.map(Cow::Borrowed),
            16 => out.stop_reason = s.opt_str()?.map(Cow::Borrowed),
            17 => out.latency_e2e_ms = s.opt_f64()?,
            18 => out.started_at_ms = s.opt_u64()?,
            _ => out.finished_at_ms = s.opt_u64()?,
        }
        Some(Some(bit as usize))
    })?;
    s.ws();
    if s.i != s.b.len() || v? != PREDICTION_VERSION || !got_outcome {
        return None;
    }
    out.variant = Cow::Borrowed(variant?);
    out.ticket = Cow::Borrowed(ticket?);
    Some(())
}

/// Bytes of the journal [`read_journal_views`] reads at a time: smaller than
/// [`super::JOURNAL_CHUNK`], so a chunk's text and its scanned lines (about 1.5 times the
/// text, at a [`JournalLine`] of 376 bytes and a tag per line of about 320 bytes) stay in
/// the cache between the scan and the sink that reads them (the sink takes a chunk while
/// the next is scanned: two chunks' lines are held at once). (At 2 MB, `verdict gate` of
/// two 1,000,000 x 3 journals took about 5 % longer, before the pipelining.)
const VIEW_CHUNK: usize = 512 << 10;

/// Reads a journal as [`read_journal`](super::read_journal) does (the same checks and
/// errors), without building records: each chunk's lines are scanned on both cores
/// ([`scan_line`], serde for the lines it gives up on), `tag` computed for each line there
/// too, and `sink` given the chunk's lines in journal order. The chunks are pipelined: while
/// `sink` takes one chunk's lines (on one core, in order), the next chunk is scanned (on
/// the other, and on both once `sink` is done), so a sink that does real work (placing
/// graded records) does not leave a core idle. An error is the first in the file's order:
/// a chunk's `sink` error before any error of the chunks after it.
pub fn read_journal_views<T: Send + Default>(
    path: &Path,
    tag: impl Fn(&JournalLine) -> T + Sync,
    mut sink: impl FnMut(&[(JournalLine<'_>, T)]) -> Result<()> + Send,
) -> Result<()> {
    let Some(bytes) = super::map_journal(path)? else {
        return Ok(());
    };
    // Bytes of the map released so far (the chunks sunk, several at a time).
    let mut released = 0usize;
    let mut line_base = 0usize;
    // The chunk scanned last and not yet sunk: its lines, and where it ends in the file.
    let mut pending: Option<(Vec<(JournalLine, T)>, usize)> = None;
    // The lists keep their allocations from chunk to chunk (tens of MB each at the default
    // chunk size: fresh ones cost page faults every chunk): the line list on the scanning
    // side, and two scanned lists, one being sunk while the other is filled. Empty while
    // stored, held at the `'static` lifetime ([`recycle`]).
    let mut lines_store: Vec<&'static str> = Vec::new();
    let mut spare: Vec<(JournalLine<'static>, T)> = Vec::new();
    super::for_text_chunks(path, &bytes, VIEW_CHUNK, |text, start, eof| {
        let first_line = line_base;
        let scan_into = std::mem::take(&mut spare);
        let lines_into = std::mem::take(&mut lines_store);
        let waiting = pending.take();
        let (scanned, sunk) = rayon::join(
            || scan_chunk(path, text, first_line, eof, &tag, lines_into, scan_into),
            || match waiting {
                Some((lines, end)) => sink(&lines).map(|()| Some((lines, end))),
                None => Ok(None),
            },
        );
        // The earlier chunk's error first, as a serial reading meets them.
        if let Some((done, end)) = sunk? {
            bytes.release_before(end, &mut released, 4 * VIEW_CHUNK);
            spare = recycle(done);
        }
        let (scanned, lines) = scanned?;
        lines_store = lines;
        line_base += scanned.1;
        pending = Some((scanned.0, start + text.len()));
        Ok(())
    })?;
    if let Some((lines, _)) = pending {
        sink(&lines)?;
    }
    Ok(())
}

/// One chunk of a journal scanned for [`read_journal_views`]: its lines (and each one's
/// `tag`) and how many lines the chunk has (blank ones and a torn last line included), with
/// the line list given back emptied. `lines_into` and `scan_into` are empty lists whose
/// allocations are used.
#[allow(clippy::type_complexity)]
fn scan_chunk<'t, T: Send + Default>(
    path: &Path,
    text: &'t str,
    first_line: usize,
    eof: bool,
    tag: &(impl Fn(&JournalLine) -> T + Sync),
    lines_into: Vec<&'static str>,
    scan_into: Vec<(JournalLine<'static>, T)>,
) -> Result<((Vec<(JournalLine<'t>, T)>, usize), Vec<&'static str>)> {
    use rayon::prelude::*;
    let mut lines: Vec<&str> = recycle(lines_into);
    push_lines(text, &mut lines);
    let line_at = |i: usize| super::chunk_line(&lines, i, first_line);
    // Each line scanned into its own place in the list (no copy of a 376-byte line out of
    // the scanner and into the list). A line the scanner gives up on (an escape in a
    // string: an `invalid_output` record's message quotes the value) leaves a blank and its
    // index; those lines alone are then read the careful way, in order.
    let mut scanned: Vec<(JournalLine, T)> = recycle(scan_into);
    let n = lines.len();
    scanned.resize_with(n, || (JournalLine::blank(), T::default()));
    let gave_up: Vec<usize> = scanned
        .par_iter_mut()
        .enumerate()
        .filter_map(|(i, (l, t))| {
            if scan_line_into(line_at(i), l) {
                *t = tag(l);
                None
            } else {
                *l = JournalLine::blank();
                Some(i)
            }
        })
        .collect();
    // As `read_journal` reads them: the first bad line (in the file's order) is the error; a
    // blank line, or a torn last line of the file, is no record.
    let mut none = Vec::new();
    for &i in &gave_up {
        let careful = super::careful_line(path, line_at(i), first_line + i + 1, eof && i + 1 == n)?;
        match careful {
            Some(r) => {
                let l = JournalLine::from_record(r);
                let t = tag(&l);
                scanned[i] = (l, t);
            }
            None => none.push(i),
        }
    }
    if !none.is_empty() {
        let mut k = 0;
        let mut i = 0;
        scanned.retain(|_| {
            let drop = none.get(k) == Some(&i);
            k += usize::from(drop);
            i += 1;
            !drop
        });
    }
    Ok(((scanned, n), recycle(lines)))
}

/// `text.lines()` into `out`, finding the line ends with SIMD (`memchr`): a line ended by
/// `\n` loses one `\r` before it; a last line without `\n` is kept whole.
pub(super) fn push_lines<'t>(text: &'t str, out: &mut Vec<&'t str>) {
    let mut start = 0;
    for nl in memchr::memchr_iter(b'\n', text.as_bytes()) {
        let line = &text[start..nl];
        out.push(line.strip_suffix('\r').unwrap_or(line));
        start = nl + 1;
    }
    if start < text.len() {
        out.push(&text[start..]);
    }
}

/// A list emptied and given back at another lifetime, keeping its allocation (an in-place
/// collect of no items: the same element layout, so the same buffer).
pub(crate) fn recycle<A, B>(mut v: Vec<A>) -> Vec<B> {
    v.clear();
    v.into_iter().map(|_| unreachable!("emptied")).collect()
}

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
use std::io::BufRead;
use std::path::Path;

use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;

use crate::error::{Diagnostic, Error, Result};
use crate::eval_log::{Outcome, PredictionRecord, Usage, PREDICTION_VERSION};
use crate::gold::GoldSet;
use crate::score::{Graded, Grader, OutputValue, RecordView, MAX_REPEATS};

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

/// Reads and grades `verdict score --predictions PATH` against every ticket of `gold`, with
/// one variant per name met, in first-seen order.
pub fn grade_file(path: &Path, gold: &GoldSet) -> Result<Graded> {
    let file = std::fs::File::open(path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            Error::io(path, "file not found")
        } else {
            Error::io(path, e)
        }
    })?;
    let mut reader = std::io::BufReader::with_capacity(1 << 20, file);
    let mut grader = Grader::new(gold, &[], gold.tickets.len());
    let mut buf = String::new();
    let mut line_no = 0usize;
    let mut n_records = 0usize;
    let mut strangers: Vec<Diagnostic> = Vec::new();
    loop {
        buf.clear();
        let n = reader.read_line(&mut buf).map_err(|e| Error::io(path, e))?;
        if n == 0 {
            break;
        }
        line_no += 1;
        let mut line = buf.strip_suffix('\n').unwrap_or(&buf);
        line = line.strip_suffix('\r').unwrap_or(line);
        if line_no == 1 {
            // A byte order mark (some editors and Windows tools add one) is not JSON.
            line = line.strip_prefix('\u{feff}').unwrap_or(line);
        }
        if line.trim().is_empty() {
            continue;
        }
        n_records += 1;
        let fast = serde_json::from_str::<Line>(line)
            .ok()
            .filter(|l| l.v == Some(u64::from(PREDICTION_VERSION)));
        let parsed: std::result::Result<Line, PredictionRecord> = match fast {
            Some(l) => Ok(l),
            None => Err(parse_slow(path, line_no, line)?),
        };
        let (variant, ticket, repeat): (&str, &str, u32) = match &parsed {
            Ok(l) => (&l.variant, &l.ticket, l.repeat),
            Err(r) => (&r.variant, &r.ticket, r.repeat),
        };
        if repeat >= MAX_REPEATS {
            return Err(bad(
                path,
                line_no,
                1,
                "repeat",
                format!(
                    "repeat {repeat} is too large (valid: 0 to {}; `verdict score` reads at most {MAX_REPEATS} repeats per ticket)",
                    MAX_REPEATS - 1
                ),
            ));
        }
        if !grader.knows_ticket(ticket) {
            if strangers.len() < 20 {
                strangers.push(Diagnostic {
                    file: path.to_path_buf(),
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
            continue;
        }
        if !strangers.is_empty() {
            // The run is refused anyway; keep reading only to report the lines.
            continue;
        }
        grader.ensure_variant(variant);
        match &parsed {
            Ok(l) => grader.add(RecordView {
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
            }),
            Err(r) => grader.add_record(r),
        }
    }
    if !strangers.is_empty() {
        return Err(Error::Invalid(strangers));
    }
    if n_records == 0 {
        return Err(Error::Usage(format!(
            "{} holds no predictions",
            crate::error::display_path(path)
        )));
    }
    Ok(grader.finish())
}

//! gold.jsonl read fast: the run folder's tickets in parallel chunks straight into
//! [`Ticket`]s (the JSON cursor of `eval_log`, serde for a line it is not sure of), and a
//! second folder's gold set shared with the first when its bytes are the same (a baseline and
//! a candidate of one eval). [`super::read_snapshot`] is what this falls back to, for its
//! errors, on anything unusual.

use std::path::Path;
use std::sync::Arc;

use crate::error::Result;
use crate::eval_log::Scan;
use crate::file_bytes::{map_bytes, FileBytes};
use crate::gold::{Field, FieldKind, GoldSet, GoldValue, Ticket};
use crate::run_dir::Snapshot;

/// The snapshot and gold set of a version 2 folder, as [`crate::run_dir::read_snapshot`]
/// reads them (which this falls back to, for its errors, on anything unusual).
#[cfg(test)]
pub(crate) fn read_snapshot(dir: &Path) -> Result<(Snapshot, GoldSet)> {
    fast_snapshot_with(dir, None).map_or_else(
        || crate::run_dir::read_snapshot(dir),
        |(s, g, _)| Ok((s, g)),
    )
}

/// A version 2 folder's snapshot and gold set, gold.jsonl read on both cores: as
/// [`crate::run_dir::read_snapshot`] reads them, which this falls back to (for its errors)
/// on anything the fast reader is not sure of.
pub(crate) fn read_snapshot_fast(dir: &Path) -> Result<(Snapshot, Arc<GoldSet>)> {
    read_snapshot_like(dir, None, None).map(|(s, g, _)| (s, g))
}

/// [`read_snapshot_fast`] with the gold set owned (for a caller that keeps or takes it apart).
pub(crate) fn read_snapshot_owned(dir: &Path) -> Result<(Snapshot, GoldSet)> {
    read_snapshot_fast(dir).map(|(s, g)| (s, Arc::try_unwrap(g).unwrap_or_else(|g| (*g).clone())))
}

/// A gold set already read by the fast path ([`read_snapshot_like`]): its folder, snapshot
/// and tickets.
pub(crate) struct ReadGold<'a> {
    pub dir: &'a Path,
    pub snapshot: &'a Snapshot,
    pub gold: &'a Arc<GoldSet>,
    /// Its gold.jsonl as read, when the fast path read it (else read again to compare).
    pub text: Option<&'a [u8]>,
}

/// The snapshot and gold set of a version 2 folder, sharing `like`'s gold set when this
/// folder's would read the same: the same gold.jsonl bytes, fields, ticket count and gold SHA-256 in the snapshot (a baseline
/// and a candidate run of one eval). Reading and holding a million tickets once instead of
/// twice; anything else reads by the fast path, else as [`crate::run_dir::read_snapshot`].
/// Also returns gold.jsonl's text when this read it by the fast path (for
/// [`ReadGold::text`]). `pre`: this folder's gold.jsonl bytes when already read (read
/// alongside `like`'s folder), used instead of reading the file.
pub(crate) fn read_snapshot_like(
    dir: &Path,
    like: Option<ReadGold>,
    pre: Option<FileBytes>,
) -> Result<(Snapshot, Arc<GoldSet>, Option<FileBytes>)> {
    if let Some(like) = like {
        if let Some(snapshot) = same_gold(dir, &like, pre.as_deref()) {
            return Ok((snapshot, like.gold.clone(), None));
        }
    }
    match fast_snapshot_with(dir, pre) {
        Some((s, g, text)) => Ok((s, Arc::new(g), Some(text))),
        None => crate::run_dir::read_snapshot(dir).map(|(s, g)| (s, Arc::new(g), None)),
    }
}

/// This folder's snapshot when its gold set reads exactly as `like`'s.
fn same_gold(dir: &Path, like: &ReadGold, pre: Option<&[u8]>) -> Option<Snapshot> {
    let text = std::fs::read_to_string(dir.join(crate::run_dir::SNAPSHOT_JSON)).ok()?;
    let snapshot: Snapshot = serde_json::from_str(&text).ok()?;
    let same = snapshot.version == crate::run_dir::RUN_VERSION
        && snapshot.fields == like.snapshot.fields
        && snapshot.n_tickets == like.snapshot.n_tickets
        && snapshot.eval.gold_sha256 == like.snapshot.eval.gold_sha256
        && snapshot.eval.gold_sha256 == like.gold.sha256
        && like.gold.tickets.len() == snapshot.n_tickets;
    if !same {
        return None;
    }
    let a = dir.join(crate::run_dir::GOLD_JSONL);
    let b = like.dir.join(crate::run_dir::GOLD_JSONL);
    let (ma, mb) = (std::fs::metadata(&a).ok()?, std::fs::metadata(&b).ok()?);
    if ma.len() != mb.len() {
        return None;
    }
    // (Large files mapped, not read: see `map_bytes`.)
    let same = match (pre, like.text) {
        (Some(ta), Some(tb)) => ta == tb,
        // Read once already: only this folder's copy is read.
        (None, Some(tb)) => *map_bytes(&a).ok()? == *tb,
        (Some(ta), None) => *ta == *map_bytes(&b).ok()?,
        (None, None) => *map_bytes(&a).ok()? == *map_bytes(&b).ok()?,
    };
    same.then_some(snapshot)
}

/// The fast path of `read_snapshot` (the run folder's reader when this gives up), also
/// returning gold.jsonl's text.
#[cfg(test)]
pub(crate) fn fast_snapshot(dir: &Path) -> Option<(Snapshot, GoldSet, FileBytes)> {
    fast_snapshot_with(dir, None)
}

/// [`fast_snapshot`] from gold.jsonl's bytes when `pre` has them (else read here).
fn fast_snapshot_with(
    dir: &Path,
    pre: Option<FileBytes>,
) -> Option<(Snapshot, GoldSet, FileBytes)> {
    let text = std::fs::read_to_string(dir.join(crate::run_dir::SNAPSHOT_JSON)).ok()?;
    let snapshot: Snapshot = serde_json::from_str(&text).ok()?;
    if snapshot.version != crate::run_dir::RUN_VERSION {
        return None;
    }
    // Mapped when large, not read (see `map_bytes`).
    let bytes = match pre {
        Some(bytes) => bytes,
        None => map_bytes(&dir.join(crate::run_dir::GOLD_JSONL)).ok()?,
    };
    let gtext = crate::file_bytes::utf8(&bytes).ok()?;
    let fields = snapshot.fields.clone();
    let index: Vec<hashbrown::HashMap<&str, u32>> = fields.iter().map(Field::value_index).collect();
    use rayon::prelude::*;
    let lines: Vec<&str> = gtext.lines().filter(|l| !l.trim().is_empty()).collect();
    // An indexed collect (in place). A line the scanner gives up on (an escape in a string:
    // a quote or a line break in a ticket's text) is read by serde, as the run folder's
    // reader reads it; one serde refuses too sends the whole file to that reader, for its
    // error.
    let gave_up = std::sync::atomic::AtomicBool::new(false);
    let tickets: Vec<Ticket> = lines
        .par_iter()
        .map(|l| {
            scan_ticket(l, &fields, &index)
                .or_else(|| {
                    serde_json::from_str::<crate::run_dir::TicketSnapshot>(l)
                        .ok()?
                        .to_ticket(&fields)
                        .ok()
                })
                .unwrap_or_else(|| {
                    gave_up.store(true, std::sync::atomic::Ordering::Relaxed);
                    Ticket {
                        id: String::new(),
                        text: String::new(),
                        labels: Vec::new(),
                        tags: Vec::new(),
                        clarification: None,
                    }
                })
        })
        .collect();
    if gave_up.into_inner() {
        return None;
    }
    if tickets.len() != snapshot.n_tickets {
        return None;
    }
    drop(index);
    drop(lines);
    let gold = GoldSet {
        fields,
        tickets,
        sha256: snapshot.eval.gold_sha256.clone(),
    };
    Some((snapshot, gold, bytes))
}

/// [`scan_ticket`] with the fields' value indexes made here.
#[cfg(test)]
pub(crate) fn scan_ticket_for_test(line: &str, fields: &[Field]) -> Option<Ticket> {
    let index: Vec<hashbrown::HashMap<&str, u32>> = fields.iter().map(Field::value_index).collect();
    scan_ticket(line, fields, &index)
}

/// A gold.jsonl line (`{"id", "text", "labels": {field: value}, "tags", "clarification"}`)
/// without escapes, or `None`.
fn scan_ticket(
    line: &str,
    fields: &[Field],
    index: &[hashbrown::HashMap<&str, u32>],
) -> Option<Ticket> {
    let mut s = Scan::new(line);
    let (mut id, mut text) = (None, None);
    // Up to four fields without a first allocation (the ticket's own list is the second).
    let mut few: [Option<GoldValue>; 4] = [None, None, None, None];
    let mut many: Vec<Option<GoldValue>>;
    let labels: &mut [Option<GoldValue>] = if fields.len() <= few.len() {
        &mut few[..fields.len()]
    } else {
        many = vec![None; fields.len()];
        &mut many
    };
    let mut tags = Vec::new();
    let mut clarification = None;
    let mut seen = 0u8;
    s.object(|s, key| {
        let bit = match key {
            "id" => 1,
            "text" => 2,
            "labels" => 4,
            "tags" => 8,
            "clarification" => 16,
            _ => return s.skip_value(0),
        };
        if seen & bit != 0 {
            return None;
        }
        seen |= bit;
        match bit {
            1 => id = Some(s.string()?),
            2 => text = Some(s.string()?),
            4 => {
                s.object(|s, name| {
                    let Some(fi) = fields.iter().position(|f| f.name == name) else {
                        return s.skip_value(0);
                    };
                    if labels[fi].is_some() {
                        return None; // a repeated key: serde's map keeps the last
                    }
                    let f = &fields[fi];
                    labels[fi] = Some(match f.kind {
                        FieldKind::Label => GoldValue::Label(*index[fi].get(s.string()?)?),
                        FieldKind::Flag => GoldValue::Flag(s.bool()?),
                        FieldKind::Labels => {
                            let mut out = Vec::new();
                            s.array(|s| {
                                out.push(*index[fi].get(s.string()?)?);
                                Some(())
                            })?;
                            out.sort_unstable();
                            out.dedup();
                            GoldValue::Labels(out)
                        }
                    });
                    Some(())
                })?;
            }
            8 => {
                s.array(|s| {
                    tags.push(s.string()?.to_string());
                    Some(())
                })?;
            }
            _ => clarification = s.opt_str()?.map(str::to_string),
        }
        Some(())
    })?;
    if !s.at_end() {
        return None;
    }
    Some(Ticket {
        id: id?.to_string(),
        text: text?.to_string(),
        labels: labels
            .iter_mut()
            .map(Option::take)
            .collect::<Option<Vec<_>>>()?,
        tags,
        clarification,
    })
}

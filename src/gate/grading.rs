//! A run folder's gold snapshot and journal read for `compare` and `gate` in one pass each:
//! gold.jsonl in parallel chunks straight into tickets, and predictions.jsonl through
//! [`crate::eval_log::read_journal_views`] straight into graders (no `PredictionRecord`s, no
//! second grading), over the run's own tickets and/or the tickets compared with another run.

use std::path::Path;
use std::sync::Arc;

use crate::config::source::{map_bytes, FileBytes};
use crate::error::{display_path, Error, Result};
use crate::eval_log::Scan;
use crate::gold::{Field, FieldKind, GoldSet, GoldValue, Ticket};
use crate::run_dir::Snapshot;
use crate::score::{Graded, Grader, ScoreSettings, ScoredVariant, VariantReport};

/// A run's variants graded over a list of tickets.
pub struct GradedRun {
    /// The tickets graded, in order.
    pub gold: Arc<GoldSet>,
    pub graded: Graded,
    /// Per variant (in the run's order), its metrics over those tickets.
    pub reports: Vec<VariantReport>,
    /// Per variant, the uncached cost per 1,000 of its repeat-0 records of those tickets.
    pub cost_per_1k: Vec<Option<f64>>,
}

/// The snapshot and gold set of a version 2 folder, as [`crate::run_dir::read_snapshot`]
/// reads them (which this falls back to, for its errors, on anything unusual).
#[cfg(test)]
pub(super) fn read_snapshot(dir: &Path) -> Result<(Snapshot, GoldSet)> {
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

/// A gold set already read by the fast path ([`read_snapshot_like`]): its folder, snapshot
/// and tickets.
pub(super) struct ReadGold<'a> {
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
pub(super) fn read_snapshot_like(
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
pub(super) fn fast_snapshot(dir: &Path) -> Option<(Snapshot, GoldSet, FileBytes)> {
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
pub(super) fn scan_ticket_for_test(line: &str, fields: &[Field]) -> Option<Ticket> {
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

/// Where one target of a journal pass grades: its tickets, and each of the run's own
/// tickets' row among them (`None`: the same tickets; `u32::MAX`: not graded there).
pub(super) struct Target {
    pub gold: Arc<GoldSet>,
    pub rows: Option<Vec<u32>>,
}

/// What a journal pass found besides the graded targets.
pub(super) struct PassFacts {
    /// Per variant, the run's own tickets without a repeat-0 record.
    pub missing: Vec<usize>,
    /// Per variant, whether a last record of it (any ticket) came back with usage but no
    /// price.
    pub unpriced: Vec<bool>,
}

/// Reads `dir`'s journal once, grading `variants` on every target (the last record of each
/// (variant, ticket, repeat) wins, as `dedup_latest` then the grader did) and summarizing
/// each with `settings`. `own` is the run's own gold set.
pub(super) fn grade_journal(
    dir: &Path,
    own: &GoldSet,
    variants: &[ScoredVariant],
    targets: &[Target],
    settings: &ScoreSettings,
) -> Result<(Vec<GradedRun>, PassFacts)> {
    let nv = variants.len();
    let n_own = own.tickets.len();
    // Ticket id -> own row, built on the first miss of the in-order guess (a journal is
    // written in ticket order per variant).
    let mut ids: Option<hashbrown::HashMap<&str, u32>> = None;
    let mut next = 0usize;
    // The own tickets' ids side by side in one buffer, for the in-order guess: read in
    // sequence, not one heap string per record (a cache miss each at a million tickets).
    let mut id_bytes: Vec<u8> = Vec::new();
    let mut id_ends: Vec<usize> = Vec::with_capacity(n_own + 1);
    id_ends.push(0);
    for t in &own.tickets {
        id_bytes.extend_from_slice(t.id.as_bytes());
        id_ends.push(id_bytes.len());
    }
    let id_at = |i: usize| id_ends.get(i + 1).map(|&end| &id_bytes[id_ends[i]..end]);
    let mut graders: Vec<Grader> = targets
        .iter()
        .map(|t| Grader::for_add_at(&t.gold, variants, t.gold.tickets.len()))
        .collect();
    let mut have: Vec<Vec<bool>> = vec![vec![false; n_own]; nv];
    // Last records of tickets outside the gold set: (variant, ticket, repeat) -> unpriced.
    let mut outside: hashbrown::HashMap<(u32, String, u32), bool> = hashbrown::HashMap::new();
    // The own tickets' last records: unpriced, per variant and (ticket, repeat).
    let mut own_unpriced: Vec<hashbrown::HashMap<(u32, u32), bool>> = vec![Default::default(); nv];
    // The first target's records are checked against its fields ([`Grader::prepare`]) on
    // the journal's parallel side, by a grader of the same fields and no tickets; only
    // storing them ([`Grader::place`]) is left for the in-order side.
    let preparer = targets
        .first()
        .map(|t| Grader::for_add_at(&t.gold, variants, 0));
    crate::eval_log::read_journal_views(
        &dir.join("predictions.jsonl"),
        |l| {
            let vi = variants
                .iter()
                .position(|v| crate::eval_log::eq_short(v.name.as_bytes(), l.variant.as_bytes()))
                .map_or(u32::MAX, |i| i as u32);
            let prepared = match &preparer {
                Some(p) if vi != u32::MAX => Some(p.prepare(&crate::score::line_view(l))),
                _ => None,
            };
            (vi, std::cell::Cell::new(prepared))
        },
        |lines| {
            for (l, (vi, prepared)) in lines {
                if *vi == u32::MAX {
                    continue;
                }
                let v = *vi as usize;
                let ticket: &str = &l.ticket;
                let guess = |i: usize| {
                    id_at(i).is_some_and(|id| crate::eval_log::eq_short(id, ticket.as_bytes()))
                };
                // In ticket order, or the first ticket again (the next variant's records).
                let row = if guess(next) {
                    next as u32
                } else if guess(0) {
                    0
                } else {
                    let ids = ids.get_or_insert_with(|| {
                        let mut m = hashbrown::HashMap::with_capacity(n_own);
                        for (i, t) in own.tickets.iter().enumerate() {
                            // A repeated id maps to its last ticket, as the grader's index.
                            m.insert(t.id.as_str(), i as u32);
                        }
                        m
                    });
                    ids.get(ticket).copied().unwrap_or(u32::MAX)
                };
                if row != u32::MAX {
                    next = row as usize + 1;
                }
                let row = &row;
                let unpriced = !l.cached && l.usage.is_some() && l.cost_usd.is_none();
                if *row == u32::MAX {
                    outside.insert((*vi, l.ticket.to_string(), l.repeat), unpriced);
                    continue;
                }
                if l.repeat == 0 {
                    have[v][*row as usize] = true;
                }
                if unpriced || own_unpriced[v].contains_key(&(*row, l.repeat)) {
                    own_unpriced[v].insert((*row, l.repeat), unpriced);
                }
                for (k, (t, g)) in targets.iter().zip(graders.iter_mut()).enumerate() {
                    let r = t.rows.as_ref().map_or(*row, |m| m[*row as usize]);
                    if r == u32::MAX {
                        continue;
                    }
                    match prepared.take() {
                        Some(ready) if k == 0 => g.place(v, r, ready),
                        _ => g.add_at(v, r, crate::score::line_view(l)),
                    }
                }
            }
            Ok(())
        },
    )?;
    let facts = PassFacts {
        missing: have
            .iter()
            .map(|h| h.iter().filter(|&&x| !x).count())
            .collect(),
        unpriced: (0..nv)
            .map(|v| {
                own_unpriced[v].values().any(|&u| u)
                    || outside.iter().any(|((w, _, _), &u)| *w as usize == v && u)
            })
            .collect(),
    };
    use rayon::prelude::*;
    let runs = graders
        .into_par_iter()
        .zip(targets.par_iter())
        .map(|(g, t)| {
            // (From the stored repeat-0 records, before the grader becomes the graded run.)
            let cost_per_1k = g.paid_cost_per_1k();
            let graded = g.finish();
            let reports = crate::score::variant_reports(&graded, settings);
            GradedRun {
                gold: t.gold.clone(),
                graded,
                reports,
                cost_per_1k,
            }
        })
        .collect();
    Ok((runs, facts))
}

/// The unfinished-run error for the first variant with tickets left unanswered.
pub(super) fn check_complete(
    dir: &Path,
    own: &GoldSet,
    variants: &[ScoredVariant],
    facts: &PassFacts,
) -> Result<()> {
    for (v, &missing) in variants.iter().zip(&facts.missing) {
        if missing > 0 {
            return Err(Error::RunFailed(format!(
                "{} is unfinished: variant {:?} has no record for {missing} of {} tickets; finish it with `verdict run --resume {}`",
                display_path(dir),
                v.name,
                own.tickets.len(),
                display_path(dir)
            )));
        }
    }
    Ok(())
}

//! A run folder's gold snapshot and journal read for `compare` and `gate` in one pass each:
//! gold.jsonl by [`crate::run_dir::gold_fast`] (parallel chunks straight into tickets, a
//! second folder's gold set shared with the first's when the same), and predictions.jsonl through
//! [`crate::eval_log::read_journal_views`] straight into graders (no `PredictionRecord`s, no
//! second grading), over the run's own tickets and/or the tickets compared with another run.

use std::path::Path;
use std::sync::Arc;

use crate::error::{display_path, Error, Result};
use crate::gold::GoldSet;
#[cfg(test)]
pub(super) use crate::run_dir::gold_fast::{fast_snapshot, read_snapshot, scan_ticket_for_test};
pub(super) use crate::run_dir::gold_fast::{read_snapshot_like, ReadGold};
use crate::run_dir::graded_cache::{self, OwnGrading};
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

/// Per target of a journal pass, the graded run and each variant's uncached cost per 1,000;
/// and what the pass found besides.
pub(super) type GradedTargets = (Vec<(Graded, Vec<Option<f64>>)>, PassFacts);

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
    // Graded over its own tickets only: the folder's graded.bin, when it still holds exactly
    // this journal's grading.
    let cached = match targets {
        [t] if t.rows.is_none() && std::ptr::eq(&*t.gold, own) => graded_cache::read(dir, variants),
        _ => None,
    };
    let (graded, facts) = match cached {
        Some(g) => (
            vec![(g.graded, g.cost_per_1k)],
            PassFacts {
                missing: g.missing,
                unpriced: g.unpriced,
            },
        ),
        None => grade_journal_only(dir, own, variants, targets)?,
    };
    use rayon::prelude::*;
    let runs = graded
        .into_par_iter()
        .zip(targets.par_iter())
        .map(|((graded, cost_per_1k), t)| {
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

/// Grades `dir`'s journal over its own tickets and keeps the result in the folder's
/// graded.bin (what a finished `verdict run` does, so that `compare` and `gate` read it
/// instead of the journal). Nothing is written when the journal cannot be graded (its error
/// is returned) or changes meanwhile.
pub fn write_graded_cache(
    dir: &Path,
    own: &Arc<GoldSet>,
    variants: &[ScoredVariant],
) -> Result<()> {
    let journal = dir.join(crate::run_dir::PREDICTIONS_JSONL);
    let len = std::fs::metadata(&journal)
        .map_err(|e| Error::io(&journal, e))?
        .len();
    let target = Target {
        gold: own.clone(),
        rows: None,
    };
    let (mut graded, facts) =
        grade_journal_only(dir, own, variants, std::slice::from_ref(&target))?;
    let (graded, cost_per_1k) = graded.pop().expect("one target");
    let grading = OwnGrading {
        graded,
        cost_per_1k,
        missing: facts.missing,
        unpriced: facts.unpriced,
    };
    graded_cache::write(dir, variants, &grading, len)
}

/// [`grade_journal`] from the journal itself, before summarizing: per target, the graded
/// run and the uncached cost per 1,000 of each variant.
pub(super) fn grade_journal_only(
    dir: &Path,
    own: &GoldSet,
    variants: &[ScoredVariant],
    targets: &[Target],
) -> Result<GradedTargets> {
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
        &dir.join(crate::run_dir::PREDICTIONS_JSONL),
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
    let graded = graders
        .into_par_iter()
        .map(|g| {
            // (From the stored repeat-0 records, before the grader becomes the graded run.)
            let cost_per_1k = g.paid_cost_per_1k();
            (g.finish(), cost_per_1k)
        })
        .collect();
    Ok((graded, facts))
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

//! `verdict score`: re-grade a run folder, or score predictions made elsewhere.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::eval_log::PredictionRecord;
use crate::exit::Exit;
use crate::gold::{FieldKind, GoldSet};
use crate::report::Output;
use crate::score::{ScoreSettings, ScoredVariant};

use super::{print_errors, print_report, score_settings, OutputChoice};

/// `verdict score`: a run folder to re-grade (`run`, with `eval`'s settings when given), or
/// predictions made elsewhere (`gold` and `predictions`).
#[derive(Debug, Clone, Default)]
pub struct ScoreCommand {
    /// The run folder to re-grade from its snapshot and journal.
    pub run: Option<PathBuf>,
    /// With `run`: this eval's calibration and routing settings instead of the run's.
    pub eval: Option<PathBuf>,
    /// A gold YAML file or an eval config (with `predictions`).
    pub gold: Option<PathBuf>,
    /// A predictions.jsonl file (with `gold`).
    pub predictions: Option<PathBuf>,
    /// How to print.
    pub output: OutputChoice,
}

/// `verdict score`: scores predictions made elsewhere. `--gold` is a gold YAML file or an
/// eval config (whose gold source and calibration/routing settings are then used).
///
/// `gate` is the summary's gate line per variant (the eval's rules on a run folder, computed
/// by the caller; empty otherwise).
pub fn score_command(
    args: &ScoreCommand,
    output: &Output,
    gate: std::collections::BTreeMap<String, String>,
) -> Result<Exit> {
    let (gold_path, predictions) = match (&args.run, &args.gold, &args.predictions) {
        (Some(dir), _, _) => return score_folder(dir, args.eval.as_deref(), output, gate),
        (None, Some(g), Some(p)) => (g, p),
        _ => {
            return Err(Error::Usage(
                "score takes a run folder (`verdict score RUN`), or --gold and --predictions"
                    .into(),
            ))
        }
    };
    let ext = gold_path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    if matches!(ext.as_str(), "csv" | "jsonl" | "ndjson") {
        return Err(Error::Usage(format!(
            "--gold takes a gold YAML file or an eval config; for the table {}, write an eval config whose `gold:` names its columns ({{path: ..., text: <column>, labels: {{<field>: <column>}}}}, see docs/formats.md) and pass that",
            crate::error::display_path(gold_path)
        )));
    }
    let is_eval = std::fs::read_to_string(gold_path)
        .ok()
        .and_then(|t| crate::yaml::parse(&t).ok())
        .is_some_and(|n| match &n.value {
            crate::yaml::Value::Map(entries) => {
                entries.iter().any(|(k, _)| k.as_str() == Some("gold"))
            }
            _ => false,
        });
    // Grading reads the tickets' ids, labels and tags, from a table of a few dozen MB: a CSV
    // or JSONL gold set is read straight into it; any other is loaded, copied into it and
    // freed (about 340 MB at 1,000,000 tickets, with texts) before the predictions are read
    // in one streaming pass.
    let (table, settings) = if is_eval {
        let (eval, table) = crate::config::load_eval_for_scoring(gold_path)?;
        (table, score_settings(&eval))
    } else {
        let gold = crate::config::gold::load_path(gold_path)?;
        let first_label = gold
            .fields
            .iter()
            .find(|f| f.kind == FieldKind::Label)
            .map(|f| f.name.clone());
        let settings = ScoreSettings {
            calibration: first_label
                .clone()
                .map(|field| crate::config::CalibrationSettings { field, bins: 10 }),
            routing: first_label.map(|field| crate::config::RoutingSettings {
                field,
                route_at: 0.9,
                clarify_at: 0.7,
                target_accuracy: 0.98,
            }),
            seed: 0,
        };
        // (Freed here, by the thread that allocated it: the allocator returns such memory at
        // once, where frees from another thread wait in a list.)
        let table = crate::score::GoldTable::new(&gold, gold.tickets.len());
        drop(gold);
        (table, settings)
    };
    let graded = crate::predictions::grade_file(predictions, table)?;
    let report = crate::score::summarize(&graded, &settings);
    // The command ends here: freeing the graded columns piece by piece is left to the
    // process exit.
    std::mem::forget(graded);
    print_errors(&report);
    print_report(&report, output, Default::default())?;
    Ok(Exit::Ok)
}

/// `verdict score RUN [--eval EVAL]`: re-grades a run folder from its snapshot and journal
/// alone (the eval's files are not needed) and prints the metrics; writes nothing. With
/// `--eval`, that eval's calibration and routing settings are used instead of the run's.
fn score_folder(
    dir: &Path,
    eval: Option<&Path>,
    output: &Output,
    gate: std::collections::BTreeMap<String, String>,
) -> Result<Exit> {
    let doc = crate::run_dir::open(dir, crate::run_dir::Need::Snapshot)?;
    // gold.jsonl on both cores (`read_snapshot`'s own reading and errors on anything the
    // fast reader is not sure of).
    let (snapshot, gold) = crate::run_dir::gold_fast::read_snapshot_fast(dir)?;
    let mut settings = ScoreSettings {
        calibration: snapshot.calibration.clone(),
        routing: snapshot.routing.clone(),
        seed: snapshot.run.seed,
    };
    if let Some(path) = eval {
        let other = crate::config::load_eval(path)?;
        for (what, field) in [
            ("calibration", other.calibration.as_ref().map(|c| &c.field)),
            ("routing", other.routing.as_ref().map(|r| &r.field)),
        ] {
            if let Some(field) = field {
                if !gold
                    .fields
                    .iter()
                    .any(|f| &f.name == field && f.kind == FieldKind::Label)
                {
                    return Err(Error::Usage(format!(
                        "{}: {what}.field {field:?} is not a label field of this run (its label fields: {})",
                        crate::error::display_path(path),
                        gold.fields
                            .iter()
                            .filter(|f| f.kind == FieldKind::Label)
                            .map(|f| f.name.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    )));
                }
            }
        }
        settings.calibration = other.calibration;
        settings.routing = other.routing;
    }
    let journal = dir.join(crate::run_dir::PREDICTIONS_JSONL);
    let variants: Vec<ScoredVariant> = doc.spec.scored_variants();
    // The journal is read once, straight into the grader: each line scanned, its variant
    // and ticket found and its record checked against the gold set on both cores (the
    // grader's `Preparer` half), then stored in order (its `Placer` half), so the last
    // record of each (variant, ticket, repeat) wins, as after `dedup_latest`. A line for a
    // ticket or repeat the run does not have sends the journal the careful way, for the
    // messages of `check_known_tickets`.
    let repeats = doc.spec.repeats.max(1);
    let mut grader = crate::score::Grader::new(&gold, &variants, gold.tickets.len());
    let mut strange = false;
    {
        let (preparer, placer) = grader.parts();
        // The ticket-order guess of the ticket look-up, on the placing side (in order).
        let mut last = u32::MAX;
        crate::eval_log::read_journal_views(
            &journal,
            |l| {
                if l.repeat >= repeats {
                    return Line::Strange;
                }
                // The first variant of the name, as the grader's own look-up finds it.
                match variants.iter().position(|v| v.name == *l.variant) {
                    Some(vi) => {
                        let prepared = preparer.prepare(&crate::score::line_view(l));
                        Line::Ready(vi, std::cell::Cell::new(Some(prepared)))
                    }
                    None => Line::Other,
                }
            },
            |lines| {
                for (l, line) in lines {
                    if strange {
                        return Ok(());
                    }
                    let row = match line {
                        Line::Strange => None,
                        _ => preparer.ticket_row_after(&l.ticket, &mut last),
                    };
                    let Some(row) = row else {
                        strange = true;
                        continue;
                    };
                    if let Line::Ready(vi, prepared) = line {
                        let p = prepared.take().expect("each line is placed once");
                        placer.place(*vi, row, p);
                    }
                }
                Ok(())
            },
        )?;
    }
    let graded = if strange {
        let raw = crate::eval_log::read_journal(&journal)?;
        check_known_tickets(&journal, &raw, &gold, doc.spec.repeats)?;
        // Not reached (the same checks): graded the careful way all the same.
        let records = crate::eval_log::dedup_latest(raw);
        Some(crate::score::grade(
            &gold,
            &variants,
            &records,
            gold.tickets.len(),
        ))
    } else {
        None
    };
    if doc.status != "complete" {
        let expected = gold.tickets.len() * snapshot.variants.len() * snapshot.run.repeats as usize;
        eprintln!(
            "note: {} is not finished ({} of {expected} classifications journaled); the rest count as missing",
            crate::error::display_path(dir),
            grader.stored().min(expected),
        );
    }
    let mut graded = graded.unwrap_or_else(|| grader.finish());
    // Replaced records are a run's retries (a resume sends a failed request again): its
    // own report grades the last record of each, counting no replacement; so does this.
    for v in &mut graded.variants {
        v.replaced = 0;
    }
    let report = crate::score::summarize(&graded, &settings);
    print_errors(&report);
    print_report(&report, output, gate)?;
    Ok(Exit::Ok)
}

/// A journal line of `verdict score RUN` as the scanning side leaves it for the placing side.
#[derive(Default)]
enum Line {
    /// A variant the run does not score: skipped, as the grader skips it.
    #[default]
    Other,
    /// A repeat the run does not have.
    Strange,
    /// The variant, and the record checked against the gold set.
    Ready(usize, std::cell::Cell<Option<crate::score::Prepared>>),
}

/// Every journaled ticket must be one of the run's (the gold set as used): a record for a
/// ticket it lacks is an error naming its line, up to 20 at once, as in `verdict score`.
pub fn check_known_tickets(
    path: &Path,
    records: &[PredictionRecord],
    gold: &GoldSet,
    repeats: u32,
) -> Result<()> {
    let ids: std::collections::HashSet<&str> = gold.tickets.iter().map(|t| t.id.as_str()).collect();
    let repeats = repeats.max(1);
    let bad = |r: &PredictionRecord| !ids.contains(r.ticket.as_str()) || r.repeat >= repeats;
    if !records.iter().any(bad) {
        return Ok(());
    }
    // Only now the line numbers: records are the file's non-empty lines, in order (a torn
    // last line, skipped, can only be last).
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    let lines = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, _)| i + 1);
    let strangers: Vec<crate::error::Diagnostic> = records
        .iter()
        .zip(lines)
        .filter(|(r, _)| bad(r))
        .take(20)
        .map(|(r, line)| {
            let (path_, message) = if !ids.contains(r.ticket.as_str()) {
                (
                    "ticket",
                    format!(
                        "ticket {:?} (variant {:?}) is not in the gold set",
                        r.ticket, r.variant
                    ),
                )
            } else {
                (
                    "repeat",
                    format!(
                        "repeat {} of ticket {:?} (variant {:?}) is not one of this run's: it has {repeats} repeat{} (valid: 0 to {})",
                        r.repeat,
                        r.ticket,
                        r.variant,
                        if repeats == 1 { "" } else { "s" },
                        repeats.saturating_sub(1)
                    ),
                )
            };
            crate::error::Diagnostic {
                file: path.to_path_buf(),
                pos: Some(crate::yaml::Pos { line, col: 1 }),
                path: path_.into(),
                message,
            }
        })
        .collect();
    Err(Error::Invalid(strangers))
}

//! A run folder as `verdict compare` and `verdict gate` read it: version and status checked,
//! every ticket answered, graded from its own gold snapshot (`gold.jsonl` + `snapshot.json`,
//! run.json version 2) or, for a version 1 folder, against the eval its run.json names; and
//! the pairing of two graded variants into a [`crate::compare::Comparison`].

use std::path::{Path, PathBuf};

use serde_json::Value;

use super::rules::RuleSet;
use crate::compare::{self, CompareOptions, Comparison, Paired, Side};
use crate::error::{display_path, Error, Result};
use crate::eval_log::PredictionRecord;
use crate::gold::GoldSet;
use crate::score::{RunReport, ScoreSettings, ScoredVariant};

/// A run folder, graded.
pub struct RunFolder {
    pub dir: PathBuf,
    pub gold: GoldSet,
    pub settings: ScoreSettings,
    pub variants: Vec<ScoredVariant>,
    pub records: Vec<PredictionRecord>,
    /// The eval it came from, when it still exists (its `gate:` section).
    pub eval_path: Option<PathBuf>,
    /// The eval's `gate:` rules as the run's snapshot recorded them at its start.
    pub rules: Option<RuleSet>,
    pub report: RunReport,
}

impl RunFolder {
    pub(super) fn label(&self) -> String {
        display_path(&self.dir)
    }

    pub(super) fn variant(&self, name: &str) -> Result<&ScoredVariant> {
        self.variants
            .iter()
            .find(|v| v.name == name)
            .ok_or_else(|| {
                Error::Usage(format!(
                    "{} has no variant {name:?} (variants: {})",
                    self.label(),
                    self.variants
                        .iter()
                        .map(|v| v.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
            })
    }
}

/// `RUN` or `RUN:VARIANT` (the part after the last `:` when the part before is a folder).
pub fn split_run_arg(arg: &str) -> (PathBuf, Option<String>) {
    if let Some((dir, variant)) = arg.rsplit_once(':') {
        if !variant.is_empty() && !variant.contains('/') && Path::new(dir).is_dir() {
            return (PathBuf::from(dir), Some(variant.to_string()));
        }
    }
    (PathBuf::from(arg), None)
}

/// Reads and grades a run folder. Unfinished runs (status `running`, or tickets without a
/// record) are exit 3.
pub fn load_run(dir: &Path) -> Result<RunFolder> {
    let text = crate::run_dir::read_run_json(dir)?;
    let path = dir.join("run.json");
    let doc: Value = serde_json::from_str(&text)
        .map_err(|e| Error::io(&path, format!("not a verdict run.json: {e}")))?;
    let version = doc.get("version").and_then(Value::as_u64).unwrap_or(0);
    if version > u64::from(crate::run_dir::RUN_VERSION) {
        return Err(Error::Usage(format!(
            "{} has run.json version {version}, newer than this verdict reads; upgrade verdict",
            display_path(&path)
        )));
    }
    let status = doc.get("status").and_then(Value::as_str).unwrap_or("");
    if status != "complete" {
        return Err(Error::RunFailed(format!(
            "{} is not finished (status {status:?}); finish it with `verdict run --resume {}` before comparing or gating it",
            display_path(dir),
            display_path(dir)
        )));
    }
    let spec: crate::run_dir::RunSpec = serde_json::from_value(doc["spec"].clone())
        .map_err(|e| Error::io(&path, format!("not a verdict run.json: {e}")))?;
    let eval_path = spec.eval_file();
    let (gold, settings, rules) = if dir.join(crate::run_dir::SNAPSHOT_JSON).exists() {
        // The folder stands alone: its gold snapshot, settings and gate rules.
        let (snapshot, gold) = crate::run_dir::read_snapshot(dir)?;
        let settings = ScoreSettings {
            calibration: snapshot.calibration.clone(),
            routing: snapshot.routing.clone(),
            seed: snapshot.run.seed,
        };
        let rules = match snapshot.gate {
            Some(v) => Some(serde_json::from_value::<RuleSet>(v).map_err(|e| {
                Error::io(
                    &dir.join(crate::run_dir::SNAPSHOT_JSON),
                    format!("its `gate` rules cannot be read: {e}"),
                )
            })?),
            None => None,
        };
        (gold, settings, rules)
    } else {
        // A version 1 folder: the eval it names, if its gold set is unchanged.
        if !eval_path.exists() {
            return Err(Error::Usage(format!(
                "{} has no gold snapshot and its eval {} no longer exists; re-run it with this verdict",
                display_path(dir),
                display_path(&eval_path)
            )));
        }
        let eval = crate::config::load_eval(&eval_path)?;
        if eval.gold.sha256 != spec.gold_sha256 {
            return Err(Error::Usage(format!(
                "{}: the gold set {} changed since the run, and the folder has no snapshot of it; re-run it",
                display_path(dir),
                display_path(&eval.gold_path)
            )));
        }
        let settings = crate::commands::score_settings(&eval);
        let mut gold = eval.gold;
        let n = spec
            .limit
            .unwrap_or(gold.tickets.len())
            .min(gold.tickets.len());
        gold.tickets.truncate(n);
        (gold, settings, None)
    };
    let eval_path = eval_path.exists().then_some(eval_path);
    let records = crate::eval_log::dedup_latest(crate::eval_log::read_journal(
        &dir.join("predictions.jsonl"),
    )?);
    let variants: Vec<ScoredVariant> = spec.scored_variants();
    // Every ticket needs a record of every variant (repeat 0).
    let have: hashbrown::HashSet<(&str, &str)> = records
        .iter()
        .filter(|r| r.repeat == 0)
        .map(|r| (r.variant.as_str(), r.ticket.as_str()))
        .collect();
    for v in &variants {
        let missing = gold
            .tickets
            .iter()
            .filter(|t| !have.contains(&(v.name.as_str(), t.id.as_str())))
            .count();
        if missing > 0 {
            return Err(Error::RunFailed(format!(
                "{} is unfinished: variant {:?} has no record for {missing} of {} tickets; finish it with `verdict run --resume {}`",
                display_path(dir),
                v.name,
                gold.tickets.len(),
                display_path(dir)
            )));
        }
    }
    drop(have);
    let report = crate::score::score(&gold, &settings, &variants, &records, gold.tickets.len());
    Ok(RunFolder {
        dir: dir.to_path_buf(),
        gold,
        settings,
        variants,
        records,
        eval_path,
        rules,
        report,
    })
}

/// Whether a record came back with usage but no price.
pub(super) fn unpriced(records: &[PredictionRecord], variant: &str) -> bool {
    records
        .iter()
        .any(|r| r.variant == variant && !r.cached && r.usage.is_some() && r.cost_usd.is_none())
}

pub(super) fn side<'a>(run: &'a RunFolder, v: &'a ScoredVariant) -> Side<'a> {
    Side {
        label: format!("{}:{}", run.label(), v.name),
        gold: &run.gold,
        variant: v,
        records: &run.records,
    }
}

/// run.json's pair index for variants `i` and `j` of one run (pairs i < j in order).
pub(super) fn pair_index(n: usize, i: usize, j: usize) -> (u64, bool) {
    let (a, b, swapped) = if i < j { (i, j, false) } else { (j, i, true) };
    let before: usize = (0..a).map(|x| n - 1 - x).sum();
    ((before + (b - a - 1)) as u64, swapped)
}

pub(super) fn compare_pair(
    base: &RunFolder,
    bv: &ScoredVariant,
    cand: &RunFolder,
    cv: &ScoredVariant,
) -> (Comparison, Paired) {
    let mut opts = CompareOptions {
        seed: cand.settings.seed,
        ..Default::default()
    };
    if base.dir == cand.dir {
        let i = base.variants.iter().position(|v| v.name == bv.name);
        let j = cand.variants.iter().position(|v| v.name == cv.name);
        if let (Some(i), Some(j)) = (i, j) {
            if i != j {
                opts.same_run_pair = Some(pair_index(cand.variants.len(), i, j));
            }
        }
    }
    compare::compare(&side(base, bv), &side(cand, cv), &cand.settings, &opts)
}

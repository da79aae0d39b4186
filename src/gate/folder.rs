//! A run folder as `verdict compare` and `verdict gate` read it: version and status checked,
//! every ticket answered, graded from its own gold snapshot (`gold.jsonl` + `snapshot.json`,
//! run.json version 2) or, for a version 1 folder, against the eval its run.json names; and
//! the pairing of two graded variants into a [`crate::compare::Comparison`].

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::Value;

use super::grading::{check_complete, grade_journal, GradedRun, ReadGold, Target};
use super::rules::RuleSet;
use crate::compare::{self, CompareOptions, Compared, Comparison, GradedSide, Paired};
use crate::error::{display_path, Error, Result};
use crate::gold::GoldSet;
use crate::run_dir::Snapshot;
use crate::score::{RunReport, ScoreSettings, ScoredVariant};

/// A run folder, graded.
pub struct RunFolder {
    pub dir: PathBuf,
    pub gold: Arc<GoldSet>,
    pub settings: ScoreSettings,
    pub variants: Vec<ScoredVariant>,
    /// The eval it came from, when it still exists (its `gate:` section).
    pub eval_path: Option<PathBuf>,
    /// The eval's `gate:` rules as the run's snapshot recorded them at its start.
    pub rules: Option<RuleSet>,
    /// Its variants' metrics over its own tickets, without the run's pairwise comparisons
    /// (`compare` and `gate` do not read them); no variants for a baseline graded only on
    /// the tickets it is compared on.
    pub report: RunReport,
    /// Graded over its own tickets (not for a baseline read with [`load_pair`]).
    own: Option<GradedRun>,
    /// As a baseline: the candidate folder, the tickets compared with it, and this run
    /// graded on them against the candidate's gold set.
    against: Option<(PathBuf, Compared, GradedRun)>,
    /// As a candidate whose compared tickets are not all of its own: the baseline folder and
    /// this run graded on them.
    common: Option<(PathBuf, GradedRun)>,
    /// Per variant: a record with usage but no price.
    unpriced: Vec<bool>,
}

/// What a run folder says before its journal is read.
struct Meta {
    dir: PathBuf,
    gold: Arc<GoldSet>,
    settings: ScoreSettings,
    variants: Vec<ScoredVariant>,
    eval_path: Option<PathBuf>,
    rules: Option<RuleSet>,
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

    fn index(&self, name: &str) -> usize {
        self.variants
            .iter()
            .position(|v| v.name == name)
            .expect("a variant of the run")
    }

    fn build(
        m: Meta,
        own: Option<GradedRun>,
        against: Option<(PathBuf, Compared, GradedRun)>,
        common: Option<(PathBuf, GradedRun)>,
        unpriced: Vec<bool>,
    ) -> Self {
        let report = RunReport {
            n_tickets: m.gold.tickets.len(),
            fields: m.gold.fields.clone(),
            settings: m.settings.clone(),
            variants: own.as_ref().map(|o| o.reports.clone()).unwrap_or_default(),
            wall_s: own.as_ref().and_then(|o| {
                let spans: Vec<(u64, u64)> = o
                    .graded
                    .variants
                    .iter()
                    .flat_map(|v| v.spans.iter().copied())
                    .collect();
                crate::score::wall_time_s(&spans)
            }),
            comparisons: Vec::new(),
        };
        RunFolder {
            dir: m.dir,
            gold: m.gold,
            settings: m.settings,
            variants: m.variants,
            eval_path: m.eval_path,
            rules: m.rules,
            report,
            own,
            against,
            common,
            unpriced,
        }
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

/// Reads a run folder's run.json, snapshot and gold set (not its journal). Unfinished runs
/// (status `running`) are exit 3.
fn read_meta(dir: &Path) -> Result<Meta> {
    read_meta_like(dir, None, None).map(|(m, _, _)| m)
}

/// [`read_meta`], sharing the gold set of a folder read before (`like`) when it reads the
/// same ([`super::grading::read_snapshot_like`]); also returns the folder's snapshot and,
/// when read by the fast path, its gold.jsonl text. `pre`: its gold.jsonl bytes, when
/// already read.
fn read_meta_like(
    dir: &Path,
    like: Option<ReadGold>,
    pre: Option<crate::config::source::FileBytes>,
) -> Result<(
    Meta,
    Option<Snapshot>,
    Option<crate::config::source::FileBytes>,
)> {
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
    let (gold, settings, rules, snapshot, gold_text) = if dir
        .join(crate::run_dir::SNAPSHOT_JSON)
        .exists()
    {
        // The folder stands alone: its gold snapshot, settings and gate rules.
        let (snapshot, gold, text) = super::grading::read_snapshot_like(dir, like, pre)?;
        let settings = ScoreSettings {
            calibration: snapshot.calibration.clone(),
            routing: snapshot.routing.clone(),
            seed: snapshot.run.seed,
        };
        let rules = match snapshot.gate.clone() {
            Some(v) => Some(serde_json::from_value::<RuleSet>(v).map_err(|e| {
                Error::io(
                    &dir.join(crate::run_dir::SNAPSHOT_JSON),
                    format!("its `gate` rules cannot be read: {e}"),
                )
            })?),
            None => None,
        };
        (gold, settings, rules, Some(snapshot), text)
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
        (Arc::new(gold), settings, None, None, None)
    };
    let meta = Meta {
        dir: dir.to_path_buf(),
        gold,
        settings,
        variants: spec.scored_variants(),
        eval_path: eval_path.exists().then_some(eval_path),
        rules,
    };
    Ok((meta, snapshot, gold_text))
}

/// A folder whose metadata is read, graded over its own tickets.
fn grade_own(m: Meta) -> Result<RunFolder> {
    let target = Target {
        gold: m.gold.clone(),
        rows: None,
    };
    let (mut runs, facts) = grade_journal(
        &m.dir,
        &m.gold,
        &m.variants,
        std::slice::from_ref(&target),
        &m.settings,
    )?;
    check_complete(&m.dir, &m.gold, &m.variants, &facts)?;
    let own = runs.pop();
    Ok(RunFolder::build(m, own, None, None, facts.unpriced))
}

/// Reads and grades a run folder over its own tickets. Unfinished runs (status `running`,
/// or tickets without a record) are exit 3.
pub fn load_run(dir: &Path) -> Result<RunFolder> {
    grade_own(read_meta(dir)?)
}

/// Writes a finished run folder's graded.bin ([`super::grading::write_graded_cache`]), with
/// its gold set and variants read back from the folder exactly as `compare` and `gate` read
/// them. A version 1 folder (no snapshot) has none.
pub fn write_graded_cache(dir: &Path) -> Result<()> {
    if !dir.join(crate::run_dir::SNAPSHOT_JSON).exists() {
        return Ok(());
    }
    let m = read_meta(dir)?;
    super::grading::write_graded_cache(&m.dir, &m.gold, &m.variants)
}

/// Each of `own`'s tickets' row among `to`'s, or `None` when they are the same tickets in
/// the same order.
fn rows_in(own: &GoldSet, to: &GoldSet) -> Option<Vec<u32>> {
    if std::ptr::eq(own, to) {
        return None;
    }
    if own.tickets.len() == to.tickets.len()
        && own
            .tickets
            .iter()
            .zip(&to.tickets)
            .all(|(a, b)| a.id == b.id)
    {
        return None;
    }
    let index: hashbrown::HashMap<&str, u32> = to
        .tickets
        .iter()
        .enumerate()
        .map(|(i, t)| (t.id.as_str(), i as u32))
        .collect();
    Some(
        own.tickets
            .iter()
            .map(|t| index.get(t.id.as_str()).copied().unwrap_or(u32::MAX))
            .collect(),
    )
}

/// A baseline and a candidate folder, read side by side: the candidate graded over its own
/// tickets, the baseline only on the tickets compared (against the candidate's gold set and
/// settings, as the comparison grades it), each journal read once. Each side's errors are
/// its own (the caller decides which comes first), as two [`load_run`]s.
pub fn load_pair(base_dir: &Path, cand_dir: &Path) -> (Result<RunFolder>, Result<RunFolder>) {
    // The candidate first, so the baseline can share its gold set when it is the same
    // (reading each is parallel inside).
    // The baseline's gold.jsonl mapped meanwhile (read, if small), to be compared with the
    // candidate's or parsed.
    let (cm, base_gold) = rayon::join(
        || read_meta_like(cand_dir, None, None),
        || crate::config::source::map_bytes(&base_dir.join(crate::run_dir::GOLD_JSONL)).ok(),
    );
    let like = cm.as_ref().ok().and_then(|(m, s, text)| {
        s.as_ref().map(|snapshot| ReadGold {
            dir: &m.dir,
            snapshot,
            gold: &m.gold,
            text: text.as_deref(),
        })
    });
    let bm = read_meta_like(base_dir, like, base_gold).map(|(m, _, _)| m);
    let cm = cm.map(|(m, _, _)| m);
    let (bm, cm) = match (bm, cm) {
        (Ok(b), Ok(c)) => (b, c),
        (Err(e), c) => return (Err(e), c.and_then(grade_own)),
        (Ok(b), Err(e)) => return (grade_own(b), Err(e)),
    };
    let compared = Compared::of(&bm.gold, &cm.gold);
    let all_of_cand = Arc::ptr_eq(&compared.gold, &cm.gold);
    let base_target = Target {
        gold: compared.gold.clone(),
        rows: rows_in(&bm.gold, &compared.gold),
    };
    let mut cand_targets = vec![Target {
        gold: cm.gold.clone(),
        rows: None,
    }];
    if !all_of_cand {
        cand_targets.push(Target {
            gold: compared.gold.clone(),
            rows: rows_in(&cm.gold, &compared.gold),
        });
    }
    let settings = cm.settings.clone();
    let (b, c) = rayon::join(
        || {
            grade_journal(
                &bm.dir,
                &bm.gold,
                &bm.variants,
                std::slice::from_ref(&base_target),
                &settings,
            )
        },
        || grade_journal(&cm.dir, &cm.gold, &cm.variants, &cand_targets, &cm.settings),
    );
    let cand_path = cm.dir.clone();
    let base_path = bm.dir.clone();
    let base = b.and_then(|(mut runs, facts)| {
        check_complete(&bm.dir, &bm.gold, &bm.variants, &facts)?;
        let g = runs.pop().expect("one target");
        Ok(RunFolder::build(
            bm,
            None,
            Some((cand_path, compared, g)),
            None,
            facts.unpriced,
        ))
    });
    let cand = c.and_then(|(mut runs, facts)| {
        check_complete(&cm.dir, &cm.gold, &cm.variants, &facts)?;
        let common = (!all_of_cand).then(|| (base_path, runs.pop().expect("two targets")));
        let own = runs.pop();
        Ok(RunFolder::build(cm, own, None, common, facts.unpriced))
    });
    (base, cand)
}

/// The gate's folders: the candidate, and the baseline when one is given (read with it by
/// [`load_pair`]).
pub(super) fn load_gate(
    cand: &Path,
    base: Option<&Path>,
) -> (Result<RunFolder>, Option<Result<RunFolder>>) {
    match base {
        Some(b) => {
            let (b, c) = load_pair(b, cand);
            (c, Some(b))
        }
        None => (load_run(cand), None),
    }
}

/// Whether a record of `variant` came back with usage but no price.
pub(super) fn unpriced(run: &RunFolder, variant: &str) -> bool {
    run.unpriced[run.index(variant)]
}

fn side_of<'a>(run: &RunFolder, g: &'a GradedRun, vi: usize) -> GradedSide<'a> {
    GradedSide {
        label: format!("{}:{}", run.label(), run.variants[vi].name),
        variant: &g.graded.variants[vi],
        report: &g.reports[vi],
        cost_per_1k: g.cost_per_1k[vi],
    }
}

/// A variant of a run paired with itself: its per-ticket data over the run's tickets.
pub(super) fn own_paired(run: &RunFolder, v: &ScoredVariant) -> Paired {
    let own = run.own.as_ref().expect("a run graded over its own tickets");
    let vi = run.index(&v.name);
    let side = side_of(run, own, vi);
    compare::paired_graded(&Compared::same_run(&own.gold), &side, &side)
}

/// run.json's pair index for variants `i` and `j` of one run (pairs i < j in order).
pub(super) fn pair_index(n: usize, i: usize, j: usize) -> (u64, bool) {
    let (a, b, swapped) = if i < j { (i, j, false) } else { (j, i, true) };
    let before: usize = (0..a).map(|x| n - 1 - x).sum();
    ((before + (b - a - 1)) as u64, swapped)
}

/// The comparison of `bv` of `base` with `cv` of `cand`, and their paired data; with
/// `deltas` false the comparison's per-field changes and intervals (its bootstraps) are left
/// out, for a caller that reads only the paired data.
pub(super) fn compare_pair(
    base: &RunFolder,
    bv: &ScoredVariant,
    cand: &RunFolder,
    cv: &ScoredVariant,
    deltas: bool,
) -> Result<(Comparison, Paired)> {
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
    let (bi, ci) = (base.index(&bv.name), cand.index(&cv.name));
    // Two variants of one folder, graded once.
    if let (true, Some(own)) = (base.dir == cand.dir, base.own.as_ref()) {
        return Ok(compare::compare_graded_with(
            &Compared::same_run(&own.gold),
            &side_of(base, own, bi),
            &side_of(cand, own, ci),
            &opts,
            deltas,
        ));
    }
    let lazy;
    let (compared, against) = match &base.against {
        Some((d, c, g)) if *d == cand.dir => (c, g),
        _ => {
            // Not read with this candidate: grade its journal on the compared tickets now.
            let compared = Compared::of(&base.gold, &cand.gold);
            let target = Target {
                gold: compared.gold.clone(),
                rows: rows_in(&base.gold, &compared.gold),
            };
            let (mut runs, _) = grade_journal(
                &base.dir,
                &base.gold,
                &base.variants,
                std::slice::from_ref(&target),
                &cand.settings,
            )?;
            lazy = (compared, runs.pop().expect("one target"));
            (&lazy.0, &lazy.1)
        }
    };
    let lazy_cand;
    let cand_run = match (&cand.common, &cand.own) {
        (Some((d, g)), _) if *d == base.dir => g,
        (_, Some(own)) if Arc::ptr_eq(&compared.gold, &own.gold) => own,
        _ => {
            let target = Target {
                gold: compared.gold.clone(),
                rows: rows_in(&cand.gold, &compared.gold),
            };
            let (mut runs, _) = grade_journal(
                &cand.dir,
                &cand.gold,
                &cand.variants,
                std::slice::from_ref(&target),
                &cand.settings,
            )?;
            lazy_cand = runs.pop().expect("one target");
            &lazy_cand
        }
    };
    Ok(compare::compare_graded_with(
        compared,
        &side_of(base, against, bi),
        &side_of(cand, cand_run, ci),
        &opts,
        deltas,
    ))
}

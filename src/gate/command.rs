//! The edges of `verdict compare` and `verdict gate`: read run folders, grade them, call the
//! pure [`crate::compare::compare`] and [`super::gate`], print and write the outputs.
//!
//! A run folder is graded from its own gold snapshot when it has one (`gold.jsonl` +
//! `snapshot.json`, run.json version 2); a version 1 folder is graded against the eval its
//! run.json names (`spec.eval_path`, resolved against `spec.cwd`), which must still exist.

use std::path::{Path, PathBuf};

use serde_json::Value;

use rayon::prelude::*;

use super::output;
use super::rules::RuleSet;
use super::{CandidateVariant, GateInput, GateOptions};
use crate::compare::{self, CompareOptions, Comparison, Paired, Side};
use crate::error::{display_path, Error, Result};
use crate::eval_log::PredictionRecord;
use crate::exit::Exit;
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
    fn label(&self) -> String {
        display_path(&self.dir)
    }

    fn variant(&self, name: &str) -> Result<&ScoredVariant> {
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
    let eval_path = if spec.eval_path.is_absolute() {
        spec.eval_path.clone()
    } else {
        spec.cwd.join(&spec.eval_path)
    };
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
fn unpriced(records: &[PredictionRecord], variant: &str) -> bool {
    records
        .iter()
        .any(|r| r.variant == variant && !r.cached && r.usage.is_some() && r.cost_usd.is_none())
}

fn side<'a>(run: &'a RunFolder, v: &'a ScoredVariant) -> Side<'a> {
    Side {
        label: format!("{}:{}", run.label(), v.name),
        gold: &run.gold,
        variant: v,
        records: &run.records,
    }
}

/// run.json's pair index for variants `i` and `j` of one run (pairs i < j in order).
fn pair_index(n: usize, i: usize, j: usize) -> (u64, bool) {
    let (a, b, swapped) = if i < j { (i, j, false) } else { (j, i, true) };
    let before: usize = (0..a).map(|x| n - 1 - x).sum();
    ((before + (b - a - 1)) as u64, swapped)
}

fn compare_pair(
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

/// Writes an output file whole.
fn write_file(path: &Path, text: &str) -> Result<()> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        if !parent.is_dir() {
            return Err(Error::Usage(format!(
                "cannot write {}: the folder {} does not exist",
                display_path(path),
                display_path(parent)
            )));
        }
    }
    crate::run_dir::write_atomic(path, text.as_bytes())
}

/// Appends to `$GITHUB_STEP_SUMMARY` when it is set.
fn step_summary(markdown: &str) -> Result<()> {
    let Some(path) = std::env::var_os("GITHUB_STEP_SUMMARY") else {
        return Ok(());
    };
    let path = PathBuf::from(path);
    use std::io::Write;
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .map_err(|e| Error::io(&path, e))?;
    f.write_all(markdown.as_bytes())
        .and_then(|_| f.write_all(b"\n"))
        .map_err(|e| Error::io(&path, e))
}

/// `verdict compare BASE CANDIDATE`.
pub fn compare_command(args: &crate::cli::CompareArgs) -> Result<Exit> {
    let (bdir, bvar) = split_run_arg(&args.baseline);
    let (cdir, cvar) = split_run_arg(&args.candidate);
    // Both folders read and graded side by side; the baseline's error first.
    let (base, cand) = rayon::join(
        || load_run(&bdir),
        || (cdir != bdir).then(|| load_run(&cdir)).transpose(),
    );
    let base = base?;
    let cand = cand?;
    let cand_ref = cand.as_ref().unwrap_or(&base);
    let pairs: Vec<(&ScoredVariant, &ScoredVariant)> = match (&bvar, &cvar) {
        (Some(b), Some(c)) => vec![(base.variant(b)?, cand_ref.variant(c)?)],
        (Some(b), None) => vec![(base.variant(b)?, cand_ref.variant(b)?)],
        (None, Some(c)) => vec![(base.variant(c)?, cand_ref.variant(c)?)],
        (None, None) => {
            if cand.is_none() {
                return Err(Error::Usage(
                    "comparing a run with itself needs two variants: RUN:BASELINE RUN:CANDIDATE"
                        .into(),
                ));
            }
            let p: Vec<_> = cand_ref
                .variants
                .iter()
                .filter_map(|c| {
                    base.variants
                        .iter()
                        .find(|b| b.name == c.name)
                        .map(|b| (b, c))
                })
                .collect();
            if p.is_empty() {
                return Err(Error::Usage(format!(
                    "{} and {} have no variant of the same name; name them: BASE:VARIANT CAND:VARIANT",
                    base.label(),
                    cand_ref.label()
                )));
            }
            p
        }
    };
    let comparisons: Vec<Comparison> = pairs
        .par_iter()
        .map(|(b, c)| compare_pair(&base, b, cand_ref, c).0)
        .collect();
    let md = || {
        comparisons
            .iter()
            .map(output::compare_markdown)
            .collect::<Vec<_>>()
            .join("\n")
    };
    let html = || {
        crate::report::html::compare::render_compare(
            &comparisons,
            env!("CARGO_PKG_VERSION"),
            &Default::default(),
        )
    };
    if let Some(path) = &args.markdown {
        write_file(path, &md())?;
    }
    if let Some(path) = &args.html {
        write_file(path, &html())?;
    }
    let text = match args.format {
        crate::cli::Format::Table => comparisons
            .iter()
            .map(output::compare_text)
            .collect::<Vec<_>>()
            .join("\n"),
        crate::cli::Format::Md => md(),
        crate::cli::Format::Html => html(),
        crate::cli::Format::Json => {
            let mut s = if comparisons.len() == 1 {
                serde_json::to_string_pretty(&comparisons[0])
            } else {
                serde_json::to_string_pretty(&comparisons)
            }
            .expect("serializes");
            s.push('\n');
            s
        }
    };
    crate::commands::print(&text)?;
    // The command ends here and the process with it: millions of records are not worth
    // freeing one by one.
    std::mem::forget(comparisons);
    std::mem::forget(base);
    std::mem::forget(cand);
    Ok(Exit::Ok)
}

/// The gate section of an eval file, if it has one, checked against the gold set's fields.
pub fn eval_rules(eval: &Path, fields: &[crate::gold::Field]) -> Result<Option<RuleSet>> {
    let mut c = crate::config::check::Checker::new(eval);
    let Ok(text) = std::fs::read_to_string(eval) else {
        return Ok(None);
    };
    let Some(node) = crate::config::source::parse_yaml(&text, &mut c) else {
        return Err(Error::Invalid(c.diags));
    };
    let crate::yaml::Value::Map(entries) = &node.value else {
        return Ok(None);
    };
    let Some((_, g)) = entries.iter().find(|(k, _)| k.as_str() == Some("gate")) else {
        return Ok(None);
    };
    match super::rules::read_gate(&mut c, g, "gate", Some(fields)) {
        Some(set) if c.diags.is_empty() => Ok(Some(set)),
        _ => Err(Error::Invalid(c.diags)),
    }
}

/// `verdict gate RUN [--baseline RUN] [--rules FILE]`.
pub fn gate_command(args: &crate::cli::GateArgs) -> Result<Exit> {
    // The baseline (when one is given) is read and graded beside the candidate; its errors
    // still come after the candidate's and the rules'.
    let (cand, base_loaded) = rayon::join(
        || load_run(&args.run),
        || match &args.baseline {
            Some(dir) if dir.exists() => Some(load_run(dir)),
            _ => None,
        },
    );
    let cand = cand?;
    let mut base_loaded = base_loaded;
    let set = match &args.rules {
        Some(path) => super::rules::load_rules_file(path, Some(&cand.gold.fields))?,
        None if cand.rules.is_some() => cand.rules.clone().expect("checked"),
        None => match cand.eval_path.as_deref() {
            Some(eval) => eval_rules(eval, &cand.gold.fields)?.ok_or_else(|| {
                Error::Usage(format!(
                    "no gate rules: the eval {} has no `gate:` section; add one or pass --rules FILE (see docs/gate.md)",
                    display_path(eval)
                ))
            })?,
            None => {
                return Err(Error::Usage(
                    "no gate rules: pass --rules FILE (see docs/gate.md)".into(),
                ))
            }
        },
    };
    // Which candidate variants.
    for v in &args.variants {
        cand.variant(v)?;
    }
    let selected: Vec<&ScoredVariant> = cand
        .variants
        .iter()
        .filter(|v| args.variants.is_empty() || args.variants.contains(&v.name))
        .collect();
    // The baseline.
    let needs_baseline = set.rules.iter().any(|r| r.kind.is_regression());
    let (base, skipped) = match &args.baseline {
        Some(dir) if !dir.exists() && args.baseline_optional => (
            None,
            Some(format!("baseline folder {} does not exist", display_path(dir))),
        ),
        Some(dir) if !dir.exists() => {
            return Err(Error::Usage(format!(
                "the baseline folder {} does not exist (pass --baseline-optional to gate without it, skipping regression rules)",
                display_path(dir)
            )))
        }
        Some(dir) => (
            Some(match base_loaded.take() {
                Some(loaded) => loaded?,
                None => load_run(dir)?,
            }),
            None,
        ),
        None if needs_baseline && args.baseline_optional => {
            (None, Some("no --baseline given".to_string()))
        }
        None if needs_baseline => {
            return Err(Error::Usage(
                "the gate has rules against a baseline (max_drop, significant_drop); pass --baseline RUN, or --baseline-optional to skip them".into(),
            ))
        }
        None => (None, None),
    };
    let opts = GateOptions {
        inconclusive_passes: args.inconclusive == crate::cli::Inconclusive::Pass,
    };
    let report = gate_run(
        &cand,
        &set,
        &selected,
        base.as_ref(),
        skipped,
        &args.pairs,
        &opts,
    )?;
    let markdown = output::gate_markdown(&report);
    if let Some(path) = &args.junit {
        write_file(path, &output::gate_junit(&report))?;
    }
    if let Some(path) = &args.markdown {
        write_file(path, &markdown)?;
    }
    step_summary(&markdown)?;
    let text = match args.format {
        crate::cli::Format::Table => output::gate_text(&report),
        crate::cli::Format::Md => markdown,
        crate::cli::Format::Json => output::gate_json(&report),
        crate::cli::Format::Html => return Err(no_html("gate")),
    };
    crate::commands::print(&text)?;
    let passed = report.passed;
    // As in compare: the records are not freed one by one at the end of the process.
    std::mem::forget(report);
    std::mem::forget(base);
    std::mem::forget(cand);
    Ok(if passed { Exit::Ok } else { Exit::GateFailed })
}

/// Gates the `selected` variants of a graded run with `set`, against `base` when given
/// (`skipped` says why regression rules are skipped without one); `pairs_args` are the
/// `--pair BASE=CAND` arguments.
fn gate_run(
    cand: &RunFolder,
    set: &RuleSet,
    selected: &[&ScoredVariant],
    base: Option<&RunFolder>,
    skipped: Option<String>,
    pairs_args: &[String],
    opts: &GateOptions,
) -> Result<super::GateReport> {
    // Pairing: by name, or --pair BASE=CAND.
    let mut pairs: Vec<(String, String)> = Vec::new();
    for p in pairs_args {
        let Some((b, c)) = p.split_once('=') else {
            return Err(Error::Usage(format!(
                "--pair {p:?}: expected BASE=CAND (a baseline variant and a candidate variant)"
            )));
        };
        pairs.push((b.to_string(), c.to_string()));
    }
    if let Some(base) = base {
        for (b, c) in &pairs {
            base.variant(b)?;
            cand.variant(c)?;
        }
    }
    // A variant paired with itself: only its per-ticket data is used (no intervals).
    let own: Vec<Paired> = selected
        .par_iter()
        .map(|v| compare::paired(&side(cand, v), &side(cand, v), &cand.settings))
        .collect();
    let paired: Vec<Option<(String, Comparison, Paired)>> = selected
        .par_iter()
        .map(|v| {
            let base = base?;
            let bname = pairs
                .iter()
                .find(|(_, c)| c == &v.name)
                .map(|(b, _)| b.clone())
                .unwrap_or_else(|| v.name.clone());
            let bv = base.variants.iter().find(|x| x.name == bname)?;
            let (c, p) = compare_pair(base, bv, cand, v);
            Some((bname, c, p))
        })
        .collect();
    let variants: Vec<CandidateVariant> = selected
        .iter()
        .enumerate()
        .map(|(i, v)| CandidateVariant {
            name: v.name.clone(),
            report: cand
                .report
                .variants
                .iter()
                .find(|r| r.name == v.name)
                .expect("scored"),
            own: &own[i],
            unpriced: unpriced(&cand.records, &v.name),
            pair: paired[i].as_ref().map(|(b, c, p)| (b.clone(), c, p)),
        })
        .collect();
    let input = GateInput {
        candidate: cand.label(),
        baseline: base.map(RunFolder::label),
        baseline_skipped: skipped,
        fields: &cand.gold.fields,
        variants,
    };
    super::gate(&input, set, opts).map_err(Error::Usage)
}

/// The summary's gate line per variant: the verdict of the eval's `gate:` rules on a finished
/// run folder, without a baseline (its regression rules are skipped and the line says so).
/// Empty when the eval has no rules or can no longer be read with the folder.
pub fn summary_gate_lines(dir: &Path) -> std::collections::BTreeMap<String, String> {
    let mut lines = std::collections::BTreeMap::new();
    // Grading a big run takes seconds: only when there are rules to evaluate.
    if !may_have_rules(dir) {
        return lines;
    }
    let Ok(run) = load_run(dir) else {
        return lines;
    };
    let set = match (&run.rules, run.eval_path.as_deref()) {
        (Some(set), _) => set.clone(),
        (None, None) => return lines,
        (None, Some(eval)) => match eval_rules(eval, &run.gold.fields) {
            Ok(Some(set)) => set,
            Ok(None) => return lines,
            Err(_) => {
                for v in &run.variants {
                    lines.insert(
                        v.name.clone(),
                        format!(
                            "not evaluated: the `gate:` section of {} has errors (`verdict validate` shows them)",
                            display_path(eval)
                        ),
                    );
                }
                return lines;
            }
        },
    };
    let skipped = set
        .rules
        .iter()
        .any(|r| r.kind.is_regression())
        .then(|| "none in a run's own report".to_string());
    let all: Vec<&ScoredVariant> = run.variants.iter().collect();
    let report = match gate_run(
        &run,
        &set,
        &all,
        None,
        skipped,
        &[],
        &GateOptions::default(),
    ) {
        Ok(r) => r,
        Err(e) => {
            for v in &run.variants {
                lines.insert(v.name.clone(), format!("not evaluated: {e}"));
            }
            return lines;
        }
    };
    for v in &run.variants {
        let checks: Vec<&super::Check> = report
            .checks
            .iter()
            .filter(|c| c.variant == v.name)
            .collect();
        lines.insert(v.name.clone(), gate_line(&checks));
    }
    lines
}

/// Whether a run folder has gate rules of its own, found without reading its journal: its
/// snapshot's `gate`, or (a folder whose snapshot predates stored rules, or a version 1 folder)
/// a `gate:` section in the eval file run.json names. False only when neither can have rules.
fn may_have_rules(dir: &Path) -> bool {
    #[derive(serde::Deserialize)]
    struct SnapshotGate {
        #[serde(default)]
        gate: Option<serde::de::IgnoredAny>,
    }
    let snapshot = std::fs::read_to_string(dir.join(crate::run_dir::SNAPSHOT_JSON))
        .ok()
        .and_then(|t| serde_json::from_str::<SnapshotGate>(&t).ok());
    if snapshot.is_some_and(|s| s.gate.is_some()) {
        return true;
    }
    let Ok(text) = crate::run_dir::read_run_json(dir) else {
        return false;
    };
    let Ok(doc) = serde_json::from_str::<Value>(&text) else {
        return false;
    };
    let Ok(spec) = serde_json::from_value::<crate::run_dir::RunSpec>(doc["spec"].clone()) else {
        return false;
    };
    let eval = if spec.eval_path.is_absolute() {
        spec.eval_path.clone()
    } else {
        spec.cwd.join(&spec.eval_path)
    };
    let Ok(text) = std::fs::read_to_string(&eval) else {
        return false;
    };
    let mut c = crate::config::check::Checker::new(&eval);
    match crate::config::source::parse_yaml(&text, &mut c) {
        // A file that does not parse: the gate line says its `gate:` has errors.
        None => true,
        Some(node) => match &node.value {
            crate::yaml::Value::Map(entries) => {
                entries.iter().any(|(k, _)| k.as_str() == Some("gate"))
            }
            _ => false,
        },
    }
}

/// One variant's checks in a line: "fails 1 of the eval's 4 gate rules (intent accuracy
/// floor); 3 rules against a baseline need `verdict gate RUN --baseline BASE`".
fn gate_line(all: &[&super::Check]) -> String {
    use super::Status;
    let plural = |k: usize, w: &str| format!("{k} {w}{}", if k == 1 { "" } else { "s" });
    let against_baseline =
        |c: &&&super::Check| matches!(c.kind.as_str(), "tolerance" | "significance");
    let regression = all
        .iter()
        .filter(|c| c.status == Status::NotEvaluable && against_baseline(c))
        .count();
    let not_evaluable = all
        .iter()
        .filter(|c| c.status == Status::NotEvaluable && !against_baseline(c))
        .count();
    let checks: Vec<&super::Check> = all
        .iter()
        .copied()
        .filter(|c| c.status != Status::NotEvaluable)
        .collect();
    let count = |s: Status| checks.iter().filter(|c| c.status == s).count();
    let mut failing: Vec<&str> = Vec::new();
    for c in checks.iter().filter(|c| c.fails_gate) {
        if !failing.contains(&c.rule.as_str()) {
            failing.push(&c.rule);
        }
    }
    let n = checks.len();
    let mut line = if n == 0 {
        "no rule of the eval's gate applies without a baseline".to_string()
    } else if failing.is_empty() {
        format!("passes the eval's {}", plural(n, "gate rule"))
    } else {
        format!(
            "fails {} of the eval's {} ({})",
            checks.iter().filter(|c| c.fails_gate).count(),
            plural(n, "gate rule"),
            failing.join(", ")
        )
    };
    let warned = count(Status::Warn);
    if warned > 0 {
        line.push_str(&format!(", {}", plural(warned, "warning")));
    }
    if not_evaluable > 0 {
        line.push_str(&format!(", {not_evaluable} not evaluable"));
    }
    if regression > 0 {
        line.push_str(&format!(
            "; {} against a baseline need `verdict gate RUN --baseline BASE`",
            plural(regression, "rule")
        ));
    }
    line
}

/// `verdict gate` prints text, Markdown or JSON; the pages are the run's report.html and
/// `verdict compare --format html`.
fn no_html(command: &str) -> Error {
    Error::Usage(format!(
        "`verdict {command}` has no HTML format: use --format table, md or json (the HTML report of each run is its report.html; `verdict compare BASE CAND --format html` draws the comparison)"
    ))
}

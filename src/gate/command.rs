//! The edges of `verdict compare` and `verdict gate`: read run folders, grade them, call the
//! pure [`crate::compare::compare`] and [`super::gate`], print and write the outputs.
//!
//! A run folder is graded from its own gold snapshot when it has one (`gold.jsonl` +
//! `snapshot.json`, run.json version 2); a version 1 folder is graded against the eval its
//! run.json names (`spec.eval_path`, resolved against `spec.cwd`), which must still exist.

use std::path::{Path, PathBuf};

use rayon::prelude::*;

pub use super::folder::split_run_arg;
use super::folder::{
    compare_pair, load_gate, load_pair, load_run, own_paired, unpriced, RunFolder,
};
use super::output;
use super::rules::RuleSet;
use super::{CandidateVariant, GateInput, GateOptions};
use crate::compare::{Comparison, Paired};
use crate::error::{display_path, Error, Result};
use crate::exit::Exit;
use crate::report::Format;
use crate::score::ScoredVariant;

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

/// `verdict compare BASE CANDIDATE`: its options as plain values.
#[derive(Debug, Clone)]
pub struct CompareCommand {
    /// The baseline: a run folder, or RUN:VARIANT.
    pub baseline: String,
    /// The candidate: a run folder, or RUN:VARIANT (graded against its gold set).
    pub candidate: String,
    /// What to print: table, markdown, JSON or HTML.
    pub format: Format,
    /// Also write the comparison as GitHub markdown to this file.
    pub markdown: Option<PathBuf>,
    /// Also write it as one self-contained HTML page to this file.
    pub html: Option<PathBuf>,
}

/// `verdict compare BASE CANDIDATE`.
pub fn compare_command(args: &CompareCommand) -> Result<Exit> {
    let (bdir, bvar) = split_run_arg(&args.baseline);
    let (cdir, cvar) = split_run_arg(&args.candidate);
    // Both folders read and graded side by side; the baseline's error first.
    let (base, cand) = if cdir != bdir {
        let (b, c) = load_pair(&bdir, &cdir);
        (b, c.map(Some))
    } else {
        (load_run(&bdir), Ok(None))
    };
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
        .map(|(b, c)| compare_pair(&base, b, cand_ref, c, true).map(|p| p.0))
        .collect::<Result<_>>()?;
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
        Format::Table => comparisons
            .iter()
            .map(output::compare_text)
            .collect::<Vec<_>>()
            .join("\n"),
        Format::Markdown => md(),
        Format::Html => html(),
        Format::Csv => return Err(no_format("compare", "csv", "table, md, json or html")),
        Format::Json => {
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

/// `verdict gate RUN`: its options as plain values.
#[derive(Debug, Clone)]
pub struct GateCommand {
    /// The run folder to gate.
    pub run: PathBuf,
    /// The run folder to compare against (regression rules).
    pub baseline: Option<PathBuf>,
    /// Gate without a baseline when its folder is missing, skipping regression rules.
    pub baseline_optional: bool,
    /// The rules file (default: the eval's `gate:` section as the run recorded it).
    pub rules: Option<PathBuf>,
    /// Gate only these candidate variants (all when empty).
    pub variants: Vec<String>,
    /// `BASE=CAND` pairs of differently named variants.
    pub pairs: Vec<String>,
    /// An INCONCLUSIVE significance rule passes the gate (default: it fails it).
    pub inconclusive_passes: bool,
    /// Write a JUnit XML report here.
    pub junit: Option<PathBuf>,
    /// Write the result as GitHub markdown here.
    pub markdown: Option<PathBuf>,
    /// What to print: table, markdown or JSON.
    pub format: Format,
}

/// `verdict gate RUN [--baseline RUN] [--rules FILE]`.
pub fn gate_command(args: &GateCommand) -> Result<Exit> {
    // The baseline (when one is given) is read and graded beside the candidate; its errors
    // still come after the candidate's and the rules'.
    let (cand, base_loaded) = load_gate(
        &args.run,
        args.baseline.as_deref().filter(|dir| dir.exists()),
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
        inconclusive_passes: args.inconclusive_passes,
        // The comparisons (and their bootstraps) show only in the JSON report.
        comparisons: args.format == Format::Json,
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
        Format::Table => output::gate_text(&report),
        Format::Markdown => markdown,
        Format::Json => output::gate_json(&report),
        Format::Html => return Err(no_html("gate")),
        Format::Csv => return Err(no_format("gate", "csv", "table, md or json")),
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
pub(super) fn gate_run(
    cand: &RunFolder,
    set: &RuleSet,
    selected: &[&ScoredVariant],
    base: Option<&RunFolder>,
    skipped: Option<String>,
    pairs_args: &[String],
    opts: &GateOptions,
) -> Result<super::GateReport> {
    let comparisons = opts.comparisons;
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
    let own: Vec<Paired> = selected.par_iter().map(|v| own_paired(cand, v)).collect();
    let paired: Vec<Option<(String, Comparison, Paired)>> = selected
        .par_iter()
        .map(|v| {
            let Some(base) = base else {
                return Ok(None);
            };
            let bname = pairs
                .iter()
                .find(|(_, c)| c == &v.name)
                .map(|(b, _)| b.clone())
                .unwrap_or_else(|| v.name.clone());
            let Some(bv) = base.variants.iter().find(|x| x.name == bname) else {
                return Ok(None);
            };
            compare_pair(base, bv, cand, v, comparisons).map(|(c, p)| Some((bname, c, p)))
        })
        .collect::<Result<_>>()?;
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
            unpriced: unpriced(cand, &v.name),
            pair: paired[i]
                .as_ref()
                .map(|(b, c, p)| (b.clone(), comparisons.then_some(c), p)),
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

/// `verdict gate` prints text, Markdown or JSON; the pages are the run's report.html and
/// `verdict compare --format html`.
fn no_html(command: &str) -> Error {
    Error::Usage(format!(
        "`verdict {command}` has no HTML format: use --format table, md or json (the HTML report of each run is its report.html; `verdict compare BASE CAND --format html` draws the comparison)"
    ))
}

/// A format the command line does not offer for `command` (the library's `Format` has more
/// values than compare and gate print).
fn no_format(command: &str, format: &str, valid: &str) -> Error {
    Error::Usage(format!(
        "`verdict {command}` has no {format} format: use --format {valid}"
    ))
}

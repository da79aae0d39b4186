//! The commands that read what a run folder or a predictions file holds and print it:
//! `verdict score` (`score.rs`), `verdict report` (`report.rs`) and `verdict run --dry-run`
//! (`dry_run.rs`); here what they and the run share: how output is chosen and printed
//! ([`OutputChoice`], [`print`]), extra formats saved into a run folder, the errors block.
//! The pure scoring they call lives in [`crate::score`]; the folder itself is read through
//! [`crate::run_dir`].

use std::path::Path;

use crate::config::Eval;
use crate::error::{Error, Result};
use crate::eval_log::PredictionRecord;
use crate::report::{Format, Layout, Output, RunMeta, RunView};
use crate::run_dir::RunSpec;
use crate::score::{score, RunReport, ScoreSettings, ScoredVariant};

mod dry_run;
mod report;
mod score;

pub use dry_run::dry_run;
pub use report::report_command;
pub use score::{check_known_tickets, score_command, ScoreCommand};

/// Scores every variant of a run on the first `n_tickets` tickets (repeat 0).
pub fn score_run(
    eval: &Eval,
    spec: &RunSpec,
    records: &[PredictionRecord],
    n_tickets: usize,
) -> RunReport {
    let variants: Vec<ScoredVariant> = spec.scored_variants();
    score(
        &eval.gold,
        &score_settings(eval),
        &variants,
        records,
        n_tickets,
    )
}

/// A run's heading: eval, run id, start, git revision and verdict version.
pub fn run_meta(spec: &RunSpec) -> RunMeta {
    RunMeta {
        eval_name: spec.eval_name.clone(),
        run_id: spec.run_id.clone(),
        started_at: spec.started_at.clone(),
        git_rev: spec.git_rev.clone(),
        verdict_version: spec.verdict_version.clone(),
        gate: Default::default(),
    }
}

/// The gold tickets of a finished run, from its own snapshot (`gold.jsonl`), so a run folder
/// downloaded from CI shows them without the project; `Err` says why they cannot be shown.
pub fn run_tickets(dir: &Path) -> std::result::Result<Vec<crate::gold::Ticket>, String> {
    match crate::run_dir::gold_fast::read_snapshot_owned(dir) {
        Ok((_, gold)) => Ok(gold.tickets),
        Err(e) => Err(format!("The tickets are not shown: {e}.")),
    }
}

/// Renders a run in the first of `output`'s formats and prints it.
pub fn print_run(
    meta: &RunMeta,
    report: &RunReport,
    tickets: std::result::Result<&[crate::gold::Ticket], String>,
    records: &[PredictionRecord],
    output: &Output,
) -> Result<()> {
    let (tickets, missing) = match tickets {
        Ok(t) => (Some(t), None),
        Err(why) => (None, Some(why)),
    };
    let view = RunView {
        meta,
        report,
        tickets,
        tickets_missing: missing.as_deref(),
        records,
        answers: None,
    };
    let (first, _) = output.split()?;
    let bytes = first.exporter(output.layout).export_run(&view)?;
    print_bytes(&bytes)
}

/// Writes `formats` into the run folder as `report.<ext>` (`--format table,md,json` prints
/// the table and saves report.md and report.json); returns the paths written.
pub fn save_formats(
    dir: &Path,
    view: &RunView<'_>,
    formats: &[crate::report::Format],
    layout: crate::report::Layout,
) -> Result<Vec<std::path::PathBuf>> {
    let mut written = Vec::new();
    // A saved report is whole: --quiet shortens what is printed, not the files.
    let layout = crate::report::Layout {
        quiet: false,
        ..layout
    };
    for f in formats {
        let exporter = f.exporter(layout);
        let path = dir.join(format!("report.{}", exporter.extension()));
        crate::run_dir::write_atomic(&path, &exporter.export_run(view)?)?;
        written.push(path);
    }
    Ok(written)
}

/// Prints a report in the requested format (the first of a list).
pub fn print_report(
    report: &RunReport,
    output: &Output,
    gate: std::collections::BTreeMap<String, String>,
) -> Result<()> {
    if !output.split()?.1.is_empty() {
        return Err(Error::Usage(
            "`verdict score` prints one format and writes no file: give --format one of table, md, json, html".into(),
        ));
    }
    // The HTML page always has a title; the text formats have none without a run.
    let meta = if output.formats.first() == Some(&crate::report::Format::Html) {
        RunMeta {
            eval_name: "verdict score".into(),
            verdict_version: env!("CARGO_PKG_VERSION").into(),
            gate,
            ..Default::default()
        }
    } else {
        RunMeta {
            gate,
            ..Default::default()
        }
    };
    print_run(
        &meta,
        report,
        Err("The tickets are shown in the report of a run folder (`verdict report RUN --format html`).".into()),
        &[],
        output,
    )
}

/// How a command prints: `--format` (a list: the first is printed, a run or report saves the
/// others into its folder), `--width`, `--quiet`, `--all`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputChoice {
    /// At least one format; the first is printed.
    pub formats: Vec<Format>,
    /// Fit tables to this many columns (default: the terminal's width; never cut when piped).
    pub width: Option<u16>,
    /// The summary only.
    pub quiet: bool,
    /// Every category in the per-category tables.
    pub all: bool,
}

impl Default for OutputChoice {
    /// Tables, at the terminal's width, in full.
    fn default() -> Self {
        OutputChoice {
            formats: vec![Format::Table],
            width: None,
            quiet: false,
            all: false,
        }
    }
}

impl OutputChoice {
    /// The library's [`Output`]: the formats and the layout for this terminal.
    pub fn output(&self) -> Output {
        Output {
            formats: self.formats.clone(),
            layout: Layout {
                width: terminal_width(self.width.map(usize::from)),
                ..Layout::default()
            },
        }
        .shown(self.quiet, self.all)
    }
}

/// The columns the terminal format may use: `--width N`, else on a terminal `COLUMNS` or
/// the terminal's width; piped output gets no limit, so nothing is ever cut in a file.
fn terminal_width(flag: Option<usize>) -> Option<usize> {
    use std::io::IsTerminal;
    if flag.is_some() {
        return flag;
    }
    if !std::io::stdout().is_terminal() {
        return None;
    }
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse::<usize>().ok())
        .filter(|&c| c > 0)
        .or_else(|| comfy_table::Table::new().width().map(usize::from))
}

/// How many distinct error messages per variant are printed to stderr before the tables
/// (all of them are in `--format json` and run.json).
pub const PRINTED_ERRORS: usize = 3;

/// Prints, to stderr, the most frequent error messages of each variant whose records
/// failed, with counts, so a run where requests fail says so before its tables.
pub fn print_errors(report: &RunReport) {
    let mut text = String::new();
    for v in &report.variants {
        if v.errors.is_empty() {
            continue;
        }
        let failed: usize = v.errors.iter().map(|e| e.count).sum::<usize>() + v.errors_other;
        text.push_str(&format!(
            "{}: {failed} record{} not ok:\n",
            v.name,
            if failed == 1 { "" } else { "s" }
        ));
        for e in v.errors.iter().take(PRINTED_ERRORS) {
            text.push_str(&format!(
                "  {:>6} x {}: {}\n",
                e.count, e.outcome, e.message
            ));
        }
        let more = v.errors.len().saturating_sub(PRINTED_ERRORS);
        if more > 0 || v.errors_other > 0 {
            text.push_str("  ... and more (every message: --format json, or run.json)\n");
        }
    }
    if !text.is_empty() {
        eprint!("{text}");
    }
}

/// Why a run failed as a whole: an LLM variant every request of which failed (no response
/// at all), or a provider that could not be reached. `None` when neither happened.
pub fn failed_variants(eval: &Eval, records: &[PredictionRecord]) -> Option<String> {
    use crate::eval_log::Outcome;
    let mut reasons = Vec::new();
    for v in &eval.variants {
        if !matches!(v.spec, crate::variant::VariantSpec::Llm(_)) {
            continue;
        }
        let recs: Vec<&PredictionRecord> = records.iter().filter(|r| r.variant == v.name).collect();
        if recs.is_empty() {
            continue;
        }
        if recs.iter().all(|r| r.outcome == Outcome::ProviderError) {
            reasons.push(format!("every request of variant {:?} failed", v.name));
        } else if recs.iter().any(|r| {
            r.outcome == Outcome::ProviderError
                && r.error
                    .as_deref()
                    .is_some_and(|e| e.contains("connection failed"))
        }) {
            reasons.push(format!(
                "the provider of variant {:?} could not be reached for some requests",
                v.name
            ));
        }
    }
    (!reasons.is_empty()).then(|| reasons.join("; "))
}

/// What an eval says about scoring: its calibration and routing settings and the seed.
pub fn score_settings(eval: &crate::config::Eval) -> ScoreSettings {
    ScoreSettings {
        calibration: eval.calibration.clone(),
        routing: eval.routing.clone(),
        seed: eval.run.seed,
    }
}

/// Writes to stdout; a closed pipe (`verdict run ... | head`) is [`Error::StdoutClosed`],
/// which `main` ends quietly with exit 0.
pub fn print(text: &str) -> Result<()> {
    print_bytes(text.as_bytes())
}

/// Writes bytes to stdout (see [`print`]).
pub fn print_bytes(bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    match out.write_all(bytes).and_then(|_| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Err(Error::StdoutClosed),
        Err(e) => Err(Error::io(Path::new("<stdout>"), e)),
    }
}

//! The commands that read what a run folder or a predictions file holds and print it:
//! `verdict score`, `verdict report` and `verdict run --dry-run`. The pure scoring they call
//! lives in [`crate::score`]; the folder itself is read through [`crate::run_dir`].

use std::path::{Path, PathBuf};

use crate::config::Eval;
use crate::error::{Error, Result};
use crate::eval_log::{PredictionRecord, RunSpec};
use crate::exit::Exit;
use crate::gold::{FieldKind, GoldSet};
use crate::report::{Format, Layout, Output, PlanRow, PlanView, RunMeta, RunView};
use crate::run_dir::RunDoc;
use crate::score::{score, RunReport, ScoreSettings, ScoredVariant};

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
    match crate::run_dir::read_snapshot(dir) {
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

/// `verdict run --dry-run`: what the run would send, and roughly what it would cost, without
/// calling anything or needing an API key.
///
/// Per variant: the requests left (tickets x repeats not yet journaled; cache hits are not
/// subtracted), input tokens estimated from each exact request body
/// ([`crate::provider::estimate_input_tokens`], about +-30%), and output tokens as their upper
/// bound, `max_tokens` per request (a forced tool call usually needs far fewer), so the cost
/// column is the input estimate plus the most the output can cost.
pub fn dry_run(eval: &Eval, plans: &[crate::runner::VariantPlan], output: &Output) -> Result<Exit> {
    use crate::variant::VariantSpec;
    let mut rows = Vec::new();
    for plan in plans {
        let (v, jobs, already) = (&eval.variants[plan.variant], &plan.jobs, &plan.already_done);
        let row = match &v.spec {
            VariantSpec::Local(_) => PlanRow {
                variant: v.name.clone(),
                provider: v.provider.name().to_string(),
                model: None,
                offline: true,
                requests: jobs.len(),
                already_done: *already,
                input_tokens_est: 0,
                output_tokens_max: 0,
                cost_usd_max: Some(0.0),
            },
            VariantSpec::Llm(spec) => {
                let wire = crate::provider::wire_format(v.provider)
                    .map_err(|e| crate::error::Error::Usage(format!("variant {}: {e}", v.name)))?;
                let input: u64 = jobs
                    .iter()
                    .map(|j| {
                        let t = &eval.gold.tickets[j.ticket];
                        let body = wire.request_body(spec, &t.text, &t.id, &t.tags);
                        crate::provider::estimate_input_tokens(&body)
                    })
                    .sum();
                let output = spec.max_tokens as u64 * jobs.len() as u64;
                let cost = crate::provider::price_for(&spec.model, &eval.prices).map(|p| {
                    crate::provider::cost_usd(
                        &p,
                        &crate::eval_log::Usage {
                            input_tokens: input,
                            output_tokens: output,
                            ..Default::default()
                        },
                    )
                });
                PlanRow {
                    variant: v.name.clone(),
                    provider: v.provider.name().to_string(),
                    model: Some(spec.model.clone()),
                    offline: false,
                    requests: jobs.len(),
                    already_done: *already,
                    input_tokens_est: input,
                    output_tokens_max: output,
                    cost_usd_max: cost,
                }
            }
        };
        rows.push(row);
    }
    let plan = PlanView::new(rows);
    let (first, _) = output.split()?;
    let bytes = first.exporter(output.layout).export_plan(&plan)?;
    print_bytes(&bytes)?;
    Ok(Exit::Ok)
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
    let (gold, settings) = if is_eval {
        let eval = crate::config::load_eval(gold_path)?;
        let settings = score_settings(&eval);
        (eval.gold, settings)
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
        (gold, settings)
    };
    // One streaming pass: each line is parsed, graded and dropped.
    let graded = crate::predictions::grade_file(predictions, &gold)?;
    let report = crate::score::summarize(&graded, &settings);
    // The command ends here: freeing a million tickets and graded columns piece by piece
    // (about a quarter of a second at 1M x 3) is left to the process exit.
    std::mem::forget(graded);
    std::mem::forget(gold);
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
    let (snapshot, gold) = crate::run_dir::read_snapshot(dir)?;
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
    let raw = crate::eval_log::read_journal(&journal)?;
    check_known_tickets(&journal, &raw, &gold, doc.spec.repeats)?;
    let records = crate::eval_log::dedup_latest(raw);
    if doc.status != "complete" {
        let expected = gold.tickets.len() * snapshot.variants.len() * snapshot.run.repeats as usize;
        eprintln!(
            "note: {} is not finished ({} of {expected} classifications journaled); the rest count as missing",
            crate::error::display_path(dir),
            records.len().min(expected),
        );
    }
    let variants: Vec<ScoredVariant> = doc.spec.scored_variants();
    let report = score(&gold, &settings, &variants, &records, gold.tickets.len());
    print_errors(&report);
    print_report(&report, output, gate)?;
    Ok(Exit::Ok)
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

/// `verdict report RUN`: renders a saved run again; with `--tickets`, lists its tickets.
/// `gate` is the summary's gate line per variant (the eval's rules on the folder, computed
/// by the caller).
pub fn report_command(
    dir: &Path,
    output: &Output,
    tickets: Option<&crate::report::tickets::Query>,
    gate: std::collections::BTreeMap<String, String>,
) -> Result<Exit> {
    let doc: RunDoc = crate::run_dir::open(dir, crate::run_dir::Need::StoredMetrics)?;
    let Some(report) = doc.metrics else {
        return Err(Error::Usage(format!(
            "{} is not finished; finish it with `verdict run --resume {}`, or grade what it holds with `verdict score {}`",
            crate::error::display_path(dir),
            crate::error::display_path(dir),
            crate::error::display_path(dir)
        )));
    };
    if let Some(query) = tickets {
        return report_tickets(dir, &doc.spec, &report, query, output);
    }
    // Only the HTML page shows the tickets and answers; the text formats need neither. The
    // journal is read in chunks straight into compact answers: a million records never
    // exist at once.
    let html = output.formats.contains(&crate::report::Format::Html);
    let loaded = if html {
        run_tickets(dir)
    } else {
        Err(String::new())
    };
    let answers = match &loaded {
        Ok(t) => {
            let keyer = crate::report::html::tickets::Keyer::new(&report, t);
            let keyed =
                crate::eval_log::read_journal_answers_into(&dir.join("predictions.jsonl"), |r| {
                    keyer.keyed(&r)
                })?;
            Some(crate::report::html::tickets::Answers::new(
                keyer.n_variants(),
                keyer.n_tickets(),
                keyed,
            ))
        }
        Err(_) => None,
    };
    let meta = RunMeta {
        gate,
        ..run_meta(&doc.spec)
    };
    let (tickets, missing) = match (&loaded, html) {
        (Ok(t), _) => (Some(t.as_slice()), None),
        (Err(why), true) => (None, Some(why.as_str())),
        (Err(_), false) => (None, None),
    };
    let view = RunView {
        meta: &meta,
        report: &report,
        tickets,
        tickets_missing: missing,
        records: &[],
        answers: answers.as_ref(),
    };
    let (first, rest) = output.split()?;
    print_bytes(&first.exporter(output.layout).export_run(&view)?)?;
    for path in save_formats(dir, &view, &rest, output.layout)? {
        eprintln!("wrote {}", crate::error::display_path(&path));
    }
    // The command ends here and the process with it: half a million tickets and a million
    // answers are not worth freeing one by one.
    std::mem::forget(answers);
    std::mem::forget(loaded);
    Ok(Exit::Ok)
}

/// Tickets a table or Markdown lists without `--limit`.
pub const TICKETS_SHOWN: usize = 50;

/// `verdict report RUN --tickets ...`: the tickets of the run folder's own snapshot
/// (gold.jsonl) and journal, so a copied run folder lists them too; one format, printed.
fn report_tickets(
    dir: &Path,
    spec: &RunSpec,
    report: &RunReport,
    query: &crate::report::tickets::Query,
    output: &Output,
) -> Result<Exit> {
    use crate::report::{markdown, terminal, tickets};
    let (format, rest) = output.split()?;
    if !rest.is_empty() {
        return Err(Error::Usage(
            "--tickets prints one format and saves none: give --format one of table, md, json, csv"
                .into(),
        ));
    }
    if format == Format::Html {
        return Err(Error::Usage(
            "--tickets prints table, md, json or csv; the HTML page (`verdict report RUN --format html`) has its own ticket table".into(),
        ));
    }
    let (_, gold) = crate::run_dir::read_snapshot(dir)?;
    let records = crate::eval_log::dedup_latest(crate::eval_log::read_journal(
        &dir.join(crate::run_dir::PREDICTIONS_JSONL),
    )?);
    let mut query = query.clone();
    if query.limit.is_none() && matches!(format, Format::Table | Format::Markdown) {
        query.limit = Some(TICKETS_SHOWN);
    }
    let list = tickets::select(
        &tickets::Source::of_run(report, &gold.tickets, &records),
        &query,
    )?;
    let doc = || {
        let mut d = crate::report::model::Doc::default();
        d.blocks.extend(crate::report::title(&run_meta(spec)));
        d.extend(tickets::render::doc(&list));
        d
    };
    let bytes = match format {
        Format::Table => terminal::render(&doc(), output.layout.width).into_bytes(),
        Format::Markdown => markdown::render(&doc()).into_bytes(),
        Format::Json => tickets::render::json(&list),
        Format::Csv => tickets::render::csv(&list),
        Format::Html => unreachable!("refused above"),
    };
    print_bytes(&bytes)?;
    Ok(Exit::Ok)
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

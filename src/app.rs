//! The commands: what `verdict run`, `validate`, `score` and `report` do, end to end.
//!
//! This is the only layer (with `progress` and `report`) that prints. Results go to stdout,
//! progress and diagnostics to stderr; a closed pipe on stdout is not an error.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use crate::config::{self, Eval};
use crate::error::{display_path, Error, Result};
use crate::eval_log::{self, Journal, PredictionRecord};
use crate::exit::Exit;
use crate::report::Format;
use crate::run_dir::{self, Need, RunOptions, RunSpec, Snapshot, VariantSpecInfo};
use crate::runner::{self, ExecutorFactory, Recorder, RunContext, VariantPlan};
use crate::variant::VariantSpec;

/// What the user asked for, in the library's own terms: the command line (`cli/`) builds
/// one of these, so clap's types stop at the edge and a test or another front end can call
/// any command with plain values.
#[derive(Debug, Clone)]
pub enum Invocation {
    /// `verdict run`.
    Run(RunCommand),
    /// `verdict validate EVAL`.
    Validate(PathBuf),
    /// `verdict score`.
    Score(crate::commands::ScoreCommand),
    /// `verdict report`.
    Report(ReportCommand),
    /// `verdict compare`.
    Compare(crate::gate::command::CompareCommand),
    /// `verdict gate`.
    Gate(crate::gate::command::GateCommand),
    /// `verdict init DIR`.
    Init(PathBuf),
    /// `verdict schema KIND`.
    Schema(crate::schema::FileKind),
}

/// `verdict run`: every option of the command, as plain values.
#[derive(Debug, Clone, Default)]
pub struct RunCommand {
    /// The eval config; `None` only with `resume`.
    pub eval: Option<PathBuf>,
    /// Run only these variants (all when empty).
    pub variants: Vec<String>,
    /// Classify only the first N tickets.
    pub limit: Option<usize>,
    /// Requests in flight at once (overrides the eval's, or on resume the run's).
    pub concurrency: Option<usize>,
    /// `Some(Some(n))` a client-side requests-per-minute limit, `Some(None)` none (`off`),
    /// `None` the eval's (on resume, the run's).
    pub requests_per_minute: Option<Option<u32>>,
    /// The same for tokens per minute.
    pub tokens_per_minute: Option<Option<u32>>,
    /// The run folder (default: reports/<run-id>).
    pub out: Option<PathBuf>,
    /// Finish this interrupted run folder.
    pub resume: Option<PathBuf>,
    /// Neither read nor write the response cache.
    pub no_cache: bool,
    /// Ignore cached responses but write fresh ones.
    pub refresh: bool,
    /// The response cache folder (default: the user's cache directory).
    pub cache_dir: Option<PathBuf>,
    /// Stop sending once this invocation has cost this many US dollars.
    pub max_cost: Option<f64>,
    /// Stop after this many requests in this invocation.
    pub max_requests: Option<u64>,
    /// Print the plan (requests, tokens, cost) instead of running.
    pub dry_run: bool,
    /// How to print.
    pub output: OutputChoice,
}

/// `verdict report RUN`: how to print a saved run, or which of its tickets to list.
#[derive(Debug, Clone)]
pub struct ReportCommand {
    /// The run folder.
    pub run: PathBuf,
    /// `--tickets` and its filters: list tickets instead of the report.
    pub tickets: Option<crate::report::tickets::Query>,
    /// How to print.
    pub output: OutputChoice,
}

/// Runs a command; returns the exit code (errors carry their own).
pub fn main(invocation: Invocation, interrupted: Arc<AtomicBool>) -> Result<Exit> {
    match invocation {
        Invocation::Validate(eval) => validate(&eval),
        Invocation::Run(args) => run_with(&args, interrupted, &mut runner::Executors::default()),
        Invocation::Score(args) => {
            // A run folder graded with its own settings gets the eval's gate line; with
            // --eval (other settings) or outside a folder there is no gate verdict to show.
            let gate = match (&args.run, &args.eval) {
                (Some(dir), None) => crate::gate::summary_line::summary_gate_lines(dir),
                _ => Default::default(),
            };
            crate::commands::score_command(&args, &args.output.output(), gate)
        }
        Invocation::Report(args) => {
            // The ticket list has no summary, so no gate line to compute.
            let gate = match &args.tickets {
                Some(_) => Default::default(),
                None => crate::gate::summary_line::summary_gate_lines(&args.run),
            };
            crate::commands::report_command(
                &args.run,
                &args.output.output(),
                args.tickets.as_ref(),
                gate,
            )
        }
        Invocation::Compare(args) => crate::gate::command::compare_command(&args),
        Invocation::Gate(args) => crate::gate::command::gate_command(&args),
        Invocation::Init(dir) => crate::scaffold::init_command(&dir),
        Invocation::Schema(kind) => {
            print(kind.schema())?;
            Ok(Exit::Ok)
        }
    }
}

pub use crate::commands::{print, print_bytes, OutputChoice};

/// Prints an eval's warnings to stderr, one `warning: file:line:col: ...` line each.
fn print_warnings(eval: &Eval) {
    for w in &eval.warnings {
        eprintln!("warning: {w}");
    }
}

fn validate(path: &Path) -> Result<Exit> {
    let eval = config::load_eval(path)?;
    crate::gate::command::eval_rules(path, &eval.gold.fields)?;
    print_warnings(&eval);
    let n_local = eval
        .variants
        .iter()
        .filter(|v| matches!(v.spec, VariantSpec::Local(_)))
        .count();
    print(&format!(
        "{}: ok: {} tickets, {} fields, {} variants ({} local)\n",
        display_path(path),
        eval.gold.tickets.len(),
        eval.gold.fields.len(),
        eval.variants.len(),
        n_local
    ))?;
    Ok(Exit::Ok)
}

/// A run id: UTC time and the eval's name.
fn run_id(eval_name: &str) -> String {
    let now = time::OffsetDateTime::now_utc();
    let stamp = now
        .format(time::macros::format_description!(
            "[year][month][day]-[hour][minute][second]"
        ))
        .unwrap_or_default();
    format!("{stamp}-{eval_name}")
}

fn git_rev(dir: &Path) -> Option<String> {
    let out = std::process::Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["rev-parse", "--short=12", "HEAD"])
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// Writes a file whole or not at all (temp file, then rename).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    crate::run_dir::write_atomic(path, bytes)
}

/// A run ready to go: the folder, what it runs, and what its journal already holds.
struct Prepared {
    dir: PathBuf,
    spec: RunSpec,
    /// `Some` for a new run: the folder is created from it once every check has passed.
    snapshot: Option<Snapshot>,
    eval: Eval,
    /// The journal's records at the start (a resume), deduplicated, in journal order.
    prior: Vec<PredictionRecord>,
    options: runner::Options,
}

/// Checks of the command line that need nothing loaded: nothing is created before these
/// (and every other check) have passed.
fn check_args(args: &RunCommand) -> Result<()> {
    if args.max_requests == Some(0) {
        return Err(Error::Usage(
            "--max-requests 0 would send nothing; give 1 or more (or leave it out)".into(),
        ));
    }
    if args.max_cost == Some(0.0) {
        return Err(Error::Usage(
            "--max-cost 0 would send nothing; give an amount above 0 (e.g. 0.5), or use --dry-run to see the cost".into(),
        ));
    }
    if args.limit == Some(0) {
        return Err(Error::Usage("--limit must be at least 1".into()));
    }
    if let Some(d) = &args.cache_dir {
        // The cache folder is created when the first request is sent; a file in its way
        // (or in the way of one of its parents) is found now instead.
        if let Some(file) = d.ancestors().find(|a| a.exists() && !a.is_dir()) {
            return Err(Error::Usage(format!(
                "--cache-dir {}: {} is a file; name a folder for the response cache",
                display_path(d),
                display_path(file)
            )));
        }
    }
    Ok(())
}

fn prepare_new(args: &RunCommand) -> Result<Prepared> {
    // The command line requires one; a caller of the library may forget it.
    let eval_path = args.eval.clone().ok_or_else(|| {
        Error::Usage("a run needs an eval config (or --resume DIR to finish a run)".into())
    })?;
    let mut eval = config::load_eval(&eval_path)?;
    print_warnings(&eval);
    override_rate_limits(&mut eval, args);
    select_variants(&mut eval, &args.variants)?;
    let n_tickets = args
        .limit
        .unwrap_or(usize::MAX)
        .min(eval.gold.tickets.len());
    let id = run_id(&eval.name);
    let dir = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("reports").join(&id));
    if dir.exists() && !dir.is_dir() {
        return Err(Error::Usage(format!(
            "--out {} is a file; name a folder for the run (a new or empty one)",
            display_path(&dir)
        )));
    }
    let cwd = std::env::current_dir().map_err(|e| Error::io(Path::new("."), e))?;
    let cache_dir = if args.no_cache {
        None
    } else {
        args.cache_dir
            .clone()
            .or_else(crate::runner::cache::default_dir)
            .map(|d| std::path::absolute(&d).unwrap_or(d))
    };
    let options = RunOptions {
        limit: args.limit,
        concurrency: args.concurrency.unwrap_or(eval.run.concurrency),
        no_cache: args.no_cache,
        refresh: args.refresh,
        cache_dir: cache_dir.clone(),
        max_cost: args.max_cost,
        max_requests: args.max_requests,
    };
    let spec = RunSpec {
        run_id: id,
        eval_path: eval_path.clone(),
        cwd,
        eval_name: eval.name.clone(),
        eval_sha256: eval.sha256.clone(),
        gold_path: eval.gold_path.clone(),
        gold_sha256: eval.gold.sha256.clone(),
        gold_tickets: eval.gold.tickets.len(),
        variants: eval
            .variants
            .iter()
            .map(|v| VariantSpecInfo {
                name: v.name.clone(),
                provider: v.provider.name().to_string(),
                model: match &v.spec {
                    VariantSpec::Llm(l) => Some(l.model.clone()),
                    VariantSpec::Local(_) => None,
                },
                file: v.file.clone(),
                sha256: v.sha256.clone(),
            })
            .collect(),
        limit: args.limit,
        repeats: eval.run.repeats,
        seed: eval.run.seed,
        git_rev: git_rev(eval_path.parent().unwrap_or(Path::new("."))),
        verdict_version: env!("CARGO_PKG_VERSION").to_string(),
        started_at: time::OffsetDateTime::now_utc()
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default(),
        cache_dir,
    };
    let mut snapshot = Snapshot::of(&eval, n_tickets, options);
    snapshot.gate = crate::gate::command::eval_rules(&eval.file, &eval.gold.fields)?
        .map(|rules| serde_json::to_value(rules).expect("gate rules serialize"));
    // The run is over the first `n_tickets` tickets, exactly as the snapshot holds them, so
    // a run and a re-grade of its folder see the same gold set.
    eval.gold.tickets.truncate(n_tickets);
    let options = runner::Options {
        concurrency: args.concurrency,
        no_cache: args.no_cache,
        refresh: args.refresh,
        cache_dir: args.cache_dir.clone(),
        max_cost: args.max_cost,
        max_requests: args.max_requests,
    };
    Ok(Prepared {
        dir,
        spec,
        snapshot: Some(snapshot),
        eval,
        prior: Vec::new(),
        options,
    })
}

/// `--requests-per-minute` / `--tokens-per-minute`: operational, so they override the eval's
/// `run:` settings on a new run (the snapshot then records what the run used) and the
/// snapshot's on a resume.
fn override_rate_limits(eval: &mut Eval, args: &RunCommand) {
    if let Some(n) = args.requests_per_minute {
        eval.run.requests_per_minute = n;
    }
    if let Some(n) = args.tokens_per_minute {
        eval.run.tokens_per_minute = n;
    }
}

/// A resume reads the run folder only: the snapshot says what the run is, the journal what
/// is done. Answer-changing settings come from the snapshot alone; operational ones default
/// to it and may be overridden here.
fn prepare_resume(dir: &Path, args: &RunCommand) -> Result<Prepared> {
    let doc = run_dir::open(dir, Need::Snapshot)?;
    let (snapshot, gold) = run_dir::gold_fast::read_snapshot_owned(dir)?;
    let o = &snapshot.options;
    if args.no_cache && !o.no_cache {
        return Err(Error::Usage(
            "this run was started with the response cache; --no-cache cannot change that on resume (answers would mix cached and fresh responses)".into(),
        ));
    }
    if o.no_cache && (args.cache_dir.is_some() || args.refresh) {
        return Err(Error::Usage(format!(
            "this run was started with --no-cache; {} cannot change that on resume",
            if args.refresh {
                "--refresh"
            } else {
                "--cache-dir"
            }
        )));
    }
    if args.refresh && !o.refresh {
        return Err(Error::Usage(
            "this run was started without --refresh; --refresh cannot change that on resume".into(),
        ));
    }
    let mut eval = snapshot.to_eval(gold)?;
    override_rate_limits(&mut eval, args);
    let changed = snapshot.changed_files();
    if !changed.is_empty() {
        eprintln!(
            "note: the eval's files differ from what this run started with; it continues with its snapshot (start a new run to use the edits):\n  {}",
            changed.join("\n  ")
        );
    }
    let journal_path = dir.join(run_dir::PREDICTIONS_JSONL);
    let raw = eval_log::read_journal(&journal_path)?;
    crate::commands::check_known_tickets(&journal_path, &raw, &eval.gold, doc.spec.repeats)?;
    let options = runner::Options {
        concurrency: Some(args.concurrency.unwrap_or(o.concurrency)),
        no_cache: o.no_cache,
        refresh: o.refresh,
        cache_dir: args.cache_dir.clone().or_else(|| o.cache_dir.clone()),
        max_cost: args.max_cost,
        max_requests: args.max_requests,
    };
    Ok(Prepared {
        dir: dir.to_path_buf(),
        spec: doc.spec,
        snapshot: None,
        eval,
        prior: eval_log::dedup_latest(raw),
        options,
    })
}

/// `verdict run` end to end, with the executors `executors` gives each variant (the real
/// ones are [`runner::Executors`]; a test passes a scripted factory to drive the whole flow,
/// run folder, grading and summary included, with no classifier and no network).
/// `interrupted` is the Ctrl-C flag: set, the run stops starting work and returns
/// [`Error::Interrupted`].
pub fn run_with(
    args: &RunCommand,
    interrupted: Arc<AtomicBool>,
    executors: &mut dyn ExecutorFactory,
) -> Result<Exit> {
    check_args(args)?;
    let Prepared {
        dir,
        spec,
        snapshot,
        eval,
        prior,
        options,
    } = match &args.resume {
        Some(dir) => prepare_resume(dir, args)?,
        None => prepare_new(args)?,
    };
    let n_tickets = eval.gold.tickets.len();
    let ticket_ids: Vec<String> = eval.gold.tickets.iter().map(|t| t.id.clone()).collect();
    let done: HashSet<(String, String, u32)> = prior
        .iter()
        .filter(|r| r.outcome != eval_log::Outcome::ProviderError)
        .map(|r| r.key())
        .collect();
    let plans: Vec<VariantPlan> = eval
        .variants
        .iter()
        .enumerate()
        .map(|(i, v)| runner::plan(i, v, n_tickets, spec.repeats, &done, &ticket_ids))
        .collect();

    // A malformed base URL is a configuration error even for a dry run.
    runner::preflight::base_urls(&eval, &plans)?;
    if args.dry_run {
        return crate::commands::dry_run(&eval, &plans, &args.output.output());
    }

    executors.preflight(&eval, &plans, &options)?;

    // Every check has passed: only now is anything created.
    if let Some(snapshot) = &snapshot {
        run_dir::create(&dir, &spec, snapshot, &eval.gold)?;
    }

    let journal_path = dir.join(run_dir::PREDICTIONS_JSONL);
    let mut progress = crate::progress::Progress::new(&eval, &plans);
    let mut on_event = |ev| progress.event(ev);
    let journal = Journal::open(&journal_path)?;
    let mut recorder = Recorder::new(journal, &mut on_event, interrupted.clone());
    let ctx = RunContext {
        eval: &eval,
        n_tickets,
        options,
    };
    let outcome = runner::execute(&ctx, &plans, executors, &mut recorder);
    let recorded = recorder.into_records();
    progress.finish();
    // A budget stop is a failed run (exit 3), not an interruption (130 is for Ctrl-C); either
    // way the journal is intact and --resume continues.
    if let Some(reason) = outcome? {
        return Err(Error::RunFailed(format!(
            "{reason}; the journal keeps every result received; continue with `verdict run --resume {}` (with a higher limit, or none)",
            display_path(&dir)
        )));
    }
    if interrupted.load(Ordering::SeqCst) {
        return Err(Error::Interrupted(dir));
    }

    // Graded from memory: the journal's records at the start and what this run recorded,
    // in journal order (the same records a re-grade of the folder reads).
    let mut records = prior;
    records.extend(recorded);
    let records = eval_log::dedup_latest(records);
    let report = crate::commands::score_run(&eval, &spec, &records, n_tickets);
    run_dir::write_run_json(&dir, &spec, Some(&report))?;
    // The journal graded once more, from the folder, for `compare` and `gate` to read instead
    // of it (graded.bin; a cache: without it they read the journal, so a failure here does
    // not fail the finished run).
    if let Err(e) = crate::gate::folder::write_graded_cache(&dir) {
        eprintln!(
            "warning: {} was not written ({e}); `compare` and `gate` will read the journal instead",
            display_path(&dir.join(run_dir::graded_cache::GRADED_BIN))
        );
    }
    // Every run folder holds its report as one HTML page.
    // The summary says whether each variant passes the eval's gate rules.
    let meta = crate::report::RunMeta {
        gate: crate::gate::summary_line::summary_gate_lines(&dir),
        ..crate::commands::run_meta(&spec)
    };
    let tickets = &eval.gold.tickets[..n_tickets];
    let page = crate::report::Exporter::export_run(
        &crate::report::HtmlExporter,
        &crate::report::RunView {
            meta: &meta,
            report: &report,
            tickets: Some(tickets),
            tickets_missing: None,
            records: &records,
            answers: None,
        },
    )?;
    write_atomic(&dir.join("report.html"), &page)?;
    crate::commands::print_errors(&report);
    let out = args.output.output();
    if out.formats.first() == Some(&Format::Html) {
        print_bytes(&page)?;
    } else {
        crate::commands::print_run(&meta, &report, Ok(tickets), &records, &out)?;
    }
    // The other formats asked for go into the folder (report.html is there already).
    let (_, rest) = out.split()?;
    let rest: Vec<Format> = rest.into_iter().filter(|f| *f != Format::Html).collect();
    crate::commands::save_formats(
        &dir,
        &crate::report::RunView {
            meta: &meta,
            report: &report,
            tickets: Some(tickets),
            tickets_missing: None,
            records: &records,
            answers: None,
        },
        &rest,
        out.layout,
    )?;
    if args.output.formats.first() == Some(&Format::Table) {
        eprintln!("wrote {}", display_path(&dir));
    }
    match crate::commands::failed_variants(&eval, &records) {
        Some(why) => Err(Error::RunFailed(format!(
            "{why}; the metrics above are of failed requests (see the errors above); fix the cause, then start a new run"
        ))),
        None => {
            // Requests that failed for good are retried by a resume (nothing was paid for
            // them), so the run is incomplete until then: exit 3 (issue 8), saying how.
            let failed = records
                .iter()
                .filter(|r| r.outcome == eval_log::Outcome::ProviderError)
                .count();
            if failed > 0 {
                return Err(Error::RunFailed(format!(
                    "{failed} request{} failed after every retry (see the errors above), so the run is incomplete; `verdict run --resume {}` retries only those",
                    if failed == 1 { "" } else { "s" },
                    display_path(&dir)
                )));
            }
            Ok(Exit::Ok)
        }
    }
}

/// Keeps only the variants named with --variant (all when none is named).
fn select_variants(eval: &mut Eval, names: &[String]) -> Result<()> {
    if names.is_empty() {
        return Ok(());
    }
    let all: Vec<&str> = eval.variants.iter().map(|v| v.name.as_str()).collect();
    for n in names {
        if !all.contains(&n.as_str()) {
            let hint = config::check::did_you_mean(n, &all)
                .map(|h| format!("did you mean {h:?}? "))
                .unwrap_or_default();
            return Err(Error::Usage(format!(
                "--variant {n:?} is not a variant of this eval ({hint}variants: {})",
                all.join(", ")
            )));
        }
    }
    eval.variants.retain(|v| names.contains(&v.name));
    Ok(())
}

//! The commands: what `verdict run`, `validate`, `score` and `report` do, end to end.
//!
//! This is the only layer (with `progress` and `report`) that prints. Results go to stdout,
//! progress and diagnostics to stderr; a closed pipe on stdout is not an error.

use std::collections::HashSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use crate::cli::{Cli, Command, Format, RunArgs};
use crate::config::{self, Eval};
use crate::error::{display_path, Error, Result};
use crate::eval_log::{self, Journal, RunSpec, VariantSpecInfo};
use crate::runner::{self, Recorder, RunContext};
use crate::variant::VariantSpec;

/// Runs a command; returns the exit code (errors carry their own).
pub fn main(cli: Cli) -> Result<i32> {
    match cli.command {
        Command::Validate { eval } => validate(&eval),
        Command::Run(args) => run(args),
        Command::Score(args) => crate::commands::score_command(&args),
        Command::Report(args) => crate::commands::report_command(&args.run, args.format),
    }
}

/// Writes to stdout; a closed pipe (`verdict run ... | head`) ends quietly.
pub fn print(text: &str) -> Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => std::process::exit(0),
        Err(e) => Err(Error::io(Path::new("<stdout>"), e)),
    }
}

/// Prints an eval's warnings to stderr, one `warning: file:line:col: ...` line each.
fn print_warnings(eval: &Eval) {
    for w in &eval.warnings {
        eprintln!("warning: {w}");
    }
}

fn validate(path: &Path) -> Result<i32> {
    let eval = config::load_eval(path)?;
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
    Ok(0)
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
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, bytes).map_err(|e| Error::io(&tmp, e))?;
    std::fs::rename(&tmp, path).map_err(|e| Error::io(path, e))
}

fn run(args: RunArgs) -> Result<i32> {
    // Resume: the spec in the run folder says what to load.
    let (spec, dir, eval) = match &args.resume {
        Some(dir) => {
            let spec_path = dir.join("run.json");
            let text = crate::run_dir::read_run_json(dir)?;
            let doc: serde_json::Value = serde_json::from_str(&text)
                .map_err(|e| Error::io(&spec_path, format!("not a verdict run.json: {e}")))?;
            let spec: RunSpec = serde_json::from_value(doc["spec"].clone())
                .map_err(|e| Error::io(&spec_path, format!("not a verdict run.json: {e}")))?;
            let eval_path = spec.cwd.join(&spec.eval_path);
            let mut eval = config::load_eval(&eval_path)?;
            if eval.gold.sha256 != spec.gold_sha256 {
                return Err(Error::Usage(format!(
                    "the gold set {} changed since the run started; start a new run",
                    display_path(&spec.gold_path)
                )));
            }
            // Every variant of the run must still be there, unchanged: a renamed or removed
            // variant would be scored as all missing, an edited one would mix two prompts.
            for sv in &spec.variants {
                match eval.variants.iter().find(|v| v.name == sv.name) {
                    None => {
                        return Err(Error::Usage(format!(
                            "variant {:?} ({}) of this run is no longer in {}; start a new run",
                            sv.name,
                            display_path(&sv.file),
                            display_path(&eval_path)
                        )))
                    }
                    Some(v) if v.sha256 != sv.sha256 => {
                        return Err(Error::Usage(format!(
                            "the variant file {} changed since the run started; start a new run",
                            display_path(&v.file)
                        )))
                    }
                    Some(_) => {}
                }
            }
            let names: Vec<&str> = spec.variants.iter().map(|v| v.name.as_str()).collect();
            eval.variants.retain(|v| names.contains(&v.name.as_str()));
            (spec, dir.clone(), eval)
        }
        None => {
            let eval_path = args
                .eval
                .clone()
                .expect("clap requires eval without --resume");
            let mut eval = config::load_eval(&eval_path)?;
            print_warnings(&eval);
            select_variants(&mut eval, &args.variants)?;
            if args.limit == Some(0) {
                return Err(Error::Usage("--limit must be at least 1".into()));
            }
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
                cache_dir: if args.no_cache {
                    None
                } else {
                    args.cache_dir
                        .clone()
                        .or_else(crate::runner::cache::default_dir)
                        .map(|d| std::path::absolute(&d).unwrap_or(d))
                },
            };
            (spec, dir, eval)
        }
    };
    let n_tickets = spec
        .limit
        .unwrap_or(usize::MAX)
        .min(eval.gold.tickets.len());
    let ticket_ids: Vec<String> = eval.gold.tickets.iter().map(|t| t.id.clone()).collect();

    let journal_path = dir.join("predictions.jsonl");
    let done: HashSet<(String, String, u32)> = eval_log::read_journal(&journal_path)?
        .into_iter()
        .filter(|r| r.outcome != eval_log::Outcome::ProviderError)
        .map(|r| r.key())
        .collect();
    let work: Vec<(usize, Vec<runner::Job>, usize)> = eval
        .variants
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let (jobs, already) = runner::plan(v, n_tickets, spec.repeats, &done, &ticket_ids);
            (i, jobs, already)
        })
        .collect();

    if args.dry_run {
        return crate::commands::dry_run(&eval, &work);
    }

    preflight_keys(&eval, &work)?;
    runner::llm::preflight_max_cost(&eval, &work, args.max_cost)?;

    if args.resume.is_none() {
        if dir.exists()
            && std::fs::read_dir(&dir)
                .map(|mut d| d.next().is_some())
                .unwrap_or(false)
        {
            return Err(Error::Usage(format!(
                "{} already holds a run; choose another --out, or finish it with --resume {}",
                display_path(&dir),
                display_path(&dir)
            )));
        }
        std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
        crate::run_dir::write_run_json(&dir, &spec, None)?;
    }

    let interrupted = Arc::new(AtomicBool::new(false));
    {
        let flag = interrupted.clone();
        // First Ctrl-C: stop starting work, keep the journal. Second: leave at once.
        let _ = ctrlc_handler(move || {
            if flag.swap(true, Ordering::SeqCst) {
                std::process::exit(130);
            }
        });
    }
    let mut progress = crate::progress::Progress::new(&eval, &work);
    let mut on_event = |ev| progress.event(ev);
    let journal = Journal::open(&journal_path)?;
    let mut recorder = Recorder::new(journal, &mut on_event, interrupted.clone());
    let ctx = RunContext {
        eval: &eval,
        n_tickets,
        options: runner::Options {
            concurrency: args.concurrency,
            no_cache: args.no_cache,
            refresh: args.refresh,
            // On resume, the cache the run started with (unless a folder is named now).
            cache_dir: args
                .cache_dir
                .clone()
                .or_else(|| args.resume.as_ref().and(spec.cache_dir.clone())),
            max_cost: args.max_cost,
            max_requests: args.max_requests,
        },
    };
    let outcome = runner::execute(&ctx, &work, &mut recorder);
    drop(recorder);
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

    let records = eval_log::dedup_latest(eval_log::read_journal(&journal_path)?);
    let report = crate::commands::score_run(&eval, &spec, &records, n_tickets);
    crate::run_dir::write_run_json(&dir, &spec, Some(&report))?;
    crate::commands::print_report(&report, args.format)?;
    if args.format == Format::Table {
        eprintln!("wrote {}", display_path(&dir));
    }
    Ok(0)
}

/// Every LLM variant with work to do has an API key: checked before anything is written or
/// sent, so a missing key costs nothing and leaves no half-made run folder behind.
fn preflight_keys(eval: &Eval, work: &[(usize, Vec<runner::Job>, usize)]) -> Result<()> {
    let mut missing = Vec::new();
    for (vi, jobs, _) in work {
        let v = &eval.variants[*vi];
        if let (VariantSpec::Llm(spec), false) = (&v.spec, jobs.is_empty()) {
            let timeout = std::time::Duration::from_secs_f64(eval.run.timeout_s);
            if let Err(crate::provider::CallError::Auth { message, .. }) =
                crate::provider::client::LlmClient::new(v.provider, spec, timeout)
            {
                missing.push(format!("  {} ({}): {message}", v.name, v.provider.name()));
            }
        }
    }
    if missing.is_empty() {
        return Ok(());
    }
    Err(Error::RunFailed(format!(
        "cannot authenticate, so nothing was sent or written:\n{}\n(run only the other variants with --variant NAME, or --dry-run to see the cost without a key)",
        missing.join("\n")
    )))
}

/// Installs a Ctrl-C handler on a background thread with its own small runtime.
fn ctrlc_handler(f: impl Fn() + Send + 'static) -> std::io::Result<()> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    std::thread::spawn(move || {
        rt.block_on(async {
            loop {
                if tokio::signal::ctrl_c().await.is_err() {
                    return;
                }
                f();
            }
        })
    });
    Ok(())
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

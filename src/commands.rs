//! The commands that read what a run folder or a predictions file holds and print it:
//! `verdict score`, `verdict report` and `verdict run --dry-run`. The pure scoring they call
//! lives in [`crate::score`]; the folder itself is read through [`crate::run_dir`].

use std::path::Path;

use crate::cli::Format;
use crate::config::Eval;
use crate::error::{Error, Result};
use crate::eval_log::{PredictionRecord, RunSpec};
use crate::gold::{FieldKind, GoldSet};
use crate::run_dir::RunDoc;
use crate::score::{score, RunReport, ScoreSettings, ScoredVariant};

/// Scores every variant of a run on the first `n_tickets` tickets (repeat 0).
pub fn score_run(
    eval: &Eval,
    spec: &RunSpec,
    records: &[PredictionRecord],
    n_tickets: usize,
) -> RunReport {
    let variants: Vec<ScoredVariant> = spec
        .variants
        .iter()
        .map(|v| ScoredVariant {
            name: v.name.clone(),
            provider: v.provider.clone(),
            model: v.model.clone(),
        })
        .collect();
    score(
        &eval.gold,
        &score_settings(eval),
        &variants,
        records,
        n_tickets,
    )
}

/// The HTML report of a run: its metrics, and the gold tickets and records behind them
/// (`Err` says why the tickets cannot be shown).
pub fn html_report(
    spec: &RunSpec,
    report: &RunReport,
    tickets: std::result::Result<&[crate::gold::Ticket], String>,
    records: &[PredictionRecord],
) -> String {
    let (tickets, tickets_missing) = match tickets {
        Ok(t) => (Some(t), None),
        Err(why) => (None, Some(why)),
    };
    crate::report::html::render(
        &crate::report::html::HtmlInput {
            meta: crate::report::html::RunMeta {
                eval_name: spec.eval_name.clone(),
                run_id: spec.run_id.clone(),
                started_at: spec.started_at.clone(),
                git_rev: spec.git_rev.clone(),
                verdict_version: spec.verdict_version.clone(),
            },
            report,
            tickets,
            records,
            tickets_missing,
        },
        &crate::report::html::HtmlOptions::default(),
    )
}

/// The gold tickets of a finished run, read from the eval it names; refused when the gold
/// set changed since the run.
fn run_tickets(spec: &RunSpec) -> std::result::Result<Vec<crate::gold::Ticket>, String> {
    let eval_path = spec.cwd.join(&spec.eval_path);
    let eval = crate::config::load_eval(&eval_path).map_err(|e| {
        format!(
            "The tickets are not shown: the eval {} cannot be read ({e}).",
            crate::error::display_path(&eval_path)
        )
    })?;
    if eval.gold.sha256 != spec.gold_sha256 {
        return Err(format!(
            "The tickets are not shown: the gold set {} changed since the run.",
            crate::error::display_path(&spec.gold_path)
        ));
    }
    Ok(eval.gold.tickets)
}

/// Prints a report in the chosen format.
pub fn print_report(report: &RunReport, format: Format) -> Result<()> {
    let text = match format {
        Format::Html => crate::report::html::render(
            &crate::report::html::HtmlInput {
                meta: crate::report::html::RunMeta {
                    eval_name: "verdict score".into(),
                    verdict_version: env!("CARGO_PKG_VERSION").into(),
                    ..Default::default()
                },
                report,
                tickets: None,
                records: &[],
                tickets_missing: Some(
                    "The tickets are shown in the report of a run folder.".into(),
                ),
            },
            &crate::report::html::HtmlOptions::default(),
        ),
        Format::Table => crate::report::tables(report),
        Format::Md => crate::report::render(report, crate::report::Style::Markdown),
        Format::Json => {
            let mut s = serde_json::to_string_pretty(report).expect("serializes");
            s.push('\n');
            s
        }
    };
    print(&text)
}

/// `verdict run --dry-run`: what the run would send, and roughly what it would cost, without
/// calling anything or needing an API key.
///
/// Per variant: the requests left (tickets x repeats not yet journaled; cache hits are not
/// subtracted), input tokens estimated from each exact request body
/// ([`crate::provider::estimate_input_tokens`], about +-30%), and output tokens as their upper
/// bound, `max_tokens` per request (a forced tool call usually needs far fewer), so the cost
/// column is the input estimate plus the most the output can cost.
pub fn dry_run(eval: &Eval, work: &[(usize, Vec<crate::runner::Job>, usize)]) -> Result<i32> {
    use crate::variant::VariantSpec;
    use comfy_table::{presets::UTF8_FULL_CONDENSED, Cell, CellAlignment, Table};
    let right = |s: String| Cell::new(s).set_alignment(CellAlignment::Right);
    let mut t = Table::new();
    t.load_preset(UTF8_FULL_CONDENSED).set_header(vec![
        "variant",
        "provider",
        "model",
        "requests",
        "already done",
        "input tokens (est.)",
        "output tokens (max)",
        "cost USD (est., at most)",
    ]);
    let (mut n_req, mut n_in, mut n_out, mut usd, mut unpriced) = (0usize, 0u64, 0u64, 0.0, false);
    for (vi, jobs, already) in work {
        let v = &eval.variants[*vi];
        let (model, input, output, cost) = match &v.spec {
            VariantSpec::Local(_) => ("-".to_string(), 0, 0, Some(0.0)),
            VariantSpec::Llm(spec) => {
                let input: u64 = jobs
                    .iter()
                    .map(|j| {
                        let t = &eval.gold.tickets[j.ticket];
                        let body = crate::provider::client::request_body(
                            v.provider, spec, &t.text, &t.id, &t.tags,
                        );
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
                n_req += jobs.len();
                (spec.model.clone(), input, output, cost)
            }
        };
        n_in += input;
        n_out += output;
        match cost {
            Some(c) => usd += c,
            None => unpriced = true,
        }
        let llm = matches!(v.spec, VariantSpec::Llm(_));
        t.add_row(vec![
            Cell::new(&v.name),
            Cell::new(v.provider.name()),
            Cell::new(model),
            right(if llm {
                jobs.len().to_string()
            } else {
                format!("{} (offline)", jobs.len())
            }),
            right(already.to_string()),
            right(if llm { input.to_string() } else { "-".into() }),
            right(if llm { output.to_string() } else { "-".into() }),
            right(match cost {
                Some(c) => format!("{c:.4}"),
                None => "no price".into(),
            }),
        ]);
    }
    let mut out = t.to_string();
    out.push_str(&format!(
        "\ntotal: {n_req} requests, ~{n_in} input tokens, at most {n_out} output tokens, ~${usd:.4}{}\n",
        if unpriced { " (plus models with no price: add them under `prices:`)" } else { "" }
    ));
    out.push_str("nothing was sent; cached responses, if any, would lower this\n");
    print(&out)?;
    Ok(0)
}

/// `verdict score`: scores predictions made elsewhere. `--gold` is a gold YAML file or an
/// eval config (whose gold source and calibration/routing settings are then used).
pub fn score_command(args: &crate::cli::ScoreArgs) -> Result<i32> {
    let (gold_path, predictions) = match (&args.run, &args.gold, &args.predictions) {
        (Some(dir), _, _) => return score_folder(dir, args.eval.as_deref(), args.format),
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
    print_report(&report, args.format)?;
    Ok(0)
}

/// `verdict score RUN [--eval EVAL]`: re-grades a run folder from its snapshot and journal
/// alone (the eval's files are not needed) and prints the metrics; writes nothing. With
/// `--eval`, that eval's calibration and routing settings are used instead of the run's.
fn score_folder(dir: &Path, eval: Option<&Path>, format: Format) -> Result<i32> {
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
    check_known_tickets(&journal, &raw, &gold)?;
    let records = crate::eval_log::dedup_latest(raw);
    if doc.status != "complete" {
        let expected = gold.tickets.len() * snapshot.variants.len() * snapshot.run.repeats as usize;
        eprintln!(
            "note: {} is not finished ({} of {expected} classifications journaled); the rest count as missing",
            crate::error::display_path(dir),
            records.len().min(expected),
        );
    }
    let variants: Vec<ScoredVariant> = doc
        .spec
        .variants
        .iter()
        .map(|v| ScoredVariant {
            name: v.name.clone(),
            provider: v.provider.clone(),
            model: v.model.clone(),
        })
        .collect();
    let report = score(&gold, &settings, &variants, &records, gold.tickets.len());
    print_errors(&report);
    print_report(&report, format)?;
    Ok(0)
}

/// Every journaled ticket must be one of the run's (the gold set as used): a record for a
/// ticket it lacks is an error naming its line, up to 20 at once, as in `verdict score`.
pub fn check_known_tickets(
    path: &Path,
    records: &[PredictionRecord],
    gold: &GoldSet,
) -> Result<()> {
    let ids: std::collections::HashSet<&str> = gold.tickets.iter().map(|t| t.id.as_str()).collect();
    if records.iter().all(|r| ids.contains(r.ticket.as_str())) {
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
        .filter(|(r, _)| !ids.contains(r.ticket.as_str()))
        .take(20)
        .map(|(r, line)| crate::error::Diagnostic {
            file: path.to_path_buf(),
            pos: Some(crate::yaml::Pos { line, col: 1 }),
            path: "ticket".into(),
            message: format!(
                "ticket {:?} (variant {:?}) is not in the gold set",
                r.ticket, r.variant
            ),
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

/// `verdict report RUN`: renders a saved run again.
pub fn report_command(dir: &Path, format: Format) -> Result<i32> {
    let doc: RunDoc = crate::run_dir::open(dir, crate::run_dir::Need::StoredMetrics)?;
    let Some(report) = doc.metrics else {
        return Err(Error::Usage(format!(
            "{} is not finished; finish it with `verdict run --resume {}`, or grade what it holds with `verdict score {}`",
            crate::error::display_path(dir),
            crate::error::display_path(dir),
            crate::error::display_path(dir)
        )));
    };
    if format == Format::Html {
        let records = crate::eval_log::dedup_latest(crate::eval_log::read_journal(
            &dir.join("predictions.jsonl"),
        )?);
        let tickets = run_tickets(&doc.spec);
        let page = html_report(
            &doc.spec,
            &report,
            tickets.as_deref().map_err(Clone::clone),
            &records,
        );
        print(&page)?;
        return Ok(0);
    }
    print_report(&report, format)?;
    Ok(0)
}

/// What an eval says about scoring: its calibration and routing settings and the seed.
pub fn score_settings(eval: &crate::config::Eval) -> ScoreSettings {
    ScoreSettings {
        calibration: eval.calibration.clone(),
        routing: eval.routing.clone(),
        seed: eval.run.seed,
    }
}

/// Writes to stdout; a closed pipe (`verdict run ... | head`) ends quietly.
pub fn print(text: &str) -> crate::error::Result<()> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => std::process::exit(0),
        Err(e) => Err(crate::error::Error::io(std::path::Path::new("<stdout>"), e)),
    }
}

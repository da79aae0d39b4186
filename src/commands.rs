//! The commands that read what a run folder or a predictions file holds and print it:
//! `verdict score`, `verdict report` and `verdict run --dry-run`. The pure scoring they call
//! lives in [`crate::score`]; the folder itself is read through [`crate::run_dir`].

use std::path::Path;

use crate::cli::Format;
use crate::config::Eval;
use crate::error::{Error, Result};
use crate::eval_log::{PredictionRecord, RunSpec, RUN_VERSION};
use crate::gold::FieldKind;
use crate::run_dir::{read_run_json, RunDoc};
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
        &ScoreSettings::of(eval),
        &variants,
        records,
        n_tickets,
    )
}

/// Prints a report in the chosen format.
pub fn print_report(report: &RunReport, format: Format) -> Result<()> {
    let text = match format {
        Format::Table => crate::report::tables(report),
        Format::Md => crate::report::render(report, crate::report::Style::Markdown),
        Format::Json => {
            let mut s = serde_json::to_string_pretty(report).expect("serializes");
            s.push('\n');
            s
        }
    };
    crate::app::print(&text)
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
    crate::app::print(&out)?;
    Ok(0)
}

/// `verdict score`: scores predictions made elsewhere. `--gold` is a gold YAML file or an
/// eval config (whose gold source and calibration/routing settings are then used).
pub fn score_command(args: &crate::cli::ScoreArgs) -> Result<i32> {
    let ext = args
        .gold
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    if matches!(ext.as_str(), "csv" | "jsonl" | "ndjson") {
        return Err(Error::Usage(format!(
            "--gold takes a gold YAML file or an eval config; for the table {}, write an eval config whose `gold:` names its columns ({{path: ..., text: <column>, labels: {{<field>: <column>}}}}, see docs/formats.md) and pass that",
            crate::error::display_path(&args.gold)
        )));
    }
    let is_eval = std::fs::read_to_string(&args.gold)
        .ok()
        .and_then(|t| crate::yaml::parse(&t).ok())
        .is_some_and(|n| match &n.value {
            crate::yaml::Value::Map(entries) => {
                entries.iter().any(|(k, _)| k.as_str() == Some("gold"))
            }
            _ => false,
        });
    let (gold, settings) = if is_eval {
        let eval = crate::config::load_eval(&args.gold)?;
        let settings = ScoreSettings::of(&eval);
        (eval.gold, settings)
    } else {
        let gold = crate::config::gold::load_path(&args.gold)?;
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
    let graded = crate::predictions::grade_file(&args.predictions, &gold)?;
    let report = crate::score::summarize(&graded, &settings);
    print_report(&report, args.format)?;
    Ok(0)
}

/// `verdict report RUN`: renders a saved run again.
pub fn report_command(dir: &Path, format: Format) -> Result<i32> {
    let path = dir.join("run.json");
    let text = read_run_json(dir)?;
    let doc: RunDoc = serde_json::from_str(&text)
        .map_err(|e| Error::io(&path, format!("not a verdict run.json: {e}")))?;
    if doc.version != RUN_VERSION {
        return Err(Error::Usage(format!(
            "{} has run.json version {}; this verdict reads version {RUN_VERSION}",
            crate::error::display_path(&path),
            doc.version
        )));
    }
    let Some(report) = doc.metrics else {
        return Err(Error::Usage(format!(
            "{} is not finished; finish it with `verdict run --resume {}`",
            crate::error::display_path(dir),
            crate::error::display_path(dir)
        )));
    };
    print_report(&report, format)?;
    Ok(0)
}

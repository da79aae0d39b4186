//! Scoring a run: from the gold set and the journal's records to every metric, per variant
//! and field. Pure over its inputs; [`crate::report`] renders the result.
//!
//! A record whose outcome is not `ok`, or whose output for a field is missing or not a valid
//! value, is an *invalid* prediction for that field: wrong for accuracy and counted in the
//! `invalid` column. A field a variant never predicts (a local variant and a `labels` field)
//! is not scored for that variant.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::cli::Format;
use crate::config::Eval;
use crate::error::{Error, Result};
use crate::eval_log::{Outcome, PredictionRecord, RunSpec, RUN_VERSION};
use crate::gold::{FieldKind, GoldSet, GoldValue};
use crate::metrics::{self, SingleLabelReport};

/// Every metric of a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunReport {
    /// Tickets scored (after `--limit`).
    pub n_tickets: usize,
    /// The gold set's fields, for rendering label names.
    pub fields: Vec<crate::gold::Field>,
    pub variants: Vec<VariantReport>,
}

/// Everything measured for one variant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VariantReport {
    pub name: String,
    pub provider: String,
    pub model: Option<String>,
    /// Records scored (tickets x repeats).
    pub n_records: usize,
    /// Count per outcome (`ok`, `invalid_output`, ...), plus `missing` for unfinished work.
    pub outcomes: BTreeMap<String, usize>,
    /// Share of records that are not `ok`.
    pub invalid_rate: f64,
    /// Per gold field, in gold order; fields the variant does not predict are absent.
    pub fields: Vec<FieldReport>,
    pub cost: CostSummary,
}

/// Metrics of one field for one variant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldReport {
    pub field: String,
    pub kind: FieldKind,
    /// Single-label metrics (kind `label`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<SingleLabelReport>,
}

/// Tokens, cost and latency of a variant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct CostSummary {
    pub requests: usize,
    pub cached: usize,
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub cache_read_input_tokens: u64,
    pub cache_creation_input_tokens: u64,
    pub total_usd: f64,
    /// Cost per 1,000 tickets classified.
    pub usd_per_1000: f64,
    /// Sum of per-record latencies, seconds.
    pub time_s: f64,
    pub latency_p50_ms: Option<f64>,
    pub latency_p95_ms: Option<f64>,
}

/// The prediction of one field in a record, or `None` if invalid.
pub fn predicted(
    rec: Option<&PredictionRecord>,
    gold: &GoldSet,
    field: usize,
) -> Option<GoldValue> {
    let rec = rec?;
    if rec.outcome != Outcome::Ok {
        return None;
    }
    let f = &gold.fields[field];
    GoldValue::from_json(f, rec.outputs.get(&f.name)?).ok()
}

/// Percentile with linear interpolation (numpy's default), `None` when empty.
pub fn percentile(sorted: &[f64], q: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let pos = q / 100.0 * (sorted.len() - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = pos.ceil() as usize;
    Some(sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo as f64))
}

/// Scores every variant of a run on the first `n_tickets` tickets (repeat 0).
pub fn score_run(
    eval: &Eval,
    spec: &RunSpec,
    records: &[PredictionRecord],
    n_tickets: usize,
) -> RunReport {
    let gold = &eval.gold;
    let by_key: HashMap<(&str, &str, u32), &PredictionRecord> = records
        .iter()
        .map(|r| ((r.variant.as_str(), r.ticket.as_str(), r.repeat), r))
        .collect();
    let tickets = &gold.tickets[..n_tickets];
    let variants = spec
        .variants
        .iter()
        .map(|v| {
            let recs: Vec<Option<&PredictionRecord>> = tickets
                .iter()
                .map(|t| by_key.get(&(v.name.as_str(), t.id.as_str(), 0)).copied())
                .collect();
            let all: Vec<&PredictionRecord> =
                records.iter().filter(|r| r.variant == v.name).collect();
            let mut outcomes: BTreeMap<String, usize> = BTreeMap::new();
            for r in &recs {
                let name = r.map_or("missing", |r| r.outcome.name());
                *outcomes.entry(name.to_string()).or_default() += 1;
            }
            let not_ok = recs
                .iter()
                .filter(|r| r.is_none_or(|r| r.outcome != Outcome::Ok))
                .count();
            let mut fields = Vec::new();
            for (fi, f) in gold.fields.iter().enumerate() {
                let ever = recs
                    .iter()
                    .flatten()
                    .any(|r| r.outputs.contains_key(&f.name));
                let any_ok = recs.iter().flatten().any(|r| r.outcome == Outcome::Ok);
                if !ever && any_ok {
                    continue; // the variant does not predict this field
                }
                let preds: Vec<Option<GoldValue>> =
                    recs.iter().map(|r| predicted(*r, gold, fi)).collect();
                let mut report = FieldReport {
                    field: f.name.clone(),
                    kind: f.kind,
                    label: None,
                };
                if f.kind == FieldKind::Label {
                    let g: Vec<u32> = tickets
                        .iter()
                        .map(|t| match t.labels[fi] {
                            GoldValue::Label(i) => i,
                            _ => unreachable!("label field"),
                        })
                        .collect();
                    let p: Vec<Option<u32>> = preds
                        .iter()
                        .map(|p| match p {
                            Some(GoldValue::Label(i)) => Some(*i),
                            _ => None,
                        })
                        .collect();
                    report.label = metrics::single_label(&g, &p, f.values.len());
                }
                fields.push(report);
            }
            VariantReport {
                name: v.name.clone(),
                provider: v.provider.clone(),
                model: v.model.clone(),
                n_records: recs.len(),
                outcomes,
                invalid_rate: if recs.is_empty() {
                    0.0
                } else {
                    not_ok as f64 / recs.len() as f64
                },
                fields,
                cost: cost_summary(&all),
            }
        })
        .collect();
    RunReport {
        n_tickets,
        fields: gold.fields.clone(),
        variants,
    }
}

fn cost_summary(recs: &[&PredictionRecord]) -> CostSummary {
    let mut s = CostSummary::default();
    let mut lat: Vec<f64> = Vec::with_capacity(recs.len());
    for r in recs {
        if r.cached {
            s.cached += 1;
        } else if r.usage.is_some() {
            s.requests += 1;
        }
        if let Some(u) = r.usage {
            s.input_tokens += u.input_tokens;
            s.output_tokens += u.output_tokens;
            s.cache_read_input_tokens += u.cache_read_input_tokens;
            s.cache_creation_input_tokens += u.cache_creation_input_tokens;
        }
        s.total_usd += r.cost_usd.unwrap_or(0.0);
        if let Some(l) = r.latency_ms {
            if !r.cached {
                lat.push(l);
            }
            s.time_s += l / 1000.0;
        }
    }
    lat.sort_by(f64::total_cmp);
    s.latency_p50_ms = percentile(&lat, 50.0);
    s.latency_p95_ms = percentile(&lat, 95.0);
    s.usd_per_1000 = if recs.is_empty() {
        0.0
    } else {
        s.total_usd / recs.len() as f64 * 1000.0
    };
    s
}

/// The run.json document.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunDoc {
    pub version: u32,
    /// `running` until the run finishes, then `complete`.
    pub status: String,
    pub spec: RunSpec,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metrics: Option<RunReport>,
}

/// Writes run.json (whole, atomically).
pub fn write_run_json(dir: &Path, spec: &RunSpec, report: Option<&RunReport>) -> Result<()> {
    let doc = RunDoc {
        version: RUN_VERSION,
        status: if report.is_some() {
            "complete"
        } else {
            "running"
        }
        .into(),
        spec: spec.clone(),
        metrics: report.cloned(),
    };
    let mut bytes = serde_json::to_vec_pretty(&doc).expect("run.json serializes");
    bytes.push(b'\n');
    crate::app::write_atomic(&dir.join("run.json"), &bytes)
}

/// Prints a report in the chosen format.
pub fn print_report(report: &RunReport, format: Format) -> Result<()> {
    let text = match format {
        Format::Table => crate::report::tables(report),
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

/// `verdict score`: scores predictions made elsewhere.
pub fn score_command(args: &crate::cli::ScoreArgs) -> Result<i32> {
    Err(Error::Usage(format!(
        "`verdict score` is not available yet (gold {}, predictions {})",
        crate::error::display_path(&args.gold),
        crate::error::display_path(&args.predictions)
    )))
}

/// `verdict report RUN`: renders a saved run again.
pub fn report_command(dir: &Path, format: Format) -> Result<i32> {
    let path = dir.join("run.json");
    let text = std::fs::read_to_string(&path).map_err(|e| Error::io(&path, e))?;
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

//! Running a local variant: one built-in classifier per predicted field, trained on the
//! variant's examples, then every ticket predicted in one batch.
//!
//! A local variant predicts the `label` and `flag` fields its training set labels (a `labels`
//! field is left unpredicted and so unscored for it). The probability of the chosen label of
//! the calibration field (or else the first predicted field) is the record's confidence; the
//! per-field probabilities are kept in `raw`.

use std::time::Instant;

use super::executor::{wrong_kind, Executor, Stop};
use super::plan::VariantPlan;
use super::{Event, Job, Recorder, RunContext};
use crate::classifier::{FeatureSpec, LocalConfig, ModelKind, TextClassifier};
use crate::error::{Error, Result};
use crate::eval_log::{Outcome, PredictionRecord};
use crate::gold::{FieldKind, GoldSet};
use crate::variant::{LocalSpec, Variant, VariantSpec};

/// The classifier settings of a variant.
pub fn config(spec: &LocalSpec) -> Result<LocalConfig, String> {
    let mut cfg = LocalConfig::default();
    if let Some(features) = &spec.features {
        cfg.features = features
            .iter()
            .map(|f| f.parse::<FeatureSpec>())
            .collect::<Result<_, _>>()?;
    }
    if let Some(model) = &spec.model {
        cfg.model = model.parse::<ModelKind>()?;
    }
    if let Some(c) = spec.c {
        cfg.c = c;
    }
    cfg.validate()?;
    Ok(cfg)
}

/// One trained head: the gold field it predicts and its model.
struct Head {
    field: usize,
    /// Class index of the model -> value index of the gold field (flags: 0 false, 1 true).
    classes: Vec<u32>,
    /// `None` when training saw one class only: every ticket gets it, with probability 1.
    model: Option<TextClassifier>,
}

/// Trains the heads of a local variant.
fn train(gold: &GoldSet, spec: &LocalSpec, cfg: &LocalConfig) -> Result<Vec<Head>, String> {
    let mut heads = Vec::new();
    for (fi, gf) in gold.fields.iter().enumerate() {
        if gf.kind == FieldKind::Labels {
            continue;
        }
        let examples = spec.examples_for(gold, fi);
        if examples.is_empty() {
            continue;
        }
        // Compact the classes seen in training to 0..k (the model needs k >= 2).
        let mut classes: Vec<u32> = examples.iter().map(|(_, c)| *c).collect();
        classes.sort_unstable();
        classes.dedup();
        if classes.len() < 2 {
            heads.push(Head {
                field: fi,
                classes,
                model: None,
            });
            continue;
        }
        let texts: Vec<&str> = examples.iter().map(|(t, _)| t.as_str()).collect();
        let labels: Vec<usize> = examples
            .iter()
            .map(|(_, c)| classes.binary_search(c).expect("seen"))
            .collect();
        let model = TextClassifier::train(&texts, &labels, classes.len(), cfg)
            .map_err(|e| format!("training the `{}` model: {e}", gf.name))?;
        heads.push(Head {
            field: fi,
            classes,
            model: Some(model),
        });
    }
    if heads.is_empty() {
        return Err(
            "the training examples label none of the gold set's label or flag fields".into(),
        );
    }
    Ok(heads)
}

/// Trains and predicts a local variant, journaling each prediction.
pub fn run(
    ctx: &RunContext,
    variant: &Variant,
    spec: &LocalSpec,
    jobs: &[Job],
    recorder: &mut Recorder,
) -> Result<()> {
    let gold = &ctx.eval.gold;
    let cfg =
        config(spec).map_err(|e| Error::RunFailed(format!("variant {}: {e}", variant.name)))?;
    let n_train = spec.train_set.as_ref().map_or(0, |t| t.tickets.len()) + spec.examples.len();
    recorder.event(Event::Training {
        variant: variant.name.clone(),
        examples: n_train,
    });
    let start = Instant::now();
    let heads = train(gold, spec, &cfg)
        .map_err(|e| Error::RunFailed(format!("variant {}: {e}", variant.name)))?;
    // Predict each distinct ticket once; repeats of a deterministic model are identical.
    let mut tickets: Vec<usize> = jobs.iter().map(|j| j.ticket).collect();
    tickets.sort_unstable();
    tickets.dedup();
    let texts: Vec<&str> = tickets
        .iter()
        .map(|&t| gold.tickets[t].text.as_str())
        .collect();
    let preds: Vec<Vec<(usize, f64)>> = heads
        .iter()
        .map(|h| match &h.model {
            Some(m) => m.predict(&texts),
            None => vec![(0, 1.0); texts.len()],
        })
        .collect();
    // Time per ticket: training and prediction spread evenly (there is no per-call latency).
    let per_ticket_ms = start.elapsed().as_secs_f64() * 1000.0 / tickets.len().max(1) as f64;
    // Every record spans the whole training-and-prediction batch, so a variant's wall time
    // (the union of its records' spans) is the time the batch took.
    let finished_at_ms = super::now_ms();
    let started_at_ms = finished_at_ms.saturating_sub(start.elapsed().as_millis() as u64);
    let conf_field = ctx
        .eval
        .calibration
        .as_ref()
        .and_then(|c| gold.field(&c.field))
        .map(|(i, _)| i)
        .filter(|i| heads.iter().any(|h| h.field == *i))
        .unwrap_or(heads[0].field);
    for job in jobs {
        if recorder.is_interrupted() {
            break;
        }
        let row = tickets.binary_search(&job.ticket).expect("predicted");
        let ticket = &gold.tickets[job.ticket];
        let mut rec = PredictionRecord::new(&variant.name, &ticket.id, job.repeat, Outcome::Ok);
        let mut raw = serde_json::Map::new();
        for (h, p) in heads.iter().zip(&preds) {
            let gf = &gold.fields[h.field];
            let (class, prob) = p[row];
            let value_index = h.classes[class];
            let value = match gf.kind {
                FieldKind::Flag => serde_json::Value::Bool(value_index == 1),
                _ => serde_json::Value::String(gf.values[value_index as usize].clone()),
            };
            rec.outputs.insert(gf.name.clone(), value.clone());
            raw.insert(
                gf.name.clone(),
                serde_json::json!({"value": value, "probability": prob}),
            );
            if h.field == conf_field {
                rec.confidence = Some(prob);
            }
        }
        rec.raw = Some(serde_json::Value::Object(raw));
        rec.latency_ms = Some(per_ticket_ms);
        rec.latency_e2e_ms = Some(per_ticket_ms);
        (rec.started_at_ms, rec.finished_at_ms) = (Some(started_at_ms), Some(finished_at_ms));
        rec.cost_usd = Some(0.0);
        recorder.record(rec)?;
    }
    Ok(())
}

/// The built-in offline classifier: trains on the variant's examples, then predicts.
#[derive(Debug, Default)]
pub struct LocalExecutor;

impl Executor for LocalExecutor {
    fn name(&self) -> &str {
        "local"
    }

    fn run(
        &mut self,
        ctx: &RunContext<'_>,
        plan: &VariantPlan,
        recorder: &mut Recorder<'_>,
    ) -> Result<Stop> {
        let variant = &ctx.eval.variants[plan.variant];
        let VariantSpec::Local(spec) = &variant.spec else {
            return Err(wrong_kind(self.name(), variant));
        };
        run(ctx, variant, spec, &plan.jobs, recorder)?;
        // A Ctrl-C during the batch shows at the next variant's start (the flag is shared).
        Ok(Stop::Done)
    }
}

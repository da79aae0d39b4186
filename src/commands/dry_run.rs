//! `verdict run --dry-run`: the plan, rendered by the exporters, nothing sent.

use crate::config::Eval;
use crate::error::Result;
use crate::exit::Exit;
use crate::report::{Output, PlanRow, PlanView};

use super::print_bytes;

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

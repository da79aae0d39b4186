//! Checks made before a run writes or sends anything: every LLM variant with work to do has
//! a usable base URL, an API key, and (under `--max-cost`) a price. A failed check costs
//! nothing and leaves no half-made run folder behind.

use super::plan::VariantPlan;
use crate::config::Eval;
use crate::error::{display_path, Error, Result};
use crate::provider::{prices, CallError, LlmClient};
use crate::variant::{LlmSpec, Variant, VariantSpec};

/// The LLM variants of `plans` that have work to do.
fn online<'e>(
    eval: &'e Eval,
    plans: &'e [VariantPlan],
) -> impl Iterator<Item = (&'e Variant, &'e LlmSpec)> + 'e {
    plans.iter().filter(|p| !p.jobs.is_empty()).filter_map(|p| {
        let v = &eval.variants[p.variant];
        match &v.spec {
            VariantSpec::Llm(spec) => Some((v, spec)),
            VariantSpec::Local(_) => None,
        }
    })
}

/// `--max-cost` counts dollars from the price table: a variant with work to do whose model has
/// no price would spend without limit (its responses cost "unknown", counted as 0). Checked
/// before anything is sent or written.
pub fn max_cost(eval: &Eval, plans: &[VariantPlan], max_cost: Option<f64>) -> Result<()> {
    let Some(max) = max_cost else { return Ok(()) };
    let unpriced: Vec<String> = online(eval, plans)
        .filter(|(_, spec)| prices::price_for(&spec.model, &eval.prices).is_none())
        .map(|(v, spec)| format!("  {} (model {})", v.name, spec.model))
        .collect();
    if unpriced.is_empty() {
        return Ok(());
    }
    Err(Error::Usage(format!(
        "--max-cost {max} cannot be enforced: no price is known for\n{}\n(give each model its price under `prices:` in the eval, or use --max-requests)",
        unpriced.join("\n")
    )))
}

/// Every LLM variant with work to do has a usable base URL (`base_url:` or the provider's
/// variable): checked before anything is sent or written, so `ANTHROPIC_BASE_URL="not a url"`
/// is a configuration error (exit 2) naming the variable, not a minute of retried connection
/// errors per request and a run that "succeeds" with every ticket failed.
pub fn base_urls(eval: &Eval, plans: &[VariantPlan]) -> Result<()> {
    let bad: Vec<String> = online(eval, plans)
        .filter_map(|(v, spec)| {
            crate::provider::client::resolve_base_url(v.provider, spec)
                .err()
                .map(|why| format!("  {} ({}): {why}", v.name, display_path(&v.file)))
        })
        .collect();
    if bad.is_empty() {
        return Ok(());
    }
    Err(Error::Usage(format!(
        "a base URL is not usable, so nothing was sent or written:\n{}",
        bad.join("\n")
    )))
}

/// Every LLM variant with work to do has an API key: checked before anything is written or
/// sent, so a missing key costs nothing and leaves no half-made run folder behind.
pub fn keys(eval: &Eval, plans: &[VariantPlan]) -> Result<()> {
    let timeout = std::time::Duration::from_secs_f64(eval.run.timeout_s);
    let missing: Vec<String> = online(eval, plans)
        .filter_map(
            |(v, spec)| match LlmClient::new(v.provider, spec, timeout) {
                Err(CallError::Auth { message, .. }) => {
                    Some(format!("  {} ({}): {message}", v.name, v.provider.name()))
                }
                _ => None,
            },
        )
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    Err(Error::RunFailed(format!(
        "cannot authenticate, so nothing was sent or written:\n{}\n(run only the other variants with --variant NAME, or --dry-run to see the cost without a key)",
        missing.join("\n")
    )))
}

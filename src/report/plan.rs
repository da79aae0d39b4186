//! The dry-run plan: what `verdict run --dry-run` would send and roughly what it would
//! cost, as data (for `--format json`) and as a [`Doc`] (for the table and Markdown formats).

use serde::Serialize;

use super::model::{Cell, Doc, TableModel};

/// One variant's share of a planned run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlanRow {
    pub variant: String,
    pub provider: String,
    /// `None` for a local variant.
    pub model: Option<String>,
    /// A local variant runs on this machine and sends nothing.
    pub offline: bool,
    /// Classifications left to do (tickets x repeats not yet journaled).
    pub requests: usize,
    /// Classifications the journal already holds.
    pub already_done: usize,
    /// Input tokens estimated from each exact request body (about +-30%); 0 offline.
    pub input_tokens_est: u64,
    /// `max_tokens` per request: the most the output can be; 0 offline.
    pub output_tokens_max: u64,
    /// The input estimate plus the most the output can cost; `None`: the model has no price.
    pub cost_usd_max: Option<f64>,
}

/// A planned run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlanView {
    pub variants: Vec<PlanRow>,
    /// Requests to a provider (local variants send none).
    pub requests: usize,
    pub input_tokens_est: u64,
    pub output_tokens_max: u64,
    /// Sum over the priced variants.
    pub cost_usd_max: f64,
    /// Some variant's model has no price, so the total leaves it out.
    pub unpriced: bool,
}

impl PlanView {
    /// Totals the rows.
    pub fn new(variants: Vec<PlanRow>) -> Self {
        let online = variants.iter().filter(|r| !r.offline);
        PlanView {
            requests: online.clone().map(|r| r.requests).sum(),
            input_tokens_est: variants.iter().map(|r| r.input_tokens_est).sum(),
            output_tokens_max: variants.iter().map(|r| r.output_tokens_max).sum(),
            cost_usd_max: variants.iter().filter_map(|r| r.cost_usd_max).sum(),
            unpriced: variants.iter().any(|r| r.cost_usd_max.is_none()),
            variants,
        }
    }

    /// The plan as a table and two sentences.
    pub fn doc(&self) -> Doc {
        let mut t = TableModel::new([
            "variant",
            "provider",
            "model",
            "requests",
            "already done",
            "input tokens (est.)",
            "output tokens (max)",
            "cost USD (est., at most)",
        ]);
        for r in &self.variants {
            let dash = || Cell::new("-").right();
            t.add_row([
                Cell::new(&r.variant),
                Cell::new(&r.provider),
                Cell::new(r.model.as_deref().unwrap_or("-")),
                Cell::new(if r.offline {
                    format!("{} (offline)", r.requests)
                } else {
                    r.requests.to_string()
                })
                .right(),
                Cell::new(r.already_done).right(),
                if r.offline {
                    dash()
                } else {
                    Cell::new(r.input_tokens_est).right()
                },
                if r.offline {
                    dash()
                } else {
                    Cell::new(r.output_tokens_max).right()
                },
                Cell::new(match r.cost_usd_max {
                    Some(c) => format!("{c:.4}"),
                    None => "no price".into(),
                })
                .right(),
            ]);
        }
        let mut doc = Doc::default();
        doc.table(t);
        doc.text(format!(
            "total: {} request{}, ~{} input tokens, at most {} output tokens, ~${:.4}{}",
            self.requests,
            if self.requests == 1 { "" } else { "s" },
            self.input_tokens_est,
            self.output_tokens_max,
            self.cost_usd_max,
            if self.unpriced {
                " (plus models with no price: add them under `prices:`)"
            } else {
                ""
            }
        ));
        doc.text("nothing was sent; cached responses, if any, would lower this");
        doc
    }
}

//! The progress display: consumes runner events and draws a bar on a terminal (stderr), or
//! nothing when stderr is not a terminal, so piped output holds only the results.

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::config::Eval;
use crate::eval_log::Outcome;
use crate::runner::{Event, VariantPlan};

/// Draws one bar for the whole run: done/total, rate, ETA, retries, failures and cost so far.
pub struct Progress {
    bar: ProgressBar,
    retries: u64,
    failed: u64,
    cost: f64,
    cached: u64,
    /// Some response came from a model without a price.
    unpriced: bool,
}

impl Progress {
    pub fn new(_eval: &Eval, plans: &[VariantPlan]) -> Self {
        let total: usize = plans.iter().map(|p| p.jobs.len()).sum();
        let target = if std::io::stderr().is_terminal() && std::env::var_os("CI").is_none() {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        };
        let bar = ProgressBar::with_draw_target(Some(total as u64), target);
        bar.set_style(
            ProgressStyle::with_template(
                "{spinner} {prefix:.bold} [{bar:30}] {pos}/{len} · {per_sec} · eta {eta} {msg}",
            )
            .expect("valid template")
            .progress_chars("=> "),
        );
        bar.enable_steady_tick(std::time::Duration::from_millis(120));
        Progress {
            bar,
            retries: 0,
            failed: 0,
            cost: 0.0,
            cached: 0,
            unpriced: false,
        }
    }

    fn update_msg(&self) {
        let mut parts = Vec::new();
        if self.unpriced {
            parts.push("cost: no price".to_string());
        } else if self.cost > 0.0 {
            parts.push(format!("${:.4}", self.cost));
        }
        if self.retries > 0 {
            parts.push(format!("{} retries", self.retries));
        }
        if self.failed > 0 {
            parts.push(format!("{} failed", self.failed));
        }
        if self.cached > 0 {
            parts.push(format!("{} cached", self.cached));
        }
        self.bar.set_message(parts.join(" · "));
    }

    pub fn event(&mut self, ev: Event) {
        match ev {
            Event::VariantStarted { variant, .. } => self.bar.set_prefix(variant),
            Event::Training { variant, examples } => {
                self.bar
                    .set_prefix(format!("{variant} (training on {examples} examples)"));
            }
            Event::Finished(rec) => {
                self.bar.set_prefix(rec.variant.clone());
                match rec.cost_usd {
                    Some(c) => self.cost += c,
                    // A response from a model without a price: the total is not known.
                    None if rec.usage.is_some() && !rec.cached => self.unpriced = true,
                    None => {}
                }
                if rec.outcome == Outcome::ProviderError {
                    self.failed += 1;
                }
                if rec.cached {
                    self.cached += 1;
                }
                self.bar.inc(1);
                self.update_msg();
            }
            Event::Retry { .. } => {
                self.retries += 1;
                self.update_msg();
            }
            Event::VariantFinished { .. } => {}
            Event::Warning(message) => self.bar.suspend(|| eprintln!("warning: {message}")),
        }
    }

    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

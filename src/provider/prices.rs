//! STUB until branch `http` lands.

use crate::config::PriceOverride;
use crate::eval_log::Usage;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Price {
    pub input: f64,
    pub output: f64,
    pub cache_read: f64,
    pub cache_write_5m: f64,
}

pub fn price_for(model: &str, overrides: &[PriceOverride]) -> Option<Price> {
    if let Some(o) = overrides.iter().find(|o| o.model == model) {
        return Some(Price {
            input: o.input,
            output: o.output,
            cache_read: o.input * 0.1,
            cache_write_5m: o.input * 1.25,
        });
    }
    (model == "claude-haiku-4-5").then_some(Price {
        input: 1.0,
        output: 5.0,
        cache_read: 0.1,
        cache_write_5m: 1.25,
    })
}

pub fn cost_usd(price: &Price, usage: &Usage) -> f64 {
    (usage.input_tokens as f64 * price.input
        + usage.output_tokens as f64 * price.output
        + usage.cache_read_input_tokens as f64 * price.cache_read
        + usage.cache_creation_input_tokens as f64 * price.cache_write_5m)
        / 1_000_000.0
}

pub fn estimate_input_tokens(body: &serde_json::Value) -> u64 {
    serde_json::to_string(body)
        .map(|s| s.len() as u64)
        .unwrap_or(0)
        .div_ceil(4)
}

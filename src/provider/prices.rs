//! Token prices (USD per million tokens) and cost arithmetic.
//!
//! The built-in table holds the Claude models that were current when it was written (docs
//! mirror dated 2026-08-22, wire-protocol reference §6.1). Prices change: an eval's `prices:`
//! section overrides the table, and a model missing from both has no cost (`None`), which
//! the runner reports rather than guessing.

use crate::eval_log::Usage;

/// USD per million tokens.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Price {
    pub input: f64,
    pub output: f64,
    /// Prompt-cache hits.
    pub cache_read: f64,
    /// Prompt-cache writes with the default 5-minute TTL.
    pub cache_write_5m: f64,
}

impl Price {
    /// A price from input and output alone, with the standard cache multipliers
    /// (read ×0.1, 5-minute write ×1.25 of input).
    pub fn with_standard_cache(input: f64, output: f64) -> Price {
        Price {
            input,
            output,
            cache_read: input * 0.1,
            cache_write_5m: input * 1.25,
        }
    }
}

/// (model ids, input, output, 5m cache write, cache hit). Ids: the alias first, then dated ids.
const TABLE: &[(&[&str], f64, f64, f64, f64)] = &[
    (&["claude-fable-5"], 10.0, 50.0, 12.50, 1.00),
    (&["claude-mythos-5"], 10.0, 50.0, 12.50, 1.00),
    (&["claude-opus-5"], 5.0, 25.0, 6.25, 0.50),
    (&["claude-opus-4-8"], 5.0, 25.0, 6.25, 0.50),
    (&["claude-opus-4-7"], 5.0, 25.0, 6.25, 0.50),
    (&["claude-opus-4-6"], 5.0, 25.0, 6.25, 0.50),
    (
        &["claude-opus-4-5", "claude-opus-4-5-20251101"],
        5.0,
        25.0,
        6.25,
        0.50,
    ),
    (&["claude-sonnet-5"], 2.0, 10.0, 2.50, 0.20),
    (&["claude-sonnet-4-6"], 3.0, 15.0, 3.75, 0.30),
    (
        &["claude-sonnet-4-5", "claude-sonnet-4-5-20250929"],
        3.0,
        15.0,
        3.75,
        0.30,
    ),
    (
        &["claude-haiku-4-5", "claude-haiku-4-5-20251001"],
        1.0,
        5.0,
        1.25,
        0.10,
    ),
];

/// Model ids of the built-in price table (aliases and dated ids).
pub fn known_models() -> impl Iterator<Item = &'static str> {
    TABLE.iter().flat_map(|row| row.0.iter().copied())
}

/// Models verdict knows and their context windows in tokens (input and output together), for
/// the typo and context checks of `verdict validate`. Claude models from the wire-protocol
/// reference §6.1 (Fable 5, Opus 5, Sonnet 5 and the 4.6+ models: 1M; the 4.5 models: 200k);
/// OpenAI models a variant is likely to name. Dated Claude ids are matched without their date.
/// An eval's `prices:` entry may declare `context_tokens` for any other model.
const KNOWN_MODELS: &[(&str, u64)] = &[
    ("claude-fable-5", 1_000_000),
    ("claude-mythos-5", 1_000_000),
    ("claude-opus-5", 1_000_000),
    ("claude-opus-4-8", 1_000_000),
    ("claude-opus-4-7", 1_000_000),
    ("claude-opus-4-6", 1_000_000),
    ("claude-opus-4-5", 200_000),
    ("claude-sonnet-5", 1_000_000),
    ("claude-sonnet-4-6", 1_000_000),
    ("claude-sonnet-4-5", 200_000),
    ("claude-haiku-4-5", 200_000),
    ("gpt-4o", 128_000),
    ("gpt-4o-mini", 128_000),
    ("gpt-4.1", 1_047_576),
    ("gpt-4.1-mini", 1_047_576),
    ("gpt-4.1-nano", 1_047_576),
    ("o3", 200_000),
    ("o3-mini", 200_000),
    ("o4-mini", 200_000),
];

/// Every model id verdict knows by name (the price table's and [`KNOWN_MODELS`]), for
/// suggestions.
pub fn all_known_models() -> Vec<&'static str> {
    let mut out: Vec<&'static str> = known_models().collect();
    for (m, _) in KNOWN_MODELS {
        if !out.contains(m) {
            out.push(m);
        }
    }
    out
}

/// Whether `model` is known: priced (by the table or an override) or in the known-models list.
pub fn is_known(model: &str, override_models: &[String]) -> bool {
    let listed = |id: &str| KNOWN_MODELS.iter().any(|(m, _)| *m == id);
    override_models.iter().any(|m| m == model)
        || price_for(model, &[]).is_some()
        || listed(model)
        || strip_date(model).is_some_and(listed)
}

/// The context window of `model` in tokens: an override's `context_tokens` first, then the
/// known-models list; `None` when unknown.
pub fn context_tokens(model: &str, overrides: &[PriceOverride]) -> Option<u64> {
    if let Some(n) = overrides
        .iter()
        .find(|o| o.model == model)
        .and_then(|o| o.context_tokens)
    {
        return Some(n);
    }
    let lookup = |id: &str| KNOWN_MODELS.iter().find(|(m, _)| *m == id).map(|(_, n)| *n);
    lookup(model).or_else(|| lookup(strip_date(model)?))
}

/// The price of `model`: an override with exactly that name wins, then the built-in table
/// (exact id, else the id with a trailing `-YYYYMMDD` snapshot date removed).
pub fn price_for(model: &str, overrides: &[PriceOverride]) -> Option<Price> {
    if let Some(o) = overrides.iter().find(|o| o.model == model) {
        let std = Price::with_standard_cache(o.input, o.output);
        return Some(Price {
            input: o.input,
            output: o.output,
            cache_read: o.cache_read.unwrap_or(std.cache_read),
            cache_write_5m: o.cache_write.unwrap_or(std.cache_write_5m),
        });
    }
    let lookup = |id: &str| {
        TABLE.iter().find(|row| row.0.contains(&id)).map(
            |&(_, input, output, cache_write_5m, cache_read)| Price {
                input,
                output,
                cache_read,
                cache_write_5m,
            },
        )
    };
    lookup(model).or_else(|| lookup(strip_date(model)?))
}

/// `claude-sonnet-4-6-20260101` -> `claude-sonnet-4-6`.
fn strip_date(model: &str) -> Option<&str> {
    let (head, tail) = model.rsplit_once('-')?;
    (tail.len() == 8 && tail.bytes().all(|b| b.is_ascii_digit())).then_some(head)
}

/// The cost of one call in USD. `usage.input_tokens` are the uncached input tokens (as both
/// APIs report them once cache reads are split out).
pub fn cost_usd(price: &Price, usage: &Usage) -> f64 {
    (usage.input_tokens as f64 * price.input
        + usage.output_tokens as f64 * price.output
        + usage.cache_read_input_tokens as f64 * price.cache_read
        + usage.cache_creation_input_tokens as f64 * price.cache_write_5m)
        / 1_000_000.0
}

/// Tokens the tool-use system prompt adds when a request has tools (reference §6.2: 496-804
/// for current models with a forced choice; 600 is a middle value).
const TOOL_OVERHEAD_TOKENS: u64 = 600;

/// A rough input-token estimate of a request body for `--dry-run`: the characters of the body
/// serialized as compact JSON divided by 4 (rounded up), plus a flat 600 tokens when it
/// declares tools. Real counts differ by ±30% or more (tokenizers differ by model, JSON
/// punctuation is cheap); use it for budgets, never for billing.
pub fn estimate_input_tokens(body: &serde_json::Value) -> u64 {
    let chars = serde_json::to_string(body)
        .map(|s| s.chars().count() as u64)
        .unwrap_or(0);
    let has_tools = body
        .get("tools")
        .and_then(|t| t.as_array())
        .is_some_and(|t| !t.is_empty());
    chars.div_ceil(4) + if has_tools { TOOL_OVERHEAD_TOKENS } else { 0 }
}

/// A per-model price override, USD per million tokens.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PriceOverride {
    pub model: String,
    pub input: f64,
    pub output: f64,
    pub cache_read: Option<f64>,
    pub cache_write: Option<f64>,
    /// The model's context window in tokens (input and output), for the check that every
    /// ticket fits; the built-in list knows it for the models it prices.
    #[serde(default)]
    pub context_tokens: Option<u64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aliases_dated_ids_and_overrides() {
        let haiku = price_for("claude-haiku-4-5", &[]).unwrap();
        assert_eq!(haiku.input, 1.0);
        assert_eq!(haiku.output, 5.0);
        assert_eq!(haiku.cache_read, 0.10);
        assert_eq!(haiku.cache_write_5m, 1.25);
        assert_eq!(price_for("claude-haiku-4-5-20251001", &[]), Some(haiku));
        assert_eq!(
            price_for("claude-sonnet-4-5-20250929", &[]).unwrap().input,
            3.0
        );
        assert_eq!(price_for("claude-sonnet-4-6", &[]).unwrap().output, 15.0);
        assert_eq!(price_for("claude-sonnet-5", &[]).unwrap().input, 2.0);
        assert_eq!(price_for("claude-opus-4-5", &[]).unwrap().input, 5.0);
        assert_eq!(price_for("claude-opus-5", &[]).unwrap().cache_read, 0.5);
        assert_eq!(price_for("claude-fable-5", &[]).unwrap().output, 50.0);
        // Retired and unknown models have no built-in price.
        assert_eq!(price_for("claude-3-5-haiku-20241022", &[]), None);
        assert_eq!(price_for("gpt-4o-mini", &[]), None);
        let o = PriceOverride {
            model: "claude-haiku-4-5".into(),
            input: 2.0,
            output: 8.0,
            cache_read: None,
            cache_write: Some(3.0),
            context_tokens: None,
        };
        let p = price_for("claude-haiku-4-5", std::slice::from_ref(&o)).unwrap();
        assert_eq!((p.input, p.output, p.cache_write_5m), (2.0, 8.0, 3.0));
        assert!((p.cache_read - 0.2).abs() < 1e-12);
        // An override for a model the table lacks.
        let o = PriceOverride {
            model: "my-vllm-model".into(),
            ..o
        };
        assert!(price_for("my-vllm-model", &[o]).is_some());
    }

    #[test]
    fn known_models_and_context_windows() {
        assert!(is_known("claude-haiku-4-5-20251001", &[]));
        assert!(is_known("gpt-4o-mini", &[]));
        assert!(!is_known("claude-haiku-4.5", &[]));
        assert!(is_known("my-model", &["my-model".to_string()]));
        assert_eq!(
            context_tokens("claude-haiku-4-5-20251001", &[]),
            Some(200_000)
        );
        assert_eq!(context_tokens("claude-sonnet-5", &[]), Some(1_000_000));
        assert_eq!(context_tokens("my-model", &[]), None);
        let o = PriceOverride {
            model: "my-model".into(),
            input: 0.0,
            output: 0.0,
            cache_read: None,
            cache_write: None,
            context_tokens: Some(8192),
        };
        assert_eq!(context_tokens("my-model", &[o]), Some(8192));
        // Every priced model has a known context window.
        for m in known_models() {
            assert!(context_tokens(m, &[]).is_some(), "{m}");
        }
    }

    #[test]
    fn cost_counts_all_four_counters() {
        let p = price_for("claude-haiku-4-5", &[]).unwrap();
        let u = Usage {
            input_tokens: 1_000_000,
            output_tokens: 100_000,
            cache_read_input_tokens: 1_000_000,
            cache_creation_input_tokens: 1_000_000,
        };
        let c = cost_usd(&p, &u);
        assert!((c - (1.0 + 0.5 + 0.1 + 1.25)).abs() < 1e-9, "{c}");
    }

    #[test]
    fn estimate_is_chars_over_four() {
        let body = serde_json::json!({"model": "m", "messages": []});
        let n = serde_json::to_string(&body).unwrap().len() as u64;
        assert_eq!(estimate_input_tokens(&body), n.div_ceil(4));
        let body = serde_json::json!({"tools": [{}]});
        assert_eq!(estimate_input_tokens(&body), 4 + 600);
    }
}

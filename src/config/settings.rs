//! The eval's settings sections: `run:` ([`RunSettings`]), `prices:`, `calibration:` and
//! `routing:`, each read and checked from YAML.

use super::check::{self, Checker};
use crate::gold::{FieldKind, GoldSet};
use crate::provider::prices::PriceOverride;
use crate::score::{CalibrationSettings, RoutingSettings};
use crate::yaml as yaml_node;

/// How the run goes: concurrency, retries, repeats, seed.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RunSettings {
    pub concurrency: usize,
    pub max_retries: u32,
    pub timeout_s: f64,
    pub repeats: u32,
    pub seed: u64,
    /// Client-side request limit per minute, per provider endpoint.
    pub requests_per_minute: Option<u32>,
    /// Client-side token limit per minute (input + output estimate).
    pub tokens_per_minute: Option<u32>,
}

impl Default for RunSettings {
    fn default() -> Self {
        RunSettings {
            concurrency: 8,
            max_retries: 6,
            timeout_s: 60.0,
            repeats: 1,
            seed: 0,
            requests_per_minute: None,
            tokens_per_minute: None,
        }
    }
}

const RUN_KEYS: &[&str] = &[
    "concurrency",
    "max_retries",
    "timeout_s",
    "repeats",
    "seed",
    "requests_per_minute",
    "tokens_per_minute",
];

pub(super) fn read_run(c: &mut Checker, node: Option<&yaml_node::Node>) -> Option<RunSettings> {
    let mut run = RunSettings::default();
    let Some(node) = node else { return Some(run) };
    let f = c.map(node, "run", RUN_KEYS, &[])?;
    let before = c.diags.len();
    if let Some(n) = f.get("concurrency") {
        run.concurrency = c.integer(n, "run.concurrency", 1, 1024).unwrap_or(1) as usize;
    }
    if let Some(n) = f.get("max_retries") {
        run.max_retries = c.integer(n, "run.max_retries", 0, 100).unwrap_or(0) as u32;
    }
    if let Some(n) = f.get("timeout_s") {
        run.timeout_s = c.number(n, "run.timeout_s", 0.001, 3600.0).unwrap_or(60.0);
    }
    if let Some(n) = f.get("repeats") {
        run.repeats = c.integer(n, "run.repeats", 1, 100).unwrap_or(1) as u32;
    }
    if let Some(n) = f.get("seed") {
        run.seed = c.integer(n, "run.seed", 0, i64::MAX).unwrap_or(0) as u64;
    }
    if let Some(n) = f.get("requests_per_minute") {
        run.requests_per_minute = c
            .integer(n, "run.requests_per_minute", 1, 10_000_000)
            .map(|v| v as u32);
    }
    if let Some(n) = f.get("tokens_per_minute") {
        run.tokens_per_minute = c
            .integer(n, "run.tokens_per_minute", 1, 1_000_000_000)
            .map(|v| v as u32);
    }
    (c.diags.len() == before).then_some(run)
}

pub(super) fn read_prices(
    c: &mut Checker,
    node: Option<&yaml_node::Node>,
) -> Option<Vec<PriceOverride>> {
    let Some(node) = node else {
        return Some(Vec::new());
    };
    let m = c.any_map(
        node,
        "prices",
        "a mapping of model -> {input, output, cache_read, cache_write, context_tokens}",
    )?;
    let mut out = Vec::new();
    let before = c.diags.len();
    for (k, v) in m.entries() {
        let model = k.key_string();
        let p = m.sub(&model);
        let Some(f) = c.map(
            v,
            &p,
            &[
                "input",
                "output",
                "cache_read",
                "cache_write",
                "context_tokens",
            ],
            &["input", "output"],
        ) else {
            continue;
        };
        let num = |c: &mut Checker, key: &str| {
            f.get(key).and_then(|n| c.number(n, &f.sub(key), 0.0, 1e6))
        };
        let input = num(c, "input");
        let output = num(c, "output");
        let cache_read = num(c, "cache_read");
        let cache_write = num(c, "cache_write");
        let context_tokens = f
            .get("context_tokens")
            .and_then(|n| c.integer(n, &f.sub("context_tokens"), 1, 100_000_000))
            .map(|v| v as u64);
        if let (Some(input), Some(output)) = (input, output) {
            out.push(PriceOverride {
                model,
                input,
                output,
                cache_read,
                cache_write,
                context_tokens,
            });
        }
    }
    (c.diags.len() == before).then_some(out)
}

/// The label field a setting refers to: given, or the first label field.
fn label_field(
    c: &mut Checker,
    f: &check::Fields,
    key_path: &str,
    gold: Option<&GoldSet>,
) -> Option<String> {
    let gold = gold?;
    match f.get("field") {
        Some(n) => {
            let name = c.string(n, key_path)?;
            match gold.field(&name) {
                Some((_, fl)) if fl.kind == FieldKind::Label => Some(name),
                Some((_, fl)) => {
                    let labels: Vec<&str> = gold
                        .fields
                        .iter()
                        .filter(|f| f.kind == FieldKind::Label)
                        .map(|f| f.name.as_str())
                        .collect();
                    let valid = if labels.is_empty() {
                        "the gold set has no label field".to_string()
                    } else {
                        format!("label fields: {}", check::list(&labels))
                    };
                    c.error(
                        Some(n.pos),
                        key_path,
                        format!(
                            "field `{name}` is a {} field; confidence is about a single-label field ({valid})",
                            fl.kind.name()
                        ),
                    );
                    None
                }
                None => {
                    let names: Vec<&str> = gold.fields.iter().map(|f| f.name.as_str()).collect();
                    let hint = check::did_you_mean(&name, &names)
                        .map(|h| format!("did you mean `{h}`? "))
                        .unwrap_or_default();
                    c.error(
                        Some(n.pos),
                        key_path,
                        format!(
                            "`{name}` is not a field of the gold set ({hint}fields: {})",
                            check::list(&names)
                        ),
                    );
                    None
                }
            }
        }
        None => gold
            .fields
            .iter()
            .find(|f| f.kind == FieldKind::Label)
            .map(|f| f.name.clone()),
    }
}

/// An empty mapping, read in place of an optional section that is absent (so its defaults
/// and checks against the gold set apply).
fn empty_map() -> yaml_node::Node {
    yaml_node::Node {
        value: yaml_node::Value::Map(vec![]),
        pos: Default::default(),
    }
}

pub(super) fn read_calibration(
    c: &mut Checker,
    node: Option<&yaml_node::Node>,
    gold: Option<&GoldSet>,
) -> Option<CalibrationSettings> {
    let empty = empty_map();
    let node = node.unwrap_or(&empty);
    let f = c.map(node, "calibration", &["field", "bins"], &[])?;
    let bins = match f.get("bins") {
        Some(n) => c.integer(n, "calibration.bins", 1, 1000)? as usize,
        None => 10,
    };
    let field = label_field(c, &f, "calibration.field", gold)?;
    Some(CalibrationSettings { field, bins })
}

pub(super) fn read_routing(
    c: &mut Checker,
    node: Option<&yaml_node::Node>,
    gold: Option<&GoldSet>,
) -> Option<RoutingSettings> {
    let empty = empty_map();
    let node = node.unwrap_or(&empty);
    let f = c.map(
        node,
        "routing",
        &["field", "route_at", "clarify_at", "target_accuracy"],
        &[],
    )?;
    let num = |c: &mut Checker, key: &str, default: f64| match f.get(key) {
        Some(n) => c.number(n, &format!("routing.{key}"), 0.0, 1.0),
        None => Some(default),
    };
    // All three are read before giving up, so each bad one is reported.
    let route_at = num(c, "route_at", 0.9);
    let clarify_at = num(c, "clarify_at", 0.7);
    let target_accuracy = num(c, "target_accuracy", 0.98);
    let field = label_field(c, &f, "routing.field", gold);
    // The order of the two thresholds is checked even when another setting is bad, so every
    // problem of the section is reported at once.
    let (route_at, clarify_at) = (route_at?, clarify_at?);
    if clarify_at > route_at {
        match f.get("clarify_at") {
            Some(n) => c.error(
                Some(n.pos),
                "routing.clarify_at",
                format!("clarify_at ({clarify_at}) must not be above route_at ({route_at})"),
            ),
            // clarify_at is the default (0.7): point at route_at, and say so.
            None => c.error(
                f.get("route_at").map(|n| n.pos).or(Some(node.pos)),
                "routing.route_at",
                format!(
                    "route_at ({route_at}) is below clarify_at ({clarify_at}, the default); set clarify_at to at most {route_at}"
                ),
            ),
        }
        return None;
    }
    Some(RoutingSettings {
        field: field?,
        route_at,
        clarify_at,
        target_accuracy: target_accuracy?,
    })
}

//! The gold-aware mode: the fake knows the gold set and answers each ticket's gold label with
//! a chosen probability, so a test can run a good and a deliberately worse variant and know
//! the accuracy to expect.
//!
//! - **Which ticket:** the request's user turns are searched (last first) for a gold ticket's
//!   text, whitespace-insensitively: the whole turn, then the turn minus a prefix and suffix
//!   learned from an earlier match (the variant's `user` template), then any gold text the
//!   turn contains (the longest; among equal texts, one whose id also appears). Sets without
//!   texts (a JSON map id -> labels) are matched by an id appearing as a word of the turn.
//! - **How accurate:** a marker `[[fake:accuracy=P]]` in the system prompt (Anthropic `system`,
//!   OpenAI `system`/`developer` messages), else [`GoldMode::model_accuracy`] for the model,
//!   else [`GoldMode::accuracy`] (default 1.0).
//! - **The draw:** per (seed, variant, ticket id, field) a uniform number from a stable hash;
//!   below P the field gets its gold value, otherwise a wrong but schema-valid one (another
//!   enum value; a set with one value added or removed; the other boolean). "Variant" is the
//!   model plus the system text, so two variants draw independently and the same request
//!   always gets the same answer: deterministic across runs and processes for a seed.
//! - **Which tool property:** the property named like the gold field, else the first enum
//!   property (or array of enums) whose values include the gold value. Fields no property
//!   takes are left to the generated answer; a gold value outside the property's enum cannot
//!   be answered validly and is answered wrong.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Mutex;

mod load;

use load::{cell, csv_rows, from_json, from_rows, from_yaml, jsonl_rows};
use serde_json::{json, Map, Value};

/// One gold ticket as the fake needs it.
#[derive(Debug, Clone, PartialEq)]
pub struct GoldTicket {
    pub id: String,
    /// `None` for sets loaded from an id -> labels map: matched by id only.
    pub text: Option<String>,
    /// Gold field -> value: a string (CSV cells: `a|b` for a set, `true`/`yes`/`1` for a
    /// flag, read according to the tool schema), a list of strings, or a boolean.
    pub labels: Map<String, Value>,
}

/// Which columns of a CSV or JSONL gold file hold what (YAML and JSON files need none).
#[derive(Debug, Clone, PartialEq)]
pub struct GoldColumns {
    /// The ticket text (default `text`).
    pub text: String,
    /// The ticket id (default `id` when the file has it, else `row-N`, 1-based, like verdict).
    pub id: Option<String>,
    /// Gold field -> column. Empty: a JSONL `labels` object if present, else every column
    /// except id, text, `tags` and `clarification`, each a field of its own name.
    pub labels: Vec<(String, String)>,
}

impl Default for GoldColumns {
    fn default() -> Self {
        GoldColumns {
            text: "text".into(),
            id: None,
            labels: Vec::new(),
        }
    }
}

/// The gold tickets with their lookup indexes.
#[derive(Debug, Default)]
pub struct GoldSet {
    tickets: Vec<GoldTicket>,
    /// Normalized text -> indexes into `tickets` (several when texts repeat).
    by_text: HashMap<String, Vec<usize>>,
    by_id: HashMap<String, usize>,
    /// Normalized texts with their ticket index, longest first (for the containment scan).
    texts: Vec<(String, usize)>,
    /// (prefix, suffix) around the ticket text in user turns seen so far: the templates.
    templates: Mutex<Vec<(String, String)>>,
}

impl Clone for GoldSet {
    fn clone(&self) -> Self {
        GoldSet::new(self.tickets.clone())
    }
}

/// Whitespace runs become one space; ends trimmed.
fn normalize(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

impl GoldSet {
    /// A set from tickets (ids should be unique; the first of a repeated id wins by id).
    pub fn new(tickets: Vec<GoldTicket>) -> GoldSet {
        let mut set = GoldSet::default();
        for (i, t) in tickets.iter().enumerate() {
            set.by_id.entry(t.id.clone()).or_insert(i);
            if let Some(text) = &t.text {
                let n = normalize(text);
                if !n.is_empty() {
                    set.by_text.entry(n.clone()).or_default().push(i);
                    set.texts.push((n, i));
                }
            }
        }
        set.texts
            .sort_by(|a, b| b.0.len().cmp(&a.0.len()).then(a.1.cmp(&b.1)));
        set.tickets = tickets;
        set
    }

    pub fn tickets(&self) -> &[GoldTicket] {
        &self.tickets
    }

    /// Loads a gold file by extension: `.yaml`/`.yml` (verdict's gold YAML: `tickets:` with
    /// `id`, `text`, `labels`), `.jsonl`, `.csv` (columns per `columns`) or `.json` (an object
    /// id -> labels, or a list of `{id, text, labels}`).
    pub fn load(path: &Path, columns: &GoldColumns) -> Result<GoldSet, String> {
        let raw = std::fs::read_to_string(path)
            .map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or("")
            .to_ascii_lowercase();
        let tickets = match ext.as_str() {
            "yaml" | "yml" => from_yaml(&raw),
            "jsonl" => from_rows(jsonl_rows(&raw)?, columns),
            "csv" => from_rows(csv_rows(&raw)?, columns),
            "json" => from_json(&raw),
            other => Err(format!(
                "unknown gold file type {other:?} (valid: .yaml, .yml, .jsonl, .csv, .json)"
            )),
        }
        .map_err(|e| format!("{}: {e}", path.display()))?;
        if tickets.is_empty() {
            return Err(format!("{}: no tickets", path.display()));
        }
        Ok(GoldSet::new(tickets))
    }

    /// The gold ticket a request is about: its user turns, last first.
    pub fn find<'a>(&self, user_turns: impl Iterator<Item = &'a str>) -> Option<&GoldTicket> {
        for turn in user_turns {
            if let Some(i) = self.find_in(&normalize(turn)) {
                return Some(&self.tickets[i]);
            }
        }
        None
    }

    fn find_in(&self, turn: &str) -> Option<usize> {
        if turn.is_empty() {
            return None;
        }
        if let Some(i) = self.by_text.get(turn).map(|v| self.pick(v, turn)) {
            return Some(i);
        }
        let learned = self
            .templates
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        for (pre, suf) in &learned {
            if turn.len() >= pre.len() + suf.len() && turn.starts_with(pre) && turn.ends_with(suf) {
                let middle = turn[pre.len()..turn.len() - suf.len()].trim();
                if let Some(v) = self.by_text.get(middle) {
                    return Some(self.pick(v, turn));
                }
            }
        }
        if let Some((text, _)) = self.texts.iter().find(|(t, _)| turn.contains(t.as_str())) {
            let v = &self.by_text[text];
            if let Some(at) = turn.find(text.as_str()) {
                let mut templates = self.templates.lock().unwrap_or_else(|e| e.into_inner());
                let pair = (turn[..at].to_string(), turn[at + text.len()..].to_string());
                if !templates.contains(&pair) && templates.len() < 64 {
                    templates.push(pair);
                }
            }
            return Some(self.pick(v, turn));
        }
        // No text matched: an id standing as a word of the turn.
        turn.split(|c: char| !(c.is_alphanumeric() || matches!(c, '-' | '_' | '.' | ':')))
            .filter(|w| !w.is_empty())
            .find_map(|w| {
                self.by_id
                    .get(w)
                    .or_else(|| self.by_id.get(w.trim_end_matches(['.', ':'])))
            })
            .copied()
    }

    /// Among tickets with the same text, the one whose id appears in the turn, else the first.
    fn pick(&self, candidates: &[usize], turn: &str) -> usize {
        candidates
            .iter()
            .copied()
            .find(|&i| candidates.len() > 1 && turn.contains(&self.tickets[i].id))
            .unwrap_or(candidates[0])
    }
}

/// The gold-aware mode's settings: put it in [`crate::FakeConfig::gold`].
///
/// ```no_run
/// # async fn demo() -> Result<(), String> {
/// use verdict_fake::{FakeConfig, GoldColumns, GoldMode, GoldSet};
/// let gold = GoldSet::load("evals/support/gold.yaml".as_ref(), &GoldColumns::default())?;
/// let fake = verdict_fake::start(FakeConfig {
///     gold: Some(GoldMode::new(gold).seed(7).model_accuracy("gpt-4o-mini", 0.6)),
///     ..FakeConfig::default()
/// })
/// .await;
/// // A variant whose system prompt contains `[[fake:accuracy=0.75]]` is right about 75 % of
/// // the time; other claude-* variants always (the default accuracy, 1.0).
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct GoldMode {
    pub gold: std::sync::Arc<GoldSet>,
    /// For requests with no marker and no `model_accuracy` entry.
    pub accuracy: f64,
    /// Model -> accuracy.
    pub model_accuracy: Vec<(String, f64)>,
    pub seed: u64,
}

impl GoldMode {
    /// Accuracy 1.0 unless a marker or a model setting says otherwise; seed 0.
    pub fn new(gold: GoldSet) -> GoldMode {
        GoldMode {
            gold: std::sync::Arc::new(gold),
            accuracy: 1.0,
            model_accuracy: Vec::new(),
            seed: 0,
        }
    }

    pub fn seed(mut self, seed: u64) -> GoldMode {
        self.seed = seed;
        self
    }

    pub fn accuracy(mut self, p: f64) -> GoldMode {
        self.accuracy = p;
        self
    }

    pub fn model_accuracy(mut self, model: &str, p: f64) -> GoldMode {
        self.model_accuracy.push((model.to_string(), p));
        self
    }

    /// The accuracy for a request: marker, then model, then the default.
    pub fn accuracy_for(&self, system: &str, model: &str) -> f64 {
        accuracy_marker(system)
            .or_else(|| {
                self.model_accuracy
                    .iter()
                    .find(|(m, _)| m == model)
                    .map(|(_, p)| *p)
            })
            .unwrap_or(self.accuracy)
    }
}

/// `[[fake:accuracy=P]]` in `text`, P in [0, 1].
pub fn accuracy_marker(text: &str) -> Option<f64> {
    let start = text.find("[[fake:accuracy=")?;
    let rest = &text[start + "[[fake:accuracy=".len()..];
    let p: f64 = rest[..rest.find("]]")?].trim().parse().ok()?;
    (0.0..=1.0).contains(&p).then_some(p)
}

/// The marker that sets a variant's accuracy: `[[fake:accuracy=P]]`.
pub fn accuracy_marker_text(p: f64) -> String {
    format!("[[fake:accuracy={p}]]")
}

/// What the gold mode decided for one request (logged in [`crate::LoggedRequest::gold`]).
#[derive(Debug, Clone, PartialEq)]
pub struct GoldDecision {
    /// The gold ticket matched.
    pub id: String,
    /// The accuracy in force.
    pub accuracy: f64,
    /// Per gold field answered: true when the gold value was given.
    pub fields: Vec<(String, bool)>,
}

/// SplitMix64 finalizer over FNV-1a: a well-mixed stable hash of the parts.
fn mix(parts: &[&str], seed: u64) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ seed;
    for p in parts {
        for b in p.bytes().chain(std::iter::once(0xff)) {
            h ^= b as u64;
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    h = h.wrapping_add(0x9e37_79b9_7f4a_7c15);
    h = (h ^ (h >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    h = (h ^ (h >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    h ^ (h >> 31)
}

/// A uniform number in [0, 1) from the parts.
fn uniform(parts: &[&str], seed: u64) -> f64 {
    (mix(parts, seed) >> 11) as f64 / (1u64 << 53) as f64
}

/// Sets the gold (or a wrong) value of every gold field the tool schema can take into
/// `input`. `variant` identifies the variant (model + system text).
pub(crate) fn apply(
    mode: &GoldMode,
    ticket: &GoldTicket,
    accuracy: f64,
    variant: &str,
    schema: &Value,
    input: &mut Value,
) -> GoldDecision {
    let mut decision = GoldDecision {
        id: ticket.id.clone(),
        accuracy,
        fields: Vec::new(),
    };
    let (Some(props), Some(obj)) = (
        schema.get("properties").and_then(Value::as_object),
        input.as_object_mut(),
    ) else {
        return decision;
    };
    for (field, gold) in &ticket.labels {
        let Some((prop, pschema)) = property_for(props, field, gold) else {
            continue;
        };
        let key =
            |what: &str| [variant, ticket.id.as_str(), field.as_str(), what].map(str::to_string);
        let k = key("hit");
        let hit = uniform(&[&k[0], &k[1], &k[2], &k[3]], mode.seed) < accuracy;
        let k = key("wrong");
        let pick = mix(&[&k[0], &k[1], &k[2], &k[3]], mode.seed);
        let (value, correct) = value_for(pschema, gold, hit, pick);
        obj.insert(prop.clone(), value);
        decision.fields.push((field.clone(), correct));
    }
    decision
}

fn enum_of(schema: &Value) -> Option<&Vec<Value>> {
    schema.get("enum").and_then(Value::as_array)
}

fn is_array(schema: &Value) -> bool {
    schema.get("type").and_then(Value::as_str) == Some("array") || schema.get("items").is_some()
}

fn is_bool(schema: &Value) -> bool {
    schema.get("type").and_then(Value::as_str) == Some("boolean")
}

/// A gold value as a set of strings (a list, or a CSV cell `a|b`).
fn as_set(gold: &Value) -> Vec<String> {
    match gold {
        Value::Array(a) => a.iter().filter_map(cell).collect(),
        Value::String(s) if s.trim().is_empty() => Vec::new(),
        Value::String(s) => s.split('|').map(|x| x.trim().to_string()).collect(),
        other => cell(other).into_iter().collect(),
    }
}

fn as_bool(gold: &Value) -> Option<bool> {
    match gold {
        Value::Bool(b) => Some(*b),
        Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "true" | "yes" | "1" => Some(true),
            "false" | "no" | "0" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

/// The tool property that takes gold `field`: same name, else the first enum property (or
/// array of enums) whose values include the gold value.
fn property_for<'a>(
    props: &'a Map<String, Value>,
    field: &str,
    gold: &Value,
) -> Option<(&'a String, &'a Value)> {
    if let Some(p) = props.get_key_value(field) {
        return Some(p);
    }
    let wanted = as_set(gold);
    if wanted.is_empty() {
        return None;
    }
    props.iter().find(|(_, s)| {
        let values = if is_array(s) {
            s.get("items").and_then(enum_of)
        } else {
            enum_of(s)
        };
        values.is_some_and(|vs| {
            wanted
                .iter()
                .all(|w| vs.iter().any(|v| v.as_str() == Some(w)))
        })
    })
}

/// The value to answer and whether it is the gold one.
fn value_for(schema: &Value, gold: &Value, hit: bool, pick: u64) -> (Value, bool) {
    if is_bool(schema) {
        let g = as_bool(gold).unwrap_or(false);
        return (
            json!(if hit { g } else { !g }),
            hit && as_bool(gold).is_some(),
        );
    }
    if is_array(schema) {
        let items = schema.get("items").and_then(enum_of);
        let mut set = as_set(gold);
        set.dedup();
        let valid =
            items.is_none_or(|vs| set.iter().all(|g| vs.iter().any(|v| v.as_str() == Some(g))));
        if hit && valid {
            return (json!(set), true);
        }
        // Wrong: one value of the enum flipped in or out of the set.
        if let Some(vs) = items.filter(|vs| !vs.is_empty()) {
            let flip = &vs[(pick % vs.len() as u64) as usize];
            let flip = flip.as_str().unwrap_or_default().to_string();
            let mut wrong: Vec<String> = set
                .iter()
                .filter(|g| vs.iter().any(|v| v.as_str() == Some(g.as_str())))
                .cloned()
                .collect();
            match wrong.iter().position(|g| *g == flip) {
                Some(i) => {
                    wrong.remove(i);
                }
                None => wrong.push(flip),
            }
            return (json!(wrong), false);
        }
        return (json!(set), valid);
    }
    let g = cell(gold).unwrap_or_default();
    match enum_of(schema) {
        Some(vs) => {
            let in_enum = vs.iter().any(|v| v.as_str() == Some(g.as_str()));
            if hit && in_enum {
                return (json!(g), true);
            }
            let others: Vec<&Value> = vs
                .iter()
                .filter(|v| v.as_str() != Some(g.as_str()))
                .collect();
            if others.is_empty() {
                // A one-value enum cannot be answered wrong.
                return (json!(g), true);
            }
            (others[(pick % others.len() as u64) as usize].clone(), false)
        }
        None if hit => (json!(g), true),
        None => (json!(format!("not {g}")), false),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(id: &str, text: &str, dept: &str) -> GoldTicket {
        GoldTicket {
            id: id.into(),
            text: Some(text.into()),
            labels: [("department".to_string(), json!(dept))]
                .into_iter()
                .collect(),
        }
    }

    #[test]
    fn finds_tickets_through_templates_whitespace_and_ids() {
        let set = GoldSet::new(vec![
            t("A1", "order 1 is late", "billing"),
            t("A10", "order 10 is late", "sales"),
            t("B", "same text", "billing"),
            t("C", "same text", "sales"),
        ]);
        let id = |turn: &str| set.find([turn].into_iter()).map(|t| t.id.clone());
        assert_eq!(id("order 1 is late").as_deref(), Some("A1"));
        assert_eq!(
            id("Ticket:\n  order 10   is late\n").as_deref(),
            Some("A10")
        );
        // Learned template: prefix "Ticket:", suffix "".
        assert_eq!(id("Ticket:\norder 1 is late").as_deref(), Some("A1"));
        assert_eq!(id("Ticket C: same text").as_deref(), Some("C"));
        assert_eq!(id("nothing here"), None);
        let by_id = GoldSet::new(vec![GoldTicket {
            id: "T-7".into(),
            text: None,
            labels: Map::new(),
        }]);
        assert_eq!(
            by_id
                .find(["Ticket T-7: hello"].into_iter())
                .map(|t| t.id.as_str()),
            Some("T-7")
        );
    }

    #[test]
    fn markers_and_precedence() {
        assert_eq!(accuracy_marker("x [[fake:accuracy=0.75]] y"), Some(0.75));
        assert_eq!(accuracy_marker("[[fake:accuracy=1.5]]"), None);
        assert_eq!(accuracy_marker(&accuracy_marker_text(0.9)), Some(0.9));
        let m = GoldMode::new(GoldSet::default())
            .accuracy(0.5)
            .model_accuracy("m1", 0.8);
        assert_eq!(m.accuracy_for("[[fake:accuracy=0.1]]", "m1"), 0.1);
        assert_eq!(m.accuracy_for("plain", "m1"), 0.8);
        assert_eq!(m.accuracy_for("plain", "m2"), 0.5);
    }

    #[test]
    fn wrong_answers_stay_valid_and_differ_from_gold() {
        let label = json!({"type": "string", "enum": ["a", "b", "c"]});
        for pick in 0..10 {
            let (v, ok) = value_for(&label, &json!("a"), false, pick);
            assert!(
                !ok && v != json!("a") && jsonschema::is_valid(&label, &v),
                "{v}"
            );
        }
        assert_eq!(value_for(&label, &json!("b"), true, 3), (json!("b"), true));
        let set = json!({"type": "array", "items": {"type": "string", "enum": ["x", "y", "z"]}});
        for pick in 0..10 {
            let (v, ok) = value_for(&set, &json!("x|y"), false, pick);
            assert!(!ok && jsonschema::is_valid(&set, &v), "{v}");
            let mut got: Vec<String> = serde_json::from_value(v).unwrap();
            got.sort();
            assert_ne!(got, vec!["x".to_string(), "y".to_string()]);
        }
        let flag = json!({"type": "boolean"});
        assert_eq!(
            value_for(&flag, &json!("yes"), false, 0),
            (json!(false), false)
        );
        assert_eq!(value_for(&flag, &json!(true), true, 0), (json!(true), true));
    }

    #[test]
    fn draws_are_seeded_and_per_variant() {
        let set = GoldSet::new(
            (0..400)
                .map(|i| t(&format!("T{i}"), &format!("text {i}"), "a"))
                .collect(),
        );
        let schema = json!({"type": "object", "properties": {
            "department": {"type": "string", "enum": ["a", "b", "c"]}}});
        let answers = |seed: u64, variant: &str| -> Vec<Value> {
            let mode = GoldMode::new(GoldSet::default()).seed(seed);
            set.tickets()
                .iter()
                .map(|tk| {
                    let mut input = json!({"department": "c"});
                    apply(&mode, tk, 0.5, variant, &schema, &mut input);
                    input
                })
                .collect()
        };
        assert_eq!(answers(1, "v"), answers(1, "v"));
        assert_ne!(answers(1, "v"), answers(2, "v"));
        assert_ne!(answers(1, "v"), answers(1, "w"));
        let right = answers(1, "v")
            .iter()
            .filter(|v| v["department"] == "a")
            .count();
        assert!((150..=250).contains(&right), "{right} of 400 at p = 0.5");
    }
}

//! The gold set: the label space (fields) and the labeled tickets.
//!
//! Labels are stored as indices into their field's values, so metrics work on integers and
//! a label outside its field cannot exist once a gold set is loaded.

use serde::{Deserialize, Serialize};

/// What a field holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FieldKind {
    /// Exactly one of the field's values.
    Label,
    /// A set of the field's values (multi-intent).
    Labels,
    /// A boolean.
    Flag,
}

impl FieldKind {
    pub fn name(self) -> &'static str {
        match self {
            FieldKind::Label => "label",
            FieldKind::Labels => "labels",
            FieldKind::Flag => "flag",
        }
    }
}

/// One labeled dimension of a ticket (department, priority, intents, requires_human...).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Field {
    pub name: String,
    pub kind: FieldKind,
    /// The valid values; empty for flags.
    pub values: Vec<String>,
}

impl Field {
    pub fn index_of(&self, value: &str) -> Option<u32> {
        self.values
            .iter()
            .position(|v| v == value)
            .map(|i| i as u32)
    }

    /// [`Field::index_of`] as a table, for readers that look up a value per ticket: each
    /// value and its index (the first of a repeated value).
    pub fn value_index(&self) -> hashbrown::HashMap<&str, u32> {
        let mut m = hashbrown::HashMap::with_capacity(self.values.len());
        for (i, v) in self.values.iter().enumerate() {
            m.entry(v.as_str()).or_insert(i as u32);
        }
        m
    }
}

/// A gold (or predicted) value of one field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum GoldValue {
    Label(u32),
    /// Sorted, without duplicates.
    Labels(Vec<u32>),
    Flag(bool),
}

impl GoldValue {
    /// The value as JSON, with label names (as written in predictions.jsonl).
    pub fn to_json(&self, field: &Field) -> serde_json::Value {
        match self {
            GoldValue::Label(i) => serde_json::Value::String(field.values[*i as usize].clone()),
            GoldValue::Labels(v) => v
                .iter()
                .map(|i| serde_json::Value::String(field.values[*i as usize].clone()))
                .collect(),
            GoldValue::Flag(b) => serde_json::Value::Bool(*b),
        }
    }

    /// Reads a value of `field` from JSON (label names, a list of names, a boolean).
    /// `Err` says what is wrong.
    pub fn from_json(field: &Field, v: &serde_json::Value) -> Result<GoldValue, String> {
        use serde_json::Value as J;
        let label = |s: &str| {
            field.index_of(s).ok_or_else(|| {
                format!(
                    "{s:?} is not a value of field `{}` (valid: {})",
                    field.name,
                    crate::diag::list(&field.values)
                )
            })
        };
        match (field.kind, v) {
            (FieldKind::Label, J::String(s)) => label(s).map(GoldValue::Label),
            (FieldKind::Labels, J::Array(items)) => {
                let mut out = Vec::with_capacity(items.len());
                for item in items {
                    match item {
                        J::String(s) => out.push(label(s)?),
                        other => {
                            return Err(format!(
                                "expected a list of strings, found {}",
                                crate::diag::json_kind(other)
                            ))
                        }
                    }
                }
                out.sort_unstable();
                out.dedup();
                Ok(GoldValue::Labels(out))
            }
            (FieldKind::Flag, J::Bool(b)) => Ok(GoldValue::Flag(*b)),
            (kind, other) => Err(format!(
                "expected {} for {} field `{}`, found {}",
                match kind {
                    FieldKind::Label => "a string",
                    FieldKind::Labels => "a list of strings",
                    FieldKind::Flag => "true or false",
                },
                kind.name(),
                field.name,
                crate::diag::json_kind(other)
            )),
        }
    }
}

/// One labeled ticket.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ticket {
    pub id: String,
    pub text: String,
    /// One value per field, in the order of [`GoldSet::fields`].
    pub labels: Vec<GoldValue>,
    pub tags: Vec<String>,
    /// The customer's answer to a clarifying question, if the gold set has one.
    pub clarification: Option<String>,
}

/// A loaded, validated gold set.
#[derive(Debug, Clone, PartialEq)]
pub struct GoldSet {
    pub fields: Vec<Field>,
    pub tickets: Vec<Ticket>,
    /// SHA-256 of the source file's bytes.
    pub sha256: String,
}

impl GoldSet {
    pub fn field(&self, name: &str) -> Option<(usize, &Field)> {
        self.fields.iter().enumerate().find(|(_, f)| f.name == name)
    }
}

//! What a comparison returns: each value on both sides with its change, the ticket
//! accounting, label-space changes, per-class and confusion-cell deltas, the flipped tickets,
//! per field and for the whole pair (serialized as `verdict compare --format json`).

use serde::{Deserialize, Serialize};

use crate::stats::{Interval, McNemar, PairedTable};

use super::CompareOptions;

/// A value on both sides and the change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Delta {
    pub baseline: Option<f64>,
    pub candidate: Option<f64>,
    /// candidate − baseline.
    pub diff: Option<f64>,
    /// Paired-bootstrap interval of the change, when computed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interval: Option<(f64, f64)>,
}

impl Delta {
    pub(super) fn of(baseline: Option<f64>, candidate: Option<f64>) -> Self {
        Delta {
            baseline,
            candidate,
            diff: baseline.zip(candidate).map(|(b, c)| c - b),
            interval: None,
        }
    }
}

/// Which tickets were compared.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct TicketAccounting {
    /// In both runs with the same text: compared.
    pub compared: usize,
    /// In both runs, text changed: excluded.
    pub text_changed: usize,
    /// In the candidate only.
    pub missing_in_baseline: usize,
    /// In the baseline only.
    pub missing_in_candidate: usize,
    /// Up to 20 ids of each excluded kind, for the message.
    pub text_changed_ids: Vec<String>,
    pub missing_in_baseline_ids: Vec<String>,
    pub missing_in_candidate_ids: Vec<String>,
}

/// A field or label added or removed between the two gold sets.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LabelSpaceChange {
    pub field: String,
    /// `field added`, `field removed`, `kind changed` or `values changed`.
    pub change: String,
    pub added: Vec<String>,
    pub removed: Vec<String>,
}

/// One class's recall and precision on both sides.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClassDelta {
    pub class: String,
    pub support: u64,
    pub recall: Delta,
    pub precision: Delta,
}

/// One cell of candidate − baseline confusion counts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CellDelta {
    pub gold: String,
    /// Predicted label, `None` for invalid.
    pub predicted: Option<String>,
    pub baseline: u64,
    pub candidate: u64,
    pub diff: i64,
}

/// A ticket whose correctness changed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Flip {
    pub id: String,
    /// `right_to_wrong` or `wrong_to_right`.
    pub direction: String,
    pub text: String,
    pub gold: String,
    /// Prediction before and after (`None` = invalid output).
    pub before: Option<String>,
    pub after: Option<String>,
    pub confidence: Option<f64>,
}

/// Everything compared on one label field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldDelta {
    pub field: String,
    pub accuracy: Delta,
    pub macro_f1: Delta,
    pub invalid_rate: Delta,
    pub per_class: Vec<ClassDelta>,
    /// Agreement table: `a_only` = right -> wrong (McNemar's b), `b_only` = wrong -> right.
    pub table: PairedTable,
    /// Two-sided exact McNemar (= statsmodels `mcnemar(exact=True)`).
    pub mcnemar: McNemar,
    /// One-sided exact McNemar p-value for "the candidate is less accurate".
    pub p_worse: f64,
    /// Bootstrap interval of the accuracy change (as run.json's comparisons).
    pub accuracy_interval: Interval,
    pub confusion_delta: Vec<CellDelta>,
    pub right_to_wrong: usize,
    pub wrong_to_right: usize,
    /// Right -> wrong first, then by the candidate's confidence, highest first.
    pub flips: Vec<Flip>,
}

/// The whole comparison.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    pub baseline: String,
    pub candidate: String,
    pub tickets: TicketAccounting,
    pub label_space: Vec<LabelSpaceChange>,
    pub fields: Vec<FieldDelta>,
    pub invalid_rate: Delta,
    pub ece: Delta,
    pub misroute_rate: Delta,
    /// Auto-route coverage at the routing target accuracy.
    pub coverage: Delta,
    /// USD per 1,000 tickets as if no response had come from the cache.
    pub cost_per_1k: Delta,
    pub p95_latency_ms: Delta,
    pub options: CompareOptions,
}

//! How the grader stores records: one slot per (variant, ticket, repeat), the last record of
//! its key, with each field's prediction as an index, not a value.

use std::collections::HashMap;

use crate::eval_log::{Outcome, Usage};

/// A field's prediction in one record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Pred {
    /// The output has no such key.
    Absent,
    /// Present but not a valid value (or the outcome is not `ok`).
    Invalid,
    Label(u32),
    Flag(bool),
    /// Index into the grader's label sets.
    Labels(u32),
}

/// Confidence as stored: valid value, absent, or invalid.
pub(super) const CONF_ABSENT: f64 = -1.0;
pub(super) const CONF_INVALID: f64 = -2.0;

/// One stored record (the last of its key).
#[derive(Debug, Clone)]
pub(super) struct Slot {
    pub(super) repeat: u32,
    pub(super) outcome: Outcome,
    pub(super) cached: bool,
    pub(super) has_usage: bool,
    /// In [0, 1], or CONF_ABSENT / CONF_INVALID.
    pub(super) confidence: f64,
    /// NaN when absent.
    pub(super) latency_ms: f64,
    pub(super) cost_usd: f64,
    pub(super) usage: Usage,
    /// Index into the grader's (outcome, message) pairs; u32::MAX for `ok`.
    pub(super) error: u32,
    /// A response was received (usage present, not cached) but has no price.
    pub(super) unpriced: bool,
    /// An `ok` record whose stop reason is not that of a forced tool call.
    pub(super) unexpected_stop: bool,
    /// End-to-end ms; NaN when absent.
    pub(super) latency_e2e_ms: f64,
    /// `[started_at_ms, finished_at_ms]`, when both are recorded.
    pub(super) span: Option<(u64, u64)>,
}

#[derive(Default)]
pub(super) struct VariantSlots {
    /// Slots in first-seen order.
    pub(super) slots: Vec<Slot>,
    /// `fields` predictions per slot, flattened (slot i, field f at i * n_fields + f).
    pub(super) preds: Vec<Pred>,
    /// Repeat 0: slot index per ticket (u32::MAX: none).
    pub(super) rep0: Vec<u32>,
    /// Repeats > 0: slot index per (ticket, repeat).
    pub(super) more: HashMap<(u32, u32), u32>,
    pub(super) replaced: usize,
}

impl VariantSlots {
    /// Room for one record per ticket from the start: growing by doubling would hold the old
    /// and the new buffer at once (at 1M tickets, about 110 MB per variant more at the peak).
    pub(super) fn for_tickets(n_tickets: usize, n_fields: usize) -> Self {
        VariantSlots {
            slots: Vec::with_capacity(n_tickets),
            preds: Vec::with_capacity(n_tickets * n_fields),
            rep0: vec![u32::MAX; n_tickets],
            ..Default::default()
        }
    }
}

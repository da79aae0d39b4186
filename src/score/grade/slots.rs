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

/// One stored record (the last of its key), in 72 bytes: a million tickets x 3 variants
/// hold about 216 MB of slots (at 112 bytes, with `Usage`'s four u64 and an `Option` span,
/// they held 336 MB). Its repeat is in the key it is found by (`rep0` or `more`).
#[derive(Debug, Clone)]
pub(super) struct Slot {
    /// In [0, 1], or CONF_ABSENT / CONF_INVALID.
    pub(super) confidence: f64,
    /// NaN when absent.
    pub(super) latency_ms: f64,
    pub(super) cost_usd: f64,
    /// End-to-end ms; NaN when absent.
    pub(super) latency_e2e_ms: f64,
    /// `[started_at_ms, finished_at_ms]` when [`Slot::HAS_SPAN`].
    span: [u64; 2],
    /// Input, output, cache-read and cache-creation tokens, when each fits in a u32 (else
    /// [`Slot::BIG_USAGE`] and the usage is in [`VariantSlots::big_usage`]).
    tokens: [u32; 4],
    /// Index into the grader's (outcome, message) pairs; u32::MAX for `ok`.
    pub(super) error: u32,
    pub(super) outcome: Outcome,
    flags: u8,
}

impl Slot {
    const CACHED: u8 = 1;
    const HAS_USAGE: u8 = 2;
    /// A response was received (usage present, not cached) but has no price.
    const UNPRICED: u8 = 4;
    /// An `ok` record whose stop reason is not that of a forced tool call.
    const UNEXPECTED_STOP: u8 = 8;
    const HAS_SPAN: u8 = 16;
    const BIG_USAGE: u8 = 32;

    /// A slot; `usage` that does not fit four u32 is marked [`Slot::BIG_USAGE`] and must be
    /// kept by the caller ([`VariantSlots::set_big_usage`]).
    #[allow(clippy::too_many_arguments)]
    pub(super) fn new(
        outcome: Outcome,
        confidence: f64,
        latency_ms: f64,
        cost_usd: f64,
        latency_e2e_ms: f64,
        span: Option<(u64, u64)>,
        usage: Option<Usage>,
        cached: bool,
        unpriced: bool,
        unexpected_stop: bool,
    ) -> Slot {
        let mut flags = 0;
        let mut set = |on: bool, flag: u8| {
            if on {
                flags |= flag
            }
        };
        set(cached, Slot::CACHED);
        set(usage.is_some(), Slot::HAS_USAGE);
        set(unpriced, Slot::UNPRICED);
        set(unexpected_stop, Slot::UNEXPECTED_STOP);
        set(span.is_some(), Slot::HAS_SPAN);
        let u = usage.unwrap_or_default();
        let all = [
            u.input_tokens,
            u.output_tokens,
            u.cache_read_input_tokens,
            u.cache_creation_input_tokens,
        ];
        let mut tokens = [0u32; 4];
        for (t, v) in tokens.iter_mut().zip(all) {
            match u32::try_from(v) {
                Ok(v) => *t = v,
                Err(_) => set(true, Slot::BIG_USAGE),
            }
        }
        let (a, b) = span.unwrap_or((0, 0));
        Slot {
            confidence,
            latency_ms,
            cost_usd,
            latency_e2e_ms,
            span: [a, b],
            tokens,
            error: u32::MAX,
            outcome,
            flags,
        }
    }

    fn has(&self, flag: u8) -> bool {
        self.flags & flag != 0
    }
    pub(super) fn cached(&self) -> bool {
        self.has(Slot::CACHED)
    }
    pub(super) fn has_usage(&self) -> bool {
        self.has(Slot::HAS_USAGE)
    }
    pub(super) fn unpriced(&self) -> bool {
        self.has(Slot::UNPRICED)
    }
    pub(super) fn unexpected_stop(&self) -> bool {
        self.has(Slot::UNEXPECTED_STOP)
    }
    pub(super) fn big_usage(&self) -> bool {
        self.has(Slot::BIG_USAGE)
    }
    pub(super) fn span(&self) -> Option<(u64, u64)> {
        self.has(Slot::HAS_SPAN)
            .then_some((self.span[0], self.span[1]))
    }
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
    /// The usage of slots whose token counts do not fit a u32 ([`Slot::BIG_USAGE`]).
    big_usage: HashMap<u32, Usage>,
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

    /// Keeps (or forgets) the usage of slot `si` as its [`Slot::BIG_USAGE`] flag says.
    pub(super) fn set_big_usage(&mut self, si: u32, usage: Option<Usage>) {
        match (self.slots[si as usize].big_usage(), usage) {
            (true, Some(u)) => {
                self.big_usage.insert(si, u);
            }
            _ => {
                self.big_usage.remove(&si);
            }
        }
    }

    /// The usage of slot `si` (zeros when it has none).
    pub(super) fn usage(&self, si: usize) -> Usage {
        let s = &self.slots[si];
        if s.big_usage() {
            return self.big_usage[&(si as u32)];
        }
        let [i, o, r, c] = s.tokens.map(u64::from);
        Usage {
            input_tokens: i,
            output_tokens: o,
            cache_read_input_tokens: r,
            cache_creation_input_tokens: c,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_slot_is_72_bytes_and_keeps_any_usage() {
        assert_eq!(std::mem::size_of::<Slot>(), 72);
        let big = Usage {
            input_tokens: u64::MAX,
            output_tokens: 7,
            cache_read_input_tokens: u64::from(u32::MAX) + 1,
            cache_creation_input_tokens: u64::from(u32::MAX),
        };
        let small = Usage {
            input_tokens: 326,
            output_tokens: 30,
            cache_read_input_tokens: 0,
            cache_creation_input_tokens: u64::from(u32::MAX),
        };
        let mut vs = VariantSlots::for_tickets(2, 1);
        for u in [big, small] {
            let slot = Slot::new(
                Outcome::Ok,
                0.5,
                1.0,
                0.0,
                f64::NAN,
                Some((1, 2)),
                Some(u),
                false,
                false,
                false,
            );
            vs.slots.push(slot);
            let si = vs.slots.len() as u32 - 1;
            vs.set_big_usage(si, Some(u));
        }
        assert_eq!(vs.usage(0), big);
        assert_eq!(vs.usage(1), small);
        assert!(vs.slots[0].big_usage() && !vs.slots[1].big_usage());
        // Slot 0 replaced by a small usage: the big one is forgotten.
        vs.slots[0] = vs.slots[1].clone();
        vs.set_big_usage(0, Some(small));
        assert_eq!(vs.usage(0), small);
        assert!(vs.big_usage.is_empty());
        assert_eq!(vs.slots[1].span(), Some((1, 2)));
    }
}

//! What a run has left to do, per variant: the pure planning step between the journal and
//! the executors.
//!
//! A [`VariantPlan`] names one variant's jobs and how many it already has journaled; a
//! [`Job`] is one ticket, one repeat, one dialogue turn. A job holds the ticket's index, not
//! its text: [`Job::input`] lends the text, tags and clarification from the gold set, so a
//! million-ticket plan copies no ticket text.

use std::collections::HashSet;

use crate::gold::GoldSet;
use crate::variant::Variant;

/// A unit of work: one ticket, one repeat, one turn of the dialogue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Job {
    /// Index of the ticket in the run's gold set.
    pub ticket: usize,
    pub repeat: u32,
    /// 0 for the first turn; the clarification dialogue asks again at turn 1.
    pub turn: u32,
}

/// What an executor sends for a job: the ticket as the model sees it, lent by the gold set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TicketInput<'g> {
    pub id: &'g str,
    pub text: &'g str,
    pub tags: &'g [String],
    /// The customer's answer to a clarifying question (sent from turn 1 on).
    pub clarification: Option<&'g str>,
}

impl Job {
    /// A first-turn job.
    pub fn new(ticket: usize, repeat: u32) -> Self {
        Job {
            ticket,
            repeat,
            turn: 0,
        }
    }

    /// The ticket input of this job, borrowed from `gold`. The clarification is part of the
    /// input only from turn 1 on: the first turn is the ticket as the customer wrote it.
    pub fn input<'g>(&self, gold: &'g GoldSet) -> TicketInput<'g> {
        let t = &gold.tickets[self.ticket];
        TicketInput {
            id: &t.id,
            text: &t.text,
            tags: &t.tags,
            clarification: if self.turn > 0 {
                t.clarification.as_deref()
            } else {
                None
            },
        }
    }
}

/// One variant's work in a run.
#[derive(Debug, Clone, PartialEq)]
pub struct VariantPlan {
    /// Index of the variant in the eval's `variants`.
    pub variant: usize,
    /// The jobs left to do, in order (repeat by repeat, ticket by ticket).
    pub jobs: Vec<Job>,
    /// Jobs the journal already holds a final record for.
    pub already_done: usize,
}

/// The work left for a variant, given what the journal already holds. A `provider_error`
/// is retried on resume (no response was received, so nothing was paid); every other outcome
/// is final.
pub fn plan(
    index: usize,
    variant: &Variant,
    n_tickets: usize,
    repeats: u32,
    done: &HashSet<(String, String, u32)>,
    ticket_ids: &[String],
) -> VariantPlan {
    let mut jobs = Vec::new();
    let mut already = 0;
    for repeat in 0..repeats {
        for (ticket, id) in ticket_ids.iter().enumerate().take(n_tickets) {
            if done.contains(&(variant.name.clone(), id.clone(), repeat)) {
                already += 1;
            } else {
                jobs.push(Job::new(ticket, repeat));
            }
        }
    }
    VariantPlan {
        variant: index,
        jobs,
        already_done: already,
    }
}

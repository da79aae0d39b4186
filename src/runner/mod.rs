//! Classifying every ticket with every variant, journaling each result as it completes.
//!
//! The runner never prints: it reports [`Event`]s to a callback (the progress bar, or
//! nothing). Each finished classification goes through a [`Recorder`], which appends it to
//! predictions.jsonl before it counts as done, so a crash loses nothing already paid for.
//!
//! [`plan`] says what is left per variant ([`VariantPlan`]); [`execute`] hands each plan to
//! the [`Executor`] an [`ExecutorFactory`] picks for its variant (the local classifier, the
//! online runner in `llm.rs`, or a test's scripted one).

mod attempts;
pub mod budget;
pub mod cache;
pub mod concurrency;
pub mod executor;
pub mod factory;
pub mod llm;
pub mod local;
pub mod plan;
pub mod preflight;
pub mod ratelimit;
pub mod retry;
pub mod transport;

pub use budget::Budget;
pub use executor::{Executor, ExecutorFactory, Stop};
pub use factory::Executors;
pub use local::LocalExecutor;
pub use plan::{plan, Job, TicketInput, VariantPlan};

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use crate::config::Eval;
use crate::error::Result;
use crate::eval_log::{Journal, PredictionRecord};

/// The time now as Unix milliseconds (0 on a clock before 1970).
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// What the runner reports while it works.
#[derive(Debug, Clone)]
pub enum Event {
    /// A variant starts: how many classifications it has left to do.
    VariantStarted {
        variant: String,
        todo: usize,
        already_done: usize,
    },
    /// The local classifier is training.
    Training { variant: String, examples: usize },
    /// One classification finished and is journaled: the record as written, so a reporter
    /// needs no second channel to the journal.
    Finished(Box<PredictionRecord>),
    /// A request is retried.
    Retry {
        variant: String,
        ticket: String,
        attempt: u32,
        reason: String,
    },
    /// The variant is done.
    VariantFinished { variant: String },
    /// Something the user should know that does not stop the run (said once per cause).
    Warning(String),
}

/// Where finished classifications go: the journal first, then the event callback.
pub struct Recorder<'a> {
    journal: Journal,
    on_event: &'a mut (dyn FnMut(Event) + Send),
    /// Set by Ctrl-C: executors stop starting new work when it is set.
    pub interrupted: Arc<AtomicBool>,
    /// Every record journaled by this recorder, in journal order: what a run just recorded
    /// is graded from memory, not read back from disk.
    records: Vec<PredictionRecord>,
}

impl<'a> Recorder<'a> {
    pub fn new(
        journal: Journal,
        on_event: &'a mut (dyn FnMut(Event) + Send),
        interrupted: Arc<AtomicBool>,
    ) -> Self {
        Recorder {
            journal,
            on_event,
            interrupted,
            records: Vec::new(),
        }
    }

    /// The records journaled through this recorder, in journal order.
    pub fn into_records(self) -> Vec<PredictionRecord> {
        self.records
    }

    /// Journals a finished classification, then reports it.
    pub fn record(&mut self, rec: PredictionRecord) -> Result<()> {
        self.journal.append(&rec)?;
        self.records.push(rec.clone());
        (self.on_event)(Event::Finished(Box::new(rec)));
        Ok(())
    }

    pub fn event(&mut self, ev: Event) {
        (self.on_event)(ev)
    }

    pub fn is_interrupted(&self) -> bool {
        self.interrupted.load(Ordering::SeqCst)
    }
}

/// Everything an executor needs about the run.
pub struct RunContext<'e> {
    pub eval: &'e Eval,
    /// The tickets in the run (`--limit` applied).
    pub n_tickets: usize,
    pub options: crate::runner::Options,
}

/// Run-time options from the command line.
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub concurrency: Option<usize>,
    pub no_cache: bool,
    pub refresh: bool,
    pub cache_dir: Option<std::path::PathBuf>,
    pub max_cost: Option<f64>,
    pub max_requests: Option<u64>,
}

/// Runs the plan of every variant in turn, each with the executor `executors` picks for it.
/// Returns why the run stopped early when a budget (`--max-cost`, `--max-requests`) ended it;
/// Ctrl-C shows in the recorder's flag instead.
pub fn execute(
    ctx: &RunContext,
    plans: &[VariantPlan],
    executors: &mut dyn ExecutorFactory,
    recorder: &mut Recorder,
) -> Result<Option<String>> {
    for plan in plans {
        let variant = &ctx.eval.variants[plan.variant];
        recorder.event(Event::VariantStarted {
            variant: variant.name.clone(),
            todo: plan.jobs.len(),
            already_done: plan.already_done,
        });
        if recorder.is_interrupted() {
            break;
        }
        if !plan.jobs.is_empty() {
            match executors.executor(ctx, variant)?.run(ctx, plan, recorder)? {
                Stop::Done => {}
                Stop::Interrupted => break,
                Stop::Budget(reason) => return Ok(Some(reason)),
            }
        }
        recorder.event(Event::VariantFinished {
            variant: variant.name.clone(),
        });
    }
    Ok(None)
}

//! The executor seam: one trait for everything that turns a variant's plan into journaled
//! records, and the one place that picks an executor for a variant.
//!
//! An [`Executor`] runs one [`VariantPlan`] at a time, journaling each finished record
//! through the [`Recorder`] before it counts as done and reporting [`super::Event`]s. The
//! built-in ones are the local classifier ([`super::local::LocalExecutor`]) and the online
//! runner ([`super::llm::LlmRun`]); a batch executor (Message Batches) is one more
//! implementation.
//!
//! An [`ExecutorFactory`] hands the run an executor per variant. [`super::factory::Executors`]
//! is the real one and the only code that matches on the kind of a variant to choose; tests
//! give the run
//! flow a scripted factory instead (`app::run_with`), so `verdict run` can be driven end to
//! end with no classifier and no network.

use super::plan::VariantPlan;
use super::{Options, Recorder, RunContext};
use crate::config::Eval;
use crate::error::{Error, Result};
use crate::variant::Variant;

/// Why an executor returned before its plan was done, if it did.
#[derive(Debug, Clone, PartialEq)]
pub enum Stop {
    /// Every job is journaled (or none was left).
    Done,
    /// Ctrl-C (or an executor's own reason to stop that `--resume` can continue from).
    Interrupted,
    /// A budget limit; the message says which. The run ends (exit 3) and can be resumed.
    Budget(String),
}

/// Runs the jobs of one variant's plan.
pub trait Executor {
    /// A short name for messages ("local", "online").
    fn name(&self) -> &str;

    /// Runs `plan.jobs` of the variant `ctx.eval.variants[plan.variant]`, journaling every
    /// finished record through `recorder` (which also carries the Ctrl-C flag to honour).
    fn run(
        &mut self,
        ctx: &RunContext<'_>,
        plan: &VariantPlan,
        recorder: &mut Recorder<'_>,
    ) -> Result<Stop>;
}

/// Gives the run an executor for each variant that has work to do.
pub trait ExecutorFactory {
    /// The executor for `variant`. It may be shared between variants (the online executor
    /// keeps one runtime, cache and budget for the whole run) and is built on first use.
    fn executor(&mut self, ctx: &RunContext<'_>, variant: &Variant) -> Result<&mut dyn Executor>;

    /// Checks made before anything is written or sent (e.g. every API key is there). The
    /// default has nothing to check.
    fn preflight(&self, eval: &Eval, plans: &[VariantPlan], options: &Options) -> Result<()> {
        let _ = (eval, plans, options);
        Ok(())
    }
}

/// A variant given to an executor of another kind: a bug in a factory, not a user error.
pub(crate) fn wrong_kind(executor: &str, variant: &Variant) -> Error {
    Error::RunFailed(format!(
        "internal error: the {executor} executor cannot run variant {} (provider {})",
        variant.name,
        variant.provider.name()
    ))
}

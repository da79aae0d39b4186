//! The executor seam: one trait for everything that turns a variant's plan into journaled
//! records, and the one place that picks an executor for a variant.
//!
//! An [`Executor`] runs one [`VariantPlan`] at a time, journaling each finished record
//! through the [`Recorder`] before it counts as done and reporting [`super::Event`]s. The
//! built-in ones are the local classifier ([`LocalExecutor`]) and the online runner
//! ([`super::llm::LlmRun`]); a batch executor (Message Batches) is one more implementation.
//!
//! An [`ExecutorFactory`] hands the run an executor per variant. [`Executors`] is the real
//! one and the only code that matches on the kind of a variant to choose; tests give the run
//! flow a scripted factory instead (`app::run_with`), so `verdict run` can be driven end to
//! end with no classifier and no network.

use super::plan::VariantPlan;
use super::{llm, local, Options, Recorder, RunContext};
use crate::config::Eval;
use crate::error::{Error, Result};
use crate::variant::{Variant, VariantSpec};

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

/// The executors of a real run: the local classifier, and the online runner built on the
/// first LLM variant with work to do.
#[derive(Default)]
pub struct Executors {
    local: LocalExecutor,
    online: Option<llm::LlmRun>,
}

impl ExecutorFactory for Executors {
    fn executor(&mut self, ctx: &RunContext<'_>, variant: &Variant) -> Result<&mut dyn Executor> {
        Ok(match &variant.spec {
            VariantSpec::Local(_) => &mut self.local,
            VariantSpec::Llm(_) => {
                if self.online.is_none() {
                    self.online = Some(llm::LlmRun::new(ctx)?);
                }
                self.online.as_mut().expect("built above")
            }
        })
    }

    fn preflight(&self, eval: &Eval, plans: &[VariantPlan], options: &Options) -> Result<()> {
        super::preflight::keys(eval, plans)?;
        super::preflight::max_cost(eval, plans, options.max_cost)
    }
}

/// The built-in offline classifier: trains on the variant's examples, then predicts.
#[derive(Debug, Default)]
pub struct LocalExecutor;

impl Executor for LocalExecutor {
    fn name(&self) -> &str {
        "local"
    }

    fn run(
        &mut self,
        ctx: &RunContext<'_>,
        plan: &VariantPlan,
        recorder: &mut Recorder<'_>,
    ) -> Result<Stop> {
        let variant = &ctx.eval.variants[plan.variant];
        let VariantSpec::Local(spec) = &variant.spec else {
            return Err(wrong_kind(self.name(), variant));
        };
        local::run(ctx, variant, spec, &plan.jobs, recorder)?;
        // A Ctrl-C during the batch shows at the next variant's start (the flag is shared).
        Ok(Stop::Done)
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

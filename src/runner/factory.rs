//! The executors of a real run, and the one place that picks an executor by the kind of a
//! variant: a local variant gets the built-in classifier, an LLM variant the online runner.

use super::executor::{Executor, ExecutorFactory};
use super::llm::LlmRun;
use super::local::LocalExecutor;
use super::plan::VariantPlan;
use super::{Options, RunContext};
use crate::config::Eval;
use crate::error::Result;
use crate::variant::{Variant, VariantSpec};

/// The executors of a real run: the local classifier, and the online runner built on the
/// first LLM variant with work to do.
#[derive(Default)]
pub struct Executors {
    local: LocalExecutor,
    online: Option<LlmRun>,
}

impl ExecutorFactory for Executors {
    fn executor(&mut self, ctx: &RunContext<'_>, variant: &Variant) -> Result<&mut dyn Executor> {
        Ok(match &variant.spec {
            VariantSpec::Local(_) => &mut self.local,
            VariantSpec::Llm(_) => {
                if self.online.is_none() {
                    self.online = Some(LlmRun::new(ctx)?);
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

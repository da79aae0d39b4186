//! The JSON exporter: the summary and every metric of a run (the `metrics` object of
//! run.json), or a
//! dry-run plan, pretty-printed with a trailing newline.

use super::{Exporter, PlanView, RunView};
use crate::error::Result;

/// JSON for programs (`jq`, a CI step).
#[derive(Debug, Clone, Copy, Default)]
pub struct JsonExporter {
    pub layout: super::Layout,
}

/// The report with its summary first; `--quiet`: the summary alone.
#[derive(serde::Serialize)]
struct WithSummary<'a> {
    summary: super::summary::Summary,
    #[serde(flatten)]
    report: &'a crate::score::RunReport,
}

fn pretty(value: &impl serde::Serialize) -> Vec<u8> {
    let mut bytes = serde_json::to_vec_pretty(value).expect("reports serialize");
    bytes.push(b'\n');
    bytes
}

impl Exporter for JsonExporter {
    fn name(&self) -> &'static str {
        "json"
    }
    fn extension(&self) -> &'static str {
        "json"
    }
    fn export_run(&self, view: &RunView<'_>) -> Result<Vec<u8>> {
        let summary = super::run_summary(view);
        if self.layout.quiet {
            return Ok(pretty(&summary));
        }
        Ok(pretty(&WithSummary {
            summary,
            report: view.report,
        }))
    }
    fn export_plan(&self, plan: &PlanView) -> Result<Vec<u8>> {
        Ok(pretty(plan))
    }
}

//! The run folder: the one place that creates, opens and writes it.
//!
//! A run folder holds `run.json` (what was run and, once finished, its metrics) and
//! `predictions.jsonl` (the journal, appended by [`crate::eval_log::Journal`]). Every
//! other module reads and writes the folder through here; see docs/run-folder.md.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::eval_log::{RunSpec, RUN_VERSION};
use crate::score::RunReport;

/// The run.json document.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunDoc {
    pub version: u32,
    /// `running` until the run finishes, then `complete`.
    pub status: String,
    pub spec: RunSpec,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metrics: Option<RunReport>,
}

/// Writes run.json (whole, atomically).
pub fn write_run_json(dir: &Path, spec: &RunSpec, report: Option<&RunReport>) -> Result<()> {
    let doc = RunDoc {
        version: RUN_VERSION,
        status: if report.is_some() {
            "complete"
        } else {
            "running"
        }
        .into(),
        spec: spec.clone(),
        metrics: report.cloned(),
    };
    let mut bytes = serde_json::to_vec_pretty(&doc).expect("run.json serializes");
    bytes.push(b'\n');
    crate::app::write_atomic(&dir.join("run.json"), &bytes)
}

/// The text of a run folder's run.json; a folder without one is "not a run folder".
pub fn read_run_json(dir: &Path) -> Result<String> {
    let path = dir.join("run.json");
    std::fs::read_to_string(&path).map_err(|e| {
        if !dir.is_dir() {
            Error::Usage(format!(
                "{} is not a folder (expected a run folder, e.g. reports/<run-id>)",
                crate::error::display_path(dir)
            ))
        } else if e.kind() == std::io::ErrorKind::NotFound {
            Error::Usage(format!(
                "{} is not a verdict run folder (it has no run.json)",
                crate::error::display_path(dir)
            ))
        } else {
            Error::io(&path, e)
        }
    })
}

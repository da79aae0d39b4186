//! The run folder: the one place that creates, opens and writes it.
//!
//! A run folder stands alone. At the start of a run, after every check has passed, it gets
//! `snapshot.json` (each variant fully resolved, the fields, the calibration, routing and run
//! settings, the run's options, a local variant's training set) and `gold.jsonl` (the tickets
//! of the run, as used), then `run.json` (`running`); the journal `predictions.jsonl` is
//! appended as classifications finish ([`crate::eval_log::Journal`]); at the end run.json is
//! rewritten whole with the metrics (`complete`). Grading, reporting and resuming read only
//! the folder, never the eval files it came from. The layout is documented in
//! docs/run-folder.md.
//!
//! Versions: [`RUN_VERSION`] 2 is the first with a snapshot. `verdict report` still reads
//! version 1 (it only re-prints stored metrics); everything else refuses it, and every
//! command refuses a version newer than this verdict knows.

pub(crate) mod gold_fast;
pub mod graded_cache;
mod snapshot;

pub use snapshot::{
    read_snapshot, strip_base_url, EvalInfo, GoldSnapshot, LlmSnapshot, LocalSnapshot, RunOptions,
    Snapshot, SourceFile, TicketSnapshot, VariantSnapshot,
};

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{display_path, Error, Result};
use crate::gold::GoldSet;
use crate::score::RunReport;

/// Version of run.json (and of the snapshot beside it).
pub const RUN_VERSION: u32 = 2;
/// The oldest run.json version `verdict report` still renders.
pub const OLDEST_REPORTABLE_VERSION: u32 = 1;

/// run.json's file name.
pub const RUN_JSON: &str = "run.json";
/// The snapshot's file name.
pub const SNAPSHOT_JSON: &str = "snapshot.json";
/// The gold set as used, one ticket per line.
pub const GOLD_JSONL: &str = "gold.jsonl";
/// The journal's file name.
pub const PREDICTIONS_JSONL: &str = "predictions.jsonl";

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

/// What was run: the summary in run.json, to say later exactly what produced the numbers.
/// Everything needed to grade or resume is in the [`Snapshot`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunSpec {
    pub run_id: String,
    /// The eval config, as given on the command line (provenance only: a resume reads the
    /// snapshot, not this file).
    pub eval_path: PathBuf,
    pub cwd: PathBuf,
    pub eval_name: String,
    pub eval_sha256: String,
    pub gold_path: PathBuf,
    pub gold_sha256: String,
    /// Tickets in the gold file.
    pub gold_tickets: usize,
    /// Variants in the run, in order.
    pub variants: Vec<VariantSpecInfo>,
    /// `--limit`: only the first N tickets.
    pub limit: Option<usize>,
    pub repeats: u32,
    pub seed: u64,
    pub git_rev: Option<String>,
    pub verdict_version: String,
    pub started_at: String,
    /// The response cache the run reads and writes (absolute); `None` with `--no-cache`.
    #[serde(default)]
    pub cache_dir: Option<PathBuf>,
}

impl RunSpec {
    /// The eval file the run names, resolved against the directory the run started in.
    pub fn eval_file(&self) -> std::path::PathBuf {
        if self.eval_path.is_absolute() {
            self.eval_path.clone()
        } else {
            self.cwd.join(&self.eval_path)
        }
    }

    /// The run's variants as the grader takes them (name, provider, model).
    pub fn scored_variants(&self) -> Vec<crate::score::ScoredVariant> {
        self.variants
            .iter()
            .map(|v| crate::score::ScoredVariant {
                name: v.name.clone(),
                provider: v.provider.clone(),
                model: v.model.clone(),
            })
            .collect()
    }
}

/// One variant as summarized in run.json.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VariantSpecInfo {
    pub name: String,
    pub provider: String,
    pub model: Option<String>,
    pub file: PathBuf,
    pub sha256: String,
}

/// Why a folder cannot take a new run, described as what it is; `Ok` when it does not exist
/// or is an empty folder.
pub fn check_new(dir: &Path) -> Result<()> {
    if !dir.exists() {
        return Ok(());
    }
    if !dir.is_dir() {
        return Err(Error::Usage(format!(
            "--out {} is a file; name a folder for the run (a new or empty one)",
            display_path(dir)
        )));
    }
    let mut entries: Vec<String> = std::fs::read_dir(dir)
        .map_err(|e| Error::io(dir, e))?
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    if entries.is_empty() {
        return Ok(());
    }
    entries.sort();
    if entries.iter().any(|e| e == RUN_JSON) {
        let finished = std::fs::read_to_string(dir.join(RUN_JSON))
            .ok()
            .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
            .is_some_and(|d| d["status"] == "complete");
        return Err(Error::Usage(if finished {
            format!(
                "{} already holds a finished run (`verdict report {}` shows it); choose another --out",
                display_path(dir),
                display_path(dir)
            )
        } else {
            format!(
                "{} already holds a run; choose another --out, or finish it with --resume {}",
                display_path(dir),
                display_path(dir)
            )
        }));
    }
    let shown: Vec<&str> = entries.iter().take(3).map(String::as_str).collect();
    Err(Error::Usage(format!(
        "{} is not empty and holds no run ({} {}: {}{}); choose a new or empty folder for --out",
        display_path(dir),
        entries.len(),
        if entries.len() == 1 {
            "entry"
        } else {
            "entries"
        },
        shown.join(", "),
        if entries.len() > shown.len() {
            ", ..."
        } else {
            ""
        }
    )))
}

/// Creates the run folder: the snapshot and the gold set as used first, run.json
/// (`running`) last, so a folder with a run.json always has its snapshot. Call only when
/// every check has passed. On failure, a folder this call created is removed again.
pub fn create(dir: &Path, spec: &RunSpec, snapshot: &Snapshot, gold: &GoldSet) -> Result<()> {
    check_new(dir)?;
    let existed = dir.exists();
    let result = (|| {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        let mut lines = Vec::new();
        for t in &gold.tickets[..snapshot.n_tickets] {
            serde_json::to_writer(&mut lines, &TicketSnapshot::of(t, &gold.fields))
                .expect("tickets serialize");
            lines.push(b'\n');
        }
        write_atomic(&dir.join(GOLD_JSONL), &lines)?;
        let mut bytes = serde_json::to_vec_pretty(snapshot).expect("snapshot serializes");
        bytes.push(b'\n');
        write_atomic(&dir.join(SNAPSHOT_JSON), &bytes)?;
        write_run_json(dir, spec, None)
    })();
    if result.is_err() {
        if existed {
            for f in [RUN_JSON, SNAPSHOT_JSON, GOLD_JSONL] {
                let _ = std::fs::remove_file(dir.join(f));
            }
        } else {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
    result
}

/// Writes a file whole or not at all: a uniquely named temp file in the same folder (so two
/// writers never share one, and the rename stays on one file system), synced, then renamed
/// over `path` by `tempfile`'s persist.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(".verdict-")
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(|e| Error::io(dir, e))?;
    tmp.write_all(bytes)
        .and_then(|_| tmp.as_file().sync_all())
        .map_err(|e| Error::io(tmp.path(), e))?;
    tmp.persist(path).map_err(|e| Error::io(path, e.error))?;
    Ok(())
}

/// Writes run.json (whole, atomically): `running` without a report, `complete` with one.
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
    write_atomic(&dir.join(RUN_JSON), &bytes)
}

/// The text of a run folder's run.json; a folder without one is "not a run folder".
pub fn read_run_json(dir: &Path) -> Result<String> {
    let path = dir.join(RUN_JSON);
    std::fs::read_to_string(&path).map_err(|e| {
        if !dir.is_dir() {
            Error::Usage(format!(
                "{} is not a folder (expected a run folder, e.g. reports/<run-id>)",
                display_path(dir)
            ))
        } else if e.kind() == std::io::ErrorKind::NotFound {
            Error::Usage(format!(
                "{} is not a verdict run folder (it has no run.json)",
                display_path(dir)
            ))
        } else {
            Error::io(&path, e)
        }
    })
}

/// What a command wants from a run folder: `report` only re-prints stored metrics, so it
/// reads version 1 as well; everything else needs the snapshot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    StoredMetrics,
    Snapshot,
}

/// Reads and checks run.json: its version against what `need` requires.
pub fn open(dir: &Path, need: Need) -> Result<RunDoc> {
    let path = dir.join(RUN_JSON);
    let text = read_run_json(dir)?;
    let value: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| Error::io(&path, format!("not a verdict run.json: {e}")))?;
    let version = value
        .get("version")
        .and_then(|v| v.as_u64())
        .ok_or_else(|| Error::io(&path, "not a verdict run.json: no `version`"))?;
    if version > u64::from(RUN_VERSION) {
        return Err(Error::Usage(format!(
            "{} has run.json version {version}, newer than this verdict reads (up to {RUN_VERSION}); use a newer verdict",
            display_path(&path)
        )));
    }
    let oldest = match need {
        Need::StoredMetrics => OLDEST_REPORTABLE_VERSION,
        Need::Snapshot => RUN_VERSION,
    };
    if version < u64::from(oldest) {
        return Err(Error::Usage(format!(
            "{} was written by an older verdict (run.json version {version}) that kept no snapshot of the eval, so it cannot be graded or resumed; re-run it with `verdict run EVAL`",
            display_path(dir)
        )));
    }
    serde_json::from_value(value)
        .map_err(|e| Error::io(&path, format!("not a verdict run.json: {e}")))
}

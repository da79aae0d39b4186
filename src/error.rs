//! User-facing errors: each kind maps to one documented exit code ([`crate::exit::Exit`]).

use std::fmt;
use std::path::{Path, PathBuf};

pub use crate::diag::{display_path, Diagnostic};
use crate::exit::Exit;

/// Everything that can stop a command, with its exit code.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Input files have problems; all of them are listed.
    #[error("{}", format_diagnostics(.0))]
    Invalid(Vec<Diagnostic>),
    /// The command line or a combination of options is wrong.
    #[error("{0}")]
    Usage(String),
    /// A file could not be read or written.
    #[error("{}: {message}", display_path(.path))]
    Io { path: PathBuf, message: String },
    /// The run could not go on (authentication failed, provider unreachable, ...).
    #[error("{0}")]
    RunFailed(String),
    /// Stdout was closed by its reader (`verdict report RUN | head`): not a failure, so it
    /// exits 0 and prints nothing (as ripgrep does).
    #[error("stdout was closed")]
    StdoutClosed,
    /// Ctrl-C: the journal is intact.
    #[error("interrupted; finish the run with `verdict run --resume {}`", display_path(.0))]
    Interrupted(PathBuf),
}

/// The count first, on the `error:` line, then one `file:line:col: path: message` line per
/// problem, so every problem line starts with its position (editors and `grep` can jump to it).
fn format_diagnostics(diags: &[Diagnostic]) -> String {
    let n = diags.len();
    let mut out = format!("{n} problem{} found:", if n == 1 { "" } else { "s" });
    for d in diags {
        out.push('\n');
        out.push_str(&d.to_string());
    }
    out
}

impl Error {
    /// The process exit code for this error.
    pub fn exit_code(&self) -> Exit {
        match self {
            Error::Invalid(_) | Error::Usage(_) | Error::Io { .. } => Exit::Invalid,
            Error::RunFailed(_) => Exit::RunFailed,
            Error::StdoutClosed => Exit::Ok,
            Error::Interrupted(_) => Exit::Interrupted,
        }
    }

    pub fn io(path: &Path, err: impl fmt::Display) -> Self {
        Error::Io {
            path: path.to_path_buf(),
            message: err.to_string(),
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

//! The process exit codes, in one place: what `verdict` returns to a shell or CI.
//!
//! Every command returns an [`Exit`] (or an error that maps to one, see
//! [`crate::error::Error::exit_code`]); only `main.rs` turns it into a process exit, so the
//! library never ends the process under a caller's feet (tests, a future server).
//!
//! | code | meaning |
//! |------|---------|
//! | 0    | ok (also: stdout was closed, e.g. `verdict report RUN \| head`) |
//! | 1    | a gate failed: the run is fine, its numbers are not good enough |
//! | 2    | usage, config or input error: nothing was run, nothing half-written |
//! | 3    | the run failed or is incomplete (provider unreachable, authentication, every retry spent, a budget reached) |
//! | 130  | interrupted (Ctrl-C); the journal is kept and `verdict run --resume DIR` finishes the run |

use std::fmt;

/// A documented process exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(i32)]
pub enum Exit {
    /// 0: everything asked for was done.
    Ok = 0,
    /// 1: a gate rule failed.
    GateFailed = 1,
    /// 2: the command line, a config or an input file is wrong.
    Invalid = 2,
    /// 3: the run failed or is incomplete.
    RunFailed = 3,
    /// 130: interrupted by Ctrl-C (128 + SIGINT, as shells report it).
    Interrupted = 130,
}

impl Exit {
    /// The number the process exits with.
    pub const fn code(self) -> i32 {
        self as i32
    }
}

impl fmt::Display for Exit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.code())
    }
}

/// So tests can say `assert_eq!(err.exit_code(), 3)`.
impl PartialEq<i32> for Exit {
    fn eq(&self, other: &i32) -> bool {
        self.code() == *other
    }
}

#[cfg(test)]
mod tests {
    use super::Exit;

    #[test]
    fn codes_are_the_documented_ones() {
        assert_eq!(Exit::Ok.code(), 0);
        assert_eq!(Exit::GateFailed.code(), 1);
        assert_eq!(Exit::Invalid.code(), 2);
        assert_eq!(Exit::RunFailed.code(), 3);
        assert_eq!(Exit::Interrupted.code(), 130);
    }
}

//! The run-wide spending limits `--max-cost` and `--max-requests`: what has been spent and
//! sent so far, and whether another request may start.

/// Run-wide limits on spending (`--max-cost`, `--max-requests`), counted over this
/// invocation: on `--resume` they apply afresh.
#[derive(Debug, Clone, Default)]
pub struct Budget {
    pub max_cost: Option<f64>,
    pub max_requests: Option<u64>,
    /// USD spent on responses received so far (cache hits cost nothing).
    pub spent_usd: f64,
    /// Classifications sent to a provider (a retried request counts once).
    pub requests: u64,
}

impl Budget {
    /// Why no new request may start, if one may not.
    pub fn exhausted(&self) -> Option<String> {
        if let Some(max) = self.max_requests {
            if self.requests >= max {
                return Some(format!(
                    "stopped at --max-requests {max} ({} requests sent)",
                    self.requests
                ));
            }
        }
        if let Some(max) = self.max_cost {
            if self.spent_usd >= max {
                return Some(format!(
                    "stopped at --max-cost {max} (${:.4} spent)",
                    self.spent_usd
                ));
            }
        }
        None
    }
}

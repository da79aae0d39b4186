//! When to retry a failed LLM call and how long to wait first: a pure [`RetryPolicy`].
//!
//! Only [`CallError::Retryable`] is retried (connection errors, timeouts, 408, 409, 429 other
//! than a spend limit, 5xx, 529, `x-should-retry: true`; the client decides which is which).
//! `Fatal` and `Auth` never are. The wait is the server's `retry-after` when it gives one, else
//! capped exponential backoff with full jitter: `U[0, min(cap, base * 2^n))`, which spreads
//! the retries of many concurrent requests that failed together (AWS's "full jitter").
//!
//! A `retry-after` longer than [`RetryPolicy::retry_after_cap`] (60 s) is clamped to the cap,
//! not ignored: the server said "not before then", so retrying sooner on our own backoff would
//! only buy another 429, while waiting longer than a minute per request would stall a run for
//! no good reason (the attempt after the clamped wait is still bounded by `max_retries`). The
//! Anthropic Python SDK instead falls back to its backoff for hints over 60 s.

use std::time::Duration;

use rand::Rng;

use crate::provider::CallError;

/// Retry rules for one run.
#[derive(Debug, Clone, PartialEq)]
pub struct RetryPolicy {
    /// Retries after the first attempt (`run.max_retries`).
    pub max_retries: u32,
    /// Backoff before the first retry, before jitter.
    pub base: Duration,
    /// The longest backoff, before jitter.
    pub cap: Duration,
    /// The longest server-requested wait honoured; longer ones are clamped to it.
    pub retry_after_cap: Duration,
}

/// What to do after a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Decision {
    /// Wait this long, then try again.
    RetryAfter(Duration),
    /// Record the failure (retries spent, or an error not worth retrying).
    GiveUp,
}

impl RetryPolicy {
    pub fn new(max_retries: u32) -> Self {
        RetryPolicy {
            max_retries,
            base: Duration::from_millis(500),
            cap: Duration::from_secs(8),
            retry_after_cap: Duration::from_secs(60),
        }
    }

    /// The decision after attempt number `attempt` (1-based) failed with `err`.
    pub fn decide(&self, err: &CallError, attempt: u32, rng: &mut impl Rng) -> Decision {
        let CallError::Retryable { retry_after, .. } = err else {
            return Decision::GiveUp;
        };
        if attempt > self.max_retries {
            return Decision::GiveUp;
        }
        let wait = match retry_after {
            Some(d) if !d.is_zero() => (*d).min(self.retry_after_cap),
            _ => self.backoff(attempt - 1, rng.gen::<f64>()),
        };
        Decision::RetryAfter(wait)
    }

    /// Full-jitter backoff before retry number `n` (0 for the first retry), `u` in [0, 1).
    pub fn backoff(&self, n: u32, u: f64) -> Duration {
        let exp = self.base.as_secs_f64() * 2f64.powi(n.min(30) as i32);
        Duration::from_secs_f64(exp.min(self.cap.as_secs_f64()) * u.clamp(0.0, 1.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn retryable(retry_after: Option<Duration>) -> CallError {
        CallError::Retryable {
            status: Some(429),
            retry_after,
            rate_limited: true,
            error_type: Some("rate_limit_error".into()),
            message: "slow down".into(),
            request_id: None,
        }
    }

    #[test]
    fn backoff_grows_then_caps_and_stays_within_the_jitter_range() {
        let p = RetryPolicy::new(6);
        assert_eq!(p.backoff(0, 0.0), Duration::ZERO);
        assert_eq!(p.backoff(0, 0.5), Duration::from_millis(250));
        assert_eq!(p.backoff(1, 0.5), Duration::from_millis(500));
        assert_eq!(p.backoff(3, 0.5), Duration::from_secs(2));
        // 0.5 * 2^4 = 8 s is the cap; beyond it the backoff stays there.
        assert_eq!(p.backoff(4, 0.5), Duration::from_secs(4));
        assert_eq!(p.backoff(20, 0.5), Duration::from_secs(4));
        assert_eq!(p.backoff(1000, 0.999), Duration::from_secs_f64(8.0 * 0.999));
    }

    #[test]
    fn retry_after_is_honoured_and_clamped_to_its_cap() {
        let p = RetryPolicy::new(3);
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
        assert_eq!(
            p.decide(&retryable(Some(Duration::from_millis(250))), 1, &mut rng),
            Decision::RetryAfter(Duration::from_millis(250))
        );
        assert_eq!(
            p.decide(&retryable(Some(Duration::from_secs(600))), 1, &mut rng),
            Decision::RetryAfter(Duration::from_secs(60))
        );
        // `retry-after: 1e30` arrives as Duration::MAX: still the cap.
        assert_eq!(
            p.decide(&retryable(Some(Duration::MAX)), 1, &mut rng),
            Decision::RetryAfter(Duration::from_secs(60))
        );
        // A zero hint falls back to the backoff.
        match p.decide(&retryable(Some(Duration::ZERO)), 1, &mut rng) {
            Decision::RetryAfter(d) => assert!(d < Duration::from_millis(500)),
            d => panic!("{d:?}"),
        }
    }

    #[test]
    fn retries_stop_after_max_retries() {
        let p = RetryPolicy::new(2);
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
        let e = retryable(None);
        assert!(matches!(p.decide(&e, 1, &mut rng), Decision::RetryAfter(_)));
        assert!(matches!(p.decide(&e, 2, &mut rng), Decision::RetryAfter(_)));
        assert_eq!(p.decide(&e, 3, &mut rng), Decision::GiveUp);
        assert_eq!(
            RetryPolicy::new(0).decide(&e, 1, &mut rng),
            Decision::GiveUp
        );
    }

    #[test]
    fn fatal_and_auth_errors_are_never_retried() {
        let p = RetryPolicy::new(6);
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
        let fatal = CallError::Fatal {
            status: Some(429),
            error_type: Some("rate_limit_error".into()),
            message: "enforced_spend_limit_reached".into(),
            request_id: None,
        };
        let auth = CallError::Auth {
            status: Some(401),
            message: "invalid x-api-key".into(),
        };
        assert_eq!(p.decide(&fatal, 1, &mut rng), Decision::GiveUp);
        assert_eq!(p.decide(&auth, 1, &mut rng), Decision::GiveUp);
    }
}

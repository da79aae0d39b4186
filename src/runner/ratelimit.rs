//! Client-side request and token rate limits (`run.requests_per_minute`,
//! `run.tokens_per_minute`), so a run stays under a provider's limits instead of learning
//! them from 429s.
//!
//! Built on `governor`'s GCRA limiter (a well-kept crate; a token bucket by hand would be the
//! same arithmetic with more tests to write). A quota of N per minute lets a burst of N
//! through, then one every 60/N s, which is how providers meter their per-minute limits too.
//! A request's tokens are its estimated input tokens plus `max_tokens`: Anthropic likewise
//! counts output tokens against its limit from `max_tokens` when a request starts. A request
//! estimated above the whole per-minute quota waits for the full quota instead of failing.

use std::num::NonZeroU32;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::state::{InMemoryState, NotKeyed};
use governor::{Quota, RateLimiter};

type Direct = RateLimiter<NotKeyed, InMemoryState, DefaultClock>;

/// The limits of one provider endpoint.
pub struct RateLimits {
    requests: Option<Direct>,
    tokens: Option<(Direct, NonZeroU32)>,
    clock: DefaultClock,
}

impl RateLimits {
    pub fn new(requests_per_minute: Option<u32>, tokens_per_minute: Option<u32>) -> Self {
        let per_minute = |n: NonZeroU32| RateLimiter::direct(Quota::per_minute(n));
        RateLimits {
            requests: requests_per_minute
                .and_then(NonZeroU32::new)
                .map(per_minute),
            tokens: tokens_per_minute
                .and_then(NonZeroU32::new)
                .map(|n| (per_minute(n), n)),
            clock: DefaultClock::default(),
        }
    }

    /// True when neither limit is set (nothing ever waits).
    pub fn is_unlimited(&self) -> bool {
        self.requests.is_none() && self.tokens.is_none()
    }

    /// How long to wait before one request of `tokens` tokens may start, reserving it when
    /// the answer is zero. Call again after waiting.
    pub fn check(&self, tokens: u64) -> Duration {
        let now = self.clock.now();
        // Check the token limit first without consuming a request slot for nothing.
        if let Some((lim, cap)) = &self.tokens {
            let n = NonZeroU32::new(tokens.clamp(1, cap.get() as u64) as u32).expect("n >= 1");
            match lim.check_n(n) {
                Ok(Ok(())) => {}
                Ok(Err(not_until)) => return not_until.wait_time_from(now),
                Err(_) => unreachable!("n is clamped to the burst size"),
            }
        }
        if let Some(lim) = &self.requests {
            if let Err(not_until) = lim.check() {
                // The tokens were taken; give the request a moment and let it retry the pair.
                // Over-counting tokens by one request per wait errs on the safe side.
                return not_until.wait_time_from(now);
            }
        }
        Duration::ZERO
    }

    /// Waits until a request of `tokens` tokens may start.
    pub async fn until_ready(&self, tokens: u64) {
        if self.is_unlimited() {
            return;
        }
        loop {
            let wait = self.check(tokens);
            if wait.is_zero() {
                return;
            }
            tokio::time::sleep(wait).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unlimited_never_waits() {
        let l = RateLimits::new(None, None);
        assert!(l.is_unlimited());
        for _ in 0..1000 {
            assert_eq!(l.check(1_000_000), Duration::ZERO);
        }
    }

    #[test]
    fn requests_per_minute_allows_a_burst_then_spaces_requests() {
        let l = RateLimits::new(Some(60), None);
        for _ in 0..60 {
            assert_eq!(l.check(10), Duration::ZERO);
        }
        let wait = l.check(10);
        assert!(
            wait > Duration::ZERO && wait <= Duration::from_secs(1),
            "{wait:?}"
        );
    }

    #[test]
    fn tokens_per_minute_counts_tokens_and_clamps_huge_requests() {
        let l = RateLimits::new(None, Some(1000));
        assert_eq!(l.check(600), Duration::ZERO);
        let wait = l.check(600);
        // 200 more tokens are needed at 1000/min: about 12 s.
        assert!(
            wait > Duration::from_secs(10) && wait <= Duration::from_secs(13),
            "{wait:?}"
        );
        // A request larger than the quota is not an error: it waits for the full quota.
        let big = RateLimits::new(None, Some(100));
        assert_eq!(big.check(1_000_000), Duration::ZERO);
        assert!(big.check(1) > Duration::ZERO);
    }

    #[tokio::test]
    async fn until_ready_waits_out_the_limit() {
        let l = RateLimits::new(Some(6000), None); // one every 10 ms after a burst of 6000
        for _ in 0..6000 {
            assert_eq!(l.check(1), Duration::ZERO);
        }
        let t = std::time::Instant::now();
        l.until_ready(1).await;
        l.until_ready(1).await;
        assert!(t.elapsed() >= Duration::from_millis(9), "{:?}", t.elapsed());
    }
}

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

    /// How long to wait before one request of `tokens` tokens may start, reserving both the
    /// tokens and the request slot when the answer is zero. Call again after waiting. (When
    /// the tokens are free but the request slot is not, the tokens stay taken: fine for a
    /// single check, which is why [`RateLimits::until_ready`] acquires the two separately.)
    pub fn check(&self, tokens: u64) -> Duration {
        let wait = self.check_tokens(tokens);
        if !wait.is_zero() {
            return wait;
        }
        self.check_request()
    }

    /// Takes `tokens` from the token quota, or says how long until they are there.
    fn check_tokens(&self, tokens: u64) -> Duration {
        let Some((lim, cap)) = &self.tokens else {
            return Duration::ZERO;
        };
        let n = NonZeroU32::new(tokens.clamp(1, cap.get() as u64) as u32).expect("n >= 1");
        match lim.check_n(n) {
            Ok(Ok(())) => Duration::ZERO,
            Ok(Err(not_until)) => not_until.wait_time_from(self.clock.now()),
            Err(_) => unreachable!("n is clamped to the burst size"),
        }
    }

    /// Takes one request slot, or says how long until there is one.
    fn check_request(&self) -> Duration {
        match &self.requests {
            Some(lim) => match lim.check() {
                Ok(()) => Duration::ZERO,
                Err(not_until) => not_until.wait_time_from(self.clock.now()),
            },
            None => Duration::ZERO,
        }
    }

    /// Waits until a request of `tokens` tokens may start: first its tokens, then a request
    /// slot, each taken once, so waiting for one limit never spends the other's quota.
    pub async fn until_ready(&self, tokens: u64) {
        if self.is_unlimited() {
            return;
        }
        loop {
            let wait = self.check_tokens(tokens);
            if wait.is_zero() {
                break;
            }
            tokio::time::sleep(wait).await;
        }
        loop {
            let wait = self.check_request();
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

    #[tokio::test]
    async fn waiting_for_a_request_slot_does_not_spend_the_token_quota() {
        // Regression: with both limits set, every wait on the request limit used to take a
        // request's tokens again, so the token quota drained and the run stalled for minutes.
        let t: u64 = 1000;
        let l = RateLimits::new(Some(6000), Some(3 * t as u32)); // tokens for exactly 3 requests a minute
        let requests = l.requests.as_ref().unwrap();
        for _ in 0..6000 {
            requests.check().unwrap(); // spend the request burst: one more every 10 ms
        }
        let three = async {
            for _ in 0..3 {
                l.until_ready(t).await;
            }
        };
        // A hang guard, not a speed assertion: the old code waited ~20 s for tokens here.
        tokio::time::timeout(Duration::from_secs(10), three)
            .await
            .expect("waiting for request slots spent the token quota");
        // The three requests took the token quota: a fourth has to wait.
        assert!(l.check_tokens(t) > Duration::ZERO);
    }
}

//! Adaptive concurrency: how many requests may be in flight, lowered when the provider says
//! it is overloaded and raised again slowly (AIMD, as TCP does with its window).
//!
//! The limit starts at `run.concurrency` (or `--concurrency`). A rate-limited failure (429 or
//! 529) halves it, at most once per [`AdaptiveLimit::cooldown`] so that a burst of 429s from
//! requests that were already in flight counts as one signal; each success adds `1/limit`, so
//! the limit grows by about one per round of successful requests, never above the start.
//! Requests in flight above a lowered limit finish; new ones, retries included, wait until
//! fewer are in flight.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::Notify;

struct State {
    limit: f64,
    in_flight: usize,
    last_cut: Option<Instant>,
}

/// A semaphore whose size follows AIMD.
pub struct AdaptiveLimit {
    state: Mutex<State>,
    notify: Notify,
    max: usize,
    /// The least time between two cuts.
    pub cooldown: Duration,
}

/// One slot; released when dropped.
pub struct Permit {
    limit: Arc<AdaptiveLimit>,
}

impl Drop for Permit {
    fn drop(&mut self) {
        self.limit.state.lock().expect("not poisoned").in_flight -= 1;
        self.limit.notify.notify_one();
    }
}

impl AdaptiveLimit {
    pub fn new(max: usize) -> Arc<Self> {
        let max = max.max(1);
        Arc::new(AdaptiveLimit {
            state: Mutex::new(State {
                limit: max as f64,
                in_flight: 0,
                last_cut: None,
            }),
            notify: Notify::new(),
            max,
            cooldown: Duration::from_secs(1),
        })
    }

    /// The current limit (whole requests).
    pub fn current(&self) -> usize {
        self.state.lock().expect("not poisoned").limit as usize
    }

    pub fn in_flight(&self) -> usize {
        self.state.lock().expect("not poisoned").in_flight
    }

    fn try_take(self: &Arc<Self>) -> Option<Permit> {
        let mut s = self.state.lock().expect("not poisoned");
        if s.in_flight < s.limit as usize {
            s.in_flight += 1;
            Some(Permit {
                limit: self.clone(),
            })
        } else {
            None
        }
    }

    /// Waits for a slot. Cancel-safe: a dropped future holds no slot.
    pub async fn acquire(self: &Arc<Self>) -> Permit {
        loop {
            let notified = self.notify.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if let Some(p) = self.try_take() {
                return p;
            }
            notified.await;
        }
    }

    /// The provider rate-limited us: halve the limit (not below 1).
    pub fn on_rate_limited(&self) {
        self.on_rate_limited_at(Instant::now());
    }

    fn on_rate_limited_at(&self, now: Instant) {
        let mut s = self.state.lock().expect("not poisoned");
        if s.last_cut
            .is_some_and(|t| now.duration_since(t) < self.cooldown)
        {
            return;
        }
        s.limit = (s.limit / 2.0).floor().max(1.0);
        s.last_cut = Some(now);
    }

    /// A request succeeded: grow the limit by `1/limit`, up to the configured maximum.
    pub fn on_success(&self) {
        let grew = {
            let mut s = self.state.lock().expect("not poisoned");
            let before = s.limit as usize;
            s.limit = (s.limit + 1.0 / s.limit).min(self.max as f64);
            s.limit as usize > before
        };
        if grew {
            self.notify.notify_one();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn halves_once_per_cooldown_and_never_below_one() {
        let l = AdaptiveLimit::new(32);
        let t0 = Instant::now();
        l.on_rate_limited_at(t0);
        assert_eq!(l.current(), 16);
        l.on_rate_limited_at(t0 + Duration::from_millis(10)); // same burst
        assert_eq!(l.current(), 16);
        for i in 1..10 {
            l.on_rate_limited_at(t0 + Duration::from_secs(2 * i));
        }
        assert_eq!(l.current(), 1);
    }

    #[test]
    fn grows_back_about_one_per_round_of_successes_up_to_the_max() {
        let l = AdaptiveLimit::new(8);
        l.on_rate_limited_at(Instant::now());
        assert_eq!(l.current(), 4);
        // 4 + 1/4 + 1/4.25 + ...: the fifth success crosses 5.
        for _ in 0..4 {
            l.on_success();
        }
        assert_eq!(l.current(), 4);
        l.on_success();
        assert_eq!(l.current(), 5);
        for _ in 0..1000 {
            l.on_success();
        }
        assert_eq!(l.current(), 8);
    }

    #[tokio::test]
    async fn at_most_limit_permits_are_out() {
        let l = AdaptiveLimit::new(2);
        let a = l.acquire().await;
        let _b = l.acquire().await;
        assert!(l.try_take().is_none());
        let waiter = {
            let l = l.clone();
            tokio::spawn(async move {
                let _c = l.acquire().await;
            })
        };
        tokio::task::yield_now().await;
        assert!(!waiter.is_finished());
        drop(a);
        waiter.await.unwrap();
        assert_eq!(l.in_flight(), 1);
    }
}

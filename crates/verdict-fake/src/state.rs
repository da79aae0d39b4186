//! The server's shared state: the configuration, the request log, the fault script and the
//! in-flight count, used by the HTTP side (`server.rs`) and the answers (`answer.rs`).

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::watch;

use crate::fault::parse_marker;
use crate::{Answer, FakeConfig, Fault, LoggedRequest};

/// Counts requests in their latency wait.
#[derive(Default)]
pub(crate) struct InFlight {
    pub(crate) now: AtomicUsize,
    pub(crate) max: AtomicUsize,
}

/// Holds one place in [`InFlight`] until dropped (also when the request is cancelled).
pub(crate) struct InFlightGuard<'a>(&'a InFlight);

impl<'a> InFlightGuard<'a> {
    pub(crate) fn enter(c: &'a InFlight) -> Self {
        let now = c.now.fetch_add(1, Ordering::SeqCst) + 1;
        c.max.fetch_max(now, Ordering::SeqCst);
        InFlightGuard(c)
    }
}

impl Drop for InFlightGuard<'_> {
    fn drop(&mut self) {
        self.0.now.fetch_sub(1, Ordering::SeqCst);
    }
}

pub(crate) struct Shared {
    pub(crate) config: FakeConfig,
    pub(crate) in_flight: Arc<InFlight>,
    pub(crate) models: Vec<String>,
    pub(crate) log: Arc<Mutex<Vec<LoggedRequest>>>,
    pub(crate) counter: AtomicU64,
    pub(crate) script: Mutex<VecDeque<Fault>>,
    /// Times a counted marker (`*N`) fired, by ticket text.
    pub(crate) fired: Mutex<HashMap<String, u32>>,
    pub(crate) shutdown: watch::Receiver<bool>,
}

impl Shared {
    pub(crate) fn push_log(&self, entry: LoggedRequest) {
        self.log
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(entry);
    }

    /// The fault for this request: the script first, then a marker in the ticket text.
    pub(crate) fn pick_fault(&self, ticket: &str) -> Option<Fault> {
        if let Some(f) = self
            .script
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .pop_front()
        {
            return Some(f);
        }
        let (fault, times) = parse_marker(ticket)?;
        match times {
            None => Some(fault),
            Some(n) => {
                let mut fired = self.fired.lock().unwrap_or_else(|e| e.into_inner());
                let count = fired.entry(ticket.to_string()).or_insert(0);
                if *count < n {
                    *count += 1;
                    Some(fault)
                } else {
                    None
                }
            }
        }
    }

    pub(crate) fn answer_for(&self, ticket: &str) -> Option<Answer> {
        if let Some(a) = self
            .config
            .answers
            .iter()
            .find(|a| ticket.contains(&a.contains))
        {
            return Some(a.answer.clone());
        }
        self.config.answer_fn.as_ref().and_then(|f| f(ticket))
    }

    pub(crate) async fn sleep(&self, d: Duration) {
        if d.is_zero() {
            return;
        }
        let mut shutdown = self.shutdown.clone();
        tokio::select! {
            _ = tokio::time::sleep(d) => {}
            _ = shutdown.changed() => {}
        }
    }
}

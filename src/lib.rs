//! verdict: an eval harness for LLM ticket classifiers.

pub mod metrics;
pub mod stats;

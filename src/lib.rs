//! verdict: an eval harness for LLM ticket classifiers.

pub mod classifier;
pub mod metrics;
pub mod stats;

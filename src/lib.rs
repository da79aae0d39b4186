//! verdict: an eval harness for LLM ticket classifiers.

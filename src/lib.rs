//! verdict: an eval harness for LLM ticket classifiers.
//!
//! It loads a labeled gold set and prompt variants ([`config`]), classifies every ticket with
//! every variant ([`provider`], [`runner`]), measures the results ([`metrics`], [`stats`],
//! [`score`]) and renders them.

pub mod app;
pub mod classifier;
pub mod cli;
pub mod commands;
pub mod compare;
pub mod config;
pub mod diag;
pub mod error;
pub mod eval_log;
pub mod exit;
pub mod file_bytes;
pub mod gate;
pub mod gold;
pub mod metrics;
pub mod onesided;
pub mod predictions;
pub mod progress;
pub mod provider;
pub mod report;
pub mod run_dir;
pub mod runner;
pub mod scaffold;
pub mod schema;
pub mod score;
pub mod stats;
pub mod template;
pub mod variant;
pub mod yaml;

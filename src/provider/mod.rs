//! Backends that classify tickets: the built-in offline classifier and LLM APIs.

pub mod local;

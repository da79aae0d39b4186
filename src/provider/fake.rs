//! A strict fake of the Anthropic Messages and OpenAI Chat Completions APIs (work in
//! progress).

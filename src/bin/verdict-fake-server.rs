//! TEST TOOL: runs verdict's strict fake LLM API server (see `verdict::provider::fake`).

use std::net::SocketAddr;
use std::time::Duration;

use clap::Parser;
use verdict::provider::fake::{self, FakeConfig};

/// TEST TOOL, not a model: a strict fake of the Anthropic Messages API (/v1/messages) and
/// the OpenAI Chat Completions API (/v1/chat/completions) on 127.0.0.1, for benchmarks,
/// tests and trying verdict without an API key.
///
/// It validates requests like the real APIs and answers every ticket with a deterministic,
/// schema-valid (and meaningless) tool call. A marker in a ticket's text injects a fault:
/// [[fault:NAME]] on every request, [[fault:NAME*N]] on the first N. Names: 429, 429-ms,
/// 429-date, 429-bare, spend-limit, 529, 500, 500-no-retry, 400, 400-retry, 401,
/// status-NNN, reset, cut-body, hang, malformed, no-tool, bad-enum, bad-json-args,
/// max-tokens, refusal, wrong-tool, two-tools.
///
/// Prints its base URL on stdout, then serves until interrupted. Point verdict at it with
/// ANTHROPIC_BASE_URL / OPENAI_BASE_URL (or a variant's base_url) and any non-empty key.
#[derive(Parser, Debug)]
#[command(name = "verdict-fake-server", version)]
struct Args {
    /// Port on 127.0.0.1 (0 picks a free one).
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Delay added to every answer, in milliseconds.
    #[arg(long, default_value_t = 0)]
    latency_ms: u64,
    /// How long a `hang` fault waits before answering, in seconds.
    #[arg(long, default_value_t = 600)]
    hang_s: u64,
    /// The only API key accepted (default: any non-empty key). Prefer FAKE_API_KEY.
    #[arg(long, env = "FAKE_API_KEY", hide_env_values = true)]
    api_key: Option<String>,
    /// Accept this model (repeatable; default: current Claude models and a few GPT names).
    #[arg(long = "model")]
    models: Vec<String>,
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    let config = FakeConfig {
        api_key: args.api_key,
        models: if args.models.is_empty() {
            None
        } else {
            Some(args.models)
        },
        latency: Duration::from_millis(args.latency_ms),
        hang: Duration::from_secs(args.hang_s),
        ..FakeConfig::default()
    };
    let addr = SocketAddr::from(([127, 0, 0, 1], args.port));
    let server = match fake::start_on(config, addr).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("verdict-fake-server: cannot listen on {addr}: {e}");
            std::process::exit(1);
        }
    };
    println!("{}", server.base_url);
    use std::io::Write;
    let _ = std::io::stdout().flush();
    let _ = tokio::signal::ctrl_c().await;
    server.shutdown().await;
}

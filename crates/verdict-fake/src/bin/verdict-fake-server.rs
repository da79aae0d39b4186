//! TEST TOOL: runs verdict's strict fake LLM API server (the `verdict_fake` crate).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;
use verdict_fake::{self as fake, FakeConfig, GoldColumns, GoldMode, GoldSet};

/// TEST TOOL, not a model: a strict fake of the Anthropic Messages API (/v1/messages) and
/// the OpenAI Chat Completions API (/v1/chat/completions) on 127.0.0.1, for benchmarks,
/// tests and trying verdict without an API key.
///
/// It validates requests like the real APIs and answers every ticket with a deterministic,
/// schema-valid (and meaningless) tool call. A marker in a ticket's text injects a fault:
/// [[fault:NAME]] on every request, [[fault:NAME*N]] on the first N. Names: 429, 429-ms,
/// 429-date, 429-bare, spend-limit, 529, 500, 500-no-retry, 400, 400-retry, 401,
/// status-NNN, reset, cut-body, hang, malformed, no-tool, bad-enum, bad-json-args,
/// max-tokens, refusal, wrong-tool, two-tools; like an OpenAI-compatible proxy (LiteLLM):
/// proxy-overloaded (500 wrapping an upstream overloaded_error), proxy-429 (retry hint in
/// llm_provider-retry-after), proxy-ids (id in llm_provider-request-id), no-request-id,
/// other-request-id.
///
/// Gold-aware mode (--gold FILE): the fake finds each ticket of the gold set in the request
/// and answers its gold label with probability P, else a wrong but schema-valid label;
/// seeded, so the same seed gives the same answers. P comes from a marker in the variant's
/// system prompt, [[fake:accuracy=0.75]], else --model-accuracy MODEL=P, else --accuracy.
///
///   verdict-fake-server --gold evals/support/gold.yaml --seed 7 --model-accuracy gpt-4o-mini=0.6
///
/// Prints its base URL on stdout, then serves until interrupted. Point verdict at it with
/// ANTHROPIC_BASE_URL / OPENAI_BASE_URL (or a variant's base_url) and any non-empty key.
#[derive(Parser, Debug)]
#[command(name = "verdict-fake-server", version, verbatim_doc_comment)]
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
    /// Gold-aware mode: the gold set (verdict's gold .yaml; .csv or .jsonl with the columns
    /// below; .json mapping ticket id -> {field: label}, matched by id in the user turn).
    #[arg(long, value_name = "FILE")]
    gold: Option<PathBuf>,
    /// CSV/JSONL column with the ticket text.
    #[arg(long, default_value = "text", requires = "gold")]
    gold_text: String,
    /// CSV/JSONL column with the ticket id (default: `id` if present, else row-N).
    #[arg(long, requires = "gold")]
    gold_id: Option<String>,
    /// CSV/JSONL gold field and its column, FIELD=COLUMN (repeatable; default: every other
    /// column is a field of its own name).
    #[arg(long, value_name = "FIELD=COLUMN", value_parser = pair, requires = "gold")]
    gold_label: Vec<(String, String)>,
    /// Gold-aware mode: probability of the gold label when no marker or --model-accuracy
    /// applies.
    #[arg(long, default_value_t = 1.0, value_parser = probability, requires = "gold")]
    accuracy: f64,
    /// Gold-aware mode: MODEL=P, the accuracy of every request for MODEL without a marker.
    #[arg(long, value_name = "MODEL=P", value_parser = model_probability, requires = "gold")]
    model_accuracy: Vec<(String, f64)>,
    /// Gold-aware mode: the seed of the right/wrong draws.
    #[arg(long, default_value_t = 0, requires = "gold")]
    seed: u64,
}

fn pair(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((a, b)) if !a.is_empty() && !b.is_empty() => Ok((a.to_string(), b.to_string())),
        _ => Err(format!("expected NAME=VALUE, got {s:?}")),
    }
}

fn probability(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(p) if (0.0..=1.0).contains(&p) => Ok(p),
        _ => Err(format!("expected a probability from 0 to 1, got {s:?}")),
    }
}

fn model_probability(s: &str) -> Result<(String, f64), String> {
    let (m, p) = pair(s)?;
    Ok((m, probability(&p)?))
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    let gold = match &args.gold {
        None => None,
        Some(path) => {
            let columns = GoldColumns {
                text: args.gold_text.clone(),
                id: args.gold_id.clone(),
                labels: args.gold_label.clone(),
            };
            match GoldSet::load(path, &columns) {
                Ok(set) => {
                    let mut mode = GoldMode::new(set).seed(args.seed).accuracy(args.accuracy);
                    mode.model_accuracy = args.model_accuracy.clone();
                    Some(mode)
                }
                Err(e) => {
                    eprintln!("verdict-fake-server: --gold {e}");
                    std::process::exit(2);
                }
            }
        }
    };
    let config = FakeConfig {
        api_key: args.api_key,
        models: if args.models.is_empty() {
            None
        } else {
            Some(args.models)
        },
        latency: Duration::from_millis(args.latency_ms),
        hang: Duration::from_secs(args.hang_s),
        gold,
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

//! Shared by the end-to-end runner tests: a fake API server on its own runtime, and the
//! `verdict` binary pointed at it.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Output;

use verdict_fake::{self as fake, FakeConfig, FakeServer, LoggedRequest};

/// A fake server running on a background runtime for as long as this lives.
pub struct Fake {
    pub server: FakeServer,
    _rt: tokio::runtime::Runtime,
}

impl Fake {
    pub fn start(config: FakeConfig) -> Fake {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let server = rt.block_on(fake::start(config));
        Fake { server, _rt: rt }
    }

    pub fn requests(&self) -> Vec<LoggedRequest> {
        self.server.requests()
    }

    /// Messages requests (the fake logs every request).
    pub fn n_messages(&self) -> usize {
        self.requests()
            .iter()
            .filter(|r| r.path == "/v1/messages")
            .count()
    }
}

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `verdict ARGS` in the repository, against `base_url`, with `key` as the API key.
pub fn verdict(base_url: &str, key: &str, args: &[&str]) -> std::process::Command {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_verdict"));
    cmd.current_dir(repo())
        .args(args)
        .env("ANTHROPIC_BASE_URL", base_url)
        .env("ANTHROPIC_API_KEY", key)
        .env_remove("OPENAI_BASE_URL")
        .env_remove("OPENAI_API_KEY")
        .env("CI", "1");
    cmd
}

pub fn run(cmd: &mut std::process::Command) -> Output {
    let out = cmd.output().expect("run verdict");
    eprintln!(
        "verdict exited {:?}\n--- stderr\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

pub fn journal(dir: &Path) -> Vec<verdict::eval_log::PredictionRecord> {
    verdict::eval_log::read_journal(&dir.join("predictions.jsonl")).unwrap()
}

pub fn path_str(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Every file under `dir`, recursively.
pub fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd {
            let p = e.unwrap().path();
            if p.is_dir() {
                out.extend(files(&p));
            } else {
                out.push(p);
            }
        }
    }
    out
}

/// Departments of the gold-aware fake tests' generated gold sets.
pub const DEPARTMENTS: [&str; 5] = ["billing", "technical", "sales", "account", "general"];
const WORDS: [&str; 8] = [
    "invoice", "sync", "login", "refund", "upload", "quote", "password", "folder",
];

/// A gold set of `n` tickets with one label field, `department`, written to `path`. The texts
/// are distinct and none is a substring of another (the number is bracketed), so the fake's
/// gold-aware mode finds each ticket.
pub fn write_department_gold(path: &Path, n: usize) {
    let mut gold = String::from(
        "fields:\n  department: {kind: label, values: [billing, technical, sales, account, general]}\ntickets:\n",
    );
    for i in 0..n {
        let text = format!(
            "Ticket [{i}] about my {} and {}, please help",
            WORDS[i % 8],
            WORDS[(i / 8) % 8]
        );
        let dept = DEPARTMENTS[(i * 7 + i / 5) % 5];
        gold.push_str(&format!(
            "  - id: G-{i:04}\n    text: \"{text}\"\n    labels: {{department: {dept}}}\n"
        ));
    }
    std::fs::write(path, gold).unwrap();
}

/// An Anthropic forced-tool variant named `name` that routes to a department; its system
/// prompt carries the gold-aware fake's marker for accuracy `p`.
pub fn department_variant(name: &str, p: f64) -> String {
    format!(
        r#"name: {name}
provider: anthropic
model: claude-haiku-4-5
max_tokens: 100
system: "Route the ticket to a department. {marker}"
user: "Ticket:\n\n{{{{text}}}}"
tools:
  - name: route
    input_schema:
      type: object
      properties:
        department: {{type: string, enum: [billing, technical, sales, account, general]}}
        confidence: {{type: number, minimum: 0, maximum: 1}}
      required: [department, confidence]
    outputs: {{department: department}}
    confidence: confidence
tool_choice: {{type: tool, name: route}}
"#,
        marker = fake::accuracy_marker_text(p)
    )
}

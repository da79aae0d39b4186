//! TEST TOOL: the strict fake LLM API server (work in progress).
fn main() {
    eprintln!("verdict-fake-server: not implemented yet");
    std::process::exit(2);
}

//! The `verdict` binary: parse the command line, run the app, print the error, exit.
//!
//! This is the only place that ends the process ([`verdict::exit::Exit`] lists the codes):
//! the library returns an exit code or an error that carries one.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use clap::Parser;
use verdict::app::Invocation;
use verdict::cli::Cli;
use verdict::error::Error;
use verdict::exit::Exit;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let invocation = Cli::parse().into_invocation();
    let interrupted = Arc::new(AtomicBool::new(false));
    // Only a run has work worth keeping; every other command stops at the first Ctrl-C.
    if matches!(invocation, Invocation::Run(_)) {
        let flag = interrupted.clone();
        // First Ctrl-C: the run stops starting work and keeps its journal, then returns
        // `Error::Interrupted`. Second: leave at once (the journal is append-only, so a
        // half-finished run is still resumable).
        let _ = on_ctrl_c(move || {
            if flag.swap(true, Ordering::SeqCst) {
                std::process::exit(Exit::Interrupted.code());
            }
        });
    }
    let code = match verdict::app::main(invocation, interrupted) {
        Ok(code) => code,
        Err(Error::StdoutClosed) => Exit::Ok,
        Err(err) => {
            eprintln!("error: {err}");
            err.exit_code()
        }
    };
    std::process::exit(code.code());
}

/// Calls `f` on every Ctrl-C, from a background thread with its own small runtime.
fn on_ctrl_c(f: impl Fn() + Send + 'static) -> std::io::Result<()> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    std::thread::spawn(move || {
        rt.block_on(async {
            loop {
                if tokio::signal::ctrl_c().await.is_err() {
                    return;
                }
                f();
            }
        })
    });
    Ok(())
}

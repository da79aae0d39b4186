//! The `verdict` binary: parse the command line, run the app, print the error, exit.

use clap::Parser;

fn main() {
    let cli = verdict::cli::Cli::parse();
    let code = match verdict::app::main(cli) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err}");
            err.exit_code()
        }
    };
    std::process::exit(code);
}

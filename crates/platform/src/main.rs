//! `platform`: the one binary. See `platform --help`.

use clap::Parser;
use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    platform::install_tls_provider();
    let cli = platform::cli::Cli::parse();
    match platform::cli::run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            // One line, no backtrace: the operator reads this.
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

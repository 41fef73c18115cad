//! `platform`: the one binary. See `platform --help`.

use clap::Parser;
use std::process::ExitCode;

/// mimalloc instead of the system allocator: a nested page of orders spends about a quarter of its time
/// allocating (many small strings and maps per row and per field); see bench/README "Issue #15".
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

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

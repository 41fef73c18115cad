//! Wires the crates into the `platform` binary: settings, database, the HTTP server and the subcommands.
//! Owns no rule and no table; everything it runs lives in the domain and API crates.

pub mod auth;
pub mod cli;
pub mod database;
pub mod doctor;
pub mod http;
pub mod import;
mod logging;
pub mod reconcile;
pub mod schedule;
pub mod scrape;
pub mod sweep;
pub mod tokens;
pub mod watch;
pub mod webhooks;

/// Installs the process-wide TLS provider (ring) that reqwest and the webhook client use. Call once at
/// start-up; calling again is harmless.
pub fn install_tls_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

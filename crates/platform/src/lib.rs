//! Wires the crates into the `platform` binary: settings, database, the HTTP server and the subcommands.
//! Owns no rule and no table; everything it runs lives in the domain and API crates.

pub mod auth;
pub mod cli;
pub mod database;
pub mod http;
mod logging;
pub mod sweep;

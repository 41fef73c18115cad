//! The command line: `platform serve | migrate | schema`.

use crate::{database, http, logging};
use anyhow::Context;
use clap::{Parser, Subcommand};
use platform_core::{BusinessCalendar, Clock, Settings};
use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;

/// Subscription and order middle platform.
#[derive(Debug, Parser)]
#[command(name = "platform", version, about)]
pub struct Cli {
    /// Settings file (TOML). Default: $PLATFORM_CONFIG, else ./platform.toml when present.
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Database URL (overrides settings and DATABASE_URL): postgres://… or sqlite://path?mode=rwc.
    #[arg(long, global = true, value_name = "URL")]
    pub database_url: Option<String>,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Apply migrations and serve GraphQL (GraphiQL at GET /graphql) and /healthz.
    Serve {
        /// Load the demo catalog first (idempotent).
        #[arg(long)]
        demo: bool,
        /// Listen address (overrides settings `listen` / PLATFORM_LISTEN).
        #[arg(long, value_name = "ADDR")]
        listen: Option<SocketAddr>,
    },
    /// Apply pending migrations and exit.
    Migrate,
    /// Print the GraphQL schema (SDL); `schema.graphql` at the root of the repository must equal it.
    Schema,
}

/// Runs a parsed command line.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    if let Command::Schema = cli.command {
        return write_stdout(&api::sdl());
    }
    let mut settings = Settings::load(cli.config.as_deref()).map_err(|e| anyhow::anyhow!("settings: {e}"))?;
    if let Some(url) = cli.database_url {
        settings.database_url = Some(url);
    }
    logging::init(&settings.log);
    match cli.command {
        Command::Serve { demo, listen } => {
            if let Some(listen) = listen {
                settings.listen = listen;
            }
            serve(settings, demo).await
        }
        Command::Migrate => {
            let conn = database::open(&settings).await?;
            let applied = database::migrate(&conn).await?;
            write_stdout(&format!("{applied} migration(s) applied\n"))
        }
        Command::Schema => Ok(()),
    }
}

async fn serve(settings: Settings, demo: bool) -> anyhow::Result<()> {
    let db = database::open_migrated(&settings).await?;
    if demo {
        let today = BusinessCalendar::from(&settings).today(&Clock::System);
        let summary = catalog::demo::load(&db, today).await.context("loading the demo catalog")?;
        tracing::info!(?summary, "demo catalog loaded");
    }
    let server = http::Server::bind(&settings, db).await?;
    let addr = server.local_addr()?;
    let graphiql = if settings.graphiql_enabled() {
        format!(" (GraphiQL: http://{addr}/graphql)")
    } else {
        String::new()
    };
    write_stdout(&format!("platform listening on http://{addr}{graphiql}\n"))?;
    server.run(http::shutdown_signal()).await
}

fn write_stdout(text: &str) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())?;
    out.flush()?;
    Ok(())
}

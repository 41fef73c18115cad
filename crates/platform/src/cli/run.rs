//! Carrying out a parsed command: each subcommand to the module that does it.

use super::{Cli, Command, ExportCommand, JobsCommand};
use crate::{auth, database, doctor, http, import, logging, schedule, sweep, webhooks};
use anyhow::Context;
use members::Role;
use platform_core::{BusinessCalendar, Clock, Settings};
use std::io::Write;

/// Runs a parsed command line.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    if let Command::Schema = cli.command {
        return write_stdout(&api::sdl());
    }
    if let Command::Doctor { json } = cli.command {
        let settings =
            Settings::load(cli.config.as_deref()).map_err(|e| format!("settings: {e}")).map(|mut s| {
                if let Some(url) = cli.database_url.clone() {
                    s.database_url = Some(url);
                }
                s
            });
        let checks = doctor::run(settings).await;
        let out = if json {
            format!("{}\n", serde_json::to_string_pretty(&checks)?)
        } else {
            doctor::text(&checks)
        };
        write_stdout(&out)?;
        if checks.iter().any(|c| c.level == doctor::Level::Fail) {
            anyhow::bail!(
                "doctor: {} check(s) failed",
                checks.iter().filter(|c| c.level == doctor::Level::Fail).count()
            );
        }
        return Ok(());
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
            let sealed = crate::tokens::prepare(&conn, &settings).await?;
            write_stdout(&format!("{applied} migration(s) applied, {sealed} payment token(s) sealed\n"))
        }
        Command::RotateTokenKey => {
            let conn = database::open_migrated(&settings).await?;
            let rotated = crate::tokens::rotate(&conn, &settings).await?;
            write_stdout(&format!(
                "{rotated} payment token(s) re-sealed with key {:?}\n",
                settings.payments.active_token_key.as_deref().unwrap_or(platform_core::tokens::DEV_KEY_ID)
            ))
        }
        Command::Jobs { command: JobsCommand::Run { name, as_of, force } } => {
            run_job(&settings, name, as_of, force).await
        }
        Command::Token { role, sub, ttl } => {
            let token = auth::mint(&settings, role, &sub, ttl)?;
            write_stdout(&format!("{token}\n"))
        }
        Command::Export { command: ExportCommand::Entitlements { changed_since, product } } => {
            let calendar = platform_core::BusinessCalendar::from(&settings);
            let changed_since = changed_since.map(|raw| since(&raw, calendar)).transpose()?;
            let db = database::open_migrated(&settings).await?;
            let filter = importer::export::ExportFilter { changed_since, product };
            let out = std::io::BufWriter::new(std::io::stdout().lock());
            let rows = importer::export::entitlements_erp(&db, &filter, out).await?;
            tracing::info!(rows, "entitlements exported");
            Ok(())
        }
        Command::Export { command: ExportCommand::MailingList { product, volume } } => {
            let db = database::open_migrated(&settings).await?;
            let out = std::io::BufWriter::new(std::io::stdout().lock());
            let rows = importer::export::mailing_list(&db, &product, volume, out).await?;
            tracing::info!(rows, "mailing list exported");
            Ok(())
        }
        Command::OpsLink { sub, base_url } => {
            let db = database::open_migrated(&settings).await?;
            let key = ops_console::issue_link(&db, &sub, Clock::System.now()).await?;
            let base = base_url.unwrap_or_else(|| format!("http://{}", settings.listen));
            write_stdout(&format!(
                "{}/ops/link/{key}\n(valid {} minutes, once)\n",
                base.trim_end_matches('/'),
                ops_console::LINK_MINUTES
            ))
        }
        Command::Import { kind, file, dry_run, rejects, batch, encoding, as_of } => {
            let request = import::ImportRequest { kind, file, dry_run, rejects, batch, encoding, as_of };
            write_stdout(&import::run(&settings, request).await?)
        }
        Command::Report { date, format } => report(&settings, date, &format).await,
        Command::Reconcile { date, settlement, format } => {
            write_stdout(&crate::reconcile::run(&settings, date, settlement.as_deref(), &format).await?)
        }
        Command::Anonymize => write_stdout(&import::anonymize(&settings).await?),
        Command::Environment { set } => write_stdout(&import::environment(&settings, set).await?),
        Command::Schema | Command::Doctor { .. } => Ok(()),
    }
}

async fn run_job(
    settings: &Settings,
    name: jobs::JobName,
    as_of: Option<chrono::NaiveDate>,
    force: bool,
) -> anyhow::Result<()> {
    let db = database::open_migrated(settings).await?;
    let ctx = jobs::JobContext::new(db, std::sync::Arc::new(settings.clone()))?;
    let requested_by = format!("cli:{}", std::env::var("USER").unwrap_or_else(|_| "unknown".to_owned()));
    let request = jobs::RunRequest { as_of, force, requested_by };
    let run = jobs::run(&ctx, name, request, Clock::System.now()).await?;
    let forced = match (&run.requested_by, run.forced) {
        (Some(who), true) => format!(", forced by {who}"),
        _ => String::new(),
    };
    let line = format!(
        "{} as of {}: {:?}, {} processed, {} failed (run {}{forced})\n",
        run.name, run.as_of, run.status, run.processed, run.failed, run.id
    );
    write_stdout(&line)?;
    match run.error {
        Some(error) => anyhow::bail!("{} failed: {error}", run.name),
        None => Ok(()),
    }
}

async fn report(settings: &Settings, date: Option<chrono::NaiveDate>, format: &str) -> anyhow::Result<()> {
    let db = database::open_migrated(settings).await?;
    let ctx = jobs::JobContext::new(db, std::sync::Arc::new(settings.clone()))?;
    let now = Clock::System.now();
    let today = ctx.calendar.date_of(now);
    let date = date.unwrap_or(today);
    ops::report::check_date(date, today).map_err(|message| anyhow::anyhow!("--{message}"))?;
    let report = jobs::report(&ctx, date, now).await?;
    let out = match format {
        "json" => format!("{}\n", serde_json::to_string_pretty(&report)?),
        "csv" => ops::render::csv(&report)?,
        _ => ops::render::text(&report),
    };
    write_stdout(&out)
}

async fn serve(settings: Settings, demo: bool) -> anyhow::Result<()> {
    let (authenticator, key_source) = auth::authenticator(&settings)?;
    let db = database::open_migrated(&settings).await?;
    if demo {
        let today = BusinessCalendar::from(&settings).today(&Clock::System);
        let summary = catalog::demo::load(&db, today).await.context("loading the demo catalog")?;
        tracing::info!(?summary, "demo catalog loaded");
    }
    let admin_token = match &key_source {
        auth::KeySource::Generated(file) => {
            let token =
                authenticator.mint(Role::Admin, "operator", auth::PRINTED_TOKEN_TTL, Clock::System.now())?;
            Some(format!(
                "admin token (valid 24 h; signed with the secret in {}; mint more with `platform token`):\n  {token}\n",
                file.display()
            ))
        }
        auth::KeySource::Configured => None,
    };
    tokio::spawn(sweep::run_in_server(db.clone(), settings.clone()));
    tokio::spawn(crate::watch::run_in_server(db.clone(), settings.clone()));
    // One set of services for the API, the scheduler, the webhook loop and `runJob`.
    let services = jobs::JobContext::new(db, std::sync::Arc::new(settings.clone()))?;
    tokio::spawn(webhooks::run_in_server(services.clone()));
    schedule::start(&services);
    let server = http::Server::bind(&settings, &services, authenticator).await?;
    let addr = server.local_addr()?;
    let graphiql = if settings.graphiql_enabled() {
        format!(" (GraphiQL: http://{addr}/graphql)")
    } else {
        String::new()
    };
    write_stdout(&format!("platform listening on http://{addr}{graphiql}\n"))?;
    if let Some(admin_token) = admin_token {
        write_stdout(&admin_token)?;
    }
    server.run(http::shutdown_signal()).await
}

/// `--changed-since`: an RFC 3339 instant, or a business date read as its start.
fn since(
    raw: &str,
    calendar: platform_core::BusinessCalendar,
) -> anyhow::Result<chrono::DateTime<chrono::Utc>> {
    if let Ok(at) = chrono::DateTime::parse_from_rfc3339(raw) {
        return Ok(at.with_timezone(&chrono::Utc));
    }
    let date = chrono::NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .map_err(|_| anyhow::anyhow!("--changed-since: {raw:?} is neither RFC 3339 nor YYYY-MM-DD"))?;
    Ok(calendar.start_of(date))
}

fn write_stdout(text: &str) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())?;
    out.flush()?;
    Ok(())
}

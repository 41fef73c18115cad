//! The command line: `platform serve | migrate | schema | jobs | token | import | anonymize | environment`.

use crate::{auth, database, doctor, http, import, logging, schedule, sweep, webhooks};
use anyhow::Context;
use clap::{Parser, Subcommand};
use members::Role;
use platform_core::{BusinessCalendar, Clock, Settings};
use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

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
    /// Apply migrations and serve GraphQL (GraphiQL at GET /graphql), the console at /ops and /healthz.
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
    /// Batch jobs.
    Jobs {
        /// What to do.
        #[command(subcommand)]
        command: JobsCommand,
    },
    /// Mint an access token with the configured key and print it.
    Token {
        /// admin, service or member.
        #[arg(long, value_parser = parse_role)]
        role: Role,
        /// Subject: the member account for `member`, the operator or service name otherwise.
        #[arg(long)]
        sub: String,
        /// How long the token is valid, e.g. 30m, 12h, 7d.
        #[arg(long, default_value = "1h", value_parser = humantime::parse_duration)]
        ttl: Duration,
    },
    /// Export for the ERP (R21), as CSV on standard output.
    Export {
        /// What to export.
        #[command(subcommand)]
        command: ExportCommand,
    },
    /// Print a one-time login link to the operators' console (/ops), valid 10 minutes, used once.
    OpsLink {
        /// The admin it logs in (shown in the console and its audit trail).
        #[arg(long)]
        sub: String,
        /// The console's address as the operator's browser reaches it. Default: http://<listen>.
        #[arg(long)]
        base_url: Option<String>,
    },
    /// Import a legacy export (R14): items, promotions, issues, customers, member-profiles,
    /// member-customers, temporary-entitlements, digital-entitlements, app-entitlements, entitlements-erp, orders, shipments, renewals-erp or subscription-changes (R20). Safe to re-run; exits non-zero when rows were rejected.
    Import {
        /// The kind of export.
        #[arg(value_parser = parse_kind)]
        kind: importer::Kind,
        /// The CSV file (header on line 1).
        file: PathBuf,
        /// Validate and count only; nothing is written.
        #[arg(long)]
        dry_run: bool,
        /// Where rejected rows go (line, reason, original fields). Default: <FILE>.rejects.csv.
        #[arg(long, value_name = "FILE")]
        rejects: Option<PathBuf>,
        /// Rows per transaction.
        #[arg(long, default_value_t = importer::DEFAULT_BATCH, value_name = "N")]
        batch: usize,
        /// utf-8 or big5 (CP950).
        #[arg(long, default_value = "utf-8", value_parser = parse_encoding)]
        encoding: importer::Encoding,
        /// Cut-over business day statuses are backfilled against (YYYY-MM-DD). Default: today.
        #[arg(long, value_name = "DATE")]
        as_of: Option<chrono::NaiveDate>,
    },
    /// Print the R16 report of a business date: each daily count beside the average of the four previous
    /// same weekdays, charges, the 14-day forecast, follow-ups, backlogs, jobs and alerts.
    Report {
        /// The business date (YYYY-MM-DD). Default: today so far.
        #[arg(long, value_name = "DATE")]
        date: Option<chrono::NaiveDate>,
        /// text, json or csv.
        #[arg(long, default_value = "text", value_parser = ["text", "json", "csv"])]
        format: String,
    },
    /// Match a business day's gateway settlement with our captured payments (R23): a transaction with no
    /// payment (PAYMENT_WITHOUT_ORDER), a payment not settled (PAYMENT_NOT_SETTLED) and an amount that
    /// differs (PAYMENT_AMOUNT_MISMATCH) each open a follow-up once; the day's report is kept and printed.
    Reconcile {
        /// The business day the settlement covers (YYYY-MM-DD). Default: yesterday.
        #[arg(long, value_name = "DATE")]
        date: Option<chrono::NaiveDate>,
        /// The gateway's settlement CSV: `transaction_id,amount` (or ECPay's `MerchantTradeNo,TradeNo,
        /// TradeAmt`), header on line 1. Without it the gateway is asked (the simulated one can be).
        #[arg(long, value_name = "FILE")]
        settlement: Option<PathBuf>,
        /// text or json.
        #[arg(long, default_value = "text", value_parser = ["text", "json"])]
        format: String,
    },
    /// Preflight (R22): settings, secrets, database and migrations, data directory, SMTP, Slack and webhook
    /// endpoints, the gateway, the job schedule. Exits 1 on any FAIL.
    Doctor {
        /// Print the checks as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Mask every person's data in this (non-production) copy (R15) and mark it development.
    Anonymize,
    /// Re-seal every stored payment token with `payments.active_token_key` (R23), in batches; the old keys
    /// can be removed from the settings afterwards.
    RotateTokenKey,
    /// Show the environment this database is marked with, or mark it.
    Environment {
        /// production, staging or development.
        #[arg(long, value_name = "NAME")]
        set: Option<String>,
    },
}

fn parse_kind(raw: &str) -> Result<importer::Kind, String> {
    importer::Kind::parse(raw).ok_or_else(|| {
        let known: Vec<&str> = importer::Kind::ALL.iter().map(|k| k.as_str()).collect();
        format!("{raw:?} is not an import kind: use one of {}", known.join(", "))
    })
}

fn parse_encoding(raw: &str) -> Result<importer::Encoding, String> {
    importer::Encoding::parse(raw).ok_or_else(|| format!("{raw:?} is not an encoding: use utf-8 or big5"))
}

/// `platform export …`.
#[derive(Debug, Subcommand)]
pub enum ExportCommand {
    /// The VOLUME entitlements (and the 全閱讀 pass) in the ERP 雜誌權益檔 columns, one row per customer: what
    /// `platform import entitlements-erp` reads back.
    Entitlements {
        /// Only customers with an entitlement changed since then (RFC 3339, or a business date YYYY-MM-DD
        /// read as its start).
        #[arg(long, value_name = "TIME")]
        changed_since: Option<String>,
        /// Only this product (GCV, GHV, … KCW).
        #[arg(long)]
        product: Option<String>,
    },
    /// Every receiver covered for issue VOLUME of a magazine (寄送名單), from the grant ledger, suspended
    /// issues left out: customer number, name, phones, address, by customer number.
    MailingList {
        /// The magazine (a VOLUME product: GCV, GHV …).
        #[arg(long)]
        product: String,
        /// The issue number.
        #[arg(long)]
        volume: i32,
    },
}

/// `platform jobs …`.
#[derive(Debug, Subcommand)]
pub enum JobsCommand {
    /// Run one job now and print what it did.
    Run {
        /// create-renewals (R7), send-notices (R8), charge-renewals / retry-renewals (R9),
        /// expire-entitlements (R10), grant-entitlements (the R3 sweep), dispatch-webhooks,
        /// dispatch-emails (R12); the SPEC's upper-case names work too.
        #[arg(value_parser = parse_job)]
        name: jobs::JobName,
        /// Business date to run as (YYYY-MM-DD). Default: today in the business time zone.
        #[arg(long, value_name = "DATE")]
        as_of: Option<chrono::NaiveDate>,
        /// In production, run even though DATE is more than `jobs.max_days_ahead` days after today (the
        /// run records `cli:$USER` as who forced it).
        #[arg(long)]
        force: bool,
    },
}

fn parse_job(raw: &str) -> Result<jobs::JobName, String> {
    jobs::JobName::parse(raw).ok_or_else(|| {
        let known: Vec<String> =
            jobs::JobName::ALL.iter().map(|j| j.as_str().to_lowercase().replace('_', "-")).collect();
        format!("{raw:?} is not a job: use one of {}", known.join(", "))
    })
}

fn parse_role(raw: &str) -> Result<Role, String> {
    Role::parse(raw).ok_or_else(|| format!("{raw:?} is not a role: use admin, service or member"))
}

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

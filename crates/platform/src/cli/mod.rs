//! The command line: `platform serve | migrate | schema | jobs | token | import | anonymize | environment`.
//! This file declares the commands and parses their values; `run` carries them out.

mod run;

pub use run::run;

use clap::{Parser, Subcommand};
use members::Role;
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

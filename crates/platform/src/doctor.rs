//! `platform doctor` (R22, seed 003's launch checklist): one line per check, OK / WARN / FAIL with what
//! to do; `--json` for machines; the command exits 1 on any FAIL.

use migration::{Migrator, MigratorTrait};
use platform_core::Settings;
use platform_core::db::mask_url;
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use serde::Serialize;
use std::time::Duration;

/// How long a network check waits.
const NETWORK_TIMEOUT: Duration = Duration::from_secs(3);

/// A check's outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Level {
    /// Fine.
    Ok,
    /// Works, but look at it.
    Warn,
    /// Will not work: fix it before going live.
    Fail,
}

/// One line of the checklist.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    /// What was checked.
    pub name: &'static str,
    /// How it went.
    pub level: Level,
    /// What was found, and what to do.
    pub detail: String,
}

fn check(name: &'static str, level: Level, detail: impl Into<String>) -> Check {
    Check { name, level, detail: detail.into() }
}

/// Runs every check against `settings` (or the error loading them).
pub async fn run(settings: Result<Settings, String>) -> Vec<Check> {
    let settings = match settings {
        Ok(settings) => settings,
        Err(err) => {
            return vec![check("settings", Level::Fail, format!("{err}; fix the file or variable it names"))];
        }
    };
    let mut checks = vec![check("settings", Level::Ok, "parsed; no unknown key")];
    checks.push(secrets(&settings));
    checks.push(data_dir(&settings));
    let db = match crate::database::open(&settings).await {
        Ok(db) => {
            checks.push(check(
                "database",
                Level::Ok,
                format!("{} answers", mask_url(&settings.effective_database_url())),
            ));
            Some(db)
        }
        Err(err) => {
            checks.push(check("database", Level::Fail, format!("{err:#}; start it or fix database_url")));
            None
        }
    };
    if let Some(db) = &db {
        checks.push(migrations(db).await);
        checks.push(time_zone(db, &settings).await);
        checks.push(demo_data(db, &settings).await);
        checks.extend(endpoints(db, &settings).await);
    }
    checks.push(smtp(&settings).await);
    checks.push(gateway(&settings));
    checks.push(token_keys(&settings));
    checks.push(schedule(&settings));
    checks
}

/// The configured gateway builds (R23); production on ECPay's stage environment is a warning.
fn gateway(settings: &Settings) -> Check {
    let gateway = &settings.gateway;
    match gateway.kind.as_str() {
        "simulated" if settings.production => check(
            "gateway",
            Level::Warn,
            "simulated gateway in production: nothing is charged for real; set gateway.kind = \"ecpay\"",
        ),
        "simulated" => check("gateway", Level::Ok, "simulated gateway (SPEC §5)"),
        "ecpay" => match payments::ecpay::EcpayGateway::new(&gateway.ecpay, Duration::from_secs(1)) {
            Err(err) => check("gateway", Level::Fail, err),
            Ok(_) if settings.production && gateway.ecpay.ecpg_url.contains("-stage.") => check(
                "gateway",
                Level::Warn,
                "ECPay's stage environment in production: set gateway.ecpay.ecpg_url and payment_url",
            ),
            Ok(_) => check(
                "gateway",
                Level::Ok,
                format!("ECPay merchant {} at {}", gateway.ecpay.merchant_id, gateway.ecpay.ecpg_url),
            ),
        },
        other => check("gateway", Level::Fail, format!("gateway.kind {other:?} is not simulated or ecpay")),
    }
}

/// The keys sealing payment tokens at rest (R23) are usable, and production has its own.
fn token_keys(settings: &Settings) -> Check {
    match settings.payments.token_keys(settings.production) {
        Ok(keys) if keys.active() == platform_core::tokens::DEV_KEY_ID => {
            check("token_keys", Level::Ok, "the built-in development key (refused in production)")
        }
        Ok(keys) => {
            check("token_keys", Level::Ok, format!("payment tokens sealed with key {:?}", keys.active()))
        }
        Err(err) => {
            check("token_keys", Level::Fail, format!("{err}; generate one with `openssl rand -base64 32`"))
        }
    }
}

fn secrets(settings: &Settings) -> Check {
    let Some(secret) = settings.auth.secret.as_ref().map(|s| s.expose().to_owned()) else {
        return if settings.production && settings.auth.public_key_file.is_none() {
            check(
                "secrets",
                Level::Fail,
                "production without auth.secret or auth.public_key_file: set one (the generated secret is for development)",
            )
        } else {
            check("secrets", Level::Ok, "auth: a key file, or a secret generated into the data directory")
        };
    };
    let distinct = secret.chars().collect::<std::collections::HashSet<_>>().len();
    let lower = secret.to_ascii_lowercase();
    let weak = secret.len() < 32
        || distinct < 12
        || ["secret", "password", "changeme", "test", "example"].iter().any(|w| lower.contains(w));
    match (weak, settings.production) {
        (true, true) => check(
            "secrets",
            Level::Fail,
            "auth.secret is weak (under 32 bytes, few distinct characters, or a word like \"secret\"): use `openssl rand -base64 48`",
        ),
        (true, false) => check(
            "secrets",
            Level::Warn,
            "auth.secret is weak; fine outside production, replace it before going live",
        ),
        (false, _) => check("secrets", Level::Ok, "auth.secret is long and varied"),
    }
}

fn data_dir(settings: &Settings) -> Check {
    let probe = settings.data_dir.join(format!(".doctor-{}", std::process::id()));
    let written = std::fs::create_dir_all(&settings.data_dir).and_then(|()| std::fs::write(&probe, b"ok"));
    let _ = std::fs::remove_file(&probe);
    match written {
        Ok(()) => check("data_dir", Level::Ok, format!("{} is writable", settings.data_dir.display())),
        Err(err) => check(
            "data_dir",
            Level::Fail,
            format!(
                "{} is not writable ({err}): create it and give this user write access",
                settings.data_dir.display()
            ),
        ),
    }
}

async fn migrations(db: &DatabaseConnection) -> Check {
    match Migrator::get_pending_migrations(db).await {
        Ok(pending) if pending.is_empty() => check("migrations", Level::Ok, "current"),
        Ok(pending) => check(
            "migrations",
            Level::Fail,
            format!("{} pending: run `platform migrate` (serve applies them too)", pending.len()),
        ),
        Err(err) => {
            check("migrations", Level::Fail, format!("cannot read them ({err}): run `platform migrate`"))
        }
    }
}

async fn time_zone(db: &DatabaseConnection, settings: &Settings) -> Check {
    let zone = settings.time_zone;
    let server = match db.get_database_backend() {
        sea_orm::DbBackend::Postgres => db
            .query_one_raw(Statement::from_string(db.get_database_backend(), "SHOW TimeZone"))
            .await
            .ok()
            .flatten()
            .and_then(|row| row.try_get_by_index::<String>(0).ok()),
        _ => None,
    };
    let detail = match server {
        Some(server) => format!(
            "business dates in {zone}; timestamps are stored in UTC (the server's TimeZone is {server})"
        ),
        None => format!("business dates in {zone}; timestamps are stored in UTC"),
    };
    check("time_zone", Level::Ok, detail)
}

async fn demo_data(db: &DatabaseConnection, settings: &Settings) -> Check {
    let codes: Vec<String> =
        catalog::demo::promotions().into_iter().map(|p| p.promotion.promotion_code).collect();
    let catalog = catalog::Catalog::new(db.clone(), Duration::ZERO);
    let mut found = 0;
    for code in &codes {
        if matches!(catalog.promotion(code).await, Ok(Some(_))) {
            found += 1;
        }
    }
    match (found, settings.production) {
        (0, _) => check("demo_data", Level::Ok, "no demo catalog"),
        (n, true) => check(
            "demo_data",
            Level::Fail,
            format!("{n} demo promotions in a production database: it was started with --demo; retire them"),
        ),
        (n, false) => check("demo_data", Level::Ok, format!("{n} demo promotions (not production)")),
    }
}

async fn smtp(settings: &Settings) -> Check {
    let Some(url) = &settings.email.smtp_url else {
        return check("smtp", Level::Warn, "email.smtp_url is not set: e-mails stay QUEUED");
    };
    match notify::email::test_smtp(url.expose(), NETWORK_TIMEOUT).await {
        Ok(()) => check("smtp", Level::Ok, "the mail server answers EHLO"),
        Err(err) => check(
            "smtp",
            Level::Fail,
            format!("the mail server does not answer ({err}): check email.smtp_url and the network"),
        ),
    }
}

/// Whether `url`'s host resolves and accepts a TCP connection.
async fn reachable(url: &str) -> Result<(), String> {
    let url = url::Url::parse(url).map_err(|e| format!("not a URL: {e}"))?;
    let host = url.host_str().ok_or("no host")?.to_owned();
    let port = url.port_or_known_default().ok_or("no port")?;
    let connect = tokio::net::TcpStream::connect((host.as_str(), port));
    match tokio::time::timeout(NETWORK_TIMEOUT, connect).await {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(err)) => Err(format!("{host}:{port}: {err}")),
        Err(_) => Err(format!("{host}:{port}: no answer within {} s", NETWORK_TIMEOUT.as_secs())),
    }
}

async fn endpoints(db: &DatabaseConnection, settings: &Settings) -> Vec<Check> {
    let mut checks = Vec::new();
    if let Some(url) = &settings.slack.webhook_url {
        checks.push(match reachable(url.expose()).await {
            Ok(()) => check("slack", Level::Ok, "the incoming webhook's host accepts a connection"),
            Err(err) => check(
                "slack",
                Level::Fail,
                format!(
                    "Slack cannot be reached ({}): check slack.webhook_url and the egress",
                    err.replace(url.expose(), "<slack.webhook_url>")
                ),
            ),
        });
    }
    match notify::endpoints::endpoints(db).await {
        Ok(all) => {
            for endpoint in all.iter().filter(|e| e.active && e.url.starts_with("http")) {
                checks.push(match reachable(&endpoint.url).await {
                    Ok(()) => {
                        check("webhook", Level::Ok, format!("endpoint {} accepts a connection", endpoint.id))
                    }
                    Err(err) => check(
                        "webhook",
                        Level::Warn,
                        format!(
                            "endpoint {} cannot be reached ({err}): its deliveries wait and retry",
                            endpoint.id
                        ),
                    ),
                });
            }
        }
        Err(err) => checks.push(check("webhook", Level::Fail, format!("cannot list endpoints: {err}"))),
    }
    checks
}

fn schedule(settings: &Settings) -> Check {
    let mut parts: Vec<String> = jobs::interval_jobs(&settings.jobs)
        .iter()
        .map(|(name, s)| {
            let name = name.as_str();
            if s.enabled { format!("{name} every {} s", s.every_secs) } else { format!("{name} off") }
        })
        .collect();
    let o = &settings.ops;
    parts.push(if o.daily_report_at.is_empty() {
        "DAILY_REPORT off".into()
    } else {
        format!("DAILY_REPORT at {}", o.daily_report_at)
    });
    parts.push(format!("ALERT_CHECK every {} s", o.alert_check_every_secs));
    parts.push(format!("FAILED_CHARGES_LIST on days {:?} at {}", o.failed_charges_days, o.failed_charges_at));
    check("schedule", Level::Ok, format!("{} ({})", parts.join("; "), settings.time_zone))
}

/// The checks as text lines.
pub fn text(checks: &[Check]) -> String {
    checks
        .iter()
        .map(|c| {
            let level = match c.level {
                Level::Ok => "OK  ",
                Level::Warn => "WARN",
                Level::Fail => "FAIL",
            };
            format!("{level} {:<11} {}\n", c.name, c.detail)
        })
        .collect()
}

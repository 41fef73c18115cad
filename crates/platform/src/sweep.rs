//! Entitlement jobs: the grant sweep (R3 for paid orders a payment-time grant missed) and the R10 expiry.
//! Run by `platform jobs run …` and, every `entitlements.sweep_interval_secs`, inside the server. Both are
//! idempotent and safe on several instances at once (grants are unique per order line; expiry only moves
//! rows still in the old status).

use chrono::{DateTime, Days, NaiveDate, Utc};
use entitlements::GrantSummary;
use entitlements::expire::ExpirySummary;
use platform_core::{BusinessCalendar, Settings};
use sea_orm::DatabaseConnection;
use std::time::Duration;

/// How far back the sweep looks for paid orders.
const SWEEP_WINDOW_DAYS: u64 = 7;

/// Grants the paid orders of the last seven days that still have lines to grant.
pub async fn grant_sweep(
    db: &DatabaseConnection,
    calendar: BusinessCalendar,
    now: DateTime<Utc>,
) -> anyhow::Result<GrantSummary> {
    let since = now.checked_sub_days(Days::new(SWEEP_WINDOW_DAYS)).unwrap_or(now);
    Ok(entitlements::grant::grant_paid_since(db, calendar, since, now).await?)
}

/// R10 as of business date `as_of`.
pub async fn expire(
    db: &DatabaseConnection,
    settings: &Settings,
    as_of: NaiveDate,
    now: DateTime<Utc>,
) -> anyhow::Result<ExpirySummary> {
    Ok(entitlements::expire::expire(db, as_of, settings.entitlements.period_grace_days, now).await?)
}

/// Runs the sweep every `entitlements.sweep_interval_secs`, and the expiry once per business day, until the
/// process ends. Failures are logged and retried at the next tick.
pub async fn run_in_server(db: DatabaseConnection, settings: Settings) {
    let interval = settings.entitlements.sweep_interval_secs;
    if interval == 0 {
        return;
    }
    let calendar = BusinessCalendar::from(&settings);
    let mut ticker = tokio::time::interval(Duration::from_secs(interval));
    let mut expired_for: Option<NaiveDate> = None;
    loop {
        ticker.tick().await;
        let now = Utc::now();
        match grant_sweep(&db, calendar, now).await {
            Ok(summary) if summary.granted + summary.failed > 0 => {
                tracing::info!(?summary, "entitlement sweep")
            }
            Ok(_) => {}
            Err(err) => tracing::error!(error = %format!("{err:#}"), "entitlement sweep failed"),
        }
        let today = calendar.date_of(now);
        if expired_for != Some(today) {
            match expire(&db, &settings, today, now).await {
                Ok(summary) => {
                    tracing::info!(?summary, %today, "entitlement expiry");
                    expired_for = Some(today);
                }
                Err(err) => tracing::error!(error = %format!("{err:#}"), "entitlement expiry failed"),
            }
        }
    }
}

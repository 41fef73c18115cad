//! The entitlement loop inside the server: every `entitlements.sweep_interval_secs` the grant sweep (R3 for
//! paid orders a payment-time grant missed; not recorded, it runs every minute), and once per business day
//! the R10 expiry as a recorded job run. Both are idempotent and safe on several instances at once (grants
//! are unique per order line; expiry only moves rows still in the old status).

use chrono::{NaiveDate, Utc};
use platform_core::{BusinessCalendar, Settings};
use sea_orm::DatabaseConnection;
use std::time::Duration;

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
        match jobs::grant_sweep(&db, calendar, now).await {
            Ok(summary) if summary.granted + summary.failed > 0 => {
                tracing::info!(?summary, "entitlement sweep")
            }
            Ok(_) => {}
            Err(err) => tracing::error!(error = %format!("{err:#}"), "entitlement sweep failed"),
        }
        let today = calendar.date_of(now);
        if expired_for != Some(today) {
            match jobs::run(&db, &settings, jobs::JobName::ExpireEntitlements, Some(today), now).await {
                Ok(run) if run.error.is_none() => {
                    tracing::info!(processed = run.processed, %today, "entitlement expiry");
                    expired_for = Some(today);
                }
                Ok(_) => {}
                Err(err) => tracing::error!(error = %format!("{err:#}"), "entitlement expiry failed"),
            }
        }
    }
}

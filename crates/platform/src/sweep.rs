//! The entitlement sweep inside the server: every `entitlements.sweep_interval_secs` it grants paid orders
//! of the last seven days that a payment-time grant missed (R3). Not recorded as a job run (it runs every
//! minute); idempotent and safe on several instances at once (grants are unique per order line).

use platform_core::{BusinessCalendar, Settings};
use sea_orm::DatabaseConnection;
use std::time::Duration;

/// Runs the sweep until the process ends. Failures are logged and retried at the next tick.
pub async fn run_in_server(db: DatabaseConnection, settings: Settings) {
    let interval = settings.entitlements.sweep_interval_secs;
    if interval == 0 {
        return;
    }
    let calendar = BusinessCalendar::from(&settings);
    let mut ticker = tokio::time::interval(Duration::from_secs(interval));
    let mut ticks = crate::webhooks::Ticks::new(jobs::JobName::GrantEntitlements);
    loop {
        ticker.tick().await;
        let outcome = jobs::grant_sweep(&db, calendar, chrono::Utc::now()).await;
        match &outcome {
            Ok(summary) if summary.granted + summary.failed > 0 => {
                tracing::info!(?summary, "entitlement sweep")
            }
            Ok(_) => {}
            Err(err) => tracing::error!(error = %format!("{err:#}"), "entitlement sweep failed"),
        }
        ticks.record(&db, outcome.as_ref().err().map(|e| format!("{e:#}"))).await;
    }
}

//! The webhook dispatcher inside the server: a round every `webhooks.dispatch_interval_ms`, at once again
//! while rounds find work. Several instances may run it together (see `notify::dispatch`).

use notify::{DispatchSettings, Dispatcher};
use platform_core::Settings;
use sea_orm::DatabaseConnection;
use std::time::Duration;

/// Runs the dispatcher until the process ends; failures are logged and retried next round.
pub async fn run_in_server(db: DatabaseConnection, settings: Settings) {
    let interval = settings.webhooks.dispatch_interval_ms;
    if interval == 0 {
        return;
    }
    let dispatcher = match Dispatcher::new(db, DispatchSettings::from(&settings)) {
        Ok(dispatcher) => dispatcher,
        Err(err) => {
            tracing::error!(error = %format!("{err:#}"), "webhook dispatcher cannot start");
            return;
        }
    };
    loop {
        match dispatcher.run_once(chrono::Utc::now()).await {
            Ok(summary) if summary.attempted > 0 => {
                tracing::debug!(?summary, "webhook round");
                continue;
            }
            Ok(_) => {}
            Err(err) => tracing::error!(error = %format!("{err:#}"), "webhook round failed"),
        }
        tokio::time::sleep(Duration::from_millis(interval)).await;
    }
}

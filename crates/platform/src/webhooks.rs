//! The webhook dispatcher inside the server: a round every `webhooks.dispatch_interval_ms`, at once again
//! while rounds find work. Several instances may run it together (see `notify::dispatch`).

use sea_orm::DatabaseConnection;
use std::time::Duration;

/// Runs the process's dispatcher (the job context's: `DISPATCH_WEBHOOKS` runs share its breakers) until the
/// process ends; failures are logged and retried next round.
pub async fn run_in_server(ctx: jobs::JobContext) {
    let (db, settings, dispatcher) = (ctx.db.clone(), ctx.settings.clone(), ctx.dispatcher.clone());
    let interval = settings.webhooks.dispatch_interval_ms;
    if interval == 0 {
        return;
    }
    if let Err(err) =
        notify::slack::sync_endpoint(&db, settings.slack.webhook_url.is_some(), chrono::Utc::now()).await
    {
        tracing::error!(error = %err, "the Slack endpoint could not be put in step with the settings");
    }
    let mut ticks = Ticks::new(jobs::JobName::DispatchWebhooks);
    loop {
        let round = dispatcher.run_once(chrono::Utc::now()).await;
        ticks.record(&db, round.as_ref().err().map(|e| format!("{e:#}"))).await;
        match round {
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

/// The ticks of an in-server loop (R16's job health), written at most once a minute unless it fails.
pub(crate) struct Ticks {
    name: jobs::JobName,
    last: Option<std::time::Instant>,
}

impl Ticks {
    pub(crate) fn new(name: jobs::JobName) -> Self {
        Ticks { name, last: None }
    }

    /// Records this round: always when it failed, else when a minute has passed since the last record.
    pub(crate) async fn record(&mut self, db: &DatabaseConnection, error: Option<String>) {
        let due = self.last.is_none_or(|t| t.elapsed() >= Duration::from_secs(60));
        if error.is_none() && !due {
            return;
        }
        match jobs::health::record_tick(db, self.name, error.as_deref(), chrono::Utc::now()).await {
            Ok(()) => self.last = Some(std::time::Instant::now()),
            Err(err) => tracing::warn!(job = self.name.as_str(), error = %err, "recording the tick failed"),
        }
    }
}

//! R16's "database unreachable → URGENT": the one alert that cannot go through the database. Each server
//! pings its database every minute; when it stops answering, the alert is posted straight to Slack (once per
//! episode, with `<!here>`) and logged, and a resolved notice follows when it answers again — at which point
//! the episode is also recorded like any other (a `DATABASE` alert, raised and resolved, with its follow-up).

use chrono::{DateTime, Utc};
use platform_core::Settings;
use sea_orm::DatabaseConnection;
use std::time::Duration;

/// What one ping changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// It stopped answering.
    Down,
    /// It answers again after being down since then.
    Back(DateTime<Utc>),
}

/// The episode state of one server's database.
#[derive(Debug, Default)]
pub struct Watch {
    down_since: Option<DateTime<Utc>>,
}

impl Watch {
    /// Notes a ping's outcome at `now`: what changed, if anything (once per episode each way).
    pub fn observe(&mut self, answers: bool, now: DateTime<Utc>) -> Option<Change> {
        match (answers, self.down_since) {
            (false, None) => {
                self.down_since = Some(now);
                Some(Change::Down)
            }
            (true, Some(since)) => {
                self.down_since = None;
                Some(Change::Back(since))
            }
            _ => None,
        }
    }

    /// Pings `db` and posts / records what changed.
    pub async fn check(
        &mut self,
        db: &DatabaseConnection,
        settings: &Settings,
        now: DateTime<Utc>,
    ) -> Option<Change> {
        let change = self.observe(platform_core::db::ping(db).await, now)?;
        let (event, priority, title, lines) = match change {
            Change::Down => {
                tracing::error!("the database does not answer: URGENT");
                (
                    "ops.alert_raised",
                    "URGENT",
                    "The database does not answer".to_owned(),
                    vec!["every job and most requests fail until it is back; see GET /healthz".to_owned()],
                )
            }
            Change::Back(since) => {
                tracing::warn!(%since, "the database answers again");
                let alert = ops::Alert {
                    rule: "DATABASE".to_owned(),
                    priority: followups::Priority::Urgent,
                    title: format!("The database did not answer from {since}"),
                    lines: vec![],
                };
                let evaluated = vec!["DATABASE".to_owned()];
                // Recorded now that it can be: raised as of when it went down, then resolved.
                if let Err(err) =
                    ops::alerts::apply(db, &evaluated, std::slice::from_ref(&alert), since).await
                {
                    tracing::warn!(error = %format!("{err:#}"), "recording the database episode");
                }
                if let Err(err) = ops::alerts::apply(db, &evaluated, &[], now).await {
                    tracing::warn!(error = %format!("{err:#}"), "resolving the database episode");
                }
                (
                    "ops.alert_resolved",
                    "LOW",
                    format!("The database answers again (down since {since})"),
                    vec![],
                )
            }
        };
        if let (Some(url), Some(message)) =
            (&settings.slack.webhook_url, notify::slack::alert_message(event, priority, &title, &lines, now))
        {
            // Going down cannot use the outbox; the resolved notice of the record above goes through it.
            if matches!(change, Change::Down) {
                let policy = notify::OutboundPolicy {
                    allow_private_networks: settings.webhooks.allow_private_networks,
                };
                if let Err(err) = notify::slack::post_now(url.expose(), policy, &message).await {
                    tracing::error!(error = %err, "posting the database alert to Slack");
                }
            }
        }
        Some(change)
    }
}

/// Pings every minute until the process ends.
pub async fn run_in_server(db: DatabaseConnection, settings: Settings) {
    let mut watch = Watch::default();
    let mut ticker = tokio::time::interval(Duration::from_secs(60));
    loop {
        ticker.tick().await;
        watch.check(&db, &settings, Utc::now()).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn r16_database_unreachable_is_one_episode_each_way() {
        let mut watch = Watch::default();
        let t = |m| DateTime::<Utc>::UNIX_EPOCH + chrono::Duration::minutes(m);
        assert_eq!(watch.observe(true, t(0)), None);
        assert_eq!(watch.observe(false, t(1)), Some(Change::Down));
        assert_eq!(watch.observe(false, t(2)), None, "no repeat while it lasts");
        assert_eq!(watch.observe(true, t(3)), Some(Change::Back(t(1))));
        assert_eq!(watch.observe(true, t(4)), None);
    }
}

//! Sending the outbox over SMTP (lettre). Safe with several instances: a round claims its e-mails with a
//! lease (a conditional update, `FOR UPDATE SKIP LOCKED` on PostgreSQL) and holds no transaction while the
//! SMTP server answers. A temporary failure is retried on the schedule; a permanent refusal or the end of
//! the schedule marks the e-mail FAILED. Nothing is lost while the mail server is down.

use super::{EmailKind, EmailStatus, Templates, data_of};
use crate::NotifyError;
use crate::entity::email;
use chrono::{DateTime, Utc};
use lettre::message::{Mailbox, header::ContentType};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use platform_core::settings::EmailSettings;
use sea_orm::{ActiveValue::Set, DatabaseConnection, DbBackend, EntityTrait, FromQueryResult, Statement};
use std::sync::Arc;
use std::time::Duration;

/// How long a claim holds an e-mail before another instance may take it over.
const LEASE: Duration = Duration::from_secs(120);

/// The e-mail dispatcher.
#[derive(Clone)]
pub struct Mailer {
    db: DatabaseConnection,
    templates: Arc<Templates>,
    transport: Option<AsyncSmtpTransport<Tokio1Executor>>,
    from: Mailbox,
    batch: u64,
    schedule: Vec<Duration>,
}

/// What one round did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MailSummary {
    /// Accepted by the SMTP server.
    pub sent: u64,
    /// Failed this time (to be retried).
    pub retrying: u64,
    /// Failed for good.
    pub failed: u64,
}

impl Mailer {
    /// A mailer for `settings`; without `smtp_url` it sends nothing and e-mails stay QUEUED.
    pub fn new(
        db: DatabaseConnection,
        settings: &EmailSettings,
        templates: Arc<Templates>,
    ) -> Result<Mailer, NotifyError> {
        let from: Mailbox = settings
            .from
            .parse()
            .map_err(|e| NotifyError::Invalid { field: "email.from", message: format!("{e}") })?;
        let transport = match &settings.smtp_url {
            Some(url) => Some(
                AsyncSmtpTransport::<Tokio1Executor>::from_url(url.expose())
                    // The URL may hold a password: only say what kind of problem it is.
                    .map_err(|_| NotifyError::Invalid {
                        field: "email.smtp_url",
                        message: "is not a valid smtp:// or smtps:// URL".into(),
                    })?
                    .timeout(Some(Duration::from_secs(30)))
                    .build(),
            ),
            None => None,
        };
        let schedule = settings.retry_schedule_secs.iter().map(|s| Duration::from_secs(*s)).collect();
        Ok(Mailer { db, templates, transport, from, batch: settings.batch.max(1), schedule })
    }

    /// Whether SMTP is configured.
    pub fn is_configured(&self) -> bool {
        self.transport.is_some()
    }

    /// Sends the due e-mails of one round.
    pub async fn run_once(&self, now: DateTime<Utc>) -> Result<MailSummary, NotifyError> {
        let Some(transport) = &self.transport else { return Ok(MailSummary::default()) };
        let mut summary = MailSummary::default();
        for row in self.claim(now).await? {
            let result = self.send(transport, &row).await;
            let attempts = row.attempts + 1;
            let mut next =
                email::ActiveModel { id: Set(row.id), attempts: Set(attempts), ..Default::default() };
            match result {
                Ok(()) => {
                    next.status = Set(EmailStatus::Sent.as_str().to_owned());
                    next.sent_at = Set(Some(Utc::now()));
                    next.last_error = Set(None);
                    summary.sent += 1;
                }
                Err((permanent, message)) => {
                    tracing::warn!(email = row.id, error = %message, "e-mail not sent");
                    let wait = usize::try_from(row.attempts).ok().and_then(|i| self.schedule.get(i));
                    match wait.filter(|_| !permanent) {
                        Some(wait) => {
                            next.next_attempt_at = Set(now + *wait);
                            summary.retrying += 1;
                        }
                        None => {
                            next.status = Set(EmailStatus::Failed.as_str().to_owned());
                            summary.failed += 1;
                        }
                    }
                    next.last_error = Set(Some(message.chars().take(500).collect()));
                }
            }
            email::Entity::update(next).exec(&self.db).await?;
        }
        Ok(summary)
    }

    async fn send(
        &self,
        transport: &AsyncSmtpTransport<Tokio1Executor>,
        row: &email::Model,
    ) -> Result<(), (bool, String)> {
        let kind = EmailKind::parse(&row.kind).ok_or((true, format!("unknown kind {}", row.kind)))?;
        let rendered = self.templates.render(kind, &data_of(row)).map_err(|e| (true, e.to_string()))?;
        let to: Mailbox = row
            .to_address
            .as_deref()
            .unwrap_or_default()
            .parse()
            .map_err(|e| (true, format!("bad recipient address: {e}")))?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(rendered.subject)
            .message_id(Some(format!("<email-{}.{}@platform>", row.id, row.created_at.timestamp())))
            .header(ContentType::TEXT_PLAIN)
            .body(rendered.body)
            .map_err(|e| (true, format!("building the message: {e}")))?;
        transport.send(message).await.map(|_| ()).map_err(|e| (e.is_permanent(), e.to_string()))
    }

    async fn claim(&self, now: DateTime<Utc>) -> Result<Vec<email::Model>, NotifyError> {
        let backend = self.db.get_database_backend();
        let p = |n: usize| if backend == DbBackend::Postgres { format!("${n}") } else { format!("?{n}") };
        let skip_locked = if backend == DbBackend::Postgres { "FOR UPDATE SKIP LOCKED" } else { "" };
        let sql = format!(
            "UPDATE emails SET next_attempt_at = {lease}
             WHERE id IN (SELECT id FROM emails WHERE status = 'QUEUED' AND next_attempt_at <= {now}
                          ORDER BY id LIMIT {batch} {skip_locked})
               AND status = 'QUEUED' AND next_attempt_at <= {now}
             RETURNING *",
            lease = p(1),
            now = p(2),
            batch = self.batch,
        );
        let lease = now + LEASE;
        let statement = Statement::from_sql_and_values(backend, sql, [lease.into(), now.into()]);
        let mut rows = email::Model::find_by_statement(statement).all(&self.db).await?;
        rows.sort_by_key(|r| r.id);
        Ok(rows)
    }
}

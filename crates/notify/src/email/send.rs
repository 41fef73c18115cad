//! Sending the outbox over SMTP (lettre). Safe with several instances: each e-mail is claimed just before
//! it is sent, with a lease (a conditional update, `FOR UPDATE SKIP LOCKED` on PostgreSQL) that outlasts the
//! one send it covers, and its outcome is recorded only by the holder of that lease (the lease's instant is
//! the fencing token). A round of many slow sends therefore never lets another instance take over e-mails
//! it still means to send. No transaction is held while the SMTP server answers; the Message-ID is stable
//! (`<email-<id>.<created>@platform>`), so a resend after a crash is recognisable. A temporary failure is retried on the schedule; a permanent refusal or the end of
//! the schedule marks the e-mail FAILED. Nothing is lost while the mail server is down.

use super::{EmailKind, EmailStatus, Templates, data_of};
use crate::NotifyError;
use crate::entity::email;
use chrono::SubsecRound;
use chrono::{DateTime, Utc};
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart, header::ContentType};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use platform_core::db::begin_write;
use platform_core::settings::EmailSettings;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, FromQueryResult, QueryFilter};
use std::sync::Arc;
use std::time::Duration;

/// The e-mail dispatcher.
#[derive(Clone)]
pub struct Mailer {
    db: DatabaseConnection,
    templates: Arc<Templates>,
    transport: Option<AsyncSmtpTransport<Tokio1Executor>>,
    from: Mailbox,
    batch: u64,
    schedule: Vec<Duration>,
    lease: Duration,
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
        let lease = Duration::from_secs(settings.lease_secs.max(1));
        Ok(Mailer { db, templates, transport, from, batch: settings.batch.max(1), schedule, lease })
    }

    /// Whether SMTP is configured.
    pub fn is_configured(&self) -> bool {
        self.transport.is_some()
    }

    /// Sends the due e-mails of one round (at most `batch`), claiming each just before sending it.
    pub async fn run_once(&self, now: DateTime<Utc>) -> Result<MailSummary, NotifyError> {
        let Some(transport) = &self.transport else { return Ok(MailSummary::default()) };
        let mut summary = MailSummary::default();
        for _ in 0..self.batch {
            let Some((row, lease)) = self.claim_one(now).await? else { break };
            let result = self.send(transport, &row).await;
            let mut gave_up = None;
            let attempts = row.attempts + 1;
            let mut next = email::Entity::update_many()
                .col_expr(email::Column::Attempts, Expr::value(attempts))
                .filter(email::Column::Id.eq(row.id))
                .filter(email::Column::Status.eq(EmailStatus::Queued.as_str()))
                // Fenced: a dispatcher whose lease ran out (another took the e-mail over) records nothing.
                .filter(email::Column::NextAttemptAt.eq(lease));
            match result {
                Ok(()) => {
                    next = next
                        .col_expr(email::Column::Status, Expr::value(EmailStatus::Sent.as_str()))
                        .col_expr(email::Column::SentAt, Expr::value(Some(Utc::now())))
                        .col_expr(email::Column::LastError, Expr::value(Option::<String>::None));
                    summary.sent += 1;
                }
                Err((permanent, message)) => {
                    tracing::warn!(email = row.id, error = %message, "e-mail not sent");
                    let wait = usize::try_from(row.attempts).ok().and_then(|i| self.schedule.get(i));
                    match wait.filter(|_| !permanent) {
                        Some(wait) => {
                            next = next.col_expr(email::Column::NextAttemptAt, Expr::value(now + *wait));
                            summary.retrying += 1;
                        }
                        None => {
                            next = next
                                .col_expr(email::Column::Status, Expr::value(EmailStatus::Failed.as_str()));
                            summary.failed += 1;
                            gave_up = Some(message.chars().take(500).collect::<String>());
                        }
                    }
                    next = next.col_expr(
                        email::Column::LastError,
                        Expr::value(Some(message.chars().take(500).collect::<String>())),
                    );
                }
            }
            let recorded = match gave_up {
                None => next.exec(&self.db).await?.rows_affected,
                // Given up: the e-mail FAILED and its follow-up (R17) in one transaction.
                Some(error) => {
                    let txn = begin_write(&self.db).await?;
                    let recorded = next.exec(&txn).await?.rows_affected;
                    if recorded == 1 {
                        let summary = format!("{} e-mail {} could not be sent: {error}", row.kind, row.id);
                        let detail = serde_json::json!({ "emailId": row.id, "kind": row.kind,
                            "regarding": row.regarding, "attempts": attempts, "lastError": error });
                        let subject = format!("email:{}", row.id);
                        let new = followups::NewFollowUp::new(
                            followups::Kind::EmailFailed,
                            subject,
                            summary,
                            detail,
                        );
                        followups::open(&txn, new, now).await?;
                    }
                    txn.commit().await?;
                    recorded
                }
            };
            if recorded == 0 {
                tracing::warn!(
                    email = row.id,
                    "the lease ran out before the send was recorded; another dispatcher has it"
                );
            }
        }
        Ok(summary)
    }

    async fn send(
        &self,
        transport: &AsyncSmtpTransport<Tokio1Executor>,
        row: &email::Model,
    ) -> Result<(), (bool, String)> {
        let kind = EmailKind::parse(&row.kind).ok_or((true, format!("unknown kind {}", row.kind)))?;
        let rendered = self.templates.render(kind, data_of(row)).map_err(|e| (true, e.to_string()))?;
        let to: Mailbox = row
            .to_address
            .as_deref()
            .unwrap_or_default()
            .parse()
            .map_err(|e| (true, format!("bad recipient address: {e}")))?;
        let data = data_of(row);
        let builder = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(rendered.subject)
            .message_id(Some(format!("<email-{}.{}@platform>", row.id, row.created_at.timestamp())));
        // An e-mail whose data carries `attachment: { filename, contentType, content }` (the failed-charges
        // list) goes as text plus that file.
        let attachment = data.get("attachment").and_then(|a| {
            Some((a.get("filename")?.as_str()?, a.get("contentType")?.as_str()?, a.get("content")?.as_str()?))
        });
        let message = match attachment {
            None => builder.header(ContentType::TEXT_PLAIN).body(rendered.body),
            Some((filename, content_type, content)) => {
                let content_type =
                    ContentType::parse(content_type).map_err(|e| (true, format!("attachment type: {e}")))?;
                builder.multipart(
                    MultiPart::mixed().singlepart(SinglePart::plain(rendered.body)).singlepart(
                        Attachment::new(filename.to_owned()).body(content.to_owned(), content_type),
                    ),
                )
            }
        }
        .map_err(|e| (true, format!("building the message: {e}")))?;
        transport.send(message).await.map(|_| ()).map_err(|e| (e.is_permanent(), e.to_string()))
    }

    /// Takes a lease on the oldest due e-mail: it and the lease's instant (the fencing token).
    async fn claim_one(
        &self,
        now: DateTime<Utc>,
    ) -> Result<Option<(email::Model, DateTime<Utc>)>, NotifyError> {
        let claim = platform_core::lease::LeaseClaim {
            table: "emails",
            candidates:
                "SELECT id AS claimed_id FROM emails WHERE status = 'QUEUED' AND next_attempt_at <= ?2
                         ORDER BY id LIMIT 1",
            lock_of: None,
            set: "next_attempt_at = ?1",
            still_free: "emails.status = 'QUEUED' AND emails.next_attempt_at <= ?2",
            returning: "*",
        };
        // The lease counts from the claim itself, not the round's start: it covers one send. Stored
        // timestamps keep microseconds, so the token compares equal when read back.
        let lease = (Utc::now().max(now) + self.lease).trunc_subsecs(6);
        let rows = platform_core::lease::claim(&self.db, &claim, vec![lease.into(), now.into()]).await?;
        let row = rows.first().map(|row| email::Model::from_query_result(row, "")).transpose()?;
        Ok(row.map(|row| (row, lease)))
    }
}

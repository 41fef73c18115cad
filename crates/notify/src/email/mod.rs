//! The e-mail outbox (R12): notices and charge results are queued in the transaction of the change that
//! causes them (unique per dedupe key, so a retried job never queues twice), rendered from editable
//! templates, and sent over SMTP by [`Mailer`] when SMTP is configured; otherwise they stay QUEUED for
//! inspection (`emails` query).

mod send;
mod templates;

pub use send::{MailSummary, Mailer};
pub use templates::{Rendered, Templates};

use crate::NotifyError;
use crate::entity::email;
use chrono::{DateTime, Utc};
use platform_core::json::JsonText;
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};

/// What an e-mail is about; each has a template `<name>.txt`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EmailKind {
    /// R8: the renewal will be charged soon.
    RenewalNotice,
    /// R9: the charge failed; update the card.
    ChargeFailed,
    /// R9: the renewal was charged.
    ChargeSucceeded,
    /// R17: the open charge failures, as a CSV attachment, to the operators.
    FailedChargesList,
    /// R18: a renewal plan's price changes; from which charge.
    PriceChangeNotice,
    /// R20: a subscription was skipped, resumed or cancelled.
    SubscriptionChanged,
    /// R19: an order was cancelled or lines returned, and the money given back.
    OrderRefunded,
    /// R20: a print delivery was suspended or resumed.
    DeliveryChanged,
    /// R21: what was shipped to a receiver, once a day (seed 000 task 6).
    ShippingNotice,
}

impl EmailKind {
    /// Every kind.
    pub const ALL: [EmailKind; 9] = [
        EmailKind::RenewalNotice,
        EmailKind::ChargeFailed,
        EmailKind::ChargeSucceeded,
        EmailKind::FailedChargesList,
        EmailKind::PriceChangeNotice,
        EmailKind::SubscriptionChanged,
        EmailKind::OrderRefunded,
        EmailKind::DeliveryChanged,
        EmailKind::ShippingNotice,
    ];

    /// The stored name, also the template's file stem.
    pub const fn as_str(self) -> &'static str {
        match self {
            EmailKind::RenewalNotice => "renewal_notice",
            EmailKind::ChargeFailed => "charge_failed",
            EmailKind::ChargeSucceeded => "charge_succeeded",
            EmailKind::FailedChargesList => "failed_charges_list",
            EmailKind::PriceChangeNotice => "price_change_notice",
            EmailKind::SubscriptionChanged => "subscription_changed",
            EmailKind::OrderRefunded => "order_refunded",
            EmailKind::DeliveryChanged => "delivery_changed",
            EmailKind::ShippingNotice => "shipping_notice",
        }
    }

    /// From the stored name.
    pub fn parse(raw: &str) -> Option<EmailKind> {
        EmailKind::ALL.into_iter().find(|k| k.as_str() == raw)
    }
}

/// Where an e-mail is in its life; stored by name, and a name it does not know is an error where it is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, sea_orm::EnumIter, sea_orm::DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(sea_orm::sea_query::StringLen::N(16))")]
pub enum EmailStatus {
    /// Waiting to be sent (or for SMTP to be configured).
    #[sea_orm(string_value = "QUEUED")]
    Queued,
    /// Accepted by the SMTP server.
    #[sea_orm(string_value = "SENT")]
    Sent,
    /// Refused for good, or every retry failed.
    #[sea_orm(string_value = "FAILED")]
    Failed,
    /// The recipient has no e-mail address; kept as a record.
    #[sea_orm(string_value = "NO_ADDRESS")]
    NoAddress,
}

impl EmailStatus {
    /// The stored name.
    pub const fn as_str(self) -> &'static str {
        match self {
            EmailStatus::Queued => "QUEUED",
            EmailStatus::Sent => "SENT",
            EmailStatus::Failed => "FAILED",
            EmailStatus::NoAddress => "NO_ADDRESS",
        }
    }
}

/// An e-mail to queue.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEmail {
    /// Which template.
    pub kind: EmailKind,
    /// Queued at most once per key, e.g. `renewal_notice:42`.
    pub dedupe_key: String,
    /// The recipient; `None` records the e-mail as NO_ADDRESS.
    pub to: Option<String>,
    /// What it is about, e.g. `renewal:42`.
    pub regarding: String,
    /// The template's variables.
    pub data: serde_json::Value,
}

/// Queues `email` in the caller's transaction; `false` when one with its dedupe key was queued before.
pub async fn queue(
    db: &impl ConnectionTrait,
    email: NewEmail,
    at: DateTime<Utc>,
) -> Result<bool, NotifyError> {
    Ok(queue_many(db, vec![email], at).await? > 0)
}

/// Queues `emails` with multi-row inserts; those whose dedupe key was queued before are skipped. Returns
/// how many were queued.
pub async fn queue_many(
    db: &impl ConnectionTrait,
    emails: Vec<NewEmail>,
    at: DateTime<Utc>,
) -> Result<u64, NotifyError> {
    // Sending is scheduled in real time, whatever business time (`--as-of`) queued the e-mail.
    let due = at.min(Utc::now());
    let rows: Vec<email::ActiveModel> = emails
        .into_iter()
        .map(|email| {
            let to = email.to.map(|t| t.trim().to_owned()).filter(|t| !t.is_empty());
            let status = if to.is_some() { EmailStatus::Queued } else { EmailStatus::NoAddress };
            Ok(email::ActiveModel {
                kind: Set(email.kind.as_str().to_owned()),
                dedupe_key: Set(email.dedupe_key),
                to_address: Set(to),
                regarding: Set(email.regarding),
                data: Set(JsonText::new(email.data).map_err(anyhow::Error::new)?),
                status: Set(status),
                attempts: Set(0),
                next_attempt_at: Set(due),
                created_at: Set(at),
                ..Default::default()
            })
        })
        .collect::<Result<_, NotifyError>>()?;
    let mut queued = 0;
    for chunk in rows.chunks(500) {
        queued += email::Entity::insert_many(chunk.to_vec())
            .on_conflict(OnConflict::column(email::Column::DedupeKey).do_nothing().to_owned())
            .exec_without_returning(db)
            .await?;
    }
    Ok(queued)
}

/// An e-mail of the outbox, rendered with the current templates.
#[derive(Debug, Clone, PartialEq)]
pub struct Email {
    /// Id.
    pub id: i64,
    /// Which template.
    pub kind: EmailKind,
    /// Recipient.
    pub to: Option<String>,
    /// What it is about.
    pub regarding: String,
    /// Rendered subject.
    pub subject: String,
    /// Rendered body.
    pub body: String,
    /// Status.
    pub status: EmailStatus,
    /// Send attempts so far.
    pub attempts: i32,
    /// The last send error.
    pub last_error: Option<String>,
    /// Queued.
    pub created_at: DateTime<Utc>,
    /// Accepted by the SMTP server.
    pub sent_at: Option<DateTime<Utc>>,
}

/// What to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EmailFilter {
    /// Only this status.
    pub status: Option<EmailStatus>,
    /// Only about this, e.g. `renewal:42`.
    pub regarding: Option<String>,
    /// Only this recipient.
    pub to: Option<String>,
}

/// The newest e-mails first, at most `limit`.
pub async fn list(
    db: &impl ConnectionTrait,
    templates: &Templates,
    filter: &EmailFilter,
    limit: u64,
) -> Result<Vec<Email>, NotifyError> {
    let mut query = email::Entity::find().order_by_desc(email::Column::Id).limit(limit);
    if let Some(status) = filter.status {
        query = query.filter(email::Column::Status.eq(status.as_str()));
    }
    if let Some(regarding) = &filter.regarding {
        query = query.filter(email::Column::Regarding.eq(regarding.as_str()));
    }
    if let Some(to) = &filter.to {
        query = query.filter(email::Column::ToAddress.eq(to.as_str()));
    }
    query.all(db).await?.into_iter().map(|row| to_email(templates, row)).collect()
}

fn to_email(templates: &Templates, row: email::Model) -> Result<Email, NotifyError> {
    let kind = EmailKind::parse(&row.kind)
        .ok_or_else(|| anyhow::anyhow!("e-mail {} has an unknown kind {}", row.id, row.kind))?;
    let rendered = templates.render(kind, data_of(&row))?;
    Ok(Email {
        id: row.id,
        kind,
        to: row.to_address,
        regarding: row.regarding,
        subject: rendered.subject,
        body: rendered.body,
        status: row.status,
        attempts: row.attempts,
        last_error: row.last_error,
        created_at: row.created_at,
        sent_at: row.sent_at,
    })
}

fn data_of(row: &email::Model) -> &serde_json::Value {
    row.data.get()
}

/// Whether the mail server of `smtp_url` answers EHLO within `timeout` (`platform doctor`). The error
/// names no credentials.
pub async fn test_smtp(smtp_url: &str, timeout: std::time::Duration) -> Result<(), String> {
    use lettre::{AsyncSmtpTransport, Tokio1Executor};
    let transport: AsyncSmtpTransport<Tokio1Executor> =
        AsyncSmtpTransport::<Tokio1Executor>::from_url(smtp_url)
            .map_err(|_| "email.smtp_url is not a valid smtp:// or smtps:// URL".to_owned())?
            .timeout(Some(timeout))
            .build();
    match transport.test_connection().await {
        Ok(true) => Ok(()),
        Ok(false) => Err("the server refused the connection".to_owned()),
        Err(err) => Err(if err.is_permanent() { "refused".to_owned() } else { "no answer".to_owned() }),
    }
}

//! The e-mail outbox for admins (R12): `emails(status, regarding, to, first)`, rendered with the current
//! templates, so what SMTP would send (or sent) can be read without a mail server.

use crate::ApiState;
use crate::access::Require;
use crate::error::{coded, internal};
use async_graphql::{Context, ID, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};
use notify::email::{self, EmailFilter};
use platform_core::ErrorCode;

#[derive(Default)]
pub(crate) struct EmailsQuery;

#[Object]
impl EmailsQuery {
    /// The newest e-mails first (`first` ≤ 100, default 20), optionally in one status, about one thing
    /// (`renewal:42`) or to one address. Admins only.
    #[graphql(guard = "Require::Admin")]
    async fn emails(
        &self,
        ctx: &Context<'_>,
        status: Option<EmailStatus>,
        regarding: Option<String>,
        to: Option<String>,
        first: Option<i32>,
    ) -> Result<Vec<Email>> {
        let state = ctx.data::<ApiState>()?;
        let first = first.unwrap_or(20);
        if !(1..=100).contains(&first) {
            return Err(coded(ErrorCode::BadUserInput, "first: must be between 1 and 100"));
        }
        let filter = EmailFilter { status: status.map(Into::into), regarding, to };
        let found =
            email::list(&state.db, &state.jobs.templates, &filter, u64::try_from(first).unwrap_or(20))
                .await
                .map_err(internal)?;
        Ok(found.into_iter().map(Email::from).collect())
    }
}

mirror_enum!(
    /// Where an e-mail is: QUEUED (waiting, or no SMTP configured), SENT, FAILED, NO_ADDRESS.
    EmailStatus => email::EmailStatus { Queued, Sent, Failed, NoAddress }
);

mirror_enum!(
    /// What an e-mail is about.
    EmailKind => email::EmailKind { RenewalNotice, ChargeFailed, ChargeSucceeded, FailedChargesList, PriceChangeNotice, SubscriptionChanged, OrderRefunded, DeliveryChanged, ShippingNotice }
);

/// An e-mail of the outbox.
#[derive(SimpleObject)]
pub(crate) struct Email {
    id: ID,
    kind: EmailKind,
    to: Option<String>,
    /// What it is about, e.g. `renewal:42`.
    regarding: String,
    subject: String,
    body: String,
    status: EmailStatus,
    attempts: i32,
    last_error: Option<String>,
    created_at: DateTime<Utc>,
    sent_at: Option<DateTime<Utc>>,
}

impl From<email::Email> for Email {
    fn from(e: email::Email) -> Self {
        Email {
            id: ID(e.id.to_string()),
            kind: e.kind.into(),
            to: e.to,
            regarding: e.regarding,
            subject: e.subject,
            body: e.body,
            status: e.status.into(),
            attempts: e.attempts,
            last_error: e.last_error,
            created_at: e.created_at,
            sent_at: e.sent_at,
        }
    }
}

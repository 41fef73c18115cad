//! The `Renewal` object with its nested holder references, and the renewal inputs and enums.

use crate::Date;
use async_graphql::{Enum, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};
use renewals::service::{self, CreationAction};

impl From<service::RenewalCreation> for RenewalCreation {
    fn from(created: service::RenewalCreation) -> Self {
        RenewalCreation {
            action: match created.action {
                CreationAction::Created => RenewalCreationAction::Created,
                CreationAction::MergedIntoExisting => RenewalCreationAction::MergedIntoExisting,
            },
            renewal: Renewal(created.renewal),
            superseded: created.superseded.into_iter().map(Renewal).collect(),
            rescheduled: created.rescheduled.into_iter().map(Renewal).collect(),
        }
    }
}

/// `createRenewal` input (SPEC §4).
#[derive(InputObject)]
pub(crate) struct CreateRenewalInput {
    customer_no: String,
    member_account: Option<String>,
    promotion_code: String,
    origin_order_no: Option<String>,
    /// Saved for the charge; never returned.
    payment_token: Option<String>,
    card_last4: Option<String>,
}

impl From<CreateRenewalInput> for service::NewRenewal {
    fn from(input: CreateRenewalInput) -> Self {
        service::NewRenewal {
            customer_no: input.customer_no,
            member_account: input.member_account,
            promotion_code: input.promotion_code,
            origin_order_no: input.origin_order_no,
            payment_token: input.payment_token,
            card_last4: input.card_last4,
            creation_key: None,
            store: false,
        }
    }
}

/// What `createRenewal` did.
#[derive(SimpleObject)]
pub(crate) struct RenewalCreation {
    action: RenewalCreationAction,
    renewal: Renewal,
    superseded: Vec<Renewal>,
    rescheduled: Vec<Renewal>,
}

/// R4's outcome.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RenewalCreationAction {
    /// A new renewal.
    Created,
    /// Part of a pending renewal: that one was rescheduled, nothing new.
    MergedIntoExisting,
}

/// A renewal (續訂單).
pub(crate) struct Renewal(pub(super) service::Renewal);

impl From<service::Renewal> for Renewal {
    fn from(renewal: service::Renewal) -> Self {
        Renewal(renewal)
    }
}

/// A reference to a customer.
#[derive(SimpleObject)]
pub(crate) struct CustomerRef {
    customer_no: String,
}

/// A reference to a member.
#[derive(SimpleObject)]
pub(crate) struct MemberRef {
    account: String,
}

/// A reference to a renewal.
#[derive(SimpleObject)]
pub(crate) struct RenewalRef {
    id: ID,
}

#[Object]
impl Renewal {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// R6 status.
    async fn status(&self) -> RenewalStatus {
        self.0.status.into()
    }
    /// The seed's renewStatus code: 0 停訂 1 待執行 2 已執行 3 執行失敗 4 不執行 5 APP續訂單.
    async fn status_code(&self) -> i32 {
        i32::from(self.0.status.code())
    }
    async fn cycle(&self) -> i32 {
        self.0.cycle
    }
    /// The day of the charge (R5).
    async fn deduct_date(&self) -> Date {
        Date(self.0.deduct_date)
    }
    async fn deduct_price(&self) -> i64 {
        self.0.deduct_price.amount()
    }
    /// Added to `deductPrice` when charged.
    async fn shipping_fee(&self) -> i64 {
        self.0.shipping_fee.amount()
    }
    /// The plan's name.
    async fn product_name(&self) -> Option<&str> {
        self.0.product_name.as_deref()
    }
    /// `AUTO`, or the legacy source of an imported renewal.
    async fn source(&self) -> &str {
        &self.0.source
    }
    async fn source_code(&self) -> Option<&str> {
        self.0.source_code.as_deref()
    }
    /// The plan charged.
    async fn promotion_code(&self) -> &str {
        &self.0.promotion_code
    }
    async fn product_codes(&self) -> &[String] {
        &self.0.product_codes
    }
    async fn customer(&self) -> CustomerRef {
        CustomerRef { customer_no: self.0.customer_no.clone() }
    }
    async fn member(&self) -> Option<MemberRef> {
        self.0.member_account.clone().map(|account| MemberRef { account })
    }
    async fn origin_order_no(&self) -> Option<&str> {
        self.0.origin_order_no.as_deref()
    }
    /// Card last 4 (the token itself is never returned).
    async fn payment_card(&self) -> Option<&str> {
        self.0.payment_card.as_deref()
    }
    async fn has_payment_token(&self) -> bool {
        self.0.has_payment_token
    }
    /// Why the last charge failed (`card_declined`, `NO_PAYMENT_METHOD`, …).
    async fn failure_reason(&self) -> Option<&str> {
        self.0.failure_reason.as_deref()
    }
    /// Charge attempts so far (R9).
    async fn attempts(&self) -> i32 {
        self.0.attempts
    }
    /// The next automatic retry after a failed charge, when retries are configured.
    async fn next_retry_on(&self) -> Option<Date> {
        self.0.next_retry_on.map(Date)
    }
    /// The AUTO order of this cycle's charge (the member sees a failed one and can retry).
    async fn charge_order_no(&self) -> Option<&str> {
        self.0.charge_order_no.as_deref()
    }
    /// R20: monthly cycles skipped (0 when none).
    async fn skipped_cycles(&self) -> i32 {
        self.0.skipped_cycles
    }
    /// R20: the deduct date before the skip, while one lasts.
    async fn skipped_from(&self) -> Option<Date> {
        self.0.skipped_from.map(Date)
    }
    /// R20: why it was cancelled, when it was.
    async fn cancel_reason(&self) -> Option<&str> {
        self.0.cancel_reason.as_deref()
    }
    /// R20: the words given with the cancellation.
    async fn cancel_note(&self) -> Option<&str> {
        self.0.cancel_note.as_deref()
    }
    /// The renewal that replaced this one (R4).
    async fn superseded_by(&self) -> Option<RenewalRef> {
        self.0.superseded_by.map(|id| RenewalRef { id: ID(id.to_string()) })
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

mirror_enum!(
    /// Why a subscription is cancelled (R20).
    CancelReason => renewals::cancel::CancelReason { Price, NotUsing, Content, Delivery, Moving, Payment, Other }
);

/// When a cancellation takes effect (R20).
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CancelEffective {
    /// At the end of the term paid for: access lasts to the due date, nothing is refunded.
    EndOfTerm,
    /// Now (admins): the unused part is revoked and refunded.
    Immediate,
}

mirror_enum!(
    /// R6 statuses: 0 停訂 STOPPED, 1 待執行 PENDING, 2 已執行 EXECUTED, 3 執行失敗 FAILED, 4 不執行 SUPERSEDED,
    /// 5 APP續訂單 APP.
    RenewalStatus => renewals::RenewalStatus { Stopped, Pending, Executed, Failed, Superseded, App }
);

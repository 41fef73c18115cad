//! Renewals (續訂單): `createRenewal` (R4), `renewal`, `renewals`, `updateRenewalPayment`,
//! `retryRenewalCharge` (R9), `stopRenewal`. Services and admins manage them; a member reads, updates the
//! card of, retries and stops only its own.

use crate::access::{Require, principal};
use crate::error::{coded, from_domain};
use crate::scalars::parse_id;
use crate::{ApiState, Date};
use async_graphql::{Context, Enum, ID, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};
use members::{AccessError, Account, service as members_service};
use platform_core::ErrorCode;
use renewals::service::{self, CreationAction};

#[derive(Default)]
pub(crate) struct RenewalsQuery;

#[Object]
impl RenewalsQuery {
    /// A renewal by id. `null` when there is none; a member reads only its own.
    #[graphql(guard = "Require::Token")]
    async fn renewal(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Renewal>> {
        let state = ctx.data::<ApiState>()?;
        let found = service::find_renewal(&state.db, parse_id("id", &id)?).await.map_err(from_domain)?;
        owned(principal(ctx), found.as_ref())?;
        Ok(found.map(Renewal))
    }

    /// The renewals of a customer and/or a member, optionally in one status. A member token gets its own.
    #[graphql(guard = "Require::Token")]
    async fn renewals(
        &self,
        ctx: &Context<'_>,
        customer_no: Option<String>,
        account: Option<String>,
        status: Option<RenewalStatus>,
    ) -> Result<Vec<Renewal>> {
        let state = ctx.data::<ApiState>()?;
        let caller = principal(ctx);
        let requested = account
            .as_deref()
            .map(Account::parse)
            .transpose()
            .map_err(|e| from_domain(members::MembersError::from(e)))?;
        let account = caller.scope(requested.as_ref()).map_err(from_domain)?;
        let customer_no = customer_no.map(|c| c.trim().to_owned());
        if let Some(no) = &customer_no {
            members_service::authorize_customer(&state.db, caller, no).await.map_err(from_domain)?;
        }
        if customer_no.is_none() && account.is_none() {
            return Err(coded(ErrorCode::BadUserInput, "renewals: give customerNo or account"));
        }
        let found =
            service::renewals_of(&state.db, customer_no.as_deref(), account.as_ref(), status.map(Into::into))
                .await
                .map_err(from_domain)?;
        Ok(found.into_iter().map(Renewal).collect())
    }
}

#[derive(Default)]
pub(crate) struct RenewalsMutation;

#[Object]
impl RenewalsMutation {
    /// Creates the renewal of a renewable promotion for a customer with the R4 supersede rules: it says
    /// what it did (`CREATED` or `MERGED_INTO_EXISTING`) and which pending renewals it superseded or
    /// rescheduled. The deduct date is the day before the earliest due date of the holder's entitlements (R5).
    #[graphql(guard = "Require::Operator")]
    async fn create_renewal(&self, ctx: &Context<'_>, input: CreateRenewalInput) -> Result<RenewalCreation> {
        let state = ctx.data::<ApiState>()?;
        let new = service::NewRenewal {
            customer_no: input.customer_no,
            member_account: input.member_account,
            promotion_code: input.promotion_code,
            origin_order_no: input.origin_order_no,
            payment_token: input.payment_token,
            card_last4: input.card_last4,
            creation_key: None,
            store: false,
        };
        let created = service::create_renewal(&state.db, state.calendar, new, state.clock.now())
            .await
            .map_err(from_domain)?;
        Ok(RenewalCreation {
            action: match created.action {
                CreationAction::Created => RenewalCreationAction::Created,
                CreationAction::MergedIntoExisting => RenewalCreationAction::MergedIntoExisting,
            },
            renewal: Renewal(created.renewal),
            superseded: created.superseded.into_iter().map(Renewal).collect(),
            rescheduled: created.rescheduled.into_iter().map(Renewal).collect(),
        })
    }

    /// Gives a pending or failed renewal a new card (gateway token and last 4 digits). A member may update
    /// its own; the token is stored and never returned.
    #[graphql(guard = "Require::Token")]
    async fn update_renewal_payment(
        &self,
        ctx: &Context<'_>,
        renewal_id: ID,
        payment_token: String,
        card_last4: Option<String>,
    ) -> Result<Renewal> {
        let state = ctx.data::<ApiState>()?;
        let id = parse_id("renewalId", &renewal_id)?;
        let found = service::find_renewal(&state.db, id).await.map_err(from_domain)?;
        owned(principal(ctx), found.as_ref())?;
        let updated =
            service::update_payment(&state.db, id, &payment_token, card_last4.as_deref(), state.clock.now())
                .await
                .map_err(from_domain)?;
        Ok(Renewal(updated))
    }

    /// Charges a FAILED renewal again now, with its current card (after `updateRenewalPayment`), and
    /// answers how it ended: EXECUTED (the next cycle is created) or FAILED again with the reason. A member
    /// may retry its own.
    #[graphql(guard = "Require::Token")]
    async fn retry_renewal_charge(&self, ctx: &Context<'_>, renewal_id: ID) -> Result<Renewal> {
        let state = ctx.data::<ApiState>()?;
        let id = parse_id("renewalId", &renewal_id)?;
        let found = service::find_renewal(&state.db, id).await.map_err(from_domain)?;
        owned(principal(ctx), found.as_ref())?;
        if found.is_none() {
            return Err(coded(ErrorCode::NotFound, format!("renewalId: no renewal {id}")));
        }
        let retried = state.jobs.charge_run().retry_now(id, state.clock.now()).await.map_err(from_domain)?;
        Ok(Renewal(retried))
    }

    /// R20 (スキップ / おやすみ): skips the next `cycles` (1–12 in all) charges of a pending MONTHLY renewal —
    /// its deduct date moves that many months, nothing is charged or delivered for them — and e-mails the
    /// payer. A member may skip its own.
    #[graphql(guard = "Require::Token")]
    async fn skip_renewal(&self, ctx: &Context<'_>, renewal_id: ID, cycles: i32) -> Result<Renewal> {
        let state = ctx.data::<ApiState>()?;
        let id = parse_id("renewalId", &renewal_id)?;
        let found = service::find_renewal(&state.db, id).await.map_err(from_domain)?;
        owned(principal(ctx), found.as_ref())?;
        let settings = &state.jobs.settings.renewals;
        let skipped = renewals::change::skip(&state.db, id, cycles, settings, state.clock.now())
            .await
            .map_err(from_domain)?;
        Ok(Renewal(skipped))
    }

    /// R20 (再開): undoes the rest of a skip — the renewal is due again on the first skipped cycle that has
    /// not passed — and e-mails the payer. A member may resume its own.
    #[graphql(guard = "Require::Token")]
    async fn resume_renewal(&self, ctx: &Context<'_>, renewal_id: ID) -> Result<Renewal> {
        let state = ctx.data::<ApiState>()?;
        let id = parse_id("renewalId", &renewal_id)?;
        let found = service::find_renewal(&state.db, id).await.map_err(from_domain)?;
        owned(principal(ctx), found.as_ref())?;
        let now = state.clock.now();
        let settings = &state.jobs.settings.renewals;
        let resumed = renewals::change::resume(&state.db, id, state.calendar.date_of(now), settings, now)
            .await
            .map_err(from_domain)?;
        Ok(Renewal(resumed))
    }

    /// R20 (解約): cancels a pending or failed renewal, for `reason` (with `note`, required for OTHER), and
    /// e-mails the payer. END_OF_TERM (the default; members on their own, services, admins): it never renews
    /// again and the access paid for lasts to its due date. IMMEDIATE (admins only): the access ends today —
    /// the unused part of the current term is revoked and its share of the price refunded once (the order's
    /// `refunds` show it). Cancelling again answers it as it is.
    #[graphql(guard = "Require::Token")]
    async fn cancel_subscription(
        &self,
        ctx: &Context<'_>,
        renewal_id: ID,
        reason: CancelReason,
        #[graphql(validator(max_length = 500))] note: Option<String>,
        #[graphql(default_with = "CancelEffective::EndOfTerm")] effective: CancelEffective,
    ) -> Result<Renewal> {
        let state = ctx.data::<ApiState>()?;
        let id = parse_id("renewalId", &renewal_id)?;
        let found = service::find_renewal(&state.db, id).await.map_err(from_domain)?;
        owned(principal(ctx), found.as_ref())?;
        let settings = &state.jobs.settings.renewals;
        let at = state.clock.now();
        if effective == CancelEffective::Immediate {
            principal(ctx).require_admin().map_err(from_domain)?;
            let flow = crate::aftersale::flow(state);
            aftersale::subscription::cancel_immediately(
                flow,
                settings,
                id,
                reason.into(),
                note.as_deref(),
                at,
            )
            .await
            .map_err(from_domain)?;
            let cancelled = service::find_renewal(&state.db, id).await.map_err(from_domain)?;
            return cancelled.map(Renewal).ok_or_else(|| coded(ErrorCode::NotFound, "renewal vanished"));
        }
        let cancelled =
            renewals::cancel::at_term_end(&state.db, id, reason.into(), note.as_deref(), settings, at)
                .await
                .map_err(from_domain)?;
        Ok(Renewal(cancelled))
    }

    /// Stops a pending or failed renewal. A member may stop its own.
    #[graphql(guard = "Require::Token")]
    async fn stop_renewal(&self, ctx: &Context<'_>, renewal_id: ID) -> Result<Renewal> {
        let state = ctx.data::<ApiState>()?;
        let id = parse_id("renewalId", &renewal_id)?;
        let found = service::find_renewal(&state.db, id).await.map_err(from_domain)?;
        owned(principal(ctx), found.as_ref())?;
        let stopped = service::stop_renewal(&state.db, id, state.clock.now()).await.map_err(from_domain)?;
        Ok(Renewal(stopped))
    }
}

/// Members reach only renewals bound to their account; unknown and foreign look the same to them.
fn owned(caller: &members::Principal, renewal: Option<&service::Renewal>) -> Result<()> {
    if let Some(own) = caller.member_account()
        && renewal.and_then(|r| r.member_account.as_deref()) != Some(own.as_str())
    {
        return Err(from_domain(AccessError::Forbidden("a member sees only its own renewals")));
    }
    Ok(())
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
pub(crate) struct Renewal(service::Renewal);

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
        self.0.deduct_price
    }
    /// Added to `deductPrice` when charged.
    async fn shipping_fee(&self) -> i64 {
        self.0.shipping_fee
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

//! Renewals (續訂單): `createRenewal` (R4), `renewal`, `renewals`, `updateRenewalPayment`,
//! `retryRenewalCharge` (R9), `stopRenewal`. Services and admins manage them; a member reads, updates the
//! card of, retries and stops only its own. The `Renewal` object and the inputs are in `object`.

mod object;

pub(crate) use object::{
    CancelEffective, CancelReason, CreateRenewalInput, Renewal, RenewalCreation, RenewalStatus,
};

use crate::ApiState;
use crate::access::{Require, principal};
use crate::error::{coded, from_domain};
use crate::scalars::parse_id;
use async_graphql::{Context, ID, Object, Result};
use platform_core::{ErrorCode, RenewalId};
use renewals::service::{self};

#[derive(Default)]
pub(crate) struct RenewalsQuery;

#[Object]
impl RenewalsQuery {
    /// A renewal by id. `null` when there is none; a member reads only its own.
    #[graphql(guard = "Require::Token")]
    async fn renewal(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Renewal>> {
        let state = ctx.data::<ApiState>()?;
        let found = service::renewal_for(&state.db, principal(ctx), RenewalId(parse_id("id", &id)?))
            .await
            .map_err(from_domain)?;
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
        let account = crate::scalars::parse_optional_account(account.as_deref())?;
        let found = service::renewals_for(
            &state.db,
            principal(ctx),
            customer_no.as_deref(),
            account.as_ref(),
            status.map(Into::into),
        )
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
        let created = service::create_renewal(&state.db, state.calendar, input.into(), state.clock.now())
            .await
            .map_err(from_domain)?;
        Ok(created.into())
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
        let id = renewal_id_of(&renewal_id)?;
        let updated = service::update_payment(
            &state.db,
            principal(ctx),
            id,
            &payment_token,
            card_last4.as_deref(),
            state.clock.now(),
        )
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
        let id = renewal_id_of(&renewal_id)?;
        let retried = state
            .jobs
            .charge_run()
            .retry_now(principal(ctx), id, state.clock.now())
            .await
            .map_err(from_domain)?;
        Ok(Renewal(retried))
    }

    /// R20 (スキップ / おやすみ): skips the next `cycles` (1–12 in all) charges of a pending MONTHLY renewal —
    /// its deduct date moves that many months, nothing is charged or delivered for them — and e-mails the
    /// payer. A member may skip its own.
    #[graphql(guard = "Require::Token")]
    async fn skip_renewal(&self, ctx: &Context<'_>, renewal_id: ID, cycles: i32) -> Result<Renewal> {
        let state = ctx.data::<ApiState>()?;
        let id = renewal_id_of(&renewal_id)?;
        let settings = &state.jobs.settings.renewals;
        let skipped =
            renewals::change::skip(&state.db, principal(ctx), id, cycles, settings, state.clock.now())
                .await
                .map_err(from_domain)?;
        Ok(Renewal(skipped))
    }

    /// R20 (再開): undoes the rest of a skip — the renewal is due again on the first skipped cycle that has
    /// not passed — and e-mails the payer. A member may resume its own.
    #[graphql(guard = "Require::Token")]
    async fn resume_renewal(&self, ctx: &Context<'_>, renewal_id: ID) -> Result<Renewal> {
        let state = ctx.data::<ApiState>()?;
        let id = renewal_id_of(&renewal_id)?;
        let now = state.clock.now();
        let settings = &state.jobs.settings.renewals;
        let resumed = renewals::change::resume(
            &state.db,
            principal(ctx),
            id,
            state.calendar.date_of(now),
            settings,
            now,
        )
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
        let id = renewal_id_of(&renewal_id)?;
        let settings = &state.jobs.settings.renewals;
        let at = state.clock.now();
        if effective == CancelEffective::Immediate {
            let flow = crate::aftersale::flow(state);
            aftersale::subscription::cancel_immediately(
                flow,
                principal(ctx),
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
        let cancelled = renewals::cancel::at_term_end(
            &state.db,
            principal(ctx),
            id,
            reason.into(),
            note.as_deref(),
            settings,
            at,
        )
        .await
        .map_err(from_domain)?;
        Ok(Renewal(cancelled))
    }

    /// Stops a pending or failed renewal. A member may stop its own.
    #[graphql(guard = "Require::Token")]
    async fn stop_renewal(&self, ctx: &Context<'_>, renewal_id: ID) -> Result<Renewal> {
        let state = ctx.data::<ApiState>()?;
        let id = renewal_id_of(&renewal_id)?;
        let stopped = service::stop_renewal(&state.db, principal(ctx), id, state.clock.now())
            .await
            .map_err(from_domain)?;
        Ok(Renewal(stopped))
    }
}

/// The renewal a `renewalId` argument names.
fn renewal_id_of(id: &ID) -> Result<RenewalId> {
    Ok(RenewalId(parse_id("renewalId", id)?))
}

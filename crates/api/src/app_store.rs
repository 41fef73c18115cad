//! APP subscriptions from the IAP server (R21): `recordAppRenewal`, `cancelAppSubscription`.

use crate::ApiState;
use crate::access::Require;
use crate::error::from_domain;
use crate::renewal::Renewal;
use async_graphql::{Context, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};

#[derive(Default)]
pub(crate) struct AppStoreMutation;

/// A store renewal recorded.
#[derive(SimpleObject)]
pub(crate) struct AppRenewal {
    /// The renewal (status APP), after it.
    renewal: Renewal,
    /// The APP order of this store renewal.
    order_no: String,
    /// Whether this call recorded it (`false`: the same transaction was recorded before).
    recorded_now: bool,
}

#[Object]
impl AppStoreMutation {
    /// The store renewed subscription `originalTransactionId` (the APP order's `channelOrderId`) with
    /// transaction `transactionId` until `expiresAt`: an APP order of the renewal's plan, paid by the store
    /// (no gateway call), its entitlements extended; the renewal counts the cycle and is due at `expiresAt`.
    /// Idempotent per `transactionId`; a cancelled subscription is `CONFLICT`. Services and admins.
    #[graphql(guard = "Require::Operator")]
    async fn record_app_renewal(
        &self,
        ctx: &Context<'_>,
        #[graphql(validator(max_length = 128))] original_transaction_id: String,
        #[graphql(validator(max_length = 128))] transaction_id: String,
        expires_at: DateTime<Utc>,
    ) -> Result<AppRenewal> {
        let state = ctx.data::<ApiState>()?;
        let done = renewals::app::record_app_renewal(
            &state.orders,
            state.calendar,
            &original_transaction_id,
            &transaction_id,
            expires_at,
            state.clock.now(),
        )
        .await
        .map_err(from_domain)?;
        Ok(AppRenewal {
            renewal: Renewal::from(done.renewal),
            order_no: done.order_no,
            recorded_now: done.recorded_now,
        })
    }

    /// The store cancelled subscription `originalTransactionId`: its renewal is STOPPED (`renewal.stopped`),
    /// the access paid for runs to its end. Again: as it is. Services and admins.
    #[graphql(guard = "Require::Operator")]
    async fn cancel_app_subscription(
        &self,
        ctx: &Context<'_>,
        #[graphql(validator(max_length = 128))] original_transaction_id: String,
    ) -> Result<Renewal> {
        let state = ctx.data::<ApiState>()?;
        let stopped =
            renewals::app::cancel_app_subscription(&state.db, &original_transaction_id, state.clock.now())
                .await
                .map_err(from_domain)?;
        Ok(Renewal::from(stopped))
    }
}

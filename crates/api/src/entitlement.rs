//! Entitlements: `entitlements(customerNo|account, productCode)` under the access rules, and
//! `grantTemporaryEntitlement` (R11) for admins.

use crate::access::{Require, principal};
use crate::error::from_domain;
use crate::{ApiState, Date};
use async_graphql::{Context, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};
use entitlements::Holder;

#[derive(Default)]
pub(crate) struct EntitlementsQuery;

#[Object]
impl EntitlementsQuery {
    /// The entitlements of a customer and/or a member (give at least one), optionally of one product. A
    /// member token reads only its own and those of the customers linked to it.
    #[graphql(guard = "Require::Token")]
    async fn entitlements(
        &self,
        ctx: &Context<'_>,
        customer_no: Option<String>,
        account: Option<String>,
        product_code: Option<String>,
    ) -> Result<Vec<Entitlement>> {
        let state = ctx.data::<ApiState>()?;
        let account = crate::scalars::parse_optional_account(account.as_deref())?;
        let found = entitlements::query::entitlements_for(
            &state.db,
            principal(ctx),
            customer_no.as_deref(),
            account.as_ref(),
            product_code.as_deref(),
        )
        .await
        .map_err(from_domain)?;
        Ok(found.into_iter().map(Entitlement::from).collect())
    }
}

#[derive(Default)]
pub(crate) struct EntitlementsMutation;

#[Object]
impl EntitlementsMutation {
    /// R11 (客服臨時權益): gives a member `days` days of a digital product from today; access is the later of
    /// the paid due date and `temporaryUntil`. Admins only.
    #[graphql(guard = "Require::Admin")]
    async fn grant_temporary_entitlement(
        &self,
        ctx: &Context<'_>,
        input: TemporaryEntitlementInput,
    ) -> Result<Entitlement> {
        let state = ctx.data::<ApiState>()?;
        let account = crate::scalars::parse_account(&input.account)?;
        let granted = entitlements::temporary::grant_temporary(
            &state.db,
            state.calendar,
            &account,
            input.product_code.trim(),
            input.days,
            state.clock.now(),
        )
        .await
        .map_err(from_domain)?;
        Ok(granted.into())
    }
}

/// `grantTemporaryEntitlement` input.
#[derive(InputObject)]
pub(crate) struct TemporaryEntitlementInput {
    account: String,
    product_code: String,
    /// 1–366.
    days: i32,
}

/// Who holds an entitlement.
#[derive(SimpleObject)]
pub(crate) struct EntitlementHolder {
    /// The customer, for print products.
    customer_no: Option<String>,
    /// The member, for digital products.
    account: Option<String>,
}

/// An entitlement (權益) with the seed's fields.
#[derive(SimpleObject)]
pub(crate) struct Entitlement {
    product_code: String,
    holder: EntitlementHolder,
    start_volume: Option<i32>,
    start_volume_date: Option<Date>,
    end_volume: Option<i32>,
    end_volume_date: Option<Date>,
    right_due_date: Option<Date>,
    /// 年資 in years, 3 decimals.
    seniority: f64,
    subscribe_status: EntitlementStatus,
    /// The seed's code: 1 現訂戶 2 斷訂戶 3 止寄 4 贈閱 5 贈閱結束.
    subscribe_status_code: i32,
    temporary_until: Option<Date>,
    /// A date was estimated from the cadence because the issue calendar does not reach it yet.
    estimated: bool,
    updated_at: DateTime<Utc>,
}

impl From<entitlements::Entitlement> for Entitlement {
    fn from(e: entitlements::Entitlement) -> Self {
        let (customer_no, account) = match e.holder {
            Holder::Customer(no) => (Some(no), None),
            Holder::Member(account) => (None, Some(account)),
        };
        Entitlement {
            product_code: e.product_code,
            holder: EntitlementHolder { customer_no, account },
            start_volume: e.start_volume,
            start_volume_date: e.start_volume_date.map(Date),
            end_volume: e.end_volume,
            end_volume_date: e.end_volume_date.map(Date),
            right_due_date: e.right_due_date.map(Date),
            seniority: e.seniority_thousandths as f64 / 1000.0,
            subscribe_status: e.subscribe_status.into(),
            subscribe_status_code: i32::from(e.subscribe_status.code()),
            temporary_until: e.temporary_until.map(Date),
            estimated: e.estimated,
            updated_at: e.updated_at,
        }
    }
}

mirror_enum!(
    /// Subscribe status with the seed's codes: 1 現訂戶 CURRENT, 2 斷訂戶 LAPSED, 3 止寄 STOPPED, 4 贈閱
    /// COMPLIMENTARY, 5 贈閱結束 COMPLIMENTARY_ENDED (R10).
    EntitlementStatus => entitlements::SubscribeStatus { Current, Lapsed, Stopped, Complimentary, ComplimentaryEnded }
);

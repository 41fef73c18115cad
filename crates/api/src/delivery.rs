//! R20 over GraphQL: `suspendDelivery` / `resumeDelivery` (admins and services) and `deliverySuspensions`.

use crate::access::Require;
use crate::error::from_domain;
use crate::{ApiState, Date};
use aftersale::delivery::{resume_delivery, suspend_delivery};
use async_graphql::{Context, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};
use entitlements::suspend::{SuspendInput, suspensions_of};

#[derive(Default)]
pub(crate) struct DeliveryQuery;

#[Object]
impl DeliveryQuery {
    /// The suspensions of a customer's print delivery, oldest first. Admins and services.
    #[graphql(guard = "Require::Operator")]
    async fn delivery_suspensions(
        &self,
        ctx: &Context<'_>,
        #[graphql(validator(max_length = 32))] customer_no: String,
        #[graphql(validator(max_length = 16))] product_code: String,
    ) -> Result<Vec<Suspension>> {
        let state = ctx.data::<ApiState>()?;
        let found =
            suspensions_of(&state.db, customer_no.trim(), product_code.trim()).await.map_err(from_domain)?;
        Ok(found.into_iter().map(Suspension::from).collect())
    }
}

#[derive(Default)]
pub(crate) struct DeliveryMutation;

#[Object]
impl DeliveryMutation {
    /// Holds a customer's print magazine for `issues` issues (1–26) from `fromVolume` on (R20, 止寄 /
    /// おやすみ): the term grows by them (`endVolume`, its date and the due date move) and the customer's
    /// renewals follow (R5). `fromVolume` must be a coming issue within the coverage; one suspension is
    /// open at a time (asking again for it answers it; another is CONFLICT).
    #[graphql(guard = "Require::Operator")]
    async fn suspend_delivery(
        &self,
        ctx: &Context<'_>,
        #[graphql(validator(max_length = 32))] customer_no: String,
        #[graphql(validator(max_length = 16))] product_code: String,
        from_volume: i32,
        issues: i32,
        #[graphql(validator(max_length = 500))] reason: Option<String>,
    ) -> Result<Suspension> {
        let state = ctx.data::<ApiState>()?;
        let input = SuspendInput {
            customer_no: customer_no.trim().to_owned(),
            product_code: product_code.trim().to_owned(),
            from_volume,
            issues,
            reason,
        };
        let held = suspend_delivery(&state.db, state.calendar, &input, state.clock.now())
            .await
            .map_err(from_domain)?;
        Ok(Suspension::from(held))
    }

    /// Resumes a suspended delivery (R20, 再開): the held issues not reached yet are given back.
    #[graphql(guard = "Require::Operator")]
    async fn resume_delivery(
        &self,
        ctx: &Context<'_>,
        #[graphql(validator(max_length = 32))] customer_no: String,
        #[graphql(validator(max_length = 16))] product_code: String,
    ) -> Result<Suspension> {
        let state = ctx.data::<ApiState>()?;
        let resumed = resume_delivery(
            &state.db,
            state.calendar,
            customer_no.trim(),
            product_code.trim(),
            state.clock.now(),
        )
        .await
        .map_err(from_domain)?;
        Ok(Suspension::from(resumed))
    }
}

/// A suspension of a customer's print delivery (R20).
#[derive(SimpleObject)]
pub(crate) struct Suspension {
    /// The customer.
    customer_no: String,
    /// The print product.
    product_code: String,
    /// The first issue held.
    from_volume: i32,
    /// Issues held (after an early resume: those already held).
    issues: i32,
    /// Why.
    reason: Option<String>,
    /// The customer's `endVolume` now.
    end_volume: Option<i32>,
    /// The customer's `rightDueDate` now.
    right_due_date: Option<Date>,
    /// When it was asked.
    created_at: DateTime<Utc>,
    /// When it was resumed early.
    resumed_at: Option<DateTime<Utc>>,
}

impl From<entitlements::suspend::Suspension> for Suspension {
    fn from(s: entitlements::suspend::Suspension) -> Self {
        Suspension {
            customer_no: s.customer_no,
            product_code: s.product_code,
            from_volume: s.from_volume,
            issues: s.issues,
            reason: s.reason,
            end_volume: s.end_volume,
            right_due_date: s.right_due_date.map(Date),
            created_at: s.created_at,
            resumed_at: s.resumed_at,
        }
    }
}

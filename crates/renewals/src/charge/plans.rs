//! **R18 at the charge:** before a cycle's order is made, a renewal whose plan was retired moves to the
//! plan's successor (its `renewalPromotionCode`, the first on sale along the chain) at the price it had —
//! prices change only through a scheduled price change — or, with no successor on sale, fails with
//! `PLAN_RETIRED`: no charge, no automatic retry, a follow-up for a person. One transaction for the batch.

use super::ChargeRun;
use crate::RenewalStatus;
use crate::RenewalsError;
use crate::entity::renewal;
use crate::rules::{PLAN_RETIRED, PlanFate, plan_fate};
use crate::store::{code, event_of};
use catalog::Promotion;
use chrono::{DateTime, NaiveDate, Utc};
use payments::PaymentGateway;
use platform_core::db::begin_write;
use platform_core::events::{self, NewEvent};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;
use std::collections::HashMap;

impl<G: PaymentGateway + Clone + 'static> ChargeRun<G> {
    /// `rows` (claimed, without an order for their cycle yet) with retired plans followed: the rows to
    /// charge, some on a successor plan, and how many failed with `PLAN_RETIRED`.
    pub(super) async fn follow_retired_plans(
        &self,
        rows: Vec<renewal::Model>,
        as_of: NaiveDate,
        at: DateTime<Utc>,
    ) -> Result<(Vec<renewal::Model>, u64), RenewalsError> {
        let plans = self.plans_of(&rows).await?;
        let lookup = |code: &str| {
            plans.get(code).map(|p| {
                (p.status == catalog::Status::Active, p.is_renewable(), p.renewal_promotion_code.as_deref())
            })
        };
        let mut keep = Vec::with_capacity(rows.len());
        let mut moved = Vec::new();
        let mut retired = Vec::new();
        for row in rows {
            if row.charge_order_no.is_some() {
                keep.push(row);
                continue;
            }
            match plan_fate(&row.promotion_code, lookup) {
                PlanFate::Keep => keep.push(row),
                PlanFate::MoveTo(successor) => moved.push((row, successor)),
                PlanFate::Retired => retired.push(row),
            }
        }
        if moved.is_empty() && retired.is_empty() {
            return Ok((keep, 0));
        }
        let txn = begin_write(&self.db).await?;
        let mut events: Vec<NewEvent> = Vec::new();
        for (mut row, successor) in moved {
            let Some(plan) = plans.get(&successor) else { continue };
            let from = std::mem::replace(&mut row.promotion_code, successor.clone());
            row.product_codes = crate::service::renewed_products(plan);
            let held = renewal::Entity::update_many()
                .col_expr(renewal::Column::PromotionCode, Expr::value(row.promotion_code.as_str()))
                .col_expr(renewal::Column::ProductCodes, Expr::value(row.product_codes.clone()))
                .col_expr(renewal::Column::UpdatedAt, Expr::value(at))
                .filter(renewal::Column::Id.eq(row.id))
                .filter(renewal::Column::LeaseOwner.eq(self.owner.as_str()))
                .exec(&txn)
                .await?;
            // Only a claim this runner still holds is moved and charged.
            if held.rows_affected != 1 {
                continue;
            }
            events.push(event_of(
                "renewal.plan_changed",
                &row,
                json!({ "from": from, "to": successor, "reason": "retired" }),
            ));
            keep.push(row);
        }
        let mut failed = 0;
        let mut follow_ups = Vec::with_capacity(retired.len());
        for mut row in retired {
            let marked = renewal::Entity::update_many()
                .col_expr(renewal::Column::RenewStatus, Expr::value(code(RenewalStatus::Failed)))
                .col_expr(renewal::Column::FailureReason, Expr::value(PLAN_RETIRED))
                .col_expr(renewal::Column::FailedOn, Expr::value(as_of))
                .col_expr(renewal::Column::NextRetryOn, Expr::value(Option::<NaiveDate>::None))
                .col_expr(renewal::Column::LeaseOwner, Expr::value(Option::<String>::None))
                .col_expr(renewal::Column::LeaseUntil, Expr::value(Option::<DateTime<Utc>>::None))
                .col_expr(renewal::Column::UpdatedAt, Expr::value(at))
                .filter(renewal::Column::Id.eq(row.id))
                .filter(renewal::Column::LeaseOwner.eq(self.owner.as_str()))
                .exec(&txn)
                .await?;
            // A claim lost meanwhile is someone else's to settle: nothing is recorded for it.
            if marked.rows_affected != 1 {
                continue;
            }
            failed += 1;
            row.renew_status = code(RenewalStatus::Failed);
            events.push(event_of(
                "renewal.charge_failed",
                &row,
                json!({ "reason": PLAN_RETIRED, "nextRetryOn": null }),
            ));
            follow_ups.push(followups::NewFollowUp::new(
                followups::Kind::PlanRetired,
                format!("renewal:{}", row.id),
                format!("renewal {}: plan {} is retired with no successor on sale", row.id, row.promotion_code),
                json!({ "renewalId": row.id, "customerId": row.customer_id, "promotionCode": row.promotion_code,
                        "deductDate": row.deduct_date, "amount": row.deduct_price }),
            ));
        }
        events::append_many(&txn, events, at).await?;
        followups::open_many(&txn, follow_ups, at).await?;
        txn.commit().await?;
        Ok((keep, failed))
    }

    /// The plans of `rows` and every successor their chains may reach (a few hops, read in bulk).
    async fn plans_of(&self, rows: &[renewal::Model]) -> Result<HashMap<String, Promotion>, RenewalsError> {
        let mut plans: HashMap<String, Promotion> = HashMap::new();
        let mut wanted: Vec<String> = rows.iter().map(|r| r.promotion_code.clone()).collect();
        for _ in 0..8 {
            wanted.sort();
            wanted.dedup();
            wanted.retain(|c| !plans.contains_key(c));
            if wanted.is_empty() {
                break;
            }
            let found = catalog::service::find_promotions(&self.db, &wanted).await?;
            wanted = found
                .iter()
                .filter(|p| p.status != catalog::Status::Active)
                .filter_map(|p| p.renewal_promotion_code.clone())
                .collect();
            plans.extend(found.into_iter().map(|p| (p.promotion_code.clone(), p)));
        }
        Ok(plans)
    }
}

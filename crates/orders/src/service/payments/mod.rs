//! `recordPayment` (the payment service's callback) and `bindOrderMember`. The payment itself is written
//! by [`write::write_payments`], the charge run's writer too.

mod write;

pub(crate) use write::{PaymentRow, write_payments};

use super::load::{find_order, load_orders, order_row};
use super::{OrderService, append};
use crate::OrdersError;
use crate::entity::{order, payment};
use crate::model::{Order, PaymentReport, PaymentResult, PaymentStatus};
use chrono::{DateTime, Utc};
use members::{Account, service as members_service};
use platform_core::Money;
use platform_core::db::begin_write;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;

/// How far ahead of now a reported `paidAt` may be (the payment service's clock may run a little fast).
const PAID_AT_AHEAD: chrono::Duration = chrono::Duration::minutes(60);
/// How far back: a callback is late by minutes, not months; an older date would start entitlements (R3)
/// in the past.
const PAID_AT_BEHIND: chrono::Duration = chrono::Duration::days(90);

impl OrderService {
    /// Records a payment result. Idempotent per transaction id (the same report again returns the order);
    /// an amount that is not the order total is refused and recorded as a `payment.amount_mismatch` alert;
    /// a paid order never becomes failed, and a second payment of a paid order is refused as a
    /// `payment.duplicate` alert.
    pub async fn record_payment(
        &self,
        report: PaymentReport,
        at: DateTime<Utc>,
    ) -> Result<Order, OrdersError> {
        let transaction_id = report.transaction_id.trim().to_owned();
        if transaction_id.is_empty() || transaction_id.len() > 128 {
            return Err(OrdersError::invalid("transactionId", "must be 1-128 characters"));
        }
        members::validate::text("transactionId", &transaction_id, 128)?;
        Money::bounded(report.amount).map_err(|e| OrdersError::invalid("amount", e.to_string()))?;
        if let Some(paid_at) = report.paid_at
            && (paid_at > at + PAID_AT_AHEAD || paid_at < at - PAID_AT_BEHIND)
        {
            return Err(OrdersError::invalid(
                "paidAt",
                format!(
                    "must be within {} days before and {} minutes after now",
                    PAID_AT_BEHIND.num_days(),
                    PAID_AT_AHEAD.num_minutes()
                ),
            ));
        }
        let report = PaymentReport { transaction_id, ..report };
        match self.try_record(&report, at).await {
            // The same transaction recorded concurrently: answer from what was stored.
            Err(OrdersError::Unexpected(err))
                if err
                    .downcast_ref::<sea_orm::DbErr>()
                    .is_some_and(|e| super::PAYMENT_TRANSACTION.violated_by(e)) =>
            {
                self.try_record(&report, at).await
            }
            other => other,
        }
    }

    async fn try_record(&self, report: &PaymentReport, at: DateTime<Utc>) -> Result<Order, OrdersError> {
        let txn = begin_write(&self.db).await?;
        let row = order_row(&txn, &report.order_no)
            .await?
            .ok_or_else(|| OrdersError::not_found("orderNo", format!("no order {}", report.order_no)))?;
        let order_no = report.order_no.as_str();
        if let Some(seen) = payment::Entity::find()
            .filter(payment::Column::TransactionId.eq(report.transaction_id.as_str()))
            .one(&txn)
            .await?
        {
            if seen.order_id == row.id
                && seen.status == report.status
                && seen.amount == Money::new(report.amount)
            {
                drop(txn);
                return self.find(order_no).await?.ok_or_else(|| anyhow::anyhow!("order vanished").into());
            }
            return Err(OrdersError::conflict(
                "transactionId",
                "was already recorded with a different result",
            ));
        }
        let alert = |kind: &'static str, message: String| (kind, message);
        let refusal = if Money::new(report.amount) != row.total_amount {
            Some(alert(
                "payment.amount_mismatch",
                format!(
                    "{} does not match the order total {} (recorded as an alert)",
                    report.amount,
                    row.total_amount.amount()
                ),
            ))
        } else if row.payment_status == PaymentStatus::Paid && report.status == PaymentResult::Paid {
            Some(alert("payment.duplicate", "the order is already paid (recorded as an alert)".to_owned()))
        } else {
            None
        };
        if let Some((kind, message)) = refusal {
            let payload = json!({ "orderNo": order_no, "transactionId": report.transaction_id,
                                  "expected": row.total_amount, "received": report.amount,
                                  "status": status_name(report.status) });
            append(&txn, kind, order_no, payload.clone(), at).await?;
            let follow_up = if kind == "payment.duplicate" {
                followups::Kind::DuplicatePayment
            } else {
                followups::Kind::PaymentAmountMismatch
            };
            let summary = format!("order {order_no}: {message}");
            followups::open(
                &txn,
                followups::NewFollowUp::new(follow_up, format!("order:{order_no}"), summary, payload),
                at,
            )
            .await?;
            txn.commit().await?;
            let field = if kind == "payment.duplicate" { "transactionId" } else { "amount" };
            return Err(if kind == "payment.duplicate" {
                OrdersError::conflict(field, message)
            } else {
                OrdersError::invalid(field, message)
            });
        }
        if row.payment_status == PaymentStatus::Paid {
            return Err(OrdersError::conflict("status", format!("order {order_no} is paid; it cannot fail")));
        }
        // The order as it stands, from the row already read (its lines and parties for the events).
        let unpaid = load_orders(&txn, vec![row.clone()])
            .await?
            .pop()
            .ok_or_else(|| anyhow::anyhow!("order vanished"))?;
        let payment = PaymentRow {
            order_id: row.id,
            order: &unpaid,
            transaction_id: &report.transaction_id,
            status: report.status,
            amount: Money::new(report.amount),
            paid_at: report.paid_at.unwrap_or(at),
            // The payment service reports money taken.
            authorised_only: false,
        };
        write_payments(&txn, &[payment], at).await?;
        let order = find_order(&txn, order_no).await?.ok_or_else(|| anyhow::anyhow!("order vanished"))?;
        txn.commit().await?;
        Ok(order)
    }

    /// Binds an order to an existing member (seed 004 訂單綁定會員). Binding again to the same member changes
    /// nothing; to another member is `CONFLICT`.
    pub async fn bind_member(
        &self,
        order_no: &str,
        account: &Account,
        at: DateTime<Utc>,
    ) -> Result<Order, OrdersError> {
        let txn = begin_write(&self.db).await?;
        let row = order_row(&txn, order_no)
            .await?
            .ok_or_else(|| OrdersError::not_found("orderNo", format!("no order {order_no}")))?;
        let member_id = members_service::member_id(&txn, account)
            .await?
            .ok_or_else(|| OrdersError::not_found("account", format!("no member {account}")))?;
        match row.member_id {
            Some(bound) if bound == member_id => {
                drop(txn);
                return self.find(order_no).await?.ok_or_else(|| anyhow::anyhow!("order vanished").into());
            }
            Some(_) => return Err(OrdersError::conflict("orderNo", "is bound to another member")),
            None => {}
        }
        let updated = order::Entity::update_many()
            .col_expr(order::Column::MemberId, Expr::value(member_id))
            .col_expr(order::Column::UpdatedAt, Expr::value(at))
            .filter(order::Column::Id.eq(row.id))
            .filter(order::Column::MemberId.is_null())
            .exec(&txn)
            .await?;
        if updated.rows_affected != 1 {
            return Err(OrdersError::conflict("orderNo", "is bound to another member"));
        }
        let order = find_order(&txn, order_no).await?.ok_or_else(|| anyhow::anyhow!("order vanished"))?;
        let payload = json!({ "orderNo": order_no, "memberAccount": account.as_str(),
                              "paid": order.payment_status == PaymentStatus::Paid });
        append(&txn, "order.member_bound", order_no, payload, at).await?;
        txn.commit().await?;
        Ok(order)
    }
}

fn status_name(status: PaymentResult) -> &'static str {
    match status {
        PaymentResult::Paid => "PAID",
        PaymentResult::Failed => "FAILED",
    }
}

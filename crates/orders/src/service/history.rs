//! The legacy ERP's order history (R14 `orders`, seed 004 開帳當天): each order as the ERP sold it, under
//! its legacy number, with its lines expanded as a new order's are (R1, R2) but without the sale window
//! (history was sold when the promotions were on sale), its payment and where it stands. An imported order
//! is already in the ERP (confirmed), its entitlements come from the ERP's own files (`entitlements-erp`,
//! `digital-entitlements`), and its renewal from `renewals-erp`: it is never granted (R3), never renewed
//! (R7), never transferred again (R21), and its refunds are the ERP's (recorded, no gateway call).

use super::create::{line_rows, order_lines, order_total};
use super::{OrderService, append};
use crate::OrdersError;
use crate::entity::{order, order_line, payment};
use crate::invoice::Invoice;
use crate::model::{
    CaptureStatus, LineInput, LineStatus, OrderSource, OrderStatus, PaymentResult, PaymentStatus, Receiver,
};
use catalog::Category;
use chrono::{DateTime, SubsecRound, Utc};
use members::{Account, service as members_service};
use platform_core::Money;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde_json::json;
use sha2::{Digest, Sha256};

/// Where a history order stands in the ERP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HistoryStatus {
    /// Paid (and not shipped, or nothing to ship).
    Paid,
    /// Paid, and its BOOK or EVENT lines shipped.
    Shipped,
    /// Cancelled in the ERP.
    Cancelled,
}

impl HistoryStatus {
    /// The status named `raw` (`PAID`, `SHIPPED`, `CANCELLED`; `CANCELED` too).
    pub fn parse(raw: &str) -> Option<HistoryStatus> {
        let raw = raw.trim().to_ascii_uppercase();
        let raw = if raw == "CANCELED" { "CANCELLED" } else { raw.as_str() };
        [HistoryStatus::Paid, HistoryStatus::Shipped, HistoryStatus::Cancelled]
            .into_iter()
            .find(|s| s.as_str() == raw)
    }

    /// Its name in the file and the events.
    pub fn as_str(self) -> &'static str {
        match self {
            HistoryStatus::Paid => "PAID",
            HistoryStatus::Shipped => "SHIPPED",
            HistoryStatus::Cancelled => "CANCELLED",
        }
    }

    fn order_status(self) -> OrderStatus {
        match self {
            HistoryStatus::Paid => OrderStatus::Confirmed,
            HistoryStatus::Shipped => OrderStatus::Shipped,
            HistoryStatus::Cancelled => OrderStatus::Cancelled,
        }
    }
}

/// One order of the ERP's history.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryOrder {
    /// The legacy order number: the order's number here too (so `renewals-erp`'s `GC_ORDER_NUMBER` finds
    /// it) and its ERP number.
    pub order_no: String,
    /// When it was ordered.
    pub ordered_at: DateTime<Utc>,
    /// The payer.
    pub payer_customer_no: String,
    /// The member it is bound to, if any.
    pub member_account: Option<Account>,
    /// Where it stands.
    pub status: HistoryStatus,
    /// When it was paid (`None`: a cancelled order that was never paid).
    pub paid_at: Option<DateTime<Utc>>,
    /// When its goods shipped (SHIPPED; default the payment's time).
    pub shipped_at: Option<DateTime<Utc>>,
    /// e.g. `CREDIT_CARD`.
    pub payment_method: Option<String>,
    /// The payment's transaction in the ERP's gateway.
    pub transaction_id: Option<String>,
    /// The card's last 4 digits.
    pub card_last4: Option<String>,
    /// Who received it.
    pub receiver: Receiver,
    /// Shipping fee.
    pub shipping_fee: Money,
    /// Its lines, as sold (item numbers or promotion codes).
    pub lines: Vec<LineInput>,
}

/// What importing one history order did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HistoryImported {
    /// A new order.
    Inserted,
    /// The order was there and took the ERP's later status (shipped, cancelled).
    Updated,
    /// The order was there as the ERP says.
    Unchanged,
}

/// The most characters of a legacy order number.
pub const MAX_LEGACY_ORDER_NO: usize = 24;

impl OrderService {
    /// Imports `input` inside the caller's transaction `txn`. A re-run with the same order is unchanged;
    /// one that moves it on (PAID → SHIPPED or CANCELLED, SHIPPED → CANCELLED) updates its status, one
    /// behind what is known here (an older export) leaves it; other lines, amounts or parties than imported are `CONFLICT`, as is a number taken by an order of
    /// the platform. Nothing is written on error.
    pub async fn import_history(
        &self,
        txn: &impl ConnectionTrait,
        input: &HistoryOrder,
        at: DateTime<Utc>,
    ) -> Result<HistoryImported, OrdersError> {
        let at = at.trunc_subsecs(6);
        check_number(&input.order_no)?;
        if input.lines.is_empty() || input.lines.len() > super::create::MAX_LINES {
            return Err(OrdersError::invalid(
                "lines",
                format!("an order has 1-{} lines", super::create::MAX_LINES),
            ));
        }
        let paid_at = match (input.status, input.paid_at) {
            (HistoryStatus::Cancelled, paid_at) => paid_at,
            (_, Some(paid_at)) => Some(paid_at),
            (_, None) => {
                return Err(OrdersError::invalid("paidAt", "a PAID or SHIPPED order needs its payment time"));
            }
        };
        let hash = fingerprint(input);
        if let Some(existing) =
            order::Entity::find().filter(order::Column::OrderNo.eq(input.order_no.as_str())).one(txn).await?
        {
            return self.update_existing(txn, existing, input, &hash, at).await;
        }
        // The catalog as it is: items and promotions retired since are still known (R18).
        let expanded = self.expand(&input.lines, None).await?;
        let total = order_total(input.shipping_fee, &expanded)?;
        let payer_id =
            members_service::customer_id(txn, &input.payer_customer_no).await?.ok_or_else(|| {
                OrdersError::not_found("payer.customerNo", format!("no customer {}", input.payer_customer_no))
            })?;
        let member_id =
            match &input.member_account {
                Some(account) => Some(members_service::member_id(txn, account).await?.ok_or_else(|| {
                    OrdersError::not_found("memberAccount", format!("no member {account}"))
                })?),
                None => None,
            };
        let ordered_at = input.ordered_at.trunc_subsecs(6);
        let paid_at = paid_at.map(|t| t.trunc_subsecs(6));
        let shipped_at = (input.status == HistoryStatus::Shipped)
            .then(|| input.shipped_at.or(paid_at).map(|t| t.trunc_subsecs(6)))
            .flatten();
        let mut row = order::ActiveModel {
            order_no: Set(Some(input.order_no.clone())),
            idempotency_key: Set(format!("import:{}", input.order_no)),
            request_hash: Set(hash),
            source: Set(OrderSource::Import),
            source_code: Set(Some("erp".to_owned())),
            status: Set(input.status.order_status()),
            payment_status: Set(if paid_at.is_some() { PaymentStatus::Paid } else { PaymentStatus::Pending }),
            member_id: Set(member_id),
            payer_customer_id: Set(payer_id),
            total_amount: Set(total),
            shipping_fee: Set(input.shipping_fee),
            payment_method: Set(input.payment_method.clone()),
            card_last4: Set(input.card_last4.clone()),
            complimentary: Set(false),
            paid_at: Set(paid_at),
            cancelled_at: Set((input.status == HistoryStatus::Cancelled).then_some(at)),
            cancel_reason: Set(
                (input.status == HistoryStatus::Cancelled).then(|| "cancelled in the ERP".into())
            ),
            // Already in the ERP: ready and confirmed as it was paid.
            ready_at: Set(paid_at),
            erp_order_no: Set(Some(input.order_no.clone())),
            erp_confirmed_at: Set(paid_at),
            shipped_at: Set(shipped_at),
            created_at: Set(ordered_at),
            updated_at: Set(at),
            ..Default::default()
        };
        // Seed 004's default invoice: paper (類型 1), titled with the receiver's name.
        let invoice = Invoice {
            invoice_type: crate::invoice::PAPER,
            title: Some(input.receiver.name.clone()),
            ..Invoice::default()
        };
        super::columns::write(&mut row, &input.receiver, &invoice);
        let row = row.insert(txn).await?;
        let mut lines = order_lines(&expanded, &self.subinventory);
        for line in &mut lines {
            line.status = line_status(input.status, line.category, line.status);
            if line.status == LineStatus::Shipped {
                line.shipped_quantity = line.quantity;
            }
        }
        order_line::Entity::insert_many(line_rows(row.id, &lines, at)).exec_without_returning(txn).await?;
        if let Some(paid_at) = paid_at {
            payment::ActiveModel {
                order_id: Set(row.id),
                transaction_id: Set(input
                    .transaction_id
                    .clone()
                    .unwrap_or_else(|| format!("import:{}", input.order_no))),
                status: Set(PaymentResult::Paid),
                amount: Set(total),
                paid_at: Set(paid_at),
                recorded_at: Set(at),
                capture_status: Set(Some(CaptureStatus::Captured)),
                captured_amount: Set(Some(total)),
                captured_at: Set(Some(paid_at)),
                ..Default::default()
            }
            .insert(txn)
            .await?;
        }
        let payload = json!({ "orderNo": input.order_no, "source": "IMPORT", "status": input.status.as_str(),
                              "totalAmount": total.amount(), "customerNo": input.payer_customer_no,
                              "memberAccount": input.member_account.as_ref().map(Account::as_str) });
        append(txn, "order.imported", &input.order_no, payload, at).await?;
        Ok(HistoryImported::Inserted)
    }

    async fn update_existing(
        &self,
        txn: &impl ConnectionTrait,
        existing: order::Model,
        input: &HistoryOrder,
        hash: &str,
        at: DateTime<Utc>,
    ) -> Result<HistoryImported, OrdersError> {
        if existing.source != OrderSource::Import {
            return Err(OrdersError::conflict(
                "orderNo",
                format!("{} is an order of the platform, not of the ERP's history", input.order_no),
            ));
        }
        if existing.request_hash != hash {
            return Err(OrdersError::conflict(
                "orderNo",
                format!("{} was imported with other lines, amounts or parties", input.order_no),
            ));
        }
        // A status moves on (PAID → SHIPPED → CANCELLED), never back: an export older than what is known here
        // (the platform recorded the shipment since) leaves the order as it is.
        let target = input.status.order_status();
        if progress(target) <= progress(existing.status) {
            return Ok(HistoryImported::Unchanged);
        }
        let id = existing.id;
        let shipped_at = input.shipped_at.or(existing.paid_at).map(|t| t.trunc_subsecs(6));
        let mut change: order::ActiveModel = existing.into();
        change.status = Set(target);
        change.updated_at = Set(at);
        match input.status {
            HistoryStatus::Shipped => change.shipped_at = Set(shipped_at),
            HistoryStatus::Cancelled => {
                change.cancelled_at = Set(Some(at));
                change.cancel_reason = Set(Some("cancelled in the ERP".to_owned()));
            }
            HistoryStatus::Paid => {}
        }
        change.update(txn).await?;
        move_lines(txn, id, input.status, at).await?;
        let payload =
            json!({ "orderNo": input.order_no, "source": "IMPORT", "status": input.status.as_str() });
        append(txn, "order.imported", &input.order_no, payload, at).await?;
        Ok(HistoryImported::Updated)
    }
}

/// The lines of order `order_id` as the ERP's later `status` says.
async fn move_lines(
    txn: &impl ConnectionTrait,
    order_id: i64,
    status: HistoryStatus,
    at: DateTime<Utc>,
) -> Result<(), OrdersError> {
    let mut update = order_line::Entity::update_many()
        .col_expr(order_line::Column::UpdatedAt, Expr::value(at))
        .filter(order_line::Column::OrderId.eq(order_id));
    update = match status {
        HistoryStatus::Cancelled => {
            update.col_expr(order_line::Column::Status, Expr::value(LineStatus::Cancelled))
        }
        HistoryStatus::Shipped => update
            .col_expr(order_line::Column::Status, Expr::value(LineStatus::Shipped))
            .col_expr(order_line::Column::ShippedQuantity, Expr::col(order_line::Column::Quantity))
            .filter(order_line::Column::Category.is_in([Category::Book, Category::Event])),
        HistoryStatus::Paid => return Ok(()),
    };
    update.exec(txn).await?;
    Ok(())
}

/// How far an order has gone: a later export may move it on, never back.
fn progress(status: OrderStatus) -> u8 {
    match status {
        OrderStatus::Created => 0,
        OrderStatus::Confirmed => 1,
        OrderStatus::Shipped => 2,
        OrderStatus::Cancelled => 3,
    }
}

/// R2 for a history order: a cancelled order's lines are CANCELLED; a shipped one's BOOK and EVENT lines
/// SHIPPED; the rest as a new order's.
fn line_status(status: HistoryStatus, category: Category, fresh: LineStatus) -> LineStatus {
    match status {
        HistoryStatus::Cancelled => LineStatus::Cancelled,
        HistoryStatus::Shipped if matches!(category, Category::Book | Category::Event) => LineStatus::Shipped,
        _ => fresh,
    }
}

fn check_number(order_no: &str) -> Result<(), OrdersError> {
    let fine = !order_no.is_empty()
        && order_no.len() <= MAX_LEGACY_ORDER_NO
        && order_no.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if fine {
        Ok(())
    } else {
        Err(OrdersError::invalid(
            "orderNo",
            format!("a legacy order number is 1-{MAX_LEGACY_ORDER_NO} letters, digits, '-' or '_'"),
        ))
    }
}

/// What a history order is, apart from where it stands: a re-run compares it.
fn fingerprint(input: &HistoryOrder) -> String {
    let lines: Vec<serde_json::Value> =
        input.lines.iter().map(|l| json!([l.item_no, l.quantity, l.amount])).collect();
    let what = json!({
        "payer": input.payer_customer_no, "member": input.member_account.as_ref().map(Account::as_str),
        "orderedAt": input.ordered_at.timestamp(), "paidAt": input.paid_at.map(|t| t.timestamp()),
        "transaction": input.transaction_id, "fee": input.shipping_fee.amount(), "lines": lines,
        "receiver": [input.receiver.name, input.receiver.mobile, input.receiver.email,
                     input.receiver.address.country, input.receiver.address.postal_code,
                     input.receiver.address.city, input.receiver.address.street],
    });
    format!("{:x}", Sha256::digest(what.to_string().as_bytes()))
}

//! Order storage: creating orders, recording payments, binding members, reading orders. Every change
//! appends its events to the log in the same transaction (R12).

mod batch;
mod capture;
mod columns;
mod create;
mod history;
mod load;
mod paid;
mod payments;
mod refunds;
mod returns;
mod shipments;
mod transfer;
mod visible;

use catalog::Catalog;
use platform_core::BusinessCalendar;
use platform_core::db::UniqueKey;
use platform_core::events::{self, NewEvent};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr};

pub use batch::{AutoOrder, BatchPayment, Plans};
pub use capture::CaptureSummary;
pub use history::{HistoryImported, HistoryOrder, HistoryStatus, MAX_LEGACY_ORDER_NO};
pub use load::{OrderRef, find_by_channel, find_order, find_orders};
pub use paid::{
    PaidLine, paid_lines, paid_lines_of, paid_since, paid_transactions, payment_token_of, renewal_candidates,
};
pub use refunds::{Refund, RefundInput, RefundStatus, refunds_of};
pub use returns::{
    LineQuantity, MAX_RETURN_LINES, OrderReturn, Recorded, ReturnInput, ReturnKind, TakenLine, cancel_key,
    record_return, returns_of,
};
pub use shipments::{
    MAX_SHIPMENT_LINES, Shipment, ShipmentInput, ShipmentNotice, mark_notified, record_shipment,
    record_shipment_in, shipments_to_notify,
};
pub use transfer::{confirm_erp_transfer, mark_ready, unconfirmed};

/// `orders.idempotency_key`: one order per creation key.
const ORDER_KEY: UniqueKey =
    UniqueKey { name: "orders_idempotency_key_key", columns: "orders.idempotency_key" };
/// One order per channel and channel order id.
const CHANNEL_ORDER: UniqueKey =
    UniqueKey { name: "ux_orders_channel_order", columns: "orders.source, orders.channel_order_id" };
/// `payments.transaction_id`: a gateway transaction is recorded once.
const PAYMENT_TRANSACTION: UniqueKey =
    UniqueKey { name: "payments_transaction_id_key", columns: "payments.transaction_id" };
/// `order_refunds.idempotency_key`: one refund per key.
const REFUND_KEY: UniqueKey =
    UniqueKey { name: "order_refunds_idempotency_key_key", columns: "order_refunds.idempotency_key" };

/// The unique constraints whose violations the orders domain turns into its own outcomes, for the test
/// that checks each is named as the databases name it.
pub const UNIQUE_KEYS: [UniqueKey; 4] = [ORDER_KEY, CHANNEL_ORDER, PAYMENT_TRANSACTION, REFUND_KEY];

/// The orders domain over one database.
#[derive(Debug, Clone)]
pub struct OrderService {
    db: DatabaseConnection,
    catalog: Catalog,
    calendar: BusinessCalendar,
    subinventory: String,
}

impl OrderService {
    /// Orders on `db`, resolving lines through `catalog`, numbering them by business date in `calendar`, and
    /// sending their lines to `subinventory` (R2; setting `orders.subinventory`).
    pub fn new(
        db: DatabaseConnection,
        catalog: Catalog,
        calendar: BusinessCalendar,
        subinventory: String,
    ) -> Self {
        OrderService { db, catalog, calendar, subinventory }
    }

    /// The database.
    pub fn db(&self) -> &DatabaseConnection {
        &self.db
    }
}

fn order_subject(order_no: &str) -> String {
    format!("order:{order_no}")
}

async fn append(
    db: &impl ConnectionTrait,
    event_type: &'static str,
    order_no: &str,
    payload: serde_json::Value,
    at: chrono::DateTime<chrono::Utc>,
) -> Result<(), DbErr> {
    events::append(db, NewEvent { event_type, subject: order_subject(order_no), payload }, at)
        .await
        .map(|_| ())
}

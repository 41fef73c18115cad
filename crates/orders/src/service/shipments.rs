//! Shipping status back from the ERP (R21, seed 004 ERP回傳配送狀態): a shipment of an order's lines with its
//! carrier and tracking number. The lines' shipped units grow (a line is SHIPPED once every unit not
//! returned has shipped); the order becomes SHIPPED, once, when a BOOK or EVENT line has shipped (seed 004:
//! 任一商品出貨就回打訂單出貨) with `order.shipped`; every shipment is `order.shipment_recorded`. A shipment is
//! keyed by its order, carrier and tracking number: the same one again answers what was recorded, the same
//! key with other lines is `CONFLICT`. One transaction per shipment.

use super::append;
use super::refunds::locked_order;
use super::returns::LineQuantity;
use crate::OrdersError;
use crate::entity::{order, order_line, shipment, shipment_line};
use crate::model::{LineStatus, OrderStatus, PaymentStatus};
use catalog::Category;
use chrono::{DateTime, Utc};
use platform_core::db::begin_write;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveEnum, ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, QueryFilter, QueryOrder,
};
use serde_json::json;

/// Most lines in one shipment.
pub const MAX_SHIPMENT_LINES: usize = 200;
/// How far ahead of now a shipment's time may be (the ERP's clock may run a little fast).
const SHIPPED_AHEAD: chrono::Duration = chrono::Duration::hours(1);

/// A shipment to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShipmentInput {
    /// The order.
    pub order_no: String,
    /// Which lines and how many units (each at most what is neither shipped nor returned yet).
    pub lines: Vec<LineQuantity>,
    /// When it left.
    pub shipped_at: DateTime<Utc>,
    /// Who carries it (黑貓, 郵局 …).
    pub carrier: String,
    /// The carrier's tracking number.
    pub tracking_no: String,
}

/// A recorded shipment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shipment {
    /// The order.
    pub order_no: String,
    /// Who carries it.
    pub carrier: String,
    /// Its tracking number.
    pub tracking_no: String,
    /// When it left.
    pub shipped_at: DateTime<Utc>,
    /// Its lines, by position.
    pub lines: Vec<LineQuantity>,
    /// Whether this call recorded it (`false`: the same shipment was recorded before).
    pub recorded_now: bool,
}

fn text(field: &'static str, raw: &str, max: usize) -> Result<String, OrdersError> {
    let value = raw.trim();
    if value.is_empty() || value.chars().count() > max || value.chars().any(char::is_control) {
        return Err(OrdersError::invalid(field, format!("1–{max} printable characters")));
    }
    Ok(value.to_owned())
}

/// Records shipment `input` at `at` in a transaction of its own.
pub async fn record_shipment(
    db: &DatabaseConnection,
    input: &ShipmentInput,
    at: DateTime<Utc>,
) -> Result<Shipment, OrdersError> {
    let txn = begin_write(db).await?;
    let shipment = record_shipment_in(&txn, input, at).await?;
    if shipment.recorded_now {
        txn.commit().await?;
    }
    Ok(shipment)
}

/// Records shipment `input` at `at` inside the caller's transaction `txn` (the order locked for it);
/// nothing is written on error or when the same shipment was recorded before.
pub async fn record_shipment_in(
    txn: &impl ConnectionTrait,
    input: &ShipmentInput,
    at: DateTime<Utc>,
) -> Result<Shipment, OrdersError> {
    let carrier = text("carrier", &input.carrier, 40)?;
    let tracking_no = text("trackingNo", &input.tracking_no, 80)?;
    if input.lines.is_empty() || input.lines.len() > MAX_SHIPMENT_LINES {
        return Err(OrdersError::invalid("lines", format!("1–{MAX_SHIPMENT_LINES} lines")));
    }
    if input.shipped_at > at + SHIPPED_AHEAD {
        return Err(OrdersError::invalid("shippedAt", "is in the future"));
    }
    let mut wanted = input.lines.clone();
    wanted.sort_by_key(|l| l.position);
    if wanted.windows(2).any(|w| w[0].position == w[1].position) {
        return Err(OrdersError::invalid("lines", "a line is named twice"));
    }
    if let Some(bad) = wanted.iter().find(|l| l.quantity < 1) {
        return Err(OrdersError::invalid(
            "lines",
            format!("line {}: quantity must be at least 1", bad.position),
        ));
    }
    let key = format!("{}:{carrier}:{tracking_no}", input.order_no.trim());
    let row = locked_order(txn, input.order_no.trim()).await?;
    let order_no = row.order_no.clone().unwrap_or_default();
    let lines = order_line::Entity::find()
        .filter(order_line::Column::OrderId.eq(row.id))
        .order_by_asc(order_line::Column::Position)
        .all(txn)
        .await?;
    if let Some(existing) =
        shipment::Entity::find().filter(shipment::Column::ShipmentKey.eq(key.as_str())).one(txn).await?
    {
        let recorded = recorded_lines(txn, existing.id, &lines).await?;
        if recorded != wanted {
            return Err(OrdersError::conflict(
                "trackingNo",
                format!("{carrier} {tracking_no} of order {order_no} was recorded with other lines"),
            ));
        }
        return Ok(Shipment {
            order_no,
            carrier,
            tracking_no,
            shipped_at: existing.shipped_at,
            lines: recorded,
            recorded_now: false,
        });
    }
    if row.payment_status != PaymentStatus::Paid || row.status == OrderStatus::Cancelled {
        return Err(OrdersError::conflict(
            "orderNo",
            format!("order {order_no} is not paid or is cancelled"),
        ));
    }
    let mut taken = Vec::new();
    for want in &wanted {
        let Some(line) = lines.iter().find(|l| l.position == want.position) else {
            return Err(OrdersError::not_found(
                "lines",
                format!("order {order_no} has no line {}", want.position),
            ));
        };
        if line.category == Category::Digital {
            return Err(OrdersError::invalid(
                "lines",
                format!("line {} of order {order_no} is digital: nothing ships", want.position),
            ));
        }
        let left = line.quantity - line.returned_quantity - line.shipped_quantity;
        if want.quantity > left {
            return Err(OrdersError::conflict(
                "lines",
                format!("line {}: {} units asked, {left} left to ship", want.position, want.quantity),
            ));
        }
        taken.push((line, want.quantity));
    }
    // Written from here on; nothing above wrote anything.
    let recorded = shipment::ActiveModel {
        order_id: Set(row.id),
        shipment_key: Set(key),
        carrier: Set(carrier.clone()),
        tracking_no: Set(tracking_no.clone()),
        shipped_at: Set(input.shipped_at),
        receiver_email: Set(row.receiver_email.clone()),
        notified_at: Set(None),
        created_at: Set(at),
        updated_at: Set(at),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    let rows: Vec<shipment_line::ActiveModel> = taken
        .iter()
        .map(|(line, quantity)| shipment_line::ActiveModel {
            shipment_id: Set(recorded.id),
            order_line_id: Set(line.id),
            quantity: Set(*quantity),
            ..Default::default()
        })
        .collect();
    shipment_line::Entity::insert_many(rows).exec_without_returning(txn).await?;
    for (line, quantity) in &taken {
        let shipped = line.shipped_quantity + quantity;
        let mut update = order_line::Entity::update_many()
            .col_expr(order_line::Column::ShippedQuantity, Expr::value(shipped))
            .col_expr(order_line::Column::UpdatedAt, Expr::value(at));
        if shipped >= line.quantity - line.returned_quantity && line.status == LineStatus::Confirmed {
            update = update.col_expr(order_line::Column::Status, Expr::value(LineStatus::Shipped.to_value()));
        }
        update.filter(order_line::Column::Id.eq(line.id)).exec(txn).await?;
    }
    let lines_json: Vec<serde_json::Value> = taken
        .iter()
        .map(|(l, q)| json!({ "position": l.position, "itemNo": l.item_no, "quantity": q }))
        .collect();
    let payload = json!({ "orderNo": order_no, "carrier": carrier, "trackingNo": tracking_no,
                          "shippedAt": input.shipped_at, "lines": lines_json });
    append(txn, "order.shipment_recorded", &order_no, payload.clone(), at).await?;
    let goods = taken.iter().any(|(l, _)| matches!(l.category, Category::Book | Category::Event));
    if goods && row.status != OrderStatus::Shipped {
        order::Entity::update_many()
            .col_expr(order::Column::Status, Expr::value(OrderStatus::Shipped.to_value()))
            .col_expr(order::Column::ShippedAt, Expr::value(input.shipped_at))
            .col_expr(order::Column::UpdatedAt, Expr::value(at))
            .filter(order::Column::Id.eq(row.id))
            .exec(txn)
            .await?;
        append(txn, "order.shipped", &order_no, payload, at).await?;
    }
    Ok(Shipment {
        order_no,
        carrier,
        tracking_no,
        shipped_at: input.shipped_at,
        lines: wanted,
        recorded_now: true,
    })
}

/// The lines of shipment `shipment_id` by position.
async fn recorded_lines(
    db: &impl ConnectionTrait,
    shipment_id: i64,
    lines: &[order_line::Model],
) -> Result<Vec<LineQuantity>, OrdersError> {
    let rows = shipment_line::Entity::find()
        .filter(shipment_line::Column::ShipmentId.eq(shipment_id))
        .all(db)
        .await?;
    let mut found: Vec<LineQuantity> = rows
        .iter()
        .filter_map(|r| {
            lines
                .iter()
                .find(|l| l.id == r.order_line_id)
                .map(|l| LineQuantity { position: l.position, quantity: r.quantity })
        })
        .collect();
    found.sort_by_key(|l| l.position);
    Ok(found)
}

/// A shipment not told to its receiver yet, with what the notice lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShipmentNotice {
    /// The shipment's row id.
    pub id: i64,
    /// The order.
    pub order_no: String,
    /// The receiver's e-mail, as on the order.
    pub receiver_email: Option<String>,
    /// The receiver's name.
    pub receiver_name: String,
    /// Who carries it, and its tracking number.
    pub carrier: String,
    pub tracking_no: String,
    /// When it left.
    pub shipped_at: DateTime<Utc>,
    /// What it carried: item number and units.
    pub items: Vec<(String, i32)>,
}

/// Up to `limit` shipments shipped before `until` whose receiver has not been told, oldest first.
pub async fn shipments_to_notify(
    db: &impl ConnectionTrait,
    until: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<ShipmentNotice>, OrdersError> {
    use sea_orm::QuerySelect;
    let shipments = shipment::Entity::find()
        .filter(shipment::Column::NotifiedAt.is_null())
        .filter(shipment::Column::ShippedAt.lt(until))
        .order_by_asc(shipment::Column::ShippedAt)
        .order_by_asc(shipment::Column::Id)
        .limit(limit)
        .all(db)
        .await?;
    let order_ids: Vec<i64> = shipments.iter().map(|s| s.order_id).collect();
    let orders = order::Entity::find().filter(order::Column::Id.is_in(order_ids)).all(db).await?;
    let ids: Vec<i64> = shipments.iter().map(|s| s.id).collect();
    let lines =
        shipment_line::Entity::find().filter(shipment_line::Column::ShipmentId.is_in(ids)).all(db).await?;
    let line_ids: Vec<i64> = lines.iter().map(|l| l.order_line_id).collect();
    let order_lines =
        order_line::Entity::find().filter(order_line::Column::Id.is_in(line_ids)).all(db).await?;
    Ok(shipments
        .into_iter()
        .filter_map(|s| {
            let order = orders.iter().find(|o| o.id == s.order_id)?;
            let items = lines
                .iter()
                .filter(|l| l.shipment_id == s.id)
                .filter_map(|l| {
                    order_lines
                        .iter()
                        .find(|ol| ol.id == l.order_line_id)
                        .map(|ol| (ol.item_no.clone(), l.quantity))
                })
                .collect();
            Some(ShipmentNotice {
                id: s.id,
                order_no: order.order_no.clone().unwrap_or_default(),
                receiver_email: s.receiver_email,
                receiver_name: order.receiver_name.clone(),
                carrier: s.carrier,
                tracking_no: s.tracking_no,
                shipped_at: s.shipped_at,
                items,
            })
        })
        .collect())
}

/// Records that the receivers of shipments `ids` have been told (in the transaction that queued the
/// notice).
pub async fn mark_notified(
    db: &impl ConnectionTrait,
    ids: &[i64],
    at: DateTime<Utc>,
) -> Result<(), OrdersError> {
    for chunk in ids.chunks(500) {
        shipment::Entity::update_many()
            .col_expr(shipment::Column::NotifiedAt, Expr::value(at))
            .col_expr(shipment::Column::UpdatedAt, Expr::value(at))
            .filter(shipment::Column::Id.is_in(chunk.iter().copied()))
            .filter(shipment::Column::NotifiedAt.is_null())
            .exec(db)
            .await?;
    }
    Ok(())
}

//! Shipping status from the ERP (R21): `recordShipment`, and an order's `shipments`.

use crate::ApiState;
use crate::access::Require;
use crate::error::from_domain;
use async_graphql::{Context, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};
use orders::service::{LineQuantity, ShipmentInput, record_shipment};

#[derive(Default)]
pub(crate) struct ShippingMutation;

/// A shipment the ERP reports.
#[derive(InputObject)]
pub(crate) struct RecordShipmentInput {
    /// The order.
    #[graphql(validator(max_length = 32))]
    order_no: String,
    /// The lines (by `position`) and units shipped.
    #[graphql(validator(min_items = 1, max_items = 200))]
    lines: Vec<ShipmentLineInput>,
    /// When it left.
    shipped_at: DateTime<Utc>,
    /// The carrier (黑貓, 郵局 …).
    #[graphql(validator(max_length = 40))]
    carrier: String,
    /// The carrier's tracking number.
    #[graphql(validator(max_length = 80))]
    tracking_no: String,
}

/// Units of one line in a shipment.
#[derive(InputObject)]
pub(crate) struct ShipmentLineInput {
    /// The line's `position` in `order.lines`.
    position: i32,
    /// Units (1 up to what is neither shipped nor returned yet).
    quantity: i32,
}

/// A recorded shipment.
#[derive(SimpleObject)]
pub(crate) struct Shipment {
    order_no: String,
    carrier: String,
    tracking_no: String,
    shipped_at: DateTime<Utc>,
    lines: Vec<ShippedLine>,
    /// Whether this call recorded it (`false`: the same shipment had been recorded).
    recorded_now: bool,
}

/// Units of a line in a shipment.
#[derive(SimpleObject)]
pub(crate) struct ShippedLine {
    position: i32,
    quantity: i32,
}

#[Object]
impl ShippingMutation {
    /// Records a shipment of an order's lines (R21, seed 004 ERP回傳配送狀態): lines SHIPPED once every unit
    /// not returned has shipped, the order SHIPPED (`order.shipped`) when a BOOK or EVENT line has; every
    /// shipment is `order.shipment_recorded` and goes into the day's shipping notice. The same carrier and
    /// tracking number again answers what was recorded; with other lines it is `CONFLICT`. Services and
    /// admins.
    #[graphql(guard = "Require::Operator")]
    async fn record_shipment(&self, ctx: &Context<'_>, input: RecordShipmentInput) -> Result<Shipment> {
        let state = ctx.data::<ApiState>()?;
        let input = ShipmentInput {
            order_no: input.order_no.trim().to_owned(),
            lines: input
                .lines
                .iter()
                .map(|l| LineQuantity { position: l.position, quantity: l.quantity })
                .collect(),
            shipped_at: input.shipped_at,
            carrier: input.carrier,
            tracking_no: input.tracking_no,
        };
        let shipment = record_shipment(&state.db, &input, state.clock.now()).await.map_err(from_domain)?;
        Ok(Shipment {
            order_no: shipment.order_no,
            carrier: shipment.carrier,
            tracking_no: shipment.tracking_no,
            shipped_at: shipment.shipped_at,
            lines: shipment
                .lines
                .iter()
                .map(|l| ShippedLine { position: l.position, quantity: l.quantity })
                .collect(),
            recorded_now: shipment.recorded_now,
        })
    }
}

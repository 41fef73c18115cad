//! The cancellations and returns as recorded: by order, by key, and one row read back with its lines.

use super::{OrderReturn, ReturnKind, TakenLine};
use crate::OrdersError;
use crate::entity::{order, order_line, order_return, order_return_line};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use std::collections::HashMap;

/// The cancellations and returns of order `order_no`, oldest first.
pub async fn returns_of(db: &impl ConnectionTrait, order_no: &str) -> Result<Vec<OrderReturn>, OrdersError> {
    let Some(row) = order::Entity::find().filter(order::Column::OrderNo.eq(order_no)).one(db).await? else {
        return Ok(Vec::new());
    };
    let recorded = order_return::Entity::find()
        .filter(order_return::Column::OrderId.eq(row.id))
        .order_by_asc(order_return::Column::Id)
        .all(db)
        .await?;
    let mut found = Vec::with_capacity(recorded.len());
    for one in recorded {
        found.push(to_return(db, one, &row).await?);
    }
    Ok(found)
}

pub(super) async fn find_return(
    txn: &impl ConnectionTrait,
    key: &str,
) -> Result<Option<order_return::Model>, OrdersError> {
    Ok(order_return::Entity::find().filter(order_return::Column::ReturnKey.eq(key)).one(txn).await?)
}

pub(super) async fn to_return(
    db: &impl ConnectionTrait,
    recorded: order_return::Model,
    order: &order::Model,
) -> Result<OrderReturn, OrdersError> {
    let taken = order_return_line::Entity::find()
        .filter(order_return_line::Column::ReturnId.eq(recorded.id))
        .order_by_asc(order_return_line::Column::Id)
        .all(db)
        .await?;
    let lines: HashMap<i64, order_line::Model> = order_line::Entity::find()
        .filter(order_line::Column::OrderId.eq(order.id))
        .all(db)
        .await?
        .into_iter()
        .map(|l| (l.id, l))
        .collect();
    let lines = taken
        .into_iter()
        .filter_map(|t| {
            lines.get(&t.order_line_id).map(|l| TakenLine {
                line_id: l.id,
                position: l.position,
                item_no: l.item_no.clone(),
                quantity: t.quantity,
                bought: l.quantity,
            })
        })
        .collect();
    let kind = [ReturnKind::Cancel, ReturnKind::Return]
        .into_iter()
        .find(|k| k.as_str() == recorded.kind)
        .ok_or_else(|| anyhow::anyhow!("return {} has an unknown kind {:?}", recorded.id, recorded.kind))?;
    Ok(OrderReturn {
        return_key: recorded.return_key,
        order_no: order.order_no.clone().unwrap_or_default(),
        kind,
        lines,
        refund_amount: recorded.refund_amount,
        shipping_refund: recorded.shipping_refund,
        supplementary_charge: recorded.supplementary_charge,
        reason: recorded.reason,
        refund_key: recorded.refund_key,
        payer_customer_id: order.payer_customer_id,
        member_id: order.member_id,
        card_last4: order.card_last4.clone(),
        created_at: recorded.created_at,
    })
}

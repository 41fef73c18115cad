//! `createOrder`: validate everything, expand promotion lines (R1), then write the order, its lines, a new
//! payer if any and the `order.created` event in one transaction. Idempotent per `idempotencyKey`.

use super::load::find_order;
use super::{OrderService, append};
use crate::OrdersError;
use crate::entity::{order, order_line};
use crate::model::{LineInput, NewOrder, Order, OrderLine, OrderStatus, Payer, PaymentStatus};
use crate::rules::{ExpandedLine, Resolved, expand_line, order_number};
use chrono::{DateTime, SubsecRound, Utc};
use members::{Account, service as members_service};
use platform_core::Money;
use platform_core::db::begin_write;
use sea_orm::{ActiveEnum, ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;

mod check;

use check::Checked;

/// Most lines one order may have.
pub(super) const MAX_LINES: usize = 100;

impl OrderService {
    /// Creates an order, or returns the one already created with this idempotency key and the same payload
    /// (`false` then). The same key with another payload is `CONFLICT`. Nothing is written on error.
    pub async fn create(&self, input: NewOrder, at: DateTime<Utc>) -> Result<(Order, bool), OrdersError> {
        // Stored timestamps keep microseconds; the order returned must equal the order read back.
        let at = at.trunc_subsecs(6);
        let checked = Checked::new(input)?;
        let lines = self.expand(&checked.lines, Some(self.calendar.date_of(at))).await?;
        let categories: Vec<catalog::Category> = lines.iter().map(|l| l.category).collect();
        crate::rules::nine_one_app_digital(
            checked.source,
            checked.member.as_ref(),
            checked.receiver.email.as_deref(),
            &categories,
        )?;
        let total = order_total(checked.shipping_fee, &lines)?;
        match self.write(&checked, &lines, total, at).await {
            Err(OrdersError::Unexpected(err))
                if err.downcast_ref::<sea_orm::DbErr>().is_some_and(|e| {
                    super::ORDER_KEY.violated_by(e) || super::CHANNEL_ORDER.violated_by(e)
                }) =>
            {
                // Another request with the same key committed first: answer as a replay.
                if let Some(order) = replay(&self.db, &checked).await? {
                    return Ok((order, false));
                }
                // Or the channel's id is another order's.
                if let Some(id) = &checked.channel_order_id
                    && let Some(other) = super::load::find_by_channel(&self.db, checked.source, id).await?
                {
                    return Err(OrdersError::conflict(
                        "channelOrderId",
                        format!("{id} is order {} already", other.order_no),
                    ));
                }
                Err(OrdersError::Unexpected(err))
            }
            other => other,
        }
    }

    /// The lines expanded (R1), checked as sold on `sale_day` (`None`: a renewal's charge, R18).
    pub(super) async fn expand(
        &self,
        lines: &[LineInput],
        sale_day: Option<chrono::NaiveDate>,
    ) -> Result<Vec<ExpandedLine>, OrdersError> {
        let mut expanded = Vec::with_capacity(lines.len());
        for (index, line) in lines.iter().enumerate() {
            let quantity = u32::try_from(line.quantity).unwrap_or(1);
            let amount = Money::new(line.amount);
            if let Some(promotion) = self.catalog.promotion(&line.item_no).await? {
                expanded.extend(expand_line(
                    index,
                    Resolved::Promotion(&promotion),
                    quantity,
                    amount,
                    sale_day,
                )?);
            } else if let Some(item) = self.catalog.item(&line.item_no).await? {
                expanded.extend(expand_line(index, Resolved::Item(&item), quantity, amount, sale_day)?);
            } else {
                return Err(OrdersError::not_found(
                    format!("lines[{index}].itemNo"),
                    format!("no item or promotion {}", line.item_no),
                ));
            }
        }
        Ok(expanded)
    }

    async fn write(
        &self,
        checked: &Checked,
        lines: &[ExpandedLine],
        total: Money,
        at: DateTime<Utc>,
    ) -> Result<(Order, bool), OrdersError> {
        let txn = begin_write(&self.db).await?;
        if let Some(order) = replay(&txn, checked).await? {
            return Ok((order, false));
        }
        let member_id =
            match &checked.member {
                Some(account) => Some(members_service::member_id(&txn, account).await?.ok_or_else(|| {
                    OrdersError::not_found("memberAccount", format!("no member {account}"))
                })?),
                None => None,
            };
        let (payer_id, payer_no) = match &checked.payer {
            Payer::Existing(no) => {
                let id = members_service::customer_id(&txn, no)
                    .await?
                    .ok_or_else(|| OrdersError::not_found("payer.customerNo", format!("no customer {no}")))?;
                (id, no.clone())
            }
            Payer::New(input) => {
                let input = members::CustomerInput { customer_no: None, ..(**input).clone() };
                let (id, customer, _) =
                    members_service::upsert_customer_in(&txn, input, at).await.map_err(prefix_payer)?;
                (id, customer.customer_no)
            }
        };
        let free = total == Money::ZERO;
        let mut row = order::ActiveModel {
            order_no: Set(None),
            idempotency_key: Set(checked.idempotency_key.clone()),
            request_hash: Set(checked.hash.clone()),
            source: Set(checked.source),
            source_code: Set(checked.source_code.clone()),
            channel_order_id: Set(checked.channel_order_id.clone()),
            status: Set(if free { OrderStatus::Confirmed } else { OrderStatus::Created }),
            payment_status: Set(if free { PaymentStatus::Paid } else { PaymentStatus::Pending }),
            member_id: Set(member_id),
            payer_customer_id: Set(payer_id),
            total_amount: Set(total),
            shipping_fee: Set(checked.shipping_fee),
            payment_method: Set(checked.payment_method.clone()),
            payment_token: Set(checked.payment_token.clone().map(platform_core::tokens::Token::new)),
            card_last4: Set(checked.card_last4.clone()),
            complimentary: Set(checked.complimentary),
            paid_at: Set(free.then_some(at)),
            created_at: Set(at),
            updated_at: Set(at),
            ..Default::default()
        };
        super::columns::write(&mut row, &checked.receiver, &checked.invoice);
        let row = row.insert(&txn).await.map_err(|e| OrdersError::Unexpected(anyhow::Error::new(e)))?;
        let order_no = order_number(self.calendar.date_of(at), row.id);
        order::Entity::update_many()
            .col_expr(order::Column::OrderNo, order_no.clone().into())
            .filter(order::Column::Id.eq(row.id))
            .exec(&txn)
            .await?;
        let stored = order_lines(lines, &self.subinventory);
        order_line::Entity::insert_many(line_rows(row.id, &stored, at)).exec_without_returning(&txn).await?;
        // The order as stored, built from what was just written rather than read back.
        let order = Order {
            order_no: order_no.clone(),
            source: row.source,
            source_code: row.source_code,
            status: row.status,
            payment_status: row.payment_status,
            member_account: checked.member.clone(),
            payer_customer_no: payer_no,
            receiver: checked.receiver.clone(),
            total_amount: total,
            shipping_fee: checked.shipping_fee,
            invoice: checked.invoice.clone(),
            payment_method: row.payment_method,
            has_payment_token: row.payment_token.is_some(),
            card_last4: row.card_last4,
            complimentary: row.complimentary,
            lines: stored,
            payments: Vec::new(),
            paid_at: row.paid_at,
            cancelled_at: None,
            ready_at: None,
            erp_order_no: None,
            erp_confirmed_at: None,
            shipped_at: None,
            channel_order_id: checked.channel_order_id.clone(),
            created_at: row.created_at,
            updated_at: row.updated_at,
        };
        let summary = json!({
            "orderNo": order_no, "source": checked.source.to_value(), "totalAmount": total.amount(),
            "customerNo": order.payer_customer_no, "memberAccount": checked.member.as_ref().map(Account::as_str),
        });
        append(&txn, "order.created", &order_no, summary, at).await?;
        if free {
            append(&txn, "order.paid", &order_no, paid_payload(&order, None), at).await?;
        }
        txn.commit().await?;
        Ok((order, true))
    }
}

/// The order lines of expanded `lines`, numbered from 0, sent to `subinventory`.
pub(super) fn order_lines(lines: &[ExpandedLine], subinventory: &str) -> Vec<OrderLine> {
    lines
        .iter()
        .zip(0..)
        .map(|(line, position)| OrderLine {
            position,
            input_line: i32::try_from(line.input_line).unwrap_or(i32::MAX),
            item_no: line.item_no.clone(),
            promotion_code: line.promotion_code.clone(),
            category: line.category,
            product_code: line.product_code.clone(),
            quantity: i32::try_from(line.quantity).unwrap_or(i32::MAX),
            returned_quantity: 0,
            shipped_quantity: 0,
            amount: line.amount,
            status: line.status,
            subinventory: subinventory.to_owned(),
        })
        .collect()
}

/// The rows of `lines` of order `order_id`, written at `at`.
pub(super) fn line_rows(
    order_id: i64,
    lines: &[OrderLine],
    at: DateTime<Utc>,
) -> Vec<order_line::ActiveModel> {
    lines
        .iter()
        .map(|line| order_line::ActiveModel {
            order_id: Set(order_id),
            position: Set(line.position),
            input_line: Set(line.input_line),
            item_no: Set(line.item_no.clone()),
            promotion_code: Set(line.promotion_code.clone()),
            category: Set(line.category),
            product_code: Set(line.product_code.clone()),
            quantity: Set(line.quantity),
            returned_quantity: Set(line.returned_quantity),
            shipped_quantity: Set(line.shipped_quantity),
            amount: Set(line.amount),
            status: Set(line.status),
            subinventory: Set(line.subinventory.clone()),
            created_at: Set(at),
            updated_at: Set(at),
            ..Default::default()
        })
        .collect()
}

/// The payload of `order.paid`: what entitlements and the EC need.
pub(super) fn paid_payload(order: &Order, transaction_id: Option<&str>) -> serde_json::Value {
    let lines: Vec<serde_json::Value> = order
        .lines
        .iter()
        .map(|l| {
            json!({ "position": l.position, "itemNo": l.item_no, "promotionCode": l.promotion_code,
                    "productCode": l.product_code, "quantity": l.quantity, "amount": l.amount.amount() })
        })
        .collect();
    json!({
        "orderNo": order.order_no, "totalAmount": order.total_amount.amount(), "transactionId": transaction_id,
        "customerNo": order.payer_customer_no, "memberAccount": order.member_account.as_ref().map(Account::as_str),
        "complimentary": order.complimentary, "lines": lines,
    })
}

/// The order already created with this idempotency key, if any; `CONFLICT` when its payload differs.
async fn replay(db: &impl sea_orm::ConnectionTrait, checked: &Checked) -> Result<Option<Order>, OrdersError> {
    let Some(existing) = order::Entity::find()
        .filter(order::Column::IdempotencyKey.eq(checked.idempotency_key.as_str()))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    if existing.request_hash != checked.hash {
        return Err(OrdersError::conflict("idempotencyKey", "was used for a different order"));
    }
    load_by_id(db, existing).await
}

async fn load_by_id(
    db: &impl sea_orm::ConnectionTrait,
    row: order::Model,
) -> Result<Option<Order>, OrdersError> {
    match row.order_no.as_deref() {
        Some(no) => find_order(db, no).await,
        None => Ok(None),
    }
}

fn prefix_payer(err: members::MembersError) -> OrdersError {
    match err {
        members::MembersError::Invalid { field, message } => {
            OrdersError::invalid(format!("payer.{field}"), message)
        }
        other => other.into(),
    }
}

/// Σ line amounts + shipping fee, itself an amount within [`Money::MAX`] (so a payment can always carry it).
pub(super) fn order_total(shipping_fee: Money, lines: &[ExpandedLine]) -> Result<Money, OrdersError> {
    lines.iter().try_fold(shipping_fee, |total, line| total.bounded_add(line.amount)).map_err(|_| {
        OrdersError::invalid(
            "lines",
            format!("the order's total must be at most {} TWD", Money::MAX.amount()),
        )
    })
}

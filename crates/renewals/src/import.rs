//! Renewals migrated from the ERP's 自動續訂單 (R14 `renewals-erp`): created with seed 004's defaults and
//! the live rules — the renewal plan and price of the promotion, R5's deduct date from the holder's
//! entitlements — keyed by the ERP order so a re-run creates nothing twice. Card numbers are never
//! stored: without a gateway token the renewal stays PENDING and its charge fails with
//! `NO_PAYMENT_METHOD` (R9), which asks the payer for a card. A re-run that brings a token fills it in.

use crate::entity::renewal;
use crate::service::{Holder, ensure_idle, holder_deduct_date, move_deduct_date, renewal_plan};
use crate::store::event;
use crate::{RenewalStatus, RenewalsError};
use chrono::{DateTime, NaiveDate, Utc};
use members::service as members_service;
use members::{Address, Change, CustomerInput};
use platform_core::CustomerId;
use platform_core::db::begin_write;
use platform_core::json::JsonText;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    QueryFilter,
};
use serde_json::json;

/// One row of the ERP export, parsed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ErpRenewal {
    /// `CUSTOMER_NUMBER`: the payer's customerNo (created when missing, with the row's contact).
    pub customer_no: String,
    /// `CUSTOMER_ID`: the ERP id.
    pub customer_erp_id: Option<String>,
    /// `GC_ORDER_NUMBER`: the ERP order the customer agreed to renew; the renewal's key.
    pub erp_order_no: Option<String>,
    /// `PROD_TYPE`: tells the channels' renewals apart (kept as `productName`).
    pub product_type: Option<String>,
    /// `PROMOTION`: the renewable promotion.
    pub promotion_code: String,
    /// The last 4 digits of `CREDIT_CARD_NUMBER`.
    pub card_last4: Option<String>,
    /// A gateway token for the card, when the gateway has converted it.
    pub payment_token: Option<String>,
    /// `CUSTOMER_NAME`: the receiver.
    pub receiver_name: Option<String>,
    /// `SH_MOBILE`.
    pub mobile: Option<String>,
    /// `SH_EMAIL`.
    pub email: Option<String>,
    /// `COUNTRY POSTAL_CODE TOWN_OR_CITY SHIP_ADDRESS`.
    pub address: Address,
    /// `FREIGHT_CHARGE`, within `Money::MAX`.
    pub shipping_fee: platform_core::Money,
    /// `GC_SUB_END_DATE` / `KC_SUB_END_DATE`: the deduct date when the holder has no entitlement yet.
    pub exported_due_dates: Vec<NaiveDate>,
}

/// What importing one row did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Imported {
    /// A new renewal.
    Inserted,
    /// The renewal existed and took the row's new token, card or receiver.
    Updated,
    /// The renewal existed as the row says (or is no longer PENDING).
    Unchanged,
}

/// Imports `row` inside the caller's transaction; `Err` is the row's reject reason (business) or a
/// database failure.
pub async fn import_erp_renewal(
    db: &impl ConnectionTrait,
    row: ErpRenewal,
    today: NaiveDate,
    at: DateTime<Utc>,
) -> Result<Imported, RenewalsError> {
    let (plan, codes) = renewal_plan(db, &row.promotion_code).await?;
    // What one cycle will charge: the plan's price plus the shipping fee, within the bound of every amount.
    row.shipping_fee.bounded_add(plan.total_amount).map_err(|e| RenewalsError::Invalid {
        field: "FREIGHT_CHARGE",
        message: format!("the plan's price plus the shipping fee {e}"),
    })?;
    let key = match &row.erp_order_no {
        Some(no) => format!("erp:{no}"),
        None => format!("erp:{}:{}", row.customer_no, row.promotion_code),
    };
    let receiver = receiver_json(&row)?;
    if let Some(existing) =
        renewal::Entity::find().filter(renewal::Column::CreationKey.eq(key.as_str())).one(db).await?
    {
        return update_existing(db, existing, &row, receiver, at).await;
    }
    let customer_id = match members_service::customer_id(db, &row.customer_no).await? {
        Some(id) => id,
        None => create_customer(db, &row, at).await?,
    };
    let (member_id, account) = match members_service::first_member_of(db, customer_id).await? {
        Some((id, account)) => (Some(id), Some(account)),
        None => (None, None),
    };
    let holder = Holder { customer_no: &row.customer_no, account: account.as_ref() };
    let deduct = match holder.deduct_date(db, &codes).await? {
        Some(date) => date,
        None => row.exported_due_dates.iter().min().copied().ok_or_else(|| RenewalsError::Invalid {
            field: "GC_SUB_END_DATE",
            message: "the customer holds none of the plan's products and the row gives no end date".into(),
        })?,
    };
    if deduct < today {
        return Err(RenewalsError::Invalid {
            field: "deductDate",
            message: format!(
                "the deduct date {deduct} (R5: the day before the holder's earliest due date) is before the \
                 cut-over day {today}: the entitlement has run out"
            ),
        });
    }
    // Seed 004's defaults: a paper invoice (類型 1) titled with the receiver's name, nothing else.
    let invoice = orders::Invoice {
        invoice_type: orders::invoice::PAPER,
        title: row.receiver_name.clone(),
        ..orders::Invoice::default()
    };
    let invoice = crate::store::json(invoice)?;
    let created = renewal::ActiveModel {
        customer_id: Set(customer_id),
        member_id: Set(member_id),
        promotion_code: Set(plan.promotion_code.clone()),
        product_codes: Set(codes.clone()),
        product_name: Set(row.product_type.clone().or_else(|| Some(plan.name.clone()))),
        deduct_date: Set(deduct),
        deduct_price: Set(plan.total_amount),
        shipping_fee: Set(row.shipping_fee),
        payment: Set("信用卡".to_owned()),
        payment_method: Set(Some("CREDIT_CARD".to_owned())),
        payment_card: Set(row.card_last4.clone()),
        payment_token: Set(row.payment_token.clone().map(platform_core::tokens::Token::new)),
        renew_status: Set(i16::from(RenewalStatus::Pending.code())),
        cycle: Set(1),
        source: Set("AUTO".to_owned()),
        source_code: Set(None),
        origin_order_no: Set(row.erp_order_no.clone()),
        creation_key: Set(Some(key)),
        receiver: Set(Some(receiver)),
        invoice: Set(Some(invoice)),
        attempts: Set(0),
        created_at: Set(at),
        updated_at: Set(at),
        ..Default::default()
    }
    .insert(db)
    .await?;
    event(
        db,
        "renewal.created",
        &created,
        json!({ "deductDate": created.deduct_date, "deductPrice": created.deduct_price, "importedFrom": "ERP" }),
        at,
    )
    .await?;
    Ok(Imported::Inserted)
}

/// **R5** after imported entitlements changed: each PENDING renewal of these customers that is not being
/// charged takes the deduct date its holder's entitlements now give (`renewal.rescheduled`). Returns how
/// many moved.
pub async fn reschedule_after_import(
    db: &DatabaseConnection,
    customer_ids: &[CustomerId],
    at: DateTime<Utc>,
) -> Result<u64, RenewalsError> {
    let mut moved = 0;
    for chunk in customer_ids.chunks(5_000) {
        let pending = renewal::Entity::find()
            .filter(renewal::Column::CustomerId.is_in(chunk.to_vec()))
            .filter(renewal::Column::RenewStatus.eq(i16::from(RenewalStatus::Pending.code())))
            .all(db)
            .await?;
        for row in pending {
            let txn = begin_write(db).await?;
            if ensure_idle(&txn, &row).await.is_err() {
                continue;
            }
            let Some(deduct) = holder_deduct_date(&txn, &row).await? else { continue };
            if deduct == row.deduct_date {
                continue;
            }
            move_deduct_date(&txn, row, deduct, at).await?;
            txn.commit().await?;
            moved += 1;
        }
    }
    Ok(moved)
}

/// A re-run: a PENDING renewal not being charged takes the row's token, card, receiver and fee.
async fn update_existing(
    db: &impl ConnectionTrait,
    existing: renewal::Model,
    row: &ErpRenewal,
    receiver: JsonText<orders::Receiver>,
    at: DateTime<Utc>,
) -> Result<Imported, RenewalsError> {
    let pending = existing.renew_status == i16::from(RenewalStatus::Pending.code())
        && ensure_idle(db, &existing).await.is_ok();
    let token = row
        .payment_token
        .clone()
        .map(platform_core::tokens::Token::new)
        .or_else(|| existing.payment_token.clone());
    let card = row.card_last4.clone().or_else(|| existing.payment_card.clone());
    let same = token == existing.payment_token
        && card == existing.payment_card
        && Some(&receiver) == existing.receiver.as_ref()
        && row.shipping_fee == existing.shipping_fee;
    if !pending || same {
        return Ok(Imported::Unchanged);
    }
    let mut change: renewal::ActiveModel = existing.into();
    change.payment_token = Set(token);
    change.payment_card = Set(card);
    change.receiver = Set(Some(receiver));
    change.shipping_fee = Set(row.shipping_fee);
    change.updated_at = Set(at);
    change.update(db).await?;
    Ok(Imported::Updated)
}

async fn create_customer(
    db: &impl ConnectionTrait,
    row: &ErpRenewal,
    at: DateTime<Utc>,
) -> Result<CustomerId, RenewalsError> {
    let set = |value: &Option<String>| value.clone().map_or(Change::Keep, Change::Set);
    let input = CustomerInput {
        customer_no: Some(row.customer_no.clone()),
        customer_id: set(&row.customer_erp_id),
        name: set(&row.receiver_name),
        email: set(&row.email),
        phone: Change::Keep,
        mobile: set(&row.mobile),
        address: if row.address == Address::default() {
            Change::Keep
        } else {
            Change::Set(row.address.clone())
        },
        parent_customer_no: Change::Keep,
        addresses: Change::Keep,
        contacts: Change::Keep,
    };
    let (id, _, _) = members_service::upsert_customer_in(db, input, at).await?;
    Ok(id)
}

/// The receiver as the charge run's AUTO order reads it (`orders::model::Receiver`).
fn receiver_json(row: &ErpRenewal) -> Result<JsonText<orders::Receiver>, RenewalsError> {
    let receiver = orders::model::Receiver {
        name: row.receiver_name.clone().unwrap_or_default(),
        phone: row.mobile.clone(),
        mobile: row.mobile.clone(),
        email: row.email.clone(),
        address: row.address.clone(),
    };
    crate::store::json(receiver)
}

//! **R21, APP subscriptions** (seed 004 APP訂閱 / APP續訂 with the IAP server): an auto-renewing store
//! product's order gets a renewal in status APP (5) — created by R7 like any other, never charged by the
//! charge run (it selects PENDING renewals only). Each store renewal the IAP server reports is an APP order
//! (keyed by the store's transaction id), paid by the store, whose grant extends the entitlement as a
//! purchase does; the renewal counts the cycle and takes the store's next renewal date as its deduct date.
//! A cancellation at the store stops the renewal; the access already paid for runs to its end.

use crate::RenewalsError;
use crate::entity::renewal;
use crate::service::{Renewal, find_renewal};
use crate::status::RenewalStatus;
use crate::store::{code, event};
use chrono::{DateTime, Utc};
use orders::service::OrderService;
use orders::{LineInput, NewOrder, OrderSource, Payer, PaymentReport, PaymentResult};
use platform_core::BusinessCalendar;
use platform_core::RenewalId;
use platform_core::db::begin_write;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::json;

/// The longest store term a renewal may report (a yearly plan, with room for the store's grace period).
const MAX_TERM_DAYS: i64 = 400;

/// A store renewal recorded.
#[derive(Debug, Clone, PartialEq)]
pub struct AppRenewal {
    /// The renewal, after it.
    pub renewal: Renewal,
    /// The APP order of this store renewal.
    pub order_no: String,
    /// Whether this call recorded it (`false`: the same transaction was recorded before).
    pub recorded_now: bool,
}

fn store_id(field: &'static str, raw: &str) -> Result<String, RenewalsError> {
    let id = raw.trim();
    if id.is_empty() || id.len() > 128 || id.chars().any(char::is_control) {
        return Err(RenewalsError::Invalid { field, message: "1–128 printable characters".to_owned() });
    }
    Ok(id.to_owned())
}

/// The creation key of an imported store subscription's renewal (R14 `app-entitlements`).
fn imported_key(original_transaction_id: &str) -> String {
    format!("app:{original_transaction_id}")
}

/// The APP order of the store subscription `original_transaction_id` (none for one imported from the
/// legacy APP 權益 file) and its renewal.
async fn subscription(
    db: &impl ConnectionTrait,
    original_transaction_id: &str,
) -> Result<(Option<orders::Order>, renewal::Model), RenewalsError> {
    let Some(origin) =
        orders::service::find_by_channel(db, OrderSource::App, original_transaction_id).await?
    else {
        let imported = renewal::Entity::find()
            .filter(renewal::Column::CreationKey.eq(imported_key(original_transaction_id)))
            .one(db)
            .await?
            .ok_or_else(|| RenewalsError::NotFound {
                field: "originalTransactionId",
                message: format!(
                    "no APP order with the store's original transaction {original_transaction_id}"
                ),
            })?;
        return Ok((None, imported));
    };
    let renewal = renewal::Entity::find()
        .filter(renewal::Column::OriginOrderNo.eq(origin.order_no.as_str()))
        .filter(renewal::Column::RenewStatus.is_in([code(RenewalStatus::App), code(RenewalStatus::Stopped)]))
        .order_by_desc(renewal::Column::Id)
        .one(db)
        .await?
        .ok_or_else(|| RenewalsError::NotFound {
            field: "originalTransactionId",
            message: format!(
                "order {} has no APP renewal yet (CREATE_RENEWALS makes it once the order is paid)",
                origin.order_no
            ),
        })?;
    Ok((Some(origin), renewal))
}

/// What an APP order of a store renewal carries of its subscriber: payer, member, receiver, invoice — from
/// the first APP order, or (an imported subscription) from the renewal's customer and member.
async fn subscriber(
    db: &impl ConnectionTrait,
    origin: Option<&orders::Order>,
    row: &renewal::Model,
) -> Result<(String, Option<String>, orders::Receiver, Option<orders::Invoice>), RenewalsError> {
    if let Some(o) = origin {
        let member = o.member_account.as_ref().map(|a| a.as_str().to_owned());
        return Ok((o.payer_customer_no.clone(), member, o.receiver.clone(), Some(o.invoice.clone())));
    }
    let mut customers = members::service::find_customers_by_id(db, &[row.customer_id]).await?;
    let customer = customers
        .remove(&row.customer_id)
        .ok_or_else(|| anyhow::anyhow!("customer {} vanished", row.customer_id))?;
    let member = match row.member_id {
        Some(id) => {
            members::service::accounts_of(db, &[id]).await?.remove(&id).map(|a| a.as_str().to_owned())
        }
        None => None,
    };
    let name =
        customer.name.clone().or_else(|| member.clone()).unwrap_or_else(|| customer.customer_no.clone());
    let receiver = orders::Receiver { name, email: member.clone(), ..orders::Receiver::default() };
    Ok((customer.customer_no, member, receiver, None))
}

/// Opens the APP renewal (status 5) of a store subscription imported from the legacy APP 權益 file (R14
/// `app-entitlements`, current subscribers only): for member `account`'s linked customer, renewing plan
/// `promotion_code`, keyed by the store's original transaction so `recordAppRenewal` finds it. `Ok(false)`:
/// it exists already.
pub async fn open_imported(
    db: &sea_orm::DatabaseConnection,
    calendar: BusinessCalendar,
    account: &members::Account,
    promotion_code: &str,
    original_transaction_id: &str,
    at: DateTime<Utc>,
) -> Result<bool, RenewalsError> {
    let original = store_id("ORIGINAL_TRANSACTION_ID", original_transaction_id)?;
    let Some(customer) = members::service::customers_of_member(db, account).await?.into_iter().next() else {
        return Err(RenewalsError::Invalid {
            field: "USERID",
            message: format!("member {account} is linked to no customer (import member-customers first)"),
        });
    };
    let input = crate::service::NewRenewal {
        customer_no: customer.customer_no,
        member_account: Some(account.as_str().to_owned()),
        promotion_code: promotion_code.to_owned(),
        creation_key: Some(imported_key(&original)),
        store: true,
        ..crate::service::NewRenewal::default()
    };
    match crate::service::create_renewal(db, calendar, input, at).await {
        Ok(_) => Ok(true),
        Err(RenewalsError::Conflict(message)) if message.contains("exists already") => Ok(false),
        Err(err) => Err(err),
    }
}

/// Records the store renewal `transaction_id` of subscription `original_transaction_id`, valid until
/// `expires_at`: an APP order of the renewal's plan paid by the store, its entitlements granted (extended),
/// the renewal's cycle counted and its deduct date moved to the expiry, `renewal.app_renewed`. The same
/// transaction again answers what was recorded; a stopped subscription is `CONFLICT`.
pub async fn record_app_renewal(
    orders: &OrderService,
    calendar: BusinessCalendar,
    original_transaction_id: &str,
    transaction_id: &str,
    expires_at: DateTime<Utc>,
    at: DateTime<Utc>,
) -> Result<AppRenewal, RenewalsError> {
    let original = store_id("originalTransactionId", original_transaction_id)?;
    let transaction = store_id("transactionId", transaction_id)?;
    if expires_at <= at || expires_at > at + chrono::Duration::days(MAX_TERM_DAYS) {
        return Err(RenewalsError::Invalid {
            field: "expiresAt",
            message: format!("must be after now and at most {MAX_TERM_DAYS} days ahead"),
        });
    }
    let db = orders.db();
    let (origin, row) = subscription(db, &original).await?;
    let stopped = row.renew_status == code(RenewalStatus::Stopped);
    let key = format!("app-renewal:{transaction}");
    let existing = orders::service::find_by_channel(db, OrderSource::App, &transaction).await?;
    if stopped && existing.is_none() {
        return Err(RenewalsError::Conflict(format!("the APP subscription {original} was cancelled")));
    }
    let (payer, member_account, receiver, invoice) = subscriber(db, origin.as_ref(), &row).await?;
    let input = NewOrder {
        idempotency_key: key,
        source: Some(OrderSource::App),
        channel_order_id: Some(transaction.clone()),
        source_code: origin.as_ref().and_then(|o| o.source_code.clone()),
        member_account,
        payer: Payer::Existing(payer),
        receiver,
        lines: vec![LineInput {
            item_no: row.promotion_code.clone(),
            quantity: 1,
            amount: row.deduct_price.amount(),
        }],
        invoice,
        payment_method: Some("APP".to_owned()),
        ..NewOrder::default()
    };
    let (order, created) = orders.create(input, at).await?;
    let report = PaymentReport {
        order_no: order.order_no.clone(),
        transaction_id: transaction.clone(),
        status: PaymentResult::Paid,
        amount: order.total_amount.amount(),
        paid_at: Some(at),
    };
    orders.record_payment(report, at).await?;
    entitlements::grant::grant_order(db, calendar, &order.order_no, at).await?;
    if created {
        let txn = begin_write(db).await?;
        let deduct = calendar.date_of(expires_at);
        let updated = renewal::Entity::update_many()
            .col_expr(renewal::Column::Cycle, Expr::col(renewal::Column::Cycle).add(1))
            .col_expr(renewal::Column::DeductDate, Expr::value(deduct))
            .col_expr(renewal::Column::UpdatedAt, Expr::value(at))
            .filter(renewal::Column::Id.eq(row.id))
            .exec_with_returning(&txn)
            .await?;
        if let Some(after) = updated.first() {
            let extra =
                json!({ "transactionId": transaction, "expiresAt": expires_at, "orderNo": order.order_no });
            event(&txn, "renewal.app_renewed", after, extra, at).await?;
        }
        txn.commit().await?;
    }
    let renewal = find_renewal(db, RenewalId(row.id))
        .await?
        .ok_or_else(|| anyhow::anyhow!("renewal {} vanished", row.id))?;
    Ok(AppRenewal { renewal, order_no: order.order_no, recorded_now: created })
}

/// The store says subscription `original_transaction_id` is cancelled: its renewal is STOPPED
/// (`renewal.stopped`); the access paid for runs to its end. Again: as it is.
pub async fn cancel_app_subscription(
    db: &sea_orm::DatabaseConnection,
    original_transaction_id: &str,
    at: DateTime<Utc>,
) -> Result<Renewal, RenewalsError> {
    let original = store_id("originalTransactionId", original_transaction_id)?;
    let (_, row) = subscription(db, &original).await?;
    if row.renew_status == code(RenewalStatus::App) {
        let txn = begin_write(db).await?;
        let stopped = renewal::Entity::update_many()
            .col_expr(renewal::Column::RenewStatus, Expr::value(code(RenewalStatus::Stopped)))
            .col_expr(renewal::Column::UpdatedAt, Expr::value(at))
            .filter(renewal::Column::Id.eq(row.id))
            .filter(renewal::Column::RenewStatus.eq(code(RenewalStatus::App)))
            .exec_with_returning(&txn)
            .await?;
        if let Some(after) = stopped.first() {
            event(
                &txn,
                "renewal.stopped",
                after,
                json!({ "reason": "APP_STORE", "originalTransactionId": original }),
                at,
            )
            .await?;
        }
        txn.commit().await?;
    }
    find_renewal(db, RenewalId(row.id))
        .await?
        .ok_or_else(|| anyhow::anyhow!("renewal {} vanished", row.id).into())
}

//! `orders`: the legacy ERP's order history (seed 004 開帳當天; 同意續訂訂單 `GC_ORDER_NUMBER` 需要同步該訂單到
//! 中台), one row per order line, the rows of one order together: `ORDER_NUMBER, ORDER_DATE,
//! CUSTOMER_NUMBER, USERID, ORDER_STATUS (PAID, SHIPPED, CANCELLED), PAID_AT, SHIPPED_AT, PAYMENT_METHOD,
//! TRANSACTION_ID, CREDIT_CARD_NUMBER, ITEM_NO, QUANTITY, AMOUNT, FREIGHT_CHARGE, CUSTOMER_NAME, SH_MOBILE,
//! SH_EMAIL, COUNTRY, POSTAL_CODE, TOWN_OR_CITY, SHIP_ADDRESS`. Each order goes through
//! [`orders::OrderService::import_history`] under its legacy number — so the renewals of `renewals-erp`
//! find their origin order by it — in a savepoint of the batch's transaction: a refused order (all its rows,
//! with the reason) leaves the others standing. Only the last 4 digits of a card are kept. Import
//! `customers` (and `member-profiles` for `USERID`) and the catalog first.

use super::{Written, gather, refusal, tally};
use crate::source::{Column, Header, Record, optional, required};
use crate::{ImportError, Loader, Options, Outcome, Parsed, parse};
use members::Address;
use orders::service::{HistoryImported, HistoryOrder, HistoryStatus, MAX_LEGACY_ORDER_NO, OrderService};
use orders::{LineInput, Receiver};
use platform_core::Money;
use sea_orm::{DatabaseConnection, TransactionTrait};

const COLUMNS: &[Column] = &[
    required("ORDER_NUMBER"),
    required("ORDER_DATE"),
    required("CUSTOMER_NUMBER"),
    optional("USERID"),
    optional("ORDER_STATUS"),
    optional("PAID_AT"),
    optional("SHIPPED_AT"),
    optional("PAYMENT_METHOD"),
    optional("TRANSACTION_ID"),
    optional("CREDIT_CARD_NUMBER"),
    required("ITEM_NO"),
    optional("QUANTITY"),
    required("AMOUNT"),
    optional("FREIGHT_CHARGE"),
    required("CUSTOMER_NAME"),
    optional("SH_MOBILE"),
    optional("SH_EMAIL"),
    optional("COUNTRY"),
    optional("POSTAL_CODE"),
    optional("TOWN_OR_CITY"),
    optional("SHIP_ADDRESS"),
];

/// How long the catalog answers of one batch are kept.
const CATALOG_TTL: std::time::Duration = std::time::Duration::from_secs(60);

/// One row: its order (with this row's line only).
#[derive(Debug, Clone)]
pub(crate) struct OrderRow(HistoryOrder);

impl crate::Keyed for OrderRow {
    fn keys(&self) -> Vec<String> {
        Vec::new()
    }

    fn group(&self) -> Option<&str> {
        Some(&self.0.order_no)
    }
}

pub(crate) struct Orders;

impl Loader for Orders {
    type Row = OrderRow;

    fn columns(&self) -> &'static [Column] {
        COLUMNS
    }

    fn parse(&self, header: &Header, record: &Record, options: &Options) -> Result<Parsed<OrderRow>, String> {
        let get = |column| header.get(record, column);
        let text = |column, max| get(column).map(|v| parse::text(column, v, max)).transpose();
        let time = |column| get(column).map(|v| parse::local_time(column, v, options.calendar)).transpose();
        let order_no =
            parse::text("ORDER_NUMBER", get("ORDER_NUMBER").unwrap_or_default(), MAX_LEGACY_ORDER_NO)?;
        let customer_no =
            members::validate::customer_no("CUSTOMER_NUMBER", get("CUSTOMER_NUMBER").unwrap_or_default())
                .map_err(|e| e.to_string())?;
        let member_account = get("USERID")
            .map(|raw| members::Account::parse(raw).map_err(|e| format!("USERID: {e}")))
            .transpose()?;
        let status = match get("ORDER_STATUS") {
            None => HistoryStatus::Paid,
            Some(raw) => HistoryStatus::parse(raw)
                .ok_or_else(|| format!("ORDER_STATUS: {raw:?} is not PAID, SHIPPED or CANCELLED"))?,
        };
        let quantity = get("QUANTITY").map(|raw| parse::int("QUANTITY", raw)).transpose()?.unwrap_or(1);
        let quantity = i32::try_from(quantity)
            .ok()
            .filter(|q| (1..=1000).contains(q))
            .ok_or_else(|| format!("QUANTITY: {quantity} is not 1-1000"))?;
        let amount = parse::int("AMOUNT", get("AMOUNT").unwrap_or_default())?;
        let amount = Money::bounded(amount).map_err(|e| format!("AMOUNT: {e}"))?;
        if amount < Money::ZERO {
            return Err("AMOUNT: must not be negative".into());
        }
        let fee =
            get("FREIGHT_CHARGE").map(|raw| parse::int("FREIGHT_CHARGE", raw)).transpose()?.unwrap_or(0);
        let fee = Money::bounded(fee).map_err(|e| format!("FREIGHT_CHARGE: {e}"))?;
        if fee < Money::ZERO {
            return Err("FREIGHT_CHARGE: must not be negative".into());
        }
        let email = get("SH_EMAIL")
            .map(|raw| members::validate::email("SH_EMAIL", &parse::maybe_base64_email(raw)))
            .transpose()
            .map_err(|e| e.to_string())?;
        let mobile = get("SH_MOBILE")
            .map(|raw| members::validate::phone("SH_MOBILE", raw))
            .transpose()
            .map_err(|e| e.to_string())?;
        let receiver = Receiver {
            name: parse::text("CUSTOMER_NAME", get("CUSTOMER_NAME").unwrap_or_default(), 200)?,
            phone: mobile.clone(),
            mobile,
            email,
            address: Address {
                country: text("COUNTRY", 100)?,
                postal_code: text("POSTAL_CODE", 20)?,
                city: text("TOWN_OR_CITY", 100)?,
                street: text("SHIP_ADDRESS", 300)?,
            },
        };
        Ok(Parsed::one(OrderRow(HistoryOrder {
            order_no,
            ordered_at: parse::local_time(
                "ORDER_DATE",
                get("ORDER_DATE").unwrap_or_default(),
                options.calendar,
            )?,
            payer_customer_no: customer_no,
            member_account,
            status,
            paid_at: time("PAID_AT")?,
            shipped_at: time("SHIPPED_AT")?,
            payment_method: Some(text("PAYMENT_METHOD", 32)?.unwrap_or_else(|| "CREDIT_CARD".to_owned())),
            transaction_id: text("TRANSACTION_ID", 100)?,
            card_last4: get("CREDIT_CARD_NUMBER")
                .map(|raw| parse::card_last4("CREDIT_CARD_NUMBER", raw))
                .transpose()?,
            receiver,
            shipping_fee: fee,
            lines: vec![LineInput {
                item_no: parse::text("ITEM_NO", get("ITEM_NO").unwrap_or_default(), 64)?,
                quantity,
                amount: amount.amount(),
            }],
        })))
    }

    async fn merge(
        &self,
        db: &DatabaseConnection,
        batch: Vec<(u64, OrderRow)>,
        options: &Options,
    ) -> Result<Outcome, ImportError> {
        let service = OrderService::new(
            db.clone(),
            catalog::Catalog::new(db.clone(), CATALOG_TTL),
            options.calendar,
            options.subinventory.clone(),
        );
        let txn = platform_core::db::begin_write(db).await.map_err(anyhow::Error::new)?;
        let mut outcome = Outcome::default();
        let orders = gather(
            batch,
            |OrderRow(row)| row.order_no.clone(),
            |OrderRow(first), OrderRow(row)| {
                if !same_order(first, &row) {
                    return Err(format!(
                        "the rows of order {} disagree on the order (date, customer, member, status, payment, \
                     receiver or shipping fee)",
                        first.order_no
                    ));
                }
                first.lines.extend(row.lines);
                Ok(())
            },
        );
        for (lines, order) in orders {
            let answer = match order {
                Ok(OrderRow(order)) => {
                    let savepoint = txn.begin().await.map_err(anyhow::Error::new)?;
                    match service.import_history(&savepoint, &order, options.at).await {
                        Ok(done) => {
                            savepoint.commit().await.map_err(anyhow::Error::new)?;
                            Ok(match done {
                                HistoryImported::Inserted => Written::Inserted,
                                HistoryImported::Updated => Written::Updated,
                                HistoryImported::Unchanged => Written::Unchanged,
                            })
                        }
                        Err(err) => {
                            savepoint.rollback().await.map_err(anyhow::Error::new)?;
                            Err(refusal(err)?)
                        }
                    }
                }
                Err(reason) => Err(reason),
            };
            // Every row of the order counts as the order did.
            tally(&mut outcome, lines, &answer);
        }
        super::finish(txn, options.dry_run).await?;
        Ok(outcome)
    }
}

/// `a` and `b` are rows of the same order: everything but their lines agrees.
fn same_order(a: &HistoryOrder, b: &HistoryOrder) -> bool {
    HistoryOrder { lines: Vec::new(), ..a.clone() } == HistoryOrder { lines: Vec::new(), ..b.clone() }
}

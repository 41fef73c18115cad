//! `renewals-erp`: the ERP 自動續訂單 of seed 004 (`CUSTOMER_NUMBER, CUSTOMER_ID, GC_ORDER_NUMBER,
//! PROD_TYPE, SEGMENT1, PROMOTION, CREDIT_CARD_NUMBER, C_CARD_EXP_DATE, SH_MOBILE, SH_EMAIL,
//! GC_SUB_END_DATE, GC_SUB_END_VOLUMN, KC_SUB_END_DATE, CUSTOMER_NAME, COUNTRY, POSTAL_CODE, TOWN_OR_CITY,
//! SHIP_ADDRESS, FREIGHT_CHARGE`, plus `PAYMENT_TOKEN` once the gateway has converted the cards). Each row
//! goes through [`renewals::import`] — the plan's price, R5's deduct date — one by one inside the batch's
//! transaction, each in a savepoint so that a refused row leaves the others standing. Only the last 4
//! digits of the card are kept.

use crate::source::{Column, Header, Record, optional, required};
use crate::{ImportError, Loader, Options, Outcome, Parsed, parse};
use members::Address;
use renewals::import::{ErpRenewal, Imported, import_erp_renewal};
use sea_orm::{DatabaseConnection, TransactionTrait};

pub(crate) struct RenewalsErp;

impl crate::Keyed for ErpRenewal {
    fn keys(&self) -> Vec<String> {
        // The renewal's key, and the customer: rows of one customer are imported in file order.
        vec![format!("order:{:?}", self.erp_order_no), format!("customer:{}", self.customer_no)]
    }
}

const COLUMNS: &[Column] = &[
    required("CUSTOMER_NUMBER"),
    optional("CUSTOMER_ID"),
    optional("GC_ORDER_NUMBER"),
    optional("PROD_TYPE"),
    optional("SEGMENT1"),
    required("PROMOTION"),
    optional("CREDIT_CARD_NUMBER"),
    optional("C_CARD_EXP_DATE"),
    optional("SH_MOBILE"),
    optional("SH_EMAIL"),
    optional("GC_SUB_END_DATE"),
    optional("GC_SUB_END_VOLUMN"),
    optional("KC_SUB_END_DATE"),
    optional("CUSTOMER_NAME"),
    optional("COUNTRY"),
    optional("POSTAL_CODE"),
    optional("TOWN_OR_CITY"),
    optional("SHIP_ADDRESS"),
    optional("FREIGHT_CHARGE"),
    optional("PAYMENT_TOKEN"),
];

impl Loader for RenewalsErp {
    type Row = ErpRenewal;

    fn columns(&self) -> &'static [Column] {
        COLUMNS
    }

    fn parse(
        &self,
        header: &Header,
        record: &Record,
        _options: &Options,
    ) -> Result<Parsed<ErpRenewal>, String> {
        let get = |column| header.get(record, column);
        let owned = |column| get(column).map(str::to_owned);
        let customer_no =
            members::validate::customer_no("CUSTOMER_NUMBER", get("CUSTOMER_NUMBER").unwrap_or_default())
                .map_err(|e| e.to_string())?;
        let email = get("SH_EMAIL")
            .map(|raw| members::validate::email("SH_EMAIL", &parse::maybe_base64_email(raw)))
            .transpose()
            .map_err(|e| e.to_string())?;
        let mobile = get("SH_MOBILE")
            .map(|raw| members::validate::phone("SH_MOBILE", raw))
            .transpose()
            .map_err(|e| e.to_string())?;
        let mut exported_due_dates = Vec::new();
        for column in ["GC_SUB_END_DATE", "KC_SUB_END_DATE"] {
            if let Some(raw) = get(column) {
                exported_due_dates.push(parse::date(column, raw)?);
            }
        }
        let shipping_fee = match get("FREIGHT_CHARGE") {
            Some(raw) => platform_core::Money::bounded(parse::int("FREIGHT_CHARGE", raw)?)
                .map_err(|e| format!("FREIGHT_CHARGE: {e}"))?,
            None => platform_core::Money::ZERO,
        };
        Ok(Parsed::one(ErpRenewal {
            customer_no,
            customer_erp_id: owned("CUSTOMER_ID"),
            erp_order_no: get("GC_ORDER_NUMBER")
                .map(|v| parse::text("GC_ORDER_NUMBER", v, 24))
                .transpose()?,
            product_type: get("PROD_TYPE").map(|v| parse::text("PROD_TYPE", v, 200)).transpose()?,
            promotion_code: get("PROMOTION").unwrap_or_default().to_owned(),
            card_last4: get("CREDIT_CARD_NUMBER")
                .map(|raw| parse::card_last4("CREDIT_CARD_NUMBER", raw))
                .transpose()?,
            payment_token: get("PAYMENT_TOKEN").map(|v| parse::text("PAYMENT_TOKEN", v, 256)).transpose()?,
            receiver_name: get("CUSTOMER_NAME").map(|v| parse::text("CUSTOMER_NAME", v, 200)).transpose()?,
            mobile,
            email,
            address: Address {
                country: owned("COUNTRY"),
                postal_code: owned("POSTAL_CODE"),
                city: owned("TOWN_OR_CITY"),
                street: owned("SHIP_ADDRESS"),
            },
            shipping_fee,
            exported_due_dates,
        }))
    }

    async fn merge(
        &self,
        db: &DatabaseConnection,
        batch: Vec<(u64, ErpRenewal)>,
        options: &Options,
    ) -> Result<Outcome, ImportError> {
        let txn = platform_core::db::begin_write(db).await.map_err(anyhow::Error::new)?;
        let mut outcome = Outcome::default();
        for (line, row) in batch {
            let savepoint = txn.begin().await.map_err(anyhow::Error::new)?;
            match import_erp_renewal(&savepoint, row, options.as_of, options.at).await {
                Ok(done) => {
                    savepoint.commit().await.map_err(anyhow::Error::new)?;
                    match done {
                        Imported::Inserted => outcome.inserted += 1,
                        Imported::Updated => outcome.updated += 1,
                        Imported::Unchanged => outcome.unchanged += 1,
                    }
                }
                // A refusal of any domain the row reaches (renewals, or members for its customer) rejects
                // the row; anything unexpected stops the import.
                Err(err) => {
                    let reason = super::refusal(err)?;
                    savepoint.rollback().await.map_err(anyhow::Error::new)?;
                    outcome.rejects.push((line, reason));
                }
            }
        }
        if options.dry_run {
            txn.rollback().await.map_err(anyhow::Error::new)?;
        } else {
            txn.commit().await.map_err(anyhow::Error::new)?;
        }
        Ok(outcome)
    }
}

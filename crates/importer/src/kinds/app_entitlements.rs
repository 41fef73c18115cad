//! `app-entitlements`: the legacy APP 權益 file (seed 004 開帳: APP權益現訂戶 the day of, APP權益斷訂戶 after,
//! 不建續訂單): `USERID` (the member's account), `PRODUCT` (a PERIOD product, `KCW`), `ORIGINAL_TRANSACTION_ID`
//! (the store's), `EXPIRES_DATE`, `PROMOTION` (the store plan's renewable promotion; current subscribers
//! only). Every row becomes the member's term as `digital-entitlements` makes it (CURRENT or LAPSED against
//! `--as-of`, IMPORT ledger row, never backwards); a current one (expiring on or after the cut-over day) also
//! gets its APP renewal (status 5, never charged by the platform) for the member's linked customer, keyed by
//! the original transaction so the IAP server's `recordAppRenewal` and `cancelAppSubscription` find it; a
//! lapsed one none. A re-run changes nothing.

use crate::source::{Column, Header, Record, optional, required};
use crate::{ImportError, Loader, Options, Outcome, Parsed, parse};
use entitlements::import::{PeriodImport, import_periods};
use sea_orm::DatabaseConnection;

const COLUMNS: &[Column] = &[
    required("USERID"),
    required("PRODUCT"),
    required("ORIGINAL_TRANSACTION_ID"),
    required("EXPIRES_DATE"),
    optional("PROMOTION"),
];

pub(crate) struct AppEntitlements;

/// One row: the term and, for a current subscriber, its store subscription.
pub(crate) struct AppEntitlement {
    term: PeriodImport,
    original_transaction_id: String,
    promotion: Option<String>,
}

impl crate::Keyed for AppEntitlement {
    fn keys(&self) -> Vec<String> {
        vec![format!("member:{}:{}", self.term.account, self.term.product_code)]
    }
}

impl Loader for AppEntitlements {
    type Row = AppEntitlement;

    fn columns(&self) -> &'static [Column] {
        COLUMNS
    }

    fn parse(
        &self,
        header: &Header,
        record: &Record,
        options: &Options,
    ) -> Result<Parsed<AppEntitlement>, String> {
        let get = |column| header.get(record, column).unwrap_or_default();
        let account = members::Account::parse(get("USERID")).map_err(|e| format!("USERID: {e}"))?;
        let product_code = parse::text("PRODUCT", get("PRODUCT"), 16)?;
        let original = parse::text("ORIGINAL_TRANSACTION_ID", get("ORIGINAL_TRANSACTION_ID"), 128)?;
        let due = parse::date("EXPIRES_DATE", get("EXPIRES_DATE"))?;
        let promotion =
            header.get(record, "PROMOTION").map(|p| parse::text("PROMOTION", p, 32)).transpose()?;
        if due >= options.as_of && promotion.is_none() {
            return Err(
                "PROMOTION: a current subscriber needs the plan its store subscription renews".to_owned()
            );
        }
        Ok(Parsed::one(AppEntitlement {
            term: PeriodImport { account, product_code, due, source: String::new() },
            original_transaction_id: original,
            promotion,
        }))
    }

    async fn merge(
        &self,
        db: &DatabaseConnection,
        batch: Vec<(u64, AppEntitlement)>,
        options: &Options,
    ) -> Result<Outcome, ImportError> {
        let terms: Vec<PeriodImport> = batch
            .iter()
            .map(|(line, row)| PeriodImport {
                source: format!("app-entitlements line {line}"),
                ..row.term.clone()
            })
            .collect();
        let txn = platform_core::db::begin_write(db).await.map_err(anyhow::Error::new)?;
        let answers =
            import_periods(&txn, &terms, options.as_of, options.at).await.map_err(anyhow::Error::new)?;
        super::finish(txn, options.dry_run).await?;
        let mut outcome = Outcome::default();
        for ((line, row), answer) in batch.into_iter().zip(answers) {
            let written = match answer {
                Ok(written) => written,
                Err(err) => {
                    outcome.rejects.push((line, err.to_string()));
                    continue;
                }
            };
            // A lapsed subscriber gets no renewal (seed: 事後匯入, 不建續訂單); a dry run writes none.
            let opened = match (&row.promotion, row.term.due >= options.as_of && !options.dry_run) {
                (Some(promotion), true) => renewals::app::open_imported(
                    db,
                    options.calendar,
                    &row.term.account,
                    promotion,
                    &row.original_transaction_id,
                    options.at,
                )
                .await
                .map_err(|e| e.to_string()),
                _ => Ok(false),
            };
            match opened {
                Ok(opened) if written || opened => outcome.updated += 1,
                Ok(_) => outcome.unchanged += 1,
                Err(reason) => outcome.rejects.push((line, reason)),
            }
        }
        Ok(outcome)
    }
}

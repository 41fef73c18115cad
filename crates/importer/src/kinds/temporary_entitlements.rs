//! `temporary-entitlements`: 關貿臨時權益 (seed 004 開帳: the TradeVan MEMBER rows whose `xVALIDDATE` is still
//! ahead), as R11 temporary grants: `USERID` (the member's account) and `CVALIDDATE`, `HVALIDDATE`,
//! `JVALIDDATE`, `KVALIDDATE`, `WVALIDDATE` — 天下, 康健, Cheers, 親子天下 digital editions (FCV, FHV, FJV, FKV)
//! and 全閱讀 (KCW). Each date on or after the cut-over day (`--as-of`) makes that product's `temporaryUntil`
//! at least that date, with its ledger row and event (`entitlements::temporary::grant_temporary_until`, the
//! batch path of `grantTemporaryEntitlement`); a date before it is skipped; a grant already reaching as far
//! is unchanged, so a re-run changes nothing. Import `member-profiles` first.

use crate::source::{Column, Header, Record, optional, required};
use crate::{ImportError, Loader, Options, Outcome, Parsed, parse};
use entitlements::temporary::{TemporaryGrant, grant_temporary_until};
use sea_orm::DatabaseConnection;

/// The TradeVan letters and the product each maps to.
const PRODUCTS: [(&str, &str); 5] = [
    ("CVALIDDATE", "FCV"),
    ("HVALIDDATE", "FHV"),
    ("JVALIDDATE", "FJV"),
    ("KVALIDDATE", "FKV"),
    ("WVALIDDATE", "KCW"),
];

const COLUMNS: &[Column] = &[
    required("USERID"),
    optional("CVALIDDATE"),
    optional("HVALIDDATE"),
    optional("JVALIDDATE"),
    optional("KVALIDDATE"),
    optional("WVALIDDATE"),
];

pub(crate) struct TemporaryEntitlements;

impl crate::Keyed for TemporaryGrant {
    fn keys(&self) -> Vec<String> {
        vec![format!("member:{}:{}", self.account, self.product_code)]
    }
}

impl Loader for TemporaryEntitlements {
    type Row = TemporaryGrant;

    fn columns(&self) -> &'static [Column] {
        COLUMNS
    }

    fn parse(
        &self,
        header: &Header,
        record: &Record,
        options: &Options,
    ) -> Result<Parsed<TemporaryGrant>, String> {
        let raw = header.get(record, "USERID").unwrap_or_default();
        let account = members::Account::parse(raw).map_err(|e| format!("USERID: {e}"))?;
        let mut parsed = Parsed { rows: Vec::new(), skipped: 0, partial_rejects: Vec::new() };
        for (column, product_code) in PRODUCTS {
            let Some(raw) = header.get(record, column) else { continue };
            match parse::date(column, raw) {
                Ok(until) if until >= options.as_of => parsed.rows.push(TemporaryGrant {
                    account: account.clone(),
                    product_code: product_code.to_owned(),
                    until,
                }),
                Ok(_) => parsed.skipped += 1,
                Err(reason) => parsed.partial_rejects.push(reason),
            }
        }
        Ok(parsed)
    }

    async fn merge(
        &self,
        db: &DatabaseConnection,
        batch: Vec<(u64, TemporaryGrant)>,
        options: &Options,
    ) -> Result<Outcome, ImportError> {
        let txn = platform_core::db::begin_write(db).await.map_err(anyhow::Error::new)?;
        let (lines, rows): (Vec<u64>, Vec<TemporaryGrant>) = batch.into_iter().unzip();
        let answers = grant_temporary_until(&txn, &rows, options.as_of, options.at)
            .await
            .map_err(anyhow::Error::new)?;
        super::finish(txn, options.dry_run).await?;
        Ok(super::counted(lines, answers))
    }
}

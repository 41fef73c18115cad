//! `digital-entitlements`: the TradeVan SUBSCRIPTORDL 全閱讀 subscribers (seed 004: SUBSCRIPTORHT joined to
//! SUBSCRIPTORDL, current and lapsed), as the member's KCW PERIOD entitlement: `RCVEMAIL` (the 天下 member
//! account), `magcode` (`KC`/`KCW`; other magazines are the ERP's and are skipped), `SUBBEGINDATE`,
//! `SUBENDDATE` (the last day covered). Each term goes through `entitlements::import::import_periods`: the due
//! date, CURRENT or LAPSED against the cut-over day (`--as-of`), an IMPORT ledger row; a stored term reaching
//! as far is kept, so a re-run changes nothing. Import `member-profiles` first.

use crate::source::{Column, Header, Record, optional, required};
use crate::{ImportError, Loader, Options, Outcome, Parsed, parse};
use entitlements::import::{PeriodImport, import_periods};
use sea_orm::DatabaseConnection;

const COLUMNS: &[Column] = &[
    optional("SUBNO"),
    required("RCVEMAIL"),
    required("magcode"),
    optional("SUBBEGINDATE"),
    required("SUBENDDATE"),
];

pub(crate) struct DigitalEntitlements;

impl crate::Keyed for PeriodImport {
    fn keys(&self) -> Vec<String> {
        vec![format!("member:{}:{}", self.account, self.product_code)]
    }
}

impl Loader for DigitalEntitlements {
    type Row = PeriodImport;

    fn columns(&self) -> &'static [Column] {
        COLUMNS
    }

    fn parse(
        &self,
        header: &Header,
        record: &Record,
        _options: &Options,
    ) -> Result<Parsed<PeriodImport>, String> {
        let get = |column| header.get(record, column);
        let magcode = get("magcode").unwrap_or_default().trim().to_ascii_uppercase();
        if magcode != "KC" && magcode != "KCW" {
            return Ok(Parsed { rows: Vec::new(), skipped: 1, partial_rejects: Vec::new() });
        }
        let account = members::Account::parse(get("RCVEMAIL").unwrap_or_default())
            .map_err(|e| format!("RCVEMAIL: {e}"))?;
        let due = parse::date("SUBENDDATE", get("SUBENDDATE").unwrap_or_default())?;
        if let Some(begin) = get("SUBBEGINDATE").map(|raw| parse::date("SUBBEGINDATE", raw)).transpose()?
            && begin > due
        {
            return Err(format!("SUBBEGINDATE: {begin} is after SUBENDDATE {due}"));
        }
        Ok(Parsed::one(PeriodImport { account, product_code: "KCW".to_owned(), due, source: String::new() }))
    }

    async fn merge(
        &self,
        db: &DatabaseConnection,
        batch: Vec<(u64, PeriodImport)>,
        options: &Options,
    ) -> Result<Outcome, ImportError> {
        let rows: Vec<(u64, PeriodImport)> = batch
            .into_iter()
            .map(|(line, row)| {
                (line, PeriodImport { source: format!("digital-entitlements line {line}"), ..row })
            })
            .collect();
        if db.get_database_backend() != sea_orm::DbBackend::Postgres || rows.len() < 2 {
            return merge_part(db, rows, options).await;
        }
        // PostgreSQL: the halves share no member (one row per member and product in a batch), so they are
        // written at once on two connections, as the staged kinds do.
        let mut first = rows;
        let second = first.split_off(first.len() / 2);
        let (first, second) = tokio::join!(merge_part(db, first, options), merge_part(db, second, options));
        let (mut total, second) = (first?, second?);
        total.updated += second.updated;
        total.unchanged += second.unchanged;
        total.rejects.extend(second.rejects);
        Ok(total)
    }
}

/// Writes `rows` in one transaction of their own.
async fn merge_part(
    db: &DatabaseConnection,
    rows: Vec<(u64, PeriodImport)>,
    options: &Options,
) -> Result<Outcome, ImportError> {
    let txn = platform_core::db::begin_write(db).await.map_err(anyhow::Error::new)?;
    let (lines, rows): (Vec<u64>, Vec<PeriodImport>) = rows.into_iter().unzip();
    let answers = import_periods(&txn, &rows, options.as_of, options.at).await.map_err(anyhow::Error::new)?;
    super::finish(txn, options.dry_run).await?;
    Ok(super::counted(lines, answers))
}

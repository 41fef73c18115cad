//! `member-customers`: TradeVan's MEMBERSUBNO (`SERNO, USERID, SUBNO, KNOWLEDGEYN, CREATEUSER, CREATETIME,
//! UPDATEUSER, UPDATETIME, SYSMEMO`): links member `USERID` (its account) to customer `SUBNO` (its
//! customerNo). Both must exist; an existing link is left as it is. `CREATETIME` becomes the link's time.

use super::{RunMerge, Staged};
use crate::source::{Column, Header, Record, optional, required};
use crate::stage::Cell;
use crate::{ImportError, Loader, Options, Outcome, Parsed, parse};
use members::Account;
use sea_orm::DatabaseConnection;

pub(crate) struct MemberCustomers;

const COLUMNS: &[Column] = &[
    optional("SERNO"),
    required("USERID"),
    required("SUBNO"),
    optional("KNOWLEDGEYN"),
    optional("CREATEUSER"),
    optional("CREATETIME"),
    optional("UPDATEUSER"),
    optional("UPDATETIME"),
    optional("SYSMEMO"),
];

impl Loader for MemberCustomers {
    type Row = Staged;

    fn columns(&self) -> &'static [Column] {
        COLUMNS
    }

    fn parse(&self, header: &Header, record: &Record, options: &Options) -> Result<Parsed<Staged>, String> {
        let get = |column| header.get(record, column);
        let account =
            Account::parse(get("USERID").unwrap_or_default()).map_err(|e| format!("USERID: {e}"))?;
        let customer_no = members::validate::customer_no("SUBNO", get("SUBNO").unwrap_or_default())
            .map_err(|e| e.to_string())?;
        let linked_at = get("CREATETIME")
            .map(|raw| parse::local_time("CREATETIME", raw, options.calendar))
            .transpose()?;
        let key = format!("{account}\u{1f}{customer_no}");
        let cells = vec![
            Cell::Text(account.to_string()),
            Cell::Text(customer_no),
            linked_at.map(|at| at.to_rfc3339()).into(),
        ];
        Ok(Parsed::one(Staged { keys: vec![key], cells }))
    }

    async fn merge(
        &self,
        db: &DatabaseConnection,
        batch: Vec<(u64, Staged)>,
        options: &Options,
    ) -> Result<Outcome, ImportError> {
        if db.get_database_backend() != sea_orm::DbBackend::Postgres {
            return members::bulk::LINKS_SQLITE.run(db, batch, options).await;
        }
        // Links are a set and the halves of a batch share no key: their order does not matter.
        members::bulk::LINKS_POSTGRES.run_in_halves(db, batch, options).await
    }
}

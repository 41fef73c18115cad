//! `member-customers`: TradeVan's MEMBERSUBNO (`SERNO, USERID, SUBNO, KNOWLEDGEYN, CREATEUSER, CREATETIME,
//! UPDATEUSER, UPDATETIME, SYSMEMO`): links member `USERID` (its account) to customer `SUBNO` (its
//! customerNo). Both must exist; an existing link is left as it is. `CREATETIME` becomes the link's time.

use super::{Merge, Staged};
use crate::source::{Column, Header, Record, optional, required};
use crate::stage::{Cell, SqlType};
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

const STAGED: &[(&str, SqlType)] =
    &[("account", SqlType::Text), ("customer_no", SqlType::Text), ("linked_at", SqlType::Text)];

// SQLite: anti-joins on the unique indexes; only the refused rows are written to.
const CHECKS: &[&str] = &[
    "UPDATE import_stage SET reject = 'USERID: no member ' || account || ' (import member-profiles first)' \
     WHERE reject IS NULL AND NOT EXISTS (SELECT 1 FROM members m WHERE m.account = import_stage.account)",
    "UPDATE import_stage SET reject = 'SUBNO: no customer ' || customer_no || ' (import customers first)' \
     WHERE reject IS NULL \
     AND NOT EXISTS (SELECT 1 FROM customers c WHERE c.customer_no = import_stage.customer_no)",
];

/// SQLite: after [`CHECKS`], the links of the rows left.
const UPSERT_SQLITE: &str = "INSERT INTO member_customers (member_id, customer_id, linked_at) \
     SELECT m.id, c.id, COALESCE(s.linked_at, $1) FROM import_stage s \
     JOIN members m ON m.account = s.account JOIN customers c ON c.customer_no = s.customer_no \
     WHERE s.reject IS NULL ON CONFLICT (member_id, customer_id) DO NOTHING";

/// PostgreSQL: one statement resolves both references once per row, marks the rows that fail and inserts
/// the others (the checks and the insert would otherwise look every row up twice).
const UPSERT_POSTGRES: &str = "WITH resolved AS MATERIALIZED (SELECT s.line, m.id AS member_id, \
     c.id AS customer_id, s.linked_at FROM import_stage s LEFT JOIN members m ON m.account = s.account \
     LEFT JOIN customers c ON c.customer_no = s.customer_no WHERE s.reject IS NULL), \
     marked AS (UPDATE import_stage SET reject = CASE WHEN r.member_id IS NULL \
     THEN 'USERID: no member ' || import_stage.account || ' (import member-profiles first)' \
     ELSE 'SUBNO: no customer ' || import_stage.customer_no || ' (import customers first)' END \
     FROM resolved r WHERE r.line = import_stage.line AND (r.member_id IS NULL OR r.customer_id IS NULL)) \
     INSERT INTO member_customers (member_id, customer_id, linked_at) \
     SELECT member_id, customer_id, COALESCE(linked_at::timestamptz, $1) FROM resolved \
     WHERE member_id IS NOT NULL AND customer_id IS NOT NULL ON CONFLICT (member_id, customer_id) DO NOTHING";

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
            let merge = Merge {
                columns: STAGED,
                checks: CHECKS,
                existing: None,
                upserts: &[UPSERT_SQLITE],
                after: &[],
            };
            return merge.run(db, batch, options).await;
        }
        // Links are a set and the halves of a batch share no key: their order does not matter.
        let merge =
            Merge { columns: STAGED, checks: &[], existing: None, upserts: &[UPSERT_POSTGRES], after: &[] };
        merge.run_in_halves(db, batch, options).await
    }
}

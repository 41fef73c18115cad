//! `customers`: the ERP customers (訂戶) of seed 004's `localCustomer.csv`
//! (`id, customerNo, name, email, phone, createdAt, updatedAt, parent, address, customerID`).
//! Only the customerNos not there yet are inserted (差異化: the seed's `LEFT JOIN … WHERE c.customerNo IS
//! NULL`); an existing customer is left as it is. `parent` is the parent's customerNo and must exist
//! (earlier in the file or in the database).

use super::{Merge, Staged};
use crate::source::{Column, Header, Record, optional, required};
use crate::stage::{Cell, SqlType};
use crate::{ImportError, Loader, Options, Outcome, Parsed, parse};
use sea_orm::DatabaseConnection;

pub(crate) struct Customers;

const COLUMNS: &[Column] = &[
    optional("id"),
    required("customerNo"),
    optional("name"),
    optional("email"),
    optional("phone"),
    optional("createdAt"),
    optional("updatedAt"),
    optional("parent"),
    optional("address"),
    optional("customerID"),
];

const STAGED: &[(&str, SqlType)] = &[
    ("customer_no", SqlType::Text),
    ("customer_id", SqlType::Text),
    ("name", SqlType::Text),
    ("email", SqlType::Text),
    ("phone", SqlType::Text),
    ("street", SqlType::Text),
    ("parent", SqlType::Text),
];

/// Where `parent` sits in a row's cells.
const PARENT: usize = 6;

const CHECKS: &[&str] = &[
    "UPDATE import_stage SET reject = 'parent: no customer ' || parent || ' (import it first)' \
     WHERE reject IS NULL AND parent IS NOT NULL \
     AND NOT EXISTS (SELECT 1 FROM customers p WHERE p.customer_no = import_stage.parent) \
     AND NOT EXISTS (SELECT 1 FROM import_stage p WHERE p.customer_no = import_stage.parent AND p.reject IS NULL)",
];

const UPSERT: &str = "INSERT INTO customers (customer_no, customer_id, name, email, phone, street, \
     created_at, updated_at) \
     SELECT s.customer_no, s.customer_id, s.name, s.email, s.phone, s.street, \
     $1, $1 FROM import_stage s WHERE s.reject IS NULL ON CONFLICT (customer_no) DO NOTHING";

/// Parents, once the batch's own customers exist; only for the customers this batch inserted.
/// Driven from the staged rows that name a parent (usually none), never by scanning `customers`.
const PARENTS: &str = "UPDATE customers SET parent_id = p.id FROM import_stage s \
     JOIN customers p ON p.customer_no = s.parent \
     WHERE s.parent IS NOT NULL AND s.reject IS NULL AND customers.customer_no = s.customer_no \
     AND customers.created_at = $1 AND customers.parent_id IS NULL";

impl Loader for Customers {
    type Row = Staged;

    fn columns(&self) -> &'static [Column] {
        COLUMNS
    }

    fn parse(&self, header: &Header, record: &Record, _options: &Options) -> Result<Parsed<Staged>, String> {
        let get = |column| header.get(record, column);
        let customer_no = members::validate::customer_no("customerNo", get("customerNo").unwrap_or_default())
            .map_err(|e| e.to_string())?;
        let email = get("email")
            .map(|v| members::validate::email("email", v))
            .transpose()
            .map_err(|e| e.to_string())?;
        let phone = get("phone")
            .map(|v| members::validate::phone("phone", v))
            .transpose()
            .map_err(|e| e.to_string())?;
        let cells = vec![
            Cell::Text(customer_no.clone()),
            get("customerID").map(|v| parse::text("customerID", v, 32)).transpose()?.into(),
            get("name").map(|v| parse::text("name", v, 200)).transpose()?.into(),
            email.into(),
            phone.into(),
            get("address").map(|v| parse::text("address", v, 300)).transpose()?.into(),
            get("parent").map(str::to_owned).into(),
        ];
        Ok(Parsed::one(Staged { keys: vec![customer_no], cells }))
    }

    async fn merge(
        &self,
        db: &DatabaseConnection,
        batch: Vec<(u64, Staged)>,
        options: &Options,
    ) -> Result<Outcome, ImportError> {
        let merge =
            Merge { columns: STAGED, checks: CHECKS, existing: None, upserts: &[UPSERT], after: &[PARENTS] };
        // A parent may be another row of the batch: only a batch without parents is split.
        let independent = batch.iter().all(|(_, row)| row.cells.get(PARENT) == Some(&Cell::Null));
        if independent && db.get_database_backend() == sea_orm::DbBackend::Postgres {
            return merge.run_in_halves(db, batch, options).await;
        }
        merge.run(db, batch, options).await
    }
}

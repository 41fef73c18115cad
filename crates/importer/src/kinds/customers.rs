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
        if get("parent").is_some_and(|parent| parent.trim() == customer_no) {
            return Err("parent: a customer cannot be its own parent".to_owned());
        }
        Ok(Parsed::one(Staged { keys: vec![customer_no], cells }))
    }

    async fn merge(
        &self,
        db: &DatabaseConnection,
        batch: Vec<(u64, Staged)>,
        options: &Options,
    ) -> Result<Outcome, ImportError> {
        let (batch, cycles) = without_parent_cycles(batch);
        let merge =
            Merge { columns: STAGED, checks: CHECKS, existing: None, upserts: &[UPSERT], after: &[PARENTS] };
        // A parent may be another row of the batch: only a batch without parents is split.
        let independent = batch.iter().all(|(_, row)| row.cells.get(PARENT) == Some(&Cell::Null));
        let mut outcome = if independent && db.get_database_backend() == sea_orm::DbBackend::Postgres {
            merge.run_in_halves(db, batch, options).await?
        } else {
            merge.run(db, batch, options).await?
        };
        outcome.rejects.extend(cycles);
        Ok(outcome)
    }
}

/// Rows refused: (line, reason).
type Rejected = Vec<(u64, String)>;

/// The rows of `batch` whose `parent` chain within the batch comes back to themselves (A → B → A) are taken
/// out and returned as rejects: the hierarchy must stay a tree. A parent outside the batch is already
/// stored, and the import never changes a stored customer's parent, so only the batch can close a cycle.
fn without_parent_cycles(batch: Vec<(u64, Staged)>) -> (Vec<(u64, Staged)>, Rejected) {
    use std::collections::{HashMap, HashSet};
    let text = |cell: Option<&Cell>| match cell {
        Some(Cell::Text(value)) => Some(value.clone()),
        _ => None,
    };
    let parents: HashMap<String, String> = batch
        .iter()
        .filter_map(|(_, row)| Some((text(row.cells.first())?, text(row.cells.get(PARENT))?)))
        .collect();
    // Follow each chain once: `done` holds customers already known to reach no cycle or to be in one.
    let (mut in_cycle, mut done) = (HashSet::new(), HashSet::new());
    for start in parents.keys() {
        let mut path: Vec<&String> = Vec::new();
        let mut on_path = HashSet::new();
        let mut at = Some(start);
        while let Some(no) = at {
            if done.contains(no) {
                break;
            }
            if !on_path.insert(no) {
                let from = path.iter().position(|p| *p == no).unwrap_or(0);
                in_cycle.extend(path[from..].iter().map(|p| (*p).clone()));
                break;
            }
            path.push(no);
            at = parents.get(no);
        }
        done.extend(path.into_iter().cloned());
    }
    if in_cycle.is_empty() {
        return (batch, Vec::new());
    }
    let (cyclic, kept): (Vec<_>, Vec<_>) = batch
        .into_iter()
        .partition(|(_, row)| text(row.cells.first()).is_some_and(|no| in_cycle.contains(&no)));
    let rejects = cyclic
        .into_iter()
        .map(|(line, row)| {
            let no = text(row.cells.first()).unwrap_or_default();
            let parent = text(row.cells.get(PARENT)).unwrap_or_default();
            (line, format!("parent: {no} → {parent} makes a cycle of parents"))
        })
        .collect();
    (kept, rejects)
}

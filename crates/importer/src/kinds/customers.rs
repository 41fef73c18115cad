//! `customers`: the ERP customers (訂戶) of seed 004's `localCustomer.csv`
//! (`id, customerNo, name, email, phone, createdAt, updatedAt, parent, address, customerID`).
//! Only the customerNos not there yet are inserted (差異化: the seed's `LEFT JOIN … WHERE c.customerNo IS
//! NULL`); an existing customer is left as it is. `parent` is the parent's customerNo and must exist
//! (earlier in the file or in the database).

use super::{RunMerge, Staged};
use crate::source::{Column, Header, Record, optional, required};
use crate::stage::Cell;
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
        let merge = members::bulk::CUSTOMERS;
        // A parent may be another row of the batch: only a batch without parents is split.
        let independent =
            batch.iter().all(|(_, row)| row.cells.get(members::bulk::CUSTOMER_PARENT) == Some(&Cell::Null));
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
        .filter_map(|(_, row)| {
            Some((text(row.cells.first())?, text(row.cells.get(members::bulk::CUSTOMER_PARENT))?))
        })
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
            let parent = text(row.cells.get(members::bulk::CUSTOMER_PARENT)).unwrap_or_default();
            (line, format!("parent: {no} → {parent} makes a cycle of parents"))
        })
        .collect();
    (kept, rejects)
}

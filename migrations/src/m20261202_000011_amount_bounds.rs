//! Every money column holds `0..=100000000` TWD (SPEC §3: one bound for every amount, so that any amount and
//! any order total fits a GraphQL `Int` and a typo in an import is never charged), and a renewal's charge —
//! its price plus its shipping fee — is within the same bound.
//!
//! PostgreSQL gets named CHECK constraints (`ck_<table>_<column>_bound`). SQLite cannot add a constraint to
//! an existing table without rebuilding it, so there the same conditions are `BEFORE INSERT` / `BEFORE
//! UPDATE` triggers that abort the statement with the constraint's name: the database refuses the row on
//! both backends. The services check the bound first and answer `BAD_USER_INPUT`; these are the last line.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

/// The bound, as in `platform_core::Money::MAX` (migrations do not depend on the domain crates).
const MAX_AMOUNT: i64 = 100_000_000;

/// One bounded quantity: the sum of `columns` of `table` (one column, or a renewal's price and fee).
struct Bound {
    table: &'static str,
    name: &'static str,
    columns: &'static [&'static str],
}

impl Bound {
    /// The condition every row must meet, its columns read through `prefix` (`NEW.` in a trigger).
    fn condition(&self, prefix: &str) -> String {
        let sum = self.columns.iter().map(|c| format!("{prefix}{c}")).collect::<Vec<_>>().join(" + ");
        format!("{sum} BETWEEN 0 AND {MAX_AMOUNT}")
    }

    fn constraint(&self) -> String {
        format!("ck_{}_{}", self.table, self.name)
    }
}

const BOUNDS: [Bound; 10] = [
    Bound { table: "promotions", name: "total_amount_bound", columns: &["total_amount"] },
    Bound { table: "promotion_items", name: "selling_price_bound", columns: &["selling_price"] },
    Bound { table: "orders", name: "total_amount_bound", columns: &["total_amount"] },
    Bound { table: "orders", name: "shipping_fee_bound", columns: &["shipping_fee"] },
    Bound { table: "order_lines", name: "amount_bound", columns: &["amount"] },
    Bound { table: "payments", name: "amount_bound", columns: &["amount"] },
    Bound { table: "renewals", name: "deduct_price_bound", columns: &["deduct_price"] },
    Bound { table: "renewals", name: "shipping_fee_bound", columns: &["shipping_fee"] },
    Bound { table: "renewals", name: "charge_bound", columns: &["deduct_price", "shipping_fee"] },
    Bound { table: "renewal_charges", name: "amount_bound", columns: &["amount"] },
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for bound in &BOUNDS {
            let (table, name) = (bound.table, bound.constraint());
            if manager.get_database_backend() == DbBackend::Postgres {
                let condition = bound.condition("");
                db.execute_unprepared(&format!(
                    "ALTER TABLE {table} ADD CONSTRAINT {name} CHECK ({condition})"
                ))
                .await?;
            } else {
                let condition = bound.condition("NEW.");
                for (when, event) in [("insert", "INSERT"), ("update", "UPDATE")] {
                    db.execute_unprepared(&format!(
                        "CREATE TRIGGER {name}_{when} BEFORE {event} ON {table} \
                         FOR EACH ROW WHEN NOT ({condition}) \
                         BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: {name}'); END"
                    ))
                    .await?;
                }
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for bound in &BOUNDS {
            let (table, name) = (bound.table, bound.constraint());
            if manager.get_database_backend() == DbBackend::Postgres {
                db.execute_unprepared(&format!("ALTER TABLE {table} DROP CONSTRAINT {name}")).await?;
            } else {
                for when in ["insert", "update"] {
                    db.execute_unprepared(&format!("DROP TRIGGER {name}_{when}")).await?;
                }
            }
        }
        Ok(())
    }
}

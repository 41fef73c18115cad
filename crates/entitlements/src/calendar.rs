//! **R3 when the calendar grows:** the dates of entitlements that were estimated past the end of a
//! product's calendar become the publish dates now known (`start`/`end` of their volumes, and
//! `rightDueDate` the next issue's), once that next issue is on the calendar.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbErr, Statement, Value};

/// Corrects the estimated entitlements of `product_codes` from the calendar as it is now; returns how many.
pub async fn correct_estimates(
    db: &impl ConnectionTrait,
    product_codes: &[String],
    at: DateTime<Utc>,
) -> Result<u64, DbErr> {
    if product_codes.is_empty() {
        return Ok(0);
    }
    let backend = db.get_database_backend();
    let placeholders: Vec<String> = (2..product_codes.len() + 2)
        .map(|n| if backend == sea_orm::DbBackend::Postgres { format!("${n}") } else { "?".to_owned() })
        .collect();
    let at_placeholder = if backend == sea_orm::DbBackend::Postgres { "$1" } else { "?" };
    let sql = format!(
        "UPDATE entitlements SET \
         start_volume_date = COALESCE((SELECT i.publish_date FROM items i WHERE i.product_code = entitlements.product_code \
         AND i.mz_volume = entitlements.start_volume), start_volume_date), \
         end_volume_date = COALESCE((SELECT i.publish_date FROM items i WHERE i.product_code = entitlements.product_code \
         AND i.mz_volume = entitlements.end_volume), end_volume_date), \
         right_due_date = (SELECT i.publish_date FROM items i WHERE i.product_code = entitlements.product_code \
         AND i.mz_volume = entitlements.end_volume + 1), \
         estimated = FALSE, updated_at = {at_placeholder} \
         WHERE estimated = TRUE AND product_code IN ({}) \
         AND EXISTS (SELECT 1 FROM items i WHERE i.product_code = entitlements.product_code \
         AND i.mz_volume = entitlements.end_volume + 1)",
        placeholders.join(", ")
    );
    let mut values: Vec<Value> = vec![at.into()];
    values.extend(product_codes.iter().map(|c| Value::from(c.as_str())));
    Ok(db.execute_raw(Statement::from_sql_and_values(backend, sql, values)).await?.rows_affected())
}

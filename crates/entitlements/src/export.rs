//! What the ERP export reads of entitlements (R21, seed 004 雜誌權益檔移回-ERP): each customer's magazine
//! terms and the 全閱讀 pass of the member linked to it, by customer row id, so the export (in the
//! importer) streams customers in ranges without knowing these tables.

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{ConnectionTrait, DbErr, FromQueryResult, Statement, Value};

/// The pass, held by a member and exported on the row of the customer linked to it.
pub const PASS: &str = "KCW";

/// One term as the ERP export writes it.
#[derive(Debug, Clone, PartialEq, Eq, FromQueryResult)]
pub struct Held {
    /// The customer's row id.
    pub customer: i64,
    /// The customer number.
    pub customer_no: String,
    /// The ERP's own id of the customer.
    pub erp_id: Option<String>,
    /// The product.
    pub product_code: String,
    /// The last issue (magazines; none for the pass).
    pub end_volume: Option<i64>,
    /// Its date.
    pub end_volume_date: Option<NaiveDate>,
    /// The due date.
    pub right_due_date: Option<NaiveDate>,
    /// Seniority in thousandths.
    pub seniority_thousandths: i64,
    /// Changed at or after the `since` asked for.
    pub changed: bool,
}

/// The terms of the customers with row ids in `[from, to)`, by customer and product: the magazines of
/// `magazines` they hold, and the pass of the member linked to them (the lowest customer id of the
/// member's links, as the ERP import links it); only `product` when it is set. `changed` tells whether a
/// term changed at or after `since`.
pub async fn held_by_customers(
    db: &impl ConnectionTrait,
    magazines: &[&str],
    product: Option<&str>,
    since: DateTime<Utc>,
    from: i64,
    to: i64,
) -> Result<Vec<Held>, DbErr> {
    // Codes are the catalog's (letters and digits), bound as values one by one.
    let mut values: Vec<Value> =
        vec![from.into(), to.into(), since.into(), product.unwrap_or_default().into()];
    let mut placeholders = Vec::new();
    for code in magazines {
        values.push((*code).into());
        placeholders.push(format!("${}", values.len()));
    }
    let magazines = if placeholders.is_empty() { "NULL".to_owned() } else { placeholders.join(", ") };
    values.push(PASS.into());
    let pass = format!("${}", values.len());
    let sql = format!(
        "SELECT c.id AS customer, c.customer_no, c.customer_id AS erp_id, e.product_code, \
         CAST(e.end_volume AS BIGINT) AS end_volume, e.end_volume_date, e.right_due_date, \
         CAST(e.seniority_thousandths AS BIGINT) AS seniority_thousandths, e.updated_at >= $3 AS changed \
         FROM entitlements e JOIN customers c ON c.id = e.holder_customer_id \
         WHERE c.id >= $1 AND c.id < $2 AND e.product_code IN ({magazines}) AND ($4 = '' OR e.product_code = $4) \
         UNION ALL \
         SELECT c.id, c.customer_no, c.customer_id, e.product_code, CAST(NULL AS BIGINT), NULL, e.right_due_date, \
         CAST(e.seniority_thousandths AS BIGINT), e.updated_at >= $3 \
         FROM entitlements e JOIN customers c ON c.id = (SELECT MIN(l.customer_id) FROM member_customers l \
         WHERE l.member_id = e.holder_member_id) \
         WHERE c.id >= $1 AND c.id < $2 AND e.product_code = {pass} AND ($4 = '' OR $4 = {pass}) \
         ORDER BY 1, 4"
    );
    Held::find_by_statement(Statement::from_sql_and_values(db.get_database_backend(), sql, values))
        .all(db)
        .await
}

//! Who receives issue N of a magazine (R21 `export mailing-list`, the 寄送名單): from the grant ledger, not
//! only the entitlement's current term, because a later grant that continued the term moved the
//! entitlement's `startVolume` forward while the earlier issues were still covered by the earlier grant.
//!
//! Issue `volume` is covered for an entitlement of `product` held by a customer when all of these hold:
//! - it is within the entitlement's end (`volume <= endVolume`: a lapsed term or a revocation, which takes
//!   issues from the end, leaves it out);
//! - it is not held by a delivery suspension (`fromVolume <= volume < fromVolume + issues`, R20);
//! - the entitlement's current term reaches back to it (`startVolume <= volume`, or no start: an imported
//!   term, whose start the ERP does not export), or a granted ledger row (an order, an import, a
//!   temporary grant) covers it (`startVolume <= volume <= endVolume` of that grant).

use sea_orm::{ConnectionTrait, DbBackend, DbErr, FromQueryResult, SelectModel, SelectorRaw, Statement};

/// One receiver of the issue.
#[derive(Debug, Clone, PartialEq, Eq, FromQueryResult)]
pub struct Covered {
    /// The holder (a customer's row id).
    pub customer_id: i64,
    /// The entitlement's last covered issue.
    pub end_volume: i64,
}

/// The rule above as a SQL condition on `entitlements e`, with `$1` the product code and `$2` the issue: the
/// one definition the covered list, the paged export and the streamed file all use.
pub const COVERED_WHERE: &str = "e.product_code = $1 AND e.holder_customer_id IS NOT NULL AND e.end_volume >= $2 \
    AND NOT EXISTS (SELECT 1 FROM entitlement_suspensions s WHERE s.entitlement_id = e.id \
        AND s.from_volume <= $2 AND s.from_volume + s.issues > $2) \
    AND (e.start_volume IS NULL OR e.start_volume <= $2 \
        OR EXISTS (SELECT 1 FROM entitlement_grants g WHERE g.entitlement_id = e.id \
            AND g.outcome = 'GRANTED' AND g.kind IN ('ORDER', 'IMPORT', 'TEMPORARY') \
            AND (g.start_volume IS NULL OR g.start_volume <= $2) AND g.end_volume >= $2))";

/// The customers covered for issue `volume` of `product_code`, by customer id.
pub async fn covered(
    db: &impl ConnectionTrait,
    product_code: &str,
    volume: i32,
) -> Result<Vec<Covered>, DbErr> {
    let sql = format!(
        "SELECT e.holder_customer_id AS customer_id, CAST(e.end_volume AS BIGINT) AS end_volume \
         FROM entitlements e WHERE {COVERED_WHERE} ORDER BY e.holder_customer_id"
    );
    let values = [product_code.into(), volume.into()];
    Covered::find_by_statement(Statement::from_sql_and_values(db.get_database_backend(), sql, values))
        .all(db)
        .await
}

/// A receiver of the mailing list (R21 `export mailing-list`): a covered customer with its address.
#[derive(Debug, Clone, PartialEq, Eq, FromQueryResult)]
pub struct Receiver {
    /// The customer number.
    pub customer_no: String,
    /// Name.
    pub name: Option<String>,
    /// Phone.
    pub phone: Option<String>,
    /// Mobile.
    pub mobile: Option<String>,
    /// Country.
    pub country: Option<String>,
    /// Postal code.
    pub postal_code: Option<String>,
    /// City.
    pub city: Option<String>,
    /// Street.
    pub street: Option<String>,
    /// The entitlement's last covered issue.
    pub end_volume: i64,
}

/// The receivers of issue `volume` of magazine `product_code` (the rule above) with their addresses, by
/// customer number, after customer number `after` when it is set and at most `limit` when it is: one
/// statement, to read a page (`.all`) or stream the whole list (`.stream`).
pub fn receivers(
    backend: DbBackend,
    product_code: &str,
    volume: i32,
    after: Option<&str>,
    limit: Option<usize>,
) -> SelectorRaw<SelectModel<Receiver>> {
    let mut sql = format!(
        "SELECT c.customer_no, c.name, c.phone, c.mobile, c.country, c.postal_code, c.city, c.street, \
         CAST(e.end_volume AS BIGINT) AS end_volume FROM entitlements e JOIN customers c ON c.id = e.holder_customer_id \
         WHERE {COVERED_WHERE}"
    );
    let mut values: Vec<sea_orm::Value> = vec![product_code.into(), volume.into()];
    if let Some(after) = after {
        sql.push_str(" AND c.customer_no > $3");
        values.push(after.into());
    }
    sql.push_str(" ORDER BY c.customer_no");
    if let Some(limit) = limit {
        sql.push_str(&format!(" LIMIT {limit}"));
    }
    Receiver::find_by_statement(Statement::from_sql_and_values(backend, sql, values))
}

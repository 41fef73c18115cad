//! R10: the daily expiry, set-based — one statement per status on PostgreSQL (the update and its events in
//! one data-modifying CTE), an insert of the events and one update per status on SQLite, inside one write
//! transaction. Never row by row.

use crate::{EntitlementsError, SubscribeStatus};
use chrono::{DateTime, Days, NaiveDate, Utc};
use platform_core::db::begin_write;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement, Value};

/// How many entitlements one expiry run changed, per transition.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ExpirySummary {
    /// CURRENT (1) → LAPSED (2).
    pub lapsed: u64,
    /// COMPLIMENTARY (4) → COMPLIMENTARY_ENDED (5).
    pub complimentary_ended: u64,
}

/// Expires, as of business date `today`, every entitlement whose effective due date (the later of
/// `rightDueDate` and `temporaryUntil`) is before `today`, or before `today − grace_days` for PERIOD
/// products. Emits one `entitlement.expired` per change. Running it twice changes nothing the second time.
pub async fn expire(
    db: &DatabaseConnection,
    today: NaiveDate,
    period_grace_days: u32,
    at: DateTime<Utc>,
) -> Result<ExpirySummary, EntitlementsError> {
    let period_cutoff = today.checked_sub_days(Days::new(u64::from(period_grace_days))).unwrap_or(today);
    let txn = begin_write(db).await?;
    let mut summary = ExpirySummary::default();
    for (from, to) in [
        (SubscribeStatus::Current, SubscribeStatus::Lapsed),
        (SubscribeStatus::Complimentary, SubscribeStatus::ComplimentaryEnded),
    ] {
        let changed = transition(&txn, from, to, today, period_cutoff, at).await?;
        match from {
            SubscribeStatus::Current => summary.lapsed = changed,
            _ => summary.complimentary_ended = changed,
        }
    }
    txn.commit().await?;
    Ok(summary)
}

async fn transition(
    db: &impl ConnectionTrait,
    from: SubscribeStatus,
    to: SubscribeStatus,
    volume_cutoff: NaiveDate,
    period_cutoff: NaiveDate,
    at: DateTime<Utc>,
) -> Result<u64, EntitlementsError> {
    let backend = db.get_database_backend();
    let values = |list: Vec<Value>| list;
    let from_code = Value::SmallInt(Some(i16::from(from.code())));
    let to_code = Value::SmallInt(Some(i16::from(to.code())));
    if backend == DbBackend::Postgres {
        let sql = r#"
WITH changed AS (
  UPDATE entitlements AS e SET subscribe_status = $1, updated_at = $2
  FROM products AS p
  WHERE p.product_code = e.product_code AND e.subscribe_status = $3
    AND GREATEST(e.right_due_date, e.temporary_until)
        < CASE WHEN p.kind = 'PERIOD' THEN $4::date ELSE $5::date END
  RETURNING e.id, e.product_code, e.holder_customer_id, e.holder_member_id, e.right_due_date, e.temporary_until
)
INSERT INTO events (event_id, event_type, subject, payload, occurred_at)
SELECT gen_random_uuid(), 'entitlement.expired', 'entitlement:' || c.id,
       json_build_object('productCode', c.product_code, 'customerNo', cu.customer_no, 'account', m.account,
                         'rightDueDate', c.right_due_date, 'temporaryUntil', c.temporary_until,
                         'fromCode', $3, 'toCode', $1)::text,
       $2
FROM changed AS c
LEFT JOIN customers AS cu ON cu.id = c.holder_customer_id
LEFT JOIN members AS m ON m.id = c.holder_member_id
ORDER BY c.id"#;
        let params = values(vec![to_code, at.into(), from_code, period_cutoff.into(), volume_cutoff.into()]);
        let result = db.execute_raw(Statement::from_sql_and_values(backend, sql, params)).await?;
        return Ok(result.rows_affected());
    }
    let due =
        "max(coalesce(e.right_due_date, e.temporary_until), coalesce(e.temporary_until, e.right_due_date))";
    let condition =
        format!("e.subscribe_status = ?1 AND {due} < CASE WHEN p.kind = 'PERIOD' THEN ?2 ELSE ?3 END");
    let events = format!(
        "INSERT INTO events (event_id, event_type, subject, payload, occurred_at)
         SELECT randomblob(16), 'entitlement.expired', 'entitlement:' || e.id,
                json_object('productCode', e.product_code, 'customerNo', cu.customer_no, 'account', m.account,
                            'rightDueDate', e.right_due_date, 'temporaryUntil', e.temporary_until,
                            'fromCode', ?1, 'toCode', ?4),
                ?5
         FROM entitlements AS e
         JOIN products AS p ON p.product_code = e.product_code
         LEFT JOIN customers AS cu ON cu.id = e.holder_customer_id
         LEFT JOIN members AS m ON m.id = e.holder_member_id
         WHERE {condition}
         ORDER BY e.id"
    );
    let update = format!(
        "UPDATE entitlements SET subscribe_status = ?4, updated_at = ?5
         WHERE id IN (SELECT e.id FROM entitlements AS e JOIN products AS p ON p.product_code = e.product_code
                      WHERE {condition})"
    );
    let params = || {
        values(vec![
            from_code.clone(),
            period_cutoff.into(),
            volume_cutoff.into(),
            to_code.clone(),
            at.into(),
        ])
    };
    db.execute_raw(Statement::from_sql_and_values(backend, events, params())).await?;
    let result = db.execute_raw(Statement::from_sql_and_values(backend, update, params())).await?;
    Ok(result.rows_affected())
}

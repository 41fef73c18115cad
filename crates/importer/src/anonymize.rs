//! R15: masking a copy of the production database for development (seed 002: every e-mail a test
//! address, names `<id> テスト`, so no customer is ever mailed from a development server and nobody's data
//! can be recognised).
//!
//! The database says what it is in `instance_metadata.environment`; `anonymize` refuses one marked
//! `production`. A copy restored from production carries the mark, so masking it takes a deliberate
//! `platform environment set development` first.

use chrono::{DateTime, Utc};
use platform_core::db::begin_write;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement, Value};

/// The environment names a database may be marked with.
pub const ENVIRONMENTS: [&str; 3] = ["production", "staging", "development"];

/// Why masking did not run.
#[derive(Debug, thiserror::Error)]
pub enum AnonymizeError {
    /// The database is marked production.
    #[error("refusing to anonymize: this database is marked production (platform environment show)")]
    Production,
    /// Not an environment name.
    #[error("{0:?} is not an environment: use production, staging or development")]
    UnknownEnvironment(String),
    /// The database failed; nothing was changed.
    #[error("database: {0}")]
    Database(#[from] sea_orm::DbErr),
}

/// What was masked, per table.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Masked {
    /// (table, rows changed) in the order they were masked.
    pub tables: Vec<(&'static str, u64)>,
}

/// The environment the database is marked with, if any.
pub async fn environment(db: &impl ConnectionTrait) -> Result<Option<String>, sea_orm::DbErr> {
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT value FROM instance_metadata WHERE key = 'environment'",
        ))
        .await?;
    row.map(|row| row.try_get::<String>("", "value")).transpose()
}

/// Marks the database as `name` (one of [`ENVIRONMENTS`]).
pub async fn set_environment(
    db: &impl ConnectionTrait,
    name: &str,
    at: DateTime<Utc>,
) -> Result<(), AnonymizeError> {
    let name = name.trim().to_lowercase();
    if !ENVIRONMENTS.contains(&name.as_str()) {
        return Err(AnonymizeError::UnknownEnvironment(name));
    }
    put(db, "environment", &name, at).await?;
    Ok(())
}

async fn put(
    db: &impl ConnectionTrait,
    key: &str,
    value: &str,
    at: DateTime<Utc>,
) -> Result<(), sea_orm::DbErr> {
    let backend = db.get_database_backend();
    db.execute_raw(Statement::from_sql_and_values(
        backend,
        "INSERT INTO instance_metadata (key, value, created_at, updated_at) VALUES ($1, $2, $3, $3) \
         ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
        [Value::from(key), Value::from(value), Value::from(at)],
    ))
    .await?;
    Ok(())
}

/// Each statement masks one table. Identities (ids, customerNos, order numbers, UUIDs) stay, so the copy
/// behaves as production did; whatever names, reaches or charges a person goes.
const MASKS: [(&str, &str); 10] = [
    (
        "members",
        "UPDATE members SET account = 'dev+' || id || '@example.invalid', \
         email = 'dev+' || id || '@example.invalid', \
         name = CASE WHEN name IS NULL THEN NULL ELSE id || ' テスト' END, \
         phone = NULL, nine_one_member_info = NULL, trade_van_member_info = NULL",
    ),
    (
        "customers",
        "UPDATE customers SET name = id || ' テスト', \
         email = CASE WHEN email IS NULL THEN NULL ELSE 'dev+customer-' || id || '@example.invalid' END, \
         phone = NULL, mobile = NULL, street = NULL",
    ),
    (
        "orders",
        "UPDATE orders SET receiver_name = id || ' テスト', \
         receiver_email = CASE WHEN receiver_email IS NULL THEN NULL ELSE 'dev+order-' || id || '@example.invalid' END, \
         receiver_phone = NULL, receiver_mobile = NULL, receiver_street = NULL, \
         invoice_title = CASE WHEN invoice_title IS NULL THEN NULL ELSE id || ' テスト' END, \
         invoice_carrier_code = NULL, payment_token = NULL",
    ),
    // The ERP master's contacts (R21) name and reach people: masked as the customer is.
    (
        "customer_contacts",
        "UPDATE customer_contacts SET name = CASE WHEN name IS NULL THEN NULL ELSE id || ' テスト' END",
    ),
    (
        "customer_contact_points",
        "UPDATE customer_contact_points SET street = NULL, \
         value = CASE WHEN kind = 'EMAIL' THEN 'dev+contact-' || id || '@example.invalid' ELSE NULL END",
    ),
    ("renewals", "UPDATE renewals SET payment_token = NULL, receiver = NULL, invoice = NULL"),
    // Rendered e-mails carry names and addresses; a development copy needs none of them.
    ("emails", "DELETE FROM emails"),
    // Event payloads copy names and contacts; their ids, types and subjects stay.
    ("events", "UPDATE events SET payload = '{\"anonymized\":true}'"),
    ("webhook_deliveries", "UPDATE webhook_deliveries SET last_error = NULL"),
    // Production's receivers must never hear from a copy, nor its secrets live on in one.
    (
        "webhook_endpoints",
        "UPDATE webhook_endpoints SET status = 'DISABLED', disabled_reason = 'anonymized development copy', \
         secret = 'whsec_' || id, previous_secret = NULL, previous_secret_until = NULL",
    ),
];

/// Masks every person's data in one transaction, then marks the database `development`.
pub async fn anonymize(db: &DatabaseConnection, at: DateTime<Utc>) -> Result<Masked, AnonymizeError> {
    if environment(db).await?.as_deref() == Some("production") {
        return Err(AnonymizeError::Production);
    }
    let txn = begin_write(db).await?;
    // Checked again under the write lock: a concurrent `environment set production` wins.
    if environment(&txn).await?.as_deref() == Some("production") {
        return Err(AnonymizeError::Production);
    }
    let backend = txn.get_database_backend();
    let mut masked = Masked::default();
    for (table, sql) in MASKS {
        let result = txn.execute_raw(Statement::from_string(backend, sql)).await?;
        masked.tables.push((table, result.rows_affected()));
    }
    put(&txn, "environment", "development", at).await?;
    put(&txn, "anonymized_at", &at.to_rfc3339(), at).await?;
    if backend == DbBackend::Postgres {
        // The old values linger in dead tuples until vacuumed; a dump taken now would not carry them,
        // but the data files would.
        tracing::info!("anonymized; run VACUUM FULL before handing out the data files themselves");
    }
    txn.commit().await?;
    Ok(masked)
}

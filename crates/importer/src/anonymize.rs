//! R15: masking a copy of the production database for development (seed 002: every e-mail a test
//! address, names `<id> テスト`, so no customer is ever mailed from a development server and nobody's data
//! can be recognised).
//!
//! The database says what it is in `instance_metadata.environment`; `anonymize` refuses one marked
//! `production`. A copy restored from production carries the mark, so masking it takes a deliberate
//! `platform environment set development` first.

use chrono::{DateTime, Utc};
use platform_core::bulk::Mask;
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

/// Each statement masks one table; each domain owns the masks of its tables. Identities (ids,
/// customerNos, order numbers, UUIDs) stay, so the copy behaves as production did; whatever names,
/// reaches or charges a person goes.
fn masks() -> impl Iterator<Item = Mask> {
    members::bulk::MASKS
        .into_iter()
        .chain(orders::bulk::MASKS)
        .chain(renewals::bulk::MASKS)
        .chain(notify::bulk::MASKS)
        .chain([platform_core::events::MASK])
}

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
    for mask in masks() {
        let result = txn.execute_raw(Statement::from_string(backend, mask.sql)).await?;
        masked.tables.push((mask.table, result.rows_affected()));
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

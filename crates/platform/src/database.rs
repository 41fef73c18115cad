//! Opening the configured database and bringing its schema up to date.

use migration::{Migrator, MigratorTrait};
use platform_core::Settings;
use platform_core::db::{self, mask_url};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement, TransactionTrait};

/// An arbitrary constant naming the PostgreSQL advisory lock held while migrating, so that several
/// instances starting at once apply each migration exactly once.
const MIGRATION_LOCK: i64 = 0x504c_4154_464f_524d; // "PLATFORM"

/// Opens the database of `settings`.
pub async fn open(settings: &Settings) -> anyhow::Result<DatabaseConnection> {
    let url = settings.effective_database_url();
    let conn = db::connect(&url, &settings.database).await?;
    tracing::info!(database = %mask_url(&url), "database opened");
    Ok(conn)
}

/// Applies pending migrations and returns how many there were.
pub async fn migrate(conn: &DatabaseConnection) -> anyhow::Result<usize> {
    let pending = Migrator::get_pending_migrations(conn).await?.len();
    if pending == 0 {
        return Ok(0);
    }
    match conn.get_database_backend() {
        DbBackend::Postgres => {
            let txn = conn.begin().await?;
            txn.execute_raw(Statement::from_string(
                DbBackend::Postgres,
                format!("SELECT pg_advisory_xact_lock({MIGRATION_LOCK})"),
            ))
            .await?;
            Migrator::up(&txn, None).await?;
            txn.commit().await?;
        }
        // SQLite takes a write lock for the whole migration transaction by itself.
        _ => Migrator::up(conn, None).await?,
    }
    tracing::info!(applied = pending, "migrations applied");
    Ok(pending)
}

/// Opens and migrates.
pub async fn open_migrated(settings: &Settings) -> anyhow::Result<DatabaseConnection> {
    let conn = open(settings).await?;
    migrate(&conn)
        .await
        .map_err(|e| anyhow::anyhow!("migrating {}: {e:#}", mask_url(&settings.effective_database_url())))?;
    Ok(conn)
}

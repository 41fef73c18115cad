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

/// Applies pending migrations and returns how many there were. Several instances may start at once: the
/// check for pending migrations and their application happen under one lock — a PostgreSQL advisory lock
/// taken first (even creating the migrations table races otherwise), or SQLite's write lock
/// (`BEGIN IMMEDIATE`) — so each migration is applied exactly once and the others find nothing to do.
pub async fn migrate(conn: &DatabaseConnection) -> anyhow::Result<usize> {
    let txn = match conn.get_database_backend() {
        DbBackend::Postgres => {
            let txn = conn.begin().await?;
            txn.execute_raw(Statement::from_string(
                DbBackend::Postgres,
                format!("SELECT pg_advisory_xact_lock({MIGRATION_LOCK})"),
            ))
            .await?;
            txn
        }
        _ => db::begin_write(conn).await?,
    };
    let pending = Migrator::get_pending_migrations(&txn).await?.len();
    if pending > 0 {
        Migrator::up(&txn, None).await?;
    }
    txn.commit().await?;
    if pending > 0 {
        tracing::info!(applied = pending, "migrations applied");
    }
    Ok(pending)
}

/// Opens and migrates.
pub async fn open_migrated(settings: &Settings) -> anyhow::Result<DatabaseConnection> {
    let conn = open(settings).await?;
    migrate(&conn)
        .await
        .map_err(|e| anyhow::anyhow!("migrating {}: {e:#}", mask_url(&settings.effective_database_url())))?;
    // Payment tokens: the keys installed and checked, tokens stored in clear sealed (R23).
    crate::tokens::prepare(&conn, settings).await?;
    Ok(conn)
}

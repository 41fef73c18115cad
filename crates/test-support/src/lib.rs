//! Test support: a fresh, migrated database per test.
//!
//! SQLite always (a file in a temporary folder, so WAL and the pool behave as in production); PostgreSQL as
//! well when `TEST_DATABASE_URL` is set, each test in a database of its own that is dropped afterwards, even
//! when the test panics. Tests loop over [`databases`] so that every rule is proven on both backends.

#![allow(clippy::panic, reason = "test support fails the test loudly and at once")]

pub mod smtp;

use migration::{Migrator, MigratorTrait};
use platform_core::settings::DatabaseSettings;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};

/// The variable naming the PostgreSQL server to test against (any database on it; tests create their own).
pub const TEST_DATABASE_URL: &str = "TEST_DATABASE_URL";

/// A migrated database that lives as long as this value.
pub struct TestDb {
    /// An open pool on it.
    pub conn: DatabaseConnection,
    /// Its URL, for a server under test.
    pub url: String,
    _cleanup: Cleanup,
}

enum Cleanup {
    Folder(
        #[expect(dead_code, reason = "held only for its Drop, which deletes the folder")] tempfile::TempDir,
    ),
    Postgres {
        admin_url: String,
        name: String,
    },
}

impl TestDb {
    /// Which backend this is, for assertion messages.
    pub fn backend(&self) -> DbBackend {
        self.conn.get_database_backend()
    }

    /// A short label: `sqlite` or `postgres`.
    pub fn label(&self) -> &'static str {
        match self.backend() {
            DbBackend::Postgres => "postgres",
            _ => "sqlite",
        }
    }
}

/// One fresh migrated database per backend under test: SQLite, plus PostgreSQL when `TEST_DATABASE_URL` is set.
pub async fn databases() -> Vec<TestDb> {
    let mut all = vec![sqlite().await];
    if let Ok(url) = std::env::var(TEST_DATABASE_URL)
        && !url.trim().is_empty()
    {
        all.push(postgres(url.trim()).await);
    }
    all
}

/// One fresh database per backend under test, as [`databases`], but empty (no migrations, no connection
/// open): its URL, and a value that removes it when dropped. For tests of the first start; on SQLite the
/// file does not exist yet.
pub async fn empty_databases() -> Vec<(String, impl Drop)> {
    let folder = tempfile::tempdir().unwrap_or_else(|e| panic!("temporary folder: {e}"));
    let url = format!("sqlite://{}?mode=rwc", folder.path().join("fresh.db").display());
    let mut all = vec![(url, Cleanup::Folder(folder))];
    if let Ok(admin_url) = std::env::var(TEST_DATABASE_URL)
        && !admin_url.trim().is_empty()
    {
        let (url, cleanup) = create_postgres(admin_url.trim()).await;
        all.push((url, cleanup));
    }
    all
}

/// A fresh migrated SQLite database in a temporary folder.
pub async fn sqlite() -> TestDb {
    let folder = tempfile::tempdir().unwrap_or_else(|e| panic!("temporary folder: {e}"));
    let url = format!("sqlite://{}?mode=rwc", folder.path().join("test.db").display());
    let conn = open_migrated(&url).await;
    TestDb { conn, url, _cleanup: Cleanup::Folder(folder) }
}

/// A fresh migrated PostgreSQL database on the server of `admin_url`.
pub async fn postgres(admin_url: &str) -> TestDb {
    let (url, cleanup) = create_postgres(admin_url).await;
    let conn = open_migrated(&url).await;
    TestDb { conn, url, _cleanup: cleanup }
}

/// An empty database of its own on the server of `admin_url`, dropped with the cleanup.
async fn create_postgres(admin_url: &str) -> (String, Cleanup) {
    let name = format!("t_{}", uuid::Uuid::new_v4().simple());
    let admin = sea_orm::Database::connect(admin_url)
        .await
        .unwrap_or_else(|e| panic!("{TEST_DATABASE_URL} does not answer: {e}"));
    admin
        .execute_raw(Statement::from_string(DbBackend::Postgres, format!("CREATE DATABASE \"{name}\"")))
        .await
        .unwrap_or_else(|e| panic!("create test database: {e}"));
    let _ = admin.close().await;
    (with_database(admin_url, &name), Cleanup::Postgres { admin_url: admin_url.to_owned(), name })
}

async fn open_migrated(url: &str) -> DatabaseConnection {
    let settings = DatabaseSettings { max_connections: Some(8), ..DatabaseSettings::default() };
    let conn = platform_core::db::connect(url, &settings).await.unwrap_or_else(|e| panic!("{e}"));
    Migrator::up(&conn, None).await.unwrap_or_else(|e| panic!("migrations on {url}: {e}"));
    conn
}

/// `url` pointing at database `name` instead of its own.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, format!("?{query}")),
        None => (url, String::new()),
    };
    let without_path = match base.find("://").map(|i| i + 3) {
        Some(start) => match base[start..].find('/') {
            Some(slash) => &base[..start + slash],
            None => base,
        },
        None => base,
    };
    format!("{without_path}/{name}{query}")
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        let Cleanup::Postgres { admin_url, name } = self else { return };
        let (admin_url, name) = (admin_url.clone(), name.clone());
        // Drop may run inside a runtime; a thread of its own with its own runtime can block safely.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().ok()?;
            runtime.block_on(async {
                let admin = sea_orm::Database::connect(admin_url.as_str()).await.ok()?;
                let sql = format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
                admin.execute_raw(Statement::from_string(DbBackend::Postgres, sql)).await.ok()?;
                admin.close().await.ok()
            })
        })
        .join();
        if !matches!(dropped, Ok(Some(()))) {
            eprintln!("warning: test database was not dropped");
        }
    }
}

/// `SELECT COUNT(*) FROM <from>`: `from` is a table, optionally with joins and a `WHERE` clause
/// (`"events WHERE event_type = 'order.paid'"`). Panics on a database error.
pub async fn count(db: &impl ConnectionTrait, from: &str) -> i64 {
    let statement =
        Statement::from_string(db.get_database_backend(), format!("SELECT COUNT(*) AS n FROM {from}"));
    let row = match db.query_one_raw(statement).await {
        Ok(Some(row)) => row,
        Ok(None) => panic!("COUNT(*) FROM {from} returned no row"),
        Err(err) => panic!("COUNT(*) FROM {from}: {err}"),
    };
    match row.try_get::<i64>("", "n") {
        Ok(n) => n,
        Err(err) => panic!("COUNT(*) FROM {from}: {err}"),
    }
}

/// Runs one SQL statement (fixtures a test cannot make through the API, like a session whose end has
/// passed). Panics on a database error.
pub async fn execute(db: &impl ConnectionTrait, sql: &str) {
    if let Err(err) = db.execute_raw(Statement::from_string(db.get_database_backend(), sql.to_owned())).await
    {
        panic!("{sql}: {err}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_name_is_swapped_keeping_the_query() {
        assert_eq!(
            with_database("postgres://postgres@127.0.0.1:5432/test", "t_1"),
            "postgres://postgres@127.0.0.1:5432/t_1"
        );
        assert_eq!(
            with_database("postgres://u@h/test?sslmode=disable", "t_1"),
            "postgres://u@h/t_1?sslmode=disable"
        );
        assert_eq!(with_database("postgres://u@h", "t_1"), "postgres://u@h/t_1");
    }
}

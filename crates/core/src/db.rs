//! Opening the database: PostgreSQL (production) or SQLite (the embedded default), with the pool settings
//! that suit each, and URLs shown with their password masked.

use crate::settings::DatabaseSettings;
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, DbErr, SqliteTransactionMode,
    Statement, TransactionOptions, TransactionTrait,
};
use std::time::Duration;

/// The database could not be opened. The message names the URL with its password masked.
#[derive(Debug, thiserror::Error)]
#[error("cannot open database {url}: {reason}")]
pub struct OpenError {
    /// The URL, password masked.
    pub url: String,
    /// Why, in one line.
    pub reason: String,
}

/// Which kind of database a URL names.
pub fn backend_of(url: &str) -> Option<DbBackend> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Some(DbBackend::Postgres)
    } else if url.starts_with("sqlite:") {
        Some(DbBackend::Sqlite)
    } else {
        None
    }
}

/// `url` with any password replaced by `***`, safe for logs and error messages.
pub fn mask_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            // set_password only fails for URLs that cannot carry one, which is not the case here.
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        Ok(_) => url.to_owned(),
        // Unparseable: show the scheme only, the rest may hold a secret.
        Err(_) => match url.split_once("://") {
            Some((scheme, _)) => format!("{scheme}://***"),
            None => "***".to_owned(),
        },
    }
}

/// Opens a pool on `url`. SQLite files are created (with their folder) when missing and run in WAL mode
/// with `synchronous=NORMAL`, foreign keys on and a busy timeout, so that readers never wait for the writer.
pub async fn connect(url: &str, settings: &DatabaseSettings) -> Result<DatabaseConnection, OpenError> {
    let fail = |reason: String| OpenError { url: mask_url(url), reason };
    let backend = backend_of(url)
        .ok_or_else(|| fail("unsupported URL scheme (expected postgres:// or sqlite:)".to_owned()))?;
    let timeout = Duration::from_secs(settings.connect_timeout_secs.max(1));
    let mut options = ConnectOptions::new(url.to_owned());
    options.connect_timeout(timeout).acquire_timeout(timeout).sqlx_logging(false);
    match backend {
        DbBackend::Sqlite => {
            create_sqlite_folder(url).map_err(|e| fail(e.to_string()))?;
            options
                .max_connections(settings.max_connections.unwrap_or(4))
                .min_connections(1)
                .map_sqlx_sqlite_opts(|opts| {
                    opts.create_if_missing(true)
                        .journal_mode(SqliteJournalMode::Wal)
                        .synchronous(SqliteSynchronous::Normal)
                        .foreign_keys(true)
                        .busy_timeout(Duration::from_secs(10))
                });
        }
        _ => {
            options.max_connections(settings.max_connections.unwrap_or(16));
        }
    }
    // Several instances opening a fresh SQLite file at once: switching it to WAL needs its lock, and SQLite
    // answers "database is locked" at once instead of waiting; try again until the connect timeout.
    let started = std::time::Instant::now();
    loop {
        match Database::connect(options.clone()).await {
            Err(err)
                if backend == DbBackend::Sqlite
                    && err.to_string().contains("database is locked")
                    && started.elapsed() < timeout =>
            {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            other => return other.map_err(|e| fail(one_line(&e.to_string()))),
        }
    }
}

fn create_sqlite_folder(url: &str) -> std::io::Result<()> {
    let path = url.trim_start_matches("sqlite://").trim_start_matches("sqlite:");
    let path = path.split('?').next().unwrap_or_default();
    if path.is_empty() || path == ":memory:" {
        return Ok(());
    }
    match std::path::Path::new(path).parent() {
        Some(parent) if !parent.as_os_str().is_empty() => std::fs::create_dir_all(parent),
        _ => Ok(()),
    }
}

fn one_line(message: &str) -> String {
    message.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Begins a transaction that will write. On SQLite it takes the write lock at once (`BEGIN IMMEDIATE`), so
/// concurrent writers queue on the busy timeout instead of failing when a read transaction cannot be
/// upgraded; on PostgreSQL it is a plain `BEGIN`. Every domain's write transaction starts here.
pub async fn begin_write<C: TransactionTrait>(db: &C) -> Result<C::Transaction, DbErr> {
    db.begin_with_options(TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..TransactionOptions::default()
    })
    .await
}

/// Whether `err` is a unique-constraint violation: the loser of a race on a unique key.
pub fn is_unique_violation(err: &DbErr) -> bool {
    matches!(err.sql_err(), Some(sea_orm::SqlErr::UniqueConstraintViolation(_)))
}

/// A unique constraint as each database names it when it is violated, so that a write maps the violation
/// of *this* constraint to its domain error and lets any other one through as unexpected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UniqueKey {
    /// PostgreSQL's name: the index's (`ux_renewals_creation_key`), or `{table}_{column}_key` for a
    /// column declared unique.
    pub name: &'static str,
    /// SQLite's: the columns as its message lists them (`payments.transaction_id`, `orders.source,
    /// orders.channel_order_id`).
    pub columns: &'static str,
}

impl UniqueKey {
    /// Whether `err` violates this constraint.
    pub fn violated_by(&self, err: &DbErr) -> bool {
        let Some(sea_orm::SqlErr::UniqueConstraintViolation(message)) = err.sql_err() else {
            return false;
        };
        // PostgreSQL: `duplicate key value violates unique constraint "name"`;
        // SQLite: `UNIQUE constraint failed: table.a, table.b`.
        let quoted = message.split('"').nth(1);
        quoted == Some(self.name) || message.rsplit("constraint failed: ").next() == Some(self.columns)
    }

    /// Whether `db` has this constraint under the name its backend reports (a unique index of that name on
    /// PostgreSQL; one over exactly these columns, in this order, on SQLite). A test checks every
    /// domain's keys with it, so a renamed index cannot silently turn a domain outcome into `INTERNAL`.
    pub async fn exists(&self, db: &impl ConnectionTrait) -> Result<bool, DbErr> {
        let backend = db.get_database_backend();
        if backend == DbBackend::Postgres {
            let sql = "SELECT c.relname FROM pg_class c JOIN pg_index i ON i.indexrelid = c.oid \
                       WHERE c.relname = $1 AND i.indisunique";
            let found =
                db.query_one_raw(Statement::from_sql_and_values(backend, sql, [self.name.into()])).await?;
            return Ok(found.is_some());
        }
        let Some((table, _)) = self.columns.split_once('.') else { return Ok(false) };
        let sql = "SELECT il.name AS ix, ii.seqno AS seq, ii.name AS col FROM pragma_index_list(?) il \
                   JOIN pragma_index_info(il.name) ii WHERE il.\"unique\" = 1 ORDER BY il.name, ii.seqno";
        let rows = db.query_all_raw(Statement::from_sql_and_values(backend, sql, [table.into()])).await?;
        let mut indexes: std::collections::BTreeMap<String, Vec<String>> = Default::default();
        for row in rows {
            let column: String = row.try_get("", "col")?;
            indexes.entry(row.try_get("", "ix")?).or_default().push(format!("{table}.{column}"));
        }
        Ok(indexes.values().any(|columns| columns.join(", ") == self.columns))
    }
}

/// Whether the database answers a trivial query.
pub async fn ping(db: &DatabaseConnection) -> bool {
    db.ping().await.is_ok()
}

/// Which of the periods `[bounds[i], bounds[i + 1])` a timestamp falls in (`i`, or `-1` past the last),
/// so that per-day figures are one grouped range scan (the caller filters `bounds[0] <= column <
/// bounds[last]`). The `CASE` is nested as a binary search — `CASE WHEN column < bounds[mid] THEN (… the
/// lower half) ELSE (… the upper half) END` — so a row costs about log₂(periods) comparisons, not one per
/// period (30 flat branches made a month of orders three times slower on PostgreSQL).
pub fn period_case(column: &str, bounds: &[chrono::DateTime<chrono::Utc>]) -> sea_orm::sea_query::SimpleExpr {
    use sea_orm::sea_query::{Alias, CaseStatement, Expr, ExprTrait};
    fn half(column: &Alias, bounds: &[chrono::DateTime<chrono::Utc>], lo: usize, hi: usize) -> Expr {
        // Periods lo..hi; period i starts at bounds[i].
        if hi - lo <= 1 {
            return Expr::val(i32::try_from(lo).unwrap_or(i32::MAX));
        }
        let mid = lo + (hi - lo) / 2;
        let lower = half(column, bounds, lo, mid);
        let upper = half(column, bounds, mid, hi);
        CaseStatement::new().case(Expr::col(column.clone()).lt(bounds[mid]), lower).finally(upper).into()
    }
    let periods = bounds.len().saturating_sub(1);
    if periods == 0 {
        return Expr::val(-1);
    }
    let column = Alias::new(column);
    let last = bounds[periods];
    CaseStatement::new()
        .case(Expr::col(column.clone()).gte(last), Expr::val(-1))
        .finally(half(&column, bounds, 0, periods))
        .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_never_show() {
        assert_eq!(mask_url("postgres://app:s3cret@db:5432/platform"), "postgres://app:***@db:5432/platform");
        assert_eq!(mask_url("postgres://app@db/platform"), "postgres://app@db/platform");
        assert_eq!(mask_url("sqlite://data/platform.db?mode=rwc"), "sqlite://data/platform.db?mode=rwc");
        assert!(!mask_url("postgres://a:b@[bad").contains('b'));
    }

    #[tokio::test]
    async fn sqlite_file_and_folder_are_created() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}/nested/p.db?mode=rwc", dir.path().display());
        let db = connect(&url, &DatabaseSettings::default()).await.unwrap();
        assert!(ping(&db).await);
        assert!(dir.path().join("nested/p.db").exists());
    }

    #[tokio::test]
    async fn a_unique_violation_is_told_apart_by_its_constraint() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}/u.db?mode=rwc", dir.path().display());
        let db = connect(&url, &DatabaseSettings::default()).await.unwrap();
        let run = |sql: &'static str| db.execute_unprepared(sql);
        run("CREATE TABLE t (a TEXT UNIQUE, b TEXT, c TEXT, UNIQUE (b, c))").await.unwrap();
        run("INSERT INTO t VALUES ('x', 'y', 'z')").await.unwrap();
        let single = UniqueKey { name: "t_a_key", columns: "t.a" };
        let pair = UniqueKey { name: "ux_t_b_c", columns: "t.b, t.c" };

        let err = run("INSERT INTO t VALUES ('x', 'y', 'other')").await.unwrap_err();
        assert!(single.violated_by(&err) && !pair.violated_by(&err), "{err}");
        let err = run("INSERT INTO t VALUES ('other', 'y', 'z')").await.unwrap_err();
        assert!(pair.violated_by(&err) && !single.violated_by(&err), "{err}");
        let err = run("INSERT INTO none VALUES (1)").await.unwrap_err();
        assert!(!single.violated_by(&err) && !pair.violated_by(&err), "{err}");
        assert!(single.exists(&db).await.unwrap() && pair.exists(&db).await.unwrap());
        let reversed = UniqueKey { name: "ux_t_c_b", columns: "t.c, t.b" };
        assert!(!reversed.exists(&db).await.unwrap());
    }

    #[tokio::test]
    async fn unreachable_database_is_a_one_line_error_with_the_password_masked() {
        let settings = DatabaseSettings { connect_timeout_secs: 1, ..DatabaseSettings::default() };
        let err = connect("postgres://app:s3cret@127.0.0.1:1/none", &settings).await.unwrap_err();
        let text = err.to_string();
        assert!(text.starts_with("cannot open database postgres://app:***@127.0.0.1:1/none: "), "{text}");
        assert!(!text.contains("s3cret") && !text.contains('\n'), "{text}");
        let bad = connect("mysql://x", &settings).await.unwrap_err().to_string();
        assert!(bad.contains("unsupported URL scheme"), "{bad}");
    }
}

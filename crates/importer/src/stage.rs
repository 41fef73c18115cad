//! The staging table of one batch and the transaction around it.
//!
//! A batch of parsed rows is loaded into a temporary table (`import_stage`): with `COPY … FROM STDIN` on
//! PostgreSQL, with multi-row `INSERT`s on SQLite. The kind then validates references and merges with a
//! few set-based statements (`UPDATE import_stage SET reject = …`, `INSERT … SELECT … ON CONFLICT`) that
//! are the same SQL on both backends. Everything runs in one write transaction per batch, committed — or
//! rolled back for `--dry-run`.
//!
//! This talks to sqlx directly (through sea-orm's pools) because sea-orm has no COPY.

use chrono::{DateTime, NaiveDate, Utc};
use platform_core::bulk::{STAGE, StageType};
use sea_orm::sqlx::{self, Postgres, Row, Sqlite};
use sea_orm::{DatabaseConnection, DbBackend};

/// One value to stage or bind.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Cell {
    Null,
    Text(String),
    Int(i64),
    Date(NaiveDate),
    Bool(bool),
    At(DateTime<Utc>),
    Uuid(uuid::Uuid),
}

impl From<Option<String>> for Cell {
    fn from(value: Option<String>) -> Self {
        value.map_or(Cell::Null, Cell::Text)
    }
}

impl From<Option<NaiveDate>> for Cell {
    fn from(value: Option<NaiveDate>) -> Self {
        value.map_or(Cell::Null, Cell::Date)
    }
}

impl From<Option<i64>> for Cell {
    fn from(value: Option<i64>) -> Self {
        value.map_or(Cell::Null, Cell::Int)
    }
}

/// A staged row: its line in the file and its cells, in the order of the stage's columns.
pub(crate) type StagedRow = (u64, Vec<Cell>);

/// The open transaction of one batch.
pub(crate) enum Tx {
    Postgres(sqlx::Transaction<'static, Postgres>),
    Sqlite(sqlx::Transaction<'static, Sqlite>),
}

impl Tx {
    /// Begins a write transaction (on SQLite `BEGIN IMMEDIATE`, so it queues behind other writers).
    pub(crate) async fn begin(db: &DatabaseConnection) -> Result<Tx, sqlx::Error> {
        Ok(match db.get_database_backend() {
            DbBackend::Postgres => {
                let mut tx = db.get_postgres_connection_pool().begin().await?;
                // A batch lost to a crash right after its commit is imported again by the re-run (every kind
                // is idempotent), so the commit need not wait for the WAL flush.
                sqlx::raw_sql("SET LOCAL synchronous_commit = off").execute(&mut *tx).await?;
                Tx::Postgres(tx)
            }
            _ => Tx::Sqlite(db.get_sqlite_connection_pool().begin_with("BEGIN IMMEDIATE").await?),
        })
    }

    /// Creates the stage with `columns` (plus `line` and `reject`) and loads `rows` into it.
    pub(crate) async fn stage(
        &mut self,
        columns: &[(&str, StageType)],
        rows: &[StagedRow],
    ) -> Result<(), sqlx::Error> {
        let names: Vec<&str> = columns.iter().map(|(name, _)| *name).collect();
        match self {
            Tx::Postgres(tx) => {
                let defs: Vec<String> =
                    columns.iter().map(|(name, ty)| format!("{name} {}", ty.postgres())).collect();
                sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                    "CREATE TEMP TABLE {STAGE} (line bigint NOT NULL, reject text, {}) ON COMMIT DROP",
                    defs.join(", ")
                )))
                .execute(&mut **tx)
                .await?;
                let mut copy =
                    tx.copy_in_raw(&format!("COPY {STAGE} (line, {}) FROM STDIN", names.join(", "))).await?;
                let mut buffer = Vec::with_capacity(rows.len() * 96);
                for (line, cells) in rows {
                    buffer.extend_from_slice(line.to_string().as_bytes());
                    for cell in cells {
                        buffer.push(b'\t');
                        copy_text(&mut buffer, cell);
                    }
                    buffer.push(b'\n');
                    if buffer.len() > 1 << 20 {
                        copy.send(std::mem::take(&mut buffer)).await?;
                    }
                }
                if !buffer.is_empty() {
                    copy.send(buffer).await?;
                }
                copy.finish().await?;
            }
            Tx::Sqlite(tx) => {
                sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                    "DROP TABLE IF EXISTS temp.{STAGE}; CREATE TEMP TABLE {STAGE} (line INTEGER NOT NULL, reject TEXT, {})",
                    names.join(", ")
                )))
                .execute(&mut **tx)
                .await?;
                // SQLite allows 32,766 bound values per statement.
                let per_statement = (32_000 / (columns.len() + 1)).clamp(1, 500);
                for chunk in rows.chunks(per_statement) {
                    let row = format!("(?{})", ",?".repeat(columns.len()));
                    let sql = format!(
                        "INSERT INTO {STAGE} (line, {}) VALUES {}",
                        names.join(", "),
                        vec![row; chunk.len()].join(",")
                    );
                    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
                    for (line, cells) in chunk {
                        query = query.bind(i64::try_from(*line).unwrap_or(i64::MAX));
                        for cell in cells {
                            query = bind_sqlite(query, cell);
                        }
                    }
                    query.execute(&mut **tx).await?;
                }
            }
        }
        Ok(())
    }

    /// Runs `sql` with `binds` (`$1`, `$2`, … on both backends) and returns the rows it changed.
    pub(crate) async fn execute(&mut self, sql: &str, binds: &[Cell]) -> Result<u64, sqlx::Error> {
        Ok(match self {
            Tx::Postgres(tx) => {
                let mut query = sqlx::query(sqlx::AssertSqlSafe(sql.to_owned()));
                for cell in binds {
                    query = bind_postgres(query, cell);
                }
                query.execute(&mut **tx).await?.rows_affected()
            }
            Tx::Sqlite(tx) => {
                let mut query = sqlx::query(sqlx::AssertSqlSafe(sql.to_owned()));
                for cell in binds {
                    query = bind_sqlite(query, cell);
                }
                query.execute(&mut **tx).await?.rows_affected()
            }
        })
    }

    /// Runs `sql`, a query of one integer, with `binds`.
    pub(crate) async fn scalar(&mut self, sql: &str, binds: &[Cell]) -> Result<i64, sqlx::Error> {
        Ok(match self {
            Tx::Postgres(tx) => {
                let mut query = sqlx::query(sqlx::AssertSqlSafe(sql.to_owned()));
                for cell in binds {
                    query = bind_postgres(query, cell);
                }
                query.fetch_one(&mut **tx).await?.try_get::<i64, _>(0)?
            }
            Tx::Sqlite(tx) => {
                let mut query = sqlx::query(sqlx::AssertSqlSafe(sql.to_owned()));
                for cell in binds {
                    query = bind_sqlite(query, cell);
                }
                query.fetch_one(&mut **tx).await?.try_get::<i64, _>(0)?
            }
        })
    }

    /// The staged rows marked rejected: (line, reason).
    pub(crate) async fn rejects(&mut self) -> Result<Vec<(u64, String)>, sqlx::Error> {
        let sql = format!("SELECT line, reject FROM {STAGE} WHERE reject IS NOT NULL ORDER BY line");
        let rows: Vec<(i64, String)> = match self {
            Tx::Postgres(tx) => sqlx::query_as(sqlx::AssertSqlSafe(sql)).fetch_all(&mut **tx).await?,
            Tx::Sqlite(tx) => sqlx::query_as(sqlx::AssertSqlSafe(sql)).fetch_all(&mut **tx).await?,
        };
        Ok(rows.into_iter().map(|(line, reason)| (u64::try_from(line).unwrap_or(0), reason)).collect())
    }

    /// Commits, or rolls back when `dry_run`.
    pub(crate) async fn finish(self, dry_run: bool) -> Result<(), sqlx::Error> {
        match (self, dry_run) {
            (Tx::Postgres(tx), false) => tx.commit().await,
            (Tx::Postgres(tx), true) => tx.rollback().await,
            (Tx::Sqlite(mut tx), false) => {
                sqlx::raw_sql(sqlx::AssertSqlSafe(format!("DROP TABLE IF EXISTS temp.{STAGE}")))
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await
            }
            (Tx::Sqlite(tx), true) => tx.rollback().await,
        }
    }
}

/// A cell in COPY's text format: `\N` for NULL; backslash, tab, newline and carriage return escaped.
fn copy_text(buffer: &mut Vec<u8>, cell: &Cell) {
    match cell {
        Cell::Null => buffer.extend_from_slice(b"\\N"),
        Cell::Text(text) => {
            for byte in text.bytes() {
                match byte {
                    b'\\' => buffer.extend_from_slice(b"\\\\"),
                    b'\t' => buffer.extend_from_slice(b"\\t"),
                    b'\n' => buffer.extend_from_slice(b"\\n"),
                    b'\r' => buffer.extend_from_slice(b"\\r"),
                    other => buffer.push(other),
                }
            }
        }
        Cell::Int(n) => buffer.extend_from_slice(n.to_string().as_bytes()),
        Cell::Date(date) => buffer.extend_from_slice(date.format("%Y-%m-%d").to_string().as_bytes()),
        Cell::Bool(b) => buffer.push(if *b { b't' } else { b'f' }),
        Cell::At(at) => buffer.extend_from_slice(at.to_rfc3339().as_bytes()),
        Cell::Uuid(uuid) => buffer.extend_from_slice(uuid.hyphenated().to_string().as_bytes()),
    }
}

type PgQuery<'q> = sqlx::query::Query<'q, Postgres, sqlx::postgres::PgArguments>;
type LiteQuery<'q> = sqlx::query::Query<'q, Sqlite, sqlx::sqlite::SqliteArguments>;

fn bind_postgres<'q>(query: PgQuery<'q>, cell: &Cell) -> PgQuery<'q> {
    match cell.clone() {
        Cell::Null => query.bind(None::<String>),
        Cell::Text(text) => query.bind(text),
        Cell::Int(n) => query.bind(n),
        Cell::Date(date) => query.bind(date),
        Cell::Bool(b) => query.bind(b),
        Cell::At(at) => query.bind(at),
        Cell::Uuid(uuid) => query.bind(uuid),
    }
}

fn bind_sqlite<'q>(query: LiteQuery<'q>, cell: &Cell) -> LiteQuery<'q> {
    match cell.clone() {
        Cell::Null => query.bind(None::<String>),
        Cell::Text(text) => query.bind(text),
        Cell::Int(n) => query.bind(n),
        Cell::Date(date) => query.bind(date),
        Cell::Bool(b) => query.bind(b),
        Cell::At(at) => query.bind(at),
        Cell::Uuid(uuid) => query.bind(uuid),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copy_text_escapes_what_copy_would_misread() {
        let mut buffer = Vec::new();
        copy_text(&mut buffer, &Cell::Text("a\tb\\c\nd".into()));
        assert_eq!(buffer, b"a\\tb\\\\c\\nd");
        buffer.clear();
        copy_text(&mut buffer, &Cell::Null);
        assert_eq!(buffer, b"\\N");
    }
}

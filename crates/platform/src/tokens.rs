//! Payment tokens at rest, at start-up and on demand (R23): the settings' keys installed for the process,
//! every stored token checked to open with them (a wrong or missing key stops the start, loudly), tokens
//! stored in clear before encryption sealed with the active key, and `platform rotate-token-key`, which
//! re-seals every token not sealed with the active key, a batch at a time, so the old keys can then go.

use platform_core::Settings;
use platform_core::tokens::{self, COLUMNS, PREFIX, TokenKeys};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};

/// Rows re-sealed per transaction.
const BATCH: u64 = 1000;

/// Installs the settings' keys, checks that every key id stored is held and opens its tokens, and seals
/// the tokens still stored in clear. Returns how many were sealed.
pub async fn prepare(db: &DatabaseConnection, settings: &Settings) -> anyhow::Result<u64> {
    let keys = settings.payments.token_keys(settings.production)?;
    tokens::install(keys.clone());
    verify(db, &keys).await?;
    let mut sealed = 0;
    for (table, column) in COLUMNS {
        sealed += reseal(db, &keys, table, column, &format!("{column} NOT LIKE '{PREFIX}%'")).await?;
    }
    if sealed > 0 {
        tracing::info!(sealed, "payment tokens stored in clear are sealed now");
    }
    Ok(sealed)
}

/// `platform rotate-token-key`: every token not sealed with the active key re-sealed with it. Returns
/// how many.
pub async fn rotate(db: &DatabaseConnection, settings: &Settings) -> anyhow::Result<u64> {
    let keys = settings.payments.token_keys(settings.production)?;
    let current = format!("{PREFIX}{}:%", keys.active());
    let mut rotated = 0;
    for (table, column) in COLUMNS {
        rotated += reseal(db, &keys, table, column, &format!("{column} NOT LIKE '{current}'")).await?;
    }
    Ok(rotated)
}

/// Each key id stored is one of `keys` and a token of it opens.
async fn verify(db: &DatabaseConnection, keys: &TokenKeys) -> anyhow::Result<()> {
    for (table, column) in COLUMNS {
        let id_of = match db.get_database_backend() {
            DbBackend::Postgres => format!("split_part({column}, ':', 2)"),
            _ => format!("substr({column}, 5, instr(substr({column}, 5), ':') - 1)"),
        };
        let sql = format!(
            "SELECT {id_of} AS id, MIN({column}) AS sample FROM {table} WHERE {column} LIKE '{PREFIX}%' GROUP BY {id_of}"
        );
        let rows = db.query_all_raw(Statement::from_string(db.get_database_backend(), sql)).await?;
        for row in rows {
            let sample: String = row.try_get("", "sample")?;
            keys.open(&sample).map_err(|e| anyhow::anyhow!("{table}.{column}: {e}"))?;
        }
    }
    Ok(())
}

/// Re-seals, with the active key, the tokens of `table` matching `which`, in batches by id.
async fn reseal(
    db: &DatabaseConnection,
    keys: &TokenKeys,
    table: &str,
    column: &str,
    which: &str,
) -> anyhow::Result<u64> {
    let backend = db.get_database_backend();
    let mut done = 0;
    let mut after = 0i64;
    loop {
        let sql = format!(
            "SELECT id, {column} AS token FROM {table} WHERE {column} IS NOT NULL AND {which} AND id > $1 \
             ORDER BY id LIMIT {BATCH}"
        );
        let rows = db.query_all_raw(Statement::from_sql_and_values(backend, sql, [after.into()])).await?;
        if rows.is_empty() {
            return Ok(done);
        }
        let txn = platform_core::db::begin_write(db).await?;
        for row in &rows {
            let id: i64 = row.try_get("", "id")?;
            let stored: String = row.try_get("", "token")?;
            let token = keys.open(&stored).map_err(|e| anyhow::anyhow!("{table} {id}: {e}"))?;
            let update = format!("UPDATE {table} SET {column} = $1 WHERE id = $2");
            txn.execute_raw(Statement::from_sql_and_values(
                backend,
                update,
                [keys.seal(&token).into(), id.into()],
            ))
            .await?;
            after = id;
            done += 1;
        }
        txn.commit().await?;
    }
}

//! Claiming rows with a lease: the one statement the charge run, the webhook dispatcher and the e-mail
//! dispatcher use to take work that several instances compete for.
//!
//! The candidates are picked once, in a materialised CTE (locked with `FOR UPDATE SKIP LOCKED` on
//! PostgreSQL, so competing claims skip each other's rows instead of waiting), and only those still free
//! are updated. As a subquery (`id IN (SELECT … LIMIT n FOR UPDATE SKIP LOCKED)`, or in FROM) PostgreSQL
//! may plan the candidates as the inner side of a nested loop and rescan them for every row, each rescan
//! skipping the rows just leased: one claim then leased far more than `LIMIT` rows. SQLite has one writer;
//! the statement is atomic there as it is.

use sea_orm::{ConnectionTrait, DbBackend, DbErr, QueryResult, Statement, Value};

/// A claim to make. SQL fragments are the caller's own text (never input), with values bound as `?1`,
/// `?2`, … (written `$1`, `$2`, … for PostgreSQL by [`claim`]).
#[derive(Debug, Clone)]
pub struct LeaseClaim<'a> {
    /// The table claimed from; its key is `id`.
    pub table: &'a str,
    /// The candidates: a `SELECT <alias>.id AS claimed_id FROM … WHERE … ORDER BY … LIMIT n`.
    pub candidates: &'a str,
    /// The alias of `table` in `candidates` to lock on PostgreSQL (`FOR UPDATE OF <alias> SKIP LOCKED`),
    /// when the candidates join other tables; `None` locks every table of the select.
    pub lock_of: Option<&'a str>,
    /// The assignments of the claim, e.g. `lease_owner = ?1, lease_until = ?2`.
    pub set: &'a str,
    /// What must still hold of a candidate when it is updated (it may have been taken meanwhile).
    pub still_free: &'a str,
    /// The columns returned, unqualified.
    pub returning: &'a str,
}

/// Makes `claim` with `values`; the claimed rows' `returning` columns.
pub async fn claim(
    db: &impl ConnectionTrait,
    claim: &LeaseClaim<'_>,
    values: Vec<Value>,
) -> Result<Vec<QueryResult>, DbErr> {
    let backend = db.get_database_backend();
    let lock = match (backend, claim.lock_of) {
        (DbBackend::Postgres, Some(alias)) => format!(" FOR UPDATE OF {alias} SKIP LOCKED"),
        (DbBackend::Postgres, None) => " FOR UPDATE SKIP LOCKED".to_owned(),
        _ => String::new(),
    };
    let sql = format!(
        "WITH candidate AS MATERIALIZED ({candidates}{lock})
         UPDATE {table} SET {set}
         FROM candidate
         WHERE {table}.id = candidate.claimed_id AND {still_free}
         RETURNING {returning}",
        candidates = claim.candidates,
        table = claim.table,
        set = claim.set,
        still_free = claim.still_free,
        returning = claim.returning,
    );
    db.query_all_raw(Statement::from_sql_and_values(backend, placeholders(&sql, backend), values)).await
}

/// `?n` placeholders as the backend writes them.
fn placeholders(sql: &str, backend: DbBackend) -> String {
    if backend == DbBackend::Postgres { sql.replace('?', "$") } else { sql.to_owned() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_follow_the_backend() {
        assert_eq!(placeholders("a = ?1 AND b < ?2", DbBackend::Postgres), "a = $1 AND b < $2");
        assert_eq!(placeholders("a = ?1", DbBackend::Sqlite), "a = ?1");
    }
}

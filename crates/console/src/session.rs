//! Console sessions and one-time login links, stored by the SHA-256 of their secret. A secret is 32 random
//! bytes in hex; only its holder (the cookie, the link) has it.

use crate::entity::console_session as row;
use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use sha2::{Digest, Sha256};

/// How long a login link from `platform ops-link` may be used.
pub const LINK_MINUTES: i64 = 10;
/// Length of a secret in hex.
const SECRET_HEX: usize = 64;

const SESSION: &str = "SESSION";
const LINK: &str = "LINK";

/// A live session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Session {
    /// The admin.
    pub(crate) subject: String,
    /// The token every form of the session carries.
    pub(crate) csrf: String,
}

/// A new random secret.
pub(crate) fn secret() -> anyhow::Result<String> {
    let mut bytes = [0u8; SECRET_HEX / 2];
    getrandom::fill(&mut bytes).map_err(|e| anyhow::anyhow!("no randomness for a console secret: {e}"))?;
    Ok(hex::encode(bytes))
}

/// Whether `raw` has the shape of a secret (anything else is not looked up).
fn well_formed(raw: &str) -> bool {
    raw.len() == SECRET_HEX && raw.bytes().all(|b| b.is_ascii_hexdigit())
}

fn hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Opens a session of `subject` for `ttl`; returns its secret (the cookie's value) and the session.
pub(crate) async fn open(
    db: &impl ConnectionTrait,
    subject: &str,
    ttl: Duration,
    now: DateTime<Utc>,
) -> anyhow::Result<(String, Session)> {
    // Sessions and links that ended a day ago are of no use to anyone.
    row::Entity::delete_many().filter(row::Column::ExpiresAt.lt(now - Duration::days(1))).exec(db).await?;
    let key = secret()?;
    let csrf = secret()?;
    insert(db, &key, SESSION, subject, Some(csrf.clone()), now + ttl, now).await?;
    Ok((key, Session { subject: subject.to_owned(), csrf }))
}

async fn insert(
    db: &impl ConnectionTrait,
    key: &str,
    kind: &str,
    subject: &str,
    csrf: Option<String>,
    expires_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    row::Entity::insert(row::ActiveModel {
        key_hash: Set(hash(key)),
        kind: Set(kind.to_owned()),
        subject: Set(subject.to_owned()),
        csrf: Set(csrf),
        expires_at: Set(expires_at),
        used_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    })
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// The live session of secret `key` at `now`.
pub(crate) async fn find(
    db: &impl ConnectionTrait,
    key: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<Option<Session>> {
    if !well_formed(key) {
        return Ok(None);
    }
    let found = row::Entity::find_by_id(hash(key))
        .filter(row::Column::Kind.eq(SESSION))
        .filter(row::Column::ExpiresAt.gt(now))
        .one(db)
        .await?;
    Ok(found.and_then(|r| r.csrf.map(|csrf| Session { subject: r.subject, csrf })))
}

/// Ends the session of secret `key` (nothing when there is none).
pub(crate) async fn close(db: &impl ConnectionTrait, key: &str) -> anyhow::Result<()> {
    if well_formed(key) {
        row::Entity::delete_many()
            .filter(row::Column::KeyHash.eq(hash(key)))
            .filter(row::Column::Kind.eq(SESSION))
            .exec(db)
            .await?;
    }
    Ok(())
}

/// A one-time login link's secret for admin `subject`, valid [`LINK_MINUTES`] from `now`.
pub async fn issue_link(
    db: &impl ConnectionTrait,
    subject: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<String> {
    let subject = subject.trim();
    if subject.is_empty() || subject.chars().count() > 200 || subject.chars().any(char::is_control) {
        anyhow::bail!("the admin's name must be 1–200 printable characters");
    }
    let key = secret()?;
    insert(db, &key, LINK, subject, None, now + Duration::minutes(LINK_MINUTES), now).await?;
    Ok(key)
}

/// Uses the link of secret `key`: its admin, once, while it is valid; `None` after (one conditional
/// update, so two clicks racing get one session).
pub(crate) async fn redeem_link(
    db: &impl ConnectionTrait,
    key: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<Option<String>> {
    if !well_formed(key) {
        return Ok(None);
    }
    let key_hash = hash(key);
    let used = row::Entity::update_many()
        .col_expr(row::Column::UsedAt, Expr::value(now))
        .col_expr(row::Column::UpdatedAt, Expr::value(now))
        .filter(row::Column::KeyHash.eq(key_hash.as_str()))
        .filter(row::Column::Kind.eq(LINK))
        .filter(row::Column::UsedAt.is_null())
        .filter(row::Column::ExpiresAt.gt(now))
        .exec(db)
        .await?;
    if used.rows_affected != 1 {
        return Ok(None);
    }
    Ok(row::Entity::find_by_id(key_hash).one(db).await?.map(|r| r.subject))
}

/// Whether two secrets are equal, in time independent of where they differ.
pub(crate) fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

//! The entitlements figures of the daily report (R16): lines granted and failed, entitlements expired.

use crate::entity::grant;
use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter};

/// What happened to entitlements in a period.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EntitlementFigures {
    /// Order lines granted.
    pub granted: u64,
    /// Order lines that could not be granted.
    pub failed: u64,
    /// Entitlements that lapsed (R10).
    pub expired: u64,
}

/// Grants and expiries in `[from, to)`.
pub async fn between(
    db: &impl ConnectionTrait,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<EntitlementFigures, DbErr> {
    let of = |outcome: &'static str| {
        grant::Entity::find()
            .filter(grant::Column::Kind.eq("ORDER"))
            .filter(grant::Column::Outcome.eq(outcome))
            .filter(grant::Column::GrantedAt.gte(from))
            .filter(grant::Column::GrantedAt.lt(to))
    };
    let expired = platform_core::events::count_between(db, "entitlement.expired", from, to).await?;
    Ok(EntitlementFigures {
        granted: of("GRANTED").count(db).await?,
        failed: of("FAILED").count(db).await?,
        expired,
    })
}

//! The notification figures of the daily report and the alerts (R16): webhook deliveries and e-mails of a
//! period, and the backlog now.

use crate::entity::{delivery, email, endpoint};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter, QuerySelect};

/// Deliveries of one endpoint.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EndpointFigures {
    /// The endpoint.
    pub endpoint_id: i64,
    /// Where it sends (`slack` for the Slack endpoint, whose address is a secret).
    pub url: String,
    /// Accepted in the period.
    pub delivered: u64,
    /// Failing now, last tried in the period.
    pub failed: u64,
    /// Given up in the period.
    pub dead: u64,
    /// Waiting now (PENDING or FAILED).
    pub pending: u64,
    /// When the oldest waiting one was created.
    pub oldest_pending: Option<DateTime<Utc>>,
}

/// E-mails of a period.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EmailFigures {
    /// Sent in the period.
    pub sent: u64,
    /// Given up in the period.
    pub failed: u64,
    /// Waiting now.
    pub queued: u64,
}

/// Per endpoint: deliveries of `[from, to)` and the backlog now.
pub async fn deliveries(
    db: &impl ConnectionTrait,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<EndpointFigures>, DbErr> {
    let endpoints = endpoint::Entity::find().all(db).await?;
    let in_period = |status: &'static str, at: delivery::Column| {
        delivery::Entity::find()
            .select_only()
            .column(delivery::Column::EndpointId)
            .column_as(Expr::cust("COUNT(*)"), "n")
            .filter(delivery::Column::Status.eq(status))
            .filter(at.gte(from))
            .filter(at.lt(to))
            .group_by(delivery::Column::EndpointId)
    };
    let delivered: Vec<(i64, i64)> =
        in_period("DELIVERED", delivery::Column::DeliveredAt).into_tuple().all(db).await?;
    let failed: Vec<(i64, i64)> =
        in_period("FAILED", delivery::Column::UpdatedAt).into_tuple().all(db).await?;
    let dead: Vec<(i64, i64)> = in_period("DEAD", delivery::Column::UpdatedAt).into_tuple().all(db).await?;
    let pending: Vec<(i64, i64, Option<DateTime<Utc>>)> = delivery::Entity::find()
        .select_only()
        .column(delivery::Column::EndpointId)
        .column_as(Expr::cust("COUNT(*)"), "n")
        .column_as(delivery::Column::CreatedAt.min(), "oldest")
        .filter(delivery::Column::Status.is_in(["PENDING", "FAILED"]))
        .group_by(delivery::Column::EndpointId)
        .into_tuple()
        .all(db)
        .await?;
    let n = |rows: &[(i64, i64)], id: i64| {
        rows.iter().find(|r| r.0 == id).map_or(0, |r| u64::try_from(r.1).unwrap_or(0))
    };
    Ok(endpoints
        .into_iter()
        .map(|ep| {
            let waiting = pending.iter().find(|r| r.0 == ep.id);
            EndpointFigures {
                endpoint_id: ep.id,
                url: if ep.format == crate::model::FORMAT_SLACK {
                    "slack".to_owned()
                } else {
                    ep.url.clone()
                },
                delivered: n(&delivered, ep.id),
                failed: n(&failed, ep.id),
                dead: n(&dead, ep.id),
                pending: waiting.map_or(0, |r| u64::try_from(r.1).unwrap_or(0)),
                oldest_pending: waiting.and_then(|r| r.2),
            }
        })
        .collect())
}

/// E-mails sent and given up in `[from, to)`, and those waiting now.
pub async fn emails(
    db: &impl ConnectionTrait,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<EmailFigures, DbErr> {
    let sent = email::Entity::find()
        .filter(email::Column::Status.eq("SENT"))
        .filter(email::Column::SentAt.gte(from))
        .filter(email::Column::SentAt.lt(to))
        .count(db)
        .await?;
    // A FAILED e-mail's last attempt is when its last claim took it (`next_attempt_at` is not moved after).
    let failed = email::Entity::find()
        .filter(email::Column::Status.eq("FAILED"))
        .filter(email::Column::NextAttemptAt.gte(from))
        .filter(email::Column::NextAttemptAt.lt(to))
        .count(db)
        .await?;
    let queued = email::Entity::find().filter(email::Column::Status.eq("QUEUED")).count(db).await?;
    Ok(EmailFigures { sent, failed, queued })
}

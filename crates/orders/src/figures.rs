//! The orders figures of the daily report (R16): orders created in a period by source and payment status,
//! with amounts.

use crate::entity::order;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QuerySelect};

/// Orders of one source in one payment status.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderCount {
    /// `EC`, `APP`, `NINE_ONE_APP`, `AUTO`, `IMPORT`.
    pub source: String,
    /// `PENDING`, `PAID`, `FAILED`.
    pub payment_status: String,
    /// How many.
    pub orders: u64,
    /// Their total amount.
    pub amount: i64,
}

/// Orders created in `[from, to)`, by source and payment status (one indexed range scan).
pub async fn created_between(
    db: &impl ConnectionTrait,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<OrderCount>, DbErr> {
    let rows: Vec<(String, String, i64, i64)> = order::Entity::find()
        .select_only()
        .column(order::Column::Source)
        .column(order::Column::PaymentStatus)
        .column_as(Expr::cust("COUNT(*)"), "orders")
        .column_as(Expr::cust("CAST(COALESCE(SUM(total_amount), 0) AS BIGINT)"), "amount")
        .filter(order::Column::CreatedAt.gte(from))
        .filter(order::Column::CreatedAt.lt(to))
        .group_by(order::Column::Source)
        .group_by(order::Column::PaymentStatus)
        .into_tuple()
        .all(db)
        .await?;
    let mut counts: Vec<OrderCount> = rows
        .into_iter()
        .map(|(source, payment_status, orders, amount)| OrderCount {
            source,
            payment_status,
            orders: u64::try_from(orders).unwrap_or(0),
            amount,
        })
        .collect();
    counts.sort_by(|a, b| (&a.source, &a.payment_status).cmp(&(&b.source, &b.payment_status)));
    Ok(counts)
}

/// How many orders were created in `[from, to)`.
pub async fn count_between(
    db: &impl ConnectionTrait,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<u64, DbErr> {
    use sea_orm::PaginatorTrait;
    order::Entity::find()
        .filter(order::Column::CreatedAt.gte(from))
        .filter(order::Column::CreatedAt.lt(to))
        .count(db)
        .await
}

/// Orders created in each period `[bounds[i], bounds[i + 1])`: how many and their total amount, one per
/// period, in one grouped range scan.
pub async fn created_per_period(
    db: &impl ConnectionTrait,
    bounds: &[DateTime<Utc>],
) -> Result<Vec<(u64, i64)>, DbErr> {
    let (Some(first), Some(last)) = (bounds.first(), bounds.last()) else {
        return Ok(Vec::new());
    };
    let rows: Vec<(i32, i64, i64)> = order::Entity::find()
        .select_only()
        .column_as(platform_core::db::period_case("created_at", bounds), "period")
        .column_as(Expr::cust("COUNT(*)"), "orders")
        .column_as(Expr::cust("CAST(COALESCE(SUM(total_amount), 0) AS BIGINT)"), "amount")
        .filter(order::Column::CreatedAt.gte(*first))
        .filter(order::Column::CreatedAt.lt(*last))
        .group_by(Expr::cust("1"))
        .into_tuple()
        .all(db)
        .await?;
    let mut periods = vec![(0, 0); bounds.len().saturating_sub(1)];
    for (period, orders, amount) in rows {
        if let Some(slot) = usize::try_from(period).ok().and_then(|p| periods.get_mut(p)) {
            *slot = (u64::try_from(orders).unwrap_or(0), amount);
        }
    }
    Ok(periods)
}

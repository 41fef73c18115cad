//! The renewals figures of the daily report (R16): what was due, what the charge attempts of a period
//! settled as, and the cash forecast.

use crate::entity::{charge, renewal};
use crate::status::RenewalStatus;
use crate::store::{IntentStatus, code};
use chrono::{DateTime, NaiveDate, Utc};
use platform_core::RenewalId;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter, QuerySelect};

/// The charge attempts settled in a period.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ChargeFigures {
    /// Renewals whose deduct date is the day (not superseded).
    pub due: u64,
    /// Attempts approved.
    pub charged: u64,
    /// Their amount.
    pub charged_amount: i64,
    /// Attempts declined (the renewal FAILED), by reason, most frequent first.
    pub failed_by_reason: Vec<(String, u64)>,
    /// Attempts that ended in a transient error (nothing charged; tried again).
    pub errors: u64,
}

impl ChargeFigures {
    /// Declined attempts.
    pub fn failed(&self) -> u64 {
        self.failed_by_reason.iter().map(|(_, n)| n).sum()
    }
}

/// Renewals due on `day` and the attempts settled in `[from, to)`.
pub async fn charges(
    db: &impl ConnectionTrait,
    day: NaiveDate,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<ChargeFigures, DbErr> {
    let due = renewal::Entity::find()
        .filter(renewal::Column::DeductDate.eq(day))
        .filter(renewal::Column::RenewStatus.ne(code(RenewalStatus::Superseded)))
        .count(db)
        .await?;
    let rows: Vec<(String, Option<String>, i64, i64)> = charge::Entity::find()
        .select_only()
        .column(charge::Column::Status)
        .column(charge::Column::Reason)
        .column_as(Expr::cust("COUNT(*)"), "n")
        .column_as(Expr::cust("CAST(COALESCE(SUM(amount), 0) AS BIGINT)"), "amount")
        .filter(charge::Column::SettledAt.gte(from))
        .filter(charge::Column::SettledAt.lt(to))
        .group_by(charge::Column::Status)
        .group_by(charge::Column::Reason)
        .into_tuple()
        .all(db)
        .await?;
    let mut figures = ChargeFigures { due, ..ChargeFigures::default() };
    for (status, reason, n, amount) in rows {
        let n = u64::try_from(n).unwrap_or(0);
        match IntentStatus::parse(&status) {
            Some(IntentStatus::Approved) => {
                figures.charged += n;
                figures.charged_amount += amount;
            }
            Some(IntentStatus::Declined) => {
                figures.failed_by_reason.push((reason.unwrap_or_else(|| "unknown".to_owned()), n));
            }
            Some(IntentStatus::Error) => figures.errors += n,
            _ => {}
        }
    }
    figures.failed_by_reason.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    Ok(figures)
}

/// The charge attempts settled in one period of [`settled_per_period`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PeriodCharges {
    /// Attempts approved.
    pub charged: u64,
    /// Attempts declined.
    pub failed: u64,
    /// The amount approved.
    pub charged_amount: i64,
}

/// The charge attempts settled in each period `[bounds[i], bounds[i + 1])`, in one grouped range scan
/// (the same counts as [`charges`] gives one period).
pub async fn settled_per_period(
    db: &impl ConnectionTrait,
    bounds: &[DateTime<Utc>],
) -> Result<Vec<PeriodCharges>, DbErr> {
    let (Some(first), Some(last)) = (bounds.first(), bounds.last()) else {
        return Ok(Vec::new());
    };
    let rows: Vec<(i32, String, i64, i64)> = charge::Entity::find()
        .select_only()
        .column_as(platform_core::db::period_case("settled_at", bounds), "period")
        .column(charge::Column::Status)
        .column_as(Expr::cust("COUNT(*)"), "n")
        .column_as(Expr::cust("CAST(COALESCE(SUM(amount), 0) AS BIGINT)"), "amount")
        .filter(charge::Column::SettledAt.gte(*first))
        .filter(charge::Column::SettledAt.lt(*last))
        .group_by(Expr::cust("1"))
        .group_by(charge::Column::Status)
        .into_tuple()
        .all(db)
        .await?;
    let mut periods = vec![PeriodCharges::default(); bounds.len().saturating_sub(1)];
    for (period, status, n, amount) in rows {
        let Some(slot) = usize::try_from(period).ok().and_then(|p| periods.get_mut(p)) else { continue };
        let n = u64::try_from(n).unwrap_or(0);
        match IntentStatus::parse(&status) {
            Some(IntentStatus::Approved) => {
                slot.charged += n;
                slot.charged_amount += amount;
            }
            Some(IntentStatus::Declined) => slot.failed += n,
            _ => {}
        }
    }
    Ok(periods)
}

/// One day of the cash forecast.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ForecastDay {
    /// The deduct date.
    pub date: NaiveDate,
    /// Renewals due that day (PENDING, or FAILED and due for a retry).
    pub renewals: u64,
    /// Their expected amount.
    pub amount: i64,
}

/// The renewals due on each of the `days` days after `day`, with their expected amount; every day is
/// listed, with zeros when nothing is due.
pub async fn forecast(
    db: &impl ConnectionTrait,
    day: NaiveDate,
    days: u32,
) -> Result<Vec<ForecastDay>, DbErr> {
    let dates: Vec<NaiveDate> =
        (1..=days).filter_map(|n| day.checked_add_days(chrono::Days::new(n.into()))).collect();
    let (Some(first), Some(last)) = (dates.first().copied(), dates.last().copied()) else {
        return Ok(Vec::new());
    };
    let rows: Vec<(NaiveDate, i64, i64)> = renewal::Entity::find()
        .select_only()
        .column(renewal::Column::DeductDate)
        .column_as(Expr::cust("COUNT(*)"), "n")
        .column_as(Expr::cust("CAST(COALESCE(SUM(deduct_price), 0) AS BIGINT)"), "amount")
        .filter(renewal::Column::RenewStatus.eq(code(RenewalStatus::Pending)))
        .filter(renewal::Column::DeductDate.gte(first))
        .filter(renewal::Column::DeductDate.lte(last))
        .group_by(renewal::Column::DeductDate)
        .into_tuple()
        .all(db)
        .await?;
    Ok(dates
        .into_iter()
        .map(|date| {
            let (n, amount) = rows.iter().find(|(d, _, _)| *d == date).map_or((0, 0), |(_, n, a)| (*n, *a));
            ForecastDay { date, renewals: u64::try_from(n).unwrap_or(0), amount }
        })
        .collect())
}

/// A renewal whose charge failed and has not been charged since (R17's failed-charges list).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FailedCharge {
    /// The renewal.
    pub renewal_id: RenewalId,
    /// Its payer's row id.
    pub customer_id: platform_core::CustomerId,
    /// The order of the failed charge.
    pub order_no: Option<String>,
    /// The plan.
    pub promotion_code: String,
    /// The deduct date.
    pub deduct_date: NaiveDate,
    /// The amount.
    pub amount: platform_core::Money,
    /// Why it failed.
    pub reason: Option<String>,
    /// The cycle's first failure.
    pub failed_on: Option<NaiveDate>,
    /// The next automatic retry, if any.
    pub next_retry_on: Option<NaiveDate>,
    /// Charge attempts so far.
    pub attempts: i32,
}

/// Every renewal FAILED now, oldest deduct date first.
pub async fn failed_charges(db: &impl ConnectionTrait) -> Result<Vec<FailedCharge>, DbErr> {
    use sea_orm::QueryOrder;
    Ok(renewal::Entity::find()
        .filter(renewal::Column::RenewStatus.eq(code(RenewalStatus::Failed)))
        .order_by_asc(renewal::Column::DeductDate)
        .order_by_asc(renewal::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|r| FailedCharge {
            renewal_id: RenewalId(r.id),
            customer_id: r.customer_id,
            order_no: r.charge_order_no,
            promotion_code: r.promotion_code,
            deduct_date: r.deduct_date,
            amount: r.deduct_price,
            reason: r.failure_reason,
            failed_on: r.failed_on,
            next_retry_on: r.next_retry_on,
            attempts: r.attempts,
        })
        .collect())
}

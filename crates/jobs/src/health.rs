//! Each job's last tick (`job_ticks`) and its health now (R16: a job is late when it has not run without
//! error within twice its interval). Every run records its tick, including the schedule's idle ones that
//! leave no `job_runs` row, so a job with nothing to do is not taken for a late one.

use crate::{JobContext, JobName};
use chrono::{DateTime, Utc};
use ops::JobHealth;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};

mod tick {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "job_ticks")]
    pub(crate) struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub name: String,
        pub last_ok_at: Option<ChronoDateTimeUtc>,
        pub last_failed_at: Option<ChronoDateTimeUtc>,
        pub last_error: Option<String>,
        pub updated_at: ChronoDateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub(crate) enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Records that `name` ran at `at`, without error or with `error` (without secrets).
pub async fn record_tick(
    db: &impl ConnectionTrait,
    name: JobName,
    error: Option<&str>,
    at: DateTime<Utc>,
) -> Result<(), DbErr> {
    let error: Option<String> = error.map(|e| e.chars().take(500).collect());
    let row = tick::ActiveModel {
        name: Set(name.as_str().to_owned()),
        last_ok_at: Set(error.is_none().then_some(at)),
        last_failed_at: Set(error.is_some().then_some(at)),
        last_error: Set(error.clone()),
        updated_at: Set(at),
    };
    let column = if error.is_none() { tick::Column::LastOkAt } else { tick::Column::LastFailedAt };
    let mut on_conflict = OnConflict::column(tick::Column::Name);
    on_conflict.update_columns([column, tick::Column::UpdatedAt]);
    if error.is_some() {
        on_conflict.update_column(tick::Column::LastError);
    }
    tick::Entity::insert(row).on_conflict(on_conflict.to_owned()).exec_without_returning(db).await?;
    Ok(())
}

/// The jobs the server runs on a schedule, with their intervals in seconds.
pub fn scheduled(ctx: &JobContext) -> Vec<(JobName, u64)> {
    let s = &ctx.settings;
    let mut all: Vec<(JobName, u64)> = crate::interval_jobs(&s.jobs)
        .into_iter()
        .filter(|(_, schedule)| schedule.enabled && schedule.every_secs > 0)
        .map(|(name, schedule)| (name, schedule.every_secs))
        .collect();
    // The in-server loops record a tick at most every minute.
    if s.webhooks.dispatch_interval_ms > 0 {
        all.push((JobName::DispatchWebhooks, (s.webhooks.dispatch_interval_ms / 1000).max(60)));
    }
    if s.entitlements.sweep_interval_secs > 0 {
        all.push((JobName::GrantEntitlements, s.entitlements.sweep_interval_secs.max(60)));
    }
    if s.ops.alert_check_every_secs > 0 {
        all.push((JobName::AlertCheck, s.ops.alert_check_every_secs));
    }
    if !s.ops.daily_report_at.is_empty() {
        all.push((JobName::DailyReport, 86_400));
    }
    if !s.erp.shipping_notices_at.is_empty() {
        all.push((JobName::SendShippingNotices, 86_400));
    }
    if s.gateway.captures_later() {
        all.push((JobName::CapturePayments, 86_400));
    }
    if s.gateway.reconciles_daily() {
        all.push((JobName::ReconcilePayments, 86_400));
    }
    all
}

/// The health of every scheduled job at `now`.
pub async fn health(ctx: &JobContext, now: DateTime<Utc>) -> Result<Vec<JobHealth>, DbErr> {
    let scheduled = scheduled(ctx);
    let names: Vec<&str> = scheduled.iter().map(|(n, _)| n.as_str()).collect();
    let ticks = tick::Entity::find().filter(tick::Column::Name.is_in(names)).all(&ctx.db).await?;
    Ok(scheduled
        .into_iter()
        .map(|(name, every_secs)| {
            let tick = ticks.iter().find(|t| t.name == name.as_str());
            let last_ok_at = tick.and_then(|t| t.last_ok_at);
            let last_failed_at = tick.and_then(|t| t.last_failed_at);
            let limit =
                chrono::Duration::seconds(i64::try_from(every_secs.saturating_mul(2)).unwrap_or(i64::MAX));
            JobHealth {
                name: name.as_str().to_owned(),
                every_secs,
                last_ok_at,
                last_failed_at,
                last_error: tick.and_then(|t| t.last_error.clone()).filter(|_| last_failed_at.is_some()),
                // A job that has never ticked (a new install) is not late yet.
                late: last_ok_at.is_some_and(|ok| now - ok > limit),
                failed: match (last_failed_at, last_ok_at) {
                    (Some(failed), Some(ok)) => failed > ok,
                    (Some(_), None) => true,
                    _ => false,
                },
            }
        })
        .collect())
}

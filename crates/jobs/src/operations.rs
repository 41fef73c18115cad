//! The operations jobs (R16): the daily report with its alerts, and the 15-minute alert check. Both put
//! the Slack endpoint in step with the settings first, so Slack sees what they publish.

use crate::work::Job;
use crate::{JobContext, JobName};
use chrono::{DateTime, NaiveDate, Utc};
use ops::{Report, Scope};
use platform_core::Progress;

/// R16, the report of the day before.
pub struct DailyReport;
/// R16, the live alert rules.
pub struct AlertCheck;

/// The report of business date `date` as of `now` (the API's `opsReport` and `platform report`).
pub async fn report(ctx: &JobContext, date: NaiveDate, now: DateTime<Utc>) -> anyhow::Result<Report> {
    let health = crate::health::health(ctx, now).await?;
    ops::report::build(&ctx.db, ctx.calendar, date, now, health, &ctx.settings.ops.alerts).await
}

async fn sync_slack(ctx: &JobContext, now: DateTime<Utc>) -> anyhow::Result<()> {
    notify::slack::sync_endpoint(&ctx.db, ctx.settings.slack.webhook_url.is_some(), now).await?;
    Ok(())
}

impl Job for DailyReport {
    const NAME: JobName = JobName::DailyReport;
    /// Reports on the day before `as_of`, raises and resolves the daily alerts, and publishes the report
    /// once per date (a second run, or a second instance, publishes nothing).
    async fn run(
        &self,
        ctx: &JobContext,
        as_of: NaiveDate,
        at: DateTime<Utc>,
        progress: &Progress,
    ) -> anyhow::Result<()> {
        let date = as_of.pred_opt().unwrap_or(as_of);
        let key = format!("daily-report:{date}");
        if ops::posts::published(&ctx.db, &key).await? {
            return Ok(());
        }
        sync_slack(ctx, at).await?;
        let report = report(ctx, date, at).await?;
        let input = report.daily_input();
        let (evaluated, fired) = ops::rules::evaluate(Scope::Daily, &input, &ctx.settings.ops.alerts);
        let applied = ops::alerts::apply(&ctx.db, &evaluated, &fired, at).await?;
        let published = ops::posts::publish_once(&ctx.db, &key, ops::report_event(&report), at).await?;
        progress.add(u64::from(published) + applied.raised.len() as u64 + applied.resolved.len() as u64, 0);
        Ok(())
    }
}

impl Job for AlertCheck {
    const NAME: JobName = JobName::AlertCheck;
    /// Evaluates the live rules now: today's charge success so far, the webhook backlog, every job.
    async fn run(
        &self,
        ctx: &JobContext,
        as_of: NaiveDate,
        at: DateTime<Utc>,
        progress: &Progress,
    ) -> anyhow::Result<()> {
        sync_slack(ctx, at).await?;
        let (from, _) = ops::report::day_bounds(ctx.calendar, as_of);
        let charges = renewals::figures::charges(&ctx.db, as_of, from, at).await?;
        let webhooks = notify::figures::deliveries(&ctx.db, from, at).await?;
        let oldest = webhooks.iter().filter_map(|w| w.oldest_pending).min();
        let input = ops::rules::RuleInput {
            charged: charges.charged,
            failed: charges.failed(),
            oldest_waiting_minutes: oldest.map(|t| (at - t).num_minutes()),
            jobs: crate::health::health(ctx, at)
                .await?
                .into_iter()
                .filter(|j| j.name != JobName::AlertCheck.as_str())
                .collect(),
            ..ops::rules::RuleInput::default()
        };
        let (evaluated, fired) = ops::rules::evaluate(Scope::Live, &input, &ctx.settings.ops.alerts);
        let applied = ops::alerts::apply(&ctx.db, &evaluated, &fired, at).await?;
        let unconfirmed = erp_unconfirmed(ctx, at).await?;
        progress.add(applied.raised.len() as u64 + applied.resolved.len() as u64 + unconfirmed, 0);
        Ok(())
    }
}

/// Most unconfirmed orders followed up by one check (the rest by the next).
const UNCONFIRMED_PER_CHECK: u64 = 1000;

/// R21: an `ERP_UNCONFIRMED` follow-up, once per order, for orders ready for the ERP longer than
/// `erp.confirm_within_hours` and not confirmed by it. Returns how many were opened.
async fn erp_unconfirmed(ctx: &JobContext, at: DateTime<Utc>) -> anyhow::Result<u64> {
    let hours = ctx.settings.erp.confirm_within_hours;
    if hours == 0 {
        return Ok(0);
    }
    let before = at - chrono::Duration::hours(i64::from(hours));
    let orders = orders::service::unconfirmed(&ctx.db, before, UNCONFIRMED_PER_CHECK).await?;
    let subjects: Vec<String> = orders.iter().map(|(no, _)| format!("order:{no}")).collect();
    let kind = followups::Kind::ErpUnconfirmed;
    let done = followups::manage::subjects_with(&ctx.db, kind, &subjects).await?;
    let new: Vec<followups::NewFollowUp> = orders
        .iter()
        .zip(&subjects)
        .filter(|(_, subject)| !done.contains(*subject))
        .map(|((no, ready_at), subject)| {
            followups::NewFollowUp::new(
                kind,
                subject.clone(),
                format!("order {no} was sent to the ERP at {ready_at} and is not confirmed after {hours} h"),
                serde_json::json!({ "orderNo": no, "readyAt": ready_at, "confirmWithinHours": hours }),
            )
        })
        .collect();
    if new.is_empty() {
        return Ok(0);
    }
    let txn = platform_core::db::begin_write(&ctx.db).await?;
    let opened = followups::open_many(&txn, new, at).await?;
    txn.commit().await?;
    Ok(opened.len() as u64)
}

/// R17, the open charge failures as CSV to `ops.report_recipients` and a summary to Slack, once per day.
pub struct FailedChargesList;

impl Job for FailedChargesList {
    const NAME: JobName = JobName::FailedChargesList;
    async fn run(
        &self,
        ctx: &JobContext,
        as_of: NaiveDate,
        at: DateTime<Utc>,
        progress: &Progress,
    ) -> anyhow::Result<()> {
        let key = format!("failed-charges:{as_of}");
        if ops::posts::published(&ctx.db, &key).await? {
            return Ok(());
        }
        sync_slack(ctx, at).await?;
        let failed = renewals::figures::failed_charges(&ctx.db).await?;
        let amount: i64 = failed.iter().map(|f| f.amount.amount()).sum();
        let csv = failed_charges_csv(&failed)?;
        let mut reasons: Vec<(String, usize)> = Vec::new();
        for f in &failed {
            let reason = f.reason.clone().unwrap_or_default();
            match reasons.iter_mut().find(|(r, _)| *r == reason) {
                Some((_, n)) => *n += 1,
                None => reasons.push((reason, 1)),
            }
        }
        reasons.sort_by_key(|r| std::cmp::Reverse(r.1));
        let txn = platform_core::db::begin_write(&ctx.db).await?;
        let mails: Vec<notify::email::NewEmail> = ctx
            .settings
            .ops
            .report_recipients
            .iter()
            .map(|to| notify::email::NewEmail {
                kind: notify::email::EmailKind::FailedChargesList,
                dedupe_key: format!("failed_charges_list:{as_of}:{to}"),
                to: Some(to.clone()),
                regarding: format!("report:{as_of}"),
                data: serde_json::json!({
                    "date": as_of, "count": failed.len(), "amount": amount,
                    "attachment": { "filename": format!("failed-charges-{as_of}.csv"), "contentType": "text/csv; charset=utf-8", "content": csv },
                }),
            })
            .collect();
        let queued = mails.len() as u64;
        notify::email::queue_many(&txn, mails, at).await?;
        let top: Vec<String> = reasons.iter().take(5).map(|(r, n)| format!("{r}: {n}")).collect();
        let event = platform_core::events::NewEvent {
            event_type: "ops.failed_charges",
            subject: format!("report:{as_of}"),
            payload: serde_json::json!({
                "title": format!("Failed charges 扣款失敗名單 {as_of}: {} renewal(s)", failed.len()),
                "priority": if failed.is_empty() { "LOW" } else { "MEDIUM" },
                "lines": [format!("NT${amount} in all; the CSV went to {} recipient(s)", queued), top.join(", ")],
                "count": failed.len(),
            }),
        };
        if ops::posts::publish_once(&txn, &key, event, at).await? {
            txn.commit().await?;
            progress.add(queued + 1, 0);
        }
        Ok(())
    }
}

/// The failed-charges list as CSV (a header line, one row per renewal).
fn failed_charges_csv(failed: &[renewals::figures::FailedCharge]) -> anyhow::Result<String> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "renewalId",
        "customerId",
        "orderNo",
        "promotionCode",
        "deductDate",
        "amount",
        "reason",
        "failedOn",
        "nextRetryOn",
        "attempts",
    ])?;
    let text = |d: Option<NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
    for f in failed {
        w.write_record([
            f.renewal_id.to_string(),
            f.customer_id.to_string(),
            f.order_no.clone().unwrap_or_default(),
            f.promotion_code.clone(),
            f.deduct_date.to_string(),
            f.amount.amount().to_string(),
            f.reason.clone().unwrap_or_default(),
            text(f.failed_on),
            text(f.next_retry_on),
            f.attempts.to_string(),
        ])?;
    }
    Ok(String::from_utf8(w.into_inner().map_err(|e| anyhow::anyhow!("{e}"))?)?)
}

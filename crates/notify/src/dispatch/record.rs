//! Outcomes, recorded only by the holder of the lease: delivered, failed (retried on the schedule, with
//! jitter), dead, released.

use super::{Claimed, Dispatcher, Failure};
use crate::NotifyError;
use crate::entity::endpoint;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use std::collections::HashMap;
use std::time::Duration;

impl Dispatcher {
    /// Gives up this round's lease on deliveries that were not sent, for the next round to claim.
    pub(super) async fn release(&self, ids: &[i64], owner: &str) -> Result<u64, NotifyError> {
        use crate::entity::delivery::{Column, Entity};
        if ids.is_empty() {
            return Ok(0);
        }
        let released = Entity::update_many()
            .col_expr(Column::LockedUntil, Expr::value(Option::<DateTime<Utc>>::None))
            .col_expr(Column::LeaseOwner, Expr::value(Option::<String>::None))
            .filter(Column::Id.is_in(ids.iter().copied()))
            .filter(Column::LeaseOwner.eq(owner))
            .exec(&self.db)
            .await?;
        Ok(released.rows_affected)
    }

    /// Marks the deliveries accepted in this round, grouped by HTTP status (almost always one group).
    pub(super) async fn record_delivered(
        &self,
        delivered: &[(i64, u16)],
        owner: &str,
    ) -> Result<u64, NotifyError> {
        use crate::entity::delivery::{Column, Entity};
        use sea_orm::sea_query::ExprTrait;
        let now = Utc::now();
        let mut by_code: HashMap<u16, Vec<i64>> = HashMap::new();
        for (id, code) in delivered {
            by_code.entry(*code).or_default().push(*id);
        }
        let mut recorded = 0;
        for (code, ids) in by_code {
            recorded += Entity::update_many()
                .col_expr(Column::Status, Expr::value("DELIVERED"))
                .col_expr(Column::Attempts, Expr::col(Column::Attempts).add(1))
                .col_expr(Column::LockedUntil, Expr::value(Option::<DateTime<Utc>>::None))
                .col_expr(Column::LeaseOwner, Expr::value(Option::<String>::None))
                .col_expr(Column::LastStatusCode, Expr::value(i32::from(code)))
                .col_expr(Column::LastError, Expr::value(Option::<String>::None))
                .col_expr(Column::DeliveredAt, Expr::value(now))
                .col_expr(Column::UpdatedAt, Expr::value(now))
                .filter(Column::Id.is_in(ids))
                .filter(Column::Status.is_in(["PENDING", "FAILED"]))
                // Fenced: only the lease's holder records.
                .filter(Column::LeaseOwner.eq(owner))
                .exec(&self.db)
                .await?
                .rows_affected;
        }
        Ok(recorded)
    }

    /// Records a failed attempt: the next one on the schedule, or dead (410, or the schedule exhausted).
    pub(super) async fn record_failure(
        &self,
        claimed: &Claimed,
        endpoint: &endpoint::Model,
        failure: Failure,
        owner: &str,
    ) -> Result<crate::model::DeliveryStatus, NotifyError> {
        use crate::entity::delivery::{Column, Entity};
        use crate::model::DeliveryStatus;
        let now = Utc::now();
        let attempts = claimed.attempts + 1;
        let mut update = Entity::update_many()
            .col_expr(Column::Attempts, Expr::value(attempts))
            .col_expr(Column::LockedUntil, Expr::value(Option::<DateTime<Utc>>::None))
            .col_expr(Column::LeaseOwner, Expr::value(Option::<String>::None))
            .col_expr(Column::UpdatedAt, Expr::value(now))
            .filter(Column::Id.eq(claimed.id))
            .filter(Column::Attempts.eq(claimed.attempts))
            // Fenced: only the lease's holder records.
            .filter(Column::LeaseOwner.eq(owner));
        // `None`: 410 Gone; otherwise the status (if any) and the error.
        let failed = match failure {
            Failure::Gone => None,
            Failure::Failed(code, error) => Some((code, error)),
            Failure::NoResponse(error) => Some((None, error)),
        };
        let status = match failed {
            None => {
                endpoint::Entity::update_many()
                    .col_expr(endpoint::Column::Status, Expr::value("DISABLED"))
                    .col_expr(
                        endpoint::Column::DisabledReason,
                        Expr::value(format!("answered 410 Gone at {now}")),
                    )
                    .col_expr(endpoint::Column::UpdatedAt, Expr::value(now))
                    .filter(endpoint::Column::Id.eq(endpoint.id))
                    .exec(&self.db)
                    .await?;
                update = update
                    .col_expr(Column::LastStatusCode, Expr::value(410))
                    .col_expr(Column::LastError, Expr::value("410 Gone: endpoint disabled"));
                DeliveryStatus::Dead
            }
            Some((code, error)) => {
                update = update
                    .col_expr(Column::LastStatusCode, Expr::value(code.map(i32::from)))
                    .col_expr(Column::LastError, Expr::value(error));
                match self.settings.schedule.get(usize::try_from(claimed.attempts).unwrap_or(usize::MAX)) {
                    Some(wait) => {
                        update = update.col_expr(Column::NextAttemptAt, Expr::value(now + jittered(*wait)));
                        DeliveryStatus::Failed
                    }
                    None => DeliveryStatus::Dead,
                }
            }
        };
        let update = update.col_expr(Column::Status, Expr::value(status.as_str()));
        if status != DeliveryStatus::Dead {
            update.exec(&self.db).await?;
            return Ok(status);
        }
        // Given up: the delivery dead and its follow-up (R17) in one transaction.
        let txn = platform_core::db::begin_write(&self.db).await?;
        if update.exec(&txn).await?.rows_affected == 1 {
            let summary = format!(
                "webhook delivery {} to endpoint {} given up after {attempts} attempt(s)",
                claimed.id, endpoint.id
            );
            let detail = serde_json::json!({ "deliveryId": claimed.id, "endpointId": endpoint.id,
                                             "eventId": claimed.event_id, "attempts": attempts });
            let new = followups::NewFollowUp::new(
                followups::Kind::WebhookDead,
                format!("delivery:{}", claimed.id),
                summary,
                detail,
            );
            followups::open(&txn, new, now).await?;
        }
        txn.commit().await?;
        Ok(status)
    }
}

/// `wait` ± 10 %, so that receivers that failed together are not retried together.
pub(super) fn jittered(wait: Duration) -> chrono::Duration {
    let mut byte = [0u8; 1];
    let _ = getrandom::fill(&mut byte);
    let factor = 0.9 + 0.2 * f64::from(byte[0]) / 255.0;
    chrono::Duration::milliseconds((wait.as_millis() as f64 * factor) as i64)
}

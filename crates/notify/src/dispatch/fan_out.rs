//! Fan-out (each new event to the endpoints that want it) and claims of the due deliveries.

use super::{Claimed, Dispatcher, FAN_OUT_PAGE, LOOKBACK};
use crate::NotifyError;
use crate::entity::endpoint;
use chrono::{DateTime, Utc};
use platform_core::events;
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect, Value};

impl Dispatcher {
    /// Creates the deliveries of events past each active endpoint's cursor that the endpoint wants.
    pub(super) async fn fan_out(&self) -> Result<u64, NotifyError> {
        let mut created = 0;
        for ep in endpoint::Entity::find().filter(endpoint::Column::Status.eq("ACTIVE")).all(&self.db).await?
        {
            let patterns = ep.event_types.get();
            let mut cursor = ep.last_event_id;
            loop {
                let floor = ep.start_event_id.max(cursor - LOOKBACK);
                let page = events::headers_after(&self.db, floor, FAN_OUT_PAGE).await?;
                let Some(last) = page.last().map(|e| e.id) else { break };
                // Skip what the lookback already fanned out, so a quiet round writes nothing.
                let known: std::collections::HashSet<i64> = crate::entity::delivery::Entity::find()
                    .select_only()
                    .column(crate::entity::delivery::Column::EventId)
                    .filter(crate::entity::delivery::Column::EndpointId.eq(ep.id))
                    .filter(crate::entity::delivery::Column::EventId.gt(floor))
                    .into_tuple::<i64>()
                    .all(&self.db)
                    .await?
                    .into_iter()
                    .collect();
                let rows: Vec<crate::entity::delivery::ActiveModel> = page
                    .iter()
                    .filter(|e| !known.contains(&e.id) && crate::model::wants(patterns, &e.event_type))
                    .map(|e| new_delivery(ep.id, e))
                    .collect();
                if !rows.is_empty() {
                    created += crate::entity::delivery::Entity::insert_many(rows)
                        .on_conflict(
                            OnConflict::columns([
                                crate::entity::delivery::Column::EndpointId,
                                crate::entity::delivery::Column::EventId,
                            ])
                            .do_nothing()
                            .to_owned(),
                        )
                        .exec_without_returning(&self.db)
                        .await?;
                }
                if last > cursor {
                    endpoint::Entity::update_many()
                        .col_expr(endpoint::Column::LastEventId, Expr::value(last))
                        .filter(endpoint::Column::Id.eq(ep.id))
                        .filter(endpoint::Column::LastEventId.lt(last))
                        .exec(&self.db)
                        .await?;
                    cursor = last;
                }
                if (page.len() as u64) < FAN_OUT_PAGE {
                    break;
                }
            }
        }
        Ok(created)
    }

    /// Takes a lease for `owner` on up to `batch` due deliveries whose subject has no earlier open
    /// delivery.
    pub(super) async fn claim(
        &self,
        now: DateTime<Utc>,
        owner: &str,
        skip: &[i64],
    ) -> Result<Vec<Claimed>, NotifyError> {
        // Endpoints whose breaker is open: row ids from memory, integers, not input.
        let skip = if skip.is_empty() {
            String::new()
        } else {
            let ids: Vec<String> = skip.iter().map(i64::to_string).collect();
            format!("AND d.endpoint_id NOT IN ({})", ids.join(", "))
        };
        // Candidates are the oldest due deliveries, a bounded window, so a round costs the same whatever the
        // backlog; among them, only the first open delivery of each subject is taken.
        let candidates = format!(
            "SELECT d.id AS claimed_id FROM webhook_deliveries AS d
             JOIN webhook_endpoints AS ep ON ep.id = d.endpoint_id
             WHERE d.id IN (
                 SELECT c.id FROM webhook_deliveries AS c
                 WHERE c.status IN ('PENDING', 'FAILED') AND c.next_attempt_at <= ?2
                 ORDER BY c.id LIMIT {window})
               AND (d.locked_until IS NULL OR d.locked_until < ?2) AND ep.status = 'ACTIVE' {skip}
               AND NOT EXISTS (
                 SELECT 1 FROM webhook_deliveries AS o
                 WHERE o.endpoint_id = d.endpoint_id AND o.subject = d.subject AND o.event_id < d.event_id
                   AND o.status IN ('PENDING', 'FAILED'))
             ORDER BY d.id LIMIT {batch}",
            // Integers from the settings, not input: written into the statement (SQLite refuses a bound
            // LIMIT inside this subquery as a datatype mismatch).
            window = self.settings.batch.saturating_mul(10),
            batch = self.settings.batch,
        );
        let claim = platform_core::lease::LeaseClaim {
            table: "webhook_deliveries",
            candidates: &candidates,
            lock_of: Some("d"),
            set: "locked_until = ?1, lease_owner = ?3, updated_at = ?2",
            still_free: "(webhook_deliveries.locked_until IS NULL OR webhook_deliveries.locked_until < ?2)",
            returning: "id, endpoint_id, event_id, attempts",
        };
        let lease_until =
            now + chrono::Duration::from_std(self.settings.lease).unwrap_or(chrono::Duration::seconds(60));
        let values: Vec<Value> = vec![lease_until.into(), now.into(), owner.into()];
        let rows = platform_core::lease::claim(&self.db, &claim, values)
            .await
            .map_err(|e| anyhow::anyhow!("claiming deliveries: {e}"))?;
        let mut claimed = Vec::with_capacity(rows.len());
        for row in rows {
            claimed.push(Claimed {
                id: row.try_get("", "id")?,
                endpoint_id: row.try_get("", "endpoint_id")?,
                event_id: row.try_get("", "event_id")?,
                attempts: row.try_get("", "attempts")?,
            });
        }
        claimed.sort_by_key(|c| c.id);
        Ok(claimed)
    }
}

pub(super) fn new_delivery(
    endpoint_id: i64,
    event: &events::EventHeader,
) -> crate::entity::delivery::ActiveModel {
    use sea_orm::ActiveValue::Set;
    crate::entity::delivery::ActiveModel {
        endpoint_id: Set(endpoint_id),
        event_id: Set(event.id),
        subject: Set(event.subject.clone()),
        status: Set(crate::model::DeliveryStatus::Pending),
        attempts: Set(0),
        next_attempt_at: Set(DateTime::<Utc>::UNIX_EPOCH),
        created_at: Set(Utc::now()),
        updated_at: Set(Utc::now()),
        ..Default::default()
    }
}

//! Registering endpoints, listing deliveries, replaying one.

use crate::entity::{delivery, endpoint};
use crate::model::{Delivery, DeliveryStatus, Endpoint, NewEndpoint};
use crate::outbound::OutboundPolicy;
use crate::{NotifyError, signature};
use chrono::{DateTime, Utc};
use platform_core::events;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};

/// Registers an endpoint for the events of the given types from now on. Returns it with its signing secret
/// (generated unless given), which is shown this once. The URL's host must resolve to addresses `policy`
/// allows (no loopback, private or metadata address unless it allows private networks).
pub async fn create_endpoint(
    db: &impl ConnectionTrait,
    input: NewEndpoint,
    policy: OutboundPolicy,
    at: DateTime<Utc>,
) -> Result<(Endpoint, String), NotifyError> {
    let url = check_url(&input.url)?;
    policy
        .check_url(&url)
        .await
        .map_err(|e| NotifyError::Invalid { field: "url", message: e.to_string() })?;
    let url = url.to_string();
    let events = check_patterns(input.events)?;
    let secret = secret_or_generated(input.secret)?;
    let start = events::last_id(db).await?;
    let row = endpoint::ActiveModel {
        url: Set(url),
        event_types: Set(platform_core::json::JsonText::new(events).map_err(anyhow::Error::from)?),
        secret: Set(secret.clone()),
        status: Set("ACTIVE".to_owned()),
        start_event_id: Set(start),
        last_event_id: Set(start),
        created_at: Set(at),
        updated_at: Set(at),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok((endpoint_from(row)?, secret))
}

/// How long deliveries keep being signed with the previous secret after a rotation as well.
pub const ROTATION_OVERLAP_HOURS: i64 = 24;

/// Rotates an endpoint's signing secret: the new one (generated unless given) signs from now on, and for
/// the next 24 hours every delivery also carries a signature with the previous one, so the receiver can
/// switch at its own pace. Returns the new secret, shown this once.
pub async fn rotate_secret(
    db: &impl ConnectionTrait,
    id: i64,
    secret: Option<String>,
    at: DateTime<Utc>,
) -> Result<(Endpoint, String), NotifyError> {
    let row = endpoint::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| NotifyError::NotFound { what: "endpoint", key: id.to_string() })?;
    let secret = secret_or_generated(secret)?;
    let previous = row.secret.clone();
    let mut next: endpoint::ActiveModel = row.into();
    next.previous_secret = Set(Some(previous));
    next.previous_secret_until = Set(Some(at + chrono::Duration::hours(ROTATION_OVERLAP_HOURS)));
    next.secret = Set(secret.clone());
    next.updated_at = Set(at);
    Ok((endpoint_from(next.update(db).await?)?, secret))
}

/// Every endpoint, oldest first.
pub async fn endpoints(db: &impl ConnectionTrait) -> Result<Vec<Endpoint>, NotifyError> {
    endpoint::Entity::find()
        .order_by_asc(endpoint::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(endpoint_from)
        .collect()
}

/// Up to `limit` deliveries, newest first, older than `before`, optionally of one endpoint and status.
pub async fn deliveries(
    db: &impl ConnectionTrait,
    endpoint_id: Option<i64>,
    status: Option<DeliveryStatus>,
    before: Option<i64>,
    limit: u64,
) -> Result<Vec<Delivery>, NotifyError> {
    let mut query = delivery::Entity::find().order_by_desc(delivery::Column::Id).limit(limit);
    if let Some(id) = endpoint_id {
        query = query.filter(delivery::Column::EndpointId.eq(id));
    }
    if let Some(status) = status {
        query = query.filter(delivery::Column::Status.eq(status.as_str()));
    }
    if let Some(before) = before {
        query = query.filter(delivery::Column::Id.lt(before));
    }
    Ok(query.all(db).await?.into_iter().map(delivery_from).collect())
}

/// Schedules delivery `id` again now, with a fresh retry schedule, whatever its status.
pub async fn replay(db: &impl ConnectionTrait, id: i64, at: DateTime<Utc>) -> Result<Delivery, NotifyError> {
    let row = delivery::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| NotifyError::NotFound { what: "delivery", key: id.to_string() })?;
    let mut next: delivery::ActiveModel = row.into();
    next.status = Set(DeliveryStatus::Pending);
    next.attempts = Set(0);
    next.next_attempt_at = Set(at);
    next.locked_until = Set(None);
    // An in-flight round's outcome for the old attempt is not recorded over the replay.
    next.lease_owner = Set(None);
    next.updated_at = Set(at);
    Ok(delivery_from(next.update(db).await?))
}

/// The secret given (checked, never echoed in the error) or a new one.
fn secret_or_generated(given: Option<String>) -> Result<String, NotifyError> {
    match given.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()) {
        Some(secret) => {
            signature::key_of(&secret).map_err(|e| NotifyError::Invalid {
                field: "secret",
                message: e.to_string().trim_start_matches("secret: ").to_owned(),
            })?;
            Ok(secret)
        }
        None => Ok(signature::generate_secret()?),
    }
}

/// The URL parsed (WHATWG rules: `2130706433` and `127.1` become `127.0.0.1`) and checked for shape.
fn check_url(raw: &str) -> Result<url::Url, NotifyError> {
    let invalid = |message: String| NotifyError::Invalid { field: "url", message };
    let url = url::Url::parse(raw.trim()).map_err(|e| invalid(format!("{raw:?} is not a URL: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(invalid(format!("must be http or https, not {}", url.scheme())));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(invalid("names no host".to_owned()));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(invalid("must not carry credentials; sign with the secret instead".to_owned()));
    }
    if url.as_str().len() > 2048 {
        return Err(invalid("must be at most 2048 characters".to_owned()));
    }
    Ok(url)
}

fn check_patterns(events: Vec<String>) -> Result<Vec<String>, NotifyError> {
    let patterns: Vec<String> = events.into_iter().map(|e| e.trim().to_owned()).collect();
    if patterns.is_empty() {
        return Err(NotifyError::Invalid {
            field: "events",
            message: "name at least one event type, or *".to_owned(),
        });
    }
    for pattern in &patterns {
        let body = pattern.strip_suffix(".*").unwrap_or(pattern);
        let valid = pattern == "*"
            || (!body.is_empty()
                && body.chars().all(|c| c.is_ascii_lowercase() || c == '_' || c == '.')
                && !body.starts_with('.')
                && !body.ends_with('.'));
        if !valid {
            return Err(NotifyError::Invalid {
                field: "events",
                message: format!("{pattern:?} is not an event type like order.paid, order.* or *"),
            });
        }
    }
    Ok(patterns)
}

pub(crate) fn endpoint_from(row: endpoint::Model) -> Result<Endpoint, NotifyError> {
    let event_types = row.event_types.into_inner();
    Ok(Endpoint {
        id: row.id,
        url: row.url,
        event_types,
        active: row.status == "ACTIVE",
        disabled_reason: row.disabled_reason,
        created_at: row.created_at,
    })
}

pub(crate) fn delivery_from(row: delivery::Model) -> Delivery {
    Delivery {
        id: row.id,
        endpoint_id: row.endpoint_id,
        event_id: row.event_id,
        subject: row.subject,
        status: row.status,
        attempts: row.attempts,
        next_attempt_at: row.next_attempt_at,
        last_status_code: row.last_status_code,
        last_error: row.last_error,
        delivered_at: row.delivered_at,
    }
}

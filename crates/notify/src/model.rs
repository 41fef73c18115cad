//! Domain types of webhooks.

use chrono::{DateTime, Utc};

/// The format of an ordinary endpoint: signed Standard Webhooks.
pub const FORMAT_STANDARD: &str = "STANDARD_WEBHOOKS";
/// The format of the Slack endpoint: Block Kit messages posted to `slack.webhook_url`.
pub const FORMAT_SLACK: &str = "SLACK";

/// A registered receiver of events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// Id.
    pub id: i64,
    /// Where deliveries are POSTed (http or https).
    pub url: String,
    /// Event types it receives: exact (`order.paid`), a family (`order.*`) or everything (`*`).
    pub event_types: Vec<String>,
    /// ACTIVE, or DISABLED (by a 410 answer, with the reason).
    pub active: bool,
    /// Why it was disabled.
    pub disabled_reason: Option<String>,
    /// Created.
    pub created_at: DateTime<Utc>,
}

impl Endpoint {
    /// Whether the endpoint wants events of `event_type`.
    pub fn wants(&self, event_type: &str) -> bool {
        wants(&self.event_types, event_type)
    }
}

pub(crate) fn wants(patterns: &[String], event_type: &str) -> bool {
    patterns.iter().any(|p| {
        p == "*"
            || p == event_type
            || p.strip_suffix(".*").is_some_and(|family| {
                event_type.strip_prefix(family).is_some_and(|rest| rest.starts_with('.'))
            })
    })
}

/// `createWebhookEndpoint`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NewEndpoint {
    /// http(s) URL.
    pub url: String,
    /// Event type patterns.
    pub events: Vec<String>,
    /// `whsec_…`; generated when absent.
    pub secret: Option<String>,
}

/// Where a delivery stands; stored by name, and a name it does not know is an error where it is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, sea_orm::EnumIter, sea_orm::DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(sea_orm::sea_query::StringLen::N(16))")]
pub enum DeliveryStatus {
    /// Not attempted yet (or replayed).
    #[sea_orm(string_value = "PENDING")]
    Pending,
    /// The last attempt failed; another is scheduled.
    #[sea_orm(string_value = "FAILED")]
    Failed,
    /// Accepted by the receiver (2xx).
    #[sea_orm(string_value = "DELIVERED")]
    Delivered,
    /// Given up after the whole retry schedule, or the endpoint answered 410.
    #[sea_orm(string_value = "DEAD")]
    Dead,
}

impl DeliveryStatus {
    /// Stored form.
    pub const fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::Pending => "PENDING",
            DeliveryStatus::Failed => "FAILED",
            DeliveryStatus::Delivered => "DELIVERED",
            DeliveryStatus::Dead => "DEAD",
        }
    }
}

/// One event's delivery to one endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// Id.
    pub id: i64,
    /// The endpoint.
    pub endpoint_id: i64,
    /// The event's position in the log.
    pub event_id: i64,
    /// The event's subject (deliveries of one subject go out in order).
    pub subject: String,
    /// Status.
    pub status: DeliveryStatus,
    /// Attempts made.
    pub attempts: i32,
    /// When the next attempt is due.
    pub next_attempt_at: DateTime<Utc>,
    /// HTTP status of the last attempt.
    pub last_status_code: Option<i32>,
    /// Error of the last attempt (timeout, connection refused, redirect…).
    pub last_error: Option<String>,
    /// When it was accepted.
    pub delivered_at: Option<DateTime<Utc>>,
}

#[cfg(test)]
mod tests {
    #[test]
    fn event_type_patterns() {
        let patterns = vec!["order.*".to_owned(), "entitlement.granted".to_owned()];
        assert!(super::wants(&patterns, "order.paid"));
        assert!(super::wants(&patterns, "entitlement.granted"));
        assert!(!super::wants(&patterns, "entitlement.expired"));
        assert!(!super::wants(&patterns, "orders.paid"));
        assert!(super::wants(&["*".to_owned()], "anything.at_all"));
    }
}

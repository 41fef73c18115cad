//! Webhooks for admins: `createWebhookEndpoint`, `webhookDeliveries`, `replayWebhookDelivery` (R12).

use crate::ApiState;
use crate::access::Require;
use crate::error::from_domain;
use crate::paging::{DEFAULT_PAGE, MAX_PAGE, Page};
use crate::scalars::parse_id;
use async_graphql::connection::{Connection, Edge, OpaqueCursor};
use async_graphql::{Context, ID, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};
use notify::NewEndpoint;

#[derive(Default)]
pub(crate) struct WebhooksQuery;

#[Object]
impl WebhooksQuery {
    /// Deliveries newest first, optionally of one endpoint and status. Admins only.
    #[graphql(
        guard = "Require::Admin",
        complexity = "first.unwrap_or(DEFAULT_PAGE).clamp(1, MAX_PAGE) as usize * child_complexity + 1"
    )]
    async fn webhook_deliveries(
        &self,
        ctx: &Context<'_>,
        endpoint_id: Option<ID>,
        status: Option<DeliveryStatus>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<OpaqueCursor<i64>, WebhookDelivery>> {
        let state = ctx.data::<ApiState>()?;
        let page = Page::<OpaqueCursor<i64>>::parse(first, after)?;
        let endpoint_id = endpoint_id.map(|id| parse_id("endpointId", &id)).transpose()?;
        let mut rows = notify::endpoints::deliveries(
            &state.db,
            endpoint_id,
            status.map(Into::into),
            page.after.as_ref().map(|c| c.0),
            page.limit(),
        )
        .await
        .map_err(from_domain)?;
        let has_next_page = rows.len() > page.first;
        rows.truncate(page.first);
        let mut connection = Connection::new(page.after.is_some(), has_next_page);
        connection
            .edges
            .extend(rows.into_iter().map(|d| Edge::new(OpaqueCursor(d.id), WebhookDelivery::from(d))));
        Ok(connection)
    }

    /// Registered endpoints. Admins only.
    #[graphql(guard = "Require::Admin")]
    async fn webhook_endpoints(&self, ctx: &Context<'_>) -> Result<Vec<WebhookEndpoint>> {
        let state = ctx.data::<ApiState>()?;
        let all = notify::endpoints::endpoints(&state.db).await.map_err(from_domain)?;
        Ok(all.into_iter().map(|e| WebhookEndpoint::from_endpoint(e, None)).collect())
    }
}

#[derive(Default)]
pub(crate) struct WebhooksMutation;

#[Object]
impl WebhooksMutation {
    /// Registers an endpoint for the events from now on. `events`: exact types (`order.paid`), families
    /// (`order.*`) or `*`. The signing secret (`whsec_…`, generated unless given) is returned this once.
    #[graphql(guard = "Require::Admin")]
    async fn create_webhook_endpoint(
        &self,
        ctx: &Context<'_>,
        input: WebhookEndpointInput,
    ) -> Result<WebhookEndpoint> {
        let state = ctx.data::<ApiState>()?;
        let new = NewEndpoint { url: input.url, events: input.events, secret: input.secret };
        let policy = notify::OutboundPolicy {
            allow_private_networks: state.jobs.settings.webhooks.allow_private_networks,
        };
        let (endpoint, secret) =
            notify::endpoints::create_endpoint(&state.db, new, policy, state.clock.now())
                .await
                .map_err(from_domain)?;
        Ok(WebhookEndpoint::from_endpoint(endpoint, Some(secret)))
    }

    /// Rotates an endpoint's signing secret (generated unless given): for 24 hours deliveries carry a
    /// signature with the previous secret as well. The new secret is returned this once. Admins only.
    #[graphql(guard = "Require::Admin")]
    async fn rotate_webhook_secret(
        &self,
        ctx: &Context<'_>,
        endpoint_id: ID,
        secret: Option<String>,
    ) -> Result<WebhookEndpoint> {
        let state = ctx.data::<ApiState>()?;
        let id = parse_id("endpointId", &endpoint_id)?;
        let (endpoint, secret) = notify::endpoints::rotate_secret(&state.db, id, secret, state.clock.now())
            .await
            .map_err(from_domain)?;
        Ok(WebhookEndpoint::from_endpoint(endpoint, Some(secret)))
    }

    /// Sends a delivery again now, with a fresh retry schedule. Admins only.
    #[graphql(guard = "Require::Admin")]
    async fn replay_webhook_delivery(&self, ctx: &Context<'_>, id: ID) -> Result<WebhookDelivery> {
        let state = ctx.data::<ApiState>()?;
        let id = parse_id("id", &id)?;
        let delivery =
            notify::endpoints::replay(&state.db, id, state.clock.now()).await.map_err(from_domain)?;
        Ok(delivery.into())
    }
}

/// `createWebhookEndpoint` input.
#[derive(InputObject)]
pub(crate) struct WebhookEndpointInput {
    /// http(s) URL.
    url: String,
    /// Event types, families (`order.*`) or `*`.
    events: Vec<String>,
    /// `whsec_` + base64 of 24–64 bytes; generated when left out.
    secret: Option<String>,
}

/// A registered webhook endpoint.
#[derive(SimpleObject)]
pub(crate) struct WebhookEndpoint {
    id: ID,
    url: String,
    events: Vec<String>,
    /// Disabled when the receiver answered 410 Gone.
    active: bool,
    disabled_reason: Option<String>,
    /// The signing secret: only in the answer of `createWebhookEndpoint` and `rotateWebhookSecret`, `null`
    /// everywhere else.
    signing_secret: Option<String>,
    created_at: DateTime<Utc>,
}

impl WebhookEndpoint {
    fn from_endpoint(e: notify::Endpoint, secret: Option<String>) -> Self {
        WebhookEndpoint {
            id: ID(e.id.to_string()),
            url: e.url,
            events: e.event_types,
            active: e.active,
            disabled_reason: e.disabled_reason,
            signing_secret: secret,
            created_at: e.created_at,
        }
    }
}

/// One event's delivery to one endpoint.
#[derive(SimpleObject)]
pub(crate) struct WebhookDelivery {
    id: ID,
    endpoint_id: ID,
    /// The event's position in the log (`Event.sequence`).
    event_sequence: i64,
    subject: String,
    status: DeliveryStatus,
    attempts: i32,
    next_attempt_at: DateTime<Utc>,
    last_status_code: Option<i32>,
    last_error: Option<String>,
    delivered_at: Option<DateTime<Utc>>,
}

impl From<notify::Delivery> for WebhookDelivery {
    fn from(d: notify::Delivery) -> Self {
        WebhookDelivery {
            id: ID(d.id.to_string()),
            endpoint_id: ID(d.endpoint_id.to_string()),
            event_sequence: d.event_id,
            subject: d.subject,
            status: d.status.into(),
            attempts: d.attempts,
            next_attempt_at: d.next_attempt_at,
            last_status_code: d.last_status_code,
            last_error: d.last_error,
            delivered_at: d.delivered_at,
        }
    }
}

mirror_enum!(
    /// Where a delivery stands: PENDING (not attempted yet, or replayed), FAILED (retried on the schedule),
    /// DELIVERED (2xx), DEAD (schedule exhausted, or 410).
    DeliveryStatus => notify::DeliveryStatus { Pending, Failed, Delivered, Dead }
);

//! One delivery sent: signed, through the outbound policy, and what its answer means.

use super::{Dispatcher, Failure};
use crate::entity::endpoint;
use crate::outbound::Forbidden;
use crate::signature;
use chrono::Utc;
use platform_core::events;

impl Dispatcher {
    /// POSTs one event, signed; the accepting status, or why not.
    pub(super) async fn send(
        &self,
        endpoint: &endpoint::Model,
        event: &events::Event,
    ) -> Result<u16, Failure> {
        if endpoint.format == crate::model::FORMAT_SLACK {
            return self.post_to_slack(event).await;
        }
        let body = serde_json::json!({
            "type": event.event_type,
            "timestamp": event.occurred_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            "data": event.payload,
        })
        .to_string();
        let id = event.event_id.to_string();
        let timestamp = Utc::now().timestamp();
        // The current secret, and the previous one while a rotation overlaps.
        let previous = endpoint
            .previous_secret
            .as_ref()
            .filter(|_| endpoint.previous_secret_until.is_some_and(|until| until > Utc::now()));
        let keys: Vec<Vec<u8>> = std::iter::once(&endpoint.secret)
            .chain(previous)
            .filter_map(|secret| signature::key_of(secret).ok())
            .collect();
        if keys.is_empty() {
            return Err(Failure::Failed(
                None,
                "the endpoint has no usable secret; nothing is sent unsigned".to_owned(),
            ));
        }
        if let Err(forbidden) = self.settings.outbound.check_literal(&endpoint.url) {
            return Err(Failure::Failed(None, format!("refused: {forbidden}")));
        }
        let request = self
            .client
            .post(&endpoint.url)
            .header("content-type", "application/json")
            .header("webhook-id", &id)
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", signature::header(&keys, &id, timestamp, body.as_bytes()))
            .body(body);
        self.answer_of(endpoint.id, request.send().await)
    }

    /// Posts the Slack message of `event` to `slack.webhook_url` (nothing to post: accepted as is).
    pub(super) async fn post_to_slack(&self, event: &events::Event) -> Result<u16, Failure> {
        let Some(message) = crate::slack::message_of(event) else { return Ok(204) };
        let Some(url) = &self.settings.slack_url else {
            return Err(Failure::Failed(None, "slack.webhook_url is not set".to_owned()));
        };
        if let Err(forbidden) = self.settings.outbound.check_literal(url.expose()) {
            return Err(Failure::Failed(None, format!("refused: {forbidden}")));
        }
        let request = self
            .client
            .post(url.expose())
            .header("content-type", "application/json")
            .body(message.to_string());
        self.answer_of(0, request.send().await)
    }

    /// What a receiver's answer means for the delivery.
    pub(super) fn answer_of(
        &self,
        endpoint_id: i64,
        sent: Result<reqwest::Response, reqwest::Error>,
    ) -> Result<u16, Failure> {
        match sent {
            Ok(response) => {
                let status = response.status();
                if status.is_success() {
                    Ok(status.as_u16())
                } else if status == reqwest::StatusCode::GONE {
                    Err(Failure::Gone)
                } else if status.is_redirection() {
                    Err(Failure::Failed(
                        Some(status.as_u16()),
                        format!("redirected ({status}); redirects are not followed"),
                    ))
                } else {
                    Err(Failure::Failed(Some(status.as_u16()), format!("answered {status}")))
                }
            }
            Err(err) => {
                if let Some(forbidden) = forbidden_in(&err) {
                    return Err(Failure::Failed(None, format!("refused: {forbidden}")));
                }
                // One message for a refused connection, a reset, a timeout or a peer that does not speak
                // HTTP: what an admin reads must not map which ports of a host answer. The cause is in the
                // log for whoever runs the server.
                tracing::debug!(endpoint = endpoint_id, error = %err.without_url(), "webhook not delivered");
                Err(Failure::NoResponse(format!(
                    "no HTTP response within {} s",
                    self.settings.timeout.as_secs()
                )))
            }
        }
    }
}

/// The outbound policy's refusal somewhere in a request error's causes (raised by its resolver).
pub(super) fn forbidden_in(err: &reqwest::Error) -> Option<&Forbidden> {
    let mut source: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(err);
    while let Some(cause) = source {
        if let Some(forbidden) = cause.downcast_ref::<Forbidden>() {
            return Some(forbidden);
        }
        source = cause.source();
    }
    None
}

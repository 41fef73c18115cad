//! The event log (R12) for admins: `events(filter, first, after)`.

use crate::ApiState;
use crate::access::Require;
use crate::error::internal;
use crate::paging::{DEFAULT_PAGE, MAX_PAGE, Page};
use async_graphql::connection::{Connection, Edge, OpaqueCursor};
use async_graphql::{Context, ID, InputObject, Json, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};
use platform_core::events::{self, EventFilter as Filter};

#[derive(Default)]
pub(crate) struct EventsQuery;

#[Object]
impl EventsQuery {
    /// Events oldest first, a page at a time (`first` ≤ 100, default 20). Admins only.
    #[graphql(
        guard = "Require::Admin",
        complexity = "first.unwrap_or(DEFAULT_PAGE).clamp(1, MAX_PAGE) as usize * child_complexity + 1"
    )]
    async fn events(
        &self,
        ctx: &Context<'_>,
        filter: Option<EventFilter>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<OpaqueCursor<i64>, Event>> {
        let state = ctx.data::<ApiState>()?;
        let page = Page::<OpaqueCursor<i64>>::parse(first, after)?;
        let filter = filter.map(Filter::from).unwrap_or_default();
        let mut rows = events::list(&state.db, &filter, page.after.as_ref().map(|c| c.0), page.limit())
            .await
            .map_err(internal)?;
        let has_next_page = rows.len() > page.first;
        rows.truncate(page.first);
        let mut connection = Connection::new(page.after.is_some(), has_next_page);
        connection.edges.extend(rows.into_iter().map(|e| Edge::new(OpaqueCursor(e.id), Event::from(e))));
        Ok(connection)
    }
}

/// Which events to list.
#[derive(InputObject)]
pub(crate) struct EventFilter {
    /// Only this type, e.g. `member.email_changed`.
    r#type: Option<String>,
    /// Only this subject, e.g. `member:<uuid>`.
    subject: Option<String>,
}

impl From<EventFilter> for Filter {
    fn from(f: EventFilter) -> Self {
        Filter { event_type: f.r#type, subject: f.subject }
    }
}

/// One event of the log.
#[derive(SimpleObject)]
pub(crate) struct Event {
    /// Globally unique id (UUID v7).
    id: ID,
    /// Position in the log.
    sequence: i64,
    /// Dotted type.
    r#type: String,
    /// `kind:key`.
    subject: String,
    /// The event's data.
    payload: Json<serde_json::Value>,
    /// When it happened.
    occurred_at: DateTime<Utc>,
}

impl From<events::Event> for Event {
    fn from(e: events::Event) -> Self {
        Event {
            id: ID(e.event_id.to_string()),
            sequence: e.id,
            r#type: e.event_type,
            subject: e.subject,
            payload: Json(e.payload),
            occurred_at: e.occurred_at,
        }
    }
}

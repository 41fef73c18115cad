//! The follow-up queue for admins (R17): `followUps(filter, first, after)`, `followUp(id)`, and the
//! mutations that move a follow-up along: open by hand, assign, note, resolve, dismiss.

use crate::ApiState;
use crate::access::{Require, principal};
use crate::error::{coded, from_domain};
use crate::paging::{DEFAULT_PAGE, MAX_PAGE, Page};
use async_graphql::connection::{Connection, Edge, OpaqueCursor};
use async_graphql::{ComplexObject, Context, ID, InputObject, Json, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};
use followups::manage;
use platform_core::ErrorCode;

#[derive(Default)]
pub(crate) struct FollowUpsQuery;

#[Object]
impl FollowUpsQuery {
    /// The queue by due time, overdue first (open ones unless `filter.statuses` says otherwise), a page at
    /// a time (`first` ≤ 100, default 20). Admins only.
    #[graphql(
        guard = "Require::Admin",
        complexity = "first.unwrap_or(DEFAULT_PAGE).clamp(1, MAX_PAGE) as usize * child_complexity + 1"
    )]
    async fn follow_ups(
        &self,
        ctx: &Context<'_>,
        filter: Option<FollowUpFilter>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<OpaqueCursor<(DateTime<Utc>, i64)>, FollowUp>> {
        let state = ctx.data::<ApiState>()?;
        let page = Page::<OpaqueCursor<(DateTime<Utc>, i64)>>::parse(first, after)?;
        let filter = filter.map(followups::FollowUpFilter::try_from).transpose()?.unwrap_or_default();
        let mut rows = manage::list(
            &state.db,
            &filter,
            page.after.as_ref().map(|c| c.0),
            page.limit(),
            state.clock.now(),
        )
        .await
        .map_err(from_domain)?;
        let has_next_page = rows.len() > page.first;
        rows.truncate(page.first);
        let mut connection = Connection::new(page.after.is_some(), has_next_page);
        connection
            .edges
            .extend(rows.into_iter().map(|f| Edge::new(OpaqueCursor((f.due_at, f.id)), FollowUp::from(f))));
        Ok(connection)
    }

    /// One follow-up, or null. Admins only.
    #[graphql(guard = "Require::Admin")]
    async fn follow_up(&self, ctx: &Context<'_>, id: ID) -> Result<Option<FollowUp>> {
        let state = ctx.data::<ApiState>()?;
        let Some(id) = parse_id(&id) else { return Ok(None) };
        Ok(manage::get(&state.db, id).await.map_err(from_domain)?.map(FollowUp::from))
    }
}

#[derive(Default)]
pub(crate) struct FollowUpsMutation;

#[Object]
impl FollowUpsMutation {
    /// Opens a follow-up by hand about `subject` (`kind:key`, the kind's own: a `RENEWAL_FAILED_FINAL` is
    /// about a `renewal:…`), with `note` as its first note. `CONFLICT` when one of the kind is already open
    /// for the subject. Admins only.
    #[graphql(guard = "Require::Admin")]
    async fn open_follow_up(
        &self,
        ctx: &Context<'_>,
        kind: FollowUpKind,
        subject: String,
        priority: Option<Priority>,
        note: String,
    ) -> Result<FollowUp> {
        let state = ctx.data::<ApiState>()?;
        let by = principal(ctx).subject().to_owned();
        let opened = manage::open_by_hand(
            &state.db,
            kind.into(),
            &subject,
            priority.map(Into::into),
            &note,
            &by,
            state.clock.now(),
        )
        .await
        .map_err(from_domain)?;
        Ok(opened.into())
    }

    /// Gives a follow-up to `assignee` (IN_PROGRESS). Admins only.
    #[graphql(guard = "Require::Admin")]
    async fn assign_follow_up(&self, ctx: &Context<'_>, id: ID, assignee: String) -> Result<FollowUp> {
        let (state, id, by) = args(ctx, &id)?;
        Ok(manage::assign(&state.db, id, &assignee, &by, state.clock.now())
            .await
            .map_err(from_domain)?
            .into())
    }

    /// Appends a note to an open follow-up. Admins only.
    #[graphql(guard = "Require::Admin")]
    async fn add_follow_up_note(&self, ctx: &Context<'_>, id: ID, body: String) -> Result<FollowUp> {
        let (state, id, by) = args(ctx, &id)?;
        Ok(manage::add_note(&state.db, id, &body, &by, state.clock.now())
            .await
            .map_err(from_domain)?
            .0
            .into())
    }

    /// Closes a follow-up as done, saying how. `CONFLICT` when it is already closed. Admins only.
    #[graphql(guard = "Require::Admin")]
    async fn resolve_follow_up(&self, ctx: &Context<'_>, id: ID, resolution: String) -> Result<FollowUp> {
        let (state, id, by) = args(ctx, &id)?;
        Ok(manage::resolve(&state.db, id, &resolution, &by, state.clock.now())
            .await
            .map_err(from_domain)?
            .into())
    }

    /// Closes a follow-up as nothing to do, saying why. `CONFLICT` when it is already closed. Admins only.
    #[graphql(guard = "Require::Admin")]
    async fn dismiss_follow_up(&self, ctx: &Context<'_>, id: ID, reason: String) -> Result<FollowUp> {
        let (state, id, by) = args(ctx, &id)?;
        Ok(manage::dismiss(&state.db, id, &reason, &by, state.clock.now()).await.map_err(from_domain)?.into())
    }
}

fn args<'a>(ctx: &Context<'a>, id: &ID) -> Result<(&'a ApiState, i64, String)> {
    let state = ctx.data::<ApiState>()?;
    let id = parse_id(id).ok_or_else(|| coded(ErrorCode::NotFound, format!("id: no follow-up {}", id.0)))?;
    Ok((state, id, principal(ctx).subject().to_owned()))
}

fn parse_id(id: &ID) -> Option<i64> {
    id.0.parse::<i64>().ok().filter(|id| *id > 0)
}

mirror_enum!(
    /// What needs doing (SPEC R17).
    FollowUpKind => followups::Kind {
        RenewalFailedFinal, NoPaymentMethod, PlanRetired, PaymentAmountMismatch, DuplicatePayment, PaymentWithoutOrder,
        PaymentNotSettled, CaptureFailed, WebhookDead, EmailFailed, EntitlementFailed, Alert, ErpUnconfirmed, Other,
    }
);

mirror_enum!(
    /// How soon (seed 001 §5.2): URGENT 30 min, HIGH 1 h, MEDIUM 2 h, LOW 24 h.
    Priority => followups::Priority { Urgent, High, Medium, Low }
);

mirror_enum!(
    /// OPEN → IN_PROGRESS → RESOLVED | DISMISSED.
    FollowUpStatus => followups::Status { Open, InProgress, Resolved, Dismissed }
);

/// Which follow-ups to list.
#[derive(InputObject)]
pub(crate) struct FollowUpFilter {
    /// Default: OPEN and IN_PROGRESS.
    statuses: Option<Vec<FollowUpStatus>>,
    kind: Option<FollowUpKind>,
    priority: Option<Priority>,
    /// `kind:key`, e.g. `renewal:42`.
    subject: Option<String>,
    assignee: Option<String>,
    /// Only open ones past their due time.
    #[graphql(default = false)]
    overdue: bool,
}

impl TryFrom<FollowUpFilter> for followups::FollowUpFilter {
    type Error = async_graphql::Error;

    fn try_from(f: FollowUpFilter) -> Result<Self> {
        let statuses = f.statuses.unwrap_or_default();
        if statuses.len() > followups::Status::ALL.len() {
            return Err(coded(ErrorCode::BadUserInput, "filter.statuses: at most 4"));
        }
        Ok(followups::FollowUpFilter {
            statuses: statuses.into_iter().map(Into::into).collect(),
            kind: f.kind.map(Into::into),
            priority: f.priority.map(Into::into),
            subject: f.subject,
            assignee: f.assignee,
            overdue: f.overdue,
        })
    }
}

/// Work a person must do.
#[derive(SimpleObject)]
#[graphql(complex)]
pub(crate) struct FollowUp {
    id: ID,
    kind: FollowUpKind,
    /// `kind:key`: `renewal:42`, `order:…`, `delivery:7`, `email:3`, `alert:…`.
    subject: String,
    priority: Priority,
    status: FollowUpStatus,
    summary: String,
    /// What the cause knew.
    detail: Json<serde_json::Value>,
    assignee: Option<String>,
    resolution: Option<String>,
    opened_at: DateTime<Utc>,
    /// Opened + the priority's response time.
    due_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    closed_at: Option<DateTime<Utc>>,
    #[graphql(skip)]
    raw_id: i64,
}

#[ComplexObject]
impl FollowUp {
    /// Open and past its due time.
    async fn overdue(&self, ctx: &Context<'_>) -> Result<bool> {
        let state = ctx.data::<ApiState>()?;
        Ok(self.closed_at.is_none() && self.due_at < state.clock.now())
    }

    /// Its notes, oldest first (assignments and closings write one too). Admins only.
    #[graphql(guard = "Require::Admin")]
    async fn notes(&self, ctx: &Context<'_>) -> Result<Vec<FollowUpNote>> {
        let state = ctx.data::<ApiState>()?;
        let notes = manage::notes(&state.db, self.raw_id).await.map_err(from_domain)?;
        Ok(notes
            .into_iter()
            .map(|n| FollowUpNote { author: n.author, body: n.body, created_at: n.created_at })
            .collect())
    }
}

/// A note on a follow-up.
#[derive(SimpleObject)]
pub(crate) struct FollowUpNote {
    author: String,
    body: String,
    created_at: DateTime<Utc>,
}

impl From<followups::FollowUp> for FollowUp {
    fn from(f: followups::FollowUp) -> Self {
        FollowUp {
            id: ID(f.id.to_string()),
            raw_id: f.id,
            kind: f.kind.into(),
            subject: f.subject,
            priority: f.priority.into(),
            status: f.status.into(),
            summary: f.summary,
            detail: Json(f.detail),
            assignee: f.assignee,
            resolution: f.resolution,
            opened_at: f.opened_at,
            due_at: f.due_at,
            updated_at: f.updated_at,
            closed_at: f.closed_at,
        }
    }
}

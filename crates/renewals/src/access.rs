//! Who may act on a renewal (SPEC §3): admins and services on any, a member only on its own (to read it,
//! change its card, retry, skip, resume, cancel at term end or stop it). Every use case a caller reaches
//! takes the [`Principal`] and asks [`require`] for the row it is about to change, in its own transaction;
//! the reads (`service::renewal_for`, `service::renewals_for`) ask [`row_for`] and the list scope.

use crate::RenewalsError;
use crate::entity::renewal;
use members::{AccessError, MembersError, Principal, service as members_service};
use platform_core::RenewalId;
use sea_orm::{ConnectionTrait, EntityTrait};

const FOREIGN: &str = "a member sees only its own renewals";

/// Renewal `id`'s row, which `caller` may act on: `NOT_FOUND` when there is none (for a member
/// `FORBIDDEN`, as for another's).
pub(crate) async fn require(
    db: &impl ConnectionTrait,
    caller: &Principal,
    id: RenewalId,
) -> Result<renewal::Model, RenewalsError> {
    row_for(db, caller, id)
        .await?
        .ok_or_else(|| RenewalsError::NotFound { field: "renewalId", message: format!("no renewal {id}") })
}

/// Renewal `id`'s row if `caller` may see it (`None` when there is none, for admins and services).
pub(crate) async fn row_for(
    db: &impl ConnectionTrait,
    caller: &Principal,
    id: RenewalId,
) -> Result<Option<renewal::Model>, RenewalsError> {
    caller.require_token().map_err(MembersError::from)?;
    let row = renewal::Entity::find_by_id(id).one(db).await?;
    let Some(account) = caller.member_account() else { return Ok(row) };
    let own = members_service::member_id(db, account).await?;
    match row {
        Some(row) if own.is_some() && row.member_id == own => Ok(Some(row)),
        _ => Err(MembersError::from(AccessError::Forbidden(FOREIGN)).into()),
    }
}

//! What a caller may read of members and customers (SPEC §3): the use cases behind `member` and
//! `customer`, taking the [`Principal`]. The API asks these; it does not decide.

use super::*;

/// How a caller names a member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MemberKey {
    /// By account.
    Account(Account),
    /// By UUID.
    Uuid(Uuid),
}

/// The member `key` names, as `caller` may see it: admins and services see any member (`None` when there
/// is none); a member sees only itself, and an unknown UUID is as forbidden to it as another's, so it
/// learns nothing about UUIDs that are not its own.
pub async fn member_for(
    db: &impl ConnectionTrait,
    caller: &Principal,
    key: MemberKey,
) -> Result<Option<Member>, MembersError> {
    match key {
        MemberKey::Account(account) => {
            caller.require_owner(&account)?;
            find_member(db, &account).await
        }
        MemberKey::Uuid(uuid) => {
            caller.require_token()?;
            let found = find_member_by_uuid(db, uuid).await?;
            match (&found, caller.member_account()) {
                (None, Some(_)) => {
                    Err(crate::AccessError::Forbidden("a member sees only its own data").into())
                }
                (Some(member), _) => {
                    caller.require_owner(&member.account)?;
                    Ok(found)
                }
                (None, None) => Ok(None),
            }
        }
    }
}

/// The customer `customer_no`, as `caller` may see it: admins and services any (`None` when there is
/// none), a member only a customer linked to it.
pub async fn customer_for(
    db: &impl ConnectionTrait,
    caller: &Principal,
    customer_no: &str,
) -> Result<Option<Customer>, MembersError> {
    let customer_no = customer_no.trim();
    authorize_customer(db, caller, customer_no).await?;
    find_customer(db, customer_no).await
}

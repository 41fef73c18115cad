//! Who is asking, and the one rule of who may see what (SPEC §3).
//!
//! The API turns a verified token into a [`Principal`] and hands it to the domain's use case, which asks it
//! before touching data (`member_for`, `order_for`, `entitlements_for`, `renewal_for`, each renewal
//! change). Data that belongs to a member (its member record, orders, entitlements, renewals) is visible to
//! admins, services and that member only: [`Principal::require_owner`] for one record,
//! [`Principal::scope`] for lists. Later domains reuse these two instead of writing their own checks.

use crate::Account;
use platform_core::ErrorCode;
use platform_core::error::HasErrorCode;

/// The roles a token can carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// Operators: everything, jobs, webhooks.
    Admin,
    /// EC backends and the member API: orders, members, renewals; no admin operations.
    Service,
    /// A member (`sub` = account): only its own data.
    Member,
}

impl Role {
    /// The claim value: `admin`, `service` or `member`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Service => "service",
            Role::Member => "member",
        }
    }

    /// Parses a claim value.
    pub fn parse(raw: &str) -> Option<Role> {
        match raw {
            "admin" => Some(Role::Admin),
            "service" => Some(Role::Service),
            "member" => Some(Role::Member),
            _ => None,
        }
    }
}

/// The caller of one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    /// No token: only the public catalog.
    Anonymous,
    /// An operator; `subject` is the token's `sub`, for the audit trail.
    Admin {
        /// Who.
        subject: String,
    },
    /// An EC backend or the member API.
    Service {
        /// Which.
        subject: String,
    },
    /// A member, reading its own data.
    Member {
        /// Its account (the token's `sub`, canonicalised).
        account: Account,
    },
}

/// Why a principal may not do something.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AccessError {
    /// No token was sent.
    #[error("authentication required: send a bearer token")]
    Unauthenticated,
    /// The token is valid but its role or subject does not allow this.
    #[error("not allowed: {0}")]
    Forbidden(&'static str),
}

impl HasErrorCode for AccessError {
    fn code(&self) -> ErrorCode {
        match self {
            AccessError::Unauthenticated => ErrorCode::Unauthenticated,
            AccessError::Forbidden(_) => ErrorCode::Forbidden,
        }
    }
}

impl Principal {
    /// The role, or `None` when anonymous.
    pub fn role(&self) -> Option<Role> {
        match self {
            Principal::Anonymous => None,
            Principal::Admin { .. } => Some(Role::Admin),
            Principal::Service { .. } => Some(Role::Service),
            Principal::Member { .. } => Some(Role::Member),
        }
    }

    /// Who, for the audit trail: the token's subject (a member's account), or `anonymous`.
    pub fn subject(&self) -> &str {
        match self {
            Principal::Anonymous => "anonymous",
            Principal::Admin { subject } | Principal::Service { subject } => subject,
            Principal::Member { account } => account.as_str(),
        }
    }

    /// Any valid token (a member then sees only its own data).
    pub fn require_token(&self) -> Result<(), AccessError> {
        match self {
            Principal::Anonymous => Err(AccessError::Unauthenticated),
            _ => Ok(()),
        }
    }

    /// Admins only.
    pub fn require_admin(&self) -> Result<(), AccessError> {
        match self {
            Principal::Admin { .. } => Ok(()),
            Principal::Anonymous => Err(AccessError::Unauthenticated),
            _ => Err(AccessError::Forbidden("admin role required")),
        }
    }

    /// Admins and services (the EC backends, the member API).
    pub fn require_operator(&self) -> Result<(), AccessError> {
        match self {
            Principal::Admin { .. } | Principal::Service { .. } => Ok(()),
            Principal::Anonymous => Err(AccessError::Unauthenticated),
            Principal::Member { .. } => Err(AccessError::Forbidden("admin or service role required")),
        }
    }

    /// Data belonging to the member `owner`: admins, services and that member.
    pub fn require_owner(&self, owner: &Account) -> Result<(), AccessError> {
        match self {
            Principal::Member { account } if account == owner => Ok(()),
            Principal::Member { .. } => Err(AccessError::Forbidden("a member sees only its own data")),
            _ => self.require_operator(),
        }
    }

    /// The member whose data a list query may return, given the member the caller asked for: a member
    /// always gets its own account (asking for another is forbidden); admins and services get what they
    /// asked for (`None`: everyone's).
    pub fn scope(&self, requested: Option<&Account>) -> Result<Option<Account>, AccessError> {
        match self {
            Principal::Member { account } => match requested {
                Some(other) if other != account => {
                    Err(AccessError::Forbidden("a member sees only its own data"))
                }
                _ => Ok(Some(account.clone())),
            },
            _ => {
                self.require_operator()?;
                Ok(requested.cloned())
            }
        }
    }

    /// The member account of a member principal.
    pub fn member_account(&self) -> Option<&Account> {
        match self {
            Principal::Member { account } => Some(account),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member(account: &str) -> Principal {
        Principal::Member { account: Account::parse(account).unwrap() }
    }

    #[test]
    fn the_owner_rule() {
        let alice = Account::parse("alice@example.com").unwrap();
        let admin = Principal::Admin { subject: "ops".into() };
        let service = Principal::Service { subject: "ec".into() };
        assert_eq!(admin.require_owner(&alice), Ok(()));
        assert_eq!(service.require_owner(&alice), Ok(()));
        assert_eq!(member("Alice@Example.com").require_owner(&alice), Ok(()));
        assert!(matches!(member("bob@example.com").require_owner(&alice), Err(AccessError::Forbidden(_))));
        assert_eq!(Principal::Anonymous.require_owner(&alice), Err(AccessError::Unauthenticated));
    }

    #[test]
    fn list_scope_pins_members_to_themselves() {
        let alice = Account::parse("alice@example.com").unwrap();
        let bob = Account::parse("bob@example.com").unwrap();
        assert_eq!(member("alice@example.com").scope(None), Ok(Some(alice.clone())));
        assert_eq!(member("alice@example.com").scope(Some(&alice)), Ok(Some(alice.clone())));
        assert!(member("alice@example.com").scope(Some(&bob)).is_err());
        let service = Principal::Service { subject: "ec".into() };
        assert_eq!(service.scope(None), Ok(None));
        assert_eq!(service.scope(Some(&bob)), Ok(Some(bob)));
        assert_eq!(Principal::Anonymous.scope(None), Err(AccessError::Unauthenticated));
    }

    #[test]
    fn roles_by_operation_kind() {
        let service = Principal::Service { subject: "ec".into() };
        assert!(service.require_operator().is_ok());
        assert!(matches!(service.require_admin(), Err(AccessError::Forbidden(_))));
        assert!(matches!(member("a@b.co").require_operator(), Err(AccessError::Forbidden(_))));
        assert_eq!(Principal::Anonymous.require_admin(), Err(AccessError::Unauthenticated));
        assert_eq!(Role::parse("service"), Some(Role::Service));
        assert_eq!(Role::parse("root"), None);
        assert_eq!(Role::Member.as_str(), "member");
    }
}

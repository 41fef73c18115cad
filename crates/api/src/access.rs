//! Guards: the caller of a request is a [`Principal`] in the request data (anonymous when absent). Root
//! fields declare the role they need with `#[graphql(guard = "Require::Operator")]`; whether a member may
//! see or change one record is decided by the domain's use case, which takes the [`Principal`] (the rule
//! itself lives in `members::access`). Nested fields over another person's record (`Order.member`,
//! `Order.payer`) ask that rule for the record the parent already read.

use crate::error::from_domain;
use async_graphql::{Context, Guard, Result};
use members::Principal;

const ANONYMOUS: Principal = Principal::Anonymous;

/// The caller of the current request.
pub(crate) fn principal<'a>(ctx: &Context<'a>) -> &'a Principal {
    ctx.data_opt::<Principal>().unwrap_or(&ANONYMOUS)
}

/// The role a field needs.
pub(crate) enum Require {
    /// Admins only.
    Admin,
    /// Admins and services.
    Operator,
    /// Any valid token (members then see only their own data).
    Token,
}

impl Guard for Require {
    async fn check(&self, ctx: &Context<'_>) -> Result<()> {
        let principal = principal(ctx);
        let allowed = match self {
            Require::Admin => principal.require_admin(),
            Require::Operator => principal.require_operator(),
            Require::Token => principal.require_token(),
        };
        allowed.map_err(from_domain)
    }
}

//! sea-orm entities of the entitlement tables. Private to this crate.

pub(crate) mod entitlement;
pub(crate) mod grant;
pub(crate) mod suspension;

//! sea-orm entities of the webhook tables. Private to this crate.

pub(crate) mod delivery;
pub(crate) mod endpoint;

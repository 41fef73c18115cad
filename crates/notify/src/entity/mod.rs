//! sea-orm entities of the webhook tables and the e-mail outbox. Private to this crate.

pub(crate) mod delivery;
pub(crate) mod email;
pub(crate) mod endpoint;

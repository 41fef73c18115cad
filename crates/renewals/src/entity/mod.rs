//! sea-orm entities of the renewal tables. Private to this crate.

pub(crate) mod charge;
pub(crate) mod price_notice;
pub(crate) mod renewal;

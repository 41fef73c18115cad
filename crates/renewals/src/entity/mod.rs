//! sea-orm entities of the renewal tables. Private to this crate.

pub(crate) mod renewal;

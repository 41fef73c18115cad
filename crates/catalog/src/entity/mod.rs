//! sea-orm entities of the catalog tables. Private to this crate: other crates use the service functions
//! and the domain types of [`crate::model`].

pub(crate) mod item;
pub(crate) mod price_change;
pub(crate) mod product;
pub(crate) mod promotion;
pub(crate) mod promotion_item;

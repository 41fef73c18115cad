//! sea-orm entities of the member tables. Private to this crate: other crates use the service functions and
//! the domain types of [`crate::model`].

pub(crate) mod contact;
pub(crate) mod contact_point;
pub(crate) mod customer;
pub(crate) mod issued_uuid;
pub(crate) mod member;
pub(crate) mod member_customer;

//! sea-orm entities of the order tables. Private to this crate.

pub(crate) mod order;
pub(crate) mod order_line;
pub(crate) mod order_return;
pub(crate) mod order_return_line;
pub(crate) mod payment;
pub(crate) mod reconciliation;
pub(crate) mod reconciliation_item;
pub(crate) mod refund;
pub(crate) mod shipment;
pub(crate) mod shipment_line;

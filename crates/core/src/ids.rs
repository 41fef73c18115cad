//! Row ids that cross crates, as types: a customer's id cannot be passed where a member's is expected.
//! Each is the column type of the foreign keys that hold it in other domains' tables (sea-orm
//! `DeriveValueType`), so a row read from `renewals` or `entitlements` carries typed ids end to end; the
//! domain that owns the row converts its own primary key once, where it hands the id out.

use std::fmt;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, sea_orm::DeriveValueType)]
        #[derive(serde::Serialize)]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl From<$name> for i64 {
            fn from(id: $name) -> i64 {
                id.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

id_type!(
    /// A customer's (訂戶) row id.
    CustomerId
);
id_type!(
    /// A member's (會員) row id.
    MemberId
);
id_type!(
    /// An order's row id (the cursor of a page of orders; the order number is what callers name).
    OrderId
);
id_type!(
    /// A renewal's (續訂單) row id: what `renewal(id:)` and every renewal change name.
    RenewalId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_show_and_serialize_as_their_number() {
        assert_eq!(CustomerId(42).to_string(), "42");
        assert_eq!(serde_json::to_value(MemberId(7)).unwrap(), serde_json::json!(7));
        assert_eq!(sea_orm::Value::from(CustomerId(3)), sea_orm::Value::BigInt(Some(3)));
        assert_eq!((RenewalId(9).to_string(), i64::from(OrderId(11))), ("9".to_owned(), 11));
        assert_eq!(serde_json::to_value(RenewalId(9)).unwrap(), serde_json::json!(9));
    }
}

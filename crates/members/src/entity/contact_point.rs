//! Entity of `customer_contact_points`: a contact's (or the customer's own extra) addresses, phones and
//! e-mails (R21).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "customer_contact_points")]
pub(crate) struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub customer_id: i64,
    pub contact_id: Option<i64>,
    pub position: i32,
    /// `ADDRESS`, `PHONE` or `EMAIL`.
    pub kind: String,
    /// A phone or an e-mail.
    pub value: Option<String>,
    pub country: Option<String>,
    pub postal_code: Option<String>,
    pub city: Option<String>,
    pub street: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub(crate) enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

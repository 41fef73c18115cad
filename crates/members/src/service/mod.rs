//! Member and customer storage. Functions take any connection (`&impl ConnectionTrait`) unless they need a
//! transaction of their own; every change appends its events in the same transaction (R12).
//!
//! `members`, `customers`, `links` (who is linked to whom, and the customer rule), `lookups` (id lookups
//! other domains use) and `visible` (what a caller may read: the use cases taking the `Principal`). The
//! files share this module's imports.

mod contacts;
mod customers;
mod links;
mod lookups;
mod members;
mod visible;

pub use contacts::contacts_of_customers;
pub use customers::*;
pub use links::*;
pub use lookups::*;
pub use members::*;
pub use visible::*;

use crate::entity::{customer, issued_uuid, member, member_customer};
use crate::model::{
    Address, Change, Customer, CustomerInput, Member, MemberInput, NineOneMemberInfo, TradeVanMemberInfo,
    Upserted,
};
use crate::validate;
use crate::{Account, MembersError, Principal};
use chrono::{DateTime, Utc};
use platform_core::db::{UniqueKey, begin_write};
use platform_core::events::{self, NewEvent};
use platform_core::{CustomerId, MemberId};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, IntoActiveModel,
    QueryFilter, QueryOrder, TransactionSession, TransactionTrait,
};
use serde_json::json;
use std::collections::HashMap;
use uuid::Uuid;

/// `members.account`: one member per account (canonical form).
const MEMBER_ACCOUNT: UniqueKey = UniqueKey { name: "members_account_key", columns: "members.account" };
/// `members.uuid`: one member per issued uuid.
const MEMBER_UUID: UniqueKey = UniqueKey { name: "members_uuid_key", columns: "members.uuid" };
/// `customers.customer_no`.
const CUSTOMER_NO: UniqueKey =
    UniqueKey { name: "customers_customer_no_key", columns: "customers.customer_no" };

/// The unique constraints whose violations members turns into its own outcomes.
pub const UNIQUE_KEYS: [UniqueKey; 3] = [MEMBER_ACCOUNT, MEMBER_UUID, CUSTOMER_NO];

async fn append(
    db: &impl ConnectionTrait,
    event_type: &'static str,
    subject: String,
    payload: serde_json::Value,
    at: DateTime<Utc>,
) -> Result<(), DbErr> {
    events::append(db, NewEvent { event_type, subject, payload }, at).await.map(|_| ())
}

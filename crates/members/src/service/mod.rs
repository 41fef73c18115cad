//! Member and customer storage. Functions take any connection (`&impl ConnectionTrait`) unless they need a
//! transaction of their own; every change appends its events in the same transaction (R12).
//!
//! `members`, `customers`, `links` (who is linked to whom, and the customer rule) and `lookups` (id
//! lookups other domains use). The files share this module's imports.

mod contacts;
mod customers;
mod links;
mod lookups;
mod members;

pub use contacts::contacts_of_customers;
pub use customers::*;
pub use links::*;
pub use lookups::*;
pub use members::*;

use crate::entity::{customer, issued_uuid, member, member_customer};
use crate::model::{
    Address, Change, Customer, CustomerInput, Member, MemberInput, NineOneMemberInfo, TradeVanMemberInfo,
    Upserted,
};
use crate::validate;
use crate::{Account, MembersError, Principal};
use chrono::{DateTime, Utc};
use platform_core::db::{begin_write, is_unique_violation};
use platform_core::events::{self, NewEvent};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, IntoActiveModel,
    QueryFilter, QueryOrder, TransactionSession, TransactionTrait,
};
use serde_json::json;
use std::collections::HashMap;
use uuid::Uuid;

async fn append(
    db: &impl ConnectionTrait,
    event_type: &'static str,
    subject: String,
    payload: serde_json::Value,
    at: DateTime<Utc>,
) -> Result<(), DbErr> {
    events::append(db, NewEvent { event_type, subject, payload }, at).await.map(|_| ())
}

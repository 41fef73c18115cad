//! Members and customers: `member`, `customer`, `requestUuid`, `upsertMember`, `linkMemberCustomer` and
//! `upsertCustomer`. Services and admins manage them; a member reads only itself and its customers.
//! The wire values (addresses, contacts, profile blocks, inputs) are in `values`.

mod values;

pub(crate) use values::{
    Address, Contact, MemberInput, NineOneMemberInfo, TradeVanMemberInfo, UpsertCustomerInput,
};

use crate::ApiState;
use crate::access::{Require, principal};
use crate::error::{coded, from_domain};
use async_graphql::{Context, Object, Result};
use chrono::{DateTime, Utc};
use members::service;
use platform_core::ErrorCode;
use uuid::Uuid;

#[derive(Default)]
pub(crate) struct MembersQuery;

#[Object]
impl MembersQuery {
    /// A member by account or by UUID (give exactly one). `null` when there is none. A member token may
    /// read only its own member.
    #[graphql(guard = "Require::Token")]
    async fn member(
        &self,
        ctx: &Context<'_>,
        account: Option<String>,
        uuid: Option<Uuid>,
    ) -> Result<Option<Member>> {
        let state = ctx.data::<ApiState>()?;
        let key = match (account, uuid) {
            (Some(account), None) => service::MemberKey::Account(crate::scalars::parse_account(&account)?),
            (None, Some(uuid)) => service::MemberKey::Uuid(uuid),
            _ => return Err(coded(ErrorCode::BadUserInput, "member: give exactly one of account and uuid")),
        };
        let found = service::member_for(&state.db, principal(ctx), key).await.map_err(from_domain)?;
        Ok(found.map(Member))
    }

    /// A customer (訂戶) by number, with its linked members. `null` when there is none. A member token may
    /// read only the customers linked to it.
    #[graphql(guard = "Require::Token")]
    async fn customer(&self, ctx: &Context<'_>, customer_no: String) -> Result<Option<Customer>> {
        let state = ctx.data::<ApiState>()?;
        let found =
            service::customer_for(&state.db, principal(ctx), &customer_no).await.map_err(from_domain)?;
        Ok(found.map(Customer))
    }
}

#[derive(Default)]
pub(crate) struct MembersMutation;

#[Object]
impl MembersMutation {
    /// A fresh UUID for a member the EC is about to create (seed 004 "EC 索取UUID"); pass it to
    /// `upsertMember`. Unknown UUIDs are refused there.
    #[graphql(guard = "Require::Operator")]
    async fn request_uuid(&self, ctx: &Context<'_>) -> Result<Uuid> {
        let state = ctx.data::<ApiState>()?;
        service::request_uuid(&state.db, state.clock.now()).await.map_err(from_domain)
    }

    /// ssoUpdMember: creates the member or updates the one with this account (or uuid). Fields left out
    /// are kept, fields sent as `null` are cleared. A changed e-mail is kept in the event log.
    #[graphql(guard = "Require::Operator")]
    async fn upsert_member(&self, ctx: &Context<'_>, input: MemberInput) -> Result<Member> {
        let state = ctx.data::<ApiState>()?;
        let (member, _) =
            service::upsert_member(&state.db, input.into(), state.clock.now()).await.map_err(from_domain)?;
        Ok(Member(member))
    }

    /// Links a member to a customer (seed MEMBERSUBNO). Linking again changes nothing.
    #[graphql(guard = "Require::Operator")]
    async fn link_member_customer(
        &self,
        ctx: &Context<'_>,
        account: String,
        customer_no: String,
    ) -> Result<Member> {
        let state = ctx.data::<ApiState>()?;
        let account = crate::scalars::parse_account(&account)?;
        let member =
            service::link_member_customer(&state.db, &account, customer_no.trim(), state.clock.now())
                .await
                .map_err(from_domain)?;
        Ok(Member(member))
    }

    /// Creates a customer (number generated unless given) or updates the one with `customerNo`.
    #[graphql(guard = "Require::Operator")]
    async fn upsert_customer(&self, ctx: &Context<'_>, input: UpsertCustomerInput) -> Result<Customer> {
        let state = ctx.data::<ApiState>()?;
        let (customer, _) = service::upsert_customer(&state.db, input.into(), state.clock.now())
            .await
            .map_err(from_domain)?;
        Ok(Customer(customer))
    }
}

/// A member (會員).
pub(crate) struct Member(pub(crate) members::Member);

#[Object]
impl Member {
    /// Account: unique, trimmed and lower-cased.
    async fn account(&self) -> &str {
        self.0.account.as_str()
    }
    /// The member's UUID.
    async fn uuid(&self) -> Uuid {
        self.0.uuid
    }
    /// Contact e-mail.
    async fn email(&self) -> Option<&str> {
        self.0.email.as_deref()
    }
    /// Name.
    async fn name(&self) -> Option<&str> {
        self.0.name.as_deref()
    }
    /// Phone.
    async fn phone(&self) -> Option<&str> {
        self.0.phone.as_deref()
    }
    /// Agreed to marketing mail (MARKETINGYN).
    async fn marketing_opt_in(&self) -> bool {
        self.0.marketing_opt_in
    }
    /// Agreed to content mail (CONTENTYN).
    async fn content_opt_in(&self) -> bool {
        self.0.content_opt_in
    }
    /// Account verified (VERIFYSTATUS).
    async fn verified(&self) -> bool {
        self.0.verified
    }
    /// The 91APP profile.
    async fn nine_one_member_info(&self) -> Option<NineOneMemberInfo> {
        self.0.nine_one_member_info.clone().map(Into::into)
    }
    /// The TradeVan (關貿) profile.
    async fn trade_van_member_info(&self) -> Option<TradeVanMemberInfo> {
        self.0.trade_van_member_info.clone().map(Into::into)
    }
    /// The customers (訂戶) linked to this member.
    async fn customers(&self, ctx: &Context<'_>) -> Result<Vec<Customer>> {
        let state = ctx.data::<ApiState>()?;
        let found = service::customers_of_member(&state.db, &self.0.account).await.map_err(from_domain)?;
        Ok(found.into_iter().map(Customer).collect())
    }
    /// Created.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// Last changed.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

/// A customer (訂戶): an ERP subscriber or recipient.
pub(crate) struct Customer(pub(crate) members::Customer);

impl Customer {
    /// Its further addresses and contacts, through the request's loader (one query for a page).
    async fn children(
        &self,
        ctx: &Context<'_>,
    ) -> Result<(Vec<members::Address>, Vec<members::model::Contact>)> {
        let loaders = ctx.data::<crate::loaders::Loaders>()?;
        let found = loaders.contacts.load_one(self.0.customer_no.clone()).await.map_err(from_domain)?;
        Ok(found.unwrap_or_default())
    }
}

#[Object]
impl Customer {
    /// Customer number (SUBNO).
    async fn customer_no(&self) -> &str {
        &self.0.customer_no
    }
    /// The ERP's own id.
    async fn customer_id(&self) -> Option<&str> {
        self.0.customer_id.as_deref()
    }
    /// Name.
    async fn name(&self) -> Option<&str> {
        self.0.name.as_deref()
    }
    /// E-mail.
    async fn email(&self) -> Option<&str> {
        self.0.email.as_deref()
    }
    /// Phone.
    async fn phone(&self) -> Option<&str> {
        self.0.phone.as_deref()
    }
    /// Mobile.
    async fn mobile(&self) -> Option<&str> {
        self.0.mobile.as_deref()
    }
    /// Postal address.
    async fn address(&self) -> Address {
        self.0.address.clone().into()
    }
    /// The parent customer's number.
    async fn parent_customer_no(&self) -> Option<&str> {
        self.0.parent_customer_no.as_deref()
    }
    /// Further addresses (R21, the ERP master's).
    async fn addresses(&self, ctx: &Context<'_>) -> Result<Vec<Address>> {
        let (addresses, _) = self.children(ctx).await?;
        Ok(addresses.into_iter().map(Into::into).collect())
    }
    /// Contacts (聯絡人, R21, the ERP master's), each with addresses, phones and e-mails. Admins and services
    /// only: they name other people.
    #[graphql(guard = "Require::Operator")]
    async fn contacts(&self, ctx: &Context<'_>) -> Result<Vec<Contact>> {
        let (_, contacts) = self.children(ctx).await?;
        Ok(contacts.into_iter().map(Into::into).collect())
    }
    /// The members linked to this customer (admins and services only: it may name other people).
    #[graphql(guard = "Require::Operator")]
    async fn members(&self, ctx: &Context<'_>) -> Result<Vec<Member>> {
        let state = ctx.data::<ApiState>()?;
        let found =
            service::members_of_customer(&state.db, &self.0.customer_no).await.map_err(from_domain)?;
        Ok(found.into_iter().map(Member).collect())
    }
    /// Created.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// Last changed.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

//! Members and customers: `member`, `customer`, `requestUuid`, `upsertMember`, `linkMemberCustomer` and
//! `upsertCustomer`. Services and admins manage them; a member reads only itself and its customers.

use crate::ApiState;
use crate::access::{Require, principal};
use crate::error::{coded, from_domain};
use async_graphql::{Context, InputObject, Json, MaybeUndefined, Object, Result, SimpleObject};
use chrono::{DateTime, NaiveDate, Utc};
use members::{Account, Change, service};
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
        let caller = principal(ctx);
        match (account, uuid) {
            (Some(account), None) => {
                let account =
                    Account::parse(&account).map_err(|e| from_domain(members::MembersError::from(e)))?;
                caller.require_owner(&account).map_err(from_domain)?;
                Ok(service::find_member(&state.db, &account).await.map_err(from_domain)?.map(Member))
            }
            (None, Some(uuid)) => {
                let found = service::find_member_by_uuid(&state.db, uuid).await.map_err(from_domain)?;
                match (&found, caller.member_account()) {
                    // A member learns nothing about UUIDs that are not its own.
                    (None, Some(_)) => {
                        Err(from_domain(members::AccessError::Forbidden("a member sees only its own data")))
                    }
                    (Some(member), _) => {
                        caller.require_owner(&member.account).map_err(from_domain)?;
                        Ok(found.map(Member))
                    }
                    (None, None) => Ok(None),
                }
            }
            _ => Err(coded(ErrorCode::BadUserInput, "member: give exactly one of account and uuid")),
        }
    }

    /// A customer (訂戶) by number, with its linked members. `null` when there is none. A member token may
    /// read only the customers linked to it.
    #[graphql(guard = "Require::Token")]
    async fn customer(&self, ctx: &Context<'_>, customer_no: String) -> Result<Option<Customer>> {
        let state = ctx.data::<ApiState>()?;
        let customer_no = customer_no.trim();
        service::authorize_customer(&state.db, principal(ctx), customer_no).await.map_err(from_domain)?;
        Ok(service::find_customer(&state.db, customer_no).await.map_err(from_domain)?.map(Customer))
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
        let account = Account::parse(&account).map_err(|e| from_domain(members::MembersError::from(e)))?;
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

/// A postal address.
#[derive(SimpleObject, InputObject)]
#[graphql(input_name = "AddressInput")]
pub(crate) struct Address {
    country: Option<String>,
    postal_code: Option<String>,
    city: Option<String>,
    street: Option<String>,
}

impl From<members::Address> for Address {
    fn from(a: members::Address) -> Self {
        Address { country: a.country, postal_code: a.postal_code, city: a.city, street: a.street }
    }
}

impl From<Address> for members::Address {
    fn from(a: Address) -> Self {
        members::Address { country: a.country, postal_code: a.postal_code, city: a.city, street: a.street }
    }
}

/// A customer's contact (聯絡人, R21).
#[derive(SimpleObject, InputObject)]
#[graphql(input_name = "ContactInput")]
pub(crate) struct Contact {
    name: Option<String>,
    #[graphql(validator(max_items = 10))]
    addresses: Vec<Address>,
    #[graphql(validator(max_items = 10))]
    phones: Vec<String>,
    #[graphql(validator(max_items = 10))]
    emails: Vec<String>,
}

impl From<members::model::Contact> for Contact {
    fn from(c: members::model::Contact) -> Self {
        Contact {
            name: c.name,
            addresses: c.addresses.into_iter().map(Into::into).collect(),
            phones: c.phones,
            emails: c.emails,
        }
    }
}

impl From<Contact> for members::model::Contact {
    fn from(c: Contact) -> Self {
        members::model::Contact {
            name: c.name,
            addresses: c.addresses.into_iter().map(Into::into).collect(),
            phones: c.phones,
            emails: c.emails,
        }
    }
}

/// The 91APP profile block (seed 004 `nineOneMemberInfo`).
#[derive(SimpleObject, InputObject)]
#[graphql(input_name = "NineOneMemberInfoInput")]
pub(crate) struct NineOneMemberInfo {
    profession: Option<String>,
    job_position: Option<String>,
    interest: Option<String>,
    know_from: Option<String>,
    email: Option<String>,
    address: Option<String>,
}

impl From<members::model::NineOneMemberInfo> for NineOneMemberInfo {
    fn from(i: members::model::NineOneMemberInfo) -> Self {
        NineOneMemberInfo {
            profession: i.profession,
            job_position: i.job_position,
            interest: i.interest,
            know_from: i.know_from,
            email: i.email,
            address: i.address,
        }
    }
}

impl From<NineOneMemberInfo> for members::model::NineOneMemberInfo {
    fn from(i: NineOneMemberInfo) -> Self {
        members::model::NineOneMemberInfo {
            profession: i.profession,
            job_position: i.job_position,
            interest: i.interest,
            know_from: i.know_from,
            email: i.email,
            address: i.address,
        }
    }
}

/// The TradeVan (關貿) profile block: the seed's MEMBER columns (valid days and dates per product).
#[derive(SimpleObject)]
pub(crate) struct TradeVanMemberInfo {
    member_id: Option<String>,
    c_valid_days: Option<i32>,
    h_valid_days: Option<i32>,
    j_valid_days: Option<i32>,
    k_valid_days: Option<i32>,
    c_valid_date: Option<NaiveDate>,
    h_valid_date: Option<NaiveDate>,
    j_valid_date: Option<NaiveDate>,
    k_valid_date: Option<NaiveDate>,
    w_valid_date: Option<NaiveDate>,
}

impl From<members::model::TradeVanMemberInfo> for TradeVanMemberInfo {
    fn from(i: members::model::TradeVanMemberInfo) -> Self {
        TradeVanMemberInfo {
            member_id: i.member_id,
            c_valid_days: i.c_valid_days,
            h_valid_days: i.h_valid_days,
            j_valid_days: i.j_valid_days,
            k_valid_days: i.k_valid_days,
            c_valid_date: i.c_valid_date,
            h_valid_date: i.h_valid_date,
            j_valid_date: i.j_valid_date,
            k_valid_date: i.k_valid_date,
            w_valid_date: i.w_valid_date,
        }
    }
}

/// ssoUpdMember input. Leave a field out to keep it; send `null` to clear it.
#[derive(InputObject)]
pub(crate) struct MemberInput {
    /// The account (trimmed and lower-cased before use).
    account: String,
    /// From `requestUuid` when creating; the member's own when updating by uuid.
    uuid: Option<Uuid>,
    email: MaybeUndefined<String>,
    name: MaybeUndefined<String>,
    phone: MaybeUndefined<String>,
    marketing_opt_in: Option<bool>,
    content_opt_in: Option<bool>,
    verified: Option<bool>,
    /// Replaced as a whole.
    nine_one_member_info: MaybeUndefined<NineOneMemberInfo>,
    /// Replaced as a whole; keys as in `TradeVanMemberInfo` or the legacy MEMBER columns (`CVALIDDAYS`, …).
    trade_van_member_info: MaybeUndefined<Json<serde_json::Value>>,
}

impl From<MemberInput> for members::MemberInput {
    fn from(input: MemberInput) -> Self {
        members::MemberInput {
            account: input.account,
            uuid: input.uuid,
            email: change(input.email),
            name: change(input.name),
            phone: change(input.phone),
            marketing_opt_in: input.marketing_opt_in,
            content_opt_in: input.content_opt_in,
            verified: input.verified,
            nine_one_member_info: change(input.nine_one_member_info.map_value(Into::into)),
            trade_van_member_info: change(input.trade_van_member_info.map_value(|json| json.0)),
        }
    }
}

/// `upsertCustomer` input. Leave a field out to keep it; send `null` to clear it.
#[derive(InputObject)]
pub(crate) struct UpsertCustomerInput {
    /// The customer to update; a new customer gets a generated number when left out.
    customer_no: Option<String>,
    customer_id: MaybeUndefined<String>,
    name: MaybeUndefined<String>,
    email: MaybeUndefined<String>,
    phone: MaybeUndefined<String>,
    mobile: MaybeUndefined<String>,
    /// Replaced as a whole.
    address: MaybeUndefined<Address>,
    parent_customer_no: MaybeUndefined<String>,
    /// Further addresses (the ERP master's 地址1, 地址2 …; at most 10), replaced as a whole; `null` clears them.
    #[graphql(validator(max_items = 10))]
    addresses: MaybeUndefined<Vec<Address>>,
    /// Contacts (聯絡人, each with addresses, phones and e-mails; at most 20), replaced as a whole as the ERP
    /// pushes its master (R21); `null` clears them.
    #[graphql(validator(max_items = 20))]
    contacts: MaybeUndefined<Vec<Contact>>,
}

impl From<UpsertCustomerInput> for members::CustomerInput {
    fn from(input: UpsertCustomerInput) -> Self {
        members::CustomerInput {
            customer_no: input.customer_no,
            customer_id: change(input.customer_id),
            name: change(input.name),
            email: change(input.email),
            phone: change(input.phone),
            mobile: change(input.mobile),
            address: change(input.address.map_value(Into::into)),
            parent_customer_no: change(input.parent_customer_no),
            addresses: change(input.addresses.map_value(|all| all.into_iter().map(Into::into).collect())),
            contacts: change(input.contacts.map_value(|all| all.into_iter().map(Into::into).collect())),
        }
    }
}

fn change<T>(value: MaybeUndefined<T>) -> Change<T> {
    match value {
        MaybeUndefined::Undefined => Change::Keep,
        MaybeUndefined::Null => Change::Clear,
        MaybeUndefined::Value(v) => Change::Set(v),
    }
}

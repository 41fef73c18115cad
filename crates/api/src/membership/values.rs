//! The wire values of members and customers: addresses, contacts, the 91APP and TradeVan profile blocks,
//! and the inputs of `upsertMember` and `upsertCustomer`, each with its conversion to the domain.

use async_graphql::{InputObject, Json, MaybeUndefined, SimpleObject};
use chrono::NaiveDate;
use members::Change;
use uuid::Uuid;

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

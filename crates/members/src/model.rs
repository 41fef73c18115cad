//! Domain types of members and customers, and the changes an upsert may carry.

use crate::Account;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A member (會員): an online account.
#[derive(Debug, Clone, PartialEq)]
pub struct Member {
    /// Canonical account (trimmed, lower-cased); unique.
    pub account: Account,
    /// The member's UUID (requested by the EC before the member is created, or generated).
    pub uuid: Uuid,
    /// Contact e-mail.
    pub email: Option<String>,
    /// Display name.
    pub name: Option<String>,
    /// Phone.
    pub phone: Option<String>,
    /// Agreed to marketing mail (seed MARKETINGYN).
    pub marketing_opt_in: bool,
    /// Agreed to content mail (seed CONTENTYN).
    pub content_opt_in: bool,
    /// The account is verified (seed VERIFYSTATUS).
    pub verified: bool,
    /// Profile kept by 91APP.
    pub nine_one_member_info: Option<NineOneMemberInfo>,
    /// Profile migrated from the TradeVan (關貿) member system.
    pub trade_van_member_info: Option<TradeVanMemberInfo>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

/// The 91APP profile block, field names as in seed 004's `nineOneMemberInfo`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NineOneMemberInfo {
    /// e.g. `FinanceOrInsurance`.
    pub profession: Option<String>,
    /// e.g. 企業負責人.
    pub job_position: Option<String>,
    /// e.g. 商業財經.
    pub interest: Option<String>,
    /// e.g. LINE官方帳號.
    pub know_from: Option<String>,
    /// The e-mail 91APP knows, which may differ from the member's.
    pub email: Option<String>,
    /// Address as 91APP keeps it.
    pub address: Option<String>,
}

/// The TradeVan (關貿) profile block: the columns of seed 004's `MEMBER` table that the platform keeps.
/// Accepts the legacy upper-case column names (`CVALIDDAYS`, …) as well as camelCase.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TradeVanMemberInfo {
    /// MEMBERID.
    #[serde(alias = "MEMBERID")]
    pub member_id: Option<String>,
    /// CVALIDDAYS: remaining days of 天下 (C).
    #[serde(alias = "CVALIDDAYS")]
    pub c_valid_days: Option<i32>,
    /// HVALIDDAYS: 康健 (H).
    #[serde(alias = "HVALIDDAYS")]
    pub h_valid_days: Option<i32>,
    /// JVALIDDAYS: Cheers (J).
    #[serde(alias = "JVALIDDAYS")]
    pub j_valid_days: Option<i32>,
    /// KVALIDDAYS: 親子天下 (K).
    #[serde(alias = "KVALIDDAYS")]
    pub k_valid_days: Option<i32>,
    /// CVALIDDATE.
    #[serde(alias = "CVALIDDATE")]
    pub c_valid_date: Option<NaiveDate>,
    /// HVALIDDATE.
    #[serde(alias = "HVALIDDATE")]
    pub h_valid_date: Option<NaiveDate>,
    /// JVALIDDATE.
    #[serde(alias = "JVALIDDATE")]
    pub j_valid_date: Option<NaiveDate>,
    /// KVALIDDATE.
    #[serde(alias = "KVALIDDATE")]
    pub k_valid_date: Option<NaiveDate>,
    /// WVALIDDATE: 全閱讀 (W).
    #[serde(alias = "WVALIDDATE")]
    pub w_valid_date: Option<NaiveDate>,
}

/// A customer (訂戶): an ERP subscriber or recipient.
#[derive(Debug, Clone, PartialEq)]
pub struct Customer {
    /// The customer number (seed SUBNO); unique.
    pub customer_no: String,
    /// The ERP's own id.
    pub customer_id: Option<String>,
    /// Name.
    pub name: Option<String>,
    /// E-mail.
    pub email: Option<String>,
    /// Phone.
    pub phone: Option<String>,
    /// Mobile.
    pub mobile: Option<String>,
    /// Postal address.
    pub address: Address,
    /// The parent customer's number (a recipient under a payer).
    pub parent_customer_no: Option<String>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

/// A contact of a customer (聯絡人): a name, addresses, phones and e-mails (R21, seed 004 客戶主檔).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Contact {
    /// Name.
    pub name: Option<String>,
    /// Addresses.
    pub addresses: Vec<Address>,
    /// Phones.
    pub phones: Vec<String>,
    /// E-mails.
    pub emails: Vec<String>,
}

/// A postal address; every part optional.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Address {
    /// Country.
    pub country: Option<String>,
    /// Postal code.
    pub postal_code: Option<String>,
    /// City or county.
    pub city: Option<String>,
    /// The rest of the address.
    pub street: Option<String>,
}

/// How an upsert treats one optional field.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Change<T> {
    /// Leave the stored value as it is (the field was not sent).
    #[default]
    Keep,
    /// Remove the stored value (the field was sent as `null`).
    Clear,
    /// Store this value.
    Set(T),
}

impl<T> Change<T> {
    /// The value to store given the current one.
    pub fn apply(self, current: Option<T>) -> Option<T> {
        match self {
            Change::Keep => current,
            Change::Clear => None,
            Change::Set(value) => Some(value),
        }
    }

    /// Transforms the value to set, keeping the failure.
    pub fn try_map<U, E>(self, f: impl FnOnce(T) -> Result<U, E>) -> Result<Change<U>, E> {
        Ok(match self {
            Change::Keep => Change::Keep,
            Change::Clear => Change::Clear,
            Change::Set(value) => Change::Set(f(value)?),
        })
    }
}

/// `upsertMember` (ssoUpdMember): create or update the member found by account or uuid.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MemberInput {
    /// The account, as sent (it is canonicalised).
    pub account: String,
    /// The member's UUID: one from `requestUuid` when creating, the member's own when updating.
    pub uuid: Option<Uuid>,
    /// E-mail.
    pub email: Change<String>,
    /// Name.
    pub name: Change<String>,
    /// Phone.
    pub phone: Change<String>,
    /// Marketing opt-in; unchanged when absent.
    pub marketing_opt_in: Option<bool>,
    /// Content opt-in; unchanged when absent.
    pub content_opt_in: Option<bool>,
    /// Verified; unchanged when absent.
    pub verified: Option<bool>,
    /// 91APP profile, replaced as a whole.
    pub nine_one_member_info: Change<NineOneMemberInfo>,
    /// TradeVan profile as JSON (validated against [`TradeVanMemberInfo`]), replaced as a whole.
    pub trade_van_member_info: Change<serde_json::Value>,
}

/// `upsertCustomer`: create a customer (number generated unless given) or update the one with that number.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CustomerInput {
    /// The customer number; generated when absent.
    pub customer_no: Option<String>,
    /// The ERP id.
    pub customer_id: Change<String>,
    /// Name.
    pub name: Change<String>,
    /// E-mail.
    pub email: Change<String>,
    /// Phone.
    pub phone: Change<String>,
    /// Mobile.
    pub mobile: Change<String>,
    /// Address, replaced as a whole.
    pub address: Change<Address>,
    /// Parent customer number.
    pub parent_customer_no: Change<String>,
    /// Further addresses, replaced as a whole (R21).
    pub addresses: Change<Vec<Address>>,
    /// Contacts, replaced as a whole (R21: the ERP pushes its master whole).
    pub contacts: Change<Vec<Contact>>,
}

/// What an upsert did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Upserted {
    /// A new row.
    Created,
    /// An existing row changed.
    Updated,
    /// An existing row already had these values.
    Unchanged,
}

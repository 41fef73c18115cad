//! Reading entitlements of a customer or a member.

use crate::entity::entitlement;
use crate::model::{Entitlement, Holder};
use crate::{EntitlementsError, SubscribeStatus};
use members::{Account, Principal, service as members_service};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};

/// The entitlements held by customer `customer_no` and/or member `account`, optionally of one product, by
/// product code. Unknown holders have none.
pub async fn entitlements_of(
    db: &impl ConnectionTrait,
    customer_no: Option<&str>,
    account: Option<&Account>,
    product_code: Option<&str>,
) -> Result<Vec<Entitlement>, EntitlementsError> {
    let mut found = Vec::new();
    if let Some(no) = customer_no
        && let Some(id) = members_service::customer_id(db, no).await?
    {
        let rows = rows(db, entitlement::Column::HolderCustomerId.eq(id), product_code).await?;
        found.extend(rows.into_iter().map(|r| from_row(r, Holder::Customer(no.to_owned()))));
    }
    if let Some(account) = account
        && let Some(id) = members_service::member_id(db, account).await?
    {
        let rows = rows(db, entitlement::Column::HolderMemberId.eq(id), product_code).await?;
        found.extend(rows.into_iter().map(|r| from_row(r, Holder::Member(account.to_string()))));
    }
    Ok(found)
}

/// The entitlements `caller` may read of customer `customer_no` and/or member `account` (give at least
/// one), optionally of one product (SPEC §3): admins and services any holder's; a member only its own and
/// those of the customers linked to it.
pub async fn entitlements_for(
    db: &impl ConnectionTrait,
    caller: &Principal,
    customer_no: Option<&str>,
    account: Option<&Account>,
    product_code: Option<&str>,
) -> Result<Vec<Entitlement>, EntitlementsError> {
    caller.require_token().map_err(members::MembersError::from)?;
    if customer_no.is_none() && account.is_none() {
        return Err(EntitlementsError::Invalid {
            field: "entitlements",
            message: "give customerNo or account".into(),
        });
    }
    if let Some(account) = account {
        caller.require_owner(account).map_err(members::MembersError::from)?;
    }
    let customer_no = customer_no.map(str::trim);
    if let Some(no) = customer_no {
        members_service::authorize_customer(db, caller, no).await?;
    }
    entitlements_of(db, customer_no, account, product_code.map(str::trim)).await
}

async fn rows(
    db: &impl ConnectionTrait,
    holder: sea_orm::sea_query::SimpleExpr,
    product_code: Option<&str>,
) -> Result<Vec<entitlement::Model>, EntitlementsError> {
    let mut query = entitlement::Entity::find().filter(holder).order_by_asc(entitlement::Column::ProductCode);
    if let Some(code) = product_code {
        query = query.filter(entitlement::Column::ProductCode.eq(code));
    }
    Ok(query.all(db).await?)
}

pub(crate) fn from_row(row: entitlement::Model, holder: Holder) -> Entitlement {
    Entitlement {
        holder,
        product_code: row.product_code,
        start_volume: row.start_volume,
        start_volume_date: row.start_volume_date,
        end_volume: row.end_volume,
        end_volume_date: row.end_volume_date,
        right_due_date: row.right_due_date,
        seniority_thousandths: row.seniority_thousandths,
        subscribe_status: u8::try_from(row.subscribe_status)
            .ok()
            .and_then(SubscribeStatus::from_code)
            .unwrap_or(SubscribeStatus::Current),
        temporary_until: row.temporary_until,
        estimated: row.estimated,
        updated_at: row.updated_at,
    }
}

/// One due date of [`due_dates_of`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueDate {
    /// The holding customer's row id, for a customer's entitlement.
    pub customer_id: Option<platform_core::CustomerId>,
    /// The holding member's row id, for a member's entitlement.
    pub member_id: Option<platform_core::MemberId>,
    /// The product.
    pub product_code: String,
    /// Its paid due date.
    pub right_due_date: chrono::NaiveDate,
}

/// The due dates of `codes` held by any of the customers or members (by row id): the batch form of R5's
/// input. Two queries per 500 holders.
pub async fn due_dates_of(
    db: &impl ConnectionTrait,
    customer_ids: &[platform_core::CustomerId],
    member_ids: &[platform_core::MemberId],
    codes: &[String],
) -> Result<Vec<DueDate>, EntitlementsError> {
    let mut found = Vec::new();
    let customers: Vec<i64> = customer_ids.iter().map(|c| c.0).collect();
    let members: Vec<i64> = member_ids.iter().map(|m| m.0).collect();
    for (column, ids) in [
        (entitlement::Column::HolderCustomerId, customers.as_slice()),
        (entitlement::Column::HolderMemberId, members.as_slice()),
    ] {
        for chunk in ids.chunks(500) {
            let rows = entitlement::Entity::find()
                .filter(column.is_in(chunk.iter().copied()))
                .filter(entitlement::Column::ProductCode.is_in(codes.iter().map(String::as_str)))
                .all(db)
                .await?;
            found.extend(rows.into_iter().filter_map(|r| {
                r.right_due_date.map(|due| DueDate {
                    customer_id: r.holder_customer_id,
                    member_id: r.holder_member_id,
                    product_code: r.product_code,
                    right_due_date: due,
                })
            }));
        }
    }
    Ok(found)
}

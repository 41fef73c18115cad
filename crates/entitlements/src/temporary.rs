//! R11: temporary entitlements granted by operators (客服臨時權益).

use crate::EntitlementsError;
use crate::grant::{Holder as RowHolder, locked_entitlement};
use crate::model::{Entitlement, Holder};
use crate::query::from_row;
use catalog::ProductKind;
use chrono::{DateTime, Days};
use members::{Account, service as members_service};
use platform_core::BusinessCalendar;
use platform_core::MemberId;
use platform_core::db::begin_write;
use sea_orm::DatabaseConnection;

/// Longest temporary grant, in days.
pub const MAX_TEMPORARY_DAYS: i32 = 366;

/// Grants member `account` `days` days of digital/PERIOD product `product_code` from today: its
/// `temporaryUntil` becomes at least today + days, and effective access is the later of that and the paid
/// due date. Emits `entitlement.temporary_granted`.
pub async fn grant_temporary(
    db: &DatabaseConnection,
    calendar: BusinessCalendar,
    account: &Account,
    product_code: &str,
    days: i32,
    at: DateTime<chrono::Utc>,
) -> Result<Entitlement, EntitlementsError> {
    if !(1..=MAX_TEMPORARY_DAYS).contains(&days) {
        return Err(EntitlementsError::Invalid {
            field: "days",
            message: format!("must be 1-{MAX_TEMPORARY_DAYS}"),
        });
    }
    let product = catalog::service::find_product(db, product_code).await?.ok_or_else(|| {
        EntitlementsError::NotFound { field: "productCode", message: format!("no product {product_code}") }
    })?;
    if !(product.digital || product.kind == ProductKind::Period) {
        return Err(EntitlementsError::Invalid {
            field: "productCode",
            message: format!("{product_code} is a print product; temporary grants are for digital products"),
        });
    }
    let txn = begin_write(db).await?;
    let member_id = members_service::member_id(&txn, account).await?.ok_or_else(|| {
        EntitlementsError::NotFound { field: "account", message: format!("no member {account}") }
    })?;
    // The batch path with one member: the same rows, ledger and event as the charge run's temporary access.
    let today = calendar.date_of(at);
    let until = today.checked_add_days(Days::new(u64::from(days.unsigned_abs()))).unwrap_or(today);
    let members = [(member_id, account.clone())];
    crate::batch::extend_temporary_in(&txn, &members, product_code, until, days.unsigned_abs(), at).await?;
    let updated = locked_entitlement(&txn, RowHolder::Member(member_id), product_code, at).await?;
    txn.commit().await?;
    Ok(from_row(updated, Holder::Member(account.to_string())))
}

/// One temporary grant of an import (R14 `temporary-entitlements`): member, product, last day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemporaryGrant {
    /// The member.
    pub account: Account,
    /// A digital or PERIOD product.
    pub product_code: String,
    /// The last day of the temporary access.
    pub until: chrono::NaiveDate,
}

/// Grants `grants` in the caller's transaction `txn` (an import's batch), the batch path of
/// [`grant_temporary`]: each `temporaryUntil` becomes at least its `until`, with its ledger row and event;
/// one already reaching as far is left as it is (`Ok(false)`), so a re-run changes nothing. An unknown
/// member or a print product refuses that grant only.
pub async fn grant_temporary_until(
    txn: &impl sea_orm::ConnectionTrait,
    grants: &[TemporaryGrant],
    today: chrono::NaiveDate,
    at: DateTime<chrono::Utc>,
) -> Result<Vec<Result<bool, EntitlementsError>>, EntitlementsError> {
    use crate::entity::entitlement;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    use std::collections::{BTreeMap, HashMap};
    let accounts: Vec<Account> = grants.iter().map(|g| g.account.clone()).collect();
    let (_, member_ids) = members_service::ids_of(txn, &[], &accounts).await?;
    let mut products: HashMap<String, bool> = HashMap::new();
    for code in grants.iter().map(|g| g.product_code.as_str()) {
        if !products.contains_key(code) {
            let product = catalog::service::find_product(txn, code).await?;
            products
                .insert(code.to_owned(), product.is_some_and(|p| p.digital || p.kind == ProductKind::Period));
        }
    }
    let ids: Vec<MemberId> = member_ids.values().copied().collect();
    let mut current: HashMap<(MemberId, String), Option<chrono::NaiveDate>> = HashMap::new();
    for chunk in ids.chunks(500) {
        for row in entitlement::Entity::find()
            .filter(entitlement::Column::HolderMemberId.is_in(chunk.iter().copied()))
            .all(txn)
            .await?
        {
            if let Some(member) = row.holder_member_id {
                current.insert((member, row.product_code), row.temporary_until);
            }
        }
    }
    let mut answers = Vec::with_capacity(grants.len());
    let mut groups: BTreeMap<(String, chrono::NaiveDate), Vec<(MemberId, Account)>> = BTreeMap::new();
    for g in grants {
        let Some(member_id) = member_ids.get(&g.account).copied() else {
            answers.push(Err(EntitlementsError::NotFound {
                field: "account",
                message: format!("no member {} (import member-profiles first)", g.account),
            }));
            continue;
        };
        if !products.get(&g.product_code).copied().unwrap_or(false) {
            answers.push(Err(EntitlementsError::Invalid {
                field: "productCode",
                message: format!("{} is not a digital product of the catalog", g.product_code),
            }));
            continue;
        }
        let reaches = current
            .get(&(member_id, g.product_code.clone()))
            .copied()
            .flatten()
            .is_some_and(|u| u >= g.until);
        if reaches {
            answers.push(Ok(false));
            continue;
        }
        let group = groups.entry((g.product_code.clone(), g.until)).or_default();
        if !group.iter().any(|(id, _)| *id == member_id) {
            group.push((member_id, g.account.clone()));
        }
        answers.push(Ok(true));
    }
    for ((product_code, until), members) in groups {
        let days = u32::try_from((until - today).num_days().max(0)).unwrap_or(0);
        crate::batch::extend_temporary_in(txn, &members, &product_code, until, days, at).await?;
    }
    Ok(answers)
}

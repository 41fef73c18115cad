//! Reading renewals: one, a holder's, the live ones of orders, with their holders' keys.

use super::Renewal;
use crate::entity::renewal;
use crate::store::status_of;
use crate::{RenewalStatus, RenewalsError};
use catalog::ProductCodes;
use members::{Account, MembersError, Principal, service as members_service};
use platform_core::RenewalId;
use platform_core::{CustomerId, MemberId};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use std::collections::HashMap;

/// The renewal with this id, or `None`.
pub async fn find_renewal(
    db: &impl ConnectionTrait,
    id: RenewalId,
) -> Result<Option<Renewal>, RenewalsError> {
    match renewal::Entity::find_by_id(id).one(db).await? {
        Some(row) => Ok(Some(to_renewal(db, row).await?)),
        None => Ok(None),
    }
}

/// The renewals of a customer and/or a member, optionally in one status, oldest first.
pub async fn renewals_of(
    db: &impl ConnectionTrait,
    customer_no: Option<&str>,
    account: Option<&Account>,
    status: Option<RenewalStatus>,
) -> Result<Vec<Renewal>, RenewalsError> {
    let mut query = renewal::Entity::find().order_by_asc(renewal::Column::Id);
    if let Some(no) = customer_no {
        let Some(id) = members_service::customer_id(db, no).await? else { return Ok(Vec::new()) };
        query = query.filter(renewal::Column::CustomerId.eq(id));
    }
    if let Some(account) = account {
        let Some(id) = members_service::member_id(db, account).await? else { return Ok(Vec::new()) };
        query = query.filter(renewal::Column::MemberId.eq(id));
    }
    if let Some(status) = status {
        query = query.filter(renewal::Column::RenewStatus.eq(i16::from(status.code())));
    }
    to_renewals(db, query.all(db).await?).await
}

/// Renewal `id` as `caller` may see it: admins and services any (`None` when there is none); a member only
/// its own, an unknown renewal as forbidden to it as another's.
pub async fn renewal_for(
    db: &impl ConnectionTrait,
    caller: &Principal,
    id: RenewalId,
) -> Result<Option<Renewal>, RenewalsError> {
    match crate::access::row_for(db, caller, id).await? {
        Some(row) => Ok(Some(to_renewal(db, row).await?)),
        None => Ok(None),
    }
}

/// The renewals of customer `customer_no` and/or member `account` (give at least one), optionally in one
/// status, as `caller` may list them: a member's are pinned to its own account (asking for another's is
/// forbidden) and to the customers linked to it.
pub async fn renewals_for(
    db: &impl ConnectionTrait,
    caller: &Principal,
    customer_no: Option<&str>,
    account: Option<&Account>,
    status: Option<RenewalStatus>,
) -> Result<Vec<Renewal>, RenewalsError> {
    let account = caller.scope(account).map_err(MembersError::from)?;
    let customer_no = customer_no.map(str::trim);
    if let Some(no) = customer_no {
        members_service::authorize_customer(db, caller, no).await?;
    }
    if customer_no.is_none() && account.is_none() {
        return Err(RenewalsError::Invalid {
            field: "renewals",
            message: "give customerNo or account".into(),
        });
    }
    renewals_of(db, customer_no, account.as_ref(), status).await
}

/// A subscriber (a customer and/or a member) and a product, to find its live renewal of.
pub type Subscriber = (Option<String>, Option<Account>, String);

/// For each `(customer number, account, product)`: the ids of the live (pending or failed) renewals of that
/// customer and/or member covering the product, oldest first — a few queries whatever the number.
pub async fn live_renewal_ids(
    db: &impl ConnectionTrait,
    wanted: &[Subscriber],
) -> Result<Vec<Vec<RenewalId>>, RenewalsError> {
    let mut nos: Vec<String> = wanted.iter().filter_map(|(no, _, _)| no.clone()).collect();
    let mut accounts: Vec<Account> = wanted.iter().filter_map(|(_, account, _)| account.clone()).collect();
    nos.sort_unstable();
    nos.dedup();
    accounts.sort_unstable();
    accounts.dedup();
    let (customers, members) = members_service::ids_of(db, &nos, &accounts).await?;
    let live = [RenewalStatus::Pending, RenewalStatus::Failed].map(|s| i16::from(s.code()));
    let mut rows: Vec<(i64, CustomerId, Option<MemberId>, ProductCodes)> = Vec::new();
    let customer_ids: Vec<i64> = customers.values().map(|c| c.0).collect();
    let member_ids: Vec<i64> = members.values().map(|m| m.0).collect();
    for (column, ids) in
        [(renewal::Column::CustomerId, customer_ids), (renewal::Column::MemberId, member_ids)]
    {
        for chunk in ids.chunks(1_000) {
            let found: Vec<(i64, CustomerId, Option<MemberId>, ProductCodes)> = renewal::Entity::find()
                .select_only()
                .columns([
                    renewal::Column::Id,
                    renewal::Column::CustomerId,
                    renewal::Column::MemberId,
                    renewal::Column::ProductCodes,
                ])
                .filter(renewal::Column::RenewStatus.is_in(live))
                .filter(column.is_in(chunk.iter().copied()))
                .into_tuple()
                .all(db)
                .await?;
            rows.extend(found);
        }
    }
    rows.sort_unstable();
    rows.dedup();
    let mut by_customer: HashMap<CustomerId, Vec<usize>> = HashMap::new();
    let mut by_member: HashMap<MemberId, Vec<usize>> = HashMap::new();
    for (at, (_, customer, member, _)) in rows.iter().enumerate() {
        by_customer.entry(*customer).or_default().push(at);
        if let Some(member) = member {
            by_member.entry(*member).or_default().push(at);
        }
    }
    Ok(wanted
        .iter()
        .map(|(no, account, product)| {
            let customer = no.as_ref().map(|no| customers.get(no).copied());
            let member = account.as_ref().map(|account| members.get(account).copied());
            let candidates = match (customer, member) {
                (Some(None), _) | (_, Some(None)) | (None, None) => return Vec::new(),
                (Some(Some(id)), _) => by_customer.get(&id),
                (None, Some(Some(id))) => by_member.get(&id),
            };
            candidates
                .into_iter()
                .flatten()
                .map(|at| &rows[*at])
                .filter(|(_, c, m, codes)| {
                    customer.flatten().is_none_or(|id| id == *c)
                        && member.flatten().is_none_or(|id| Some(id) == *m)
                        && codes.contains(product)
                })
                .map(|(id, ..)| RenewalId(*id))
                .collect()
        })
        .collect())
}

pub(super) async fn to_renewal(
    db: &impl ConnectionTrait,
    row: renewal::Model,
) -> Result<Renewal, RenewalsError> {
    to_renewals(db, vec![row]).await?.pop().ok_or_else(|| anyhow::anyhow!("renewal vanished").into())
}

/// The renewals of `rows`, their customers' numbers and members' accounts read in one query.
pub(super) async fn to_renewals(
    db: &impl ConnectionTrait,
    rows: Vec<renewal::Model>,
) -> Result<Vec<Renewal>, RenewalsError> {
    let member_ids: Vec<MemberId> = rows.iter().filter_map(|r| r.member_id).collect();
    let customer_ids: Vec<CustomerId> = rows.iter().map(|r| r.customer_id).collect();
    let (accounts, numbers) = members_service::keys_of(db, &member_ids, &customer_ids).await?;
    rows.into_iter()
        .map(|row| {
            let customer_no = numbers.get(&row.customer_id).cloned().unwrap_or_default();
            let member_account = row.member_id.and_then(|id| accounts.get(&id)).map(ToString::to_string);
            renewal_of(row, customer_no, member_account)
        })
        .collect()
}

pub(super) fn renewal_of(
    row: renewal::Model,
    customer_no: String,
    member_account: Option<String>,
) -> Result<Renewal, RenewalsError> {
    let status = status_of(&row)?;
    Ok(Renewal {
        id: RenewalId(row.id),
        customer_no,
        member_account,
        promotion_code: row.promotion_code,
        product_codes: row.product_codes.to_vec(),
        deduct_date: row.deduct_date,
        deduct_price: row.deduct_price,
        shipping_fee: row.shipping_fee,
        product_name: row.product_name,
        source: row.source,
        source_code: row.source_code,
        status,
        cycle: row.cycle,
        origin_order_no: row.origin_order_no,
        payment_card: row.payment_card,
        has_payment_token: row.payment_token.is_some(),
        failure_reason: row.failure_reason,
        superseded_by: row.superseded_by_id.map(RenewalId),
        attempts: row.attempts,
        next_retry_on: row.next_retry_on,
        charge_order_no: row.charge_order_no,
        skipped_cycles: row.skipped_cycles,
        skipped_from: row.skip_anchor,
        cancel_reason: row.cancel_reason,
        cancel_note: row.cancel_note,
        created_at: row.created_at,
    })
}

//! Links between members and customers, and the customer rule of SPEC §3 built on them.

use super::*;

/// Links a member to a customer (seed MEMBERSUBNO); linking twice is a no-op. Returns the member.
pub async fn link_member_customer(
    db: &impl TransactionTrait,
    account: &Account,
    customer_no: &str,
    at: DateTime<Utc>,
) -> Result<Member, MembersError> {
    let txn = begin_write(db).await?;
    let member = member_row_by_account(&txn, account)
        .await?
        .ok_or_else(|| MembersError::NotFound { what: "member", key: account.to_string() })?;
    let customer = customer_row(&txn, customer_no)
        .await?
        .ok_or_else(|| MembersError::NotFound { what: "customer", key: customer_no.to_owned() })?;
    let inserted = member_customer::Entity::insert(member_customer::ActiveModel {
        member_id: Set(member.id),
        customer_id: Set(customer.id),
        linked_at: Set(at),
    })
    .on_conflict(
        OnConflict::columns([member_customer::Column::MemberId, member_customer::Column::CustomerId])
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(&txn)
    .await?;
    if inserted > 0 {
        let payload =
            json!({ "account": member.account, "uuid": member.uuid, "customerNo": customer.customer_no });
        append(&txn, "member.customer_linked", member_subject(member.uuid), payload, at).await?;
    }
    txn.commit().await?;
    member_from(member)
}

/// The customers linked to a member, by customer number.
pub async fn customers_of_member(
    db: &impl ConnectionTrait,
    account: &Account,
) -> Result<Vec<Customer>, MembersError> {
    let Some(member) = member_row_by_account(db, account).await? else {
        return Ok(Vec::new());
    };
    let ids: Vec<i64> = member_customer::Entity::find()
        .filter(member_customer::Column::MemberId.eq(member.id))
        .all(db)
        .await?
        .into_iter()
        .map(|link| link.customer_id)
        .collect();
    let rows = customer::Entity::find()
        .filter(customer::Column::Id.is_in(ids))
        .order_by_asc(customer::Column::CustomerNo)
        .all(db)
        .await?;
    customers_from(db, rows).await
}

/// The members linked to a customer, by account.
pub async fn members_of_customer(
    db: &impl ConnectionTrait,
    customer_no: &str,
) -> Result<Vec<Member>, MembersError> {
    let Some(customer) = customer_row(db, customer_no).await? else {
        return Ok(Vec::new());
    };
    let ids = linked_member_ids(db, customer.id).await?;
    member::Entity::find()
        .filter(member::Column::Id.is_in(ids))
        .order_by_asc(member::Column::Account)
        .all(db)
        .await?
        .into_iter()
        .map(member_from)
        .collect()
}

/// Whether `principal` may see the customer `customer_no`: admins and services always, a member when it
/// is linked to that customer. The customer rule of SPEC §3, reused by every query keyed by customer.
pub async fn authorize_customer(
    db: &impl ConnectionTrait,
    principal: &Principal,
    customer_no: &str,
) -> Result<(), MembersError> {
    let linked = match principal.member_account() {
        Some(account) => customers_of_member(db, account).await?,
        None => Vec::new(),
    };
    may_see_customer(principal, &linked, customer_no)
}

/// The customer rule of SPEC §3 once the member's linked customers (`linked`, ignored for other roles)
/// are known: admins and services see every customer, a member only those linked to it.
pub fn may_see_customer(
    principal: &Principal,
    linked: &[Customer],
    customer_no: &str,
) -> Result<(), MembersError> {
    if principal.member_account().is_none() {
        return Ok(principal.require_operator()?);
    }
    if linked.iter().any(|c| c.customer_no == customer_no) {
        Ok(())
    } else {
        Err(crate::AccessError::Forbidden("a member sees only the customers linked to it").into())
    }
}

/// The row id and account of the first member (by account) linked to customer row `customer_id`.
pub async fn first_member_of(
    db: &impl ConnectionTrait,
    customer_id: CustomerId,
) -> Result<Option<(MemberId, Account)>, MembersError> {
    let ids = linked_member_ids(db, customer_id.0).await?;
    if ids.is_empty() {
        return Ok(None);
    }
    let Some(m) = member::Entity::find()
        .filter(member::Column::Id.is_in(ids))
        .order_by_asc(member::Column::Account)
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let account = Account::parse(&m.account).map_err(|e| anyhow::anyhow!("member {}: stored {e}", m.id))?;
    Ok(Some((MemberId(m.id), account)))
}

/// The row ids of the members linked to customer row `customer_id`.
pub(super) async fn linked_member_ids(
    db: &impl ConnectionTrait,
    customer_id: i64,
) -> Result<Vec<i64>, DbErr> {
    Ok(member_customer::Entity::find()
        .filter(member_customer::Column::CustomerId.eq(customer_id))
        .all(db)
        .await?
        .into_iter()
        .map(|link| link.member_id)
        .collect())
}

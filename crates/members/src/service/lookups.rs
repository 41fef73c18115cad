//! Id lookups for other domains: row ids, accounts, customer numbers and contacts, a few queries per batch.

use super::*;
use sea_orm::QuerySelect;

/// The row id of the member with this account (for other domains' foreign keys), or `None`.
pub async fn member_id(
    db: &impl ConnectionTrait,
    account: &Account,
) -> Result<Option<MemberId>, MembersError> {
    Ok(member_row_by_account(db, account).await?.map(|m| MemberId(m.id)))
}

/// The row ids of the customers numbered `customer_nos` and of the members `accounts` that exist, by
/// number and by account: a query per 1,000 of each.
pub async fn ids_of(
    db: &impl ConnectionTrait,
    customer_nos: &[String],
    accounts: &[Account],
) -> Result<(HashMap<String, CustomerId>, HashMap<Account, MemberId>), MembersError> {
    let mut customers = HashMap::new();
    for chunk in customer_nos.chunks(1_000) {
        let rows: Vec<(String, i64)> = customer::Entity::find()
            .select_only()
            .column(customer::Column::CustomerNo)
            .column(customer::Column::Id)
            .filter(customer::Column::CustomerNo.is_in(chunk.to_vec()))
            .into_tuple()
            .all(db)
            .await?;
        customers.extend(rows.into_iter().map(|(no, id)| (no, CustomerId(id))));
    }
    let mut members = HashMap::new();
    for chunk in accounts.chunks(1_000) {
        let names: Vec<&str> = chunk.iter().map(Account::as_str).collect();
        let rows: Vec<(String, i64)> = member::Entity::find()
            .select_only()
            .column(member::Column::Account)
            .column(member::Column::Id)
            .filter(member::Column::Account.is_in(names))
            .into_tuple()
            .all(db)
            .await?;
        for (raw, id) in rows {
            let account = Account::parse(&raw).map_err(|e| anyhow::anyhow!("member {id}: stored {e}"))?;
            members.insert(account, MemberId(id));
        }
    }
    Ok((customers, members))
}

/// The accounts of member row ids.
pub async fn accounts_of(
    db: &impl ConnectionTrait,
    ids: &[MemberId],
) -> Result<HashMap<MemberId, Account>, MembersError> {
    Ok(keys_of(db, ids, &[]).await?.0)
}

/// The accounts of the members `member_ids` and the numbers of the customers `customer_ids`, by row id, in
/// one query (a page of orders needs both).
pub async fn keys_of(
    db: &impl ConnectionTrait,
    member_ids: &[MemberId],
    customer_ids: &[CustomerId],
) -> Result<(HashMap<MemberId, Account>, HashMap<CustomerId, String>), MembersError> {
    use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query, UnionType};
    let (mut accounts, mut numbers) = (HashMap::new(), HashMap::new());
    let rounds = member_ids.len().max(customer_ids.len()).div_ceil(500);
    for round in 0..rounds {
        let part = |ids: Vec<i64>| -> Vec<i64> { ids.into_iter().skip(round * 500).take(500).collect() };
        let select = |table: &str, key: &str, ids: Vec<i64>| {
            Query::select()
                .expr_as(Expr::val(table == "members"), Alias::new("is_member"))
                .column(Alias::new("id"))
                .expr_as(Expr::col(Alias::new(key)), Alias::new("key"))
                .from(Alias::new(table))
                .and_where(Expr::col(Alias::new("id")).is_in(ids))
                .to_owned()
        };
        let mut query = select("members", "account", part(member_ids.iter().map(|m| m.0).collect()));
        let customers = part(customer_ids.iter().map(|c| c.0).collect());
        query.union(UnionType::All, select("customers", "customer_no", customers));
        let rows = db.query_all_raw(db.get_database_backend().build(&query)).await?;
        for row in rows {
            let (is_member, id, key): (bool, i64, String) =
                (row.try_get("", "is_member")?, row.try_get("", "id")?, row.try_get("", "key")?);
            if is_member {
                let account = Account::parse(&key).map_err(|e| anyhow::anyhow!("member {id}: stored {e}"))?;
                accounts.insert(MemberId(id), account);
            } else {
                numbers.insert(CustomerId(id), key);
            }
        }
    }
    Ok((accounts, numbers))
}

/// The row id of the customer with this number, or `None`.
pub async fn customer_id(
    db: &impl ConnectionTrait,
    customer_no: &str,
) -> Result<Option<CustomerId>, MembersError> {
    Ok(customer_row(db, customer_no).await?.map(|c| CustomerId(c.id)))
}

/// The largest customer row id, or `None` when there are no customers: where a walk over customers by id
/// range ends.
pub async fn last_customer_id(db: &impl ConnectionTrait) -> Result<Option<CustomerId>, MembersError> {
    let last: Option<Option<i64>> = customer::Entity::find()
        .select_only()
        .column_as(customer::Column::Id.max(), "last")
        .into_tuple()
        .one(db)
        .await?;
    Ok(last.flatten().map(CustomerId))
}

/// The row ids of the customers with these ERP ids (`customerID`) or customer numbers.
pub async fn customer_ids_matching(
    db: &impl ConnectionTrait,
    erp_ids: &[String],
    customer_nos: &[String],
) -> Result<Vec<CustomerId>, MembersError> {
    let mut ids = Vec::new();
    for (column, values) in
        [(customer::Column::CustomerId, erp_ids), (customer::Column::CustomerNo, customer_nos)]
    {
        // Chunks stay under SQLite's bound-parameter limit.
        for chunk in values.chunks(5_000) {
            let rows = customer::Entity::find().filter(column.is_in(chunk.to_vec())).all(db).await?;
            ids.extend(rows.into_iter().map(|c| CustomerId(c.id)));
        }
    }
    ids.sort_unstable();
    ids.dedup();
    Ok(ids)
}

/// The customer numbers of customer row ids.
pub async fn customer_nos_of(
    db: &impl ConnectionTrait,
    ids: &[CustomerId],
) -> Result<HashMap<CustomerId, String>, MembersError> {
    Ok(keys_of(db, &[], ids).await?.1)
}

/// How to reach a customer: number, name and e-mail (the e-mail of its linked member when it has none),
/// by customer row id, for the batch jobs' e-mails.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contact {
    /// Customer number.
    pub customer_no: String,
    /// Name, if known.
    pub name: Option<String>,
    /// E-mail, if known.
    pub email: Option<String>,
}

/// The [`Contact`] of each `(customer id, member id)`: the member's e-mail stands in when the customer
/// has none. A few queries whatever the number.
pub async fn contacts_of(
    db: &impl ConnectionTrait,
    customers: &[(CustomerId, Option<MemberId>)],
) -> Result<HashMap<CustomerId, Contact>, MembersError> {
    let member_of: HashMap<i64, i64> = customers.iter().filter_map(|(c, m)| m.map(|m| (c.0, m.0))).collect();
    let mut found = HashMap::new();
    let mut ids: Vec<i64> = customers.iter().map(|(c, _)| c.0).collect();
    ids.sort_unstable();
    ids.dedup();
    for chunk in ids.chunks(500) {
        let rows = customer::Entity::find()
            .filter(customer::Column::Id.is_in(chunk.iter().copied()))
            .all(db)
            .await?;
        found.extend(
            rows.into_iter()
                .map(|c| (c.id, Contact { customer_no: c.customer_no, name: c.name, email: c.email })),
        );
    }
    let missing: Vec<i64> = found
        .iter()
        .filter(|(_, c)| c.email.is_none())
        .filter_map(|(id, _)| member_of.get(id).copied())
        .collect();
    for chunk in missing.chunks(500) {
        let emails: HashMap<i64, Option<String>> = member::Entity::find()
            .filter(member::Column::Id.is_in(chunk.iter().copied()))
            .all(db)
            .await?
            .into_iter()
            .map(|m| (m.id, m.email))
            .collect();
        for (customer, contact) in found.iter_mut().filter(|(_, c)| c.email.is_none()) {
            if let Some(email) = member_of.get(customer).and_then(|m| emails.get(m)).cloned().flatten() {
                contact.email = Some(email);
            }
        }
    }
    Ok(found.into_iter().map(|(id, contact)| (CustomerId(id), contact)).collect())
}

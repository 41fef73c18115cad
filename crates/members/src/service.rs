//! Member and customer storage. Functions take any connection (`&impl ConnectionTrait`) unless they need a
//! transaction of their own; every change appends its events in the same transaction (R12).

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

/// Hands out a fresh UUID for a member the EC is about to create (seed 004 "EC 索取UUID"). It is recorded,
/// so that `upsert_member` accepts it once and refuses UUIDs nobody issued.
pub async fn request_uuid(db: &impl ConnectionTrait, at: DateTime<Utc>) -> Result<Uuid, MembersError> {
    let uuid = Uuid::new_v4();
    issued_uuid::ActiveModel { uuid: Set(uuid), issued_at: Set(at), member_id: Set(None) }.insert(db).await?;
    Ok(uuid)
}

/// The member with this account, or `None`.
pub async fn find_member(
    db: &impl ConnectionTrait,
    account: &Account,
) -> Result<Option<Member>, MembersError> {
    Ok(find_members(db, std::slice::from_ref(account)).await?.remove(account))
}

/// The members with these accounts, by account (absent ones left out). One query per 500 accounts.
pub async fn find_members(
    db: &impl ConnectionTrait,
    accounts: &[Account],
) -> Result<HashMap<Account, Member>, MembersError> {
    let mut found = HashMap::new();
    for chunk in accounts.chunks(500) {
        let rows = member::Entity::find()
            .filter(member::Column::Account.is_in(chunk.iter().map(Account::as_str)))
            .all(db)
            .await?;
        for row in rows {
            let member = member_from(row)?;
            found.insert(member.account.clone(), member);
        }
    }
    Ok(found)
}

/// The member with this UUID, or `None`.
pub async fn find_member_by_uuid(
    db: &impl ConnectionTrait,
    uuid: Uuid,
) -> Result<Option<Member>, MembersError> {
    member::Entity::find().filter(member::Column::Uuid.eq(uuid)).one(db).await?.map(member_from).transpose()
}

/// ssoUpdMember: creates the member or updates the one found by account or uuid, in one transaction.
///
/// - Found by account (and the uuid, if sent, is its own): updated.
/// - Found by uuid only: updated, and its account changes to the one sent.
/// - Found by neither: created, with the uuid sent (which must come from [`request_uuid`]) or a new one.
///
/// Fields not sent are kept, fields sent as null are cleared. An account or uuid of another member is
/// `CONFLICT`; an unknown uuid or an invalid field is `BAD_USER_INPUT`. Nothing is written on error.
pub async fn upsert_member(
    db: &impl TransactionTrait,
    input: MemberInput,
    at: DateTime<Utc>,
) -> Result<(Member, Upserted), MembersError> {
    let changes = ValidMemberInput::try_from(input)?;
    let txn = begin_write(db).await?;
    let by_account = member_row_by_account(&txn, &changes.account).await?;
    let by_uuid = match changes.uuid {
        Some(uuid) => member::Entity::find().filter(member::Column::Uuid.eq(uuid)).one(&txn).await?,
        None => None,
    };
    let outcome = match (by_account, by_uuid, changes.uuid) {
        (Some(a), Some(b), _) if a.id != b.id => Err(MembersError::Conflict {
            field: "uuid",
            message: "belongs to another member than the account".to_owned(),
        }),
        (Some(row), _, None) | (Some(row), Some(_), Some(_)) | (None, Some(row), _) => {
            update_member(&txn, row, changes, at).await
        }
        (Some(_), None, Some(uuid)) => {
            if issued(&txn, uuid).await? {
                Err(MembersError::Conflict {
                    field: "account",
                    message: "already belongs to another member".to_owned(),
                })
            } else {
                Err(unknown_uuid())
            }
        }
        (None, None, _) => create_member(&txn, changes, at).await,
    };
    // On error the transaction is dropped, which rolls it back.
    let done = outcome?;
    txn.commit().await?;
    Ok(done)
}

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

/// The customer with this number, or `None`.
pub async fn find_customer(
    db: &impl ConnectionTrait,
    customer_no: &str,
) -> Result<Option<Customer>, MembersError> {
    Ok(find_customers(db, &[customer_no]).await?.remove(customer_no))
}

/// The customers with these numbers, by number (absent ones left out). Two queries per 500 numbers.
pub async fn find_customers(
    db: &impl ConnectionTrait,
    customer_nos: &[&str],
) -> Result<HashMap<String, Customer>, MembersError> {
    let mut found = HashMap::new();
    for chunk in customer_nos.chunks(500) {
        let rows = customer::Entity::find()
            .filter(customer::Column::CustomerNo.is_in(chunk.iter().copied()))
            .all(db)
            .await?;
        found.extend(customers_from(db, rows).await?.into_iter().map(|c| (c.customer_no.clone(), c)));
    }
    Ok(found)
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

/// The row id of the member with this account (for other domains' foreign keys), or `None`.
pub async fn member_id(db: &impl ConnectionTrait, account: &Account) -> Result<Option<i64>, MembersError> {
    Ok(member_row_by_account(db, account).await?.map(|m| m.id))
}

/// The accounts of member row ids.
pub async fn accounts_of(
    db: &impl ConnectionTrait,
    ids: &[i64],
) -> Result<HashMap<i64, Account>, MembersError> {
    Ok(keys_of(db, ids, &[]).await?.0)
}

/// The accounts of the members `member_ids` and the numbers of the customers `customer_ids`, by row id, in
/// one query (a page of orders needs both).
pub async fn keys_of(
    db: &impl ConnectionTrait,
    member_ids: &[i64],
    customer_ids: &[i64],
) -> Result<(HashMap<i64, Account>, HashMap<i64, String>), MembersError> {
    use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query, UnionType};
    let (mut accounts, mut numbers) = (HashMap::new(), HashMap::new());
    let rounds = member_ids.len().max(customer_ids.len()).div_ceil(500);
    for round in 0..rounds {
        let part = |ids: &[i64]| -> Vec<i64> { ids.iter().copied().skip(round * 500).take(500).collect() };
        let select = |table: &str, key: &str, ids: Vec<i64>| {
            Query::select()
                .expr_as(Expr::val(table == "members"), Alias::new("is_member"))
                .column(Alias::new("id"))
                .expr_as(Expr::col(Alias::new(key)), Alias::new("key"))
                .from(Alias::new(table))
                .and_where(Expr::col(Alias::new("id")).is_in(ids))
                .to_owned()
        };
        let mut query = select("members", "account", part(member_ids));
        query.union(UnionType::All, select("customers", "customer_no", part(customer_ids)));
        let rows = db.query_all_raw(db.get_database_backend().build(&query)).await?;
        for row in rows {
            let (is_member, id, key): (bool, i64, String) =
                (row.try_get("", "is_member")?, row.try_get("", "id")?, row.try_get("", "key")?);
            if is_member {
                let account = Account::parse(&key).map_err(|e| anyhow::anyhow!("member {id}: stored {e}"))?;
                accounts.insert(id, account);
            } else {
                numbers.insert(id, key);
            }
        }
    }
    Ok((accounts, numbers))
}

/// The row id and account of the first member (by account) linked to customer row `customer_id`.
pub async fn first_member_of(
    db: &impl ConnectionTrait,
    customer_id: i64,
) -> Result<Option<(i64, Account)>, MembersError> {
    let ids = linked_member_ids(db, customer_id).await?;
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
    Ok(Some((m.id, account)))
}

/// The row ids of the members linked to customer row `customer_id`.
async fn linked_member_ids(db: &impl ConnectionTrait, customer_id: i64) -> Result<Vec<i64>, DbErr> {
    Ok(member_customer::Entity::find()
        .filter(member_customer::Column::CustomerId.eq(customer_id))
        .all(db)
        .await?
        .into_iter()
        .map(|link| link.member_id)
        .collect())
}

/// The row id of the customer with this number, or `None`.
pub async fn customer_id(db: &impl ConnectionTrait, customer_no: &str) -> Result<Option<i64>, MembersError> {
    Ok(customer_row(db, customer_no).await?.map(|c| c.id))
}

/// The row ids of the customers with these ERP ids (`customerID`) or customer numbers.
pub async fn customer_ids_matching(
    db: &impl ConnectionTrait,
    erp_ids: &[String],
    customer_nos: &[String],
) -> Result<Vec<i64>, MembersError> {
    let mut ids = Vec::new();
    for (column, values) in
        [(customer::Column::CustomerId, erp_ids), (customer::Column::CustomerNo, customer_nos)]
    {
        // Chunks stay under SQLite's bound-parameter limit.
        for chunk in values.chunks(5_000) {
            let rows = customer::Entity::find().filter(column.is_in(chunk.to_vec())).all(db).await?;
            ids.extend(rows.into_iter().map(|c| c.id));
        }
    }
    ids.sort_unstable();
    ids.dedup();
    Ok(ids)
}

/// The customer numbers of customer row ids.
pub async fn customer_nos_of(
    db: &impl ConnectionTrait,
    ids: &[i64],
) -> Result<HashMap<i64, String>, MembersError> {
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
    customers: &[(i64, Option<i64>)],
) -> Result<HashMap<i64, Contact>, MembersError> {
    let member_of: HashMap<i64, i64> = customers.iter().filter_map(|(c, m)| m.map(|m| (*c, m))).collect();
    let mut found = HashMap::new();
    let mut ids: Vec<i64> = customers.iter().map(|(c, _)| *c).collect();
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
    Ok(found)
}

/// [`upsert_customer`] inside the caller's transaction; also returns the row id.
pub async fn upsert_customer_in(
    db: &impl ConnectionTrait,
    input: CustomerInput,
    at: DateTime<Utc>,
) -> Result<(i64, Customer, Upserted), MembersError> {
    let changes = ValidCustomerInput::try_from(input)?;
    let (row, state) = write_customer(db, changes, at).await?;
    let id = row.id;
    let customer =
        customers_from(db, vec![row]).await?.pop().ok_or_else(|| anyhow::anyhow!("customer vanished"))?;
    Ok((id, customer, state))
}

/// Creates a customer (its number generated unless given) or updates the one with that number.
pub async fn upsert_customer(
    db: &impl TransactionTrait,
    input: CustomerInput,
    at: DateTime<Utc>,
) -> Result<(Customer, Upserted), MembersError> {
    let changes = ValidCustomerInput::try_from(input)?;
    let txn = begin_write(db).await?;
    let (row, state) = write_customer(&txn, changes, at).await?;
    let customer =
        customers_from(&txn, vec![row]).await?.pop().ok_or_else(|| anyhow::anyhow!("customer vanished"))?;
    txn.commit().await?;
    Ok((customer, state))
}

/// Member input that passed every field rule, ready to store.
struct ValidMemberInput {
    account: Account,
    uuid: Option<Uuid>,
    email: Change<String>,
    name: Change<String>,
    phone: Change<String>,
    marketing_opt_in: Option<bool>,
    content_opt_in: Option<bool>,
    verified: Option<bool>,
    nine_one_member_info: Change<String>,
    trade_van_member_info: Change<String>,
}

impl TryFrom<MemberInput> for ValidMemberInput {
    type Error = MembersError;

    fn try_from(input: MemberInput) -> Result<Self, MembersError> {
        Ok(ValidMemberInput {
            account: Account::parse(&input.account)?,
            uuid: input.uuid,
            email: input.email.try_map(|v| validate::email("email", &v))?,
            name: input.name.try_map(|v| validate::text("name", &v, 200))?,
            phone: input.phone.try_map(|v| validate::phone("phone", &v))?,
            marketing_opt_in: input.marketing_opt_in,
            content_opt_in: input.content_opt_in,
            verified: input.verified,
            nine_one_member_info: input.nine_one_member_info.try_map(nine_one_json)?,
            trade_van_member_info: input.trade_van_member_info.try_map(trade_van_json)?,
        })
    }
}

fn nine_one_json(info: NineOneMemberInfo) -> Result<String, MembersError> {
    const FIELD: &str = "nineOneMemberInfo";
    let optional_text = |name: &str, value: Option<String>, max: usize| {
        value.map(|v| validate::text(&format!("{FIELD}.{name}"), &v, max)).transpose()
    };
    let info = NineOneMemberInfo {
        profession: optional_text("profession", info.profession, 100)?,
        job_position: optional_text("jobPosition", info.job_position, 100)?,
        interest: optional_text("interest", info.interest, 200)?,
        know_from: optional_text("knowFrom", info.know_from, 200)?,
        email: info.email.map(|v| validate::email(&format!("{FIELD}.email"), &v)).transpose()?,
        address: optional_text("address", info.address, 300)?,
    };
    validate::profile_json(FIELD, &info)
}

fn trade_van_json(raw: serde_json::Value) -> Result<String, MembersError> {
    const FIELD: &str = "tradeVanMemberInfo";
    // Refuse an oversized block before looking inside it.
    validate::profile_json(FIELD, &raw)?;
    let info: TradeVanMemberInfo =
        serde_json::from_value(raw).map_err(|e| MembersError::invalid(FIELD, e.to_string()))?;
    validate::profile_json(FIELD, &info)
}

fn unknown_uuid() -> MembersError {
    MembersError::invalid("uuid", "unknown uuid: ask requestUuid for one before creating a member")
}

async fn issued(db: &impl ConnectionTrait, uuid: Uuid) -> Result<bool, MembersError> {
    Ok(issued_uuid::Entity::find_by_id(uuid).one(db).await?.is_some())
}

async fn create_member(
    db: &impl ConnectionTrait,
    changes: ValidMemberInput,
    at: DateTime<Utc>,
) -> Result<(Member, Upserted), MembersError> {
    let uuid = match changes.uuid {
        Some(uuid) if issued(db, uuid).await? => uuid,
        Some(_) => return Err(unknown_uuid()),
        None => Uuid::new_v4(),
    };
    let row = member::ActiveModel {
        account: Set(changes.account.to_string()),
        uuid: Set(uuid),
        email: Set(changes.email.apply(None)),
        name: Set(changes.name.apply(None)),
        phone: Set(changes.phone.apply(None)),
        marketing_opt_in: Set(changes.marketing_opt_in.unwrap_or(false)),
        content_opt_in: Set(changes.content_opt_in.unwrap_or(false)),
        verified: Set(changes.verified.unwrap_or(false)),
        nine_one_member_info: Set(changes.nine_one_member_info.apply(None)),
        trade_van_member_info: Set(changes.trade_van_member_info.apply(None)),
        created_at: Set(at),
        updated_at: Set(at),
        ..Default::default()
    }
    .insert(db)
    .await
    .map_err(|err| match is_unique_violation(&err) {
        true => MembersError::Conflict {
            field: "account",
            message: "was registered at the same moment by another request".to_owned(),
        },
        false => err.into(),
    })?;
    if changes.uuid.is_some() {
        let claimed = issued_uuid::Entity::update_many()
            .col_expr(issued_uuid::Column::MemberId, row.id.into())
            .filter(issued_uuid::Column::Uuid.eq(uuid))
            .filter(issued_uuid::Column::MemberId.is_null())
            .exec(db)
            .await?;
        if claimed.rows_affected != 1 {
            return Err(MembersError::Conflict { field: "uuid", message: "is already used".to_owned() });
        }
    }
    let payload = json!({ "account": row.account, "uuid": row.uuid });
    append(db, "member.created", member_subject(row.uuid), payload, at).await?;
    Ok((member_from(row)?, Upserted::Created))
}

async fn update_member(
    db: &impl ConnectionTrait,
    row: member::Model,
    changes: ValidMemberInput,
    at: DateTime<Utc>,
) -> Result<(Member, Upserted), MembersError> {
    let before = row.clone();
    let mut next = row;
    next.account = changes.account.to_string();
    next.email = changes.email.apply(next.email);
    next.name = changes.name.apply(next.name);
    next.phone = changes.phone.apply(next.phone);
    next.marketing_opt_in = changes.marketing_opt_in.unwrap_or(next.marketing_opt_in);
    next.content_opt_in = changes.content_opt_in.unwrap_or(next.content_opt_in);
    next.verified = changes.verified.unwrap_or(next.verified);
    next.nine_one_member_info = changes.nine_one_member_info.apply(next.nine_one_member_info);
    next.trade_van_member_info = changes.trade_van_member_info.apply(next.trade_van_member_info);
    let changed = changed_member_fields(&before, &next);
    if changed.is_empty() {
        return Ok((member_from(before)?, Upserted::Unchanged));
    }
    next.updated_at = at;
    let active = next.into_active_model().reset_all();
    let row = active.update(db).await.map_err(|err| match is_unique_violation(&err) {
        true => MembersError::Conflict {
            field: "account",
            message: "already belongs to another member".to_owned(),
        },
        false => err.into(),
    })?;
    let subject = member_subject(row.uuid);
    if before.account != row.account {
        let payload = json!({ "uuid": row.uuid, "from": before.account, "to": row.account });
        append(db, "member.account_changed", subject.clone(), payload, at).await?;
    }
    if before.email != row.email {
        // The e-mail history (seed 000, task 15) is this event's trail.
        let payload =
            json!({ "account": row.account, "uuid": row.uuid, "from": before.email, "to": row.email });
        append(db, "member.email_changed", subject.clone(), payload, at).await?;
    }
    let payload = json!({ "account": row.account, "uuid": row.uuid, "fields": changed });
    append(db, "member.updated", subject, payload, at).await?;
    Ok((member_from(row)?, Upserted::Updated))
}

fn changed_member_fields(before: &member::Model, after: &member::Model) -> Vec<&'static str> {
    let mut fields = Vec::new();
    let mut check = |name, same: bool| {
        if !same {
            fields.push(name);
        }
    };
    check("account", before.account == after.account);
    check("email", before.email == after.email);
    check("name", before.name == after.name);
    check("phone", before.phone == after.phone);
    check("marketingOptIn", before.marketing_opt_in == after.marketing_opt_in);
    check("contentOptIn", before.content_opt_in == after.content_opt_in);
    check("verified", before.verified == after.verified);
    check("nineOneMemberInfo", before.nine_one_member_info == after.nine_one_member_info);
    check("tradeVanMemberInfo", before.trade_van_member_info == after.trade_van_member_info);
    fields
}

/// Customer input that passed every field rule.
struct ValidCustomerInput {
    customer_no: Option<String>,
    customer_id: Change<String>,
    name: Change<String>,
    email: Change<String>,
    phone: Change<String>,
    mobile: Change<String>,
    address: Change<Address>,
    parent_customer_no: Change<String>,
}

impl TryFrom<CustomerInput> for ValidCustomerInput {
    type Error = MembersError;

    fn try_from(input: CustomerInput) -> Result<Self, MembersError> {
        let optional = |field: &str, value: Option<String>, max: usize| {
            value.map(|v| validate::text(field, &v, max)).transpose()
        };
        Ok(ValidCustomerInput {
            customer_no: input.customer_no.map(|v| validate::customer_no("customerNo", &v)).transpose()?,
            customer_id: input.customer_id.try_map(|v| validate::text("customerId", &v, 32))?,
            name: input.name.try_map(|v| validate::text("name", &v, 200))?,
            email: input.email.try_map(|v| validate::email("email", &v))?,
            phone: input.phone.try_map(|v| validate::phone("phone", &v))?,
            mobile: input.mobile.try_map(|v| validate::phone("mobile", &v))?,
            address: input.address.try_map(|a| {
                Ok::<_, MembersError>(Address {
                    country: optional("address.country", a.country, 64)?,
                    postal_code: optional("address.postalCode", a.postal_code, 16)?,
                    city: optional("address.city", a.city, 64)?,
                    street: optional("address.street", a.street, 300)?,
                })
            })?,
            parent_customer_no: input
                .parent_customer_no
                .try_map(|v| validate::customer_no("parentCustomerNo", &v))?,
        })
    }
}

async fn write_customer(
    db: &impl ConnectionTrait,
    changes: ValidCustomerInput,
    at: DateTime<Utc>,
) -> Result<(customer::Model, Upserted), MembersError> {
    let existing = match &changes.customer_no {
        Some(no) => customer_row(db, no).await?,
        None => None,
    };
    let parent_id = match changes.parent_customer_no {
        Change::Keep => Change::Keep,
        Change::Clear => Change::Clear,
        Change::Set(no) if Some(&no) == changes.customer_no.as_ref() => {
            return Err(MembersError::invalid("parentCustomerNo", "a customer cannot be its own parent"));
        }
        Change::Set(no) => match customer_row(db, &no).await? {
            Some(parent) => {
                if let Some(child) = &existing {
                    refuse_parent_cycle(db, child, &parent).await?;
                }
                Change::Set(parent.id)
            }
            None => {
                return Err(MembersError::invalid(
                    "parentCustomerNo",
                    format!("customer {no} does not exist"),
                ));
            }
        },
    };
    let (address, created) = match &existing {
        Some(row) => (changes.address.apply(Some(address_of(row))).unwrap_or_default(), false),
        None => (changes.address.apply(None).unwrap_or_default(), true),
    };
    let before = existing.clone();
    let mut next = existing.unwrap_or_else(|| customer::Model {
        id: 0,
        customer_no: String::new(),
        customer_id: None,
        name: None,
        email: None,
        phone: None,
        mobile: None,
        country: None,
        postal_code: None,
        city: None,
        street: None,
        parent_id: None,
        created_at: at,
        updated_at: at,
    });
    next.customer_id = changes.customer_id.apply(next.customer_id);
    next.name = changes.name.apply(next.name);
    next.email = changes.email.apply(next.email);
    next.phone = changes.phone.apply(next.phone);
    next.mobile = changes.mobile.apply(next.mobile);
    next.country = address.country;
    next.postal_code = address.postal_code;
    next.city = address.city;
    next.street = address.street;
    next.parent_id = parent_id.apply(next.parent_id);
    if created {
        next.customer_no = changes.customer_no.unwrap_or_else(|| new_customer_no(at));
        let mut active = next.into_active_model().reset_all();
        active.id = sea_orm::ActiveValue::NotSet;
        let row = active.insert(db).await.map_err(|err| match is_unique_violation(&err) {
            true => MembersError::Conflict {
                field: "customerNo",
                message: "was created at the same moment by another request".to_owned(),
            },
            false => err.into(),
        })?;
        let payload = json!({ "customerNo": row.customer_no });
        append(db, "customer.created", customer_subject(&row.customer_no), payload, at).await?;
        return Ok((row, Upserted::Created));
    }
    if before.as_ref().is_some_and(|b| same_customer(b, &next)) {
        return Ok((next, Upserted::Unchanged));
    }
    next.updated_at = at;
    let row = next.into_active_model().reset_all().update(db).await?;
    let payload = json!({ "customerNo": row.customer_no });
    append(db, "customer.updated", customer_subject(&row.customer_no), payload, at).await?;
    Ok((row, Upserted::Updated))
}

fn same_customer(a: &customer::Model, b: &customer::Model) -> bool {
    customer::Model { updated_at: b.updated_at, created_at: b.created_at, ..a.clone() } == *b
}

/// A new customer number: `C`, the UTC date as `yymmdd`, and ten random Crockford base-32 characters
/// (50 bits), e.g. `C261122K3F9QXW2ZD`. At a million new customers a day the chance of any collision that
/// day is below one in two thousand; one is refused by the unique index, never merged.
fn new_customer_no(at: DateTime<Utc>) -> String {
    const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    let random = Uuid::new_v4().as_u128();
    let suffix: String = (0..10).map(|i| char::from(ALPHABET[((random >> (5 * i)) & 31) as usize])).collect();
    format!("C{}{suffix}", at.format("%y%m%d"))
}

fn address_of(row: &customer::Model) -> Address {
    Address {
        country: row.country.clone(),
        postal_code: row.postal_code.clone(),
        city: row.city.clone(),
        street: row.street.clone(),
    }
}

async fn member_row_by_account(
    db: &impl ConnectionTrait,
    account: &Account,
) -> Result<Option<member::Model>, DbErr> {
    member::Entity::find().filter(member::Column::Account.eq(account.as_str())).one(db).await
}

/// Ancestors followed at most (a deeper hierarchy is refused as if it were a cycle).
const MAX_PARENT_DEPTH: usize = 64;

/// Refuses making `parent` the parent of `child` when `child` is among `parent`'s ancestors (A→B→A), so
/// the hierarchy stays a tree.
async fn refuse_parent_cycle(
    db: &impl ConnectionTrait,
    child: &customer::Model,
    parent: &customer::Model,
) -> Result<(), MembersError> {
    let mut path = vec![child.customer_no.clone(), parent.customer_no.clone()];
    let mut next = parent.parent_id;
    while let Some(id) = next {
        if id == child.id {
            path.push(child.customer_no.clone());
            return Err(MembersError::invalid(
                "parentCustomerNo",
                format!("would make a cycle ({})", path[1..].join(" → ")),
            ));
        }
        if path.len() > MAX_PARENT_DEPTH {
            return Err(MembersError::invalid(
                "parentCustomerNo",
                format!("the hierarchy would be deeper than {MAX_PARENT_DEPTH} levels"),
            ));
        }
        let Some(ancestor) = customer::Entity::find_by_id(id).one(db).await? else { break };
        path.push(ancestor.customer_no.clone());
        next = ancestor.parent_id;
    }
    Ok(())
}

async fn customer_row(
    db: &impl ConnectionTrait,
    customer_no: &str,
) -> Result<Option<customer::Model>, DbErr> {
    customer::Entity::find().filter(customer::Column::CustomerNo.eq(customer_no)).one(db).await
}

fn member_from(row: member::Model) -> Result<Member, MembersError> {
    let corrupt =
        |what: &str, e: serde_json::Error| anyhow::anyhow!("member {} has a corrupt {what}: {e}", row.id);
    let nine_one_member_info = row
        .nine_one_member_info
        .as_deref()
        .map(serde_json::from_str)
        .transpose()
        .map_err(|e| corrupt("nineOneMemberInfo", e))?;
    let trade_van_member_info = row
        .trade_van_member_info
        .as_deref()
        .map(serde_json::from_str)
        .transpose()
        .map_err(|e| corrupt("tradeVanMemberInfo", e))?;
    Ok(Member {
        account: Account::parse(&row.account)
            .map_err(|e| anyhow::anyhow!("member {}: stored {e}", row.id))?,
        uuid: row.uuid,
        email: row.email,
        name: row.name,
        phone: row.phone,
        marketing_opt_in: row.marketing_opt_in,
        content_opt_in: row.content_opt_in,
        verified: row.verified,
        nine_one_member_info,
        trade_van_member_info,
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}

async fn customers_from(
    db: &impl ConnectionTrait,
    rows: Vec<customer::Model>,
) -> Result<Vec<Customer>, MembersError> {
    let parent_ids: Vec<i64> = rows.iter().filter_map(|r| r.parent_id).collect();
    let parents: HashMap<i64, String> = if parent_ids.is_empty() {
        HashMap::new()
    } else {
        customer::Entity::find()
            .filter(customer::Column::Id.is_in(parent_ids))
            .all(db)
            .await?
            .into_iter()
            .map(|p| (p.id, p.customer_no))
            .collect()
    };
    Ok(rows
        .into_iter()
        .map(|row| Customer {
            address: address_of(&row),
            parent_customer_no: row.parent_id.and_then(|id| parents.get(&id).cloned()),
            customer_no: row.customer_no,
            customer_id: row.customer_id,
            name: row.name,
            email: row.email,
            phone: row.phone,
            mobile: row.mobile,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
        .collect())
}

fn member_subject(uuid: Uuid) -> String {
    format!("member:{uuid}")
}

fn customer_subject(customer_no: &str) -> String {
    format!("customer:{customer_no}")
}

async fn append(
    db: &impl ConnectionTrait,
    event_type: &'static str,
    subject: String,
    payload: serde_json::Value,
    at: DateTime<Utc>,
) -> Result<(), DbErr> {
    events::append(db, NewEvent { event_type, subject, payload }, at).await.map(|_| ())
}

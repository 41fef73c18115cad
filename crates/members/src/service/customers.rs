//! Customers (訂戶): upsert with the parent hierarchy kept a tree, lookup, and their events.

use super::*;

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

/// The customers with these row ids, by id (absent ones left out). Two queries per 500 ids.
pub async fn find_customers_by_id(
    db: &impl ConnectionTrait,
    ids: &[CustomerId],
) -> Result<HashMap<CustomerId, Customer>, MembersError> {
    let mut found = HashMap::new();
    for chunk in ids.chunks(500) {
        let rows = customer::Entity::find()
            .filter(customer::Column::Id.is_in(chunk.iter().map(|c| c.0)))
            .all(db)
            .await?;
        let ids: Vec<CustomerId> = rows.iter().map(|r| CustomerId(r.id)).collect();
        found.extend(ids.into_iter().zip(customers_from(db, rows).await?));
    }
    Ok(found)
}

/// [`upsert_customer`] inside the caller's transaction; also returns the row id.
pub async fn upsert_customer_in(
    db: &impl ConnectionTrait,
    input: CustomerInput,
    at: DateTime<Utc>,
) -> Result<(CustomerId, Customer, Upserted), MembersError> {
    let changes = ValidCustomerInput::try_from(input)?;
    let (row, state) = write_customer(db, changes, at).await?;
    let id = row.id;
    let customer =
        customers_from(db, vec![row]).await?.pop().ok_or_else(|| anyhow::anyhow!("customer vanished"))?;
    Ok((CustomerId(id), customer, state))
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

/// Customer input that passed every field rule.
pub(super) struct ValidCustomerInput {
    customer_no: Option<String>,
    customer_id: Change<String>,
    name: Change<String>,
    email: Change<String>,
    phone: Change<String>,
    mobile: Change<String>,
    address: Change<Address>,
    parent_customer_no: Change<String>,
    addresses: Change<Vec<Address>>,
    contacts: Change<Vec<crate::model::Contact>>,
}

impl TryFrom<CustomerInput> for ValidCustomerInput {
    type Error = MembersError;

    fn try_from(input: CustomerInput) -> Result<Self, MembersError> {
        Ok(ValidCustomerInput {
            customer_no: input.customer_no.map(|v| validate::customer_no("customerNo", &v)).transpose()?,
            customer_id: input.customer_id.try_map(|v| validate::text("customerId", &v, 32))?,
            name: input.name.try_map(|v| validate::text("name", &v, 200))?,
            email: input.email.try_map(|v| validate::email("email", &v))?,
            phone: input.phone.try_map(|v| validate::phone("phone", &v))?,
            mobile: input.mobile.try_map(|v| validate::phone("mobile", &v))?,
            address: input.address.try_map(|a| super::contacts::valid_address("address", a))?,
            addresses: input.addresses.try_map(|all| super::contacts::valid_addresses("addresses", all))?,
            contacts: input.contacts.try_map(super::contacts::valid_contacts)?,
            parent_customer_no: input
                .parent_customer_no
                .try_map(|v| validate::customer_no("parentCustomerNo", &v))?,
        })
    }
}

pub(super) async fn write_customer(
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
    let addresses: Option<Vec<Address>> = as_list(changes.addresses);
    let contacts: Option<Vec<crate::model::Contact>> = as_list(changes.contacts);
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
        let row = active.insert(db).await.map_err(|err| match CUSTOMER_NO.violated_by(&err) {
            true => MembersError::Conflict {
                field: "customerNo",
                message: "was created at the same moment by another request".to_owned(),
            },
            false => err.into(),
        })?;
        super::contacts::replace_children(db, row.id, addresses.as_deref(), contacts.as_deref(), at).await?;
        let payload = json!({ "customerNo": row.customer_no, "contacts": contacts.map_or(0, |c| c.len()) });
        append(db, "customer.created", customer_subject(&row.customer_no), payload, at).await?;
        return Ok((row, Upserted::Created));
    }
    let children =
        super::contacts::replace_children(db, next.id, addresses.as_deref(), contacts.as_deref(), at).await?;
    if before.as_ref().is_some_and(|b| same_customer(b, &next)) && !children {
        return Ok((next, Upserted::Unchanged));
    }
    next.updated_at = at;
    let row = next.into_active_model().reset_all().update(db).await?;
    let (addresses, contacts) =
        super::contacts::children_of(db, &[row.id]).await?.remove(&row.id).unwrap_or_default();
    let payload = json!({ "customerNo": row.customer_no, "customerId": row.customer_id, "name": row.name,
                          "addresses": addresses, "contacts": contacts });
    append(db, "customer.updated", customer_subject(&row.customer_no), payload, at).await?;
    Ok((row, Upserted::Updated))
}

/// A replaced-whole list: `None` to keep it, the new list (empty to clear it).
fn as_list<T>(change: Change<Vec<T>>) -> Option<Vec<T>> {
    match change {
        Change::Keep => None,
        Change::Clear => Some(Vec::new()),
        Change::Set(all) => Some(all),
    }
}

pub(super) fn same_customer(a: &customer::Model, b: &customer::Model) -> bool {
    customer::Model { updated_at: b.updated_at, created_at: b.created_at, ..a.clone() } == *b
}

/// A new customer number: `C`, the UTC date as `yymmdd`, and ten random Crockford base-32 characters
/// (50 bits), e.g. `C261122K3F9QXW2ZD`. At a million new customers a day the chance of any collision that
/// day is below one in two thousand; one is refused by the unique index, never merged.
pub(super) fn new_customer_no(at: DateTime<Utc>) -> String {
    const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    let random = Uuid::new_v4().as_u128();
    let suffix: String = (0..10).map(|i| char::from(ALPHABET[((random >> (5 * i)) & 31) as usize])).collect();
    format!("C{}{suffix}", at.format("%y%m%d"))
}

pub(super) fn address_of(row: &customer::Model) -> Address {
    Address {
        country: row.country.clone(),
        postal_code: row.postal_code.clone(),
        city: row.city.clone(),
        street: row.street.clone(),
    }
}

/// Ancestors followed at most (a deeper hierarchy is refused as if it were a cycle).
pub(super) const MAX_PARENT_DEPTH: usize = 64;

/// Refuses making `parent` the parent of `child` when `child` is among `parent`'s ancestors (A→B→A), so
/// the hierarchy stays a tree.
pub(super) async fn refuse_parent_cycle(
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

pub(super) async fn customer_row(
    db: &impl ConnectionTrait,
    customer_no: &str,
) -> Result<Option<customer::Model>, DbErr> {
    customer::Entity::find().filter(customer::Column::CustomerNo.eq(customer_no)).one(db).await
}

pub(super) async fn customers_from(
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

pub(super) fn customer_subject(customer_no: &str) -> String {
    format!("customer:{customer_no}")
}

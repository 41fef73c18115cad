//! A customer's further addresses and contacts (R21, seed 004 客戶主檔 hierarchy), replaced whole when the ERP
//! pushes them, read for a batch of customers in two queries.

use super::*;
use crate::entity::{contact, contact_point};
use crate::model::Contact;

/// Most contacts of a customer, addresses of a customer or contact, phones or e-mails of a contact.
const MAX_CONTACTS: usize = 20;
const MAX_POINTS: usize = 10;

/// An address that passed the field rules (`field` prefixes the field names in errors).
pub(super) fn valid_address(field: &str, a: Address) -> Result<Address, MembersError> {
    let optional = |part: &str, value: Option<String>, max: usize| {
        value.map(|v| validate::text(&format!("{field}.{part}"), &v, max)).transpose()
    };
    Ok(Address {
        country: optional("country", a.country, 64)?,
        postal_code: optional("postalCode", a.postal_code, 16)?,
        city: optional("city", a.city, 64)?,
        street: optional("street", a.street, 300)?,
    })
}

/// Addresses that passed the rules.
pub(super) fn valid_addresses(field: &str, all: Vec<Address>) -> Result<Vec<Address>, MembersError> {
    if all.len() > MAX_POINTS {
        return Err(MembersError::invalid(field, format!("at most {MAX_POINTS} addresses")));
    }
    all.into_iter().enumerate().map(|(i, a)| valid_address(&format!("{field}[{i}]"), a)).collect()
}

/// Contacts that passed the rules.
pub(super) fn valid_contacts(all: Vec<Contact>) -> Result<Vec<Contact>, MembersError> {
    if all.len() > MAX_CONTACTS {
        return Err(MembersError::invalid("contacts", format!("at most {MAX_CONTACTS} contacts")));
    }
    all.into_iter()
        .enumerate()
        .map(|(i, c)| {
            let field = format!("contacts[{i}]");
            if c.phones.len() > MAX_POINTS || c.emails.len() > MAX_POINTS {
                return Err(MembersError::invalid(
                    &field,
                    format!("at most {MAX_POINTS} phones and e-mails"),
                ));
            }
            Ok(Contact {
                name: c.name.map(|n| validate::text(&format!("{field}.name"), &n, 200)).transpose()?,
                addresses: valid_addresses(&format!("{field}.addresses"), c.addresses)?,
                phones: c
                    .phones
                    .iter()
                    .enumerate()
                    .map(|(j, p)| validate::phone(&format!("{field}.phones[{j}]"), p))
                    .collect::<Result<_, _>>()?,
                emails: c
                    .emails
                    .iter()
                    .enumerate()
                    .map(|(j, e)| validate::email(&format!("{field}.emails[{j}]"), e))
                    .collect::<Result<_, _>>()?,
            })
        })
        .collect()
}

/// The further addresses and contacts of each of `customer_ids`.
pub(super) async fn children_of(
    db: &impl ConnectionTrait,
    customer_ids: &[i64],
) -> Result<HashMap<i64, (Vec<Address>, Vec<Contact>)>, MembersError> {
    let mut found: HashMap<i64, (Vec<Address>, Vec<Contact>)> = HashMap::new();
    for chunk in customer_ids.chunks(500) {
        let contacts = contact::Entity::find()
            .filter(contact::Column::CustomerId.is_in(chunk.iter().copied()))
            .order_by_asc(contact::Column::CustomerId)
            .order_by_asc(contact::Column::Position)
            .all(db)
            .await?;
        let points = contact_point::Entity::find()
            .filter(contact_point::Column::CustomerId.is_in(chunk.iter().copied()))
            .order_by_asc(contact_point::Column::Position)
            .all(db)
            .await?;
        let mut index: HashMap<i64, (i64, usize)> = HashMap::new();
        for c in contacts {
            let entry = found.entry(c.customer_id).or_default();
            index.insert(c.id, (c.customer_id, entry.1.len()));
            entry.1.push(Contact { name: c.name, ..Contact::default() });
        }
        for p in points {
            let address = || Address {
                country: p.country.clone(),
                postal_code: p.postal_code.clone(),
                city: p.city.clone(),
                street: p.street.clone(),
            };
            let entry = found.entry(p.customer_id).or_default();
            match p.contact_id.and_then(|id| index.get(&id).copied()) {
                None if p.kind == "ADDRESS" => entry.0.push(address()),
                None => {}
                Some((_, at)) => {
                    let Some(c) = entry.1.get_mut(at) else { continue };
                    match p.kind.as_str() {
                        "ADDRESS" => c.addresses.push(address()),
                        "PHONE" => c.phones.extend(p.value.clone()),
                        _ => c.emails.extend(p.value.clone()),
                    }
                }
            }
        }
    }
    Ok(found)
}

/// Replaces what is `Some` of customer `customer_id`'s further addresses and contacts; whether anything
/// changed (the same lists again change nothing).
pub(super) async fn replace_children(
    db: &impl ConnectionTrait,
    customer_id: i64,
    addresses: Option<&[Address]>,
    contacts: Option<&[Contact]>,
    at: DateTime<Utc>,
) -> Result<bool, MembersError> {
    if addresses.is_none() && contacts.is_none() {
        return Ok(false);
    }
    let (old_addresses, old_contacts) =
        children_of(db, &[customer_id]).await?.remove(&customer_id).unwrap_or_default();
    let addresses = addresses.map_or(old_addresses.clone(), <[Address]>::to_vec);
    let contacts = contacts.map_or(old_contacts.clone(), <[Contact]>::to_vec);
    if addresses == old_addresses && contacts == old_contacts {
        return Ok(false);
    }
    contact_point::Entity::delete_many()
        .filter(contact_point::Column::CustomerId.eq(customer_id))
        .exec(db)
        .await?;
    contact::Entity::delete_many().filter(contact::Column::CustomerId.eq(customer_id)).exec(db).await?;
    let point =
        |contact_id: Option<i64>, position: usize, kind: &str, value: Option<String>, a: Option<&Address>| {
            contact_point::ActiveModel {
                customer_id: Set(customer_id),
                contact_id: Set(contact_id),
                position: Set(i32::try_from(position).unwrap_or(i32::MAX)),
                kind: Set(kind.to_owned()),
                value: Set(value),
                country: Set(a.and_then(|a| a.country.clone())),
                postal_code: Set(a.and_then(|a| a.postal_code.clone())),
                city: Set(a.and_then(|a| a.city.clone())),
                street: Set(a.and_then(|a| a.street.clone())),
                ..Default::default()
            }
        };
    let mut points: Vec<contact_point::ActiveModel> =
        addresses.iter().enumerate().map(|(i, a)| point(None, i, "ADDRESS", None, Some(a))).collect();
    for (position, c) in contacts.iter().enumerate() {
        let row = contact::ActiveModel {
            customer_id: Set(customer_id),
            position: Set(i32::try_from(position).unwrap_or(i32::MAX)),
            name: Set(c.name.clone()),
            created_at: Set(at),
            ..Default::default()
        }
        .insert(db)
        .await?;
        let mut n = 0;
        for a in &c.addresses {
            points.push(point(Some(row.id), n, "ADDRESS", None, Some(a)));
            n += 1;
        }
        for p in &c.phones {
            points.push(point(Some(row.id), n, "PHONE", Some(p.clone()), None));
            n += 1;
        }
        for e in &c.emails {
            points.push(point(Some(row.id), n, "EMAIL", Some(e.clone()), None));
            n += 1;
        }
    }
    if !points.is_empty() {
        contact_point::Entity::insert_many(points).exec_without_returning(db).await?;
    }
    Ok(true)
}

/// The further addresses and contacts of the customers numbered `customer_nos`, by number (R21; read
/// when asked for, apart from the customer rows a page of orders reads).
pub async fn contacts_of_customers(
    db: &impl ConnectionTrait,
    customer_nos: &[String],
) -> Result<HashMap<String, (Vec<Address>, Vec<Contact>)>, MembersError> {
    let mut found = HashMap::new();
    for chunk in customer_nos.chunks(500) {
        let ids: Vec<(i64, String)> = customer::Entity::find()
            .filter(customer::Column::CustomerNo.is_in(chunk.iter().map(String::as_str)))
            .all(db)
            .await?
            .into_iter()
            .map(|c| (c.id, c.customer_no))
            .collect();
        let only: Vec<i64> = ids.iter().map(|(id, _)| *id).collect();
        let mut children = children_of(db, &only).await?;
        for (id, no) in ids {
            found.insert(no, children.remove(&id).unwrap_or_default());
        }
    }
    Ok(found)
}

//! DataLoaders of what nested fields of many objects share within one request: the viewer's linked
//! customers (the customer rule of SPEC §3 on every `payer`) are read once, not once per order. Made fresh
//! for every request (nothing is cached across requests, so no one sees a stale row). A page's members and
//! payers are read with the page itself (`ordering::with_people`), one query each.

use async_graphql::dataloader::{DataLoader, Loader};
use members::{Account, Customer, MembersError, service as members_service};
use sea_orm::DatabaseConnection;
use std::collections::HashMap;
use std::sync::Arc;

/// The loaders of one request.
pub(crate) struct Loaders {
    /// The customers linked to a member, by the member's account.
    pub(crate) linked: DataLoader<LinkedLoader>,
    /// A customer's further addresses and contacts (R21), by customer number: read only when asked for.
    pub(crate) contacts: DataLoader<ContactsLoader>,
}

impl Loaders {
    pub(crate) fn new(db: &DatabaseConnection) -> Self {
        Loaders {
            linked: DataLoader::new(LinkedLoader(db.clone()), tokio::spawn),
            contacts: DataLoader::new(ContactsLoader(db.clone()), tokio::spawn),
        }
    }
}

/// A loader's error: the domain's, shared by every key of the batch.
pub(crate) type LoadError = Arc<MembersError>;

pub(crate) struct LinkedLoader(DatabaseConnection);

impl Loader<Account> for LinkedLoader {
    type Value = Vec<Customer>;
    type Error = LoadError;

    async fn load(&self, keys: &[Account]) -> Result<HashMap<Account, Vec<Customer>>, LoadError> {
        // One key in practice: the viewing member.
        let mut linked = HashMap::new();
        for account in keys {
            linked.insert(
                account.clone(),
                members_service::customers_of_member(&self.0, account).await.map_err(Arc::new)?,
            );
        }
        Ok(linked)
    }
}

pub(crate) struct ContactsLoader(DatabaseConnection);

impl Loader<String> for ContactsLoader {
    type Value = (Vec<members::Address>, Vec<members::model::Contact>);
    type Error = LoadError;

    async fn load(&self, keys: &[String]) -> Result<HashMap<String, Self::Value>, LoadError> {
        members_service::contacts_of_customers(&self.0, keys).await.map_err(Arc::new)
    }
}

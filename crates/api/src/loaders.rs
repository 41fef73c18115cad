//! DataLoaders of the nested objects: a page of orders asks for its members, payers and the viewer's linked
//! customers once each, whatever the page size, instead of once per row. Made fresh for every request
//! (nothing is cached across requests, so no one sees another request's or a stale row).

use async_graphql::dataloader::{DataLoader, Loader};
use members::{Account, Customer, Member, MembersError, service as members_service};
use sea_orm::DatabaseConnection;
use std::collections::HashMap;
use std::sync::Arc;

/// The loaders of one request.
pub(crate) struct Loaders {
    /// Members by account.
    pub(crate) members: DataLoader<MemberLoader>,
    /// Customers by customer number.
    pub(crate) customers: DataLoader<CustomerLoader>,
    /// The customers linked to a member, by the member's account (the customer rule of SPEC §3).
    pub(crate) linked: DataLoader<LinkedLoader>,
}

impl Loaders {
    pub(crate) fn new(db: &DatabaseConnection) -> Self {
        Loaders {
            members: DataLoader::new(MemberLoader(db.clone()), tokio::spawn),
            customers: DataLoader::new(CustomerLoader(db.clone()), tokio::spawn),
            linked: DataLoader::new(LinkedLoader(db.clone()), tokio::spawn),
        }
    }
}

/// A loader's error: the domain's, shared by every key of the batch.
pub(crate) type LoadError = Arc<MembersError>;

pub(crate) struct MemberLoader(DatabaseConnection);

impl Loader<Account> for MemberLoader {
    type Value = Member;
    type Error = LoadError;

    async fn load(&self, keys: &[Account]) -> Result<HashMap<Account, Member>, LoadError> {
        members_service::find_members(&self.0, keys).await.map_err(Arc::new)
    }
}

pub(crate) struct CustomerLoader(DatabaseConnection);

impl Loader<String> for CustomerLoader {
    type Value = Customer;
    type Error = LoadError;

    async fn load(&self, keys: &[String]) -> Result<HashMap<String, Customer>, LoadError> {
        let numbers: Vec<&str> = keys.iter().map(String::as_str).collect();
        members_service::find_customers(&self.0, &numbers).await.map_err(Arc::new)
    }
}

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

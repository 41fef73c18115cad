//! The GraphQL API: the async-graphql schema, thin resolvers and the mapping of domain errors to
//! `extensions.code` (SPEC §4).
//!
//! Resolvers get a service from the context, convert their input into a domain call, make that one call and
//! wrap the result in an output type of this crate. They hold no business rule and touch no table.

/// A GraphQL enum mirroring a domain enum variant for variant, with `From` both ways.
macro_rules! mirror_enum {
    ($(#[$doc:meta])* $name:ident => $domain:path { $($variant:ident),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(async_graphql::Enum, Clone, Copy, PartialEq, Eq)]
        pub(crate) enum $name { $($variant),+ }

        impl From<$domain> for $name {
            fn from(value: $domain) -> Self {
                match value { $(<$domain>::$variant => $name::$variant),+ }
            }
        }

        impl From<$name> for $domain {
            fn from(value: $name) -> Self {
                match value { $($name::$variant => <$domain>::$variant),+ }
            }
        }
    };
}

mod access;
mod aftersale;
mod app_store;
pub mod auth;
mod catalog;
mod catalog_admin;
mod catalog_input;
mod delivery;
mod entitlement;
pub mod error;
mod events;
mod export;
mod followup;
pub mod guard;
mod job;
mod loaders;
mod mail;
mod membership;
mod ordering;
mod paging;
mod renewal;
mod report;
mod scalars;
mod service;
mod shipping;
mod telemetry;

pub use telemetry::cache_request_metrics;
mod webhooks;

use async_graphql::{EmptySubscription, MergedObject, Schema};
use platform_core::{BusinessCalendar, Clock, Settings};
use sea_orm::DatabaseConnection;

pub use scalars::Date;
pub use service::GraphqlService;

/// Everything resolvers reach through the context.
#[derive(Debug, Clone)]
pub struct ApiState {
    /// The public catalog.
    pub catalog: ::catalog::Catalog,
    /// The database, for the domains' service functions.
    pub db: DatabaseConnection,
    /// Where "now" comes from.
    pub clock: Clock,
    /// Orders.
    pub orders: ::orders::service::OrderService,
    /// The business time zone.
    pub calendar: BusinessCalendar,
    /// Jobs run on demand, the charge runner of `retryRenewalCharge`, the e-mail templates.
    pub jobs: jobs::JobContext,
}

/// The root query: one object per domain, merged.
#[derive(MergedObject, Default)]
pub struct Query(
    catalog::CatalogQuery,
    catalog_admin::CatalogAdminQuery,
    membership::MembersQuery,
    ordering::OrdersQuery,
    entitlement::EntitlementsQuery,
    renewal::RenewalsQuery,
    delivery::DeliveryQuery,
    events::EventsQuery,
    webhooks::WebhooksQuery,
    job::JobsQuery,
    mail::EmailsQuery,
    followup::FollowUpsQuery,
    report::ReportQuery,
    export::ExportQuery,
);

/// The root mutation: one object per domain, merged.
#[derive(MergedObject, Default)]
pub struct Mutation(
    catalog_admin::CatalogAdminMutation,
    membership::MembersMutation,
    ordering::OrdersMutation,
    aftersale::AfterSaleMutation,
    delivery::DeliveryMutation,
    entitlement::EntitlementsMutation,
    renewal::RenewalsMutation,
    webhooks::WebhooksMutation,
    job::JobsMutation,
    followup::FollowUpsMutation,
    shipping::ShippingMutation,
    app_store::AppStoreMutation,
);

/// The schema served at `/graphql`.
pub type AppSchema = Schema<Query, Mutation, EmptySubscription>;

/// Limits applied to every query.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Deepest selection nesting.
    pub max_depth: usize,
    /// Highest complexity.
    pub max_complexity: usize,
    /// Whether introspection is answered, and unknown names get "did you mean" suggestions (which would
    /// reveal the schema as surely as introspection does).
    pub introspection: bool,
    /// What a request must stay within before it is parsed.
    pub bounds: guard::RequestBounds,
    /// How long public catalog responses are kept.
    pub catalog_ttl: std::time::Duration,
}

impl From<&Settings> for Limits {
    fn from(settings: &Settings) -> Self {
        Limits {
            max_depth: settings.graphql.max_depth,
            max_complexity: settings.graphql.max_complexity,
            introspection: settings.introspection_enabled(),
            bounds: guard::RequestBounds {
                max_tokens: settings.graphql.max_tokens,
                max_nesting: settings.graphql.max_nesting,
                max_fields: settings.graphql.max_fields,
                max_string_chars: settings.graphql.max_string_chars,
            },
            catalog_ttl: std::time::Duration::from_millis(settings.catalog.cache_ttl_ms),
        }
    }
}

/// Builds the schema over `state` with `limits`.
pub fn build_schema(state: ApiState, limits: Limits) -> GraphqlService {
    let db = state.db.clone();
    let mut builder = Schema::build(Query::default(), Mutation::default(), EmptySubscription)
        .data(state)
        .limit_depth(limits.max_depth)
        .limit_complexity(limits.max_complexity);
    if !limits.introspection {
        builder = builder.disable_introspection().disable_suggestions();
    }
    GraphqlService::new(builder.finish(), limits.bounds, limits.catalog_ttl, db)
}

/// The schema in SDL, as checked in at `schema.graphql`.
pub fn sdl() -> String {
    Schema::build(Query::default(), Mutation::default(), EmptySubscription).finish().sdl()
}

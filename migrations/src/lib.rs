//! Database migrations, one file per change, never edited once landed. They run unchanged on SQLite (the
//! embedded default) and PostgreSQL (production): no backend-specific types, enums stored as short strings
//! guarded by CHECK constraints, money as BIGINT, instants as `timestamp with time zone`.
//!
//! Every table has `created_at` and `updated_at`. Later domains add their own files (members, orders, …).

pub use sea_orm_migration::prelude::*;

mod m20261122_000001_catalog;
mod m20261122_000002_members;
mod m20261122_000003_orders;
mod m20261122_000004_entitlements;
mod m20261122_000005_webhooks;
mod m20261122_000006_expiry_speed;
mod m20261122_000007_renewals;
mod m20261122_000008_job_runs;
mod m20261122_000009_charge_run;
mod m20261122_000010_instance_metadata;
mod m20261202_000011_amount_bounds;
mod m20261202_000012_job_run_requests;
mod m20261202_000013_job_run_heartbeat;
mod m20261202_000014_simulated_gateway;
mod m20261202_000015_delivery_lease_owner;
mod m20261203_000016_operations;
mod m20261203_000017_catalog_admin;
mod m20261203_000018_renewal_skips;
mod m20261203_000019_simulated_refunds;
mod m20261203_000020_order_refunds;
mod m20261203_000021_renewal_cancellations;
mod m20261203_000022_order_returns;
mod m20261203_000023_delivery_suspensions;
mod m20261203_000024_applied_changes;
mod m20261204_000025_console_sessions;
mod m20261204_000026_erp_transfer;
mod m20261204_000027_shipments;
mod m20261204_000028_channel_orders;
mod m20261204_000029_customer_contacts;
mod m20261204_000030_sealed_tokens;
mod m20261206_000031_capture_reconcile;

/// All migrations in order.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261122_000001_catalog::Migration),
            Box::new(m20261122_000002_members::Migration),
            Box::new(m20261122_000003_orders::Migration),
            Box::new(m20261122_000004_entitlements::Migration),
            Box::new(m20261122_000005_webhooks::Migration),
            Box::new(m20261122_000006_expiry_speed::Migration),
            Box::new(m20261122_000007_renewals::Migration),
            Box::new(m20261122_000008_job_runs::Migration),
            Box::new(m20261122_000009_charge_run::Migration),
            Box::new(m20261122_000010_instance_metadata::Migration),
            Box::new(m20261202_000011_amount_bounds::Migration),
            Box::new(m20261202_000012_job_run_requests::Migration),
            Box::new(m20261202_000013_job_run_heartbeat::Migration),
            Box::new(m20261202_000014_simulated_gateway::Migration),
            Box::new(m20261202_000015_delivery_lease_owner::Migration),
            Box::new(m20261203_000016_operations::Migration),
            Box::new(m20261203_000017_catalog_admin::Migration),
            Box::new(m20261203_000018_renewal_skips::Migration),
            Box::new(m20261203_000019_simulated_refunds::Migration),
            Box::new(m20261203_000020_order_refunds::Migration),
            Box::new(m20261203_000021_renewal_cancellations::Migration),
            Box::new(m20261203_000022_order_returns::Migration),
            Box::new(m20261203_000023_delivery_suspensions::Migration),
            Box::new(m20261203_000024_applied_changes::Migration),
            Box::new(m20261204_000025_console_sessions::Migration),
            Box::new(m20261204_000026_erp_transfer::Migration),
            Box::new(m20261204_000027_shipments::Migration),
            Box::new(m20261204_000028_channel_orders::Migration),
            Box::new(m20261204_000029_customer_contacts::Migration),
            Box::new(m20261204_000030_sealed_tokens::Migration),
            Box::new(m20261206_000031_capture_reconcile::Migration),
        ]
    }
}

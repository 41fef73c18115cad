//! Makes the daily expiry (R10) cheap on PostgreSQL:
//!
//! - `subscribe_status` leaves every index, so moving an entitlement from CURRENT to LAPSED is a HOT update
//!   (no index is touched), and the table keeps 15 % of each page free for those updates. The expiry scans
//!   the table once a day; it no longer needs an index on the status.
//! - `events.event_id` (a random UUID) loses its unique index: inserting a million random keys into a B-tree
//!   cost more than the rest of the expiry. Event ids are generated, never looked up; `id` orders the log.
//!
//! SQLite keeps its unique column constraint (it cannot drop it without rebuilding the table) and is not
//! where large expiries run.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum Entitlements {
    Table,
    SubscribeStatus,
    RightDueDate,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop().name("ix_entitlements_status_due").table(Entitlements::Table).to_owned(),
            )
            .await?;
        if manager.get_database_backend() == sea_orm::DbBackend::Postgres {
            let db = manager.get_connection();
            db.execute_unprepared("ALTER TABLE entitlements SET (fillfactor = 85)").await?;
            db.execute_unprepared("ALTER TABLE events DROP CONSTRAINT IF EXISTS events_event_id_key").await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name("ix_entitlements_status_due")
                    .table(Entitlements::Table)
                    .col(Entitlements::SubscribeStatus)
                    .col(Entitlements::RightDueDate)
                    .to_owned(),
            )
            .await
    }
}

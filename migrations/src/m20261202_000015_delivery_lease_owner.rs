//! Webhook deliveries name the dispatcher round that holds their lease: the round renews its lease while
//! it works, and only the holder records a delivery's outcome (a fencing token), so a round that outlives
//! its first lease no longer has its deliveries sent a second time by another instance.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum WebhookDeliveries {
    Table,
    LeaseOwner,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(WebhookDeliveries::Table)
                    .add_column(string_len_null(WebhookDeliveries::LeaseOwner, 64))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(WebhookDeliveries::Table)
                    .drop_column(WebhookDeliveries::LeaseOwner)
                    .to_owned(),
            )
            .await
    }
}

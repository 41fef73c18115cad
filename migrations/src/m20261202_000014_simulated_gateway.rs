//! The simulated gateway's ledger (SPEC §5): one row per idempotency key it charged, kept in the database
//! as a real gateway keeps its own, so a lost answer can be looked up from any process — the server's
//! scheduler, a `runJob`, the CLI or another instance.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum SimulatedCharges {
    Table,
    IdempotencyKey,
    Amount,
    Approved,
    TransactionId,
    Reason,
    CreatedAt,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(SimulatedCharges::Table)
                    .col(string_len(SimulatedCharges::IdempotencyKey, 128).primary_key())
                    .col(big_integer(SimulatedCharges::Amount))
                    .col(boolean(SimulatedCharges::Approved))
                    .col(string_len_null(SimulatedCharges::TransactionId, 64))
                    .col(string_len_null(SimulatedCharges::Reason, 64))
                    .col(timestamp_with_time_zone(SimulatedCharges::CreatedAt))
                    .col(timestamp_with_time_zone(SimulatedCharges::UpdatedAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(SimulatedCharges::Table).to_owned()).await
    }
}

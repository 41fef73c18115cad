//! The simulated gateway's refund ledger (R19, SPEC §5): one row per refund idempotency key it decided,
//! beside its charges, so a repeated key answers the first decision and a lost answer can be looked up.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum SimulatedRefunds {
    Table,
    IdempotencyKey,
    TransactionId,
    Amount,
    Refunded,
    RefundId,
    Reason,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(SimulatedRefunds::Table)
                    .col(string_len(SimulatedRefunds::IdempotencyKey, 128).primary_key())
                    .col(string_len(SimulatedRefunds::TransactionId, 128))
                    .col(big_integer(SimulatedRefunds::Amount))
                    .col(boolean(SimulatedRefunds::Refunded))
                    .col(string_len_null(SimulatedRefunds::RefundId, 64))
                    .col(string_len_null(SimulatedRefunds::Reason, 64))
                    .col(timestamp_with_time_zone(SimulatedRefunds::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_simulated_refunds_transaction")
                    .table(SimulatedRefunds::Table)
                    .col(SimulatedRefunds::TransactionId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(SimulatedRefunds::Table).to_owned()).await
    }
}

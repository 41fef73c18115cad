//! Refunds of an order's payment (R19): one intent per idempotency key, written before the gateway is
//! asked, so a lost answer is settled by lookup and the refunds of an order never exceed what was paid.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum OrderRefunds {
    Table,
    Id,
    OrderId,
    IdempotencyKey,
    TransactionId,
    Amount,
    Reason,
    Status,
    RefundId,
    DeclineReason,
    CreatedAt,
    SettledAt,
}

#[derive(DeriveIden)]
enum Orders {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(OrderRefunds::Table)
                    .col(big_pk_auto(OrderRefunds::Id))
                    .col(big_integer(OrderRefunds::OrderId))
                    .col(string_len(OrderRefunds::IdempotencyKey, 200).unique_key())
                    .col(string_len(OrderRefunds::TransactionId, 128))
                    .col(big_integer(OrderRefunds::Amount))
                    .col(string_len(OrderRefunds::Reason, 500))
                    .col(string_len(OrderRefunds::Status, 16))
                    .col(string_len_null(OrderRefunds::RefundId, 128))
                    .col(string_len_null(OrderRefunds::DeclineReason, 300))
                    .col(timestamp_with_time_zone(OrderRefunds::CreatedAt))
                    .col(timestamp_with_time_zone_null(OrderRefunds::SettledAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(OrderRefunds::Table, OrderRefunds::OrderId)
                            .to(Orders::Table, Orders::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_order_refunds_order")
                    .table(OrderRefunds::Table)
                    .col(OrderRefunds::OrderId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(OrderRefunds::Table).to_owned()).await
    }
}

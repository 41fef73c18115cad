//! The operators' console (SPEC §6): its login sessions and one-time login links, by the SHA-256 of their
//! secret (the secret itself is only in the operator's cookie or link), so a copy of the database logs
//! nobody in.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum ConsoleSessions {
    Table,
    KeyHash,
    Kind,
    Subject,
    Csrf,
    ExpiresAt,
    UsedAt,
    CreatedAt,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ConsoleSessions::Table)
                    .col(string_len(ConsoleSessions::KeyHash, 64).primary_key())
                    .col(
                        string_len(ConsoleSessions::Kind, 16)
                            .check(Expr::col(ConsoleSessions::Kind).is_in(["SESSION", "LINK"])),
                    )
                    .col(string_len(ConsoleSessions::Subject, 200))
                    .col(string_len_null(ConsoleSessions::Csrf, 64))
                    .col(timestamp_with_time_zone(ConsoleSessions::ExpiresAt))
                    .col(timestamp_with_time_zone_null(ConsoleSessions::UsedAt))
                    .col(timestamp_with_time_zone(ConsoleSessions::CreatedAt))
                    .col(timestamp_with_time_zone(ConsoleSessions::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_console_sessions_expires")
                    .table(ConsoleSessions::Table)
                    .col(ConsoleSessions::ExpiresAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(ConsoleSessions::Table).to_owned()).await
    }
}

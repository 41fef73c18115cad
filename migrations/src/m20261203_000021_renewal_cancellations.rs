//! Subscription cancellations (R20): why a renewal was cancelled — one of a fixed list — and the payer's
//! or operator's words.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum Renewals {
    Table,
    CancelReason,
    CancelNote,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters one at a time.
        for mut column in
            [string_len_null(Renewals::CancelReason, 16), string_len_null(Renewals::CancelNote, 500)]
        {
            manager
                .alter_table(Table::alter().table(Renewals::Table).add_column(&mut column).to_owned())
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [Renewals::CancelNote, Renewals::CancelReason] {
            manager.alter_table(Table::alter().table(Renewals::Table).drop_column(column).to_owned()).await?;
        }
        Ok(())
    }
}

//! Subscription changes (R20): a renewal's skip — the deduct date it had before (`skip_anchor`) and how
//! many monthly cycles are skipped from it — so a resume can undo the rest and R5 can move the anchor.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum Renewals {
    Table,
    SkipAnchor,
    SkippedCycles,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters one at a time.
        manager
            .alter_table(
                Table::alter().table(Renewals::Table).add_column(date_null(Renewals::SkipAnchor)).to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Renewals::Table)
                    .add_column(integer(Renewals::SkippedCycles).default(0))
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [Renewals::SkippedCycles, Renewals::SkipAnchor] {
            manager.alter_table(Table::alter().table(Renewals::Table).drop_column(column).to_owned()).await?;
        }
        Ok(())
    }
}

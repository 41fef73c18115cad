//! Who asked for a job run, and whether it was forced past the far-future guard: an admin's `runJob`
//! (its token's subject), `platform jobs run` (`cli:<user>`), or the server's schedule (`schedule`).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum JobRuns {
    Table,
    RequestedBy,
    Forced,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite adds one column per statement.
        manager
            .alter_table(
                Table::alter()
                    .table(JobRuns::Table)
                    .add_column(string_len_null(JobRuns::RequestedBy, 200))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(JobRuns::Table)
                    .add_column(boolean(JobRuns::Forced).default(false))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [JobRuns::RequestedBy, JobRuns::Forced] {
            manager.alter_table(Table::alter().table(JobRuns::Table).drop_column(column).to_owned()).await?;
        }
        Ok(())
    }
}

//! Subscription changes applied from a file (R20 `import subscription-changes`, R14): one row per change
//! applied, by its key, so a re-run of the file changes nothing twice (a skip adds cycles each time it is
//! applied).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum AppliedChanges {
    Table,
    ChangeKey,
    AppliedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(AppliedChanges::Table)
                    .col(string_len(AppliedChanges::ChangeKey, 400).primary_key())
                    .col(timestamp_with_time_zone(AppliedChanges::AppliedAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(AppliedChanges::Table).to_owned()).await
    }
}

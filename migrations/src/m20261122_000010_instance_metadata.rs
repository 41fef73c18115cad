//! Facts about the database itself, as key/value rows: `environment` (`production`, `staging`,
//! `development`) guards destructive commands such as `anonymize` (R15), the way Rails'
//! `ar_internal_metadata` does; `anonymized_at` records when a copy was masked.

use crate::m20261122_000001_catalog::timestamps;
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum InstanceMetadata {
    Table,
    Key,
    Value,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                timestamps(
                    Table::create()
                        .table(InstanceMetadata::Table)
                        .col(string_len(InstanceMetadata::Key, 64).primary_key())
                        .col(string_len(InstanceMetadata::Value, 200)),
                )
                .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(InstanceMetadata::Table).to_owned()).await
    }
}

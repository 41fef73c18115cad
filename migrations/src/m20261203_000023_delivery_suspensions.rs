//! Delivery suspensions (R20, seed 000 おやすみ for print): a holder's magazine held for some issues from a
//! volume on; the term grows by them. One row per suspension; resuming early keeps only the issues already
//! held.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum EntitlementSuspensions {
    Table,
    Id,
    EntitlementId,
    FromVolume,
    Issues,
    Reason,
    CreatedAt,
    ResumedAt,
}

#[derive(DeriveIden)]
enum Entitlements {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(EntitlementSuspensions::Table)
                    .col(big_pk_auto(EntitlementSuspensions::Id))
                    .col(big_integer(EntitlementSuspensions::EntitlementId))
                    .col(integer(EntitlementSuspensions::FromVolume))
                    .col(
                        integer(EntitlementSuspensions::Issues)
                            .check(Expr::col(EntitlementSuspensions::Issues).gte(0)),
                    )
                    .col(string_len_null(EntitlementSuspensions::Reason, 500))
                    .col(timestamp_with_time_zone(EntitlementSuspensions::CreatedAt))
                    .col(timestamp_with_time_zone_null(EntitlementSuspensions::ResumedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(EntitlementSuspensions::Table, EntitlementSuspensions::EntitlementId)
                            .to(Entitlements::Table, Entitlements::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_suspensions_entitlement")
                    .table(EntitlementSuspensions::Table)
                    .col(EntitlementSuspensions::EntitlementId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(EntitlementSuspensions::Table).to_owned()).await
    }
}

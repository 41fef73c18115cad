//! One row per job run (R13): what ran, as of which business date, how it ended, with counts.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum JobRuns {
    Table,
    Id,
    Name,
    AsOf,
    Status,
    StartedAt,
    FinishedAt,
    Processed,
    Failed,
    Error,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(JobRuns::Table)
                    .col(big_integer(JobRuns::Id).auto_increment().primary_key())
                    .col(string_len(JobRuns::Name, 32))
                    .col(date(JobRuns::AsOf))
                    .col(string_len(JobRuns::Status, 12).check(Expr::col(JobRuns::Status).is_in([
                        "RUNNING",
                        "SUCCEEDED",
                        "FAILED",
                    ])))
                    .col(timestamp_with_time_zone(JobRuns::StartedAt))
                    .col(timestamp_with_time_zone_null(JobRuns::FinishedAt))
                    .col(big_integer(JobRuns::Processed).default(0))
                    .col(big_integer(JobRuns::Failed).default(0))
                    .col(string_len_null(JobRuns::Error, 500))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_job_runs_name")
                    .table(JobRuns::Table)
                    .col(JobRuns::Name)
                    .col(JobRuns::Id)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(JobRuns::Table).to_owned()).await
    }
}

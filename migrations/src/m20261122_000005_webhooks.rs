//! Webhook endpoints and their deliveries of the event log (R12).

use crate::m20261122_000001_catalog::one_of;
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum WebhookEndpoints {
    Table,
    Id,
    Url,
    EventTypes,
    Secret,
    PreviousSecret,
    PreviousSecretUntil,
    Status,
    DisabledReason,
    StartEventId,
    LastEventId,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum WebhookDeliveries {
    Table,
    Id,
    EndpointId,
    EventId,
    Subject,
    Status,
    Attempts,
    NextAttemptAt,
    LockedUntil,
    LastStatusCode,
    LastError,
    DeliveredAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Events {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(WebhookEndpoints::Table)
                    .col(big_integer(WebhookEndpoints::Id).auto_increment().primary_key())
                    .col(string_len(WebhookEndpoints::Url, 2048))
                    .col(text(WebhookEndpoints::EventTypes))
                    .col(string_len(WebhookEndpoints::Secret, 128))
                    .col(string_len_null(WebhookEndpoints::PreviousSecret, 128))
                    .col(timestamp_with_time_zone_null(WebhookEndpoints::PreviousSecretUntil))
                    .col(
                        string_len(WebhookEndpoints::Status, 8)
                            .check(one_of(WebhookEndpoints::Status, &["ACTIVE", "DISABLED"])),
                    )
                    .col(string_len_null(WebhookEndpoints::DisabledReason, 300))
                    // Events after this id are for this endpoint; the cursor of the fan-out.
                    .col(big_integer(WebhookEndpoints::StartEventId))
                    .col(big_integer(WebhookEndpoints::LastEventId))
                    .col(timestamp_with_time_zone(WebhookEndpoints::CreatedAt))
                    .col(timestamp_with_time_zone(WebhookEndpoints::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(WebhookDeliveries::Table)
                    .col(big_integer(WebhookDeliveries::Id).auto_increment().primary_key())
                    .col(big_integer(WebhookDeliveries::EndpointId))
                    .col(big_integer(WebhookDeliveries::EventId))
                    .col(string_len(WebhookDeliveries::Subject, 128))
                    .col(string_len(WebhookDeliveries::Status, 12).check(one_of(
                        WebhookDeliveries::Status,
                        &["PENDING", "FAILED", "DELIVERED", "DEAD"],
                    )))
                    .col(integer(WebhookDeliveries::Attempts).default(0))
                    .col(timestamp_with_time_zone(WebhookDeliveries::NextAttemptAt))
                    .col(timestamp_with_time_zone_null(WebhookDeliveries::LockedUntil))
                    .col(integer_null(WebhookDeliveries::LastStatusCode))
                    .col(string_len_null(WebhookDeliveries::LastError, 500))
                    .col(timestamp_with_time_zone_null(WebhookDeliveries::DeliveredAt))
                    .col(timestamp_with_time_zone(WebhookDeliveries::CreatedAt))
                    .col(timestamp_with_time_zone(WebhookDeliveries::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_deliveries_endpoint")
                            .from(WebhookDeliveries::Table, WebhookDeliveries::EndpointId)
                            .to(WebhookEndpoints::Table, WebhookEndpoints::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_deliveries_event")
                            .from(WebhookDeliveries::Table, WebhookDeliveries::EventId)
                            .to(Events::Table, Events::Id),
                    )
                    .to_owned(),
            )
            .await?;
        // One delivery per endpoint and event, whatever the number of dispatchers.
        manager
            .create_index(
                Index::create()
                    .name("ux_deliveries_endpoint_event")
                    .table(WebhookDeliveries::Table)
                    .col(WebhookDeliveries::EndpointId)
                    .col(WebhookDeliveries::EventId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        // The claim: due deliveries in order, and "is an earlier one of this subject still open?".
        manager
            .create_index(
                Index::create()
                    .name("ix_deliveries_due")
                    .table(WebhookDeliveries::Table)
                    .col(WebhookDeliveries::Status)
                    .col(WebhookDeliveries::NextAttemptAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_deliveries_subject")
                    .table(WebhookDeliveries::Table)
                    .col(WebhookDeliveries::EndpointId)
                    .col(WebhookDeliveries::Subject)
                    .col(WebhookDeliveries::EventId)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [WebhookDeliveries::Table.into_iden(), WebhookEndpoints::Table.into_iden()] {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}

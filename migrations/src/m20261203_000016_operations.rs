//! Operations (R16, R17): the follow-up queue and its notes, alert episodes, once-only posts (the daily
//! report, the failed-charges list), each job's last tick, and the format of a webhook endpoint (Slack's
//! incoming webhook is an endpoint of its own format, delivered by the same dispatcher).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum FollowUps {
    Table,
    Id,
    Kind,
    Subject,
    Priority,
    Status,
    Summary,
    Detail,
    Assignee,
    Resolution,
    OpenKey,
    OpenedAt,
    DueAt,
    UpdatedAt,
    ClosedAt,
}

#[derive(DeriveIden)]
enum FollowUpNotes {
    Table,
    Id,
    FollowUpId,
    Author,
    Body,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Alerts {
    Table,
    Id,
    Rule,
    Priority,
    Status,
    Message,
    OpenKey,
    RaisedAt,
    ResolvedAt,
    FollowUpId,
}

#[derive(DeriveIden)]
enum OpsPosts {
    Table,
    Key,
    CreatedAt,
}

#[derive(DeriveIden)]
enum JobTicks {
    Table,
    Name,
    LastOkAt,
    LastFailedAt,
    LastError,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum WebhookEndpoints {
    Table,
    Format,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(FollowUps::Table)
                    .col(big_pk_auto(FollowUps::Id))
                    .col(string_len(FollowUps::Kind, 32))
                    .col(string_len(FollowUps::Subject, 240))
                    .col(string_len(FollowUps::Priority, 8))
                    .col(string_len(FollowUps::Status, 16))
                    .col(string_len(FollowUps::Summary, 500))
                    .col(text(FollowUps::Detail))
                    .col(string_len_null(FollowUps::Assignee, 200))
                    .col(string_len_null(FollowUps::Resolution, 4000))
                    .col(string_len_null(FollowUps::OpenKey, 280).unique_key())
                    .col(timestamp_with_time_zone(FollowUps::OpenedAt))
                    .col(timestamp_with_time_zone(FollowUps::DueAt))
                    .col(timestamp_with_time_zone(FollowUps::UpdatedAt))
                    .col(timestamp_with_time_zone_null(FollowUps::ClosedAt))
                    .to_owned(),
            )
            .await?;
        for (name, cols) in [
            ("ix_follow_ups_status_due", vec![FollowUps::Status, FollowUps::DueAt, FollowUps::Id]),
            ("ix_follow_ups_opened", vec![FollowUps::OpenedAt]),
            ("ix_follow_ups_closed", vec![FollowUps::ClosedAt]),
            ("ix_follow_ups_subject", vec![FollowUps::Subject]),
        ] {
            let mut index = Index::create();
            index.name(name).table(FollowUps::Table);
            for col in cols {
                index.col(col);
            }
            manager.create_index(index.to_owned()).await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(FollowUpNotes::Table)
                    .col(big_pk_auto(FollowUpNotes::Id))
                    .col(big_integer(FollowUpNotes::FollowUpId))
                    .col(string_len(FollowUpNotes::Author, 200))
                    .col(string_len(FollowUpNotes::Body, 4000))
                    .col(timestamp_with_time_zone(FollowUpNotes::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(FollowUpNotes::Table, FollowUpNotes::FollowUpId)
                            .to(FollowUps::Table, FollowUps::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_follow_up_notes_follow_up")
                    .table(FollowUpNotes::Table)
                    .col(FollowUpNotes::FollowUpId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Alerts::Table)
                    .col(big_pk_auto(Alerts::Id))
                    .col(string_len(Alerts::Rule, 80))
                    .col(string_len(Alerts::Priority, 8))
                    .col(string_len(Alerts::Status, 16))
                    .col(string_len(Alerts::Message, 1000))
                    .col(string_len_null(Alerts::OpenKey, 80).unique_key())
                    .col(timestamp_with_time_zone(Alerts::RaisedAt))
                    .col(timestamp_with_time_zone_null(Alerts::ResolvedAt))
                    .col(big_integer_null(Alerts::FollowUpId))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_alerts_raised")
                    .table(Alerts::Table)
                    .col(Alerts::RaisedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(OpsPosts::Table)
                    .col(string_len(OpsPosts::Key, 120).primary_key())
                    .col(timestamp_with_time_zone(OpsPosts::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(JobTicks::Table)
                    .col(string_len(JobTicks::Name, 40).primary_key())
                    .col(timestamp_with_time_zone_null(JobTicks::LastOkAt))
                    .col(timestamp_with_time_zone_null(JobTicks::LastFailedAt))
                    .col(string_len_null(JobTicks::LastError, 500))
                    .col(timestamp_with_time_zone(JobTicks::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(WebhookEndpoints::Table)
                    .add_column(string_len(WebhookEndpoints::Format, 24).default("STANDARD_WEBHOOKS"))
                    .to_owned(),
            )
            .await?;
        let db = manager.get_connection();
        // One Slack endpoint per database (partial unique index: PostgreSQL and SQLite alike), and the
        // report's period scans (R16).
        for sql in [
            "CREATE UNIQUE INDEX ux_webhook_endpoints_slack ON webhook_endpoints (format) WHERE format = 'SLACK'",
            "CREATE INDEX ix_orders_created ON orders (created_at)",
            "CREATE INDEX ix_renewal_charges_settled ON renewal_charges (settled_at)",
            "CREATE INDEX ix_renewals_deduct ON renewals (deduct_date)",
            "CREATE INDEX ix_grants_granted ON entitlement_grants (granted_at)",
            "CREATE INDEX ix_events_type_occurred ON events (event_type, occurred_at)",
            "CREATE INDEX ix_deliveries_updated ON webhook_deliveries (updated_at)",
            "CREATE INDEX ix_deliveries_delivered ON webhook_deliveries (delivered_at)",
            "CREATE INDEX ix_emails_sent ON emails (sent_at)",
        ] {
            db.execute_unprepared(sql).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for index in [
            "ux_webhook_endpoints_slack",
            "ix_orders_created",
            "ix_renewal_charges_settled",
            "ix_renewals_deduct",
            "ix_grants_granted",
            "ix_events_type_occurred",
            "ix_deliveries_updated",
            "ix_deliveries_delivered",
            "ix_emails_sent",
        ] {
            db.execute_unprepared(&format!("DROP INDEX IF EXISTS {index}")).await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(WebhookEndpoints::Table)
                    .drop_column(WebhookEndpoints::Format)
                    .to_owned(),
            )
            .await?;
        for table in [
            JobTicks::Table.into_iden(),
            OpsPosts::Table.into_iden(),
            Alerts::Table.into_iden(),
            FollowUpNotes::Table.into_iden(),
            FollowUps::Table.into_iden(),
        ] {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}

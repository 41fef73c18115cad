//! The renewal charge run (R7–R9) and the e-mail outbox (R12):
//! - `renewals` gains the lease columns of the claim, the attempt count, the retry schedule, the notice
//!   marker, the AUTO order of the current cycle, and the receiver/invoice copied from the origin order; a
//!   renewal per creation key at most (R7 creates one per order, the charge run one next cycle per
//!   renewal; manual renewals have none).
//! - `renewal_charges`: the charge intent, written with its idempotency key before the gateway is called,
//!   settled afterwards (UNKNOWN when the answer was lost, until the reconciler asks the gateway).
//! - `emails`: the outbox of notices and charge results, unique per dedupe key, sent by the e-mail
//!   dispatcher.

use crate::m20261122_000001_catalog::one_of;
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum Renewals {
    Table,
    Id,
    CreationKey,
    LeaseOwner,
    LeaseUntil,
    Attempts,
    FailedOn,
    NextRetryOn,
    NoticeSentOn,
    ChargeOrderNo,
    Receiver,
    Invoice,
}

#[derive(DeriveIden)]
enum RenewalCharges {
    Table,
    Id,
    RenewalId,
    Attempt,
    IdempotencyKey,
    OrderNo,
    Amount,
    Status,
    TransactionId,
    Reason,
    CreatedAt,
    SettledAt,
}

#[derive(DeriveIden)]
enum Emails {
    Table,
    Id,
    Kind,
    DedupeKey,
    ToAddress,
    Regarding,
    Data,
    Status,
    Attempts,
    NextAttemptAt,
    LastError,
    CreatedAt,
    SentAt,
}

const CHARGE_STATUSES: [&str; 5] = ["PENDING", "UNKNOWN", "APPROVED", "DECLINED", "ERROR"];
const EMAIL_STATUSES: [&str; 4] = ["QUEUED", "SENT", "FAILED", "NO_ADDRESS"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite takes one column per ALTER TABLE.
        let columns = [
            string_len_null(Renewals::CreationKey, 64),
            string_len_null(Renewals::LeaseOwner, 64),
            timestamp_with_time_zone_null(Renewals::LeaseUntil),
            integer(Renewals::Attempts).default(0).to_owned(),
            date_null(Renewals::FailedOn),
            date_null(Renewals::NextRetryOn),
            date_null(Renewals::NoticeSentOn),
            string_len_null(Renewals::ChargeOrderNo, 24),
            text_null(Renewals::Receiver),
            text_null(Renewals::Invoice),
        ];
        for mut column in columns {
            manager
                .alter_table(Table::alter().table(Renewals::Table).add_column(&mut column).to_owned())
                .await?;
        }
        manager
            .create_index(
                Index::create()
                    .name("ux_renewals_creation_key")
                    .table(Renewals::Table)
                    .col(Renewals::CreationKey)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(RenewalCharges::Table)
                    .col(big_integer(RenewalCharges::Id).auto_increment().primary_key())
                    .col(big_integer(RenewalCharges::RenewalId))
                    .col(integer(RenewalCharges::Attempt))
                    .col(string_len_uniq(RenewalCharges::IdempotencyKey, 64))
                    .col(string_len(RenewalCharges::OrderNo, 24))
                    .col(big_integer(RenewalCharges::Amount))
                    .col(
                        string_len(RenewalCharges::Status, 12)
                            .check(one_of(RenewalCharges::Status, &CHARGE_STATUSES)),
                    )
                    .col(string_len_null(RenewalCharges::TransactionId, 128))
                    .col(string_len_null(RenewalCharges::Reason, 300))
                    .col(timestamp_with_time_zone(RenewalCharges::CreatedAt))
                    .col(timestamp_with_time_zone_null(RenewalCharges::SettledAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_renewal_charges_renewal")
                            .from(RenewalCharges::Table, RenewalCharges::RenewalId)
                            .to(Renewals::Table, Renewals::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_renewal_charges_attempt")
                    .table(RenewalCharges::Table)
                    .col(RenewalCharges::RenewalId)
                    .col(RenewalCharges::Attempt)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Emails::Table)
                    .col(big_integer(Emails::Id).auto_increment().primary_key())
                    .col(string_len(Emails::Kind, 32))
                    .col(string_len_uniq(Emails::DedupeKey, 128))
                    .col(string_len_null(Emails::ToAddress, 254))
                    .col(string_len(Emails::Regarding, 64))
                    .col(text(Emails::Data))
                    .col(string_len(Emails::Status, 12).check(one_of(Emails::Status, &EMAIL_STATUSES)))
                    .col(integer(Emails::Attempts).default(0))
                    .col(timestamp_with_time_zone(Emails::NextAttemptAt))
                    .col(string_len_null(Emails::LastError, 500))
                    .col(timestamp_with_time_zone(Emails::CreatedAt))
                    .col(timestamp_with_time_zone_null(Emails::SentAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_emails_status_next")
                    .table(Emails::Table)
                    .col(Emails::Status)
                    .col(Emails::NextAttemptAt)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(Emails::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(RenewalCharges::Table).to_owned()).await?;
        manager
            .drop_index(Index::drop().name("ux_renewals_creation_key").table(Renewals::Table).to_owned())
            .await
    }
}

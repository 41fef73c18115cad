//! Delayed capture and reconciliation (R23; seed 000 tasks 13–14, 仮売上→実売上, pre_orders):
//! - a paid payment's capture: `AUTHORISED` (gateway.capture = DELAYED) until `CAPTURE_PAYMENTS` makes it
//!   `CAPTURED` (for what is left after refunds) or `VOIDED` (its order cancelled or refunded whole);
//!   `CAPTURING` while the gateway is asked. Payments recorded before are `CAPTURED` for their amount;
//! - the simulated gateway's ledger keeps the same state, so it can capture, void and list a day's
//!   settlement as a real gateway does;
//! - one reconciliation report per business day, and what it found (a transaction with no payment, a
//!   payment with no transaction, an amount that differs), each kept so its follow-up opens once.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum Payments {
    Table,
    CaptureStatus,
    CapturedAmount,
    CapturedAt,
    PaidAt,
}

#[derive(DeriveIden)]
enum SimulatedCharges {
    Table,
    State,
    CapturedAmount,
    CapturedAt,
    TransactionId,
}

#[derive(DeriveIden)]
enum Reconciliations {
    Table,
    BusinessDate,
    Source,
    Transactions,
    Matched,
    Stray,
    Missing,
    Mismatched,
    SettledAmount,
    PaidAmount,
    RunAt,
}

#[derive(DeriveIden)]
enum ReconciliationItems {
    Table,
    Id,
    BusinessDate,
    Kind,
    TransactionId,
    OrderNo,
    Expected,
    Settled,
    FoundAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters one at a time.
        for mut column in [
            string_len_null(Payments::CaptureStatus, 16),
            big_integer_null(Payments::CapturedAmount),
            timestamp_with_time_zone_null(Payments::CapturedAt),
        ] {
            manager
                .alter_table(Table::alter().table(Payments::Table).add_column(&mut column).to_owned())
                .await?;
        }
        manager
            .get_connection()
            .execute_unprepared(
                "UPDATE payments SET capture_status = 'CAPTURED', captured_amount = amount, captured_at = paid_at \
                 WHERE status = 'PAID'",
            )
            .await?;
        for (name, column) in
            [("ix_payments_capture", Payments::CaptureStatus), ("ix_payments_paid_at", Payments::PaidAt)]
        {
            manager
                .create_index(Index::create().name(name).table(Payments::Table).col(column).to_owned())
                .await?;
        }
        for mut column in [
            string_len(SimulatedCharges::State, 16).default("CAPTURED").to_owned(),
            big_integer_null(SimulatedCharges::CapturedAmount),
            timestamp_with_time_zone_null(SimulatedCharges::CapturedAt),
        ] {
            manager
                .alter_table(Table::alter().table(SimulatedCharges::Table).add_column(&mut column).to_owned())
                .await?;
        }
        manager
            .get_connection()
            .execute_unprepared(
                "UPDATE simulated_charges SET captured_amount = amount, captured_at = created_at WHERE approved",
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_simulated_charges_transaction")
                    .table(SimulatedCharges::Table)
                    .col(SimulatedCharges::TransactionId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Reconciliations::Table)
                    .col(date(Reconciliations::BusinessDate).primary_key())
                    .col(string_len(Reconciliations::Source, 16))
                    .col(big_integer(Reconciliations::Transactions))
                    .col(big_integer(Reconciliations::Matched))
                    .col(big_integer(Reconciliations::Stray))
                    .col(big_integer(Reconciliations::Missing))
                    .col(big_integer(Reconciliations::Mismatched))
                    .col(big_integer(Reconciliations::SettledAmount))
                    .col(big_integer(Reconciliations::PaidAmount))
                    .col(timestamp_with_time_zone(Reconciliations::RunAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ReconciliationItems::Table)
                    .col(big_integer(ReconciliationItems::Id).auto_increment().primary_key())
                    .col(date(ReconciliationItems::BusinessDate))
                    .col(string_len(ReconciliationItems::Kind, 16))
                    .col(string_len(ReconciliationItems::TransactionId, 128))
                    .col(string_len_null(ReconciliationItems::OrderNo, 40))
                    .col(big_integer_null(ReconciliationItems::Expected))
                    .col(big_integer_null(ReconciliationItems::Settled))
                    .col(timestamp_with_time_zone(ReconciliationItems::FoundAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_reconciliation_items")
                    .table(ReconciliationItems::Table)
                    .col(ReconciliationItems::Kind)
                    .col(ReconciliationItems::TransactionId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_reconciliation_items_date")
                    .table(ReconciliationItems::Table)
                    .col(ReconciliationItems::BusinessDate)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [ReconciliationItems::Table.into_iden(), Reconciliations::Table.into_iden()] {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        manager
            .drop_index(
                Index::drop()
                    .name("ix_simulated_charges_transaction")
                    .table(SimulatedCharges::Table)
                    .to_owned(),
            )
            .await?;
        for column in
            [SimulatedCharges::State, SimulatedCharges::CapturedAmount, SimulatedCharges::CapturedAt]
        {
            manager
                .alter_table(Table::alter().table(SimulatedCharges::Table).drop_column(column).to_owned())
                .await?;
        }
        for name in ["ix_payments_capture", "ix_payments_paid_at"] {
            manager.drop_index(Index::drop().name(name).table(Payments::Table).to_owned()).await?;
        }
        for column in [Payments::CaptureStatus, Payments::CapturedAmount, Payments::CapturedAt] {
            manager.alter_table(Table::alter().table(Payments::Table).drop_column(column).to_owned()).await?;
        }
        Ok(())
    }
}

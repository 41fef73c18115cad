//! Cancellations and returns of orders (R19): when and why an order was cancelled, how much of each line
//! came back, one row per cancellation or return (its key makes a retry answer the first), its lines, and
//! the grant ledger's REVOKE rows pointing at the line they take back.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend, Statement, TransactionTrait};

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum Orders {
    Table,
    Id,
    CancelledAt,
    CancelReason,
}

#[derive(DeriveIden)]
enum OrderLines {
    Table,
    Id,
    ReturnedQuantity,
}

#[derive(DeriveIden)]
enum EntitlementGrants {
    Table,
    RevokedLineId,
}

#[derive(DeriveIden)]
enum OrderReturns {
    Table,
    Id,
    OrderId,
    ReturnKey,
    Kind,
    RefundAmount,
    ShippingRefund,
    SupplementaryCharge,
    Reason,
    RefundKey,
    CreatedAt,
}

#[derive(DeriveIden)]
enum OrderReturnLines {
    Table,
    Id,
    ReturnId,
    OrderLineId,
    Quantity,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        widen_status(manager, "orders", &["CREATED", "CONFIRMED"], &["CANCELLED"]).await?;
        widen_status(manager, "order_lines", &["CONFIRMED"], &["PART_RETURNED", "RETURNED", "CANCELLED"])
            .await?;
        // One column per statement: SQLite alters one at a time.
        for mut column in
            [timestamp_with_time_zone_null(Orders::CancelledAt), string_len_null(Orders::CancelReason, 500)]
        {
            manager
                .alter_table(Table::alter().table(Orders::Table).add_column(&mut column).to_owned())
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(OrderLines::Table)
                    .add_column(integer(OrderLines::ReturnedQuantity).default(0))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(EntitlementGrants::Table)
                    .add_column(big_integer_null(EntitlementGrants::RevokedLineId))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_grants_revoked_line")
                    .table(EntitlementGrants::Table)
                    .col(EntitlementGrants::RevokedLineId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(OrderReturns::Table)
                    .col(big_pk_auto(OrderReturns::Id))
                    .col(big_integer(OrderReturns::OrderId))
                    .col(string_len(OrderReturns::ReturnKey, 200).unique_key())
                    .col(string_len(OrderReturns::Kind, 8))
                    .col(big_integer(OrderReturns::RefundAmount))
                    .col(big_integer(OrderReturns::ShippingRefund))
                    .col(big_integer(OrderReturns::SupplementaryCharge))
                    .col(string_len(OrderReturns::Reason, 500))
                    .col(string_len_null(OrderReturns::RefundKey, 200))
                    .col(timestamp_with_time_zone(OrderReturns::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(OrderReturns::Table, OrderReturns::OrderId)
                            .to(Orders::Table, Orders::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_order_returns_order")
                    .table(OrderReturns::Table)
                    .col(OrderReturns::OrderId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(OrderReturnLines::Table)
                    .col(big_pk_auto(OrderReturnLines::Id))
                    .col(big_integer(OrderReturnLines::ReturnId))
                    .col(big_integer(OrderReturnLines::OrderLineId))
                    .col(integer(OrderReturnLines::Quantity))
                    .foreign_key(
                        ForeignKey::create()
                            .from(OrderReturnLines::Table, OrderReturnLines::ReturnId)
                            .to(OrderReturns::Table, OrderReturns::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(OrderReturnLines::Table, OrderReturnLines::OrderLineId)
                            .to(OrderLines::Table, OrderLines::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_order_return_lines_return")
                    .table(OrderReturnLines::Table)
                    .col(OrderReturnLines::ReturnId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // The widened status checks stay: rows may hold the new statuses.
        manager.drop_table(Table::drop().table(OrderReturnLines::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(OrderReturns::Table).to_owned()).await?;
        manager
            .drop_index(
                Index::drop().name("ix_grants_revoked_line").table(EntitlementGrants::Table).to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(EntitlementGrants::Table)
                    .drop_column(EntitlementGrants::RevokedLineId)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter().table(OrderLines::Table).drop_column(OrderLines::ReturnedQuantity).to_owned(),
            )
            .await?;
        for column in [Orders::CancelReason, Orders::CancelledAt] {
            manager.alter_table(Table::alter().table(Orders::Table).drop_column(column).to_owned()).await?;
        }
        Ok(())
    }
}

/// Lets `table.status` hold `added` besides `existing`. PostgreSQL replaces its named check; SQLite cannot
/// alter a check, so its stored table definition is edited as SQLite documents for changes that leave the
/// stored rows as they are ("Making Other Kinds Of Table Schema Changes": writable_schema, then a new
/// schema_version) — and the edit is verified.
pub(crate) async fn widen_status(
    manager: &SchemaManager<'_>,
    table: &str,
    existing: &[&str],
    added: &[&str],
) -> Result<(), DbErr> {
    let conn = manager.get_connection();
    let list = |values: &[&str]| values.iter().map(|v| format!("'{v}'")).collect::<Vec<_>>().join(", ");
    let all: Vec<&str> = existing.iter().chain(added).copied().collect();
    match manager.get_database_backend() {
        DbBackend::Postgres => {
            conn.execute_unprepared(&format!(
                "ALTER TABLE {table} DROP CONSTRAINT {table}_status_check, \
                 ADD CONSTRAINT {table}_status_check CHECK (status IN ({}))",
                list(&all)
            ))
            .await?;
        }
        DbBackend::Sqlite => {
            // One connection for the pragmas and the edit.
            let conn = conn.begin().await?;
            let old = format!("CHECK (\"status\" IN ({}))", list(existing));
            let new = format!("CHECK (\"status\" IN ({}))", list(&all));
            let version = conn
                .query_one_raw(Statement::from_string(DbBackend::Sqlite, "PRAGMA schema_version"))
                .await?
                .map(|row| row.try_get_by_index::<i64>(0))
                .transpose()?
                .ok_or_else(|| DbErr::Migration("no schema_version".into()))?;
            let quote = |text: &str| text.replace('\'', "''");
            conn.execute_unprepared("PRAGMA writable_schema = ON").await?;
            conn.execute_unprepared(&format!(
                "UPDATE sqlite_master SET sql = replace(sql, '{}', '{}') WHERE type = 'table' AND name = '{table}'",
                quote(&old),
                quote(&new)
            ))
            .await?;
            conn.execute_unprepared(&format!("PRAGMA schema_version = {}", version + 1)).await?;
            conn.execute_unprepared("PRAGMA writable_schema = OFF").await?;
            let sql = conn
                .query_one_raw(Statement::from_string(
                    DbBackend::Sqlite,
                    format!("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = '{table}'"),
                ))
                .await?
                .map(|row| row.try_get_by_index::<String>(0))
                .transpose()?
                .unwrap_or_default();
            if !sql.contains(&new) {
                return Err(DbErr::Migration(format!("{table}: the status check was not widened")));
            }
            conn.commit().await?;
        }
        other => return Err(DbErr::Migration(format!("{other:?} is not supported"))),
    }
    Ok(())
}

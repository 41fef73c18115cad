//! Shipping status back from the ERP (R21, seed 004 ERP回傳配送狀態, seed 000 発送済取込): each shipment of an
//! order (its carrier and tracking number, when, which lines and how many units), how many units of each
//! line have shipped, lines and orders SHIPPED, and which shipments the daily shipping notice has told
//! their receiver about (seed 000 task 6: one e-mail per receiver per day).

use crate::m20261203_000022_order_returns::widen_status;
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum Orders {
    Table,
    Id,
    ShippedAt,
}

#[derive(DeriveIden)]
enum OrderLines {
    Table,
    Id,
    ShippedQuantity,
}

#[derive(DeriveIden)]
enum Shipments {
    Table,
    Id,
    OrderId,
    ShipmentKey,
    Carrier,
    TrackingNo,
    ShippedAt,
    ReceiverEmail,
    NotifiedAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum ShipmentLines {
    Table,
    Id,
    ShipmentId,
    OrderLineId,
    Quantity,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        widen_status(manager, "orders", &["CREATED", "CONFIRMED", "CANCELLED"], &["SHIPPED"]).await?;
        widen_status(
            manager,
            "order_lines",
            &["CONFIRMED", "PART_RETURNED", "RETURNED", "CANCELLED"],
            &["SHIPPED"],
        )
        .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Orders::Table)
                    .add_column(timestamp_with_time_zone_null(Orders::ShippedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(OrderLines::Table)
                    .add_column(integer(OrderLines::ShippedQuantity).default(0))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Shipments::Table)
                    .col(big_integer(Shipments::Id).auto_increment().primary_key())
                    .col(big_integer(Shipments::OrderId))
                    .col(string_len(Shipments::ShipmentKey, 200).unique_key())
                    .col(string_len(Shipments::Carrier, 40))
                    .col(string_len(Shipments::TrackingNo, 80))
                    .col(timestamp_with_time_zone(Shipments::ShippedAt))
                    .col(string_len_null(Shipments::ReceiverEmail, 320))
                    .col(timestamp_with_time_zone_null(Shipments::NotifiedAt))
                    .col(timestamp_with_time_zone(Shipments::CreatedAt))
                    .col(timestamp_with_time_zone(Shipments::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_shipments_order")
                            .from(Shipments::Table, Shipments::OrderId)
                            .to(Orders::Table, Orders::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_shipments_to_notify")
                    .table(Shipments::Table)
                    .col(Shipments::NotifiedAt)
                    .col(Shipments::ShippedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ShipmentLines::Table)
                    .col(big_integer(ShipmentLines::Id).auto_increment().primary_key())
                    .col(big_integer(ShipmentLines::ShipmentId))
                    .col(big_integer(ShipmentLines::OrderLineId))
                    .col(integer(ShipmentLines::Quantity).check(Expr::col(ShipmentLines::Quantity).gt(0)))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_shipment_lines_shipment")
                            .from(ShipmentLines::Table, ShipmentLines::ShipmentId)
                            .to(Shipments::Table, Shipments::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_shipment_lines_line")
                            .from(ShipmentLines::Table, ShipmentLines::OrderLineId)
                            .to(OrderLines::Table, OrderLines::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_shipment_lines_shipment")
                    .table(ShipmentLines::Table)
                    .col(ShipmentLines::ShipmentId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(ShipmentLines::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(Shipments::Table).to_owned()).await
    }
}

//! Order transfer to the ERP (R21, seed 004 付款成功後流程 T02): when an order became ready for the ERP (paid,
//! its entitlements computed: `order.ready` emitted once), and the ERP's own order number once it confirmed
//! the transfer (unique: one ERP order is one of ours).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum Orders {
    Table,
    ReadyAt,
    ErpOrderNo,
    ErpConfirmedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters one at a time.
        for mut column in [
            timestamp_with_time_zone_null(Orders::ReadyAt),
            string_len_null(Orders::ErpOrderNo, 40),
            timestamp_with_time_zone_null(Orders::ErpConfirmedAt),
        ] {
            manager
                .alter_table(Table::alter().table(Orders::Table).add_column(&mut column).to_owned())
                .await?;
        }
        manager
            .create_index(
                Index::create()
                    .name("ux_orders_erp_order_no")
                    .table(Orders::Table)
                    .col(Orders::ErpOrderNo)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create().name("ix_orders_ready").table(Orders::Table).col(Orders::ReadyAt).to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for name in ["ix_orders_ready", "ux_orders_erp_order_no"] {
            manager.drop_index(Index::drop().name(name).table(Orders::Table).to_owned()).await?;
        }
        for column in [Orders::ReadyAt, Orders::ErpOrderNo, Orders::ErpConfirmedAt] {
            manager.alter_table(Table::alter().table(Orders::Table).drop_column(column).to_owned()).await?;
        }
        Ok(())
    }
}

//! Channel orders (R21, seed 004 APP 訂閱 / 91APP): the channel's own id of an order (an app store's
//! original transaction id), unique per source, so the IAP server's retries and store renewals find the
//! order they belong to.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum Orders {
    Table,
    Source,
    ChannelOrderId,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Orders::Table)
                    .add_column(string_len_null(Orders::ChannelOrderId, 128))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_orders_channel_order")
                    .table(Orders::Table)
                    .col(Orders::Source)
                    .col(Orders::ChannelOrderId)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(Index::drop().name("ux_orders_channel_order").table(Orders::Table).to_owned())
            .await?;
        manager
            .alter_table(Table::alter().table(Orders::Table).drop_column(Orders::ChannelOrderId).to_owned())
            .await
    }
}

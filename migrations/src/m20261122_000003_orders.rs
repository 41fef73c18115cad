//! Orders (訂單), their lines after promotion expansion (R1, R2), and payments.

use crate::m20261122_000001_catalog::{one_of, timestamps};
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum Orders {
    Table,
    Id,
    OrderNo,
    IdempotencyKey,
    RequestHash,
    Source,
    SourceCode,
    Status,
    PaymentStatus,
    MemberId,
    PayerCustomerId,
    ReceiverName,
    ReceiverPhone,
    ReceiverMobile,
    ReceiverEmail,
    ReceiverCountry,
    ReceiverPostalCode,
    ReceiverCity,
    ReceiverStreet,
    TotalAmount,
    ShippingFee,
    InvoiceType,
    InvoiceTitle,
    InvoiceIssueType,
    InvoiceVat,
    InvoiceCarrierType,
    InvoiceCarrierCode,
    InvoiceDonationCode,
    PaymentMethod,
    PaymentToken,
    CardLast4,
    Complimentary,
    PaidAt,
}

#[derive(DeriveIden)]
enum OrderLines {
    Table,
    Id,
    OrderId,
    Position,
    InputLine,
    ItemNo,
    PromotionCode,
    Category,
    ProductCode,
    Quantity,
    Amount,
    Status,
    Subinventory,
}

#[derive(DeriveIden)]
enum Payments {
    Table,
    Id,
    OrderId,
    TransactionId,
    Status,
    Amount,
    PaidAt,
    RecordedAt,
}

#[derive(DeriveIden)]
enum Members {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Customers {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Items {
    Table,
    ItemNo,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                timestamps(
                    Table::create()
                        .table(Orders::Table)
                        .col(big_integer(Orders::Id).auto_increment().primary_key())
                        // Set right after the insert, from the id: unique, sortable, readable.
                        .col(string_len_null(Orders::OrderNo, 24).unique_key())
                        .col(string_len_uniq(Orders::IdempotencyKey, 128))
                        .col(string_len(Orders::RequestHash, 64))
                        .col(
                            string_len(Orders::Source, 16).check(one_of(
                                Orders::Source,
                                &["EC", "APP", "NINE_ONE_APP", "AUTO", "IMPORT"],
                            )),
                        )
                        .col(string_len_null(Orders::SourceCode, 64))
                        .col(
                            string_len(Orders::Status, 16)
                                .check(one_of(Orders::Status, &["CREATED", "CONFIRMED"])),
                        )
                        .col(
                            string_len(Orders::PaymentStatus, 16)
                                .check(one_of(Orders::PaymentStatus, &["PENDING", "PAID", "FAILED"])),
                        )
                        .col(big_integer_null(Orders::MemberId))
                        .col(big_integer(Orders::PayerCustomerId))
                        .col(string_len(Orders::ReceiverName, 200))
                        .col(string_len_null(Orders::ReceiverPhone, 32))
                        .col(string_len_null(Orders::ReceiverMobile, 32))
                        .col(string_len_null(Orders::ReceiverEmail, 254))
                        .col(string_len_null(Orders::ReceiverCountry, 64))
                        .col(string_len_null(Orders::ReceiverPostalCode, 16))
                        .col(string_len_null(Orders::ReceiverCity, 64))
                        .col(string_len_null(Orders::ReceiverStreet, 300))
                        .col(big_integer(Orders::TotalAmount).check(Expr::col(Orders::TotalAmount).gte(0)))
                        .col(big_integer(Orders::ShippingFee).check(Expr::col(Orders::ShippingFee).gte(0)))
                        .col(
                            small_integer(Orders::InvoiceType)
                                .check(Expr::col(Orders::InvoiceType).between(1, 6)),
                        )
                        .col(string_len_null(Orders::InvoiceTitle, 200))
                        .col(string_len_null(Orders::InvoiceIssueType, 32))
                        .col(string_len_null(Orders::InvoiceVat, 8))
                        .col(string_len_null(Orders::InvoiceCarrierType, 16))
                        .col(string_len_null(Orders::InvoiceCarrierCode, 64))
                        .col(string_len_null(Orders::InvoiceDonationCode, 7))
                        .col(string_len_null(Orders::PaymentMethod, 32))
                        .col(string_len_null(Orders::PaymentToken, 256))
                        .col(string_len_null(Orders::CardLast4, 4))
                        .col(boolean(Orders::Complimentary).default(false))
                        .col(timestamp_with_time_zone_null(Orders::PaidAt))
                        .foreign_key(
                            ForeignKey::create()
                                .name("fk_orders_member")
                                .from(Orders::Table, Orders::MemberId)
                                .to(Members::Table, Members::Id),
                        )
                        .foreign_key(
                            ForeignKey::create()
                                .name("fk_orders_payer")
                                .from(Orders::Table, Orders::PayerCustomerId)
                                .to(Customers::Table, Customers::Id),
                        ),
                )
                .to_owned(),
            )
            .await?;
        for (name, column) in
            [("ix_orders_member", Orders::MemberId), ("ix_orders_payer", Orders::PayerCustomerId)]
        {
            manager
                .create_index(
                    Index::create().name(name).table(Orders::Table).col(column).col(Orders::Id).to_owned(),
                )
                .await?;
        }

        manager
            .create_table(
                timestamps(
                    Table::create()
                        .table(OrderLines::Table)
                        .col(big_integer(OrderLines::Id).auto_increment().primary_key())
                        .col(big_integer(OrderLines::OrderId))
                        .col(integer(OrderLines::Position))
                        .col(integer(OrderLines::InputLine))
                        .col(string_len(OrderLines::ItemNo, 32))
                        .col(string_len_null(OrderLines::PromotionCode, 32))
                        .col(string_len(OrderLines::Category, 16))
                        .col(string_len_null(OrderLines::ProductCode, 16))
                        .col(integer(OrderLines::Quantity).check(Expr::col(OrderLines::Quantity).gt(0)))
                        .col(big_integer(OrderLines::Amount).check(Expr::col(OrderLines::Amount).gte(0)))
                        .col(
                            string_len(OrderLines::Status, 16)
                                .check(one_of(OrderLines::Status, &["CONFIRMED"])),
                        )
                        .col(string_len(OrderLines::Subinventory, 16))
                        .foreign_key(
                            ForeignKey::create()
                                .name("fk_order_lines_order")
                                .from(OrderLines::Table, OrderLines::OrderId)
                                .to(Orders::Table, Orders::Id)
                                .on_delete(ForeignKeyAction::Cascade),
                        )
                        .foreign_key(
                            ForeignKey::create()
                                .name("fk_order_lines_item")
                                .from(OrderLines::Table, OrderLines::ItemNo)
                                .to(Items::Table, Items::ItemNo),
                        ),
                )
                .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_order_lines_position")
                    .table(OrderLines::Table)
                    .col(OrderLines::OrderId)
                    .col(OrderLines::Position)
                    .unique()
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Payments::Table)
                    .col(big_integer(Payments::Id).auto_increment().primary_key())
                    .col(big_integer(Payments::OrderId))
                    .col(string_len_uniq(Payments::TransactionId, 128))
                    .col(string_len(Payments::Status, 8).check(one_of(Payments::Status, &["PAID", "FAILED"])))
                    .col(big_integer(Payments::Amount))
                    .col(timestamp_with_time_zone(Payments::PaidAt))
                    .col(timestamp_with_time_zone(Payments::RecordedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_payments_order")
                            .from(Payments::Table, Payments::OrderId)
                            .to(Orders::Table, Orders::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_payments_order")
                    .table(Payments::Table)
                    .col(Payments::OrderId)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [Payments::Table.into_iden(), OrderLines::Table.into_iden(), Orders::Table.into_iden()] {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}

//! Renewals (續訂單) with the fields of seed 004's renewal list (R4–R6).

use crate::m20261122_000001_catalog::timestamps;
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum Renewals {
    Table,
    Id,
    CustomerId,
    MemberId,
    PromotionCode,
    ProductCodes,
    ProductName,
    DeductDate,
    DeductPrice,
    ShippingFee,
    Payment,
    PaymentMethod,
    PaymentCard,
    PaymentToken,
    RenewStatus,
    Cycle,
    Source,
    SourceCode,
    OriginOrderNo,
    FailureReason,
    SupersededById,
}

#[derive(DeriveIden)]
enum Customers {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Members {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Promotions {
    Table,
    PromotionCode,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                timestamps(
                    Table::create()
                        .table(Renewals::Table)
                        .col(big_integer(Renewals::Id).auto_increment().primary_key())
                        .col(big_integer(Renewals::CustomerId))
                        .col(big_integer_null(Renewals::MemberId))
                        .col(string_len(Renewals::PromotionCode, 32))
                        // The renewal's product codes, sorted and comma-joined: R4 compares these sets.
                        .col(string_len(Renewals::ProductCodes, 200))
                        .col(string_len_null(Renewals::ProductName, 200))
                        .col(date(Renewals::DeductDate))
                        .col(
                            big_integer(Renewals::DeductPrice).check(Expr::col(Renewals::DeductPrice).gte(0)),
                        )
                        .col(big_integer(Renewals::ShippingFee).default(0))
                        .col(string_len(Renewals::Payment, 32))
                        .col(string_len_null(Renewals::PaymentMethod, 32))
                        .col(string_len_null(Renewals::PaymentCard, 4))
                        .col(string_len_null(Renewals::PaymentToken, 256))
                        .col(
                            small_integer(Renewals::RenewStatus)
                                .check(Expr::col(Renewals::RenewStatus).between(0, 5)),
                        )
                        .col(integer(Renewals::Cycle).default(1))
                        .col(string_len(Renewals::Source, 16))
                        .col(string_len_null(Renewals::SourceCode, 64))
                        .col(string_len_null(Renewals::OriginOrderNo, 24))
                        .col(string_len_null(Renewals::FailureReason, 300))
                        .col(big_integer_null(Renewals::SupersededById))
                        .foreign_key(
                            ForeignKey::create()
                                .name("fk_renewals_customer")
                                .from(Renewals::Table, Renewals::CustomerId)
                                .to(Customers::Table, Customers::Id),
                        )
                        .foreign_key(
                            ForeignKey::create()
                                .name("fk_renewals_member")
                                .from(Renewals::Table, Renewals::MemberId)
                                .to(Members::Table, Members::Id),
                        )
                        .foreign_key(
                            ForeignKey::create()
                                .name("fk_renewals_promotion")
                                .from(Renewals::Table, Renewals::PromotionCode)
                                .to(Promotions::Table, Promotions::PromotionCode),
                        )
                        .foreign_key(
                            ForeignKey::create()
                                .name("fk_renewals_superseded_by")
                                .from(Renewals::Table, Renewals::SupersededById)
                                .to(Renewals::Table, Renewals::Id),
                        ),
                )
                .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_renewals_customer_status")
                    .table(Renewals::Table)
                    .col(Renewals::CustomerId)
                    .col(Renewals::RenewStatus)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_renewals_status_deduct")
                    .table(Renewals::Table)
                    .col(Renewals::RenewStatus)
                    .col(Renewals::DeductDate)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(Renewals::Table).to_owned()).await
    }
}

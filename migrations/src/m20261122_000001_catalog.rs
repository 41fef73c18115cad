//! Catalog: products, items (including the issue calendar) and promotions with their items.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum Products {
    Table,
    ProductCode,
    Name,
    Kind,
    Digital,
    SubCategory,
    CadenceDays,
    CadenceMonths,
}

#[derive(DeriveIden)]
enum Items {
    Table,
    ItemNo,
    Name,
    Category,
    SubCategory,
    ProductCode,
    TermIssues,
    TermMonths,
    TermDays,
    MzVolume,
    PublishDate,
    ItemStatus,
}

#[derive(DeriveIden)]
enum Promotions {
    Table,
    PromotionCode,
    Name,
    TotalAmount,
    RenewalPeriod,
    RenewalPromotionCode,
    Status,
}

#[derive(DeriveIden)]
enum PromotionItems {
    Table,
    PromotionCode,
    Position,
    ItemNo,
    SellingPrice,
    Quantity,
}

#[derive(DeriveIden)]
enum Audit {
    CreatedAt,
    UpdatedAt,
}

/// `created_at` and `updated_at`, which every table has.
pub(crate) fn timestamps(table: &mut TableCreateStatement) -> &mut TableCreateStatement {
    table
        .col(timestamp_with_time_zone(Audit::CreatedAt).default(Expr::current_timestamp()))
        .col(timestamp_with_time_zone(Audit::UpdatedAt).default(Expr::current_timestamp()))
}

pub(crate) fn one_of<T: IntoIden + 'static>(column: T, values: &[&str]) -> SimpleExpr {
    Expr::col(column).is_in(values.iter().map(|v| (*v).to_owned()))
}

const STATUSES: [&str; 2] = ["ACTIVE", "INACTIVE"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                timestamps(
                    Table::create()
                        .table(Products::Table)
                        .col(string_len(Products::ProductCode, 16).primary_key())
                        .col(string(Products::Name))
                        .col(
                            string_len(Products::Kind, 8)
                                .check(one_of(Products::Kind, &["VOLUME", "PERIOD"])),
                        )
                        .col(boolean(Products::Digital))
                        .col(string_null(Products::SubCategory))
                        .col(
                            integer_null(Products::CadenceDays).check(Expr::col(Products::CadenceDays).gt(0)),
                        )
                        .col(
                            integer_null(Products::CadenceMonths)
                                .check(Expr::col(Products::CadenceMonths).gt(0)),
                        ),
                )
                .to_owned(),
            )
            .await?;

        manager
            .create_table(
                timestamps(
                    Table::create()
                        .table(Items::Table)
                        .col(string_len(Items::ItemNo, 32).primary_key())
                        .col(string(Items::Name))
                        .col(string_len(Items::Category, 16).check(one_of(
                            Items::Category,
                            &["MAGAZINE", "DIGITAL", "BOOK", "EVENT", "GIFT"],
                        )))
                        .col(string_null(Items::SubCategory))
                        .col(string_len_null(Items::ProductCode, 16))
                        .col(integer_null(Items::TermIssues).check(Expr::col(Items::TermIssues).gt(0)))
                        .col(integer_null(Items::TermMonths).check(Expr::col(Items::TermMonths).gt(0)))
                        .col(integer_null(Items::TermDays).check(Expr::col(Items::TermDays).gt(0)))
                        .col(integer_null(Items::MzVolume).check(Expr::col(Items::MzVolume).gt(0)))
                        .col(date_null(Items::PublishDate))
                        .col(string_len(Items::ItemStatus, 8).check(one_of(Items::ItemStatus, &STATUSES)))
                        // An issue of the calendar has both a volume and a publish date, or neither.
                        .check(
                            Expr::col(Items::MzVolume).is_null().eq(Expr::col(Items::PublishDate).is_null()),
                        )
                        .foreign_key(
                            ForeignKey::create()
                                .name("fk_items_product")
                                .from(Items::Table, Items::ProductCode)
                                .to(Products::Table, Products::ProductCode),
                        ),
                )
                .to_owned(),
            )
            .await?;
        // One issue per product and volume (NULL volumes, i.e. non-calendar items, never collide).
        manager
            .create_index(
                Index::create()
                    .name("ux_items_product_volume")
                    .table(Items::Table)
                    .col(Items::ProductCode)
                    .col(Items::MzVolume)
                    .unique()
                    .to_owned(),
            )
            .await?;
        // "The first issue published on or after a date" (R3) walks this index.
        manager
            .create_index(
                Index::create()
                    .name("ix_items_product_publish_date")
                    .table(Items::Table)
                    .col(Items::ProductCode)
                    .col(Items::PublishDate)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                timestamps(
                    Table::create()
                        .table(Promotions::Table)
                        .col(string_len(Promotions::PromotionCode, 32).primary_key())
                        .col(string(Promotions::Name))
                        .col(
                            big_integer(Promotions::TotalAmount)
                                .check(Expr::col(Promotions::TotalAmount).gte(0)),
                        )
                        .col(
                            string_len_null(Promotions::RenewalPeriod, 8)
                                .check(one_of(Promotions::RenewalPeriod, &["MONTHLY", "YEARLY"])),
                        )
                        .col(string_len_null(Promotions::RenewalPromotionCode, 32))
                        .col(string_len(Promotions::Status, 8).check(one_of(Promotions::Status, &STATUSES)))
                        .foreign_key(
                            ForeignKey::create()
                                .name("fk_promotions_renewal_promotion")
                                .from(Promotions::Table, Promotions::RenewalPromotionCode)
                                .to(Promotions::Table, Promotions::PromotionCode),
                        ),
                )
                .to_owned(),
            )
            .await?;

        manager
            .create_table(
                timestamps(
                    Table::create()
                        .table(PromotionItems::Table)
                        .col(string_len(PromotionItems::PromotionCode, 32))
                        .col(
                            integer(PromotionItems::Position)
                                .check(Expr::col(PromotionItems::Position).gte(0)),
                        )
                        .col(string_len(PromotionItems::ItemNo, 32))
                        .col(
                            big_integer(PromotionItems::SellingPrice)
                                .check(Expr::col(PromotionItems::SellingPrice).gte(0)),
                        )
                        .col(
                            integer(PromotionItems::Quantity)
                                .check(Expr::col(PromotionItems::Quantity).gt(0)),
                        )
                        .primary_key(
                            Index::create().col(PromotionItems::PromotionCode).col(PromotionItems::Position),
                        )
                        .foreign_key(
                            ForeignKey::create()
                                .name("fk_promotion_items_promotion")
                                .from(PromotionItems::Table, PromotionItems::PromotionCode)
                                .to(Promotions::Table, Promotions::PromotionCode)
                                .on_delete(ForeignKeyAction::Cascade),
                        )
                        .foreign_key(
                            ForeignKey::create()
                                .name("fk_promotion_items_item")
                                .from(PromotionItems::Table, PromotionItems::ItemNo)
                                .to(Items::Table, Items::ItemNo),
                        ),
                )
                .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            PromotionItems::Table.into_iden(),
            Promotions::Table.into_iden(),
            Items::Table.into_iden(),
            Products::Table.into_iden(),
        ] {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}

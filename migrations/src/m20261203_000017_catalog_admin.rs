//! Catalog administration (R18): a promotion's sales window, an item's list price, scheduled price changes
//! of renewal plans, and the price notices sent to the payers of pending renewals.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum Promotions {
    Table,
    PromotionCode,
    ValidFrom,
    ValidTo,
}

#[derive(DeriveIden)]
enum Items {
    Table,
    ListPrice,
}

#[derive(DeriveIden)]
enum PriceChanges {
    Table,
    Id,
    PromotionCode,
    NewAmount,
    EffectiveFrom,
    CreatedBy,
    CreatedAt,
}

#[derive(DeriveIden)]
enum RenewalPriceNotices {
    Table,
    PriceChangeId,
    RenewalId,
    SentOn,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters one at a time.
        for column in [date_null(Promotions::ValidFrom), date_null(Promotions::ValidTo)] {
            let mut column = column;
            manager
                .alter_table(Table::alter().table(Promotions::Table).add_column(&mut column).to_owned())
                .await?;
        }
        manager
            .alter_table(
                Table::alter().table(Items::Table).add_column(big_integer_null(Items::ListPrice)).to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(PriceChanges::Table)
                    .col(big_pk_auto(PriceChanges::Id))
                    .col(string_len(PriceChanges::PromotionCode, 32))
                    .col(big_integer(PriceChanges::NewAmount))
                    .col(date(PriceChanges::EffectiveFrom))
                    .col(string_len(PriceChanges::CreatedBy, 200))
                    .col(timestamp_with_time_zone(PriceChanges::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(PriceChanges::Table, PriceChanges::PromotionCode)
                            .to(Promotions::Table, Promotions::PromotionCode),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_price_changes_promotion_from")
                    .table(PriceChanges::Table)
                    .col(PriceChanges::PromotionCode)
                    .col(PriceChanges::EffectiveFrom)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(RenewalPriceNotices::Table)
                    .col(big_integer(RenewalPriceNotices::PriceChangeId))
                    .col(big_integer(RenewalPriceNotices::RenewalId))
                    .col(date(RenewalPriceNotices::SentOn))
                    .primary_key(
                        Index::create()
                            .col(RenewalPriceNotices::PriceChangeId)
                            .col(RenewalPriceNotices::RenewalId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(RenewalPriceNotices::Table, RenewalPriceNotices::PriceChangeId)
                            .to(PriceChanges::Table, PriceChanges::Id),
                    )
                    .to_owned(),
            )
            .await?;
        let db = manager.get_connection();
        for sql in [
            "CREATE INDEX ix_renewal_price_notices_renewal ON renewal_price_notices (renewal_id)",
            "CREATE INDEX ix_renewals_promotion ON renewals (promotion_code, renew_status)",
        ] {
            db.execute_unprepared(sql).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for index in ["ix_renewal_price_notices_renewal", "ix_renewals_promotion"] {
            db.execute_unprepared(&format!("DROP INDEX IF EXISTS {index}")).await?;
        }
        manager.drop_table(Table::drop().table(RenewalPriceNotices::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(PriceChanges::Table).to_owned()).await?;
        manager
            .alter_table(Table::alter().table(Items::Table).drop_column(Items::ListPrice).to_owned())
            .await?;
        for column in [Promotions::ValidTo, Promotions::ValidFrom] {
            manager
                .alter_table(Table::alter().table(Promotions::Table).drop_column(column).to_owned())
                .await?;
        }
        Ok(())
    }
}

//! Entitlements (權益) per holder and product, and the append-only grant ledger (R3, R10, R11).

use crate::m20261122_000001_catalog::timestamps;
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum Entitlements {
    Table,
    Id,
    HolderCustomerId,
    HolderMemberId,
    ProductCode,
    StartVolume,
    StartVolumeDate,
    EndVolume,
    EndVolumeDate,
    RightDueDate,
    SeniorityThousandths,
    SubscribeStatus,
    TemporaryUntil,
    Estimated,
}

#[derive(DeriveIden)]
enum EntitlementGrants {
    Table,
    Id,
    EntitlementId,
    OrderLineId,
    Kind,
    Outcome,
    Reason,
    StartVolume,
    EndVolume,
    RightDueDate,
    SeniorityThousandths,
    GrantedAt,
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
enum Products {
    Table,
    ProductCode,
}

#[derive(DeriveIden)]
enum OrderLines {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                timestamps(
                    Table::create()
                        .table(Entitlements::Table)
                        .col(big_integer(Entitlements::Id).auto_increment().primary_key())
                        .col(big_integer_null(Entitlements::HolderCustomerId))
                        .col(big_integer_null(Entitlements::HolderMemberId))
                        .col(string_len(Entitlements::ProductCode, 16))
                        .col(integer_null(Entitlements::StartVolume))
                        .col(date_null(Entitlements::StartVolumeDate))
                        .col(integer_null(Entitlements::EndVolume))
                        .col(date_null(Entitlements::EndVolumeDate))
                        .col(date_null(Entitlements::RightDueDate))
                        .col(big_integer(Entitlements::SeniorityThousandths).default(0))
                        .col(
                            small_integer(Entitlements::SubscribeStatus)
                                .check(Expr::col(Entitlements::SubscribeStatus).between(1, 5)),
                        )
                        .col(date_null(Entitlements::TemporaryUntil))
                        .col(boolean(Entitlements::Estimated).default(false))
                        // Exactly one holder: a customer (print) or a member (digital).
                        .check(
                            Expr::col(Entitlements::HolderCustomerId)
                                .is_null()
                                .ne(Expr::col(Entitlements::HolderMemberId).is_null()),
                        )
                        .foreign_key(
                            ForeignKey::create()
                                .name("fk_entitlements_customer")
                                .from(Entitlements::Table, Entitlements::HolderCustomerId)
                                .to(Customers::Table, Customers::Id),
                        )
                        .foreign_key(
                            ForeignKey::create()
                                .name("fk_entitlements_member")
                                .from(Entitlements::Table, Entitlements::HolderMemberId)
                                .to(Members::Table, Members::Id),
                        )
                        .foreign_key(
                            ForeignKey::create()
                                .name("fk_entitlements_product")
                                .from(Entitlements::Table, Entitlements::ProductCode)
                                .to(Products::Table, Products::ProductCode),
                        ),
                )
                .to_owned(),
            )
            .await?;
        for (name, holder) in [
            ("ux_entitlements_customer_product", Entitlements::HolderCustomerId),
            ("ux_entitlements_member_product", Entitlements::HolderMemberId),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(Entitlements::Table)
                        .col(holder)
                        .col(Entitlements::ProductCode)
                        .unique()
                        .to_owned(),
                )
                .await?;
        }
        // R10 walks the due dates of one status at a time.
        manager
            .create_index(
                Index::create()
                    .name("ix_entitlements_status_due")
                    .table(Entitlements::Table)
                    .col(Entitlements::SubscribeStatus)
                    .col(Entitlements::RightDueDate)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(EntitlementGrants::Table)
                    .col(big_integer(EntitlementGrants::Id).auto_increment().primary_key())
                    .col(big_integer_null(EntitlementGrants::EntitlementId))
                    // One grant per order line, whatever happens: the exactly-once guard of R3.
                    .col(big_integer_null(EntitlementGrants::OrderLineId).unique_key())
                    .col(string_len(EntitlementGrants::Kind, 16))
                    .col(string_len(EntitlementGrants::Outcome, 8))
                    .col(string_len_null(EntitlementGrants::Reason, 300))
                    .col(integer_null(EntitlementGrants::StartVolume))
                    .col(integer_null(EntitlementGrants::EndVolume))
                    .col(date_null(EntitlementGrants::RightDueDate))
                    .col(big_integer(EntitlementGrants::SeniorityThousandths).default(0))
                    .col(timestamp_with_time_zone(EntitlementGrants::GrantedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_grants_entitlement")
                            .from(EntitlementGrants::Table, EntitlementGrants::EntitlementId)
                            .to(Entitlements::Table, Entitlements::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_grants_order_line")
                            .from(EntitlementGrants::Table, EntitlementGrants::OrderLineId)
                            .to(OrderLines::Table, OrderLines::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_grants_entitlement")
                    .table(EntitlementGrants::Table)
                    .col(EntitlementGrants::EntitlementId)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [EntitlementGrants::Table.into_iden(), Entitlements::Table.into_iden()] {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}

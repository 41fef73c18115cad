//! Members (會員), customers (訂戶), the links between them, the UUIDs handed out before a member exists,
//! and the event log (the transactional outbox every later domain appends to).

use crate::m20261122_000001_catalog::timestamps;
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum Events {
    Table,
    Id,
    EventId,
    EventType,
    Subject,
    Payload,
    OccurredAt,
}

#[derive(DeriveIden)]
enum Members {
    Table,
    Id,
    Account,
    Uuid,
    Email,
    Name,
    Phone,
    MarketingOptIn,
    ContentOptIn,
    Verified,
    NineOneMemberInfo,
    TradeVanMemberInfo,
}

#[derive(DeriveIden)]
enum IssuedUuids {
    Table,
    Uuid,
    IssuedAt,
    MemberId,
}

#[derive(DeriveIden)]
enum Customers {
    Table,
    Id,
    CustomerNo,
    CustomerId,
    Name,
    Email,
    Phone,
    Mobile,
    Country,
    PostalCode,
    City,
    Street,
    ParentId,
}

#[derive(DeriveIden)]
enum MemberCustomers {
    Table,
    MemberId,
    CustomerId,
    LinkedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Events::Table)
                    .col(big_integer(Events::Id).auto_increment().primary_key())
                    .col(uuid_uniq(Events::EventId))
                    .col(string_len(Events::EventType, 64))
                    .col(string_len(Events::Subject, 128))
                    .col(text(Events::Payload))
                    .col(timestamp_with_time_zone(Events::OccurredAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_events_subject")
                    .table(Events::Table)
                    .col(Events::Subject)
                    .col(Events::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_events_type")
                    .table(Events::Table)
                    .col(Events::EventType)
                    .col(Events::Id)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                timestamps(
                    Table::create()
                        .table(Members::Table)
                        .col(big_integer(Members::Id).auto_increment().primary_key())
                        // Canonical form (trimmed, lower-cased): the unique index is case-insensitive.
                        .col(string_len_uniq(Members::Account, 254))
                        .col(uuid_uniq(Members::Uuid))
                        .col(string_len_null(Members::Email, 254))
                        .col(string_len_null(Members::Name, 200))
                        .col(string_len_null(Members::Phone, 32))
                        .col(boolean(Members::MarketingOptIn).default(false))
                        .col(boolean(Members::ContentOptIn).default(false))
                        .col(boolean(Members::Verified).default(false))
                        .col(text_null(Members::NineOneMemberInfo))
                        .col(text_null(Members::TradeVanMemberInfo)),
                )
                .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(IssuedUuids::Table)
                    .col(uuid(IssuedUuids::Uuid).primary_key())
                    .col(timestamp_with_time_zone(IssuedUuids::IssuedAt))
                    .col(big_integer_null(IssuedUuids::MemberId))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_issued_uuids_member")
                            .from(IssuedUuids::Table, IssuedUuids::MemberId)
                            .to(Members::Table, Members::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                timestamps(
                    Table::create()
                        .table(Customers::Table)
                        .col(big_integer(Customers::Id).auto_increment().primary_key())
                        .col(string_len_uniq(Customers::CustomerNo, 32))
                        .col(string_len_null(Customers::CustomerId, 32))
                        .col(string_len_null(Customers::Name, 200))
                        .col(string_len_null(Customers::Email, 254))
                        .col(string_len_null(Customers::Phone, 32))
                        .col(string_len_null(Customers::Mobile, 32))
                        .col(string_len_null(Customers::Country, 64))
                        .col(string_len_null(Customers::PostalCode, 16))
                        .col(string_len_null(Customers::City, 64))
                        .col(string_len_null(Customers::Street, 300))
                        .col(big_integer_null(Customers::ParentId))
                        .foreign_key(
                            ForeignKey::create()
                                .name("fk_customers_parent")
                                .from(Customers::Table, Customers::ParentId)
                                .to(Customers::Table, Customers::Id),
                        ),
                )
                .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_customers_customer_id")
                    .table(Customers::Table)
                    .col(Customers::CustomerId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(MemberCustomers::Table)
                    .col(big_integer(MemberCustomers::MemberId))
                    .col(big_integer(MemberCustomers::CustomerId))
                    .col(timestamp_with_time_zone(MemberCustomers::LinkedAt))
                    .primary_key(
                        Index::create().col(MemberCustomers::MemberId).col(MemberCustomers::CustomerId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_member_customers_member")
                            .from(MemberCustomers::Table, MemberCustomers::MemberId)
                            .to(Members::Table, Members::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_member_customers_customer")
                            .from(MemberCustomers::Table, MemberCustomers::CustomerId)
                            .to(Customers::Table, Customers::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // "The members of a customer" walks this index; the primary key serves the other direction.
        manager
            .create_index(
                Index::create()
                    .name("ix_member_customers_customer")
                    .table(MemberCustomers::Table)
                    .col(MemberCustomers::CustomerId)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            MemberCustomers::Table.into_iden(),
            Customers::Table.into_iden(),
            IssuedUuids::Table.into_iden(),
            Members::Table.into_iden(),
            Events::Table.into_iden(),
        ] {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}

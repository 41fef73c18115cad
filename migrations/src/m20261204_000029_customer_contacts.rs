//! The ERP customer master's hierarchy (R21, seed 004 客戶主檔: a customer has addresses and contacts, each
//! contact its own addresses, phones and e-mails), pushed whole by the ERP through `upsertCustomer`.
//! `customer_contacts` are a customer's contacts in order; `customer_contact_points` their addresses,
//! phones and e-mails (a point without a contact is one of the customer's own extra addresses).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[derive(DeriveIden)]
enum Customers {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum CustomerContacts {
    Table,
    Id,
    CustomerId,
    Position,
    Name,
    CreatedAt,
}

#[derive(DeriveIden)]
enum CustomerContactPoints {
    Table,
    Id,
    CustomerId,
    ContactId,
    Position,
    Kind,
    Value,
    Country,
    PostalCode,
    City,
    Street,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(CustomerContacts::Table)
                    .col(big_integer(CustomerContacts::Id).auto_increment().primary_key())
                    .col(big_integer(CustomerContacts::CustomerId))
                    .col(integer(CustomerContacts::Position))
                    .col(string_len_null(CustomerContacts::Name, 200))
                    .col(timestamp_with_time_zone(CustomerContacts::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_customer_contacts_customer")
                            .from(CustomerContacts::Table, CustomerContacts::CustomerId)
                            .to(Customers::Table, Customers::Id),
                    )
                    .index(
                        Index::create()
                            .name("ux_customer_contacts_position")
                            .col(CustomerContacts::CustomerId)
                            .col(CustomerContacts::Position)
                            .unique(),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(CustomerContactPoints::Table)
                    .col(big_integer(CustomerContactPoints::Id).auto_increment().primary_key())
                    .col(big_integer(CustomerContactPoints::CustomerId))
                    .col(big_integer_null(CustomerContactPoints::ContactId))
                    .col(integer(CustomerContactPoints::Position))
                    .col(
                        string_len(CustomerContactPoints::Kind, 8).check(
                            Expr::col(CustomerContactPoints::Kind).is_in(["ADDRESS", "PHONE", "EMAIL"]),
                        ),
                    )
                    .col(string_len_null(CustomerContactPoints::Value, 320))
                    .col(string_len_null(CustomerContactPoints::Country, 64))
                    .col(string_len_null(CustomerContactPoints::PostalCode, 16))
                    .col(string_len_null(CustomerContactPoints::City, 64))
                    .col(string_len_null(CustomerContactPoints::Street, 300))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_customer_contact_points_customer")
                            .from(CustomerContactPoints::Table, CustomerContactPoints::CustomerId)
                            .to(Customers::Table, Customers::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_customer_contact_points_contact")
                            .from(CustomerContactPoints::Table, CustomerContactPoints::ContactId)
                            .to(CustomerContacts::Table, CustomerContacts::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_customer_contact_points_customer")
                    .table(CustomerContactPoints::Table)
                    .col(CustomerContactPoints::CustomerId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(CustomerContactPoints::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(CustomerContacts::Table).to_owned()).await
    }
}

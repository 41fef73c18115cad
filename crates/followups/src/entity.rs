//! Entities of `follow_ups` and `follow_up_notes`.

pub(crate) mod follow_up {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "follow_ups")]
    pub(crate) struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub kind: String,
        pub subject: String,
        pub priority: String,
        pub status: String,
        pub summary: String,
        pub detail: String,
        pub assignee: Option<String>,
        pub resolution: Option<String>,
        /// `kind|subject` while open, NULL once closed: unique, so one open per (kind, subject).
        pub open_key: Option<String>,
        pub opened_at: ChronoDateTimeUtc,
        pub due_at: ChronoDateTimeUtc,
        pub updated_at: ChronoDateTimeUtc,
        pub closed_at: Option<ChronoDateTimeUtc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub(crate) enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub(crate) mod note {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "follow_up_notes")]
    pub(crate) struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub follow_up_id: i64,
        pub author: String,
        pub body: String,
        pub created_at: ChronoDateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub(crate) enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

//! Entities of `alerts` and `ops_posts`.

pub(crate) mod alert {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "alerts")]
    pub(crate) struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub rule: String,
        pub priority: String,
        pub status: String,
        pub message: String,
        /// The rule while the episode lasts, NULL once resolved: unique, so one open episode per rule.
        pub open_key: Option<String>,
        pub raised_at: ChronoDateTimeUtc,
        pub resolved_at: Option<ChronoDateTimeUtc>,
        pub follow_up_id: Option<i64>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub(crate) enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub(crate) mod post {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "ops_posts")]
    pub(crate) struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub key: String,
        pub created_at: ChronoDateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub(crate) enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

//! Entity of `console_sessions`.

pub(crate) mod console_session {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "console_sessions")]
    pub(crate) struct Model {
        /// SHA-256 (hex) of the secret in the cookie or link.
        #[sea_orm(primary_key, auto_increment = false)]
        pub key_hash: String,
        /// `SESSION` or `LINK`.
        pub kind: String,
        /// The admin (the token's `sub`).
        pub subject: String,
        /// A session's CSRF token.
        pub csrf: Option<String>,
        pub expires_at: ChronoDateTimeUtc,
        /// When a link was used (once).
        pub used_at: Option<ChronoDateTimeUtc>,
        pub created_at: ChronoDateTimeUtc,
        pub updated_at: ChronoDateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub(crate) enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

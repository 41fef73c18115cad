//! Catalog against real databases: SQLite always, PostgreSQL when TEST_DATABASE_URL is set.

mod promotions;

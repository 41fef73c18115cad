//! After-sale flows on SQLite and PostgreSQL: R19 cancellations and returns.

mod delivery;
mod fixtures;
mod returns;
mod subscription;

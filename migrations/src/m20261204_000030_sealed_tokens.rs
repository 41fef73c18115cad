//! Payment tokens at rest (R23): a sealed token (`tk1:<key id>:<base64 of nonce, ciphertext and tag>`) is
//! longer than the 256 characters a token had, so the columns take 512 on PostgreSQL (SQLite does not
//! enforce a length). Sealing the tokens stored in clear needs the settings' keys, so it is done right after
//! the migrations by every start (`platform`'s `tokens::prepare`), not here.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != sea_orm::DbBackend::Postgres {
            return Ok(());
        }
        let db = manager.get_connection();
        for table in ["orders", "renewals"] {
            db.execute_unprepared(&format!(
                "ALTER TABLE {table} ALTER COLUMN payment_token TYPE varchar(512)"
            ))
            .await?;
        }
        Ok(())
    }

    async fn down(&self, _manager: &SchemaManager) -> Result<(), DbErr> {
        // Sealed tokens do not fit 256 characters: the columns stay wide.
        Ok(())
    }
}

//! Entity of the `payments` table: one row per payment-service callback (transaction).

use crate::model::{CaptureStatus, PaymentResult};
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "payments")]
pub(crate) struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub order_id: i64,
    pub transaction_id: String,
    pub status: PaymentResult,
    pub amount: platform_core::Money,
    pub paid_at: ChronoDateTimeUtc,
    pub recorded_at: ChronoDateTimeUtc,
    /// A paid payment's capture (R23); `None` for a failed one.
    pub capture_status: Option<CaptureStatus>,
    pub captured_amount: Option<platform_core::Money>,
    pub captured_at: Option<ChronoDateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub(crate) enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

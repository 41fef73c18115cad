//! The simulated gateway's refunds (R19): the token decides as for charges — `tok_error…` fails
//! transiently (nothing refunded), `tok_timeout…` refunds but answers too late, anything else is decided —
//! and, for a charge in its own ledger, the refunds never exceed it (checked with the charge's row locked,
//! so two refunds at once cannot both pass). A charge made elsewhere (an EC's payment reported by callback)
//! is refunded on the token's word. One row per key in `simulated_refunds`.

use crate::simulated::unreadable;
use crate::{GatewayError, RefundOutcome, RefundRequest, SimulatedGateway};
use chrono::Utc;
use platform_core::Money;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};

pub(crate) mod ledger {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "simulated_refunds")]
    pub(crate) struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub idempotency_key: String,
        pub transaction_id: String,
        pub amount: i64,
        pub refunded: bool,
        pub refund_id: Option<String>,
        pub reason: Option<String>,
        pub created_at: ChronoDateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub(crate) enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// One refund the simulated gateway decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refund {
    /// The caller's key.
    pub idempotency_key: String,
    /// The charge refunded.
    pub transaction_id: String,
    /// The amount.
    pub amount: Money,
    /// The decision.
    pub outcome: RefundOutcome,
}

impl SimulatedGateway {
    /// Every refund decided, in order.
    pub async fn refunds(&self) -> Result<Vec<Refund>, sea_orm::DbErr> {
        let rows = ledger::Entity::find()
            .order_by_asc(ledger::Column::CreatedAt)
            .order_by_asc(ledger::Column::IdempotencyKey)
            .all(&self.db)
            .await?;
        Ok(rows
            .into_iter()
            .map(|row| Refund {
                idempotency_key: row.idempotency_key.clone(),
                transaction_id: row.transaction_id.clone(),
                amount: Money::new(row.amount),
                outcome: refund_outcome(row),
            })
            .collect())
    }

    pub(crate) async fn decide_refund(&self, request: &RefundRequest) -> Result<RefundOutcome, GatewayError> {
        if let Some(first) = self.find_refund(&request.idempotency_key).await? {
            return Ok(first);
        }
        if request.payment_token.starts_with("tok_error") {
            return Err(GatewayError::Transient("simulated processor error".to_owned()));
        }
        let txn = platform_core::db::begin_write(&self.db).await.map_err(unreadable)?;
        // The charge's row, locked on PostgreSQL (SQLite's write transaction holds the one write lock): the
        // refunds of one charge are decided one at a time.
        let mut charge = crate::simulated::ledger::Entity::find()
            .filter(crate::simulated::ledger::Column::TransactionId.eq(request.transaction_id.as_str()));
        if txn.get_database_backend() == sea_orm::DbBackend::Postgres {
            charge = charge.lock_exclusive();
        }
        let charge = charge.one(&txn).await.map_err(unreadable)?;
        // What can be given back is what was taken: nothing of an authorisation not captured yet.
        let charged = charge.as_ref().map(|row| match row.state.as_str() {
            "CAPTURED" => row.captured_amount.unwrap_or(row.amount),
            _ => 0,
        });
        let refunded: i64 = ledger::Entity::find()
            .filter(ledger::Column::TransactionId.eq(request.transaction_id.as_str()))
            .filter(ledger::Column::Refunded.eq(true))
            .all(&txn)
            .await
            .map_err(unreadable)?
            .iter()
            .map(|r| r.amount)
            .sum();
        let amount = request.amount.amount();
        let declined = if amount <= 0 {
            Some("amount_not_positive")
        } else if charge.as_ref().is_some_and(|row| row.state != "CAPTURED") {
            Some("not_captured")
        } else if charged.is_some_and(|charged| refunded + amount > charged) {
            Some("amount_exceeds_charge")
        } else if !(request.payment_token.starts_with("tok_ok")
            || request.payment_token.starts_with("tok_timeout"))
        {
            Some("unknown_token")
        } else {
            None
        };
        let row = ledger::ActiveModel {
            idempotency_key: Set(request.idempotency_key.clone()),
            transaction_id: Set(request.transaction_id.clone()),
            amount: Set(amount),
            refunded: Set(declined.is_none()),
            refund_id: Set(declined.is_none().then(|| format!("simre_{}", uuid::Uuid::new_v4().simple()))),
            reason: Set(declined.map(str::to_owned)),
            created_at: Set(Utc::now()),
        }
        .insert(&txn)
        .await;
        match row {
            Ok(row) => {
                txn.commit().await.map_err(unreadable)?;
                Ok(refund_outcome(row))
            }
            // The same key decided by another caller at once: its decision.
            Err(err) => {
                drop(txn);
                self.find_refund(&request.idempotency_key).await?.ok_or_else(|| unreadable(err))
            }
        }
    }

    pub(crate) async fn find_refund(&self, key: &str) -> Result<Option<RefundOutcome>, GatewayError> {
        let row = ledger::Entity::find_by_id(key.to_owned()).one(&self.db).await.map_err(unreadable)?;
        Ok(row.map(refund_outcome))
    }
}

fn refund_outcome(row: ledger::Model) -> RefundOutcome {
    match (row.refunded, row.refund_id) {
        (true, Some(refund_id)) => RefundOutcome::Refunded { refund_id },
        _ => RefundOutcome::Declined { reason: row.reason.unwrap_or_else(|| "declined".to_owned()) },
    }
}

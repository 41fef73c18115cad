//! Payments: the [`PaymentGateway`] trait the renewal charge run (R9) talks to, and [`SimulatedGateway`],
//! the embedded default of SPEC §5 whose tokens decide the outcome, so the whole renewal lifecycle can be
//! driven end to end without a real processor.
//!
//! A charge carries an idempotency key (derived by the caller from the renewal and the attempt); a gateway
//! must charge a key at most once and answer a repeated key with the first result. [`PaymentGateway::lookup`]
//! lets a reconciler settle an attempt whose answer was lost (a timeout). Owns the simulated gateway's
//! ledger (`simulated_charges`); depends on core.

mod simulated;

pub use simulated::{Charge, SimulatedGateway};

use platform_core::Money;
use std::future::Future;

/// One charge to make.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChargeRequest {
    /// The caller's key: the same key is charged at most once.
    pub idempotency_key: String,
    /// The saved card token (never logged).
    pub payment_token: String,
    /// The amount.
    pub amount: Money,
}

/// What the gateway decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChargeOutcome {
    /// Charged; the gateway's transaction id.
    Approved {
        /// Gateway transaction id.
        transaction_id: String,
    },
    /// Refused for good (card declined, no such token); the reason for the payer.
    Declined {
        /// Why, e.g. `card_declined`.
        reason: String,
    },
}

/// Why a charge got no decision.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GatewayError {
    /// A temporary failure: nothing was charged; the caller may retry with the same key.
    #[error("the gateway failed temporarily: {0}")]
    Transient(String),
    /// No answer in time: the charge may or may not have happened; ask [`PaymentGateway::lookup`].
    #[error("the gateway did not answer in time")]
    Timeout,
}

/// A payment processor.
pub trait PaymentGateway: Send + Sync {
    /// Charges once per idempotency key; a repeated key answers the first decision without charging again.
    fn charge(
        &self,
        request: &ChargeRequest,
    ) -> impl Future<Output = Result<ChargeOutcome, GatewayError>> + Send;

    /// The decision already made for `idempotency_key`, or `None` when nothing was charged under it.
    fn lookup(
        &self,
        idempotency_key: &str,
    ) -> impl Future<Output = Result<Option<ChargeOutcome>, GatewayError>> + Send;
}

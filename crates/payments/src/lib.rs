//! Payments: the [`PaymentGateway`] trait the renewal charge run (R9) talks to, and [`SimulatedGateway`],
//! the embedded default of SPEC §5 whose tokens decide the outcome, so the whole renewal lifecycle can be
//! driven end to end without a real processor.
//!
//! A charge carries an idempotency key (derived by the caller from the renewal and the attempt); a gateway
//! must charge a key at most once and answer a repeated key with the first result. [`PaymentGateway::lookup`]
//! lets a reconciler settle an attempt whose answer was lost (a timeout). Owns the simulated gateway's
//! ledger (`simulated_charges`); depends on core.

mod capture;
pub mod ecpay;
mod gateway;
mod refunds;
mod simulated;

pub use capture::{CaptureMode, CaptureOutcome, CaptureRequest, Settled};
pub use gateway::Gateway;
pub use refunds::Refund;
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

/// One refund to make of a charge (R19): at most once per key; the refunds of a charge never exceed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundRequest {
    /// The caller's key: the same key is refunded at most once.
    pub idempotency_key: String,
    /// The gateway's id of the charge refunded.
    pub transaction_id: String,
    /// The card token the charge was made with (never logged); the simulated gateway decides by it.
    pub payment_token: String,
    /// The amount to give back.
    pub amount: Money,
}

/// What the gateway decided of a refund.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefundOutcome {
    /// Given back; the gateway's refund id.
    Refunded {
        /// Gateway refund id.
        refund_id: String,
    },
    /// Refused for good (more than is left of the charge, an unknown charge); why.
    Declined {
        /// Why, e.g. `amount_exceeds_charge`.
        reason: String,
    },
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

    /// Refunds once per idempotency key (R19); a repeated key answers the first decision. A timeout leaves
    /// the refund undecided for the caller: ask [`PaymentGateway::lookup_refund`], never refund again under
    /// another key.
    fn refund(
        &self,
        request: &RefundRequest,
    ) -> impl Future<Output = Result<RefundOutcome, GatewayError>> + Send;

    /// The refund decision already made for `idempotency_key`, or `None` when nothing was refunded under it.
    fn lookup_refund(
        &self,
        idempotency_key: &str,
    ) -> impl Future<Output = Result<Option<RefundOutcome>, GatewayError>> + Send;

    /// Whether an approved charge is captured at once or only authorised (`gateway.capture`, R23).
    fn capture_mode(&self) -> CaptureMode {
        CaptureMode::Immediate
    }

    /// Captures `request.amount` (at most what was authorised) of an authorised charge; capturing a
    /// captured one again answers `Done`. A gateway that captures every charge at once refuses.
    fn capture(
        &self,
        _request: &CaptureRequest,
    ) -> impl Future<Output = Result<CaptureOutcome, GatewayError>> + Send {
        async { Ok(CaptureOutcome::Refused { reason: "this gateway captures every charge at once".into() }) }
    }

    /// Gives up an authorised charge (nothing is taken from the card); voiding a voided one again answers
    /// `Done`, a captured one is refused (refund it instead).
    fn void(
        &self,
        _request: &CaptureRequest,
    ) -> impl Future<Output = Result<CaptureOutcome, GatewayError>> + Send {
        async { Ok(CaptureOutcome::Refused { reason: "this gateway captures every charge at once".into() }) }
    }

    /// The transactions the gateway settled (captured) in `[from, until)`, for reconciliation; `None` when
    /// it offers no such query (its settlement file is reconciled with `platform reconcile`).
    fn settlement(
        &self,
        _from: chrono::DateTime<chrono::Utc>,
        _until: chrono::DateTime<chrono::Utc>,
    ) -> impl Future<Output = Result<Option<Vec<Settled>>, GatewayError>> + Send {
        async { Ok(None) }
    }
}

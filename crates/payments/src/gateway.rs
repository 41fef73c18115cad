//! The configured gateway (`gateway.kind`): the simulated one (the embedded default) or ECPay. One value the
//! API, the scheduler and the CLI share.

use crate::ecpay::EcpayGateway;
use crate::{
    CaptureMode, CaptureOutcome, CaptureRequest, ChargeOutcome, ChargeRequest, GatewayError, PaymentGateway,
    RefundOutcome, RefundRequest, Settled, SimulatedGateway,
};
use chrono::{DateTime, Utc};
use platform_core::settings::GatewaySettings;
use sea_orm::DatabaseConnection;
use std::time::Duration;

/// One of the gateways.
#[derive(Debug, Clone)]
pub enum Gateway {
    /// SPEC §5's simulated gateway.
    Simulated(SimulatedGateway),
    /// ECPay 站內付2.0.
    Ecpay(EcpayGateway),
}

impl Gateway {
    /// The gateway `settings` name, the simulated one's ledger on `db`. `Err` says what is wrong.
    pub fn from_settings(db: DatabaseConnection, settings: &GatewaySettings) -> Result<Gateway, String> {
        let capture = CaptureMode::parse(&settings.capture)
            .ok_or_else(|| format!("gateway.capture {:?} is not IMMEDIATE or DELAYED", settings.capture))?;
        match settings.kind.as_str() {
            "simulated" => Ok(Gateway::Simulated(
                SimulatedGateway::new(db, Duration::from_millis(settings.latency_ms)).with_capture(capture),
            )),
            "ecpay" => Ok(Gateway::Ecpay(
                EcpayGateway::new(&settings.ecpay, Duration::from_secs(settings.timeout_secs.max(1)))?
                    .with_capture(capture),
            )),
            other => Err(format!("gateway.kind {other:?} is not simulated or ecpay")),
        }
    }
}

impl PaymentGateway for Gateway {
    async fn charge(&self, request: &ChargeRequest) -> Result<ChargeOutcome, GatewayError> {
        match self {
            Gateway::Simulated(g) => g.charge(request).await,
            Gateway::Ecpay(g) => g.charge(request).await,
        }
    }

    async fn lookup(&self, idempotency_key: &str) -> Result<Option<ChargeOutcome>, GatewayError> {
        match self {
            Gateway::Simulated(g) => g.lookup(idempotency_key).await,
            Gateway::Ecpay(g) => g.lookup(idempotency_key).await,
        }
    }

    async fn refund(&self, request: &RefundRequest) -> Result<RefundOutcome, GatewayError> {
        match self {
            Gateway::Simulated(g) => g.refund(request).await,
            Gateway::Ecpay(g) => g.refund(request).await,
        }
    }

    async fn lookup_refund(&self, idempotency_key: &str) -> Result<Option<RefundOutcome>, GatewayError> {
        match self {
            Gateway::Simulated(g) => g.lookup_refund(idempotency_key).await,
            Gateway::Ecpay(g) => g.lookup_refund(idempotency_key).await,
        }
    }

    fn capture_mode(&self) -> CaptureMode {
        match self {
            Gateway::Simulated(g) => g.capture_mode(),
            Gateway::Ecpay(g) => g.capture_mode(),
        }
    }

    async fn capture(&self, request: &CaptureRequest) -> Result<CaptureOutcome, GatewayError> {
        match self {
            Gateway::Simulated(g) => g.capture(request).await,
            Gateway::Ecpay(g) => g.capture(request).await,
        }
    }

    async fn void(&self, request: &CaptureRequest) -> Result<CaptureOutcome, GatewayError> {
        match self {
            Gateway::Simulated(g) => g.void(request).await,
            Gateway::Ecpay(g) => g.void(request).await,
        }
    }

    async fn settlement(
        &self,
        from: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Option<Vec<Settled>>, GatewayError> {
        match self {
            Gateway::Simulated(g) => g.settlement(from, until).await,
            Gateway::Ecpay(g) => g.settlement(from, until).await,
        }
    }
}

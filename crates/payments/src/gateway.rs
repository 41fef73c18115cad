//! The configured gateway (`gateway.kind`): the simulated one (the embedded default) or ECPay. One value the
//! API, the scheduler and the CLI share.

use crate::ecpay::EcpayGateway;
use crate::{
    ChargeOutcome, ChargeRequest, GatewayError, PaymentGateway, RefundOutcome, RefundRequest,
    SimulatedGateway,
};
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
        match settings.kind.as_str() {
            "simulated" => {
                Ok(Gateway::Simulated(SimulatedGateway::new(db, Duration::from_millis(settings.latency_ms))))
            }
            "ecpay" => Ok(Gateway::Ecpay(EcpayGateway::new(
                &settings.ecpay,
                Duration::from_secs(settings.timeout_secs.max(1)),
            )?)),
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
}

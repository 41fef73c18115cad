//! The simulated gateway (SPEC §5): the token decides — `tok_ok…` approves, `tok_decline…` declines,
//! `tok_error…` fails transiently (nothing charged), `tok_timeout…` charges but answers too late; anything
//! else is declined as an unknown token. A configurable latency stands for the network. It keeps a ledger
//! of the charges it made so tests can count them.

use crate::{ChargeOutcome, ChargeRequest, GatewayError, PaymentGateway};
use platform_core::Money;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

/// One charge the simulated gateway made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Charge {
    /// The caller's key.
    pub idempotency_key: String,
    /// The amount.
    pub amount: Money,
    /// The decision.
    pub outcome: ChargeOutcome,
}

/// The embedded gateway. Cheap to clone; clones share the ledger.
#[derive(Debug, Clone, Default)]
pub struct SimulatedGateway {
    latency: Duration,
    ledger: Arc<Mutex<Ledger>>,
}

#[derive(Debug, Default)]
struct Ledger {
    by_key: HashMap<String, ChargeOutcome>,
    charges: Vec<Charge>,
}

impl SimulatedGateway {
    /// A gateway answering after `latency`.
    pub fn new(latency: Duration) -> Self {
        SimulatedGateway { latency, ledger: Arc::default() }
    }

    /// Every decision made, in order (one per idempotency key).
    pub fn charges(&self) -> Vec<Charge> {
        self.ledger.lock().unwrap_or_else(PoisonError::into_inner).charges.clone()
    }

    /// How many charges were approved.
    pub fn approved_count(&self) -> usize {
        self.charges().iter().filter(|c| matches!(c.outcome, ChargeOutcome::Approved { .. })).count()
    }

    fn decide(&self, request: &ChargeRequest) -> Result<(ChargeOutcome, bool), GatewayError> {
        let mut ledger = self.ledger.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(first) = ledger.by_key.get(&request.idempotency_key) {
            return Ok((first.clone(), false));
        }
        let token = request.payment_token.as_str();
        let outcome = if token.starts_with("tok_error") {
            return Err(GatewayError::Transient("simulated processor error".to_owned()));
        } else if token.starts_with("tok_ok") || token.starts_with("tok_timeout") {
            ChargeOutcome::Approved { transaction_id: format!("sim_{}", uuid::Uuid::new_v4().simple()) }
        } else if token.starts_with("tok_decline") {
            ChargeOutcome::Declined { reason: "card_declined".to_owned() }
        } else {
            ChargeOutcome::Declined { reason: "unknown_token".to_owned() }
        };
        ledger.by_key.insert(request.idempotency_key.clone(), outcome.clone());
        ledger.charges.push(Charge {
            idempotency_key: request.idempotency_key.clone(),
            amount: request.amount,
            outcome: outcome.clone(),
        });
        Ok((outcome, true))
    }
}

impl PaymentGateway for SimulatedGateway {
    async fn charge(&self, request: &ChargeRequest) -> Result<ChargeOutcome, GatewayError> {
        if !self.latency.is_zero() {
            tokio::time::sleep(self.latency).await;
        }
        let (outcome, _) = self.decide(request)?;
        if request.payment_token.starts_with("tok_timeout") {
            // Charged, but the answer is lost: the caller must reconcile with `lookup`.
            return Err(GatewayError::Timeout);
        }
        Ok(outcome)
    }

    async fn lookup(&self, idempotency_key: &str) -> Result<Option<ChargeOutcome>, GatewayError> {
        Ok(self.ledger.lock().unwrap_or_else(PoisonError::into_inner).by_key.get(idempotency_key).cloned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(key: &str, token: &str) -> ChargeRequest {
        ChargeRequest {
            idempotency_key: key.to_owned(),
            payment_token: token.to_owned(),
            amount: Money::new(3480),
        }
    }

    #[tokio::test]
    async fn tokens_decide_the_outcome() {
        let gateway = SimulatedGateway::default();
        assert!(matches!(
            gateway.charge(&request("a", "tok_ok_4242")).await,
            Ok(ChargeOutcome::Approved { .. })
        ));
        assert_eq!(
            gateway.charge(&request("b", "tok_decline_0002")).await,
            Ok(ChargeOutcome::Declined { reason: "card_declined".into() })
        );
        assert!(matches!(
            gateway.charge(&request("c", "tok_error_x")).await,
            Err(GatewayError::Transient(_))
        ));
        assert_eq!(gateway.lookup("c").await, Ok(None), "a transient error charges nothing");
        assert_eq!(
            gateway.charge(&request("d", "4111111111111111")).await,
            Ok(ChargeOutcome::Declined { reason: "unknown_token".into() })
        );
        assert_eq!(gateway.approved_count(), 1);
    }

    #[tokio::test]
    async fn a_key_is_charged_once_and_a_lost_answer_can_be_looked_up() {
        let gateway = SimulatedGateway::default();
        let first = gateway.charge(&request("renewal-7-attempt-1", "tok_ok")).await.unwrap();
        let again = gateway.charge(&request("renewal-7-attempt-1", "tok_ok")).await.unwrap();
        assert_eq!(first, again);
        assert_eq!(gateway.charges().len(), 1);

        assert_eq!(
            gateway.charge(&request("renewal-8-attempt-1", "tok_timeout")).await,
            Err(GatewayError::Timeout)
        );
        assert!(matches!(
            gateway.lookup("renewal-8-attempt-1").await,
            Ok(Some(ChargeOutcome::Approved { .. }))
        ));
        assert_eq!(gateway.approved_count(), 2);
    }

    #[tokio::test]
    async fn concurrent_charges_of_one_key_charge_once() {
        let gateway = SimulatedGateway::new(Duration::from_millis(5));
        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..16 {
            let gateway = gateway.clone();
            tasks.spawn(async move { gateway.charge(&request("same", "tok_ok")).await });
        }
        let results: Vec<_> = tasks.join_all().await;
        assert!(results.windows(2).all(|w| w[0] == w[1]), "every caller sees the one decision");
        assert_eq!(gateway.charges().len(), 1);
    }
}

//! The simulated gateway against real databases: SQLite always, PostgreSQL when TEST_DATABASE_URL is set.

#![allow(clippy::unwrap_used, reason = "test helpers fail the test loudly")]

use payments::{ChargeOutcome, ChargeRequest, GatewayError, PaymentGateway, SimulatedGateway};
use platform_core::Money;
use std::time::Duration;

fn request(key: &str, token: &str) -> ChargeRequest {
    ChargeRequest {
        idempotency_key: key.to_owned(),
        payment_token: token.to_owned(),
        amount: Money::new(3480),
    }
}

#[tokio::test]
async fn tokens_decide_the_outcome() {
    for db in test_support::databases().await {
        let gateway = SimulatedGateway::new(db.conn.clone(), Duration::ZERO);
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
        assert_eq!(gateway.approved_count().await.unwrap(), 1, "{}", db.label());
    }
}

/// SPEC §5 and issue #15 fault 1: the ledger is the database's, as a real gateway's is its own, so a
/// lost answer is found by a gateway of another process (here: another instance on another pool).
#[tokio::test]
async fn r9_a_lost_answer_is_looked_up_from_another_process() {
    for db in test_support::databases().await {
        let charging = SimulatedGateway::new(db.conn.clone(), Duration::ZERO);
        let first = charging.charge(&request("renewal-7-1", "tok_ok")).await.unwrap();
        let again = charging.charge(&request("renewal-7-1", "tok_ok")).await.unwrap();
        assert_eq!(first, again, "a repeated key answers the first decision");
        assert_eq!(charging.charge(&request("renewal-8-1", "tok_timeout")).await, Err(GatewayError::Timeout));

        let other_pool = sea_orm::Database::connect(db.url.as_str()).await.unwrap();
        let elsewhere = SimulatedGateway::new(other_pool, Duration::ZERO);
        assert!(
            matches!(elsewhere.lookup("renewal-8-1").await, Ok(Some(ChargeOutcome::Approved { .. }))),
            "{}: the charge whose answer was lost is known to every process",
            db.label()
        );
        assert_eq!(elsewhere.lookup("renewal-7-1").await, Ok(Some(first)));
        assert_eq!(elsewhere.lookup("never-charged").await, Ok(None));
        assert_eq!(elsewhere.charges().await.unwrap().len(), 2);
        assert_eq!(elsewhere.approved_count().await.unwrap(), 2);
    }
}

#[tokio::test]
async fn concurrent_charges_of_one_key_charge_once() {
    for db in test_support::databases().await {
        let gateway = SimulatedGateway::new(db.conn.clone(), Duration::from_millis(5));
        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..16 {
            let gateway = gateway.clone();
            tasks.spawn(async move { gateway.charge(&request("same", "tok_ok")).await });
        }
        let results: Vec<_> = tasks.join_all().await;
        assert!(results.iter().all(Result::is_ok), "{}: {results:?}", db.label());
        assert!(results.windows(2).all(|w| w[0] == w[1]), "every caller sees the one decision");
        assert_eq!(gateway.charges().await.unwrap().len(), 1);
    }
}

fn refund(key: &str, transaction_id: &str, token: &str, amount: i64) -> payments::RefundRequest {
    payments::RefundRequest {
        idempotency_key: key.to_owned(),
        transaction_id: transaction_id.to_owned(),
        payment_token: token.to_owned(),
        amount: Money::new(amount),
    }
}

/// R19 at the gateway: partial refunds up to the charge and no further, one decision per key, a lost
/// answer looked up, a transient error refunding nothing.
#[tokio::test]
async fn r19_refunds_never_exceed_the_charge_and_a_key_is_refunded_once() {
    for db in test_support::databases().await {
        let gateway = SimulatedGateway::new(db.conn.clone(), Duration::ZERO);
        let Ok(ChargeOutcome::Approved { transaction_id: tx }) =
            gateway.charge(&request("c1", "tok_ok_1")).await
        else {
            panic!("charged");
        };
        let first = gateway.refund(&refund("r1", &tx, "tok_ok_1", 1000)).await.unwrap();
        assert!(matches!(first, payments::RefundOutcome::Refunded { .. }), "{}", db.label());
        assert_eq!(
            gateway.refund(&refund("r1", &tx, "tok_ok_1", 1000)).await.unwrap(),
            first,
            "the same key, once"
        );
        assert!(matches!(
            gateway.refund(&refund("r2", &tx, "tok_ok_1", 2480)).await.unwrap(),
            payments::RefundOutcome::Refunded { .. }
        ));
        assert_eq!(
            gateway.refund(&refund("r3", &tx, "tok_ok_1", 1)).await.unwrap(),
            payments::RefundOutcome::Declined { reason: "amount_exceeds_charge".into() },
            "3480 of 3480 given back already"
        );
        assert!(matches!(
            gateway.refund(&refund("r4", &tx, "tok_error_1", 1)).await,
            Err(GatewayError::Transient(_))
        ));
        assert_eq!(gateway.lookup_refund("r4").await, Ok(None), "a transient error refunds nothing");
        // A lost answer: refunded, looked up, never refunded twice.
        let Ok(ChargeOutcome::Approved { transaction_id: other }) =
            gateway.charge(&request("c2", "tok_ok_2")).await
        else {
            panic!("charged");
        };
        assert_eq!(
            gateway.refund(&refund("r5", &other, "tok_timeout_2", 500)).await,
            Err(GatewayError::Timeout)
        );
        assert!(matches!(
            gateway.lookup_refund("r5").await,
            Ok(Some(payments::RefundOutcome::Refunded { .. }))
        ));
        let given: i64 = gateway
            .refunds()
            .await
            .unwrap()
            .iter()
            .filter(|r| matches!(r.outcome, payments::RefundOutcome::Refunded { .. }))
            .map(|r| r.amount.amount())
            .sum();
        assert_eq!(given, 3480 + 500);
    }
}

/// Two refunds of one charge at once cannot both pass the charge's amount.
#[tokio::test]
async fn r19_concurrent_refunds_of_one_charge_stay_within_it() {
    for db in test_support::databases().await {
        let gateway = SimulatedGateway::new(db.conn.clone(), Duration::ZERO);
        let Ok(ChargeOutcome::Approved { transaction_id: tx }) =
            gateway.charge(&request("c", "tok_ok_1")).await
        else {
            panic!("charged");
        };
        let mut calls = tokio::task::JoinSet::new();
        for n in 0..6 {
            let (gateway, tx) = (gateway.clone(), tx.clone());
            calls
                .spawn(async move { gateway.refund(&refund(&format!("k{n}"), &tx, "tok_ok_1", 1000)).await });
        }
        let mut refunded = 0;
        while let Some(answer) = calls.join_next().await {
            if matches!(answer.unwrap(), Ok(payments::RefundOutcome::Refunded { .. })) {
                refunded += 1;
            }
        }
        assert_eq!(refunded, 3, "three of 1000 fit in 3480: {}", db.label());
    }
}

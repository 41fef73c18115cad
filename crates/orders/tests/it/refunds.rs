//! R19 refunds of an order's payment: partial refunds up to what was paid and no further, one refund per
//! key, a lost answer settled by lookup and never repeated, concurrent refunds within the payment.

use crate::{at, count, order, service};
use orders::model::{NewOrder, PaymentReport, PaymentResult};
use orders::service::{OrderService, RefundInput, RefundStatus, refunds_of};
use payments::{
    ChargeOutcome, ChargeRequest, GatewayError, PaymentGateway, RefundOutcome, RefundRequest,
    SimulatedGateway,
};
use platform_core::error::HasErrorCode;
use platform_core::{ErrorCode, Money};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

async fn paid(orders: &OrderService, key: &str, token: &str) -> String {
    let input = NewOrder { payment_token: Some(token.to_owned()), ..order(key, &[("GC18080026", 1, 3480)]) };
    let (created, _) = orders.create(input, at(3)).await.unwrap();
    let report = PaymentReport {
        order_no: created.order_no.clone(),
        transaction_id: format!("T-{key}"),
        status: PaymentResult::Paid,
        amount: 3480,
        paid_at: None,
    };
    orders.record_payment(report, at(4)).await.unwrap();
    created.order_no
}

fn refund(order_no: &str, key: &str, amount: i64) -> RefundInput {
    RefundInput {
        order_no: order_no.to_owned(),
        amount: Money::new(amount),
        idempotency_key: key.to_owned(),
        reason: "customer returned it".to_owned(),
    }
}

const WAIT: Duration = Duration::from_secs(5);

#[tokio::test]
async fn r19_refunds_add_up_to_at_most_what_was_paid_and_a_key_refunds_once() {
    for db in test_support::databases().await {
        let orders = service(&db).await;
        let gateway = SimulatedGateway::new(db.conn.clone(), Duration::ZERO);
        let no = paid(&orders, "rf-1", "tok_ok_1").await;
        let first = orders.refund(&gateway, &refund(&no, "k1", 1000), WAIT, at(5)).await.unwrap();
        assert_eq!(first.status, RefundStatus::Refunded, "{}", db.label());
        let again = orders.refund(&gateway, &refund(&no, "k1", 1000), WAIT, at(6)).await.unwrap();
        assert_eq!(again, first, "the same key answers the first refund");
        let rest = orders.refund(&gateway, &refund(&no, "k2", 2480), WAIT, at(6)).await.unwrap();
        assert_eq!(rest.status, RefundStatus::Refunded);
        for (key, amount) in [("k3", 1), ("k4", 0), ("k5", -5)] {
            let err = orders.refund(&gateway, &refund(&no, key, amount), WAIT, at(7)).await.unwrap_err();
            assert_eq!(err.code(), ErrorCode::BadUserInput, "{key}: {err}");
        }
        assert_eq!(count(&db.conn, "order_refunds").await, 2, "refused refunds write nothing");
        assert_eq!(gateway.refunds().await.unwrap().len(), 2, "two refunds at the gateway");
        assert_eq!(count(&db.conn, "events WHERE event_type = 'payment.refunded'").await, 2);
        let listed: i64 = refunds_of(&db.conn, &no).await.unwrap().iter().map(|r| r.amount.amount()).sum();
        assert_eq!(listed, 3480, "the refunds sum to the paid amount");
        // An unpaid order has nothing to refund; a key already used refunds no other order.
        let (unpaid, _) = orders.create(order("rf-unpaid", &[("BK0002", 1, 100)]), at(3)).await.unwrap();
        let err = orders.refund(&gateway, &refund(&unpaid.order_no, "k6", 1), WAIT, at(7)).await.unwrap_err();
        assert_eq!(err.code(), ErrorCode::Conflict);
        let other = paid(&orders, "rf-2", "tok_ok_2").await;
        let err = orders.refund(&gateway, &refund(&other, "k1", 1000), WAIT, at(7)).await.unwrap_err();
        assert_eq!(err.code(), ErrorCode::Conflict, "{err}");
    }
}

/// The simulated gateway whose first `blind` refund lookups go unanswered.
#[derive(Clone)]
struct Forgetful {
    inner: SimulatedGateway,
    blind: Arc<AtomicUsize>,
}

impl PaymentGateway for Forgetful {
    async fn charge(&self, request: &ChargeRequest) -> Result<ChargeOutcome, GatewayError> {
        self.inner.charge(request).await
    }
    async fn lookup(&self, key: &str) -> Result<Option<ChargeOutcome>, GatewayError> {
        self.inner.lookup(key).await
    }
    async fn refund(&self, request: &RefundRequest) -> Result<RefundOutcome, GatewayError> {
        self.inner.refund(request).await
    }
    async fn lookup_refund(&self, key: &str) -> Result<Option<RefundOutcome>, GatewayError> {
        if self.blind.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1)).is_ok() {
            return Err(GatewayError::Timeout);
        }
        self.inner.lookup_refund(key).await
    }
}

#[tokio::test]
async fn r19_a_refund_whose_answer_is_lost_is_settled_by_lookup_and_never_repeated() {
    for db in test_support::databases().await {
        let orders = service(&db).await;
        let inner = SimulatedGateway::new(db.conn.clone(), Duration::ZERO);
        let gateway = Forgetful { inner: inner.clone(), blind: Arc::new(AtomicUsize::new(1)) };
        let no = paid(&orders, "rf-lost", "tok_timeout_1").await;
        let lost = orders.refund(&gateway, &refund(&no, "lost", 3480), WAIT, at(5)).await.unwrap();
        assert_eq!(lost.status, RefundStatus::Unknown, "{}", db.label());
        // Nothing else may be refunded meanwhile: the unknown one counts against the payment.
        let err = orders.refund(&gateway, &refund(&no, "other", 1), WAIT, at(6)).await.unwrap_err();
        assert_eq!(err.code(), ErrorCode::BadUserInput);
        let settled = orders.refund(&gateway, &refund(&no, "lost", 3480), WAIT, at(6)).await.unwrap();
        assert_eq!(settled.status, RefundStatus::Refunded);
        assert_eq!(inner.refunds().await.unwrap().len(), 1, "refunded once at the gateway");
        assert_eq!(count(&db.conn, "events WHERE event_type = 'payment.refunded'").await, 1);
    }
}

#[tokio::test]
async fn r19_concurrent_refunds_of_a_whole_payment_refund_it_once() {
    for db in test_support::databases().await {
        let orders = service(&db).await;
        let gateway = SimulatedGateway::new(db.conn.clone(), Duration::ZERO);
        let no = paid(&orders, "rf-race", "tok_ok_1").await;
        let mut calls = tokio::task::JoinSet::new();
        for n in 0..4 {
            let (orders, gateway, no) = (orders.clone(), gateway.clone(), no.clone());
            calls.spawn(async move {
                orders.refund(&gateway, &refund(&no, &format!("race-{n}"), 3480), WAIT, at(5)).await
            });
        }
        let mut refunded = 0;
        while let Some(answer) = calls.join_next().await {
            match answer.unwrap() {
                Ok(r) if r.status == RefundStatus::Refunded => refunded += 1,
                Ok(other) => panic!("{other:?}"),
                Err(err) => assert_eq!(err.code(), ErrorCode::BadUserInput, "{err}"),
            }
        }
        assert_eq!(refunded, 1, "{}", db.label());
        assert_eq!(gateway.refunds().await.unwrap().len(), 1);
    }
}

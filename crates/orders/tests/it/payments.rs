//! recordPayment and bindOrderMember: idempotency, the amount check and its alert, paid is final.

use crate::{at, count, order, service};
use members::service::upsert_member;
use members::{Account, MemberInput};
use orders::model::{OrderStatus, PaymentReport, PaymentResult, PaymentStatus};
use platform_core::ErrorCode;
use platform_core::error::HasErrorCode;

fn report(order_no: &str, transaction: &str, status: PaymentResult, amount: i64) -> PaymentReport {
    PaymentReport {
        order_no: order_no.to_owned(),
        transaction_id: transaction.to_owned(),
        status,
        amount,
        paid_at: None,
    }
}

#[tokio::test]
async fn failed_then_paid_then_replayed_and_a_paid_order_never_fails() {
    for db in test_support::databases().await {
        let orders = service(&db).await;
        let (created, _) = orders.create(order("p-1", &[("GC18080026", 1, 3480)]), at(3)).await.unwrap();
        let no = created.order_no.as_str();

        let failed =
            orders.record_payment(report(no, "T-1", PaymentResult::Failed, 3480), at(4)).await.unwrap();
        assert_eq!((failed.status, failed.payment_status), (OrderStatus::Created, PaymentStatus::Failed));
        let paid = orders.record_payment(report(no, "T-2", PaymentResult::Paid, 3480), at(5)).await.unwrap();
        assert_eq!(
            (paid.status, paid.payment_status),
            (OrderStatus::Confirmed, PaymentStatus::Paid),
            "{}",
            db.label()
        );
        assert_eq!(paid.paid_at, Some(at(5)));
        // The same callback again: same answer, nothing new.
        let replay =
            orders.record_payment(report(no, "T-2", PaymentResult::Paid, 3480), at(6)).await.unwrap();
        assert_eq!(replay, paid);
        assert_eq!(count(&db.conn, "payments").await, 2);
        assert_eq!(count(&db.conn, "events WHERE event_type = 'order.paid'").await, 1);

        let err =
            orders.record_payment(report(no, "T-3", PaymentResult::Failed, 3480), at(7)).await.unwrap_err();
        assert_eq!(err.code(), ErrorCode::Conflict, "{err}");
        let err =
            orders.record_payment(report(no, "T-2", PaymentResult::Failed, 3480), at(7)).await.unwrap_err();
        assert_eq!(err.code(), ErrorCode::Conflict, "same transaction, other result: {err}");
        let err =
            orders.record_payment(report(no, "T-4", PaymentResult::Paid, 3480), at(7)).await.unwrap_err();
        assert_eq!(err.code(), ErrorCode::Conflict, "a second payment: {err}");
        assert_eq!(count(&db.conn, "events WHERE event_type = 'payment.duplicate'").await, 1);
        let follow_up = format!(
            "follow_ups WHERE kind = 'DUPLICATE_PAYMENT' AND subject = 'order:{no}' AND priority = 'HIGH'"
        );
        assert_eq!(count(&db.conn, &follow_up).await, 1, "R17: a person refunds the second payment");
        let still = orders.find(no).await.unwrap().unwrap();
        assert_eq!(still.payment_status, PaymentStatus::Paid);
        assert_eq!(still.payments.len(), 2);
    }
}

#[tokio::test]
async fn r17_a_wrong_amount_is_refused_recorded_and_followed_up() {
    for db in test_support::databases().await {
        let orders = service(&db).await;
        let (created, _) = orders.create(order("p-2", &[("GC24010001", 1, 2280)]), at(3)).await.unwrap();
        let err = orders
            .record_payment(report(&created.order_no, "T-9", PaymentResult::Paid, 2000), at(4))
            .await
            .unwrap_err();
        assert_eq!(err.code(), ErrorCode::BadUserInput, "{}: {err}", db.label());
        assert!(err.to_string().starts_with("amount: 2000 does not match the order total 2280"), "{err}");
        assert_eq!(count(&db.conn, "payments").await, 0);
        assert_eq!(count(&db.conn, "events WHERE event_type = 'payment.amount_mismatch'").await, 1);
        let follow_up = format!(
            "follow_ups WHERE kind = 'PAYMENT_AMOUNT_MISMATCH' AND subject = 'order:{}'",
            created.order_no
        );
        assert_eq!(count(&db.conn, &follow_up).await, 1, "R17");
        let unchanged = orders.find(&created.order_no).await.unwrap().unwrap();
        assert_eq!(unchanged.payment_status, PaymentStatus::Pending);

        let err = orders
            .record_payment(report("O0000000000000", "T-10", PaymentResult::Paid, 1), at(4))
            .await
            .unwrap_err();
        assert_eq!(err.code(), ErrorCode::NotFound);
        let err = orders
            .record_payment(report(&created.order_no, " ", PaymentResult::Paid, 2280), at(4))
            .await
            .unwrap_err();
        assert_eq!(err.code(), ErrorCode::BadUserInput);
    }
}

#[tokio::test]
async fn concurrent_paid_callbacks_pay_once() {
    for db in test_support::databases().await {
        let orders = service(&db).await;
        let (created, _) = orders.create(order("p-3", &[("GC24010001", 1, 2280)]), at(3)).await.unwrap();
        let tasks: Vec<_> = (0..6)
            .map(|i| {
                let orders = orders.clone();
                let no = created.order_no.clone();
                // Three distinct transactions, each reported twice.
                let transaction = format!("T-{}", i % 3);
                tokio::spawn(async move {
                    orders.record_payment(report(&no, &transaction, PaymentResult::Paid, 2280), at(4)).await
                })
            })
            .collect();
        for task in tasks {
            if let Err(err) = task.await.unwrap() {
                assert_eq!(err.code(), ErrorCode::Conflict, "{}: {err}", db.label());
            }
        }
        assert_eq!(count(&db.conn, "events WHERE event_type = 'order.paid'").await, 1, "{}", db.label());
        assert_eq!(count(&db.conn, "payments").await, 1);
    }
}

#[tokio::test]
async fn binding_a_member_is_idempotent_and_rebinding_is_conflict() {
    for db in test_support::databases().await {
        let orders = service(&db).await;
        for account in ["alice@example.com", "bob@example.com"] {
            upsert_member(&db.conn, MemberInput { account: account.into(), ..MemberInput::default() }, at(1))
                .await
                .unwrap();
        }
        let alice = Account::parse("Alice@Example.com").unwrap();
        let bob = Account::parse("bob@example.com").unwrap();
        let (created, _) = orders.create(order("m-1", &[("KC24010002", 1, 1990)]), at(3)).await.unwrap();
        let bound = orders.bind_member(&created.order_no, &alice, at(4)).await.unwrap();
        assert_eq!(bound.member_account, Some(alice.clone()), "{}", db.label());
        assert_eq!(orders.bind_member(&created.order_no, &alice, at(5)).await.unwrap(), bound);
        let err = orders.bind_member(&created.order_no, &bob, at(5)).await.unwrap_err();
        assert_eq!(err.code(), ErrorCode::Conflict);
        let missing = Account::parse("nobody@example.com").unwrap();
        assert_eq!(
            orders.bind_member(&created.order_no, &missing, at(5)).await.unwrap_err().code(),
            ErrorCode::NotFound
        );
        assert_eq!(orders.bind_member("NOPE", &alice, at(5)).await.unwrap_err().code(), ErrorCode::NotFound);
        assert_eq!(count(&db.conn, "events WHERE event_type = 'order.member_bound'").await, 1);

        let filter = orders::OrderFilter { member: Some(alice), ..orders::OrderFilter::default() };
        let listed = orders.list(&filter, None, 10).await.unwrap();
        assert_eq!(listed.len(), 1);
        let filter = orders::OrderFilter { member: Some(bob), ..orders::OrderFilter::default() };
        assert!(orders.list(&filter, None, 10).await.unwrap().is_empty());
    }
}

/// Issue #14: a payment's amount is bounded like every amount, its `paidAt` (which drives R3's start) must
/// be near now — not 2999, not 1970 — and its transaction id is plain text. Nothing is recorded on refusal.
#[tokio::test]
async fn payment_reports_outside_the_bounds_are_refused_and_nothing_recorded() {
    for db in test_support::databases().await {
        let orders = service(&db).await;
        let (created, _) = orders.create(order("w-1", &[("GC18080026", 1, 3480)]), at(3)).await.unwrap();
        let no = created.order_no.as_str();
        let year = |y: i32| chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, y, 1, 1, 0, 0, 0).unwrap();
        let cases = [
            (PaymentReport { amount: 100_000_001, ..report(no, "W-1", PaymentResult::Paid, 0) }, "amount: "),
            (PaymentReport { amount: -1, ..report(no, "W-2", PaymentResult::Paid, 0) }, "amount: "),
            (
                PaymentReport { paid_at: Some(year(2999)), ..report(no, "W-3", PaymentResult::Paid, 3480) },
                "paidAt: ",
            ),
            (
                PaymentReport { paid_at: Some(year(1970)), ..report(no, "W-4", PaymentResult::Paid, 3480) },
                "paidAt: ",
            ),
            (
                PaymentReport {
                    paid_at: Some(at(3) + chrono::Duration::hours(2)),
                    ..report(no, "W-5", PaymentResult::Paid, 3480)
                },
                "paidAt: ",
            ),
            (report(no, "W-6\u{0}", PaymentResult::Paid, 3480), "transactionId: "),
            (report(no, "W-7\r\nX-Injected: 1", PaymentResult::Paid, 3480), "transactionId: "),
        ];
        for (input, message) in cases {
            let err = orders.record_payment(input, at(3)).await.unwrap_err();
            assert_eq!(err.code(), ErrorCode::BadUserInput, "{}: {err}", db.label());
            assert!(err.to_string().starts_with(message), "expected {message:?}, got {err}");
        }
        assert_eq!(count(&db.conn, "payments").await, 0, "{}", db.label());
        let earlier = PaymentReport { paid_at: Some(at(1)), ..report(no, "W-8", PaymentResult::Paid, 3480) };
        let paid = orders.record_payment(earlier, at(3)).await.unwrap();
        assert_eq!(paid.paid_at, Some(at(1)), "a callback a little late keeps its time");
    }
}

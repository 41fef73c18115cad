//! R23 delayed capture: renewal charges only authorised (`gateway.capture = DELAYED`), refunds before the
//! capture kept off it without the gateway, `CAPTURE_PAYMENTS`' rule as of the next day — what is left
//! captured, a cancelled order's authorisation voided — once, and a refused capture left for an operator.

use crate::fixtures::{World, at};
use aftersale::returns::{Context, cancel_order};
use orders::model::PaymentStatus;
use orders::service::{RefundInput, RefundStatus};
use payments::{CaptureMode, SimulatedGateway};
use platform_core::settings::RenewalSettings;
use platform_core::{BusinessCalendar, Money};
use renewals::charge::{ChargeRun, Due};
use renewals::service::{NewRenewal, create_renewal, find_renewal};
use std::time::Duration;
use test_support::count;

const WAIT: Duration = Duration::from_secs(5);

#[tokio::test]
async fn r23_delayed_capture_takes_what_is_left_the_next_day_and_voids_cancelled_orders() {
    for db in test_support::databases().await {
        let world = World::new(&db).await;
        let calendar = BusinessCalendar::default();
        let gateway =
            SimulatedGateway::new(db.conn.clone(), Duration::ZERO).with_capture(CaptureMode::Delayed);
        let mut renewals = Vec::new();
        for n in 1..=4 {
            let origin = world.order(n, &format!("cap-{n}"), &[("GC18080026", 1, 3480)], 0, true).await;
            let input = NewRenewal {
                customer_no: world.payer(n),
                member_account: Some(format!("holder{n}@example.com")),
                promotion_code: "GC18080026".into(),
                origin_order_no: Some(origin),
                card_last4: Some("4242".into()),
                payment_token: Some(format!("tok_ok_cap_{n}")),
                ..NewRenewal::default()
            };
            renewals.push(create_renewal(&db.conn, calendar, input, at(1)).await.unwrap().renewal);
        }
        let day = renewals.iter().map(|r| r.deduct_date).max().unwrap();
        let charged_at = calendar.start_of(day) + chrono::Duration::hours(10);
        let run =
            ChargeRun::new(world.orders.clone(), calendar, gateway.clone(), RenewalSettings::default(), WAIT);
        let summary = run.run(Due::Scheduled, day, charged_at).await.unwrap();
        assert_eq!(summary.charged, 4, "{}: {summary:?}", db.label());
        let mut auto = Vec::new();
        for r in &renewals {
            auto.push(find_renewal(&db.conn, r.id).await.unwrap().unwrap().charge_order_no.unwrap());
        }
        // Paid for the business (entitlements, next cycle), but only authorised at the gateway.
        for no in &auto {
            let order = world.orders.find(no).await.unwrap().unwrap();
            assert_eq!(order.payment_status, PaymentStatus::Paid);
            assert_eq!(order.payments[0].capture, Some(orders::CaptureStatus::Authorised), "{no}");
            assert_eq!(order.payments[0].captured_amount, None);
        }
        assert_eq!(count(&db.conn, "simulated_charges WHERE state = 'AUTHORISED'").await, 4);

        // Before the capture: one order cancelled, another partly refunded — neither reaches the gateway.
        let delayed = Context { orders: &world.orders, gateway: &gateway, calendar, timeout: WAIT };
        let cancelled = cancel_order(delayed, &auto[0], "changed my mind", charged_at).await.unwrap();
        let refund = cancelled.refund.unwrap();
        assert_eq!((refund.status, refund.amount), (RefundStatus::Refunded, Money::new(3480)));
        assert!(refund.refund_id.as_deref().is_some_and(|id| id.starts_with("uncaptured:")));
        let input = RefundInput {
            order_no: auto[1].clone(),
            amount: Money::new(1000),
            idempotency_key: "part".into(),
            reason: "one issue missing".into(),
        };
        let part = world.orders.refund(&gateway, &input, WAIT, charged_at).await.unwrap();
        assert_eq!(part.status, RefundStatus::Refunded);
        assert!(gateway.refunds().await.unwrap().is_empty(), "nothing refunded at the gateway");
        // The gateway cannot be asked to refund what it has not taken.
        let early = payments::PaymentGateway::refund(
            &gateway,
            &payments::RefundRequest {
                idempotency_key: "early".into(),
                transaction_id: world.orders.find(&auto[2]).await.unwrap().unwrap().payments[0]
                    .transaction_id
                    .clone(),
                payment_token: "tok_ok_cap_3".into(),
                amount: Money::new(1),
            },
        )
        .await
        .unwrap();
        assert_eq!(early, payments::RefundOutcome::Declined { reason: "not_captured".into() });
        // The fourth authorisation is refused by the gateway (it was given up there).
        let fourth = world.orders.find(&auto[3]).await.unwrap().unwrap().payments[0].transaction_id.clone();
        test_support::execute(
            &db.conn,
            &format!("UPDATE simulated_charges SET state = 'VOIDED' WHERE transaction_id = '{fourth}'"),
        )
        .await;

        // As of the charge day: nothing yet (authorisations wait a day).
        let same_day =
            world.orders.capture_payments(&gateway, calendar.start_of(day), WAIT, charged_at).await.unwrap();
        assert_eq!(same_day, orders::service::CaptureSummary::default());
        // As of the next day, 11:00.
        let next = day.succ_opt().unwrap();
        let capture_at = calendar.start_of(next) + chrono::Duration::hours(11);
        let done =
            world.orders.capture_payments(&gateway, calendar.start_of(next), WAIT, capture_at).await.unwrap();
        assert_eq!((done.captured, done.voided, done.refused, done.unanswered), (2, 1, 1, 0), "{done:?}");
        let payment = |i: usize| {
            let orders = world.orders.clone();
            let no = auto[i].clone();
            async move { orders.find(&no).await.unwrap().unwrap().payments[0].clone() }
        };
        let voided = payment(0).await;
        assert_eq!(
            (voided.capture, voided.captured_at),
            (Some(orders::CaptureStatus::Voided), Some(capture_at))
        );
        let partial = payment(1).await;
        assert_eq!(partial.capture, Some(orders::CaptureStatus::Captured));
        assert_eq!(partial.captured_amount, Some(Money::new(2480)), "what is left after the refund");
        assert_eq!(payment(2).await.captured_amount, Some(Money::new(3480)));
        assert_eq!(
            payment(3).await.capture,
            Some(orders::CaptureStatus::Authorised),
            "refused: left for an operator"
        );
        assert_eq!(
            count(&db.conn, "simulated_charges WHERE state = 'CAPTURED' AND captured_amount = 2480").await,
            1
        );
        assert_eq!(count(&db.conn, "simulated_charges WHERE state = 'VOIDED'").await, 2);
        assert_eq!(count(&db.conn, "events WHERE event_type = 'payment.captured'").await, 2);
        assert_eq!(count(&db.conn, "events WHERE event_type = 'payment.voided'").await, 1);
        let follow_up = format!("follow_ups WHERE kind = 'CAPTURE_FAILED' AND subject = 'order:{}'", auto[3]);
        assert_eq!(count(&db.conn, &follow_up).await, 1);

        // Once: a second run captures nothing more, and the refused one opens no second follow-up.
        let again =
            world.orders.capture_payments(&gateway, calendar.start_of(next), WAIT, capture_at).await.unwrap();
        assert_eq!((again.captured, again.voided, again.refused), (0, 0, 1));
        assert_eq!(count(&db.conn, "events WHERE event_type = 'payment.captured'").await, 2);
        assert_eq!(count(&db.conn, &follow_up).await, 1);
        // Captured: a refund now goes through the gateway, within what was captured.
        let after =
            RefundInput { idempotency_key: "after".into(), amount: Money::new(2480), ..input.clone() };
        let refunded = world.orders.refund(&gateway, &after, WAIT, capture_at).await.unwrap();
        assert_eq!(refunded.status, RefundStatus::Refunded, "{refunded:?}");
        let given_back = gateway.refunds().await.unwrap();
        let given_back: Vec<_> = given_back
            .iter()
            .filter(|r| matches!(r.outcome, payments::RefundOutcome::Refunded { .. }))
            .collect();
        assert_eq!(given_back.len(), 1, "only the refund after the capture reached the gateway");
        assert_eq!(given_back[0].amount, Money::new(2480));
        let over = RefundInput { idempotency_key: "over".into(), amount: Money::new(1), ..input };
        assert!(world.orders.refund(&gateway, &over, WAIT, capture_at).await.is_err(), "nothing is left");
    }
}

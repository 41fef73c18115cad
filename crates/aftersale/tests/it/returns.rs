//! R19: cancelling orders and returning lines — entitlements taken back from the end of the coverage, the
//! money refunded once whatever the retries, renewals following, bad input refused with nothing written.

use crate::fixtures::{World, at, today};
use aftersale::returns::{LineReturn, cancel_order, refund_after_cancellation, return_lines};
use entitlements::SubscribeStatus;
use orders::model::{LineStatus, OrderStatus, PaymentStatus};
use orders::service::{LineQuantity, RefundStatus, ReturnKind, refunds_of};
use platform_core::error::HasErrorCode;
use platform_core::{BusinessCalendar, ErrorCode, Money};
use renewals::service::{NewRenewal, create_renewal, find_renewal};
use test_support::count;

fn renewal_of(world: &World, n: usize, promotion: &str, origin: Option<&str>) -> NewRenewal {
    NewRenewal {
        customer_no: world.payer(n),
        member_account: Some(format!("holder{n}@example.com")),
        promotion_code: promotion.to_owned(),
        origin_order_no: origin.map(str::to_owned),
        card_last4: Some("4242".into()),
        payment_token: Some("tok_ok_renewal".into()),
        ..NewRenewal::default()
    }
}

/// The last GCV issue published by today.
async fn last_published(world: &World) -> i32 {
    let issues = catalog::service::issues_of(world.orders.db(), "GCV").await.unwrap();
    issues.into_iter().filter(|(_, date)| *date <= today()).map(|(volume, _)| volume).max().unwrap()
}

#[tokio::test]
async fn r19_cancelling_a_paid_order_takes_back_its_lines_refunds_once_and_stops_its_renewal() {
    for db in test_support::databases().await {
        let world = World::new(&db).await;
        let no = world.order(1, "c-1", &[("GC18080026", 1, 3480)], 0, true).await;
        let print = world.entitlement(1, "GCV").await;
        assert_eq!(
            print.end_volume.zip(print.start_volume).map(|(e, s)| e - s + 1),
            Some(26),
            "{}",
            db.label()
        );
        let renewal = create_renewal(
            &db.conn,
            BusinessCalendar::default(),
            renewal_of(&world, 1, "GC18080026", Some(&no)),
            at(1),
        )
        .await
        .unwrap()
        .renewal;

        let first = cancel_order(world.ctx(), &no, "changed my mind", at(2)).await.unwrap();
        assert_eq!(first.recorded.kind, ReturnKind::Cancel);
        assert_eq!(first.recorded.lines.len(), 2, "both lines");
        let refund = first.refund.clone().unwrap();
        assert_eq!((refund.status, refund.amount), (RefundStatus::Refunded, Money::new(3480)));
        let again = cancel_order(world.ctx(), &no, "asked twice", at(3)).await.unwrap();
        assert_eq!(again, first, "cancelling again answers the first cancellation");

        assert_eq!(world.gateway.refunds().await.unwrap().len(), 1, "one refund at the gateway");
        let order = world.orders.find(&no).await.unwrap().unwrap();
        assert_eq!((order.status, order.payment_status), (OrderStatus::Cancelled, PaymentStatus::Paid));
        assert!(
            order
                .lines
                .iter()
                .all(|l| l.status == LineStatus::Cancelled && l.returned_quantity == l.quantity)
        );
        // PERIOD: the unused term is gone (cancelled on day 0: due today), and the pass has ended.
        let pass = world.entitlement(1, "KCW").await;
        assert_eq!(pass.right_due_date, Some(today()));
        assert_eq!(pass.subscribe_status, SubscribeStatus::Lapsed);
        assert_eq!(pass.seniority_thousandths, 0, "the line's seniority is taken back");
        // VOLUME: the unpublished issues are taken from the end; what is published stays served.
        let print = world.entitlement(1, "GCV").await;
        let start = print.start_volume.unwrap();
        assert_eq!(print.end_volume, Some((start - 1).max(last_published(&world).await)));
        let stopped = find_renewal(&db.conn, renewal.id).await.unwrap().unwrap();
        assert_eq!(stopped.status, renewals::RenewalStatus::Stopped, "the renewal the order opened stops");
        for (what, expected) in [
            ("events WHERE event_type = 'order.cancelled'", 1),
            ("events WHERE event_type = 'entitlement.revoked'", 2),
            ("events WHERE event_type = 'payment.refunded'", 1),
            ("events WHERE event_type = 'renewal.cancelled'", 1),
            ("entitlement_grants WHERE kind = 'REVOKE'", 2),
            ("emails WHERE kind = 'order_refunded'", 1),
        ] {
            assert_eq!(count(&db.conn, what).await, expected, "{what} ({})", db.label());
        }
    }
}

#[tokio::test]
async fn r19_returning_the_middle_order_takes_its_issues_from_the_end_and_moves_the_renewal() {
    for db in test_support::databases().await {
        let world = World::new(&db).await;
        let mut orders = Vec::new();
        for key in ["m-1", "m-2", "m-3"] {
            orders.push(world.order(2, key, &[("GCV1Y", 1, 2280)], 0, true).await);
        }
        let before = world.entitlement(2, "GCV").await;
        let grants = test_support::count(&db.conn, "entitlement_grants WHERE outcome = 'GRANTED'").await;
        assert_eq!(grants, 3, "three grants, each continuing the last");
        let renewal = create_renewal(
            &db.conn,
            BusinessCalendar::default(),
            renewal_of(&world, 2, "GC24010001", None),
            at(1),
        )
        .await
        .unwrap()
        .renewal;
        assert_eq!(Some(renewal.deduct_date), before.right_due_date.and_then(|d| d.pred_opt()), "R5 before");

        let input = LineReturn {
            order_no: orders[1].clone(),
            lines: vec![LineQuantity { position: 0, quantity: 1 }],
            refund_amount: Money::new(2280),
            shipping_refund: Money::new(0),
            supplementary_charge: Money::new(0),
            reason: "returned unopened".into(),
            idempotency_key: "ret-m-2".into(),
        };
        let done = return_lines(world.ctx(), &input, at(2)).await.unwrap();
        assert_eq!(done.refund.unwrap().status, RefundStatus::Refunded);
        let after = world.entitlement(2, "GCV").await;
        assert_eq!(
            after.end_volume,
            before.end_volume.map(|e| e - 26),
            "{}: 26 issues from the end",
            db.label()
        );
        assert!(after.right_due_date < before.right_due_date);
        assert_eq!(
            after.start_volume.map(|s| s + 25),
            after.end_volume,
            "the term in force is the second order's"
        );
        assert_eq!(after.subscribe_status, SubscribeStatus::Current, "still covered");
        let moved = find_renewal(&db.conn, renewal.id).await.unwrap().unwrap();
        assert_eq!(Some(moved.deduct_date), after.right_due_date.and_then(|d| d.pred_opt()), "R5 follows");
        // The other two orders keep their lines.
        for no in [&orders[0], &orders[2]] {
            let kept = world.orders.find(no).await.unwrap().unwrap();
            assert_eq!(kept.lines[0].status, LineStatus::Confirmed);
        }
    }
}

#[tokio::test]
async fn r19_bad_returns_are_refused_and_nothing_is_written() {
    for db in test_support::databases().await {
        let world = World::new(&db).await;
        // BK0001 × 2 at 450, EV0001 at 600, shipping 80: 1,580 paid.
        let no = world.order(3, "b-1", &[("BK24010001", 1, 1500)], 80, true).await;
        let unpaid = world.order(3, "b-2", &[("BK0002", 1, 300)], 0, false).await;
        let good = LineReturn {
            order_no: no.clone(),
            lines: vec![LineQuantity { position: 0, quantity: 1 }],
            refund_amount: Money::new(450),
            shipping_refund: Money::new(80),
            supplementary_charge: Money::new(150),
            reason: "one book damaged".into(),
            idempotency_key: "b-ret-1".into(),
        };
        let bad = [
            (
                "negative refund",
                LineReturn { refund_amount: Money::new(-1), ..good.clone() },
                ErrorCode::BadUserInput,
            ),
            (
                "refund above what was paid",
                LineReturn { refund_amount: Money::new(1600), ..good.clone() },
                ErrorCode::BadUserInput,
            ),
            (
                "shipping above the fee",
                LineReturn { shipping_refund: Money::new(81), ..good.clone() },
                ErrorCode::BadUserInput,
            ),
            (
                "negative 補收款",
                LineReturn { supplementary_charge: Money::new(-5), ..good.clone() },
                ErrorCode::BadUserInput,
            ),
            (
                "unknown line",
                LineReturn { lines: vec![LineQuantity { position: 7, quantity: 1 }], ..good.clone() },
                ErrorCode::BadUserInput,
            ),
            (
                "more than bought",
                LineReturn { lines: vec![LineQuantity { position: 0, quantity: 3 }], ..good.clone() },
                ErrorCode::BadUserInput,
            ),
            (
                "the same line twice, above what was bought",
                LineReturn {
                    lines: vec![
                        LineQuantity { position: 0, quantity: 2 },
                        LineQuantity { position: 0, quantity: 1 },
                    ],
                    ..good.clone()
                },
                ErrorCode::BadUserInput,
            ),
            (
                "zero units",
                LineReturn { lines: vec![LineQuantity { position: 1, quantity: 0 }], ..good.clone() },
                ErrorCode::BadUserInput,
            ),
            ("no lines", LineReturn { lines: vec![], ..good.clone() }, ErrorCode::BadUserInput),
            ("no reason", LineReturn { reason: " ".into(), ..good.clone() }, ErrorCode::BadUserInput),
            ("unpaid order", LineReturn { order_no: unpaid.clone(), ..good.clone() }, ErrorCode::Conflict),
            (
                "unknown order",
                LineReturn { order_no: "O00000000000000".into(), ..good.clone() },
                ErrorCode::NotFound,
            ),
        ];
        for (name, input, code) in bad {
            let err = return_lines(world.ctx(), &input, at(2)).await.unwrap_err();
            assert_eq!(err.code(), code, "{name}: {err} ({})", db.label());
        }
        for table in [
            "order_returns",
            "order_return_lines",
            "order_refunds",
            "entitlement_grants WHERE kind = 'REVOKE'",
            "events WHERE event_type LIKE 'order.%' AND event_type NOT IN ('order.created', 'order.paid', 'order.ready')",
            "order_lines WHERE returned_quantity <> 0",
        ] {
            assert_eq!(count(&db.conn, table).await, 0, "{table}: nothing written ({})", db.label());
        }

        let first = return_lines(world.ctx(), &good, at(3)).await.unwrap();
        assert_eq!(first.recorded.supplementary_charge, Money::new(150), "補收款 recorded as owed");
        assert_eq!(first.refund.as_ref().map(|r| r.amount), Some(Money::new(530)), "goods and shipping");
        assert_eq!(
            return_lines(world.ctx(), &good, at(4)).await.unwrap(),
            first,
            "the same key answers the first"
        );
        let order = world.orders.find(&no).await.unwrap().unwrap();
        assert_eq!((order.lines[0].status, order.lines[0].returned_quantity), (LineStatus::PartReturned, 1));
        assert_eq!(order.status, OrderStatus::Confirmed, "a return leaves the order standing");
        // What came back is counted: one book left, no shipping left, 1,050 left to refund.
        let more = |key: &str, quantity, refund, shipping| LineReturn {
            lines: vec![LineQuantity { position: 0, quantity }],
            refund_amount: Money::new(refund),
            shipping_refund: Money::new(shipping),
            idempotency_key: key.into(),
            ..good.clone()
        };
        for (input, what) in [
            (more("b-ret-2", 2, 0, 0), "two more books"),
            (more("b-ret-3", 1, 0, 1), "shipping again"),
            (more("b-ret-4", 1, 1051, 0), "more than is left"),
        ] {
            let err = return_lines(world.ctx(), &input, at(5)).await.unwrap_err();
            assert_eq!(err.code(), ErrorCode::BadUserInput, "{what}: {err}");
        }
        let rest = return_lines(world.ctx(), &more("b-ret-5", 1, 1050, 0), at(5)).await.unwrap();
        assert_eq!(rest.refund.unwrap().status, RefundStatus::Refunded);
        let refunded: i64 = refunds_of(&db.conn, &no).await.unwrap().iter().map(|r| r.amount.amount()).sum();
        assert_eq!(refunded, 1580, "the refunds sum to the paid amount");
        assert_eq!(world.gateway.refunds().await.unwrap().len(), 2);
        let order = world.orders.find(&no).await.unwrap().unwrap();
        assert_eq!(order.lines[0].status, LineStatus::Returned);
    }
}

#[tokio::test]
async fn r19_concurrent_cancels_refund_once() {
    for db in test_support::databases().await {
        let world = World::new(&db).await;
        let no = world.order(4, "cc-1", &[("GC18080026", 1, 3480)], 0, true).await;
        let cancel = || cancel_order(world.ctx(), &no, "double click", at(2));
        let (a, b, c, d) = tokio::join!(cancel(), cancel(), cancel(), cancel());
        let answers: Vec<_> = [a, b, c, d].into_iter().map(Result::unwrap).collect();
        assert!(answers.iter().all(|x| x.recorded == answers[0].recorded), "{}", db.label());
        assert_eq!(world.gateway.refunds().await.unwrap().len(), 1, "one refund");
        assert_eq!(count(&db.conn, "order_returns").await, 1);
        assert_eq!(count(&db.conn, "entitlement_grants WHERE kind = 'REVOKE'").await, 2, "revoked once");
    }
}

#[tokio::test]
async fn r19_a_payment_after_cancellation_is_kept_refunded_once_and_followed_up() {
    for db in test_support::databases().await {
        let world = World::new(&db).await;
        let no = world.order(5, "l-1", &[("GC18080026", 1, 3480)], 0, false).await;
        let cancelled = cancel_order(world.ctx(), &no, "never paid", at(1)).await.unwrap();
        assert_eq!(cancelled.refund, None, "nothing to refund yet");
        world.pay(&no, "T-late", 3480).await;
        let order = world.orders.find(&no).await.unwrap().unwrap();
        assert_eq!((order.status, order.payment_status), (OrderStatus::Cancelled, PaymentStatus::Paid));
        assert_eq!(count(&db.conn, "entitlements").await, 0, "a cancelled order is never granted");
        assert_eq!(count(&db.conn, "follow_ups WHERE kind = 'PAYMENT_WITHOUT_ORDER'").await, 1);
        let refund = refund_after_cancellation(world.ctx(), &no, at(2)).await.unwrap().unwrap();
        assert_eq!(
            (refund.status, refund.amount),
            (RefundStatus::Refunded, Money::new(3480)),
            "{}",
            db.label()
        );
        assert_eq!(refund_after_cancellation(world.ctx(), &no, at(3)).await.unwrap(), None, "nothing left");
        assert_eq!(world.gateway.refunds().await.unwrap().len(), 1);
    }
}

/// The charge run records its payments with `recordPayment`'s writer: an order cancelled while its charge
/// was in flight stays cancelled, its money kept as paid for the refund and followed up, exactly as a late
/// callback's (the batch path confirmed such an order once).
#[tokio::test]
async fn r19_a_charge_recorded_after_its_order_was_cancelled_keeps_it_cancelled_and_followed_up() {
    for db in test_support::databases().await {
        let world = World::new(&db).await;
        let no = world.order(5, "l-2", &[("GC18080026", 1, 3480)], 0, false).await;
        cancel_order(world.ctx(), &no, "cancelled while charged", at(1)).await.unwrap();
        let order = world.orders.find(&no).await.unwrap().unwrap();

        let txn = platform_core::db::begin_write(&db.conn).await.unwrap();
        let payment = orders::service::BatchPayment {
            order: &order,
            transaction_id: "T-run".to_owned(),
            status: orders::model::PaymentResult::Paid,
            authorised_only: false,
        };
        world.orders.record_batch(&txn, &[payment], at(2)).await.unwrap();
        txn.commit().await.unwrap();

        let order = world.orders.find(&no).await.unwrap().unwrap();
        assert_eq!(
            (order.status, order.payment_status),
            (OrderStatus::Cancelled, PaymentStatus::Paid),
            "{}",
            db.label()
        );
        assert_eq!(count(&db.conn, "events WHERE event_type = 'payment.after_cancellation'").await, 1);
        assert_eq!(count(&db.conn, "events WHERE event_type = 'order.paid'").await, 0);
        assert_eq!(count(&db.conn, "follow_ups WHERE kind = 'PAYMENT_WITHOUT_ORDER'").await, 1);
        let refund = refund_after_cancellation(world.ctx(), &no, at(3)).await.unwrap().unwrap();
        assert_eq!(refund.amount, Money::new(3480), "{}", db.label());
    }
}

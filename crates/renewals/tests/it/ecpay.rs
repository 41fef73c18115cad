//! R9 / R23: the charge run through the ECPay adapter against the local ECPay-speaking server (the stage
//! keys; never ECPay itself): a saved card charged once (the order paid with ECPay's trade, the next cycle
//! created), a decline with the bank's message, and a run whose answer was lost settled by querying the
//! trade without a second charge.

use crate::fixtures::{at, holder, on, renewal, runner};
use ecpay_stage::{EcpayStage, STAGE_HASH_IV, STAGE_HASH_KEY, STAGE_MERCHANT};
use payments::ecpay::EcpayGateway;
use platform_core::BusinessCalendar;
use platform_core::settings::{EcpaySettings, RenewalSettings, Secret};
use renewals::RenewalStatus;
use renewals::charge::Due;
use renewals::service::{create_renewal, find_renewal};
use std::time::Duration;
use test_support::{TestDb, count};

fn ecpay(stage: &EcpayStage, timeout: Duration) -> EcpayGateway {
    let settings = EcpaySettings {
        merchant_id: STAGE_MERCHANT.to_owned(),
        hash_key: Secret::new(STAGE_HASH_KEY),
        hash_iv: Secret::new(STAGE_HASH_IV),
        ecpg_url: stage.url.clone(),
        payment_url: stage.url.clone(),
        item_name: "訂閱續訂".to_owned(),
    };
    EcpayGateway::new(&settings, timeout).unwrap()
}

async fn created(db: &TestDb, n: usize, card: &str) -> renewals::service::Renewal {
    let (customer_no, account) = holder(db, n).await;
    let mut input = renewal(&customer_no, &account, "GC18080026");
    input.payment_token = Some(card.to_owned());
    create_renewal(&db.conn, BusinessCalendar::default(), input, at()).await.unwrap().renewal
}

#[tokio::test]
async fn r23_the_charge_run_charges_saved_cards_through_ecpay() {
    for db in test_support::databases().await {
        let stage = EcpayStage::start(Duration::ZERO, Duration::ZERO).await.unwrap();
        let ok = created(&db, 1, "card_ok_4242").await;
        let declined = created(&db, 2, "card_decline_0002").await;
        let run = runner(&db, ecpay(&stage, Duration::from_secs(5)), RenewalSettings::default());
        let day = ok.deduct_date.max(declined.deduct_date);
        let summary = run.run(Due::Scheduled, day, on(day)).await.unwrap();
        assert_eq!((summary.charged, summary.declined), (1, 1), "{}: {summary:?}", db.label());
        let paid = find_renewal(&db.conn, ok.id).await.unwrap().unwrap();
        assert_eq!(paid.status, RenewalStatus::Executed);
        let order_no = paid.charge_order_no.unwrap();
        let trades = stage
            .with_ledger(|l| l.trades.values().map(|t| (t.trade_no.clone(), t.amount)).collect::<Vec<_>>());
        assert_eq!(trades.len(), 1, "one trade: the decline opened none");
        assert_eq!(trades[0].1, 3480);
        let tx = format!(
            "payments p JOIN orders o ON o.id = p.order_id WHERE o.order_no = '{order_no}' AND p.status = 'PAID' AND p.transaction_id LIKE '%:{}'",
            trades[0].0
        );
        assert_eq!(count(&db.conn, &tx).await, 1, "the order paid with ECPay's trade");
        assert_eq!(
            count(&db.conn, &format!("renewals WHERE origin_order_no = '{order_no}' AND cycle = 2")).await,
            1
        );
        let failed = find_renewal(&db.conn, declined.id).await.unwrap().unwrap();
        assert!(
            failed.failure_reason.as_deref().is_some_and(|r| r.contains("10100248")),
            "the bank's answer kept: {:?}",
            failed.failure_reason
        );
        // The same day again charges nothing more.
        let again = run.run(Due::Scheduled, day, on(day)).await.unwrap();
        assert_eq!(again.charged, 0);
        assert_eq!(stage.with_ledger(|l| l.trades.len()), 1);
    }
}

#[tokio::test]
async fn r23_a_lost_ecpay_answer_is_reconciled_by_querying_the_trade_not_by_charging_again() {
    for db in test_support::databases().await {
        let stage = EcpayStage::start(Duration::ZERO, Duration::from_secs(3)).await.unwrap();
        let slow = created(&db, 3, "card_slow_1").await;
        let day = slow.deduct_date;
        // The run's timeout is shorter than ECPay's answer: the charge is undecided, and the run asks ECPay
        // what the trade became (QueryTrade) instead of charging again.
        let hasty = runner(&db, ecpay(&stage, Duration::from_millis(300)), RenewalSettings::default());
        let first = hasty.run(Due::Scheduled, day, on(day)).await.unwrap();
        assert_eq!((first.charged, first.unknown), (1, 0), "{}: {first:?}", db.label());
        let settled = find_renewal(&db.conn, slow.id).await.unwrap().unwrap();
        assert_eq!(settled.status, RenewalStatus::Executed, "{}", db.label());
        stage.with_ledger(|l| {
            assert_eq!(l.trades.len(), 1);
            assert_eq!(l.attempts.values().sum::<u32>(), 1, "never sent twice");
        });
    }
}

#[tokio::test]
async fn r23_a_delayed_ecpay_charge_is_closed_by_the_capture_run() {
    for db in test_support::databases().await {
        let stage = EcpayStage::start(Duration::ZERO, Duration::ZERO).await.unwrap();
        stage.set_manual_close(true);
        let gateway = ecpay(&stage, Duration::from_secs(5)).with_capture(payments::CaptureMode::Delayed);
        let one = created(&db, 4, "card_ok_delayed").await;
        let run = runner(&db, gateway.clone(), RenewalSettings::default());
        let day = one.deduct_date;
        assert_eq!(run.run(Due::Scheduled, day, on(day)).await.unwrap().charged, 1, "{}", db.label());
        let trade = || stage.with_ledger(|l| l.trades.values().next().map(|t| (t.closed, t.voided)));
        assert_eq!(trade(), Some((None, false)), "authorised only");
        assert_eq!(count(&db.conn, "payments WHERE capture_status = 'AUTHORISED'").await, 1);
        let calendar = BusinessCalendar::default();
        let next = day.succ_opt().unwrap();
        let done = crate::fixtures::orders(&db)
            .capture_payments(&gateway, calendar.start_of(next), Duration::from_secs(5), on(next))
            .await
            .unwrap();
        assert_eq!(done.captured, 1, "{done:?}");
        assert_eq!(trade(), Some((Some(3480), false)), "closed at ECPay (DoAction C)");
        let auto = "payments p JOIN orders o ON o.id = p.order_id WHERE o.source = 'AUTO' AND p.capture_status = 'CAPTURED' AND p.captured_amount = 3480";
        assert_eq!(count(&db.conn, auto).await, 1);
    }
}

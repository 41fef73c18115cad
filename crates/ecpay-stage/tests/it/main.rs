//! The ECPay adapter (`payments::ecpay`) against the local ECPay-speaking server (R23): approve, decline,
//! ECPay's temporary trouble, a lost answer settled by querying the trade, a retried charge that never opens
//! a second trade, refunds, and a merchant with the wrong keys. Plus our CheckMacValue against ECPay's
//! official Node SDK (`ecpay_aio_nodejs`), code we did not write.

#![allow(clippy::unwrap_used, clippy::panic, reason = "tests fail loudly")]

mod sdk;

use ecpay_stage::{EcpayStage, STAGE_HASH_IV, STAGE_HASH_KEY, STAGE_MERCHANT};
use payments::ecpay::{EcpayGateway, merchant_trade_no};
use payments::{ChargeOutcome, ChargeRequest, GatewayError, PaymentGateway, RefundOutcome, RefundRequest};
use platform_core::Money;
use platform_core::settings::{EcpaySettings, Secret};
use std::time::Duration;

fn settings(stage: &EcpayStage, hash_key: &str) -> EcpaySettings {
    EcpaySettings {
        merchant_id: STAGE_MERCHANT.to_owned(),
        hash_key: Secret::new(hash_key),
        hash_iv: Secret::new(STAGE_HASH_IV),
        ecpg_url: stage.url.clone(),
        payment_url: stage.url.clone(),
        item_name: "訂閱續訂".to_owned(),
    }
}

fn gateway(stage: &EcpayStage, timeout: Duration) -> EcpayGateway {
    EcpayGateway::new(&settings(stage, STAGE_HASH_KEY), timeout).unwrap()
}

fn charge(key: &str, card: &str) -> ChargeRequest {
    ChargeRequest {
        idempotency_key: key.to_owned(),
        payment_token: card.to_owned(),
        amount: Money::new(3480),
    }
}

#[tokio::test]
async fn r23_a_saved_card_is_charged_once_and_a_retry_answers_the_same_trade() {
    let stage = EcpayStage::start(Duration::ZERO, Duration::ZERO).await.unwrap();
    let ecpay = gateway(&stage, Duration::from_secs(5));
    let first = ecpay.charge(&charge("renewal:1:cycle:1", "card_ok_4242")).await.unwrap();
    let ChargeOutcome::Approved { transaction_id } = &first else { panic!("{first:?}") };
    let trade_no = merchant_trade_no("renewal:1:cycle:1");
    assert!(transaction_id.starts_with(&format!("{trade_no}:")), "{transaction_id}");
    // The same charge again: ECPay refuses the number (訂單編號重覆), the adapter asks what it became.
    let again = ecpay.charge(&charge("renewal:1:cycle:1", "card_ok_4242")).await.unwrap();
    assert_eq!(again, first);
    stage.with_ledger(|ledger| {
        assert_eq!(ledger.trades.len(), 1, "one trade for one charge");
        assert_eq!(ledger.attempts.get(&trade_no), Some(&2));
        assert_eq!(ledger.trades[&trade_no].amount, 3480);
    });
    assert_eq!(ecpay.lookup("renewal:1:cycle:1").await.unwrap(), Some(first));
    assert_eq!(ecpay.lookup("renewal:never").await.unwrap(), None, "nothing charged under it");
}

#[tokio::test]
async fn r23_declines_carry_the_bank_message_and_ecpay_trouble_is_transient() {
    let stage = EcpayStage::start(Duration::ZERO, Duration::ZERO).await.unwrap();
    let ecpay = gateway(&stage, Duration::from_secs(5));
    let declined = ecpay.charge(&charge("d", "card_decline_0002")).await.unwrap();
    assert_eq!(declined, ChargeOutcome::Declined { reason: "ecpay 10100248: 拒絕交易".into() });
    let busy = ecpay.charge(&charge("b", "card_busy_1")).await;
    assert!(matches!(busy, Err(GatewayError::Transient(ref m)) if m.contains("10100058")), "{busy:?}");
    stage.with_ledger(|ledger| assert!(ledger.trades.is_empty()));
}

#[tokio::test]
async fn r23_a_lost_answer_is_settled_by_querying_the_trade() {
    let stage = EcpayStage::start(Duration::ZERO, Duration::from_secs(3)).await.unwrap();
    let ecpay = gateway(&stage, Duration::from_millis(500));
    let lost = ecpay.charge(&charge("slow", "card_slow_1")).await;
    assert_eq!(lost, Err(GatewayError::Timeout), "no answer in time: undecided");
    let settled = ecpay.lookup("slow").await.unwrap();
    let trade = stage.with_ledger(|ledger| ledger.trades[&merchant_trade_no("slow")].trade_no.clone());
    assert_eq!(
        settled,
        Some(ChargeOutcome::Approved { transaction_id: format!("{}:{trade}", merchant_trade_no("slow")) })
    );
}

#[tokio::test]
async fn r23_refunds_go_through_do_action_and_never_exceed_the_trade() {
    let stage = EcpayStage::start(Duration::ZERO, Duration::ZERO).await.unwrap();
    let ecpay = gateway(&stage, Duration::from_secs(5));
    let ChargeOutcome::Approved { transaction_id } = ecpay.charge(&charge("r", "card_ok_1")).await.unwrap()
    else {
        panic!("not approved")
    };
    let refund = |key: &str, amount: i64| RefundRequest {
        idempotency_key: key.to_owned(),
        transaction_id: transaction_id.clone(),
        payment_token: "card_ok_1".to_owned(),
        amount: Money::new(amount),
    };
    assert!(matches!(ecpay.refund(&refund("r1", 1000)).await.unwrap(), RefundOutcome::Refunded { .. }));
    let too_much = ecpay.refund(&refund("r2", 3000)).await.unwrap();
    assert!(
        matches!(too_much, RefundOutcome::Declined { ref reason } if reason.contains("10100253")),
        "{too_much:?}"
    );
    stage.with_ledger(|ledger| assert_eq!(ledger.trades[&merchant_trade_no("r")].refunded, 1000));
    // ECPay keeps no refund under our key: a lost refund answer is never asked again (it could refund twice).
    assert!(ecpay.lookup_refund("r1").await.is_err());
}

#[tokio::test]
async fn r23_wrong_keys_are_refused_by_ecpay_and_nothing_is_charged() {
    let stage = EcpayStage::start(Duration::ZERO, Duration::ZERO).await.unwrap();
    let wrong = EcpayGateway::new(&settings(&stage, "0000000000000000"), Duration::from_secs(5)).unwrap();
    let refused = wrong.charge(&charge("w", "card_ok_1")).await;
    assert!(matches!(refused, Err(GatewayError::Transient(_))), "{refused:?}");
    stage.with_ledger(|ledger| {
        assert!(ledger.trades.is_empty());
        assert_eq!(ledger.refused_envelopes, 1);
    });
    assert!(EcpayGateway::new(&settings(&stage, "short"), Duration::from_secs(5)).is_err());
    let unreachable =
        EcpaySettings { ecpg_url: "http://127.0.0.1:9".into(), ..settings(&stage, STAGE_HASH_KEY) };
    let nobody = EcpayGateway::new(&unreachable, Duration::from_secs(2)).unwrap();
    assert!(matches!(nobody.charge(&charge("n", "card_ok_1")).await, Err(GatewayError::Transient(_))));
}

#[tokio::test]
async fn r23_a_delayed_charge_is_closed_for_what_is_left_or_given_up() {
    let stage = EcpayStage::start(Duration::ZERO, Duration::ZERO).await.unwrap();
    stage.set_manual_close(true);
    let ecpay = gateway(&stage, Duration::from_secs(5)).with_capture(payments::CaptureMode::Delayed);
    assert_eq!(ecpay.capture_mode(), payments::CaptureMode::Delayed);
    let approved = |outcome: ChargeOutcome| match outcome {
        ChargeOutcome::Approved { transaction_id } => transaction_id,
        other => panic!("{other:?}"),
    };
    let kept = approved(ecpay.charge(&charge("capture:1", "card_ok_1")).await.unwrap());
    let given_up = approved(ecpay.charge(&charge("capture:2", "card_ok_2")).await.unwrap());
    let request = |transaction_id: &str, amount: i64| payments::CaptureRequest {
        transaction_id: transaction_id.to_owned(),
        amount: Money::new(amount),
    };
    // Not closed yet: nothing to refund.
    let early = ecpay
        .refund(&RefundRequest {
            idempotency_key: "early".into(),
            transaction_id: kept.clone(),
            payment_token: "card_ok_1".into(),
            amount: Money::new(100),
        })
        .await
        .unwrap();
    assert!(matches!(early, RefundOutcome::Declined { .. }), "{early:?}");
    // More than was authorised is refused; part of it is closed, and closing again answers done.
    assert!(matches!(
        ecpay.capture(&request(&kept, 9999)).await.unwrap(),
        payments::CaptureOutcome::Refused { .. }
    ));
    assert_eq!(ecpay.capture(&request(&kept, 3000)).await.unwrap(), payments::CaptureOutcome::Done);
    assert_eq!(ecpay.capture(&request(&kept, 3000)).await.unwrap(), payments::CaptureOutcome::Done);
    assert_eq!(ecpay.void(&request(&given_up, 3480)).await.unwrap(), payments::CaptureOutcome::Done);
    assert_eq!(ecpay.void(&request(&given_up, 3480)).await.unwrap(), payments::CaptureOutcome::Done);
    // A closed trade cannot be given up, a given-up one cannot be closed.
    assert!(matches!(
        ecpay.void(&request(&kept, 3000)).await.unwrap(),
        payments::CaptureOutcome::Refused { .. }
    ));
    assert!(matches!(
        ecpay.capture(&request(&given_up, 3480)).await.unwrap(),
        payments::CaptureOutcome::Refused { .. }
    ));
    stage.with_ledger(|ledger| {
        let kept = &ledger.trades[&merchant_trade_no("capture:1")];
        assert_eq!((kept.closed, kept.voided), (Some(3000), false));
        let given_up = &ledger.trades[&merchant_trade_no("capture:2")];
        assert_eq!((given_up.closed, given_up.voided), (None, true));
    });
}

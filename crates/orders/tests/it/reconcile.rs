//! R23 reconciliation: a day's settlement with a matched payment, a stray transaction, a missing one and a
//! wrong amount → the three follow-ups (once, even after they were closed) and the day's report; a rerun
//! that no longer finds a difference drops it; the simulated gateway's own settlement of a day.

use crate::{at, count, order, service};
use chrono::NaiveDate;
use orders::model::{PaymentReport, PaymentResult};
use orders::reconcile::{Finding, SettlementRow, Source, reconcile, report_of};
use orders::service::OrderService;
use payments::{ChargeRequest, PaymentGateway, SimulatedGateway};
use platform_core::{BusinessCalendar, Money};
use sea_orm::{ConnectionTrait, Statement};
use std::time::Duration;

async fn paid(orders: &OrderService, key: &str, transaction: &str) -> String {
    let (created, _) = orders.create(order(key, &[("GC18080026", 1, 3480)]), at(3)).await.unwrap();
    let report = PaymentReport {
        order_no: created.order_no.clone(),
        transaction_id: transaction.to_owned(),
        status: PaymentResult::Paid,
        amount: 3480,
        paid_at: Some(at(4)),
    };
    orders.record_payment(report, at(4)).await.unwrap();
    created.order_no
}

fn row(transaction_id: &str, amount: i64) -> SettlementRow {
    SettlementRow { transaction_id: transaction_id.to_owned(), amount: Money::new(amount) }
}

fn day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 22).unwrap()
}

fn bounds() -> (chrono::DateTime<chrono::Utc>, chrono::DateTime<chrono::Utc>) {
    let calendar = BusinessCalendar::default();
    (calendar.start_of(day()), calendar.start_of(day().succ_opt().unwrap()))
}

#[tokio::test]
async fn r23_reconciliation_opens_one_follow_up_per_difference_and_keeps_the_days_report() {
    for db in test_support::databases().await {
        let orders = service(&db).await;
        let matched = paid(&orders, "rc-1", "T-1").await;
        let missing = paid(&orders, "rc-2", "T-2").await;
        let wrong = paid(&orders, "rc-3", "T-3").await;
        let settlement = vec![row("T-1", 3480), row("T-STRAY", 990), row("T-3", 3000)];
        let report =
            reconcile(&db.conn, day(), bounds(), Source::File, settlement.clone(), at(20)).await.unwrap();
        assert_eq!(
            (report.transactions, report.matched, report.stray, report.missing, report.mismatched),
            (3, 1, 1, 1, 1),
            "{}: {report:?}",
            db.label()
        );
        assert_eq!((report.settled_amount, report.paid_amount), (Money::new(7470), Money::new(10440)));
        assert_eq!(report.opened, 3);
        let found: Vec<(Finding, &str, Option<&str>)> = report
            .items
            .iter()
            .map(|i| (i.finding, i.transaction_id.as_str(), i.order_no.as_deref()))
            .collect();
        assert_eq!(
            found,
            vec![
                (Finding::Stray, "T-STRAY", None),
                (Finding::Missing, "T-2", Some(missing.as_str())),
                (Finding::Mismatch, "T-3", Some(wrong.as_str())),
            ]
        );
        assert!(!found.iter().any(|(_, _, no)| *no == Some(matched.as_str())));
        for (kind, subject) in [
            ("PAYMENT_WITHOUT_ORDER", "transaction:T-STRAY".to_owned()),
            ("PAYMENT_NOT_SETTLED", format!("order:{missing}")),
            ("PAYMENT_AMOUNT_MISMATCH", format!("order:{wrong}")),
        ] {
            let sql = format!("follow_ups WHERE kind = '{kind}' AND subject = '{subject}'");
            assert_eq!(count(&db.conn, &sql).await, 1, "{kind}");
        }
        // The day's report is kept.
        let kept = report_of(&db.conn, day()).await.unwrap().unwrap();
        assert_eq!((kept.source, kept.matched, kept.stray, kept.missing), (Source::File, 1, 1, 1));
        assert_eq!(kept.items, report.items);

        // Closed by an operator, then reconciled again: nothing opens twice.
        let ids = db
            .conn
            .query_all_raw(Statement::from_string(
                db.conn.get_database_backend(),
                "SELECT id FROM follow_ups".to_owned(),
            ))
            .await
            .unwrap();
        for id in ids {
            let id: i64 = id.try_get_by_index(0).unwrap();
            followups::manage::resolve(&db.conn, id, "checked with the bank", "admin", at(21)).await.unwrap();
        }
        let again = reconcile(&db.conn, day(), bounds(), Source::File, settlement, at(22)).await.unwrap();
        assert_eq!((again.opened, again.stray, again.missing, again.mismatched), (0, 1, 1, 1));
        assert_eq!(count(&db.conn, "follow_ups").await, 3);

        // The bank's corrected file: T-2 settled, T-3 right. Only the stray transaction remains.
        let corrected = vec![row("T-1", 3480), row("T-2", 3480), row("T-STRAY", 990), row("T-3", 3480)];
        let fixed = reconcile(&db.conn, day(), bounds(), Source::File, corrected, at(23)).await.unwrap();
        assert_eq!(
            (fixed.matched, fixed.stray, fixed.missing, fixed.mismatched, fixed.opened),
            (3, 1, 0, 0, 0)
        );
        let kept = report_of(&db.conn, day()).await.unwrap().unwrap();
        assert_eq!(kept.items.len(), 1, "what is no longer found is dropped from the day's report");
        assert_eq!(count(&db.conn, "reconciliations").await, 1, "one report per day");
        // Another day knows nothing of it.
        assert!(report_of(&db.conn, day().succ_opt().unwrap()).await.unwrap().is_none());
    }
}

#[tokio::test]
async fn r23_the_simulated_gateway_settles_what_it_captured_on_the_day() {
    for db in test_support::databases().await {
        let gateway = SimulatedGateway::new(db.conn.clone(), Duration::ZERO);
        let delayed = gateway.clone().with_capture(payments::CaptureMode::Delayed);
        let request = |key: &str| ChargeRequest {
            idempotency_key: key.to_owned(),
            payment_token: "tok_ok_1".to_owned(),
            amount: Money::new(3480),
        };
        gateway.charge(&request("now")).await.unwrap();
        delayed.charge(&request("later")).await.unwrap();
        gateway
            .charge(&ChargeRequest { payment_token: "tok_decline".into(), ..request("declined") })
            .await
            .unwrap();
        let now = chrono::Utc::now();
        let window = (now - chrono::Duration::hours(1), now + chrono::Duration::hours(1));
        let settled = gateway.settlement(window.0, window.1).await.unwrap().unwrap();
        assert_eq!(settled.len(), 1, "{}: only what was captured", db.label());
        assert_eq!(settled[0].amount, Money::new(3480));
        let empty =
            gateway.settlement(window.1, window.1 + chrono::Duration::hours(1)).await.unwrap().unwrap();
        assert!(empty.is_empty());
    }
}

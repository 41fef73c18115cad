//! R18 at the charge run: a pending renewal of a retired plan renews into the plan's successor at the
//! price it had, or fails with PLAN_RETIRED (a follow-up, no charge, no retry); the orders already made
//! are untouched and new orders refuse the retired promotion.

use crate::fixtures::{at, holder, on, orders, renewal, runner};
use catalog::{PromotionDefinition, Status, admin};
use orders::model::{LineInput, NewOrder, Payer, Receiver};
use payments::SimulatedGateway;
use platform_core::error::HasErrorCode;
use platform_core::settings::RenewalSettings;
use platform_core::{BusinessCalendar, ErrorCode, Money};
use renewals::RenewalStatus;
use renewals::charge::Due;
use renewals::service::{create_renewal, find_renewal, renewals_of};
use std::time::Duration;
use test_support::count;

fn demo(code: &str) -> PromotionDefinition {
    catalog::demo::promotions().into_iter().find(|d| d.promotion.promotion_code == code).unwrap()
}

#[tokio::test]
async fn r18_a_retired_plan_renews_into_its_successor_or_fails_with_plan_retired() {
    for db in test_support::databases().await {
        let (moving_no, moving_account) = holder(&db, 1).await;
        let (stuck_no, stuck_account) = holder(&db, 2).await;
        let calendar = BusinessCalendar::default();
        let moving =
            create_renewal(&db.conn, calendar, renewal(&moving_no, &moving_account, "GC18080026"), at())
                .await
                .unwrap()
                .renewal;
        let stuck =
            create_renewal(&db.conn, calendar, renewal(&stuck_no, &stuck_account, "GC24010001"), at())
                .await
                .unwrap()
                .renewal;

        // The successor: the same bundle at a new price; then GC18080026 retired into it, GC24010001
        // retired with nothing after it.
        let mut successor = demo("GC18080026");
        successor.promotion.promotion_code = "GC26120001".into();
        successor.promotion.total_amount = Money::new(3680);
        admin::upsert_promotion(&db.conn, &successor, at()).await.unwrap();
        let mut old = demo("GC18080026");
        old.promotion.renewal_promotion_code = Some("GC26120001".into());
        admin::upsert_promotion(&db.conn, &old, at()).await.unwrap();
        let retired = admin::retire_promotion(&db.conn, "GC18080026", at()).await.unwrap();
        assert_eq!(retired.status, Status::Inactive);
        admin::retire_promotion(&db.conn, "GC24010001", at()).await.unwrap();
        let old_lines = "order_lines WHERE promotion_code = 'GC18080026'";
        let lines_before = count(&db.conn, old_lines).await;
        assert!(lines_before > 0);

        let gateway = SimulatedGateway::new(db.conn.clone(), Duration::ZERO);
        let run = runner(&db, gateway.clone(), RenewalSettings::default());
        let day = moving.deduct_date.max(stuck.deduct_date);
        let summary = run.run(Due::Scheduled, day, on(day)).await.unwrap();
        assert_eq!((summary.charged, summary.declined), (1, 1), "{}", db.label());

        let charged = find_renewal(&db.conn, moving.id).await.unwrap().unwrap();
        assert_eq!(charged.status, RenewalStatus::Executed);
        assert_eq!(charged.promotion_code, "GC26120001", "moved to the successor");
        let order = orders(&db).find(charged.charge_order_no.as_deref().unwrap()).await.unwrap().unwrap();
        assert!(order.lines.iter().all(|l| l.promotion_code.as_deref() == Some("GC26120001")));
        assert_eq!(order.total_amount.amount(), 3480, "at the price it had: prices change only by schedule");
        assert_eq!(gateway.charges().await.unwrap().len(), 1, "the retired one is not charged");
        let moved =
            format!("events WHERE event_type = 'renewal.plan_changed' AND subject = 'renewal:{}'", moving.id);
        assert_eq!(count(&db.conn, &moved).await, 1);
        let next = renewals_of(&db.conn, Some(&moving_no), None, None).await.unwrap();
        assert!(next.iter().any(|r| r.cycle == 2 && r.promotion_code == "GC26120001"), "the next cycle too");

        let failed = find_renewal(&db.conn, stuck.id).await.unwrap().unwrap();
        assert_eq!(failed.status, RenewalStatus::Failed);
        assert_eq!(failed.failure_reason.as_deref(), Some("PLAN_RETIRED"));
        assert_eq!(failed.next_retry_on, None, "no automatic retry can help");
        let follow_up =
            format!("follow_ups WHERE kind = 'PLAN_RETIRED' AND subject = 'renewal:{}'", stuck.id);
        assert_eq!(count(&db.conn, &follow_up).await, 1, "R17: a person decides");
        let later = day.succ_opt().unwrap();
        assert_eq!(run.run(Due::Retries, later, on(later)).await.unwrap().declined, 0);

        // The order it came from is untouched; a new order of the retired promotion is refused.
        assert_eq!(count(&db.conn, old_lines).await, lines_before);
        let input = NewOrder {
            idempotency_key: "after-retire".into(),
            payer: Payer::Existing(moving_no.clone()),
            receiver: Receiver { name: "王小明".into(), ..Receiver::default() },
            lines: vec![LineInput { item_no: "GC18080026".into(), quantity: 1, amount: 3480 }],
            ..NewOrder::default()
        };
        let err = orders(&db).create(input, at()).await.unwrap_err();
        assert_eq!(err.code(), ErrorCode::BadUserInput);
        assert!(err.to_string().contains("promotion GC18080026 is retired"), "{err}");
    }
}

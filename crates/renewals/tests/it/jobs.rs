//! R7 automatic renewal creation and R8 deduct notices.

use crate::fixtures::{at, holder, on, paid_order, renewal, runner};
use chrono::Days;
use platform_core::BusinessCalendar;
use platform_core::settings::RenewalSettings;
use renewals::charge::Due;
use renewals::service::{create_renewal, find_renewal, renewals_of};
use renewals::{RenewalStatus, auto, notice};
use test_support::count;

#[tokio::test]
async fn r7_paid_bound_orders_of_renewable_promotions_get_one_renewal() {
    for db in test_support::databases().await {
        let settings = RenewalSettings::default();
        let calendar = BusinessCalendar::default();
        let (order_no, customer_no, account) =
            paid_order(&db, 1, "GC18080026", 3480, Some("tok_ok_r7"), true).await;
        paid_order(&db, 2, "GC24010004", 4200, Some("tok_ok_x"), true).await; // not renewable
        paid_order(&db, 3, "GC24010001", 2280, Some("tok_ok_y"), false).await; // not bound to a member
        let today = calendar.date_of(at());

        let summary = auto::create_due(&db.conn, calendar, &settings, today, at()).await.unwrap();
        assert_eq!((summary.created, summary.failed), (1, 0), "{}", db.label());
        let created = renewals_of(&db.conn, Some(&customer_no), None, None).await.unwrap();
        assert_eq!(created.len(), 1);
        let r = &created[0];
        assert_eq!(r.origin_order_no.as_deref(), Some(order_no.as_str()));
        assert_eq!(r.member_account.as_deref(), Some(account.as_str()));
        assert_eq!((r.deduct_price.amount(), r.cycle, r.status), (3480, 1, RenewalStatus::Pending));
        assert_eq!(r.payment_card.as_deref(), Some("4242"));
        assert!(r.has_payment_token, "the order's card is kept for the renewal");
        assert_eq!(count(&db.conn, "events WHERE event_type = 'renewal.created'").await, 1);

        // Safe to run again: nothing new.
        assert_eq!(auto::create_due(&db.conn, calendar, &settings, today, at()).await.unwrap().created, 0);
        assert_eq!(count(&db.conn, "renewals").await, 1);
    }
}

#[tokio::test]
async fn r8_one_notice_before_the_deduct_date_and_a_late_run_still_sends_it() {
    for db in test_support::databases().await {
        let settings = RenewalSettings::default();
        let (customer_no, account) = holder(&db, 4).await;
        let r = create_renewal(
            &db.conn,
            BusinessCalendar::default(),
            renewal(&customer_no, &account, "GC18080026"),
            at(),
        )
        .await
        .unwrap()
        .renewal;
        let before = |n| r.deduct_date.checked_sub_days(Days::new(n)).unwrap();

        assert_eq!(notice::send_due(&db.conn, &settings, before(8), on(before(8))).await.unwrap(), 0);
        // A late run (two days after the notice day) still sends it, once.
        assert_eq!(
            notice::send_due(&db.conn, &settings, before(5), on(before(5))).await.unwrap(),
            1,
            "{}",
            db.label()
        );
        assert_eq!(notice::send_due(&db.conn, &settings, before(4), on(before(4))).await.unwrap(), 0);
        assert_eq!(
            count(
                &db.conn,
                &format!("emails WHERE kind = 'renewal_notice' AND regarding = 'renewal:{}'", r.id)
            )
            .await,
            1
        );
    }
}

#[tokio::test]
async fn r8_monthly_plans_get_a_notice_only_before_the_first_cycle_yearly_before_each() {
    for db in test_support::databases().await {
        let settings = RenewalSettings::default();
        let (customer_no, account) = holder(&db, 5).await;
        // 全閱讀 月訂 (MONTHLY) for this holder's digital pass.
        let monthly = create_renewal(
            &db.conn,
            BusinessCalendar::default(),
            renewal(&customer_no, &account, "KC24010001"),
            at(),
        )
        .await
        .unwrap()
        .renewal;
        let day = monthly.deduct_date;
        let week_before = day.checked_sub_days(Days::new(7)).unwrap();
        assert_eq!(notice::send_due(&db.conn, &settings, week_before, on(week_before)).await.unwrap(), 1);
        // Charged: cycle 2 is created; its notice day comes, and no notice goes out for a monthly plan.
        runner(
            &db,
            payments::SimulatedGateway::new(db.conn.clone(), std::time::Duration::ZERO),
            RenewalSettings::default(),
        )
        .run(Due::Scheduled, day, on(day))
        .await
        .unwrap();
        let pending =
            renewals_of(&db.conn, Some(&customer_no), None, Some(RenewalStatus::Pending)).await.unwrap();
        assert_eq!(pending[0].cycle, 2, "{}", db.label());
        let next_week_before = pending[0].deduct_date.checked_sub_days(Days::new(7)).unwrap();
        assert_eq!(
            notice::send_due(&db.conn, &settings, next_week_before, on(next_week_before)).await.unwrap(),
            0
        );
        assert!(find_renewal(&db.conn, monthly.id).await.unwrap().is_some());
        assert_eq!(count(&db.conn, "emails WHERE kind = 'renewal_notice'").await, 1);
    }
}

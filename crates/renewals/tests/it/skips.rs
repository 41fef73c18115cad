//! R20, skip and resume, driven by business day: a MONTHLY renewal's skipped cycles are not charged, its
//! deduct date counts from the anchor, a resume brings back the first cycle not passed; yearly plans and
//! bad counts are refused with nothing written.

use crate::fixtures::{at, holder, on, ops, renewal, runner};
use chrono::Days;
use payments::SimulatedGateway;
use platform_core::error::HasErrorCode;
use platform_core::settings::RenewalSettings;
use platform_core::{BusinessCalendar, ErrorCode};
use renewals::change::{resume, skip, skipped_date};
use renewals::charge::Due;
use renewals::service::{create_renewal, find_renewal};
use std::time::Duration;
use test_support::count;

#[tokio::test]
async fn r20_a_skipped_monthly_renewal_is_not_charged_and_a_resume_brings_the_next_cycle_back() {
    for db in test_support::databases().await {
        let settings = RenewalSettings::default();
        let (customer_no, account) = holder(&db, 1).await;
        let monthly = create_renewal(
            &db.conn,
            BusinessCalendar::default(),
            renewal(&customer_no, &account, "KC24010001"),
            at(),
        )
        .await
        .unwrap()
        .renewal;
        let due = monthly.deduct_date;

        let skipped = skip(&db.conn, &ops(), monthly.id, 2, &settings, at()).await.unwrap();
        assert_eq!(skipped.deduct_date, skipped_date(due, 2), "{}", db.label());
        assert_eq!((skipped.skipped_cycles, skipped.skipped_from), (2, Some(due)));
        let again = skip(&db.conn, &ops(), monthly.id, 1, &settings, at()).await.unwrap();
        assert_eq!(
            again.deduct_date,
            skipped_date(due, 3),
            "counted from the anchor, not from the moved date"
        );
        assert_eq!(count(&db.conn, "events WHERE event_type = 'renewal.skipped'").await, 2);
        assert_eq!(count(&db.conn, "emails WHERE kind = 'subscription_changed'").await, 2);

        // The charge run on the old date charges nothing.
        let gateway = SimulatedGateway::new(db.conn.clone(), Duration::ZERO);
        let run = runner(&db, gateway.clone(), settings.clone());
        assert_eq!(run.run(Due::Scheduled, due, on(due)).await.unwrap().charged, 0);
        assert!(gateway.charges().await.unwrap().is_empty());

        // Resumed the day after the first skipped charge: due on the second.
        let next_day = due.checked_add_days(Days::new(1)).unwrap();
        let resumed = resume(&db.conn, &ops(), monthly.id, next_day, &settings, on(next_day)).await.unwrap();
        assert_eq!(resumed.deduct_date, skipped_date(due, 1));
        assert_eq!((resumed.skipped_cycles, resumed.skipped_from), (0, None));
        let err = resume(&db.conn, &ops(), monthly.id, next_day, &settings, on(next_day)).await.unwrap_err();
        assert_eq!(err.code(), ErrorCode::Conflict, "nothing to resume");
        let back = resumed.deduct_date;
        assert_eq!(run.run(Due::Scheduled, back, on(back)).await.unwrap().charged, 1, "charged again");
    }
}

#[tokio::test]
async fn r20_bad_skips_are_refused_and_nothing_is_written() {
    for db in test_support::databases().await {
        let settings = RenewalSettings::default();
        let (customer_no, account) = holder(&db, 2).await;
        let calendar = BusinessCalendar::default();
        let yearly = create_renewal(&db.conn, calendar, renewal(&customer_no, &account, "GC18080026"), at())
            .await
            .unwrap()
            .renewal;
        let events = count(&db.conn, "events").await;
        let cases = [
            (yearly.id, 1, ErrorCode::BadUserInput),
            (yearly.id, 0, ErrorCode::BadUserInput),
            (yearly.id, 13, ErrorCode::BadUserInput),
            (platform_core::RenewalId(999_999), 1, ErrorCode::NotFound),
        ];
        for (id, cycles, code) in cases {
            let err = skip(&db.conn, &ops(), id, cycles, &settings, at()).await.unwrap_err();
            assert_eq!(err.code(), code, "{id} × {cycles}: {err}");
        }
        assert_eq!(count(&db.conn, "events").await, events, "{}", db.label());
        let unchanged = find_renewal(&db.conn, yearly.id).await.unwrap().unwrap();
        assert_eq!((unchanged.deduct_date, unchanged.skipped_cycles), (yearly.deduct_date, 0));
    }
}

#[tokio::test]
async fn r20_a_subscription_cancelled_at_term_end_is_never_charged_and_keeps_its_access() {
    for db in test_support::databases().await {
        let settings = RenewalSettings::default();
        let (customer_no, account) = holder(&db, 3).await;
        let yearly = create_renewal(
            &db.conn,
            BusinessCalendar::default(),
            renewal(&customer_no, &account, "GC18080026"),
            at(),
        )
        .await
        .unwrap()
        .renewal;
        let access = "entitlements WHERE right_due_date IS NOT NULL";
        let access_before = count(&db.conn, access).await;
        use renewals::cancel::{CancelReason, at_term_end};
        let err = at_term_end(&db.conn, &ops(), yearly.id, CancelReason::Other, None, &settings, at())
            .await
            .unwrap_err();
        assert_eq!(err.code(), ErrorCode::BadUserInput, "OTHER needs a note");
        assert_eq!(count(&db.conn, "events WHERE event_type = 'renewal.cancelled'").await, 0);
        let cancelled = at_term_end(
            &db.conn,
            &ops(),
            yearly.id,
            CancelReason::Moving,
            Some("moving abroad"),
            &settings,
            at(),
        )
        .await
        .unwrap();
        assert_eq!(cancelled.status, renewals::RenewalStatus::Stopped, "{}", db.label());
        assert_eq!(cancelled.cancel_reason.as_deref(), Some("MOVING"));
        let again = at_term_end(&db.conn, &ops(), yearly.id, CancelReason::Price, None, &settings, at())
            .await
            .unwrap();
        assert_eq!(again.cancel_reason.as_deref(), Some("MOVING"), "cancelling again answers it as it is");
        assert_eq!(count(&db.conn, "events WHERE event_type = 'renewal.cancelled'").await, 1);
        assert_eq!(count(&db.conn, "emails WHERE kind = 'subscription_changed'").await, 1);
        let gateway = SimulatedGateway::new(db.conn.clone(), Duration::ZERO);
        let run = runner(&db, gateway.clone(), settings.clone());
        let day = yearly.deduct_date;
        assert_eq!(run.run(Due::Scheduled, day, on(day)).await.unwrap().charged, 0);
        assert!(gateway.charges().await.unwrap().is_empty(), "never charged");
        assert_eq!(count(&db.conn, access).await, access_before, "the access paid for stays");
    }
}

//! R18, scheduled price changes of pending renewals, driven by business day: the payer is told once,
//! 30 days ahead; a renewal due sooner keeps the old price for that cycle and its next cycle takes the
//! new one; on its effective day the change becomes the plan's own price.

use crate::fixtures::{at, holder, on, renewal, runner};
use catalog::admin;
use chrono::{Days, NaiveDate};
use payments::SimulatedGateway;
use platform_core::settings::RenewalSettings;
use platform_core::{BusinessCalendar, Money};
use renewals::charge::Due;
use renewals::prices::apply_due;
use renewals::service::{create_renewal, find_renewal, renewals_of};
use std::time::Duration;
use test_support::count;

fn before(day: NaiveDate, days: u64) -> NaiveDate {
    day.checked_sub_days(Days::new(days)).unwrap()
}

#[tokio::test]
async fn r18_a_price_change_is_told_30_days_ahead_and_a_renewal_due_sooner_keeps_the_old_price_once() {
    for db in test_support::databases().await {
        let settings = RenewalSettings::default();
        let calendar = BusinessCalendar::default();
        let (soon_no, soon_account) = holder(&db, 1).await;
        let (later_no, later_account) = holder(&db, 2).await;
        let soon = create_renewal(&db.conn, calendar, renewal(&soon_no, &soon_account, "GC18080026"), at())
            .await
            .unwrap()
            .renewal;
        let later =
            create_renewal(&db.conn, calendar, renewal(&later_no, &later_account, "GC24010001"), at())
                .await
                .unwrap()
                .renewal;
        let (day, later_day) = (soon.deduct_date, later.deduct_date);
        let (old_soon, old_later) = (soon.deduct_price.amount(), later.deduct_price.amount());

        // 40 days ahead: GC24010001's change is told and reaches its renewal at once.
        let t40 = before(day, 40);
        admin::schedule_price_change(
            &db.conn,
            "GC24010001",
            Money::new(2580),
            before(day, 5),
            t40,
            "admin:a",
            at(),
        )
        .await
        .unwrap();
        let first = apply_due(&db.conn, &settings, 30, t40, on(t40)).await.unwrap();
        assert_eq!((first.noticed, first.repriced, first.plans), (1, 1, 0), "{}", db.label());
        assert_eq!(find_renewal(&db.conn, later.id).await.unwrap().unwrap().deduct_price.amount(), 2580);
        assert_eq!(find_renewal(&db.conn, soon.id).await.unwrap().unwrap().deduct_price.amount(), old_soon);

        // 10 days ahead: GC18080026's change is told, but its renewal keeps the old price for this cycle.
        let t10 = before(day, 10);
        admin::schedule_price_change(
            &db.conn,
            "GC18080026",
            Money::new(3880),
            before(day, 5),
            t10,
            "admin:a",
            at(),
        )
        .await
        .unwrap();
        let second = apply_due(&db.conn, &settings, 30, t10, on(t10)).await.unwrap();
        assert_eq!((second.noticed, second.repriced), (1, 0));
        let again = apply_due(&db.conn, &settings, 30, t10, on(t10)).await.unwrap();
        assert_eq!((again.noticed, again.repriced), (0, 0), "told once");
        assert_eq!(count(&db.conn, "emails WHERE kind = 'price_change_notice'").await, 2);
        let data =
            "emails WHERE kind = 'price_change_notice' AND data LIKE '%\"firstChargeAtNewPrice\":null%'";
        assert_eq!(count(&db.conn, data).await, 1, "the one due sooner is told its next charge is still old");

        // The charge run: the old price for the one due sooner, the new one for the other.
        let gateway = SimulatedGateway::new(db.conn.clone(), Duration::ZERO);
        let run = runner(&db, gateway.clone(), settings.clone());
        let both = day.max(later_day);
        assert_eq!(run.run(Due::Scheduled, both, on(both)).await.unwrap().charged, 2);
        let mut amounts: Vec<i64> =
            gateway.charges().await.unwrap().iter().map(|c| c.amount.amount()).collect();
        amounts.sort_unstable();
        assert_eq!(amounts, [2580, old_soon], "{}", db.label());
        assert_ne!(old_later, 2580);

        // The next day: both plans take their new price, and the next cycle of the one due sooner takes it
        // too, without a second notice.
        let next_day = both.succ_opt().unwrap();
        let third = apply_due(&db.conn, &settings, 30, next_day, on(next_day)).await.unwrap();
        assert_eq!((third.plans, third.noticed, third.repriced), (2, 0, 1));
        let cycles = renewals_of(&db.conn, Some(&soon_no), None, None).await.unwrap();
        let next = cycles.iter().find(|r| r.cycle == 2).unwrap();
        assert_eq!(next.deduct_price.amount(), 3880, "the next cycle at the new price");
        assert_eq!(count(&db.conn, "emails WHERE kind = 'price_change_notice'").await, 2);
        let plan = catalog::service::find_promotion(&db.conn, "GC18080026").await.unwrap().unwrap();
        assert_eq!(plan.total_amount.amount(), 3880, "the plan's own price from its effective day");
        let events = "events WHERE event_type = 'renewal.price_changed'";
        assert_eq!(count(&db.conn, events).await, 2);
        assert_eq!(count(&db.conn, "events WHERE event_type = 'catalog.price_change_scheduled'").await, 2);

        // Scheduling the same change again answers the first; another one while it is pending conflicts.
        let t = before(day, 20);
        let first =
            admin::schedule_price_change(&db.conn, "GC24010004", Money::new(1), day, t, "admin:a", at())
                .await;
        assert!(first.is_err(), "GC24010004 is not a renewal plan");
    }
}

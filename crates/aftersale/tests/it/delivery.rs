//! R20 suspensions of a print delivery: the term grows by the issues held and R5 follows; resuming early
//! gives back the issues not reached; bad suspensions are refused with nothing written.

use crate::fixtures::{World, at, today};
use aftersale::delivery::{resume_delivery, suspend_delivery};
use chrono::NaiveDate;
use entitlements::suspend::SuspendInput;
use platform_core::BusinessCalendar;
use platform_core::ErrorCode;
use platform_core::error::HasErrorCode;
use renewals::service::{NewRenewal, create_renewal, find_renewal};
use test_support::count;

/// GCV's issues by volume.
async fn issues(world: &World) -> Vec<(i32, NaiveDate)> {
    let mut issues = catalog::service::issues_of(world.orders.db(), "GCV").await.unwrap();
    issues.sort();
    issues
}

fn hold(world: &World, from: i32, issues: i32) -> SuspendInput {
    SuspendInput {
        customer_no: world.payer(6),
        product_code: "GCV".into(),
        from_volume: from,
        issues,
        reason: Some("出國旅行".into()),
    }
}

#[tokio::test]
async fn r20_a_suspension_of_two_issues_moves_the_end_volume_by_two_and_the_deduct_date() {
    for db in test_support::databases().await {
        let world = World::new(&db).await;
        world.order(6, "s-1", &[("GC18080026", 1, 3480)], 0, true).await;
        let renewal = NewRenewal {
            customer_no: world.payer(6),
            member_account: Some("holder6@example.com".into()),
            promotion_code: "GC24010001".into(),
            card_last4: Some("4242".into()),
            payment_token: Some("tok_ok_s".into()),
            ..NewRenewal::default()
        };
        let renewal =
            create_renewal(&db.conn, BusinessCalendar::default(), renewal, at(1)).await.unwrap().renewal;
        let before = world.entitlement(6, "GCV").await;
        let calendar = issues(&world).await;
        let last = calendar.iter().filter(|(_, d)| *d <= today()).map(|(v, _)| *v).max().unwrap();
        let end = before.end_volume.unwrap();
        let calendar_date = |volume: i32| calendar.iter().find(|(v, _)| *v == volume).map(|(_, d)| *d);

        let calendar_ = BusinessCalendar::default();
        for (name, input, code) in [
            ("a published issue", hold(&world, last, 2), ErrorCode::BadUserInput),
            ("past the coverage", hold(&world, end + 1, 2), ErrorCode::BadUserInput),
            ("no issue", hold(&world, last + 2, 0), ErrorCode::BadUserInput),
            ("too many", hold(&world, last + 2, 27), ErrorCode::BadUserInput),
            (
                "a digital product",
                SuspendInput { product_code: "KCW".into(), ..hold(&world, last + 2, 2) },
                ErrorCode::BadUserInput,
            ),
            (
                "no such customer",
                SuspendInput { customer_no: "C999".into(), ..hold(&world, last + 2, 2) },
                ErrorCode::NotFound,
            ),
        ] {
            let err = suspend_delivery(&db.conn, calendar_, &input, at(2)).await.unwrap_err();
            assert_eq!(err.code(), code, "{name}: {err} ({})", db.label());
        }
        assert_eq!(count(&db.conn, "entitlement_suspensions").await, 0, "refusals write nothing");

        let held = suspend_delivery(&db.conn, calendar_, &hold(&world, last + 2, 2), at(2)).await.unwrap();
        assert_eq!(held.end_volume, Some(end + 2), "{}", db.label());
        let after = world.entitlement(6, "GCV").await;
        assert_eq!(after.end_volume, Some(end + 2));
        assert_eq!(
            after.right_due_date,
            calendar_date(end + 3).or(after.right_due_date),
            "due: the issue after the new end"
        );
        assert!(after.right_due_date > before.right_due_date);
        let moved = find_renewal(&db.conn, renewal.id).await.unwrap().unwrap();
        assert_eq!(Some(moved.deduct_date), after.right_due_date.and_then(|d| d.pred_opt()), "R5 follows");
        let again = suspend_delivery(&db.conn, calendar_, &hold(&world, last + 2, 2), at(3)).await.unwrap();
        assert_eq!(again.end_volume, held.end_volume, "asking again answers the open suspension");
        let other =
            suspend_delivery(&db.conn, calendar_, &hold(&world, last + 5, 1), at(3)).await.unwrap_err();
        assert_eq!(other.code(), ErrorCode::Conflict, "one open suspension");
        assert_eq!(count(&db.conn, "events WHERE event_type = 'entitlement.suspended'").await, 1);
        assert_eq!(count(&db.conn, "emails WHERE kind = 'delivery_changed'").await, 1);

        // Resumed before the first held issue: everything is given back.
        let resumed = resume_delivery(&db.conn, calendar_, &world.payer(6), "GCV", at(4)).await.unwrap();
        assert_eq!((resumed.issues, resumed.end_volume), (0, Some(end)));
        let back = world.entitlement(6, "GCV").await;
        assert_eq!(back.right_due_date, before.right_due_date);
        let moved = find_renewal(&db.conn, renewal.id).await.unwrap().unwrap();
        assert_eq!(moved.deduct_date, renewal.deduct_date, "R5 back where it was");
        let none = resume_delivery(&db.conn, calendar_, &world.payer(6), "GCV", at(5)).await.unwrap_err();
        assert_eq!(none.code(), ErrorCode::NotFound);

        // Held for four from the next issue, resumed (as of) once two of them are published: two stay held.
        suspend_delivery(&db.conn, calendar_, &hold(&world, last + 1, 4), at(5)).await.unwrap();
        let second_held = calendar_date(last + 2).unwrap();
        let later = calendar_.start_of(second_held) + chrono::Duration::hours(12);
        let resumed = resume_delivery(&db.conn, calendar_, &world.payer(6), "GCV", later).await.unwrap();
        assert_eq!((resumed.issues, resumed.end_volume), (2, Some(end + 2)), "{}", db.label());
    }
}

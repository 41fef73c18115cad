//! R3 on payment and on member binding: volumes from the issue calendar, passes by calendar months,
//! exactly once per line, current holders continue, complimentary orders; R11 temporary grants.

use crate::{at, count, new_payer, orders, paid_order, today};
use entitlements::grant::grant_order;
use entitlements::query::entitlements_of;
use entitlements::rules::add_months;
use entitlements::{Holder, SubscribeStatus};
use members::service::upsert_member;
use members::{Account, MemberInput};
use orders::Payer;
use platform_core::error::HasErrorCode;
use platform_core::{BusinessCalendar, ErrorCode};

/// The first GCV issue published on or after `day`, from the demo calendar, and the issue `n` later.
async fn gcv_issue(
    db: &impl sea_orm::ConnectionTrait,
    day: chrono::NaiveDate,
    n: usize,
) -> (i32, chrono::NaiveDate) {
    let issues = catalog::service::issues_of(db, "GCV").await.unwrap();
    let first = issues.iter().position(|(_, date)| *date >= day).unwrap();
    issues[first + n]
}

#[tokio::test]
async fn r3_paid_order_grants_print_to_the_customer_and_digital_once_bound_to_a_member() {
    for db in test_support::databases().await {
        let orders = orders(&db).await;
        let calendar = BusinessCalendar::default();
        let order = paid_order(&orders, "e-1", new_payer(), &[("GC18080026", 1, 3480)], false, at(22)).await;
        let summary = grant_order(&db.conn, calendar, &order.order_no, at(22)).await.unwrap();
        assert_eq!((summary.granted, summary.pending_member), (1, 1), "{}: {summary:?}", db.label());

        let print =
            entitlements_of(&db.conn, Some(&order.payer_customer_no), None, Some("GCV")).await.unwrap();
        let gcv = &print[0];
        let (start, start_date) = gcv_issue(&db.conn, today(), 0).await;
        let (end, end_date) = gcv_issue(&db.conn, today(), 25).await;
        let (_, due) = gcv_issue(&db.conn, today(), 26).await;
        assert_eq!((gcv.start_volume, gcv.start_volume_date), (Some(start), Some(start_date)));
        assert_eq!(
            (gcv.end_volume, gcv.end_volume_date, gcv.right_due_date),
            (Some(end), Some(end_date), Some(due))
        );
        assert_eq!(gcv.subscribe_status, SubscribeStatus::Current);
        assert_eq!(gcv.seniority_thousandths, 997, "26 issues every 14 days");
        assert!(!gcv.estimated);

        // Bound to a member a day later: the pass (KCW 12 months) starts from that day.
        upsert_member(
            &db.conn,
            MemberInput { account: "sun@example.com".into(), ..MemberInput::default() },
            at(23),
        )
        .await
        .unwrap();
        let account = Account::parse("sun@example.com").unwrap();
        orders.bind_member(&order.order_no, &account, at(23)).await.unwrap();
        let summary = grant_order(&db.conn, calendar, &order.order_no, at(23)).await.unwrap();
        assert_eq!((summary.granted, summary.pending_member), (1, 0));
        let digital = entitlements_of(&db.conn, None, Some(&account), None).await.unwrap();
        assert_eq!(digital.len(), 1);
        assert_eq!(digital[0].holder, Holder::Member("sun@example.com".into()));
        assert_eq!(digital[0].right_due_date, Some(add_months(today().succ_opt().unwrap(), 12)));

        // Again, and again concurrently: nothing more.
        let again = grant_order(&db.conn, calendar, &order.order_no, at(24)).await.unwrap();
        assert_eq!(again.granted + again.failed, 0);
        assert_eq!(count(&db.conn, "entitlement_grants").await, 2);
        assert_eq!(count(&db.conn, "events WHERE event_type = 'entitlement.granted'").await, 2);
    }
}

#[tokio::test]
async fn r3_each_line_is_granted_exactly_once_under_concurrency() {
    for db in test_support::databases().await {
        let orders = orders(&db).await;
        let order = paid_order(&orders, "e-2", new_payer(), &[("GC24010001", 1, 2280)], false, at(22)).await;
        let tasks: Vec<_> = (0..6)
            .map(|_| {
                let conn = db.conn.clone();
                let no = order.order_no.clone();
                tokio::spawn(
                    async move { grant_order(&conn, BusinessCalendar::default(), &no, at(22)).await },
                )
            })
            .collect();
        let mut granted = 0;
        for task in tasks {
            granted += task.await.unwrap().unwrap().granted;
        }
        assert_eq!(granted, 1, "{}", db.label());
        assert_eq!(count(&db.conn, "entitlement_grants").await, 1);
        assert_eq!(count(&db.conn, "events WHERE event_type = 'entitlement.granted'").await, 1);
    }
}

#[tokio::test]
async fn r3_a_current_holder_continues_after_its_last_issue_and_gifts_are_complimentary() {
    for db in test_support::databases().await {
        let orders = orders(&db).await;
        let calendar = BusinessCalendar::default();
        let first = paid_order(&orders, "e-3", new_payer(), &[("GC24010001", 1, 2280)], false, at(22)).await;
        grant_order(&db.conn, calendar, &first.order_no, at(22)).await.unwrap();
        let payer = Payer::Existing(first.payer_customer_no.clone());
        let second = paid_order(&orders, "e-4", payer, &[("GC24010001", 1, 2280)], false, at(25)).await;
        grant_order(&db.conn, calendar, &second.order_no, at(25)).await.unwrap();
        let gcv =
            &entitlements_of(&db.conn, Some(&first.payer_customer_no), None, Some("GCV")).await.unwrap()[0];
        let (end, _) = gcv_issue(&db.conn, today(), 51).await;
        assert_eq!(gcv.end_volume, Some(end), "{}: 52 issues in a row", db.label());
        assert_eq!(gcv.seniority_thousandths, 2 * 997);

        let gift = paid_order(&orders, "e-5", new_payer(), &[("GCV1Y", 1, 0)], true, at(22)).await;
        grant_order(&db.conn, calendar, &gift.order_no, at(22)).await.unwrap();
        let gifted = &entitlements_of(&db.conn, Some(&gift.payer_customer_no), None, None).await.unwrap()[0];
        assert_eq!(gifted.subscribe_status, SubscribeStatus::Complimentary);
    }
}

#[tokio::test]
async fn r11_temporary_grants_and_their_bad_input() {
    for db in test_support::databases().await {
        orders(&db).await;
        let calendar = BusinessCalendar::default();
        upsert_member(
            &db.conn,
            MemberInput { account: "temp@example.com".into(), ..MemberInput::default() },
            at(1),
        )
        .await
        .unwrap();
        let account = Account::parse("temp@example.com").unwrap();
        let granted =
            entitlements::temporary::grant_temporary(&db.conn, calendar, &account, "KCW", 7, at(22))
                .await
                .unwrap();
        assert_eq!(granted.temporary_until, today().checked_add_days(chrono::Days::new(7)), "{}", db.label());
        // A shorter grant later never shortens it.
        let again = entitlements::temporary::grant_temporary(&db.conn, calendar, &account, "KCW", 1, at(23))
            .await
            .unwrap();
        assert_eq!(again.temporary_until, granted.temporary_until);
        assert_eq!(count(&db.conn, "events WHERE event_type = 'entitlement.temporary_granted'").await, 2);

        let nobody = Account::parse("nobody@example.com").unwrap();
        for (who, product, days, code) in [
            (&nobody, "KCW", 7, ErrorCode::NotFound),
            (&account, "NOPE", 7, ErrorCode::NotFound),
            (&account, "GCV", 7, ErrorCode::BadUserInput),
            (&account, "KCW", -3, ErrorCode::BadUserInput),
            (&account, "KCW", 0, ErrorCode::BadUserInput),
        ] {
            let err =
                entitlements::temporary::grant_temporary(&db.conn, calendar, who, product, days, at(22))
                    .await
                    .unwrap_err();
            assert_eq!(err.code(), code, "{product} {days}: {err}");
        }
        assert_eq!(count(&db.conn, "events WHERE event_type = 'entitlement.temporary_granted'").await, 2);
    }
}

#[tokio::test]
async fn r17_a_line_that_cannot_be_granted_is_recorded_and_followed_up_once() {
    use sea_orm::ConnectionTrait;
    for db in test_support::databases().await {
        let orders = orders(&db).await;
        // GCV without an issue calendar or a cadence: its issues cannot be counted.
        db.conn
            .execute_unprepared(
                "UPDATE items SET mz_volume = NULL, publish_date = NULL WHERE product_code = 'GCV'",
            )
            .await
            .unwrap();
        db.conn
            .execute_unprepared(
                "UPDATE products SET cadence_days = NULL, cadence_months = NULL WHERE product_code = 'GCV'",
            )
            .await
            .unwrap();
        let order = paid_order(&orders, "e-f", new_payer(), &[("GC18080026", 1, 3480)], false, at(22)).await;
        let summary =
            grant_order(&db.conn, BusinessCalendar::default(), &order.order_no, at(22)).await.unwrap();
        assert_eq!(summary.failed, 1, "{}: {summary:?}", db.label());
        let follow_up = format!(
            "follow_ups WHERE kind = 'ENTITLEMENT_FAILED' AND subject = 'order:{}' AND priority = 'HIGH'",
            order.order_no
        );
        assert_eq!(count(&db.conn, &follow_up).await, 1, "R17: the customer paid and has nothing");
        assert_eq!(count(&db.conn, "events WHERE event_type = 'entitlement.failed'").await, 1);
    }
}

#[tokio::test]
async fn access_a_member_reads_only_its_own_entitlements_and_those_of_its_linked_customers() {
    use entitlements::query::entitlements_for;
    use members::Principal;
    for db in test_support::databases().await {
        let orders = orders(&db).await;
        let calendar = BusinessCalendar::default();
        let order = paid_order(&orders, "e-1", new_payer(), &[("GC18080026", 1, 3480)], false, at(22)).await;
        for account in ["sun@example.com", "eve@example.com"] {
            let input = MemberInput { account: account.into(), ..MemberInput::default() };
            upsert_member(&db.conn, input, at(22)).await.unwrap();
        }
        let sun = Account::parse("sun@example.com").unwrap();
        orders.bind_member(&order.order_no, &sun, at(22)).await.unwrap();
        grant_order(&db.conn, calendar, &order.order_no, at(22)).await.unwrap();
        let as_sun = Principal::Member { account: sun.clone() };
        let as_eve = Principal::Member { account: Account::parse("eve@example.com").unwrap() };
        let ec = Principal::Service { subject: "ec".into() };
        let payer = order.payer_customer_no.as_str();

        let own = entitlements_for(&db.conn, &as_sun, None, Some(&sun), None).await.unwrap();
        assert_eq!(own.len(), 1, "the digital pass, on {}", db.label());
        let err = entitlements_for(&db.conn, &as_eve, None, Some(&sun), None).await.unwrap_err();
        assert_eq!(err.code(), ErrorCode::Forbidden);
        // The payer is not linked to sun yet: its print subscription is not sun's to read.
        let err = entitlements_for(&db.conn, &as_sun, Some(payer), None, None).await.unwrap_err();
        assert_eq!(err.code(), ErrorCode::Forbidden);
        members::service::link_member_customer(&db.conn, &sun, payer, at(23)).await.unwrap();
        let print = entitlements_for(&db.conn, &as_sun, Some(payer), None, Some("GCV")).await.unwrap();
        assert_eq!(print.len(), 1);
        assert_eq!(entitlements_for(&db.conn, &ec, Some(payer), None, None).await.unwrap().len(), 1);
        let err = entitlements_for(&db.conn, &ec, None, None, None).await.unwrap_err();
        assert_eq!(err.code(), ErrorCode::BadUserInput);
        let err = entitlements_for(&db.conn, &Principal::Anonymous, Some(payer), None, None).await;
        assert_eq!(err.unwrap_err().code(), ErrorCode::Unauthenticated);
    }
}

//! R4 end to end at the service level: the five rows of seed 004's table, several pending renewals at once,
//! R5 deduct dates from the holder's entitlements, and bad input with nothing written.

use crate::fixtures::{at, holder, renewal};
use members::Account;
use platform_core::error::HasErrorCode;
use platform_core::{BusinessCalendar, ErrorCode};
use renewals::RenewalStatus;
use renewals::service::{CreationAction, NewRenewal, create_renewal, renewals_of, stop_renewal};
use test_support::count;

#[tokio::test]
async fn r4_the_five_rows_of_the_seed_table() {
    // (existing promotion, new promotion, new renewal created, existing status after, existing rescheduled)
    let rows = [
        ("GC18080026", "GC18080026", true, RenewalStatus::Superseded, false), // 天下+全閱讀 → 天下+全閱讀
        ("GC24010001", "GC18080026", true, RenewalStatus::Superseded, false), // 天下 → 天下+全閱讀
        ("GC18080026", "GC24010002", true, RenewalStatus::Superseded, false), // → 天下+全閱讀+換日線
        ("GC24010002", "GC24010003", true, RenewalStatus::Pending, true),     // 換日線 vs 微笑季刊: both live
        ("GC18080026", "KC24010002", false, RenewalStatus::Pending, true),    // → 全閱讀 only: merged
    ];
    for db in test_support::databases().await {
        for (n, (old, new, creates, old_after, rescheduled)) in rows.into_iter().enumerate() {
            let (customer_no, account) = holder(&db, n).await;
            let calendar = BusinessCalendar::default();
            let first =
                create_renewal(&db.conn, calendar, renewal(&customer_no, &account, old), at()).await.unwrap();
            assert_eq!(first.action, CreationAction::Created);
            let second =
                create_renewal(&db.conn, calendar, renewal(&customer_no, &account, new), at()).await.unwrap();
            let label = format!("{}: row {} ({old} then {new})", db.label(), n + 1);
            assert_eq!(second.action == CreationAction::Created, creates, "{label}");
            let all = renewals_of(&db.conn, Some(&customer_no), None, None).await.unwrap();
            let existing = all.iter().find(|r| r.id == first.renewal.id).unwrap();
            assert_eq!(existing.status, old_after, "{label}");
            assert_eq!(all.len(), if creates { 2 } else { 1 }, "{label}");
            if old_after == RenewalStatus::Superseded {
                assert_eq!(second.superseded.len(), 1, "{label}");
                assert_eq!(existing.superseded_by, Some(second.renewal.id), "{label}");
            }
            if rescheduled && creates {
                assert_eq!(
                    second.rescheduled.iter().map(|r| r.id).collect::<Vec<_>>(),
                    [first.renewal.id],
                    "{label}"
                );
            }
            if !creates {
                assert_eq!(second.renewal.id, first.renewal.id, "{label}: merged into the existing renewal");
            }
        }
    }
}

#[tokio::test]
async fn r5_deduct_date_is_the_day_before_the_earliest_due_date_and_several_pending_are_handled() {
    for db in test_support::databases().await {
        let (customer_no, account) = holder(&db, 9).await;
        let calendar = BusinessCalendar::default();
        let held = entitlements::query::entitlements_of(
            &db.conn,
            Some(&customer_no),
            Some(&Account::parse(&account).unwrap()),
            None,
        )
        .await
        .unwrap();
        let earliest = held.iter().filter_map(|e| e.right_due_date).min().unwrap();
        let created = create_renewal(&db.conn, calendar, renewal(&customer_no, &account, "GC18080026"), at())
            .await
            .unwrap();
        assert_eq!(created.renewal.deduct_date, earliest.pred_opt().unwrap(), "{}", db.label());
        assert_eq!(created.renewal.deduct_price.amount(), 3480);
        assert_eq!(created.renewal.product_codes, ["GCV", "KCW"]);
        assert!(created.renewal.has_payment_token);

        // Two pending renewals ({GCV,KCW,GRV} and {GCV,KCW,GMV}), then 天下 alone: merged into the first.
        create_renewal(&db.conn, calendar, renewal(&customer_no, &account, "GC24010002"), at())
            .await
            .unwrap();
        create_renewal(&db.conn, calendar, renewal(&customer_no, &account, "GC24010003"), at())
            .await
            .unwrap();
        let pending =
            renewals_of(&db.conn, Some(&customer_no), None, Some(RenewalStatus::Pending)).await.unwrap();
        assert_eq!(pending.len(), 2, "GC18080026 superseded by GC24010002; GC24010003 lives beside it");
        let merged = create_renewal(&db.conn, calendar, renewal(&customer_no, &account, "GC24010001"), at())
            .await
            .unwrap();
        assert_eq!(merged.action, CreationAction::MergedIntoExisting);
        assert_eq!(
            renewals_of(&db.conn, Some(&customer_no), None, Some(RenewalStatus::Pending))
                .await
                .unwrap()
                .len(),
            2
        );

        let stopped = stop_renewal(&db.conn, &crate::fixtures::ops(), merged.renewal.id, at()).await.unwrap();
        assert_eq!(stopped.status, RenewalStatus::Stopped);
        assert_eq!(count(&db.conn, "events WHERE event_type = 'renewal.stopped'").await, 1);
        let superseded =
            renewals_of(&db.conn, Some(&customer_no), None, Some(RenewalStatus::Superseded)).await.unwrap();
        let err = stop_renewal(&db.conn, &crate::fixtures::ops(), superseded[0].id, at()).await.unwrap_err();
        assert_eq!(err.code(), ErrorCode::Conflict);
    }
}

#[tokio::test]
async fn bad_renewals_are_refused_and_nothing_is_written() {
    for db in test_support::databases().await {
        let (customer_no, account) = holder(&db, 7).await;
        let calendar = BusinessCalendar::default();
        let before = count(&db.conn, "renewals").await;
        for (input, code, message) in [
            (
                renewal(&customer_no, &account, "GC24010004"),
                ErrorCode::BadUserInput,
                "promotionCode: GC24010004 is not a renewable",
            ),
            (renewal(&customer_no, &account, "NOPE"), ErrorCode::NotFound, "promotionCode: "),
            (renewal("NOPE", &account, "GC18080026"), ErrorCode::NotFound, "customerNo: "),
            (
                renewal(&customer_no, "nobody@example.com", "GC18080026"),
                ErrorCode::NotFound,
                "memberAccount: ",
            ),
            (
                NewRenewal {
                    card_last4: Some("12345".into()),
                    ..renewal(&customer_no, &account, "GC18080026")
                },
                ErrorCode::BadUserInput,
                "cardLast4: ",
            ),
        ] {
            let err = create_renewal(&db.conn, calendar, input, at()).await.unwrap_err();
            assert_eq!(err.code(), code, "{}: {err}", db.label());
            assert!(err.to_string().starts_with(message), "expected {message:?}, got {err}");
        }
        assert_eq!(count(&db.conn, "renewals").await, before, "nothing written");
        // A customer without any entitlement to the plan's products: nothing to renew.
        let (other, _) = holder(&db, 8).await;
        let kcw_only = NewRenewal { member_account: None, ..renewal(&other, "x@example.com", "KC24010002") };
        let err = create_renewal(&db.conn, calendar, kcw_only, at()).await.unwrap_err();
        assert_eq!(err.code(), ErrorCode::BadUserInput, "{err}");
    }
}

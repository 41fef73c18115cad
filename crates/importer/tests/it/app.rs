//! R21 `app-entitlements` (APP 權益): store subscribers' terms; the current ones get their APP renewal
//! (status 5) for the member's customer, the lapsed ones none; a re-run changes nothing.

use crate::entitlements_erp::holders;
use crate::{import, text};
use importer::Kind;
use test_support::{count, databases};

#[tokio::test]
async fn r21_current_app_subscribers_get_their_store_renewal_and_lapsed_ones_none() {
    let folder = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/import");
    let file = std::fs::read_to_string(folder.join("app-entitlements.csv")).unwrap();
    for db in databases().await {
        holders(&db).await;
        for kind in [Kind::MemberProfiles, Kind::MemberCustomers] {
            let sample = std::fs::read_to_string(folder.join(format!("{}.csv", kind.as_str()))).unwrap();
            import(&db, kind, &sample).await;
        }
        let (first, rejects) = import(&db, Kind::AppEntitlements, &file).await;
        assert_eq!((first.updated, first.rejected), (2, 0), "{}: {first:?} {rejects}", db.label());
        let due = |account: &str| {
            let sql = format!(
                "SELECT CAST(e.right_due_date AS TEXT) || ' ' || CAST(e.subscribe_status AS TEXT) FROM entitlements e \
                 JOIN members m ON m.id = e.holder_member_id WHERE m.account = '{account}' AND e.product_code = 'KCW'"
            );
            let db = &db;
            async move { text(db, &sql).await }
        };
        assert_eq!(due("tn1658@yahoo.com.tw").await.as_deref(), Some("2027-12-15 1"));
        assert_eq!(due("chen@example.com").await.as_deref(), Some("2026-03-01 2"));
        let store =
            "renewals WHERE renew_status = 5 AND creation_key = 'app:300000000001' AND source = 'APP'";
        assert_eq!(count(&db.conn, store).await, 1, "the current subscriber's APP renewal");
        assert_eq!(
            count(&db.conn, "renewals WHERE creation_key = 'app:300000000002'").await,
            0,
            "no renewal when lapsed"
        );
        let (again, _) = import(&db, Kind::AppEntitlements, &file).await;
        assert_eq!((again.updated, again.unchanged, again.rejected), (0, 2, 0), "{again:?}");
        assert_eq!(count(&db.conn, "renewals WHERE renew_status = 5").await, 1);
        // The IAP server renews the imported subscription: an APP order, the term extended, the cycle counted.
        let calendar = platform_core::BusinessCalendar::default();
        let catalog = catalog::Catalog::new(db.conn.clone(), std::time::Duration::from_secs(5));
        let orders = orders::service::OrderService::new(db.conn.clone(), catalog, calendar, "A01".to_owned());
        let now = chrono::Utc::now();
        let expires = now + chrono::Duration::days(380);
        let renewed = renewals::app::record_app_renewal(
            &orders,
            calendar,
            "300000000001",
            "300000000101",
            expires,
            now,
        )
        .await
        .unwrap();
        assert!(renewed.recorded_now);
        assert_eq!(renewed.renewal.cycle, 2);
        assert_eq!(
            count(&db.conn, "orders WHERE source = 'APP' AND channel_order_id = '300000000101'").await,
            1
        );
        let stopped = renewals::app::cancel_app_subscription(&db.conn, "300000000001", now).await.unwrap();
        assert_eq!(stopped.status, renewals::RenewalStatus::Stopped);
        // A current subscriber without its plan is refused with why.
        let orphan = "USERID,PRODUCT,ORIGINAL_TRANSACTION_ID,EXPIRES_DATE,PROMOTION\n\
                      tn1658@yahoo.com.tw,KCW,300000000009,2028/1/1,\n";
        let (refused, rejects) = import(&db, Kind::AppEntitlements, orphan).await;
        assert_eq!(refused.rejected, 1, "{rejects}");
        assert!(rejects.contains("PROMOTION"), "{rejects}");
    }
}

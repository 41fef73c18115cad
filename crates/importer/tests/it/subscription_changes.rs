//! `subscription-changes` (R20 from the evening's file, R14's guarantees): each row through the mutations'
//! rules, refused rows in the rejects file with the others landing, a re-run applying nothing twice.

use crate::entitlements_erp::{erp_file, gcv_issues, holders};
use crate::{cutover, import, summary, text};
use importer::Kind;
use test_support::{count, databases};

#[tokio::test]
async fn r20_r14_subscription_changes_apply_once_and_refused_rows_leave_the_others_standing() {
    for db in databases().await {
        holders(&db).await;
        let issues = gcv_issues(&db).await;
        let future = issues.iter().find(|(_, d)| *d > cutover()).unwrap().0 + 3;
        import(&db, Kind::EntitlementsErp, &erp_file(future, future, future)).await;
        import(&db, Kind::RenewalsErp, &crate::renewals_erp::file(Some("tok_ok_1"))).await;
        let file = format!(
            "customerNo,account,action,product,renewal,from,count,reason\n\
             CW0000001,,SUSPEND,GCV,,{future},2,出國\n\
             CW0000001,,SKIP,GCV,,,1,\n\
             CW0000404,,CANCEL,GCV,,,,PRICE\n\
             ,,CANCEL,GCV,,,,\n\
             CW0000001,,HOLD,GCV,,,,\n\
             CW0000001,,CANCEL,GCV,,,,MOVING\n\
             CW0000001,,RESUME,GCV,,,,\n"
        );
        let (first, rejects) = import(&db, Kind::SubscriptionChanges, &file).await;
        assert_eq!(first, summary(7, 3, 0, 0, 4), "{}: {rejects}", db.label());
        for (line, why) in
            [("3,", "MONTHLY"), ("4,", "no live renewal"), ("5,", "give customerNo"), ("6,", "HOLD")]
        {
            assert!(
                rejects.lines().any(|l| l.starts_with(line) && l.contains(why)),
                "line {line} {why}: {rejects}"
            );
        }
        let end = text(&db, "SELECT CAST(e.end_volume AS TEXT) FROM entitlements e JOIN customers c ON c.id = e.holder_customer_id WHERE c.customer_no = 'CW0000001' AND e.product_code = 'GCV'").await;
        assert_eq!(end, Some(future.to_string()), "suspended by 2, resumed before the first: back");
        let reason = text(&db, "SELECT r.cancel_reason FROM renewals r JOIN customers c ON c.id = r.customer_id WHERE c.customer_no = 'CW0000001'").await;
        assert_eq!(reason.as_deref(), Some("MOVING"));
        for (what, n) in [("entitlement.suspended", 1), ("entitlement.resumed", 1), ("renewal.cancelled", 1)]
        {
            assert_eq!(count(&db.conn, &format!("events WHERE event_type = '{what}'")).await, n, "{what}");
        }

        let (again, _) = import(&db, Kind::SubscriptionChanges, &file).await;
        assert_eq!(again, summary(7, 0, 0, 3, 4), "a re-run applies nothing twice ({})", db.label());
        assert_eq!(count(&db.conn, "events WHERE event_type = 'entitlement.suspended'").await, 1);
        assert_eq!(count(&db.conn, "applied_changes").await, 3);
    }
}

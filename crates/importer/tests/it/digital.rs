//! R21 `digital-entitlements` (SUBSCRIPTORDL 全閱讀): current and lapsed subscribers become the members' KCW
//! terms with IMPORT ledger rows and statuses against the cut-over day, never moved backwards, re-runs
//! unchanged.

use crate::entitlements_erp::holders;
use crate::{import, text};
use importer::Kind;
use test_support::{count, databases};

#[tokio::test]
async fn r21_tradevan_pass_subscribers_become_member_terms_with_their_status() {
    let file = "SUBNO,RCVEMAIL,magcode,SUBBEGINDATE,SUBENDDATE\n\
                CW0000001,tn1658@yahoo.com.tw,KC,2026/1/1,2027/6/30\n\
                CW0000002,chen@example.com,KCW,2024/1/1,2025/1/1\n\
                CW0000002,chen@example.com,GC,2024/1/1,2025/1/1\n\
                CW0000009,nobody@example.com,KC,2026/1/1,2027/1/1\n\
                CW0000001,tn1658@yahoo.com.tw,KC,2027/1/1,2026/1/1\n";
    for db in databases().await {
        holders(&db).await;
        let folder = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/import");
        let profiles = std::fs::read_to_string(folder.join("member-profiles.csv")).unwrap();
        import(&db, Kind::MemberProfiles, &profiles).await;
        let (first, rejects) = import(&db, Kind::DigitalEntitlements, file).await;
        assert_eq!(
            (first.updated, first.skipped, first.rejected),
            (2, 1, 2),
            "{}: {first:?} {rejects}",
            db.label()
        );
        assert!(
            rejects.contains("no member nobody@example.com") && rejects.contains("SUBBEGINDATE"),
            "{rejects}"
        );
        let term = |account: &str| {
            let sql = format!(
                "SELECT CAST(e.right_due_date AS TEXT) || ' ' || CAST(e.subscribe_status AS TEXT) FROM entitlements e \
                 JOIN members m ON m.id = e.holder_member_id WHERE m.account = '{account}' AND e.product_code = 'KCW'"
            );
            let db = &db;
            async move { text(db, &sql).await }
        };
        assert_eq!(term("tn1658@yahoo.com.tw").await.as_deref(), Some("2027-06-30 1"), "CURRENT");
        assert_eq!(term("chen@example.com").await.as_deref(), Some("2025-01-01 2"), "LAPSED");
        let ledger = "entitlement_grants WHERE kind = 'IMPORT' AND reason LIKE 'digital-entitlements line %'";
        assert_eq!(count(&db.conn, ledger).await, 2);
        // A re-run, and a shorter term later: nothing moves backwards.
        let (again, _) = import(&db, Kind::DigitalEntitlements, file).await;
        assert_eq!((again.updated, again.unchanged), (0, 2), "{again:?}");
        let shorter = "SUBNO,RCVEMAIL,magcode,SUBBEGINDATE,SUBENDDATE\nCW0000001,tn1658@yahoo.com.tw,KC,2026/1/1,2026/12/31\n";
        let (kept, _) = import(&db, Kind::DigitalEntitlements, shorter).await;
        assert_eq!(kept.unchanged, 1, "{kept:?}");
        assert_eq!(term("tn1658@yahoo.com.tw").await.as_deref(), Some("2027-06-30 1"));
        assert_eq!(count(&db.conn, ledger).await, 2);
    }
}

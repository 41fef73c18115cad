//! R21 `temporary-entitlements` (關貿臨時權益): the TradeVan dates still ahead become R11 temporary grants,
//! past ones are skipped, a re-run changes nothing, an unknown member is refused alone.

use crate::entitlements_erp::holders;
use crate::{import, text};
use importer::Kind;
use test_support::{count, databases};

#[tokio::test]
async fn r21_tradevan_dates_ahead_become_temporary_grants_once() {
    let file = "USERID,CVALIDDATE,HVALIDDATE,JVALIDDATE,KVALIDDATE,WVALIDDATE\n\
                tn1658@yahoo.com.tw,2027/12/31,,,,2027/12/31\n\
                chen@example.com,,,,2026/12/31,2026/1/31\n\
                nobody@example.com,,,,,2027/1/1\n";
    for db in databases().await {
        holders(&db).await;
        let folder = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/import");
        let profiles = std::fs::read_to_string(folder.join("member-profiles.csv")).unwrap();
        import(&db, Kind::MemberProfiles, &profiles).await;
        let (first, rejects) = import(&db, Kind::TemporaryEntitlements, file).await;
        assert_eq!(
            (first.updated, first.rejected, first.skipped),
            (3, 1, 1),
            "{}: {first:?} {rejects}",
            db.label()
        );
        assert!(rejects.contains("no member nobody@example.com"), "{rejects}");
        let until = |account: &str, product: &str| {
            let sql = format!(
                "SELECT CAST(e.temporary_until AS TEXT) FROM entitlements e JOIN members m ON m.id = e.holder_member_id \
                 WHERE m.account = '{account}' AND e.product_code = '{product}'"
            );
            let db = &db;
            async move { text(db, &sql).await.map(|t| t[..10].to_owned()) }
        };
        assert_eq!(until("tn1658@yahoo.com.tw", "KCW").await.as_deref(), Some("2027-12-31"));
        assert_eq!(until("tn1658@yahoo.com.tw", "FCV").await.as_deref(), Some("2027-12-31"));
        assert_eq!(until("chen@example.com", "FKV").await.as_deref(), Some("2026-12-31"));
        assert_eq!(until("chen@example.com", "KCW").await, None, "a date before the cut-over is skipped");
        let ledger = "entitlement_grants WHERE kind = 'TEMPORARY'";
        assert_eq!(count(&db.conn, ledger).await, 3);
        let (again, _) = import(&db, Kind::TemporaryEntitlements, file).await;
        assert_eq!(
            (again.inserted, again.updated, again.unchanged, again.rejected),
            (0, 0, 3, 1),
            "{again:?}"
        );
        assert_eq!(count(&db.conn, ledger).await, 3);
    }
}

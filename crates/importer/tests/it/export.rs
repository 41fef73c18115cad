//! R21 `export entitlements`: the ERP 雜誌權益檔 back out, the inverse of `entitlements-erp` — exported from one
//! database and imported into another with the same catalog, customers and links, it gives the same
//! entitlements field by field, and exporting that one again gives the same file.

use crate::{demo, import, options};
use importer::Kind;
use importer::export::{ExportFilter, entitlements_erp, mailing_list};
use sea_orm::ConnectionTrait;
use test_support::{TestDb, databases};

/// Everything of every entitlement, with its holder by key, in a fixed order.
async fn entitlements(db: &TestDb) -> Vec<Vec<Option<String>>> {
    let sql = "SELECT c.customer_no, m.account, e.product_code, CAST(e.start_volume AS TEXT), \
               CAST(e.end_volume AS TEXT), CAST(e.end_volume_date AS TEXT), CAST(e.right_due_date AS TEXT), \
               CAST(e.seniority_thousandths AS TEXT), CAST(e.subscribe_status AS TEXT), CAST(e.estimated AS TEXT) \
               FROM entitlements e LEFT JOIN customers c ON c.id = e.holder_customer_id \
               LEFT JOIN members m ON m.id = e.holder_member_id ORDER BY 1, 2, 3";
    let rows = db.conn.query_all_raw(sea_orm::Statement::from_string(db.backend(), sql)).await.unwrap();
    rows.iter().map(|r| (0..10).map(|i| r.try_get_by_index::<Option<String>>(i).unwrap()).collect()).collect()
}

/// The example customers, members and links (what the entitlements refer to) on the demo catalog.
async fn holders(db: &TestDb) {
    let folder = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/import");
    demo(db).await;
    for kind in [
        Kind::Issues,
        Kind::Items,
        Kind::Promotions,
        Kind::Customers,
        Kind::MemberProfiles,
        Kind::MemberCustomers,
    ] {
        let file = std::fs::read_to_string(folder.join(format!("{}.csv", kind.as_str()))).unwrap();
        let (summary, rejects) = import(db, kind, &file).await;
        assert_eq!(summary.rejected, 0, "{}: {rejects}", kind.as_str());
    }
}

async fn export(db: &TestDb, filter: &ExportFilter) -> String {
    let mut out = Vec::new();
    entitlements_erp(&db.conn, filter, &mut out).await.unwrap();
    String::from_utf8(out).unwrap()
}

#[tokio::test]
async fn r21_the_exported_entitlements_import_back_as_the_same_entitlements() {
    let folder = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/import");
    let sample = std::fs::read_to_string(folder.join("entitlements-erp.csv")).unwrap();
    for (source, target) in databases().await.into_iter().zip(databases().await) {
        holders(&source).await;
        holders(&target).await;
        let (summary, rejects) = import(&source, Kind::EntitlementsErp, &sample).await;
        assert_eq!(summary.rejected, 0, "{rejects}");
        let original = entitlements(&source).await;
        assert!(original.len() >= 3, "{original:?}");
        assert!(original.iter().any(|e| e[1].is_some()), "a pass held by a member: {original:?}");

        let file = export(&source, &ExportFilter::default()).await;
        assert!(
            file.starts_with("CUSTOMER_ID,CUSTOMER_NO,GC_SUB_END_DATE,GC_SUB_END_VOLUMN,GC_ACC_SENIORITY,"),
            "{file}"
        );
        let (summary, rejects) = import(&target, Kind::EntitlementsErp, &file).await;
        assert_eq!(summary.rejected, 0, "{}: {rejects}\n{file}", source.label());
        assert_eq!(entitlements(&target).await, original, "{}: field by field\n{file}", source.label());
        assert_eq!(export(&target, &ExportFilter::default()).await, file, "the same file again");
        let (again, _) = import(&target, Kind::EntitlementsErp, &file).await;
        assert_eq!(again.inserted + again.updated, 0, "a re-import changes nothing: {again:?}");

        // One product: its columns only are filled.
        let gcv =
            export(&source, &ExportFilter { product: Some("GCV".into()), ..ExportFilter::default() }).await;
        let mut lines = gcv.lines();
        let header: Vec<&str> = lines.next().unwrap().split(',').collect();
        for line in lines {
            for (column, value) in header.iter().zip(line.split(',')) {
                if !value.is_empty() {
                    assert!(column.starts_with("CUSTOMER_") || column.starts_with("GC_"), "{column}={value}");
                }
            }
        }
        let bad = entitlements_erp(
            &source.conn,
            &ExportFilter { product: Some("GBV".into()), ..ExportFilter::default() },
            Vec::new(),
        )
        .await;
        assert!(bad.unwrap_err().to_string().contains("--product: GBV is not one of"));
        // Nothing changed since tomorrow: the header alone.
        let later = ExportFilter {
            changed_since: Some(options().at + chrono::Duration::days(400)),
            ..ExportFilter::default()
        };
        assert_eq!(export(&source, &later).await.lines().count(), 1);
        let earlier = ExportFilter {
            changed_since: Some(options().at - chrono::Duration::days(1)),
            ..ExportFilter::default()
        };
        assert_eq!(export(&source, &earlier).await, file);
    }
}

#[tokio::test]
async fn r21_the_mailing_list_names_and_addresses_who_is_covered_for_the_issue() {
    let folder = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/import");
    let sample = std::fs::read_to_string(folder.join("entitlements-erp.csv")).unwrap();
    for db in databases().await {
        holders(&db).await;
        let (summary, rejects) = import(&db, Kind::EntitlementsErp, &sample).await;
        assert_eq!(summary.rejected, 0, "{rejects}");
        let list = |volume: i32| {
            let db = &db;
            async move {
                let mut out = Vec::new();
                mailing_list(&db.conn, "GCV", volume, &mut out).await.unwrap();
                String::from_utf8(out).unwrap()
            }
        };
        // CW0000001 holds GC up to issue 961 (imported: no start, so every issue up to it).
        let last = list(961).await;
        let lines: Vec<&str> = last.lines().collect();
        assert_eq!(lines[0], "CUSTOMER_NO,NAME,PHONE,MOBILE,COUNTRY,POSTAL_CODE,CITY,STREET,END_VOLUME");
        assert!(
            lines.iter().any(|l| l.starts_with("CW0000001,陳志明,0912345678,") && l.ends_with(",961")),
            "{last}"
        );
        let mut numbers: Vec<&str> = lines[1..].iter().map(|l| l.split(',').next().unwrap()).collect();
        let listed = numbers.clone();
        numbers.sort_unstable();
        assert_eq!(listed, numbers, "by customer number");
        assert!(!list(962).await.contains("CW0000001,"), "{}: past its last issue", db.label());
        let mut out = Vec::new();
        let pass = mailing_list(&db.conn, "KCW", 1, &mut out).await.unwrap_err().to_string();
        assert!(pass.contains("not a magazine"), "{pass}");
        let zero = mailing_list(&db.conn, "GCV", 0, Vec::new()).await.unwrap_err().to_string();
        assert!(zero.contains("--volume"), "{zero}");
    }
}

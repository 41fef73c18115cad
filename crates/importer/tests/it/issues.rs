//! `issues`: the calendar extended, and R3's estimated dates corrected by it.

use crate::entitlements_erp::{erp_file, gcv_issues, holders};
use crate::{import, summary, text};
use importer::Kind;
use test_support::{count, databases};

#[tokio::test]
async fn r14_r3_imported_issues_extend_the_calendar_and_correct_estimated_dates() {
    for db in databases().await {
        holders(&db).await;
        let issues = gcv_issues(&db).await;
        let (last, last_date) = *issues.last().unwrap();
        let future = issues[issues.len() / 2].0;
        import(&db, Kind::EntitlementsErp, &erp_file(future, future, last + 3)).await;
        assert_eq!(count(&db.conn, "entitlements WHERE estimated").await, 1);

        let day = |n: i64| (last_date + chrono::Duration::days(14 * n)).format("%Y/%-m/%-d").to_string();
        let file = format!(
            "itemNo,name,category,subCategory,productCode,mzVolume,publishDate,itemStatus\n\
             ,,雜誌,天下,GCV,{},{},Active\n,,雜誌,天下,GCV,{},{},Active\n,,,,GCV,{},{},\n,,,,GCV,{},{},Active\n\
             ,,,,KCW,1,2027/1/1,\n,,,,GCV,abc,2027/1/1,\n,,,,GCV,{last},{},\n",
            last + 1,
            day(1),
            last + 2,
            day(2),
            last + 3,
            day(3),
            last + 4,
            day(4),
            day(0)
        );
        let (first, rejects) = import(&db, Kind::Issues, &file).await;
        assert_eq!(first, summary(7, 4, 0, 1, 2), "{}: {rejects}", db.label());
        assert!(rejects.contains("6,productCode: no VOLUME product KCW"), "{rejects}");
        assert!(rejects.contains("7,\"mzVolume"), "{rejects}");
        // The item number and name follow the demo calendar's pattern.
        assert_eq!(
            text(&db, &format!("SELECT name FROM items WHERE item_no = 'GCV{:06}'", last + 4)).await,
            Some(format!("天下雜誌 第{}期", last + 4))
        );
        // The entitlement estimated past the old end now has the calendar's dates.
        assert_eq!(count(&db.conn, "entitlements WHERE estimated").await, 0, "{}", db.label());
        let due = text(&db, "SELECT CAST(e.right_due_date AS TEXT) FROM entitlements e JOIN customers c ON c.id = e.holder_customer_id WHERE c.customer_no = 'CW0000004'").await;
        assert_eq!(due, Some((last_date + chrono::Duration::days(14 * 4)).to_string()));

        let (again, _) = import(&db, Kind::Issues, &file).await;
        assert_eq!(again, summary(7, 0, 0, 5, 2), "{}", db.label());
    }
}

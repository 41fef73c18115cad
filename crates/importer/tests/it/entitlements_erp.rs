//! `entitlements-erp`: R3 dates from the issue calendar, seed 004 step 5 statuses, KCW on the member.

use crate::{cutover, demo, import, text};
use chrono::NaiveDate;
use importer::{Kind, Summary};
use test_support::{TestDb, count, databases};

/// GCV's issues on the demo calendar.
pub(crate) async fn gcv_issues(db: &TestDb) -> Vec<(i32, NaiveDate)> {
    catalog::service::issues_of(&db.conn, "GCV").await.unwrap()
}

/// The demo catalog, customers CW0000001–4 (ERP ids 400001–4) and member a@example.com linked to the first.
pub(crate) async fn holders(db: &TestDb) {
    demo(db).await;
    import(
        db,
        Kind::Customers,
        "customerNo,name,email,customerID\nCW0000001,陳志明,chen@example.com,400001\nCW0000002,林春嬌,,400002\n\
         CW0000003,黃家豪,,400003\nCW0000004,張怡君,,400004\n",
    )
    .await;
    import(db, Kind::MemberProfiles, "USERID,EMAIL\na@example.com,a@example.com\n").await;
    import(db, Kind::MemberCustomers, "USERID,SUBNO\na@example.com,CW0000001\n").await;
}

/// The ERP file: current, lapsed, unknown, volume 0, missing volume, past the calendar.
pub(crate) fn erp_file(future: i32, past: i32, beyond: i32) -> String {
    format!(
        "CUSTOMER_ID,GC_SUB_END_DATE,GC_SUB_END_VOLUMN,GC_ACC_SENIORITY,GB_SUB_END_DATE,GB_SUB_END_VOLUMN,GB_ACC_SENIORITY,GJ_SUB_END_DATE,GJ_SUB_END_VOLUMN,GJ_ACC_SENIORTY,KC_SUB_END_DATE,KC_ACC_SENIORITY\n\
         400001,,{future},20.842,2020/1/1,12,1.000,,,,2027/3/31,2.5\n\
         400002,,{past},3.1,,,,,,,2027/3/31,\n\
         400404,,{future},,,,,,,,,\n\
         400003,,0,,,,,,,,,\n\
         400003,2023/4/19,,,,,,,,,,\n\
         400004,,{beyond},,,,,,,,,\n"
    )
}

#[tokio::test]
async fn r14_r3_erp_entitlements_take_their_dates_from_the_issue_calendar_and_statuses_from_step_5() {
    for db in databases().await {
        holders(&db).await;
        let issues = gcv_issues(&db).await;
        let date_of = |v: i32| issues.iter().find(|(volume, _)| *volume == v).map(|(_, d)| *d).unwrap();
        let future = issues.iter().find(|(_, d)| *d > cutover()).unwrap().0 + 3;
        let past = issues.iter().find(|(_, d)| *d < cutover()).unwrap().0;
        let beyond = issues.last().unwrap().0 + 3;
        let (first, rejects) = import(&db, Kind::EntitlementsErp, &erp_file(future, past, beyond)).await;
        assert_eq!(
            first,
            Summary { read: 6, inserted: 4, updated: 0, unchanged: 0, rejected: 3, skipped: 1 },
            "{}: {rejects}",
            db.label()
        );
        assert!(rejects.contains("3,KCW: no member is linked to the customer"), "{rejects}");
        assert!(rejects.contains("4,no customer with CUSTOMER_ID 400404"), "{rejects}");
        assert!(rejects.contains("6,GC_SUB_END_VOLUMN: missing"), "{rejects}");

        let gcv = "FROM entitlements e JOIN customers c ON c.id = e.holder_customer_id WHERE e.product_code = 'GCV' AND c.customer_no";
        let current = text(&db, &format!("SELECT CAST(e.end_volume_date AS TEXT) || ' ' || CAST(e.right_due_date AS TEXT) || ' ' || CAST(e.end_volume AS TEXT) || ' ' || CAST(e.seniority_thousandths AS TEXT) || ' ' || CAST(e.subscribe_status AS TEXT) {gcv} = 'CW0000001'")).await.unwrap();
        assert_eq!(
            current,
            format!("{} {} {future} 20842 1", date_of(future), date_of(future + 1)),
            "{}",
            db.label()
        );
        let lapsed = text(&db, &format!("SELECT CAST(e.subscribe_status AS TEXT) {gcv} = 'CW0000002'")).await;
        assert_eq!(lapsed.as_deref(), Some("2"), "{}: ended before the cut-over → LAPSED", db.label());
        assert_eq!(count(&db.conn, "entitlements e JOIN customers c ON c.id = e.holder_customer_id WHERE e.product_code = 'GCV' AND e.estimated AND c.customer_no = 'CW0000004'").await, 1);
        // 全閱讀 is held by the member linked to the customer.
        let kcw = text(&db, "SELECT CAST(e.right_due_date AS TEXT) || ' ' || CAST(e.seniority_thousandths AS TEXT) FROM entitlements e JOIN members m ON m.id = e.holder_member_id WHERE e.product_code = 'KCW'").await;
        assert_eq!(kcw.as_deref(), Some("2027-03-31 2500"));
        assert_eq!(
            count(&db.conn, "entitlements WHERE product_code NOT IN ('GCV', 'KCW')").await,
            0,
            "GB is skipped"
        );

        let (again, _) = import(&db, Kind::EntitlementsErp, &erp_file(future, past, beyond)).await;
        assert_eq!(
            (again.inserted, again.updated, again.unchanged, again.rejected),
            (0, 0, 4, 3),
            "{}",
            db.label()
        );

        // An older export never moves an entitlement backwards.
        let older = format!("CUSTOMER_ID,GC_SUB_END_VOLUMN\n400001,{}\n", future - 5);
        let (kept, _) = import(&db, Kind::EntitlementsErp, &older).await;
        assert_eq!((kept.updated, kept.unchanged), (0, 1));
        let end = text(&db, &format!("SELECT CAST(e.end_volume AS TEXT) {gcv} = 'CW0000001'")).await;
        assert_eq!(end, Some(future.to_string()));
    }
}

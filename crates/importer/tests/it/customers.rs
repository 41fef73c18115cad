//! `customers`: insert only the missing customerNos (差異化), rejects with line and reason, re-runs.

use crate::{import, import_with, options, summary, text};
use importer::Kind;
use test_support::{count, databases};

const FILE: &str = "\
id,customerNo,name,email,phone,createdAt,updatedAt,parent,address,customerID
1,CW0000001,陳志明,chen@example.com,0912345678,2020-10-23,2020-10-23,,100臺北市中正區忠孝東路1號,400001
2,CW0000002,林春嬌,not-an-email,0912345679,,,,,400002
3,CW0000003,黃家豪,huang@example.com,,,,,,400003
4,bad no!,張怡君,,,,,,,400004
5,CW0000005,李冠宇,,,,,CW0000001,,400005
6,CW0000006,王雅婷,,,,,CW9999999,,400006
7,CW0000001,陳志明(重複),,,,,,,400001
8,CW0000008,王\t小明,,,,,,,400008
";

#[tokio::test]
async fn r14_customers_insert_only_the_missing_and_reject_bad_rows() {
    for db in databases().await {
        let (first, rejects) = import(&db, Kind::Customers, FILE).await;
        // 8 rows: 4 land (1, 3, 5 and the repeat of 1 counts as existing), 4 refused.
        assert_eq!(first, summary(8, 3, 0, 1, 4), "{}", db.label());
        assert_eq!(count(&db.conn, "customers").await, 3);
        let lines: Vec<&str> = rejects.lines().collect();
        assert_eq!(
            lines[0],
            "line,reason,id,customerNo,name,email,phone,createdAt,updatedAt,parent,address,customerID"
        );
        assert!(
            lines[1].starts_with("3,")
                && lines[1].contains("not an e-mail address")
                && lines[1].ends_with(",400002"),
            "{}",
            lines[1]
        );
        assert!(lines[2].starts_with("5,") && lines[2].contains("customerNo"), "{}", lines[2]);
        // Parse rejects are written as found, the database's at the end of their batch.
        assert!(
            lines[3].starts_with("9,") && lines[3].contains("name: must not contain control characters"),
            "the live field rule: {}",
            lines[3]
        );
        assert!(
            lines[4].starts_with("7,") && lines[4].contains("parent: no customer CW9999999"),
            "{}",
            lines[4]
        );
        assert_eq!(lines.len(), 5);
        // The parent resolves to the customer of line 2; the ERP id and address land.
        assert_eq!(
            text(&db, "SELECT p.customer_no FROM customers c JOIN customers p ON p.id = c.parent_id WHERE c.customer_no = 'CW0000005'").await.as_deref(),
            Some("CW0000001")
        );
        assert_eq!(
            text(&db, "SELECT street FROM customers WHERE customer_no = 'CW0000001'").await.as_deref(),
            Some("100臺北市中正區忠孝東路1號")
        );
        assert_eq!(
            text(&db, "SELECT customer_id FROM customers WHERE customer_no = 'CW0000003'").await.as_deref(),
            Some("400003")
        );

        // A re-run imports nothing twice; an existing customer keeps its own data (insert only missing).
        let (again, _) = import(&db, Kind::Customers, FILE).await;
        assert_eq!(again, summary(8, 0, 0, 4, 4), "{}", db.label());
        assert_eq!(count(&db.conn, "customers").await, 3);
        assert_eq!(
            text(&db, "SELECT name FROM customers WHERE customer_no = 'CW0000001'").await.as_deref(),
            Some("陳志明")
        );
    }
}

#[tokio::test]
async fn r14_a_dry_run_counts_and_writes_nothing() {
    for db in databases().await {
        let dry = importer::Options { dry_run: true, ..options() };
        let (result, rejects) = import_with(&db, Kind::Customers, FILE.as_bytes(), &dry).await;
        let counted = result.unwrap();
        assert_eq!((counted.read, counted.rejected), (8, 4), "{}", db.label());
        assert!(counted.inserted >= 3);
        assert_eq!(rejects.lines().count(), 5, "the rejects are reported in a dry run too");
        assert_eq!(count(&db.conn, "customers").await, 0, "{}: a dry run writes nothing", db.label());
    }
}

/// Issue #14: parents that make a cycle — a customer its own parent, two or three customers naming each
/// other — are rejected with their lines; the rest of the batch lands and the hierarchy stays a tree.
#[tokio::test]
async fn parent_cycles_in_a_file_are_rejected() {
    let file = "customerNo,parent\n\
                CY0000001,CY0000001\n\
                CY0000002,CY0000003\n\
                CY0000003,CY0000002\n\
                CY0000004,CY0000005\n\
                CY0000005,CY0000006\n\
                CY0000006,CY0000004\n\
                CY0000007,\n\
                CY0000008,CY0000007\n";
    for db in databases().await {
        let big = importer::Options { batch: 100, ..options() };
        let (result, rejects) = import_with(&db, Kind::Customers, file.as_bytes(), &big).await;
        let outcome = result.unwrap();
        assert_eq!(
            (outcome.read, outcome.inserted, outcome.rejected),
            (8, 2, 6),
            "{}: {rejects}",
            db.label()
        );
        assert!(
            rejects.contains("2,a customer cannot be its own parent") || rejects.contains("own parent"),
            "{rejects}"
        );
        for line in ["3,", "4,", "5,", "6,", "7,"] {
            assert!(
                rejects.lines().any(|l| l.starts_with(line) && l.contains("cycle of parents")),
                "{line} {rejects}"
            );
        }
        assert_eq!(
            count(&db.conn, "customers WHERE parent_id IS NOT NULL").await,
            1,
            "only CY0000008 has a parent"
        );
    }
}

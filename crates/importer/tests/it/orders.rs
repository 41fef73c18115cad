//! R21 / R14 `orders`: the ERP's order history under the legacy order numbers — expanded as sold, paid,
//! shipped or cancelled, never granted or renewed again — which the renewals of `renewals-erp` find by
//! their `GC_ORDER_NUMBER`; re-runs, later statuses and refused orders.

use crate::{demo, import, text};
use importer::Kind;
use test_support::{TestDb, count, databases};

const HEADER: &str = "ORDER_NUMBER,ORDER_DATE,CUSTOMER_NUMBER,USERID,ORDER_STATUS,PAID_AT,SHIPPED_AT,PAYMENT_METHOD,\
                      TRANSACTION_ID,CREDIT_CARD_NUMBER,ITEM_NO,QUANTITY,AMOUNT,FREIGHT_CHARGE,CUSTOMER_NAME,SH_MOBILE,\
                      SH_EMAIL,COUNTRY,POSTAL_CODE,TOWN_OR_CITY,SHIP_ADDRESS";

pub(crate) fn sample(name: &str) -> String {
    let folder = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/import");
    std::fs::read_to_string(folder.join(name)).unwrap()
}

pub(crate) async fn customers_and_members(db: &TestDb) {
    demo(db).await;
    import(db, Kind::Customers, &sample("customers.csv")).await;
    import(db, Kind::MemberProfiles, &sample("member-profiles.csv")).await;
}

/// A one-line order `no` of customer CW0000001 with `status`, `paid_at`, `item` and `amount`.
fn one(no: &str, status: &str, paid_at: &str, item: &str, amount: &str) -> String {
    format!("{no},2026/01/05 10:00:00,CW0000001,,{status},{paid_at},,,,,{item},1,{amount},0,陳志明,,,,,,\n")
}

#[tokio::test]
async fn r21_the_order_history_lands_under_its_legacy_numbers_and_renewals_find_their_origin() {
    for db in databases().await {
        customers_and_members(&db).await;
        let (first, rejects) = import(&db, Kind::Orders, &sample("orders.csv")).await;
        assert_eq!(
            (first.read, first.inserted, first.rejected),
            (5, 5, 0),
            "{}: {first:?} {rejects}",
            db.label()
        );
        assert_eq!(count(&db.conn, "orders WHERE source = 'IMPORT'").await, 4, "four orders of five rows");
        // The renewal plan sold as a promotion: R1 split into its two items, paid, confirmed in the ERP.
        let paid = text(
            &db,
            "SELECT status || ' ' || payment_status || ' ' || CAST(total_amount AS TEXT) || ' ' || erp_order_no || ' ' \
             || card_last4 FROM orders WHERE order_no = '601038327'",
        )
        .await;
        assert_eq!(paid.as_deref(), Some("CONFIRMED PAID 3480 601038327 0224"));
        assert_eq!(
            count(&db.conn, "order_lines l JOIN orders o ON o.id = l.order_id WHERE o.order_no = '601038327' AND l.promotion_code = 'GC18080026'").await,
            2
        );
        assert_eq!(
            count(&db.conn, "payments p JOIN orders o ON o.id = p.order_id WHERE o.order_no = '601038327' AND p.transaction_id = 'ERP-TX-601038327' AND p.amount = 3480 AND p.status = 'PAID'").await,
            1
        );
        assert_eq!(count(&db.conn, "orders o JOIN members m ON m.id = o.member_id WHERE o.order_no = '601038327' AND m.account = 'chen@example.com'").await, 1);
        // Shipped: the book and the event line shipped, the gift not (R21: BOOK and EVENT ship).
        let shipped = "order_lines l JOIN orders o ON o.id = l.order_id WHERE o.order_no = '601038400'";
        assert_eq!(
            count(
                &db.conn,
                &format!("{shipped} AND l.status = 'SHIPPED' AND l.shipped_quantity = l.quantity")
            )
            .await,
            2
        );
        assert_eq!(
            count(&db.conn, &format!("{shipped} AND l.status <> 'SHIPPED' AND l.item_no = 'GF0002'")).await,
            1
        );
        assert_eq!(
            text(
                &db,
                "SELECT status || ' ' || CAST(total_amount AS TEXT) FROM orders WHERE order_no = '601038400'"
            )
            .await
            .as_deref(),
            Some("SHIPPED 1580"),
            "the lines and the shipping fee once"
        );
        // Cancelled and never paid: no payment.
        assert_eq!(
            text(&db, "SELECT status || ' ' || payment_status FROM orders WHERE order_no = '601038512'")
                .await
                .as_deref(),
            Some("CANCELLED PENDING")
        );
        assert_eq!(
            count(&db.conn, "payments p JOIN orders o ON o.id = p.order_id WHERE o.order_no = '601038512'")
                .await,
            0
        );
        assert_eq!(count(&db.conn, "events WHERE event_type = 'order.imported'").await, 4);
        // History is never granted again (its entitlements come from the ERP's files), nor renewed by R7.
        let calendar = platform_core::BusinessCalendar::default();
        let granted =
            entitlements::grant::grant_order(&db.conn, calendar, "601038327", crate::at()).await.unwrap();
        assert_eq!((granted.granted, granted.failed), (0, 0));
        assert_eq!(count(&db.conn, "entitlements").await, 0);
        let candidates = orders::service::renewal_candidates(
            &db.conn,
            crate::at() - chrono::Duration::days(3650),
            &["GC18080026".to_owned()],
        )
        .await
        .unwrap();
        assert!(candidates.is_empty(), "{candidates:?}");
        // The ERP's renewal that agreed to renew 601038327 finds it by that number.
        import(&db, Kind::EntitlementsErp, &sample("entitlements-erp.csv")).await;
        let (renewals, rejects) = import(&db, Kind::RenewalsErp, &sample("renewals-erp.csv")).await;
        assert_eq!(renewals.rejected, 0, "{rejects}");
        assert_eq!(
            count(&db.conn, "renewals r JOIN orders o ON o.order_no = r.origin_order_no WHERE o.source = 'IMPORT' AND o.order_no = '601038327'").await,
            1
        );
        // A re-run changes nothing.
        let (again, _) = import(&db, Kind::Orders, &sample("orders.csv")).await;
        assert_eq!(
            (again.inserted, again.updated, again.unchanged, again.rejected),
            (0, 0, 5, 0),
            "{again:?}"
        );
        assert_eq!(count(&db.conn, "payments").await, 3);
    }
}

#[tokio::test]
async fn r21_a_later_export_moves_an_order_on_and_an_older_one_never_back() {
    for db in databases().await {
        customers_and_members(&db).await;
        let paid = "2026/01/05 10:01:00";
        import(&db, Kind::Orders, &format!("{HEADER}\n{}", one("700001", "PAID", paid, "BK0001", "450")))
            .await;
        let (moved, rejects) = import(
            &db,
            Kind::Orders,
            &format!("{HEADER}\n{}", one("700001", "SHIPPED", paid, "BK0001", "450")),
        )
        .await;
        assert_eq!((moved.updated, moved.rejected), (1, 0), "{rejects}");
        assert_eq!(
            count(&db.conn, "order_lines l JOIN orders o ON o.id = l.order_id WHERE o.order_no = '700001' AND l.status = 'SHIPPED' AND o.status = 'SHIPPED'").await,
            1
        );
        // An older export (still PAID) leaves the shipped order as it is.
        let (back, rejects) =
            import(&db, Kind::Orders, &format!("{HEADER}\n{}", one("700001", "PAID", paid, "BK0001", "450")))
                .await;
        assert_eq!((back.unchanged, back.rejected), (1, 0), "{rejects}");
        assert_eq!(
            text(&db, "SELECT status FROM orders WHERE order_no = '700001'").await.as_deref(),
            Some("SHIPPED")
        );
        let (other, rejects) = import(
            &db,
            Kind::Orders,
            &format!("{HEADER}\n{}", one("700001", "SHIPPED", paid, "BK0001", "900")),
        )
        .await;
        assert_eq!(other.rejected, 1);
        assert!(rejects.contains("other lines"), "{rejects}");
        let (cancelled, _) = import(
            &db,
            Kind::Orders,
            &format!("{HEADER}\n{}", one("700001", "CANCELLED", paid, "BK0001", "450")),
        )
        .await;
        assert_eq!(cancelled.updated, 1);
        assert_eq!(
            count(&db.conn, "order_lines l JOIN orders o ON o.id = l.order_id WHERE o.order_no = '700001' AND l.status = 'CANCELLED' AND o.status = 'CANCELLED'").await,
            1
        );
    }
}

#[tokio::test]
async fn r21_refused_orders_leave_nothing_and_the_others_land() {
    for db in databases().await {
        customers_and_members(&db).await;
        let paid = "2026/01/05 10:01:00";
        let file = format!(
            "{HEADER}\n{}{}{}{}{}{}{}{}",
            one("800001", "PAID", paid, "BK0001", "450"),
            // Two rows, the second of an unknown item: the whole order is refused.
            one("800002", "PAID", paid, "BK0001", "450"),
            one("800002", "PAID", paid, "NOPE0001", "100"),
            // A PAID order without its payment time.
            one("800003", "PAID", "", "BK0001", "450"),
            // An unknown customer.
            "800004,2026/01/05,CW9999999,,PAID,2026/01/05,,,,,BK0001,1,450,0,無名,,,,,,\n",
            // Two rows that disagree on the order (the second says SHIPPED).
            one("800005", "PAID", paid, "BK0001", "450"),
            one("800005", "SHIPPED", paid, "EV0001", "600"),
            // An order number no legacy system writes.
            one("800 006", "PAID", paid, "BK0001", "450"),
        );
        let (summary, rejects) = import(&db, Kind::Orders, &file).await;
        assert_eq!((summary.read, summary.inserted, summary.rejected), (8, 1, 7), "{summary:?} {rejects}");
        for reason in ["NOPE0001", "payment time", "CW9999999", "disagree", "legacy order number"] {
            assert!(rejects.contains(reason), "{reason}: {rejects}");
        }
        assert_eq!(count(&db.conn, "orders").await, 1, "only 800001");
        assert_eq!(count(&db.conn, "order_lines").await, 1);
        assert_eq!(count(&db.conn, "payments").await, 1);
        // A legacy number that is an order of the platform is refused, not merged into it.
        let no = text(&db, "SELECT order_no FROM orders").await.unwrap();
        test_support::execute(&db.conn, "UPDATE orders SET source = 'EC' WHERE order_no = '800001'").await;
        let (taken, rejects) =
            import(&db, Kind::Orders, &format!("{HEADER}\n{}", one(&no, "PAID", paid, "BK0001", "450")))
                .await;
        assert_eq!(taken.rejected, 1);
        assert!(rejects.contains("an order of the platform"), "{rejects}");
    }
}

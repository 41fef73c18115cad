//! R21 `shipments` (ERP回傳配送狀態 as a file): each parcel through the path of `recordShipment` — the lines
//! shipped, the order SHIPPED with a book, its events once — a re-run unchanged, refused parcels whole.

use crate::orders::{customers_and_members, sample};
use crate::{import, import_with, options, text};
use importer::Kind;
use test_support::{count, databases};

const HEADER: &str = "ORDER_NUMBER,LINE,QUANTITY,SHIPPED_AT,CARRIER,TRACKING_NO";

#[tokio::test]
async fn r21_a_shipping_file_ships_the_books_once_and_refuses_what_cannot_ship() {
    for db in databases().await {
        customers_and_members(&db).await;
        import(&db, Kind::Orders, &sample("orders.csv")).await;
        let (first, rejects) = import(&db, Kind::Shipments, &sample("shipments.csv")).await;
        assert_eq!((first.read, first.inserted, first.rejected), (2, 2, 0), "{}: {rejects}", db.label());
        assert_eq!(
            text(&db, "SELECT status FROM orders WHERE order_no = '601038600'").await.as_deref(),
            Some("SHIPPED")
        );
        let lines = "order_lines l JOIN orders o ON o.id = l.order_id WHERE o.order_no = '601038600'";
        assert_eq!(
            count(&db.conn, &format!("{lines} AND l.status = 'SHIPPED' AND l.shipped_quantity = l.quantity"))
                .await,
            2
        );
        assert_eq!(count(&db.conn, "shipments").await, 1, "one parcel of two rows");
        assert_eq!(count(&db.conn, "shipment_lines").await, 2);
        assert_eq!(count(&db.conn, "events WHERE event_type = 'order.shipped'").await, 1);
        let (again, _) = import(&db, Kind::Shipments, &sample("shipments.csv")).await;
        assert_eq!((again.inserted, again.unchanged, again.rejected), (0, 2, 0), "{again:?}");
        assert_eq!(count(&db.conn, "events WHERE event_type = 'order.shipment_recorded'").await, 1);

        let file = format!(
            "{HEADER}\n\
             601038327,1,1,2026/11/21 10:00:00,郵局,A1\n\
             601038400,0,1,2026/11/21 10:00:00,郵局,A2\n\
             601038512,0,1,2026/11/21 10:00:00,郵局,A3\n\
             699999999,0,1,2026/11/21 10:00:00,郵局,A4\n\
             601038327,9,1,2026/11/21 10:00:00,郵局,A5\n\
             601038327,0,1,2026/11/21 10:00:00,郵局,A6\n\
             601038327,0,1,2026/11/21 11:00:00,郵局,A6\n\
             601038327,0,1,2026/11/21 10:00:00,郵局,A7\n"
        );
        // A dry run checks every parcel and writes nothing.
        let dry = importer::Options { dry_run: true, ..options() };
        let (checked, _) = import_with(&db, Kind::Shipments, file.as_bytes(), &dry).await;
        assert_eq!(checked.unwrap().inserted, 1);
        assert_eq!(count(&db.conn, "shipments").await, 1);
        let (summary, rejects) = import(&db, Kind::Shipments, &file).await;
        assert_eq!((summary.read, summary.inserted, summary.rejected), (8, 1, 7), "{summary:?} {rejects}");
        for reason in
            ["digital", "left to ship", "cancelled", "699999999", "no line 9", "disagree on SHIPPED_AT"]
        {
            assert!(rejects.contains(reason), "{reason}: {rejects}");
        }
        assert_eq!(count(&db.conn, "shipments").await, 2, "only A7 landed");
        assert_eq!(
            count(&db.conn, "order_lines l JOIN orders o ON o.id = l.order_id WHERE o.order_no = '601038327' AND l.shipped_quantity > 0").await,
            1
        );
    }
}

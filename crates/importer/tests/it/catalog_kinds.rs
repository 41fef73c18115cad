//! `items` and `promotions` (R18 through R14): the sample files of `examples/import/`, a re-run that
//! changes nothing, rows refused by R18's validation, a promotion's lines kept together, dry runs, Big5.

use crate::{demo, import, import_with, options, summary, text};
use importer::{Encoding, Kind};
use test_support::{count, databases};

const ITEMS: &str = include_str!("../../../../examples/import/items.csv");
const PROMOTIONS: &str = include_str!("../../../../examples/import/promotions.csv");

#[tokio::test]
async fn r18_r14_the_sample_catalog_files_load_once_and_re_run_unchanged() {
    for db in databases().await {
        demo(&db).await;
        let (items, rejects) = import(&db, Kind::Items, ITEMS).await;
        assert_eq!(items, summary(5, 5, 0, 0, 0), "{}: {rejects}", db.label());
        let (promotions, rejects) = import(&db, Kind::Promotions, PROMOTIONS).await;
        assert_eq!(promotions, summary(4, 3, 0, 0, 0), "counts are promotions: {rejects}");
        assert_eq!(count(&db.conn, "promotion_items WHERE promotion_code = 'GC26120003'").await, 2);
        assert_eq!(
            text(&db, "SELECT CAST(valid_to AS TEXT) FROM promotions WHERE promotion_code = 'GC26120003'")
                .await,
            Some("2027-03-31".to_owned())
        );
        let every_item = count(&db.conn, "items").await;
        assert_eq!(count(&db.conn, "events WHERE event_type = 'catalog.item_changed'").await, every_item);
        let events_before = count(&db.conn, "events").await;
        assert_eq!(import(&db, Kind::Items, ITEMS).await.0, summary(5, 0, 0, 5, 0));
        assert_eq!(import(&db, Kind::Promotions, PROMOTIONS).await.0, summary(4, 0, 0, 3, 0));
        assert_eq!(count(&db.conn, "events").await, events_before, "a re-run says nothing");
    }
}

#[tokio::test]
async fn r18_r14_refused_rows_are_rejected_with_their_reason_and_the_rest_lands() {
    for db in databases().await {
        demo(&db).await;
        let items = "itemNo,name,category,productCode,termIssues,termMonths,listPrice\n\
                     OK1,好的,書,,,,100\n\
                     BAD1,壞的,書,NOPE,,,100\n\
                     BAD2,壞的,雜誌,KCW,26,,100\n\
                     BAD3,壞的,書,,,,-1\n\
                     BAD4,壞的,玩具,,,,1\n";
        let (result, rejects) = import(&db, Kind::Items, items).await;
        assert_eq!(result, summary(5, 1, 0, 0, 4), "{}: {rejects}", db.label());
        assert!(rejects.contains("3,productCode: no product NOPE"), "{rejects}");
        assert!(rejects.contains("4,productCode: KCW is a PERIOD product"), "{rejects}");
        assert!(rejects.contains("5,listPrice:"), "{rejects}");
        assert!(rejects.contains("6,\"category:"), "{rejects}");
        // A promotion whose item is unknown is refused on every line; one whose lines are apart is
        // refused from the line that comes late.
        let promotions = "promotionCode,name,totalAmount,itemNo,sellingPrice\n\
                          P1,一,100,OK1,100\n\
                          P2,二,200,OK1,100\n\
                          P2,二,200,NOPE,100\n\
                          P3,三,100,OK1,100\n\
                          P1,一,100,OK1,100\n\
                          P4,四,100,OK1,100\n\
                          P4,四,999,OK1,100\n";
        let (result, rejects) = import(&db, Kind::Promotions, promotions).await;
        assert_eq!(result, summary(7, 2, 0, 0, 5), "{}: {rejects}", db.label());
        assert!(
            rejects.contains("3,itemNo: no item NOPE") && rejects.contains("4,itemNo: no item NOPE"),
            "{rejects}"
        );
        assert!(rejects.contains("6,the lines of P1 must come together"), "{rejects}");
        assert!(
            rejects.contains("7,\"promotionCode: the lines of P4 disagree") && rejects.contains("\n8,"),
            "{rejects}"
        );
        assert_eq!(count(&db.conn, "promotions WHERE promotion_code IN ('P1', 'P3')").await, 2);
        assert_eq!(count(&db.conn, "promotions WHERE promotion_code IN ('P2', 'P4')").await, 0);
    }
}

#[tokio::test]
async fn r18_r14_a_dry_run_writes_nothing_and_big5_is_read() {
    for db in databases().await {
        demo(&db).await;
        let items_before = count(&db.conn, "items").await;
        let dry = importer::Options { dry_run: true, ..options() };
        let (result, _) = import_with(&db, Kind::Items, ITEMS.as_bytes(), &dry).await;
        assert_eq!(result.unwrap(), summary(5, 5, 0, 0, 0));
        assert_eq!(count(&db.conn, "items").await, items_before, "{}", db.label());
        let (big5, _, unmappable) = encoding_rs::BIG5.encode(ITEMS);
        assert!(!unmappable);
        let big5_options = importer::Options { encoding: Encoding::Big5, ..options() };
        let (result, _) = import_with(&db, Kind::Items, &big5, &big5_options).await;
        assert_eq!(result.unwrap(), summary(5, 5, 0, 0, 0));
        assert_eq!(
            text(&db, "SELECT name FROM items WHERE item_no = 'BK0101'").await,
            Some("天下文化 選書".to_owned())
        );
    }
}

/// A batch large enough to be written as two halves at once on PostgreSQL lands whole, and again unchanged.
#[tokio::test]
async fn r18_r14_a_large_batch_lands_whole_and_re_runs_unchanged() {
    for db in databases().await {
        demo(&db).await;
        let (mut items, mut promotions) = (Vec::new(), Vec::new());
        importer::generate::write(Kind::Items, 3000, crate::cutover(), 7, &mut items).unwrap();
        importer::generate::write(Kind::Promotions, 600, crate::cutover(), 7, &mut promotions).unwrap();
        let options = importer::Options { batch: 10_000, ..options() };
        let (first, rejects) = import_with(&db, Kind::Items, &items, &options).await;
        assert_eq!(first.unwrap(), summary(3000, 3000, 0, 0, 0), "{}: {rejects}", db.label());
        let (lines, rejects) = import_with(&db, Kind::Promotions, &promotions, &options).await;
        assert_eq!(lines.unwrap(), summary(2400, 600, 0, 0, 0), "{}: {rejects}", db.label());
        assert_eq!(count(&db.conn, "items WHERE item_no LIKE 'IT%'").await, 3000);
        assert_eq!(count(&db.conn, "promotion_items WHERE promotion_code LIKE 'PR%'").await, 2400);
        let (again, _) = import_with(&db, Kind::Items, &items, &options).await;
        assert_eq!(again.unwrap(), summary(3000, 0, 0, 3000, 0));
    }
}

//! Catalog storage: demo load, promotion lookups and paging, and the constraints that guard the tables.

use catalog::service::{self, PromotionFilter};
use catalog::{Category, Status, demo};
use catalog::{PromotionDefinition, admin};
use chrono::NaiveDate;
use platform_core::Money;
use sea_orm::{ConnectionTrait, Statement};

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 22).unwrap()
}

use test_support::count;

#[tokio::test]
async fn demo_catalog_loads_idempotently_and_answers_the_seed_query() {
    for db in test_support::databases().await {
        let first = demo::load(&db.conn, today()).await.unwrap();
        let counts = (count(&db.conn, "items").await, count(&db.conn, "promotions").await);
        let second = demo::load(&db.conn, today()).await.unwrap();
        assert_eq!(first, second, "{}", db.label());
        assert_eq!(
            counts,
            (count(&db.conn, "items").await, count(&db.conn, "promotions").await),
            "{}",
            db.label()
        );
        assert_eq!(count(&db.conn, "promotion_items").await, 15, "{}", db.label());

        let promotion = service::find_promotion(&db.conn, "GC18080026").await.unwrap().unwrap();
        assert_eq!(promotion.total_amount, Money::new(3480));
        let items: Vec<(&str, i64, Category)> = promotion
            .items
            .iter()
            .map(|i| (i.item.item_no.as_str(), i.selling_price.amount(), i.item.category))
            .collect();
        assert_eq!(
            items,
            [("GCV1Y", 2280, Category::Magazine), ("KCW12M", 1200, Category::Digital)],
            "{}",
            db.label()
        );
        assert!(service::find_promotion(&db.conn, "NOPE").await.unwrap().is_none());

        // The calendar reaches two years ahead for every VOLUME product.
        let horizon = today().checked_add_months(chrono::Months::new(24)).unwrap();
        for code in ["GCV", "GHV", "GRV", "FMV"] {
            let sql = format!(
                "SELECT COUNT(*) AS n FROM items WHERE product_code = '{code}' AND publish_date >= '{horizon}'"
            );
            let n = db.conn.query_one_raw(Statement::from_string(db.backend(), sql)).await.unwrap().unwrap();
            assert!(n.try_get::<i64>("", "n").unwrap() > 0, "{code} reaches {horizon} on {}", db.label());
        }
    }
}

#[tokio::test]
async fn promotions_page_by_code_with_their_items() {
    for db in test_support::databases().await {
        demo::load(&db.conn, today()).await.unwrap();
        let first = service::list_promotions(&db.conn, PromotionFilter::default(), None, 3).await.unwrap();
        let codes: Vec<&str> = first.iter().map(|p| p.promotion_code.as_str()).collect();
        assert_eq!(codes, ["BK24010001", "GC18080026", "GC24010001"], "{}", db.label());
        assert_eq!(first[0].items.len(), 2);
        assert_eq!(first[0].items[0].quantity, 2);
        let rest = service::list_promotions(&db.conn, PromotionFilter::default(), Some("GC24010001"), 100)
            .await
            .unwrap();
        assert_eq!(rest.len(), 5, "{}", db.label());
        assert!(rest.iter().all(|p| p.promotion_code.as_str() > "GC24010001"));
    }
}

#[tokio::test]
async fn invalid_promotion_is_rejected_and_nothing_is_written() {
    for db in test_support::databases().await {
        demo::load(&db.conn, today()).await.unwrap();
        let mut definition: PromotionDefinition = demo::promotions().remove(0);
        definition.promotion.promotion_code = "NEW01".into();
        definition.items.push(("NO-SUCH-ITEM".into(), Money::new(1), 1));
        assert!(
            admin::upsert_promotion(&db.conn, &definition, chrono::Utc::now()).await.is_err(),
            "{}",
            db.label()
        );
        assert!(
            service::find_promotion(&db.conn, "NEW01").await.unwrap().is_none(),
            "rolled back on {}",
            db.label()
        );

        definition.items = vec![("GCV1Y".into(), Money::new(-1), 1)];
        let err = admin::upsert_promotion(&db.conn, &definition, chrono::Utc::now()).await.unwrap_err();
        assert!(err.to_string().starts_with("sellingPrice:"), "{err}");
    }
}

#[tokio::test]
async fn database_constraints_guard_the_catalog() {
    for db in test_support::databases().await {
        demo::load(&db.conn, today()).await.unwrap();
        let backend = db.backend();
        let issue = format!("GCV{:06}", 771 + 26 * 4);
        let existing = service::find_item(&db.conn, &issue).await.unwrap().unwrap();
        assert_eq!(existing.item_status, Status::Active, "{}", db.label());
        let duplicate_volume = format!(
            "INSERT INTO items (item_no, name, category, item_status, product_code, mz_volume, publish_date) \
             VALUES ('X3', 'x', 'MAGAZINE', 'ACTIVE', 'GCV', {}, '2030-01-01')",
            existing.mz_volume.unwrap()
        );
        let bad = [
            "INSERT INTO items (item_no, name, category, item_status) VALUES ('X1', 'x', 'FOOD', 'ACTIVE')",
            "INSERT INTO items (item_no, name, category, item_status, mz_volume) VALUES ('X2', 'x', 'MAGAZINE', 'ACTIVE', 5)",
            duplicate_volume.as_str(),
            "INSERT INTO promotions (promotion_code, name, total_amount, status) VALUES ('P1', 'x', -1, 'ACTIVE')",
        ];
        for sql in bad {
            let result = db.conn.execute_raw(Statement::from_string(backend, sql)).await;
            assert!(result.is_err(), "{sql} must fail on {}", db.label());
        }
    }
}

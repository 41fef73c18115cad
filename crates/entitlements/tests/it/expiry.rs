//! R10 over many rows: set-based, the right statuses, one event per change, idempotent.

use crate::{at, count, orders, today};
use chrono::{Days, NaiveDate};
use entitlements::expire::expire;
use platform_core::events::{self, EventFilter};
use sea_orm::{ConnectionTrait, Statement};

/// Inserts `n` customers and, for each, one entitlement of `product` in `status` due on `due`.
async fn seed(
    db: &impl ConnectionTrait,
    prefix: &str,
    product: &str,
    status: i16,
    due: Option<NaiveDate>,
    temporary: Option<NaiveDate>,
    n: usize,
) {
    let backend = db.get_database_backend();
    for chunk in (0..n).collect::<Vec<_>>().chunks(500) {
        let customers: Vec<String> = chunk.iter().map(|i| format!("('{prefix}{i:06}')")).collect();
        db.execute_raw(Statement::from_string(
            backend,
            format!("INSERT INTO customers (customer_no) VALUES {}", customers.join(",")),
        ))
        .await
        .unwrap();
    }
    let due = due.map_or("NULL".to_owned(), |d| format!("'{d}'"));
    let temporary = temporary.map_or("NULL".to_owned(), |d| format!("'{d}'"));
    let sql = format!(
        "INSERT INTO entitlements (holder_customer_id, product_code, right_due_date, temporary_until, subscribe_status, seniority_thousandths, estimated)
         SELECT id, '{product}', {cast_due}, {cast_temp}, {status}, 0, false FROM customers WHERE customer_no LIKE '{prefix}%'",
        cast_due = if backend == sea_orm::DbBackend::Postgres && due != "NULL" { format!("{due}::date") } else { due },
        cast_temp = if backend == sea_orm::DbBackend::Postgres && temporary != "NULL" { format!("{temporary}::date") } else { temporary },
    );
    db.execute_raw(Statement::from_string(backend, sql)).await.unwrap();
}

async fn with_status(db: &impl ConnectionTrait, prefix: &str, status: i16) -> i64 {
    count(db, &format!("entitlements e JOIN customers c ON c.id = e.holder_customer_id WHERE c.customer_no LIKE '{prefix}%' AND e.subscribe_status = {status}")).await
}

#[tokio::test]
async fn r10_expiry_over_many_rows_updates_exactly_the_due_ones() {
    for db in test_support::databases().await {
        orders(&db).await;
        let yesterday = today().checked_sub_days(Days::new(1));
        let tomorrow = today().checked_add_days(Days::new(1));
        let long_ago = today().checked_sub_days(Days::new(400));
        seed(&db.conn, "LAPSE", "GCV", 1, yesterday, None, 1200).await;
        seed(&db.conn, "KEEP", "GCV", 1, Some(today()), None, 300).await;
        seed(&db.conn, "GIFT", "GHV", 4, yesterday, None, 200).await;
        seed(&db.conn, "STOP", "GCV", 3, long_ago, None, 100).await;
        seed(&db.conn, "TEMP", "KCW", 1, long_ago, tomorrow, 100).await;
        seed(&db.conn, "NODUE", "KCW", 1, None, None, 50).await;

        let summary = expire(&db.conn, today(), 0, at(22)).await.unwrap();
        assert_eq!((summary.lapsed, summary.complimentary_ended), (1200, 200), "{}", db.label());
        assert_eq!(with_status(&db.conn, "LAPSE", 2).await, 1200);
        assert_eq!(with_status(&db.conn, "KEEP", 1).await, 300, "due today is not before today");
        assert_eq!(with_status(&db.conn, "GIFT", 5).await, 200);
        assert_eq!(with_status(&db.conn, "STOP", 3).await, 100, "STOPPED is only set by an operator");
        assert_eq!(with_status(&db.conn, "TEMP", 1).await, 100, "a temporary grant keeps access");
        assert_eq!(with_status(&db.conn, "NODUE", 1).await, 50);
        assert_eq!(count(&db.conn, "events WHERE event_type = 'entitlement.expired'").await, 1400);

        let again = expire(&db.conn, today(), 0, at(22)).await.unwrap();
        assert_eq!((again.lapsed, again.complimentary_ended), (0, 0));
        assert_eq!(count(&db.conn, "events WHERE event_type = 'entitlement.expired'").await, 1400);
    }
}

#[tokio::test]
async fn r10_grace_days_apply_to_period_products_only() {
    for db in test_support::databases().await {
        orders(&db).await;
        let three_days_ago = today().checked_sub_days(Days::new(3));
        seed(&db.conn, "PASS", "KCW", 1, three_days_ago, None, 10).await;
        seed(&db.conn, "MAG", "GCV", 1, three_days_ago, None, 10).await;
        let summary = expire(&db.conn, today(), 5, at(22)).await.unwrap();
        assert_eq!(summary.lapsed, 10, "{}", db.label());
        assert_eq!(with_status(&db.conn, "PASS", 1).await, 10, "within the 5 grace days");
        assert_eq!(with_status(&db.conn, "MAG", 2).await, 10);
        let filter = EventFilter { event_type: Some("entitlement.expired".into()), ..EventFilter::default() };
        let expired = events::list(&db.conn, &filter, None, 100).await.unwrap();
        assert_eq!(expired.len(), 10);
        for event in expired {
            assert!(
                event.payload["customerNo"].as_str().unwrap().starts_with("MAG"),
                "the event names the holder"
            );
            assert_eq!(
                (event.payload["productCode"].as_str(), event.payload["toCode"].as_i64()),
                (Some("GCV"), Some(2))
            );
        }
    }
}

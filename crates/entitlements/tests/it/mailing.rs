//! R21 mailing list: who is covered for issue N of GCV, from the ledger — one grant, two consecutive grants
//! (the first still covers the issues before the second), a lapsed term, a complimentary one and a
//! suspension, each on its boundaries.

use crate::{at, new_payer, orders, paid_order};
use entitlements::grant::grant_order;
use entitlements::mailing::covered;
use entitlements::query::entitlements_of;
use orders::Payer;
use platform_core::BusinessCalendar;
use sea_orm::TransactionTrait;

/// The covered customers' row ids for issue `n`.
async fn receivers(db: &test_support::TestDb, n: i32) -> Vec<i64> {
    covered(&db.conn, "GCV", n).await.unwrap().into_iter().map(|c| c.customer_id).collect()
}

/// `(customer row id, startVolume, endVolume)` of a customer's GCV entitlement.
async fn term(db: &test_support::TestDb, customer_no: &str) -> (i64, i32, i32) {
    let found = entitlements_of(&db.conn, Some(customer_no), None, Some("GCV")).await.unwrap();
    let e = &found[0];
    let id = members::service::customer_id(&db.conn, customer_no).await.unwrap().unwrap().0;
    (id, e.start_volume.unwrap(), e.end_volume.unwrap())
}

#[tokio::test]
async fn r21_the_mailing_list_covers_every_granted_issue_but_suspended_and_lapsed_ones() {
    for db in test_support::databases().await {
        let orders = orders(&db).await;
        let calendar = BusinessCalendar::default();
        let buy = |key: &'static str, payer: Payer, complimentary: bool| {
            let orders = orders.clone();
            async move {
                let amount = if complimentary { 0 } else { 2280 };
                paid_order(&orders, key, payer, &[("GC24010001", 1, amount)], complimentary, at(22)).await
            }
        };
        // One grant.
        let one = buy("m-1", new_payer(), false).await;
        grant_order(&db.conn, calendar, &one.order_no, at(22)).await.unwrap();
        let (one_id, start, end) = term(&db, &one.payer_customer_no).await;
        // Two consecutive grants: the second continues the first.
        let two = buy("m-2", new_payer(), false).await;
        grant_order(&db.conn, calendar, &two.order_no, at(22)).await.unwrap();
        let again = buy("m-3", Payer::Existing(two.payer_customer_no.clone()), false).await;
        grant_order(&db.conn, calendar, &again.order_no, at(22)).await.unwrap();
        let (two_id, two_start, two_end) = term(&db, &two.payer_customer_no).await;
        assert_eq!(two_start, end + 1, "{}: the second grant continues the term", db.label());
        assert_eq!(two_end - two_start, end - start);
        // A complimentary one (a gift subscription).
        let gift = buy("m-4", new_payer(), true).await;
        grant_order(&db.conn, calendar, &gift.order_no, at(22)).await.unwrap();
        let (gift_id, _, _) = term(&db, &gift.payer_customer_no).await;
        // A suspension of two issues in the middle of the first holder's term.
        let held = start + 5;
        let txn = db.conn.begin().await.unwrap();
        let input = entitlements::suspend::SuspendInput {
            customer_no: one.payer_customer_no.clone(),
            product_code: "GCV".into(),
            from_volume: held,
            issues: 2,
            reason: Some("trip".into()),
        };
        entitlements::suspend::suspend(&txn, &input, calendar.date_of(at(22)), at(22)).await.unwrap();
        txn.commit().await.unwrap();
        let (_, _, one_end) = term(&db, &one.payer_customer_no).await;
        assert_eq!(one_end, end + 2, "the term grows by the issues held");

        let mut all = vec![one_id, two_id, gift_id];
        all.sort_unstable();
        assert_eq!(receivers(&db, start - 1).await, Vec::<i64>::new(), "before anyone's first issue");
        assert_eq!(receivers(&db, start).await, all, "the first issue: everyone");
        assert_eq!(receivers(&db, held - 1).await, all);
        let without_one: Vec<i64> = all.iter().copied().filter(|id| *id != one_id).collect();
        assert_eq!(receivers(&db, held).await, without_one, "suspended");
        assert_eq!(receivers(&db, held + 1).await, without_one, "suspended");
        assert_eq!(receivers(&db, held + 2).await, all, "delivered again");
        assert_eq!(receivers(&db, end).await, all, "the last issue of one year");
        let mut past_a_year = vec![one_id, two_id];
        past_a_year.sort_unstable();
        assert_eq!(receivers(&db, end + 1).await, past_a_year, "the gift and others of one year have lapsed");
        assert_eq!(receivers(&db, end + 2).await, past_a_year, "the suspension's two issues at the end");
        assert_eq!(receivers(&db, end + 3).await, vec![two_id], "only the continued term");
        assert_eq!(receivers(&db, two_end).await, vec![two_id]);
        assert_eq!(receivers(&db, two_end + 1).await, Vec::<i64>::new(), "lapsed for everyone");
    }
}

//! SPEC §3 in the orders' use cases: `order_for` and `orders_for` take the caller and decide.

use crate::{at, order, service};
use members::service::upsert_member;
use members::{Account, MemberInput, Principal};
use orders::model::{NewOrder, OrderFilter};
use platform_core::ErrorCode;
use platform_core::error::HasErrorCode;

#[tokio::test]
async fn access_a_member_reads_and_lists_only_the_orders_bound_to_it() {
    for db in test_support::databases().await {
        let orders = service(&db).await;
        let mut numbers = Vec::new();
        for (key, account) in [("a1", "alice@example.com"), ("b1", "bob@example.com")] {
            let input = MemberInput { account: account.into(), ..MemberInput::default() };
            upsert_member(&db.conn, input, at(1)).await.unwrap();
            let new = NewOrder { member_account: Some(account.into()), ..order(key, &[("BK0002", 1, 100)]) };
            numbers.push(orders.create(new, at(2)).await.unwrap().0.order_no);
        }
        let alice = Account::parse("alice@example.com").unwrap();
        let bob = Account::parse("bob@example.com").unwrap();
        let as_alice = Principal::Member { account: alice.clone() };
        let ec = Principal::Service { subject: "ec".into() };

        let own = orders.order_for(&as_alice, &numbers[0]).await.unwrap().unwrap();
        assert_eq!(own.member_account.as_ref(), Some(&alice), "{}", db.label());
        // Another's order and an unknown number look the same to a member.
        for no in [numbers[1].as_str(), "O0000000000000000"] {
            let err = orders.order_for(&as_alice, no).await.unwrap_err();
            assert_eq!(err.code(), ErrorCode::Forbidden, "{no} on {}", db.label());
        }
        assert!(orders.order_for(&ec, &numbers[1]).await.unwrap().is_some());
        assert!(orders.order_for(&ec, "O0000000000000000").await.unwrap().is_none());
        let err = orders.order_for(&Principal::Anonymous, &numbers[0]).await.unwrap_err();
        assert_eq!(err.code(), ErrorCode::Unauthenticated);

        // A member's list is pinned to itself whatever the filter leaves out; asking for another's is refused.
        let mine = orders.orders_for(&as_alice, OrderFilter::default(), None, 50).await.unwrap();
        let listed: Vec<&str> = mine.iter().map(|r| r.order.order_no.as_str()).collect();
        assert_eq!(listed, [numbers[0].as_str()], "{}", db.label());
        let asked = OrderFilter { member: Some(bob.clone()), ..OrderFilter::default() };
        let err = orders.orders_for(&as_alice, asked.clone(), None, 50).await.unwrap_err();
        assert_eq!(err.code(), ErrorCode::Forbidden);
        let everyone = orders.orders_for(&ec, OrderFilter::default(), None, 50).await.unwrap();
        assert_eq!(everyone.len(), 2);
        let bobs = orders.orders_for(&ec, asked, None, 50).await.unwrap();
        assert_eq!(bobs.len(), 1);
    }
}

//! Customers, member–customer links and the customer access rule.

use crate::{at, count};
use members::service::{self, upsert_customer, upsert_member};
use members::{Account, Address, Change, CustomerInput, MemberInput, Principal, Upserted};
use platform_core::ErrorCode;
use platform_core::error::HasErrorCode;

fn customer(no: Option<&str>, name: &str) -> CustomerInput {
    CustomerInput {
        customer_no: no.map(str::to_owned),
        name: Change::Set(name.to_owned()),
        ..CustomerInput::default()
    }
}

#[tokio::test]
async fn customers_are_created_updated_and_parented() {
    for db in test_support::databases().await {
        let (generated, outcome) = upsert_customer(&db.conn, customer(None, "王大明"), at(22)).await.unwrap();
        assert_eq!(outcome, Upserted::Created, "{}", db.label());
        assert!(
            generated.customer_no.starts_with("C261122") && generated.customer_no.len() == 17,
            "{generated:?}"
        );

        let payer = CustomerInput {
            customer_id: Change::Set("ERP-0001".into()),
            mobile: Change::Set("0912345678".into()),
            address: Change::Set(Address {
                city: Some("台北市".into()),
                street: Some("松山區南京東路二段139號".into()),
                ..Address::default()
            }),
            ..customer(Some("A0012345"), "天下訂戶")
        };
        let (stored, _) = upsert_customer(&db.conn, payer.clone(), at(22)).await.unwrap();
        assert_eq!(stored.address.city.as_deref(), Some("台北市"));
        assert_eq!(upsert_customer(&db.conn, payer, at(23)).await.unwrap().1, Upserted::Unchanged);

        let child = CustomerInput {
            parent_customer_no: Change::Set("A0012345".into()),
            ..customer(Some("A0012346"), "收件人")
        };
        let (child, _) = upsert_customer(&db.conn, child, at(22)).await.unwrap();
        assert_eq!(child.parent_customer_no.as_deref(), Some("A0012345"));

        let (updated, outcome) = upsert_customer(
            &db.conn,
            CustomerInput {
                name: Change::Set("改名".into()),
                ..CustomerInput { customer_no: Some("A0012345".into()), ..CustomerInput::default() }
            },
            at(24),
        )
        .await
        .unwrap();
        assert_eq!(outcome, Upserted::Updated);
        assert_eq!(updated.name.as_deref(), Some("改名"));
        assert_eq!(updated.customer_id.as_deref(), Some("ERP-0001"), "left-out fields are kept");

        let before = count(&db.conn, "customers").await;
        for (bad, message) in [
            (
                CustomerInput { parent_customer_no: Change::Set("NOPE".into()), ..customer(Some("B1"), "x") },
                "parentCustomerNo: ",
            ),
            (
                CustomerInput { parent_customer_no: Change::Set("B2".into()), ..customer(Some("B2"), "x") },
                "parentCustomerNo: ",
            ),
            (customer(Some("has space"), "x"), "customerNo: "),
            (CustomerInput { email: Change::Set("x@".into()), ..customer(Some("B3"), "x") }, "email: "),
            (
                CustomerInput { mobile: Change::Set("call me".into()), ..customer(Some("B4"), "x") },
                "mobile: ",
            ),
        ] {
            let err = upsert_customer(&db.conn, bad, at(22)).await.unwrap_err();
            assert_eq!(err.code(), ErrorCode::BadUserInput, "{err}");
            assert!(err.to_string().starts_with(message), "{message}: {err}");
        }
        assert_eq!(count(&db.conn, "customers").await, before, "nothing written");
    }
}

#[tokio::test]
async fn links_are_idempotent_and_decide_which_customers_a_member_sees() {
    for db in test_support::databases().await {
        let (alice, _) = upsert_member(
            &db.conn,
            MemberInput { account: "alice@example.com".into(), ..MemberInput::default() },
            at(1),
        )
        .await
        .unwrap();
        let (bob, _) = upsert_member(
            &db.conn,
            MemberInput { account: "bob@example.com".into(), ..MemberInput::default() },
            at(1),
        )
        .await
        .unwrap();
        upsert_customer(&db.conn, customer(Some("A0000001"), "Alice's"), at(1)).await.unwrap();
        upsert_customer(&db.conn, customer(Some("A0000002"), "Bob's"), at(1)).await.unwrap();

        for _ in 0..2 {
            service::link_member_customer(&db.conn, &alice.account, "A0000001", at(2)).await.unwrap();
        }
        service::link_member_customer(&db.conn, &bob.account, "A0000002", at(2)).await.unwrap();
        assert_eq!(count(&db.conn, "member_customers").await, 2, "{}", db.label());

        let alices: Vec<String> = service::customers_of_member(&db.conn, &alice.account)
            .await
            .unwrap()
            .into_iter()
            .map(|c| c.customer_no)
            .collect();
        assert_eq!(alices, ["A0000001"]);
        let members: Vec<String> = service::members_of_customer(&db.conn, "A0000001")
            .await
            .unwrap()
            .into_iter()
            .map(|m| m.account.to_string())
            .collect();
        assert_eq!(members, ["alice@example.com"]);

        let as_alice = Principal::Member { account: alice.account.clone() };
        assert!(service::authorize_customer(&db.conn, &as_alice, "A0000001").await.is_ok());
        let err = service::authorize_customer(&db.conn, &as_alice, "A0000002").await.unwrap_err();
        assert_eq!(err.code(), ErrorCode::Forbidden);
        let service_principal = Principal::Service { subject: "ec".into() };
        assert!(service::authorize_customer(&db.conn, &service_principal, "A0000002").await.is_ok());
        let err = service::authorize_customer(&db.conn, &Principal::Anonymous, "A0000001").await.unwrap_err();
        assert_eq!(err.code(), ErrorCode::Unauthenticated);
        // The use case behind `customer(customerNo:)` decides the same way.
        let own = service::customer_for(&db.conn, &as_alice, " A0000001 ").await.unwrap();
        assert_eq!(own.map(|c| c.customer_no).as_deref(), Some("A0000001"));
        let err = service::customer_for(&db.conn, &as_alice, "A0000002").await.unwrap_err();
        assert_eq!(err.code(), ErrorCode::Forbidden);
        assert!(service::customer_for(&db.conn, &service_principal, "A9999999").await.unwrap().is_none());

        let missing = Account::parse("nobody@example.com").unwrap();
        let err = service::link_member_customer(&db.conn, &missing, "A0000001", at(2)).await.unwrap_err();
        assert_eq!(err.code(), ErrorCode::NotFound);
        let err = service::link_member_customer(&db.conn, &alice.account, "NOPE", at(2)).await.unwrap_err();
        assert_eq!(
            (err.code(), err.to_string().as_str()),
            (ErrorCode::NotFound, "customer NOPE does not exist")
        );
        let linked_events = count(&db.conn, "events WHERE event_type = 'member.customer_linked'").await;
        assert_eq!(linked_events, 2, "one event per new link, none for the repeat");
    }
}

/// Issue #14: the customer hierarchy stays a tree — a parent that would close a cycle (A→B→A, or longer)
/// is refused and nothing changes.
#[tokio::test]
async fn parent_cycles_are_refused() {
    for db in test_support::databases().await {
        for no in ["P1", "P2", "P3"] {
            upsert_customer(&db.conn, customer(Some(no), "x"), at(22)).await.unwrap();
        }
        let parent = |child: &str, parent: &str| CustomerInput {
            parent_customer_no: Change::Set(parent.to_owned()),
            ..CustomerInput { customer_no: Some(child.to_owned()), ..CustomerInput::default() }
        };
        upsert_customer(&db.conn, parent("P1", "P2"), at(22)).await.unwrap();
        upsert_customer(&db.conn, parent("P2", "P3"), at(22)).await.unwrap();
        for (child, to, path) in [("P2", "P1", "P1 → P2"), ("P3", "P1", "P1 → P2 → P3")] {
            let err = upsert_customer(&db.conn, parent(child, to), at(22)).await.unwrap_err();
            assert_eq!(err.code(), ErrorCode::BadUserInput, "{}: {err}", db.label());
            assert!(
                err.to_string().starts_with("parentCustomerNo: would make a cycle")
                    && err.to_string().contains(path),
                "{err}"
            );
        }
        assert_eq!(count(&db.conn, "customers WHERE parent_id IS NULL").await, 1, "only P3 is a root");
    }
}

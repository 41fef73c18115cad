//! createOrder: R1 expansion stored, R2 statuses, numbering, idempotency, bad input with nothing written.

use crate::{at, count, order, service};
use catalog::Category;
use orders::model::{LineStatus, OrderStatus, Payer, PaymentStatus};
use orders::{Invoice, NewOrder};
use platform_core::ErrorCode;
use platform_core::error::HasErrorCode;

#[tokio::test]
async fn r1_promotion_lines_are_expanded_split_and_stored_with_r2_statuses() {
    for db in test_support::databases().await {
        let orders = service(&db).await;
        let input =
            NewOrder { shipping_fee: 60, ..order("k-1", &[("GC18080026", 1, 2999), ("BK0002", 2, 700)]) };
        let (created, fresh) = orders.create(input, at(3)).await.unwrap();
        assert!(fresh, "{}", db.label());
        assert!(created.order_no.starts_with("O261122"), "{}", created.order_no);
        let lines: Vec<(&str, Option<&str>, i64, Category)> = created
            .lines
            .iter()
            .map(|l| (l.item_no.as_str(), l.promotion_code.as_deref(), l.amount.amount(), l.category))
            .collect();
        assert_eq!(
            lines,
            [
                ("GCV1Y", Some("GC18080026"), 1964, Category::Magazine),
                ("KCW12M", Some("GC18080026"), 1035, Category::Digital),
                ("BK0002", None, 700, Category::Book),
            ]
        );
        assert!(created.lines.iter().all(|l| l.status == LineStatus::Confirmed && l.subinventory == "A01"));
        assert_eq!(created.total_amount.amount(), 2999 + 700 + 60);
        assert_eq!((created.status, created.payment_status), (OrderStatus::Created, PaymentStatus::Pending));
        assert_eq!(created.invoice.invoice_type, 1);
        assert_eq!(
            created.invoice.title.as_deref(),
            Some("王小明"),
            "paper invoice titled with the receiver"
        );
        assert_eq!(count(&db.conn, "events WHERE event_type = 'order.created'").await, 1);

        let found = orders.find(&created.order_no).await.unwrap().unwrap();
        assert_eq!(found, created);
    }
}

#[tokio::test]
async fn same_key_same_payload_is_the_same_order_other_payload_is_conflict() {
    for db in test_support::databases().await {
        let orders = service(&db).await;
        let (first, _) = orders.create(order("k-2", &[("GC24010001", 1, 2280)]), at(3)).await.unwrap();
        let (again, fresh) = orders.create(order("k-2", &[("GC24010001", 1, 2280)]), at(4)).await.unwrap();
        assert!(!fresh);
        assert_eq!(again.order_no, first.order_no, "{}", db.label());
        let err = orders.create(order("k-2", &[("GC24010001", 1, 2000)]), at(4)).await.unwrap_err();
        assert_eq!(err.code(), ErrorCode::Conflict);
        assert!(err.to_string().starts_with("idempotencyKey: "), "{err}");
        assert_eq!(count(&db.conn, "orders").await, 1);
        assert_eq!(count(&db.conn, "customers").await, 1, "the replay created no second payer");
    }
}

#[tokio::test]
async fn concurrent_creates_with_one_key_make_exactly_one_order() {
    for db in test_support::databases().await {
        let orders = service(&db).await;
        let tasks: Vec<_> = (0..8)
            .map(|_| {
                let orders = orders.clone();
                tokio::spawn(async move {
                    orders.create(order("k-race", &[("GC18080026", 1, 3480)]), at(5)).await
                })
            })
            .collect();
        let mut numbers = Vec::new();
        for task in tasks {
            let (order, _) = task.await.unwrap().unwrap();
            numbers.push(order.order_no);
        }
        numbers.dedup();
        assert_eq!(numbers.len(), 1, "{}: {numbers:?}", db.label());
        assert_eq!(count(&db.conn, "orders").await, 1);
        assert_eq!(count(&db.conn, "order_lines").await, 2);
        assert_eq!(count(&db.conn, "events WHERE event_type = 'order.created'").await, 1);
    }
}

#[tokio::test]
async fn bad_orders_are_refused_with_the_field_named_and_nothing_written() {
    for db in test_support::databases().await {
        let orders = service(&db).await;
        let cases: Vec<(NewOrder, ErrorCode, &str)> = vec![
            (
                order("b1", &[("NOPE", 1, 100)]),
                ErrorCode::NotFound,
                "lines[0].itemNo: no item or promotion NOPE",
            ),
            (order("b2", &[]), ErrorCode::BadUserInput, "lines: "),
            (order("b3", &[("BK0002", 1, -1)]), ErrorCode::BadUserInput, "lines[0].amount: "),
            (order("b4", &[("BK0002", 0, 100)]), ErrorCode::BadUserInput, "lines[0].quantity: "),
            (
                NewOrder { shipping_fee: -5, ..order("b5", &[("BK0002", 1, 100)]) },
                ErrorCode::BadUserInput,
                "shippingFee: ",
            ),
            (
                NewOrder {
                    invoice: Some(Invoice {
                        invoice_type: 3,
                        carrier_code: Some("ABC".into()),
                        ..Invoice::default()
                    }),
                    ..order("b6", &[("BK0002", 1, 100)])
                },
                ErrorCode::BadUserInput,
                "invoice.carrierCode: ",
            ),
            (
                NewOrder { payer: Payer::Existing("NOPE".into()), ..order("b7", &[("BK0002", 1, 100)]) },
                ErrorCode::NotFound,
                "payer.customerNo: ",
            ),
            (
                NewOrder {
                    member_account: Some("nobody@example.com".into()),
                    ..order("b8", &[("BK0002", 1, 100)])
                },
                ErrorCode::NotFound,
                "memberAccount: ",
            ),
            (
                NewOrder { card_last4: Some("12".into()), ..order("b9", &[("BK0002", 1, 100)]) },
                ErrorCode::BadUserInput,
                "cardLast4: ",
            ),
            (
                NewOrder {
                    receiver: orders::Receiver { name: " ".into(), ..orders::Receiver::default() },
                    ..order("b10", &[("BK0002", 1, 100)])
                },
                ErrorCode::BadUserInput,
                "receiver.name: ",
            ),
            (
                NewOrder {
                    payer: Payer::New(Box::new(members::CustomerInput {
                        email: members::Change::Set("bad".into()),
                        ..members::CustomerInput::default()
                    })),
                    ..order("b11", &[("BK0002", 1, 100)])
                },
                ErrorCode::BadUserInput,
                "payer.",
            ),
            (order("", &[("BK0002", 1, 100)]), ErrorCode::BadUserInput, "idempotencyKey: "),
        ];
        for (input, code, message) in cases {
            let err = orders.create(input, at(6)).await.unwrap_err();
            assert_eq!(err.code(), code, "{}: {err}", db.label());
            assert!(err.to_string().starts_with(message), "expected {message:?}, got {err}");
        }
        for table in ["orders", "order_lines", "customers", "events WHERE event_type NOT LIKE 'catalog.%'"] {
            assert_eq!(count(&db.conn, table).await, 0, "{table}: nothing written");
        }
    }
}

#[tokio::test]
async fn an_order_of_total_zero_is_paid_at_once() {
    for db in test_support::databases().await {
        let orders = service(&db).await;
        let gift = NewOrder { complimentary: true, ..order("free", &[("GF0001", 1, 0)]) };
        let (created, _) = orders.create(gift, at(7)).await.unwrap();
        assert_eq!((created.status, created.payment_status), (OrderStatus::Confirmed, PaymentStatus::Paid));
        assert_eq!(created.paid_at, Some(at(7)));
        assert_eq!(count(&db.conn, "events WHERE event_type = 'order.paid'").await, 1, "{}", db.label());
    }
}

/// SPEC §3: every amount is at most NT$100,000,000 — each line, the shipping fee and the total — so the
/// total always fits the `Int` a payment carries. Before, two lines of 2,147,483,647 made a total no
/// `recordPayment` could match.
#[tokio::test]
async fn amounts_past_the_bound_are_refused_and_nothing_written() {
    for db in test_support::databases().await {
        let orders = service(&db).await;
        let max = platform_core::Money::MAX.amount();
        let cases: Vec<(NewOrder, &str)> = vec![
            (order("m1", &[("BK0002", 1, 2_147_483_647), ("BK0002", 1, 2_147_483_647)]), "lines[0].amount: "),
            (order("m2", &[("BK0002", 1, max + 1)]), "lines[0].amount: must be between 0 and 100000000 TWD"),
            (
                order("m3", &[("BK0002", 1, 60_000_000), ("BK0002", 1, 60_000_000)]),
                "lines: the order's total",
            ),
            (NewOrder { shipping_fee: max + 1, ..order("m4", &[("BK0002", 1, 100)]) }, "shippingFee: "),
            (NewOrder { shipping_fee: 1, ..order("m5", &[("BK0002", 1, max)]) }, "lines: the order's total"),
        ];
        for (input, message) in cases {
            let err = orders.create(input, at(6)).await.unwrap_err();
            assert_eq!(err.code(), ErrorCode::BadUserInput, "{}: {err}", db.label());
            assert!(err.to_string().starts_with(message), "expected {message:?}, got {err}");
        }
        for table in ["orders", "order_lines", "customers", "events WHERE event_type NOT LIKE 'catalog.%'"] {
            assert_eq!(count(&db.conn, table).await, 0, "{table}: nothing written");
        }
        let (largest, _) = orders.create(order("m6", &[("BK0002", 1, max)]), at(6)).await.unwrap();
        assert_eq!(largest.total_amount.amount(), max, "the bound itself is allowed");
    }
}

/// The database enforces the same bound (a CHECK on PostgreSQL, a trigger on SQLite), whatever writes.
#[tokio::test]
async fn the_database_refuses_amounts_past_the_bound() {
    use sea_orm::ConnectionTrait;
    for db in test_support::databases().await {
        let orders = service(&db).await;
        let (created, _) = orders.create(order("d1", &[("BK0002", 1, 700)]), at(6)).await.unwrap();
        for statement in [
            "UPDATE orders SET total_amount = 100000001",
            "UPDATE orders SET shipping_fee = -1",
            "UPDATE order_lines SET amount = 99999999999",
            "UPDATE promotions SET total_amount = 100000001",
            "UPDATE promotion_items SET selling_price = 100000001",
        ] {
            let err = db.conn.execute_unprepared(statement).await.unwrap_err().to_string();
            assert!(err.contains("_bound"), "{}: {statement}: {err}", db.label());
        }
        let found = orders.find(&created.order_no).await.unwrap().unwrap();
        assert_eq!(found.total_amount.amount(), 700);
        db.conn.execute_unprepared("UPDATE orders SET total_amount = 100000000").await.unwrap();
    }
}

/// Issue #14: free-text invoice fields and the payment token refuse control characters (a NUL, CR/LF) and
/// are bounded — also when a caller other than the GraphQL edge (an import, a job) builds the order.
#[tokio::test]
async fn invoice_text_and_tokens_refuse_control_characters_and_are_bounded() {
    for db in test_support::databases().await {
        let orders = service(&db).await;
        let invoice =
            |invoice: Invoice| NewOrder { invoice: Some(invoice), ..order("i", &[("BK0002", 1, 100)]) };
        let cases: Vec<(NewOrder, &str)> = vec![
            (
                invoice(Invoice { invoice_type: 1, title: Some("ACME\u{0}".into()), ..Invoice::default() }),
                "invoice.title: ",
            ),
            (
                invoice(Invoice { invoice_type: 1, title: Some("A\r\nB".into()), ..Invoice::default() }),
                "invoice.title: ",
            ),
            (
                invoice(Invoice { invoice_type: 1, issue_type: Some("x\n".repeat(3)), ..Invoice::default() }),
                "invoice.issueType: ",
            ),
            (
                invoice(Invoice {
                    invoice_type: 2,
                    carrier_type: Some("M".repeat(33)),
                    ..Invoice::default()
                }),
                "invoice.carrierType: ",
            ),
            (
                invoice(Invoice {
                    invoice_type: 2,
                    carrier_type: Some("M\u{7}".into()),
                    ..Invoice::default()
                }),
                "invoice.carrierType: ",
            ),
            (
                NewOrder { payment_token: Some("tok_ok\u{0}x".into()), ..order("t", &[("BK0002", 1, 100)]) },
                "paymentToken: ",
            ),
        ];
        for (input, message) in cases {
            let err = orders.create(input, at(6)).await.unwrap_err();
            assert_eq!(err.code(), ErrorCode::BadUserInput, "{}: {err}", db.label());
            assert!(err.to_string().starts_with(message), "expected {message:?}, got {err}");
            assert!(!err.to_string().contains("tok_ok"), "the token is not echoed: {err}");
        }
        assert_eq!(count(&db.conn, "orders").await, 0);
    }
}

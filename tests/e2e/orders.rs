//! The order flow of seed 004 over HTTP: create (promotion lines, R1) → pay → bind, replays, concurrent
//! creates with one idempotency key, member scoping, and bad input. On SQLite and PostgreSQL.

use crate::support::{TestServer, error_codes, servers};
use members::Role;
use serde_json::{Value, json};

pub(crate) const CREATE: &str = r#"mutation($input: CreateOrderInput!) {
    createOrder(input: $input) { orderNo status paymentStatus totalAmount shippingFee hasPaymentToken cardLast4
        payer { customerNo name } member { account }
        lines { itemNo promotionCode category quantity amount status subinventory }
        invoice { type title carrierType carrierCode } } }"#;

pub(crate) const PAY: &str = r#"mutation($input: PaymentResultInput!) {
    recordPayment(input: $input) { orderNo status paymentStatus paidAt payments { transactionId status amount } } }"#;

pub(crate) fn order_input(key: &str, lines: Value) -> Value {
    json!({
        "idempotencyKey": key, "source": "EC", "sourceCode": "CW-EC",
        "payer": { "name": "孫小美", "email": "sun1229@gmail.com", "mobile": "0912345678" },
        "receiver": { "name": "孫小美", "mobile": "0912345678",
                      "address": { "country": "TW", "postalCode": "104", "city": "台北市", "street": "南京東路二段139號" } },
        "lines": lines, "shippingFee": 0,
        "invoice": { "type": 3, "carrierCode": "/ABC+123" },
        "paymentMethod": "CREDIT_CARD", "paymentToken": "tok_ok_4242_secret", "cardLast4": "4242",
    })
}

pub(crate) async fn create_member(server: &TestServer, service: &str, account: &str) {
    let body = server
        .graphql_as(
            service,
            r#"mutation($a: String!) { upsertMember(input: { account: $a }) { account } }"#,
            json!({ "a": account }),
        )
        .await;
    assert!(body["errors"].is_null(), "{body}");
}

#[tokio::test]
async fn create_pay_bind_and_read_back_as_the_member() {
    for server in servers(|_| {}).await {
        let service = server.token(Role::Service, "ec-backend");
        create_member(&server, &service, "sun1229@gmail.com").await;
        let lines = json!([{ "itemNo": "GC18080026", "amount": 2999 }, { "itemNo": "BK0002", "quantity": 2, "amount": 700 }]);
        let body =
            server.graphql_as(&service, CREATE, json!({ "input": order_input("ec-1", lines.clone()) })).await;
        assert!(body["errors"].is_null(), "{}: {body}", server.label());
        assert!(
            !body.to_string().contains("tok_ok_4242_secret"),
            "the payment token never leaves the platform"
        );
        let order = &body["data"]["createOrder"];
        let order_no = order["orderNo"].as_str().unwrap().to_owned();
        assert_eq!(order["totalAmount"], 3699);
        assert_eq!(
            (order["status"].as_str(), order["paymentStatus"].as_str()),
            (Some("CREATED"), Some("PENDING"))
        );
        assert_eq!(order["hasPaymentToken"], true);
        let amounts: Vec<i64> =
            order["lines"].as_array().unwrap().iter().map(|l| l["amount"].as_i64().unwrap()).collect();
        assert_eq!(amounts, [1964, 1035, 700], "R1 split of 2999 over 天下 2280 + 全閱讀 1200");
        assert!(
            order["lines"]
                .as_array()
                .unwrap()
                .iter()
                .all(|l| l["status"] == "CONFIRMED" && l["subinventory"] == "A01")
        );
        assert_eq!(order["invoice"]["carrierType"], "3J0002");

        let payment =
            json!({ "orderNo": order_no, "transactionId": "ECPAY-1", "status": "PAID", "amount": 3699 });
        let paid = server.graphql_as(&service, PAY, json!({ "input": payment })).await;
        assert_eq!(paid["data"]["recordPayment"]["paymentStatus"], "PAID", "{paid}");
        assert_eq!(paid["data"]["recordPayment"]["status"], "CONFIRMED");
        let replay = server.graphql_as(&service, PAY, json!({ "input": payment })).await;
        assert_eq!(replay["data"], paid["data"], "a replayed callback answers the same");

        let bind = r#"mutation($no: String!, $a: String!) { bindOrderMember(orderNo: $no, account: $a) { member { account } } }"#;
        let bound =
            server.graphql_as(&service, bind, json!({ "no": order_no, "a": "Sun1229@Gmail.com" })).await;
        assert_eq!(bound["data"]["bindOrderMember"]["member"]["account"], "sun1229@gmail.com", "{bound}");

        // The member reads its order and its list; another member cannot.
        let own = server.token(Role::Member, "sun1229@gmail.com");
        let read = r#"query($no: String!) { order(orderNo: $no) { orderNo paymentStatus payer { name } } }"#;
        let body = server.graphql_as(&own, read, json!({ "no": order_no })).await;
        assert_eq!(body["data"]["order"]["paymentStatus"], "PAID", "{body}");
        let list = server.graphql_as(&own, "{ orders { edges { node { orderNo } } } }", json!({})).await;
        assert_eq!(list["data"]["orders"]["edges"][0]["node"]["orderNo"], order_no.as_str(), "{list}");
        let other = server.token(Role::Member, "someone@else.com");
        let body = server.graphql_as(&other, read, json!({ "no": order_no })).await;
        assert_eq!(error_codes(&body), ["FORBIDDEN"], "{body}");
        let list = server.graphql_as(&other, "{ orders { edges { node { orderNo } } } }", json!({})).await;
        assert_eq!(list["data"]["orders"]["edges"], json!([]), "{list}");
        let body = server.graphql_as(&other, r#"{ orders(filter: { memberAccount: "sun1229@gmail.com" }) { edges { node { orderNo } } } }"#, json!({})).await;
        assert_eq!(error_codes(&body), ["FORBIDDEN"], "{body}");

        // Every step is in the event log, in order.
        let admin = server.token(Role::Admin, "ops");
        let events = server
            .graphql_as(
                &admin,
                r#"query($s: String) { events(filter: { subject: $s }) { edges { node { type } } } }"#,
                json!({ "s": format!("order:{order_no}") }),
            )
            .await;
        let types: Vec<&str> = events["data"]["events"]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["node"]["type"].as_str().unwrap())
            .collect();
        // Ready for the ERP (R21) once the bound member has the digital line's entitlement.
        assert_eq!(types, ["order.created", "order.paid", "order.member_bound", "order.ready"], "{events}");
    }
}

#[tokio::test]
async fn concurrent_creates_with_one_idempotency_key_make_one_order() {
    for server in servers(|_| {}).await {
        let service = server.token(Role::Service, "ec-backend");
        let input = order_input("ec-race", json!([{ "itemNo": "GC18080026", "amount": 3480 }]));
        let mut requests = tokio::task::JoinSet::new();
        for _ in 0..10 {
            let request = reqwest::Client::new()
                .post(format!("{}/graphql", server.base))
                .bearer_auth(&service)
                .json(&json!({ "query": CREATE, "variables": { "input": input.clone() } }));
            requests.spawn(async move { request.send().await.unwrap().json::<Value>().await.unwrap() });
        }
        let mut numbers: Vec<String> = requests
            .join_all()
            .await
            .iter()
            .map(|b| b["data"]["createOrder"]["orderNo"].as_str().unwrap_or_else(|| panic!("{b}")).to_owned())
            .collect();
        numbers.dedup();
        assert_eq!(numbers.len(), 1, "{}: {numbers:?}", server.label());
        let list = server.graphql_as(&service, "{ orders { edges { node { orderNo } } } }", json!({})).await;
        assert_eq!(list["data"]["orders"]["edges"].as_array().unwrap().len(), 1, "{list}");
        // Same key, different payload.
        let changed = order_input("ec-race", json!([{ "itemNo": "GC18080026", "amount": 3000 }]));
        let body = server.graphql_as(&service, CREATE, json!({ "input": changed })).await;
        assert_eq!(error_codes(&body), ["CONFLICT"], "{body}");
    }
}

#[tokio::test]
async fn bad_order_input_is_refused_and_nothing_is_written() {
    for server in servers(|_| {}).await {
        let service = server.token(Role::Service, "ec-backend");
        let line = |item: &str, amount: Value| json!([{ "itemNo": item, "amount": amount }]);
        let mut invalid_carrier = order_input("bad-6", line("BK0002", json!(100)));
        invalid_carrier["invoice"] = json!({ "type": 3, "carrierCode": "ABC" });
        let mut company_without_vat = order_input("bad-7", line("BK0002", json!(100)));
        company_without_vat["invoice"] = json!({ "type": 5 });
        let cases = [
            (order_input("bad-1", line("NOPE", json!(100))), "NOT_FOUND", "lines[0].itemNo"),
            (order_input("bad-2", line("BK0002", json!(-1))), "BAD_USER_INPUT", "lines[0].amount"),
            (order_input("bad-3", line("BK0002", json!(1.5))), "BAD_USER_INPUT", ""),
            (order_input("bad-4", json!([])), "BAD_USER_INPUT", "lines: "),
            (invalid_carrier, "BAD_USER_INPUT", "invoice.carrierCode"),
            (company_without_vat, "BAD_USER_INPUT", "invoice.vat"),
        ];
        for (input, code, message) in cases {
            let body = server.graphql_as(&service, CREATE, json!({ "input": input })).await;
            assert_eq!(error_codes(&body), [code], "{}: {body}", server.label());
            assert!(body["errors"][0]["message"].as_str().unwrap().starts_with(message), "{body}");
        }
        let payment =
            json!({ "orderNo": "O0000000000000", "transactionId": "X", "status": "PAID", "amount": 1 });
        let body = server.graphql_as(&service, PAY, json!({ "input": payment })).await;
        assert_eq!(error_codes(&body), ["NOT_FOUND"], "{body}");
        let list = server.graphql_as(&service, "{ orders { edges { node { orderNo } } } }", json!({})).await;
        assert_eq!(list["data"]["orders"]["edges"], json!([]), "nothing written: {list}");
    }
}

/// R19 over HTTP: an admin refunds part of a payment, once per key, never more than was paid; the order
/// shows its refunds; services and members may not refund.
#[tokio::test]
async fn r19_an_admin_refunds_part_of_a_payment_once_per_key() {
    for server in servers(|_| {}).await {
        let service = server.token(Role::Service, "ec-backend");
        let input = order_input("refund-1", json!([{ "itemNo": "GC18080026", "amount": 3480 }]));
        let created = server.graphql_as(&service, CREATE, json!({ "input": input })).await;
        let order_no = created["data"]["createOrder"]["orderNo"].as_str().unwrap().to_owned();
        let paid = json!({ "input": { "orderNo": order_no, "transactionId": "EC-1", "status": "PAID", "amount": 3480 } });
        assert!(server.graphql_as(&service, PAY, paid).await["errors"].is_null());

        let refund = r#"mutation($no: String!, $amount: Int!, $key: String!) {
            refundPayment(orderNo: $no, amount: $amount, idempotencyKey: $key, reason: "damaged copy") {
                amount status refundId reason } }"#;
        let vars = |amount: i32, key: &str| json!({ "no": order_no, "amount": amount, "key": key });
        assert_eq!(error_codes(&server.graphql_as(&service, refund, vars(100, "s")).await), ["FORBIDDEN"]);
        let admin = server.token(Role::Admin, "cs@cw");
        let first = server.graphql_as(&admin, refund, vars(1000, "cs-1")).await;
        assert_eq!(first["data"]["refundPayment"]["status"], "REFUNDED", "{}: {first}", server.label());
        let again = server.graphql_as(&admin, refund, vars(1000, "cs-1")).await;
        assert_eq!(again["data"]["refundPayment"], first["data"]["refundPayment"], "the same key, once");
        let over = server.graphql_as(&admin, refund, vars(2481, "cs-2")).await;
        assert_eq!(error_codes(&over), ["BAD_USER_INPUT"], "{over}");
        assert_eq!(test_support::count(&server.db.conn, "order_refunds").await, 1, "refusals write nothing");
        let read = r#"query($no: String!) { order(orderNo: $no) { refunds { amount status reason } } }"#;
        let body = server.graphql_as(&admin, read, json!({ "no": order_no })).await;
        assert_eq!(
            body["data"]["order"]["refunds"],
            json!([{ "amount": 1000, "status": "REFUNDED", "reason": "damaged copy" }])
        );
    }
}

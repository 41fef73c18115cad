//! R19 over HTTP: a service cancels and returns, a member cannot; the order shows its returns and refunds;
//! a payment arriving after the cancellation is refunded and followed up.

use crate::orders::{CREATE, PAY, order_input};
use crate::support::{error_codes, servers};
use members::Role;
use serde_json::json;

const CANCEL: &str = r#"mutation($no: String!) { cancelOrder(orderNo: $no, reason: "customer asked") {
    orderNo kind refundAmount lines { position itemNo quantity } refund { amount status } } }"#;
const RETURN: &str = r#"mutation($input: ReturnOrderLinesInput!) { returnOrderLines(input: $input) {
    kind refundAmount shippingRefund supplementaryCharge lines { position quantity } refund { amount status } } }"#;
const READ: &str = r#"query($no: String!) { order(orderNo: $no) { status paymentStatus cancelledAt
    lines { position status returnedQuantity } returns { kind refundAmount refund { amount status } }
    refunds { amount status } } }"#;

#[tokio::test]
async fn r19_a_service_returns_a_line_then_cancels_the_order_and_a_member_cannot() {
    for server in servers(|_| {}).await {
        let service = server.token(Role::Service, "ec-backend");
        let input = order_input("as-1", json!([{ "itemNo": "GC18080026", "amount": 3480 }]));
        let created = server.graphql_as(&service, CREATE, json!({ "input": input })).await;
        let no = created["data"]["createOrder"]["orderNo"].as_str().unwrap().to_owned();
        let paid = json!({ "input": { "orderNo": no, "transactionId": "EC-as-1", "status": "PAID", "amount": 3480 } });
        assert!(server.graphql_as(&service, PAY, paid).await["errors"].is_null());

        let member = server.token(Role::Member, "sun1229@gmail.com");
        let refused = server.graphql_as(&member, CANCEL, json!({ "no": no })).await;
        assert_eq!(error_codes(&refused), ["FORBIDDEN"], "{}", server.label());
        assert_eq!(error_codes(&server.graphql(CANCEL, json!({ "no": no })).await), ["UNAUTHENTICATED"]);

        let ret = |quantity: i32, key: &str| {
            json!({ "input": { "orderNo": no, "lines": [{ "position": 1, "quantity": quantity }],
                               "refundAmount": 1200, "reason": "digital pass not wanted", "idempotencyKey": key } })
        };
        let too_many = server.graphql_as(&service, RETURN, ret(2, "r-0")).await;
        assert_eq!(error_codes(&too_many), ["BAD_USER_INPUT"], "{too_many}");
        let returned = server.graphql_as(&service, RETURN, ret(1, "r-1")).await;
        let body = &returned["data"]["returnOrderLines"];
        assert_eq!(body["refund"], json!({ "amount": 1200, "status": "REFUNDED" }), "{returned}");
        assert_eq!(server.graphql_as(&service, RETURN, ret(1, "r-1")).await, returned, "the same key: once");

        let cancelled = server.graphql_as(&service, CANCEL, json!({ "no": no })).await;
        let body = &cancelled["data"]["cancelOrder"];
        assert_eq!(body["kind"], "CANCEL", "{cancelled}");
        assert_eq!(body["refund"], json!({ "amount": 2280, "status": "REFUNDED" }), "what was left");
        assert_eq!(body["lines"], json!([{ "position": 0, "itemNo": "GCV1Y", "quantity": 1 }]));
        assert_eq!(
            server.graphql_as(&service, CANCEL, json!({ "no": no })).await,
            cancelled,
            "again: the same"
        );

        let read = server.graphql_as(&service, READ, json!({ "no": no })).await;
        let order = &read["data"]["order"];
        assert_eq!(order["status"], "CANCELLED", "{read}");
        assert!(order["cancelledAt"].is_string());
        assert_eq!(
            order["lines"],
            json!([{ "position": 0, "status": "CANCELLED", "returnedQuantity": 1 },
                   { "position": 1, "status": "RETURNED", "returnedQuantity": 1 }])
        );
        assert_eq!(order["returns"].as_array().map(Vec::len), Some(2));
        assert_eq!(
            order["refunds"],
            json!([{ "amount": 1200, "status": "REFUNDED" }, { "amount": 2280, "status": "REFUNDED" }])
        );
        let db = &server.db.conn;
        assert_eq!(test_support::count(db, "simulated_refunds").await, 2, "two refunds at the gateway");
        assert_eq!(test_support::count(db, "emails WHERE kind = 'order_refunded'").await, 2);
    }
}

#[tokio::test]
async fn r19_a_payment_after_the_cancellation_is_refunded_and_followed_up() {
    for server in servers(|_| {}).await {
        let service = server.token(Role::Service, "ec-backend");
        let input = order_input("as-2", json!([{ "itemNo": "GC18080026", "amount": 3480 }]));
        let created = server.graphql_as(&service, CREATE, json!({ "input": input })).await;
        let no = created["data"]["createOrder"]["orderNo"].as_str().unwrap().to_owned();
        let cancelled = server.graphql_as(&service, CANCEL, json!({ "no": no })).await;
        assert_eq!(cancelled["data"]["cancelOrder"]["refund"], json!(null), "{cancelled}");

        let late = json!({ "input": { "orderNo": no, "transactionId": "EC-late", "status": "PAID", "amount": 3480 } });
        let paid = server.graphql_as(&service, PAY, late).await;
        assert_eq!(paid["data"]["recordPayment"]["status"], "CANCELLED", "{}: {paid}", server.label());
        let read = server.graphql_as(&service, READ, json!({ "no": no })).await;
        assert_eq!(
            read["data"]["order"]["refunds"],
            json!([{ "amount": 3480, "status": "REFUNDED" }]),
            "{read}"
        );
        let db = &server.db.conn;
        assert_eq!(test_support::count(db, "follow_ups WHERE kind = 'PAYMENT_WITHOUT_ORDER'").await, 1);
        assert_eq!(test_support::count(db, "entitlements").await, 0, "nothing granted");
    }
}

#[tokio::test]
async fn r20_a_service_suspends_and_resumes_a_delivery_and_a_member_cannot() {
    for server in servers(|_| {}).await {
        let service = server.token(Role::Service, "ec-backend");
        let input = order_input("as-3", json!([{ "itemNo": "GCV1Y", "amount": 2280 }]));
        let created = server.graphql_as(&service, CREATE, json!({ "input": input })).await;
        let no = created["data"]["createOrder"]["orderNo"].as_str().unwrap().to_owned();
        let paid = json!({ "input": { "orderNo": no, "transactionId": "EC-as-3", "status": "PAID", "amount": 2280 } });
        assert!(server.graphql_as(&service, PAY, paid).await["errors"].is_null());
        let payer = server
            .graphql_as(
                &service,
                r#"query($no: String!) { order(orderNo: $no) { payer { customerNo } } }"#,
                json!({ "no": no }),
            )
            .await;
        let customer = payer["data"]["order"]["payer"]["customerNo"].as_str().unwrap().to_owned();
        let held = r#"query($c: String!) { entitlements(customerNo: $c, productCode: "GCV") { endVolume rightDueDate } }"#;
        let before = server.graphql_as(&service, held, json!({ "c": customer })).await;
        let end = before["data"]["entitlements"][0]["endVolume"].as_i64().unwrap();

        let suspend = r#"mutation($c: String!, $from: Int!) {
            suspendDelivery(customerNo: $c, productCode: "GCV", fromVolume: $from, issues: 2, reason: "出差") {
                fromVolume issues endVolume rightDueDate resumedAt } }"#;
        let vars = json!({ "c": customer, "from": end });
        let member = server.token(Role::Member, "sun1229@gmail.com");
        assert_eq!(error_codes(&server.graphql_as(&member, suspend, vars.clone()).await), ["FORBIDDEN"]);
        let done = server.graphql_as(&service, suspend, vars).await;
        assert_eq!(done["data"]["suspendDelivery"]["endVolume"], end + 2, "{}: {done}", server.label());
        let resume = r#"mutation($c: String!) { resumeDelivery(customerNo: $c, productCode: "GCV") { issues endVolume resumedAt } }"#;
        let resumed = server.graphql_as(&service, resume, json!({ "c": customer })).await;
        assert_eq!(resumed["data"]["resumeDelivery"]["endVolume"], end, "{resumed}");
        let after = server.graphql_as(&service, held, json!({ "c": customer })).await;
        assert_eq!(after["data"]["entitlements"], before["data"]["entitlements"], "all given back");
        let listed = server
            .graphql_as(&service, r#"query($c: String!) { deliverySuspensions(customerNo: $c, productCode: "GCV") { fromVolume issues } }"#, json!({ "c": customer }))
            .await;
        assert_eq!(listed["data"]["deliverySuspensions"], json!([{ "fromVolume": end, "issues": 0 }]));
    }
}

#[tokio::test]
async fn r20_only_an_admin_cancels_a_subscription_at_once_and_the_unused_part_is_refunded() {
    for server in servers(|_| {}).await {
        let service = server.token(Role::Service, "ec-backend");
        let member = r#"mutation { upsertMember(input: { account: "sun1229@gmail.com" }) { account } }"#;
        assert!(server.graphql_as(&service, member, json!({})).await["errors"].is_null());
        let mut input = order_input("as-4", json!([{ "itemNo": "KC24010002", "amount": 1990 }]));
        input["memberAccount"] = json!("sun1229@gmail.com");
        let created = server.graphql_as(&service, CREATE, json!({ "input": input })).await;
        let no = created["data"]["createOrder"]["orderNo"].as_str().unwrap().to_owned();
        let paid = json!({ "input": { "orderNo": no, "transactionId": "EC-as-4", "status": "PAID", "amount": 1990 } });
        assert!(server.graphql_as(&service, PAY, paid).await["errors"].is_null());
        let customer = server
            .graphql_as(
                &service,
                r#"query($no: String!) { order(orderNo: $no) { payer { customerNo } } }"#,
                json!({ "no": no }),
            )
            .await["data"]["order"]["payer"]["customerNo"]
            .clone();
        let renewal =
            r#"mutation($input: CreateRenewalInput!) { createRenewal(input: $input) { renewal { id } } }"#;
        let vars = json!({ "input": { "customerNo": customer, "memberAccount": "sun1229@gmail.com", "promotionCode": "KC24010002",
                                      "originOrderNo": no, "paymentToken": "tok_ok_4242", "cardLast4": "4242" } });
        let created = server.graphql_as(&service, renewal, vars).await;
        let id = created["data"]["createRenewal"]["renewal"]["id"].clone();
        assert!(id.is_string(), "{created}");

        let cancel = r#"mutation($id: ID!) { cancelSubscription(renewalId: $id, reason: PRICE, effective: IMMEDIATE) { status cancelReason } }"#;
        let own = server.token(Role::Member, "sun1229@gmail.com");
        for (who, token) in [("the member", &own), ("a service", &service)] {
            let refused = server.graphql_as(token, cancel, json!({ "id": id })).await;
            assert_eq!(error_codes(&refused), ["FORBIDDEN"], "{who}: {refused}");
        }
        let admin = server.token(Role::Admin, "cs@cw");
        let done = server.graphql_as(&admin, cancel, json!({ "id": id })).await;
        assert_eq!(
            done["data"]["cancelSubscription"],
            json!({ "status": "STOPPED", "cancelReason": "PRICE" }),
            "{}: {done}",
            server.label()
        );
        let read = server.graphql_as(&admin, READ, json!({ "no": no })).await;
        assert_eq!(
            read["data"]["order"]["refunds"],
            json!([{ "amount": 1990, "status": "REFUNDED" }]),
            "cancelled on day 0: all of it"
        );
        let again = server.graphql_as(&admin, cancel, json!({ "id": id })).await;
        assert_eq!(again["data"], done["data"], "again: as it is");
        assert_eq!(test_support::count(&server.db.conn, "simulated_refunds").await, 1);
    }
}

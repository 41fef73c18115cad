//! Entitlements over HTTP: granted when the payment is recorded (print) and when the order is bound to a
//! member (digital); read under the access rules; R11 temporary grants for admins. SQLite and PostgreSQL.

use crate::orders::{CREATE, order_input};
use crate::support::{error_codes, servers};
use members::Role;
use serde_json::json;

const ENTITLEMENTS: &str = r#"query($no: String, $account: String) {
    entitlements(customerNo: $no, account: $account) { productCode holder { customerNo account }
        startVolume endVolume endVolumeDate rightDueDate seniority subscribeStatus subscribeStatusCode
        temporaryUntil estimated } }"#;

#[tokio::test]
async fn paying_and_binding_grant_entitlements_that_only_their_holders_read() {
    for server in servers(|_| {}).await {
        let service = server.token(Role::Service, "ec-backend");
        let body = server
            .graphql_as(
                &service,
                r#"mutation { upsertMember(input: { account: "sun1229@gmail.com" }) { account } }"#,
                json!({}),
            )
            .await;
        assert!(body["errors"].is_null(), "{body}");
        let input = order_input("ent-1", json!([{ "itemNo": "GC18080026", "amount": 3480 }]));
        let created = server.graphql_as(&service, CREATE, json!({ "input": input })).await;
        let order_no = created["data"]["createOrder"]["orderNo"].as_str().unwrap().to_owned();
        let customer_no = created["data"]["createOrder"]["payer"]["customerNo"].as_str().unwrap().to_owned();
        let pay = r#"mutation($no: String!) { recordPayment(input: { orderNo: $no, transactionId: "T-ent-1", status: PAID, amount: 3480 }) { paymentStatus } }"#;
        let paid = server.graphql_as(&service, pay, json!({ "no": order_no })).await;
        assert_eq!(paid["data"]["recordPayment"]["paymentStatus"], "PAID", "{paid}");

        let body = server.graphql_as(&service, ENTITLEMENTS, json!({ "no": customer_no })).await;
        let print = &body["data"]["entitlements"];
        assert_eq!(
            print.as_array().unwrap().len(),
            1,
            "{}: only print before binding: {body}",
            server.label()
        );
        assert_eq!(print[0]["productCode"], "GCV");
        assert_eq!(
            (print[0]["subscribeStatus"].as_str(), print[0]["subscribeStatusCode"].as_i64()),
            (Some("CURRENT"), Some(1))
        );
        assert_eq!(print[0]["endVolume"].as_i64().unwrap() - print[0]["startVolume"].as_i64().unwrap(), 25);
        assert_eq!(print[0]["seniority"], 0.997);

        let bind = r#"mutation($no: String!) { bindOrderMember(orderNo: $no, account: "sun1229@gmail.com") { orderNo } }"#;
        assert!(server.graphql_as(&service, bind, json!({ "no": order_no })).await["errors"].is_null());
        let own = server.token(Role::Member, "sun1229@gmail.com");
        let body = server.graphql_as(&own, ENTITLEMENTS, json!({ "account": "sun1229@gmail.com" })).await;
        assert_eq!(body["data"]["entitlements"][0]["productCode"], "KCW", "{body}");
        assert_eq!(body["data"]["entitlements"][0]["holder"]["account"], "sun1229@gmail.com");

        // Another member sees neither; the member sees the print one only once linked to the customer.
        let other = server.token(Role::Member, "other@example.com");
        let body = server.graphql_as(&other, ENTITLEMENTS, json!({ "account": "sun1229@gmail.com" })).await;
        assert_eq!(error_codes(&body), ["FORBIDDEN"], "{body}");
        let body = server.graphql_as(&own, ENTITLEMENTS, json!({ "no": customer_no })).await;
        assert_eq!(error_codes(&body), ["FORBIDDEN"], "not linked yet: {body}");
        let link = r#"mutation($no: String!) { linkMemberCustomer(account: "sun1229@gmail.com", customerNo: $no) { account } }"#;
        assert!(server.graphql_as(&service, link, json!({ "no": customer_no })).await["errors"].is_null());
        let body = server.graphql_as(&own, ENTITLEMENTS, json!({ "no": customer_no })).await;
        assert_eq!(body["data"]["entitlements"][0]["productCode"], "GCV", "{body}");
        let body = server.graphql_as(&service, "{ entitlements { productCode } }", json!({})).await;
        assert_eq!(error_codes(&body), ["BAD_USER_INPUT"], "{body}");

        // R11 for admins only.
        let temporary = r#"mutation($days: Int!) { grantTemporaryEntitlement(input: { account: "sun1229@gmail.com", productCode: "KCW", days: $days }) { temporaryUntil } }"#;
        let body = server.graphql_as(&service, temporary, json!({ "days": 7 })).await;
        assert_eq!(error_codes(&body), ["FORBIDDEN"], "{body}");
        let admin = server.token(Role::Admin, "ops");
        let body = server.graphql_as(&admin, temporary, json!({ "days": 7 })).await;
        assert!(body["data"]["grantTemporaryEntitlement"]["temporaryUntil"].is_string(), "{body}");
        let body = server.graphql_as(&admin, temporary, json!({ "days": -1 })).await;
        assert_eq!(error_codes(&body), ["BAD_USER_INPUT"], "{body}");
    }
}

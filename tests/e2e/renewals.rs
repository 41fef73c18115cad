//! Renewals over HTTP (first part of #6): createRenewal with R4 over GraphQL, scoped reads, stop.

use crate::orders::{CREATE, order_input};
use crate::support::{error_codes, servers};
use members::Role;
use serde_json::json;

const CREATE_RENEWAL: &str = r#"mutation($input: CreateRenewalInput!) { createRenewal(input: $input) {
    action renewal { id status statusCode deductDate deductPrice promotionCode productCodes paymentCard
        customer { customerNo } member { account } }
    superseded { id status supersededBy { id } } rescheduled { id } } }"#;

#[tokio::test]
async fn r4_over_graphql_with_scoped_reads_and_stop() {
    for server in servers(|_| {}).await {
        let service = server.token(Role::Service, "ec-backend");
        let member = r#"mutation { upsertMember(input: { account: "sun1229@gmail.com" }) { account } }"#;
        assert!(server.graphql_as(&service, member, json!({})).await["errors"].is_null());
        let mut input = order_input("rn-1", json!([{ "itemNo": "GC18080026", "amount": 3480 }]));
        input["memberAccount"] = json!("sun1229@gmail.com");
        let created = server.graphql_as(&service, CREATE, json!({ "input": input })).await;
        let order_no = created["data"]["createOrder"]["orderNo"].as_str().unwrap().to_owned();
        let customer_no = created["data"]["createOrder"]["payer"]["customerNo"].as_str().unwrap().to_owned();
        let pay = r#"mutation($no: String!) { recordPayment(input: { orderNo: $no, transactionId: "T-rn", status: PAID, amount: 3480 }) { paymentStatus } }"#;
        assert!(server.graphql_as(&service, pay, json!({ "no": order_no })).await["errors"].is_null());

        let renewal = |promotion: &str| {
            json!({ "input": { "customerNo": customer_no, "memberAccount": "sun1229@gmail.com", "promotionCode": promotion,
                               "originOrderNo": order_no, "paymentToken": "tok_ok_secret_4242", "cardLast4": "4242" } })
        };
        let first = server.graphql_as(&service, CREATE_RENEWAL, renewal("GC24010001")).await;
        assert_eq!(first["data"]["createRenewal"]["action"], "CREATED", "{}: {first}", server.label());
        assert!(!first.to_string().contains("tok_ok_secret_4242"), "the token is never returned");
        let second = server.graphql_as(&service, CREATE_RENEWAL, renewal("GC18080026")).await;
        let creation = &second["data"]["createRenewal"];
        assert_eq!(creation["action"], "CREATED", "{second}");
        assert_eq!(
            creation["superseded"][0]["status"], "SUPERSEDED",
            "天下 → 天下+全閱讀 supersedes: {second}"
        );
        assert_eq!(creation["superseded"][0]["supersededBy"]["id"], creation["renewal"]["id"]);
        assert_eq!(creation["renewal"]["productCodes"], json!(["GCV", "KCW"]));
        assert_eq!(creation["renewal"]["statusCode"], 1);
        let merged = server.graphql_as(&service, CREATE_RENEWAL, renewal("KC24010002")).await;
        assert_eq!(merged["data"]["createRenewal"]["action"], "MERGED_INTO_EXISTING", "{merged}");

        let own = server.token(Role::Member, "sun1229@gmail.com");
        let list =
            server.graphql_as(&own, "{ renewals(status: PENDING) { id promotionCode } }", json!({})).await;
        assert_eq!(list["data"]["renewals"].as_array().unwrap().len(), 1, "{list}");
        let other = server.token(Role::Member, "other@example.com");
        let id = creation["renewal"]["id"].clone();
        let read = r#"query($id: ID!) { renewal(id: $id) { id } }"#;
        assert_eq!(error_codes(&server.graphql_as(&other, read, json!({ "id": id })).await), ["FORBIDDEN"]);
        let card = r#"mutation($id: ID!) { updateRenewalPayment(renewalId: $id, paymentToken: "tok_ok_new_card", cardLast4: "1881") { paymentCard hasPaymentToken } }"#;
        assert_eq!(
            error_codes(&server.graphql_as(&other, card, json!({ "id": id })).await),
            ["FORBIDDEN"],
            "someone else's renewal"
        );
        let updated = server.graphql_as(&own, card, json!({ "id": id })).await;
        assert_eq!(updated["data"]["updateRenewalPayment"]["paymentCard"], "1881", "{updated}");
        assert!(!updated.to_string().contains("tok_ok_new_card"));
        let stop = r#"mutation($id: ID!) { stopRenewal(renewalId: $id) { status statusCode } }"#;
        assert_eq!(error_codes(&server.graphql_as(&other, stop, json!({ "id": id })).await), ["FORBIDDEN"]);
        let stopped = server.graphql_as(&own, stop, json!({ "id": id })).await;
        assert_eq!(stopped["data"]["stopRenewal"]["statusCode"], 0, "{stopped}");
        let after_stop = server.graphql_as(&own, card, json!({ "id": id })).await;
        assert_eq!(error_codes(&after_stop), ["CONFLICT"], "a stopped renewal takes no card: {after_stop}");
        let body = server.graphql_as(&own, CREATE_RENEWAL, renewal("GC18080026")).await;
        assert_eq!(error_codes(&body), ["FORBIDDEN"], "members do not create renewals: {body}");
        let body = server.graphql_as(&service, CREATE_RENEWAL, renewal("GC24010004")).await;
        assert_eq!(error_codes(&body), ["BAD_USER_INPUT"], "not renewable: {body}");
    }
}

/// R20 over HTTP: a member skips and resumes its own monthly renewal; another member is refused and
/// nothing changes.
#[tokio::test]
async fn r20_a_member_skips_and_resumes_only_its_own_renewal() {
    for server in servers(|_| {}).await {
        let service = server.token(Role::Service, "ec-backend");
        let member = r#"mutation { upsertMember(input: { account: "sun1229@gmail.com" }) { account } }"#;
        assert!(server.graphql_as(&service, member, json!({})).await["errors"].is_null());
        let mut input = order_input("rn-skip", json!([{ "itemNo": "KC24010001", "amount": 199 }]));
        input["memberAccount"] = json!("sun1229@gmail.com");
        let created = server.graphql_as(&service, CREATE, json!({ "input": input })).await;
        let order_no = created["data"]["createOrder"]["orderNo"].as_str().unwrap().to_owned();
        let customer_no = created["data"]["createOrder"]["payer"]["customerNo"].as_str().unwrap().to_owned();
        let pay = r#"mutation($no: String!) { recordPayment(input: { orderNo: $no, transactionId: "T-skip", status: PAID, amount: 199 }) { paymentStatus } }"#;
        assert!(server.graphql_as(&service, pay, json!({ "no": order_no })).await["errors"].is_null());
        let renewal = json!({ "input": { "customerNo": customer_no, "memberAccount": "sun1229@gmail.com",
            "promotionCode": "KC24010001", "originOrderNo": order_no, "paymentToken": "tok_ok_1", "cardLast4": "4242" } });
        let body = server.graphql_as(&service, CREATE_RENEWAL, renewal).await;
        let id = body["data"]["createRenewal"]["renewal"]["id"].clone();
        let due = body["data"]["createRenewal"]["renewal"]["deductDate"].clone();

        let skip = r#"mutation($id: ID!) { skipRenewal(renewalId: $id, cycles: 1) { deductDate skippedCycles skippedFrom } }"#;
        let other = server.token(Role::Member, "other@example.com");
        assert_eq!(error_codes(&server.graphql_as(&other, skip, json!({ "id": id })).await), ["FORBIDDEN"]);
        let own = server.token(Role::Member, "sun1229@gmail.com");
        let skipped = server.graphql_as(&own, skip, json!({ "id": id })).await;
        assert_eq!(skipped["data"]["skipRenewal"]["skippedCycles"], 1, "{}: {skipped}", server.label());
        assert_eq!(skipped["data"]["skipRenewal"]["skippedFrom"], due);
        assert_ne!(skipped["data"]["skipRenewal"]["deductDate"], due);
        let resume = r#"mutation($id: ID!) { resumeRenewal(renewalId: $id) { deductDate skippedCycles } }"#;
        assert_eq!(error_codes(&server.graphql_as(&other, resume, json!({ "id": id })).await), ["FORBIDDEN"]);
        let resumed = server.graphql_as(&own, resume, json!({ "id": id })).await;
        assert_eq!(resumed["data"]["resumeRenewal"]["deductDate"], due, "{resumed}");
        assert_eq!(resumed["data"]["resumeRenewal"]["skippedCycles"], 0);
    }
}

/// R20 over HTTP: a member cancels its own subscription at the end of its term, with a reason; another
/// member is refused.
#[tokio::test]
async fn r20_a_member_cancels_only_its_own_subscription() {
    for server in servers(|_| {}).await {
        let service = server.token(Role::Service, "ec-backend");
        let member = r#"mutation { upsertMember(input: { account: "sun1229@gmail.com" }) { account } }"#;
        assert!(server.graphql_as(&service, member, json!({})).await["errors"].is_null());
        let mut input = order_input("rn-cancel", json!([{ "itemNo": "GC18080026", "amount": 3480 }]));
        input["memberAccount"] = json!("sun1229@gmail.com");
        let created = server.graphql_as(&service, CREATE, json!({ "input": input })).await;
        let order_no = created["data"]["createOrder"]["orderNo"].as_str().unwrap().to_owned();
        let customer_no = created["data"]["createOrder"]["payer"]["customerNo"].as_str().unwrap().to_owned();
        let pay = r#"mutation($no: String!) { recordPayment(input: { orderNo: $no, transactionId: "T-cancel", status: PAID, amount: 3480 }) { paymentStatus } }"#;
        assert!(server.graphql_as(&service, pay, json!({ "no": order_no })).await["errors"].is_null());
        let renewal = json!({ "input": { "customerNo": customer_no, "memberAccount": "sun1229@gmail.com",
            "promotionCode": "GC18080026", "originOrderNo": order_no, "paymentToken": "tok_ok_1", "cardLast4": "4242" } });
        let body = server.graphql_as(&service, CREATE_RENEWAL, renewal).await;
        let id = body["data"]["createRenewal"]["renewal"]["id"].clone();
        let cancel = r#"mutation($id: ID!) { cancelSubscription(renewalId: $id, reason: PRICE, note: "too much") {
            status cancelReason cancelNote } }"#;
        let other = server.token(Role::Member, "other@example.com");
        assert_eq!(error_codes(&server.graphql_as(&other, cancel, json!({ "id": id })).await), ["FORBIDDEN"]);
        let own = server.token(Role::Member, "sun1229@gmail.com");
        let done = server.graphql_as(&own, cancel, json!({ "id": id })).await;
        assert_eq!(
            done["data"]["cancelSubscription"],
            json!({ "status": "STOPPED", "cancelReason": "PRICE", "cancelNote": "too much" }),
            "{}: {done}",
            server.label()
        );
    }
}

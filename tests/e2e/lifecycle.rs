//! The renewal lifecycle of issue #6 over HTTP, driven day by day with `runJob(asOf)`: order → paid →
//! renewal created (R7) → notice (R8) → charge success and the next renewal (R9) → charge declined →
//! e-mail with the card link → card update → retry success; the e-mails reach a real SMTP listener.

use crate::orders::{CREATE, order_input};
use crate::support::servers;
use chrono::{Days, NaiveDate};
use members::Role;
use platform_core::settings::Secret;
use serde_json::{Value, json};
use test_support::smtp::SmtpReceiver;

const RUN_JOB: &str = r#"mutation($name: JobName!, $asOf: Date) { runJob(name: $name, asOf: $asOf) { name status processed failed error } }"#;
const RENEWALS: &str = r#"{ renewals(account: "life@example.com") { id status cycle deductDate attempts failureReason
    chargeOrderNo paymentCard originOrderNo productName source shippingFee } }"#;

fn day(value: &Value) -> NaiveDate {
    value.as_str().unwrap().parse().unwrap()
}

#[tokio::test]
async fn r7_r8_r9_r13_lifecycle_driven_by_as_of_days() {
    let smtp = SmtpReceiver::start().await.unwrap();
    let url = smtp.url.clone();
    for server in servers(move |s| s.email.smtp_url = Some(Secret::new(url.clone()))).await {
        let service = server.token(Role::Service, "ec-backend");
        let admin = server.token(Role::Admin, "operator");
        let member = server.token(Role::Member, "life@example.com");
        let run = |name: &'static str, as_of: NaiveDate| {
            let admin = admin.clone();
            let server = &server;
            async move {
                let body = server
                    .graphql_as(&admin, RUN_JOB, json!({ "name": name, "asOf": as_of.to_string() }))
                    .await;
                let run = body["data"]["runJob"].clone();
                assert_eq!(run["status"], "SUCCEEDED", "{name} as of {as_of}: {body}");
                run["processed"].as_i64().unwrap()
            }
        };
        let renewals = || async {
            let body = server.graphql_as(&member, RENEWALS, json!({})).await;
            body["data"]["renewals"].as_array().unwrap().clone()
        };
        let sent_before = smtp.received().len();

        // Order → paid: the member's order of 天下+全閱讀 with a saved card.
        let upsert = r#"mutation { upsertMember(input: { account: "life@example.com" }) { account } }"#;
        assert!(server.graphql_as(&service, upsert, json!({})).await["errors"].is_null());
        let mut input = order_input("life-1", json!([{ "itemNo": "GC18080026", "amount": 3480 }]));
        input["memberAccount"] = json!("life@example.com");
        input["payer"] = json!({ "name": "林生活", "email": "life@example.com" });
        input["paymentToken"] = json!("tok_ok_life_4242");
        input["cardLast4"] = json!("4242");
        let created = server.graphql_as(&service, CREATE, json!({ "input": input })).await;
        let order_no = created["data"]["createOrder"]["orderNo"].as_str().unwrap().to_owned();
        let pay = r#"mutation($no: String!) { recordPayment(input: { orderNo: $no, transactionId: "T-life", status: PAID, amount: 3480 }) { paymentStatus } }"#;
        assert!(server.graphql_as(&service, pay, json!({ "no": order_no })).await["errors"].is_null());
        let today = crate::support::today();

        // R7: the renewal is created once.
        assert_eq!(run("CREATE_RENEWALS", today).await, 1, "{}", server.label());
        assert_eq!(run("CREATE_RENEWALS", today).await, 0);
        let first = renewals().await;
        assert_eq!(first.len(), 1, "{first:?}");
        assert_eq!(first[0]["originOrderNo"], order_no.as_str());
        assert_eq!(
            (first[0]["productName"].as_str(), first[0]["source"].as_str(), first[0]["shippingFee"].as_i64()),
            (Some("天下+全閱讀 一年"), Some("AUTO"), Some(0))
        );
        let deduct = day(&first[0]["deductDate"]);

        // R8: the notice a week before.
        let week_before = deduct.checked_sub_days(Days::new(7)).unwrap();
        assert_eq!(run("SEND_NOTICES", week_before.pred_opt().unwrap()).await, 0);
        assert_eq!(run("SEND_NOTICES", week_before).await, 1);
        assert_eq!(run("SEND_NOTICES", week_before).await, 0, "once");

        // R9 success: executed, the next cycle is pending.
        assert_eq!(run("CHARGE_RENEWALS", deduct.pred_opt().unwrap()).await, 0);
        assert_eq!(run("CHARGE_RENEWALS", deduct).await, 1);
        let after = renewals().await;
        assert_eq!(after[0]["status"], "EXECUTED", "{after:?}");
        assert_eq!((after[1]["status"].as_str(), after[1]["cycle"].as_i64()), (Some("PENDING"), Some(2)));
        let second_id = after[1]["id"].clone();
        let second_deduct = day(&after[1]["deductDate"]);
        assert!(second_deduct > deduct);

        // R9 decline: the member's new card is refused at the next deduct date.
        let card = r#"mutation($id: ID!, $token: String!) { updateRenewalPayment(renewalId: $id, paymentToken: $token, cardLast4: "0002") { id } }"#;
        let body =
            server.graphql_as(&member, card, json!({ "id": second_id, "token": "tok_decline_0002" })).await;
        assert!(body["errors"].is_null(), "{body}");
        assert_eq!(run("CHARGE_RENEWALS", second_deduct).await, 1);
        let failed = renewals().await;
        assert_eq!(
            (failed[1]["status"].as_str(), failed[1]["failureReason"].as_str()),
            (Some("FAILED"), Some("card_declined"))
        );
        let charge_order = failed[1]["chargeOrderNo"].as_str().unwrap().to_owned();
        let read = r#"query($no: String!) { order(orderNo: $no) { source paymentStatus } }"#;
        let order = server.graphql_as(&member, read, json!({ "no": charge_order })).await;
        assert_eq!(order["data"]["order"], json!({ "source": "AUTO", "paymentStatus": "FAILED" }), "{order}");
        let mails = r#"query($about: String) { emails(regarding: $about) { kind status to body } }"#;
        let about = format!("renewal:{}", second_id.as_str().unwrap());
        let body = server.graphql_as(&admin, mails, json!({ "about": about })).await;
        let failed_mail = &body["data"]["emails"][0];
        assert_eq!(failed_mail["kind"], "CHARGE_FAILED", "{body}");
        assert!(
            failed_mail["body"]
                .as_str()
                .unwrap()
                .contains(&format!("/renewals/{}/card", second_id.as_str().unwrap()))
        );

        // Card update → retry → success, and the third cycle.
        let body =
            server.graphql_as(&member, card, json!({ "id": second_id, "token": "tok_ok_life_new" })).await;
        assert!(body["errors"].is_null(), "{body}");
        let retry = r#"mutation($id: ID!) { retryRenewalCharge(renewalId: $id) { status attempts } }"#;
        let body = server.graphql_as(&member, retry, json!({ "id": second_id })).await;
        assert_eq!(
            body["data"]["retryRenewalCharge"],
            json!({ "status": "EXECUTED", "attempts": 2 }),
            "{body}"
        );
        let body = server.graphql_as(&member, retry, json!({ "id": second_id })).await;
        assert_eq!(crate::support::error_codes(&body), ["CONFLICT"], "an executed renewal is not retried");
        let last = renewals().await;
        assert_eq!(
            (last.len(), last[2]["cycle"].as_i64(), last[2]["status"].as_str()),
            (3, Some(3), Some("PENDING"))
        );
        assert!(!last.iter().any(|r| r.to_string().contains("tok_")), "tokens never leave the platform");

        // The outbox: notice, receipt, failure, receipt — sent over SMTP once each.
        assert_eq!(run("DISPATCH_EMAILS", today).await, 4);
        assert_eq!(run("DISPATCH_EMAILS", today).await, 0);
        let received = &smtp.received()[sent_before..];
        assert_eq!(received.len(), 4, "{}", server.label());
        assert!(received.iter().all(|m| m.to == ["<life@example.com>"]));
        let events = r#"query($type: String) { events(filter: { type: $type }, first: 10) { edges { node { type } } } }"#;
        for (kind, expected) in [
            ("renewal.created", 3),
            ("renewal.charged", 2),
            ("renewal.charge_failed", 1),
            ("renewal.payment_updated", 2),
        ] {
            let body = server.graphql_as(&admin, events, json!({ "type": kind })).await;
            let found = body["data"]["events"]["edges"].as_array().map_or(0, Vec::len);
            assert_eq!(found, expected, "{kind}: {body}");
        }
    }
}

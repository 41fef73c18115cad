//! R23 delayed capture and reconciliation over HTTP and with the real binary: a renewal charged with
//! `gateway.capture = DELAYED` is AUTHORISED, `runJob(CAPTURE_PAYMENTS)` as of the next day captures it;
//! `platform reconcile --settlement` opens the follow-ups of a stray transaction and a missing payment, a
//! bad file is refused whole, the gateway's own settlement is reconciled without a file, and the daily
//! report carries the day's line.

use crate::orders::{CREATE, order_input};
use crate::support::servers;
use chrono::NaiveDate;
use members::Role;
use serde_json::{Value, json};
use test_support::count;

const RUN_JOB: &str = r#"mutation($name: JobName!, $asOf: Date) { runJob(name: $name, asOf: $asOf) { status processed failed error } }"#;
const PAYMENTS: &str = r#"query($no: String!) { order(orderNo: $no) { payments { transactionId status amount capture capturedAmount capturedAt } } }"#;

/// Runs `platform --database-url <url> <args>` in `folder`: (success, stdout + stderr).
fn platform(folder: &std::path::Path, url: &str, args: &[&str]) -> (bool, String) {
    let all: Vec<&str> = ["--database-url", url].into_iter().chain(args.iter().copied()).collect();
    crate::support::platform_cli(folder, &all)
}

#[tokio::test]
async fn r23_a_delayed_renewal_charge_is_captured_by_the_next_days_job() {
    for server in servers(|s| s.gateway.capture = "DELAYED".into()).await {
        let service = server.token(Role::Service, "ec-backend");
        let admin = server.token(Role::Admin, "operator");
        let member = r#"mutation { upsertMember(input: { account: "capture@example.com" }) { account } }"#;
        assert!(server.graphql_as(&service, member, json!({})).await["errors"].is_null());
        let mut input = order_input("cap-e2e", json!([{ "itemNo": "GC18080026", "amount": 3480 }]));
        input["memberAccount"] = json!("capture@example.com");
        let created = server.graphql_as(&service, CREATE, json!({ "input": input })).await;
        let order_no = created["data"]["createOrder"]["orderNo"].as_str().unwrap().to_owned();
        let customer_no = created["data"]["createOrder"]["payer"]["customerNo"].as_str().unwrap().to_owned();
        let pay = r#"mutation($no: String!) { recordPayment(input: { orderNo: $no, transactionId: "T-cap", status: PAID, amount: 3480 }) { paymentStatus } }"#;
        assert!(server.graphql_as(&service, pay, json!({ "no": order_no })).await["errors"].is_null());
        // A payment the payment service reports is taken already.
        let origin = server.graphql_as(&admin, PAYMENTS, json!({ "no": order_no })).await;
        assert_eq!(
            origin["data"]["order"]["payments"][0]["capture"],
            "CAPTURED",
            "{}: {origin}",
            server.label()
        );
        let renewal = r#"mutation($input: CreateRenewalInput!) { createRenewal(input: $input) { renewal { id deductDate } } }"#;
        let made = server
            .graphql_as(&service, renewal, json!({ "input": { "customerNo": customer_no, "memberAccount": "capture@example.com",
                "promotionCode": "GC18080026", "originOrderNo": order_no, "paymentToken": "tok_ok_capture_1881", "cardLast4": "1881" } }))
            .await;
        let deduct: NaiveDate =
            made["data"]["createRenewal"]["renewal"]["deductDate"].as_str().unwrap().parse().unwrap();
        let run = |name: &'static str, as_of: NaiveDate| {
            let (server, admin) = (&server, admin.clone());
            async move {
                let body = server
                    .graphql_as(&admin, RUN_JOB, json!({ "name": name, "asOf": as_of.to_string() }))
                    .await;
                assert_eq!(body["data"]["runJob"]["status"], "SUCCEEDED", "{name}: {body}");
                body["data"]["runJob"]["processed"].as_i64().unwrap()
            }
        };
        assert_eq!(run("CHARGE_RENEWALS", deduct).await, 1);
        let auto: String =
            crate::support::text(&server.db.conn, "SELECT order_no FROM orders WHERE source = 'AUTO'")
                .await
                .unwrap();
        let charged = server.graphql_as(&admin, PAYMENTS, json!({ "no": auto })).await;
        let payment = &charged["data"]["order"]["payments"][0];
        assert_eq!(
            (payment["capture"].as_str(), payment["capturedAmount"].as_i64()),
            (Some("AUTHORISED"), None)
        );
        assert_eq!(run("CAPTURE_PAYMENTS", deduct).await, 0, "authorised today: captured tomorrow");
        assert_eq!(run("CAPTURE_PAYMENTS", deduct.succ_opt().unwrap()).await, 1);
        let captured = server.graphql_as(&admin, PAYMENTS, json!({ "no": auto })).await;
        let payment = &captured["data"]["order"]["payments"][0];
        assert_eq!(
            (payment["capture"].as_str(), payment["capturedAmount"].as_i64()),
            (Some("CAPTURED"), Some(3480))
        );
        assert!(payment["capturedAt"].is_string());
        assert_eq!(count(&server.db.conn, "simulated_charges WHERE state = 'CAPTURED'").await, 1);
        assert_eq!(run("CAPTURE_PAYMENTS", deduct.succ_opt().unwrap()).await, 0, "once");
    }
}

#[tokio::test]
async fn r23_platform_reconcile_matches_a_settlement_file_and_the_daily_report_shows_it() {
    for server in servers(|_| {}).await {
        let service = server.token(Role::Service, "ec-backend");
        let admin = server.token(Role::Admin, "operator");
        let mut orders = Vec::new();
        for n in 1..=2 {
            let input =
                order_input(&format!("rc-e2e-{n}"), json!([{ "itemNo": "GC18080026", "amount": 3480 }]));
            let created = server.graphql_as(&service, CREATE, json!({ "input": input })).await;
            let no = created["data"]["createOrder"]["orderNo"].as_str().unwrap().to_owned();
            let pay = r#"mutation($no: String!, $tx: String!) { recordPayment(input: { orderNo: $no, transactionId: $tx, status: PAID, amount: 3480 }) { paymentStatus } }"#;
            let paid = server.graphql_as(&service, pay, json!({ "no": no, "tx": format!("T-rc-{n}") })).await;
            assert!(paid["errors"].is_null(), "{paid}");
            orders.push(no);
        }
        let today =
            platform_core::BusinessCalendar::from(&server.settings).date_of(chrono::Utc::now()).to_string();
        let folder = tempfile::tempdir().unwrap();
        let url = server.db.url.as_str();
        let file = folder.path().join("settlement.csv");
        // A bad line refuses the whole file: nothing is reconciled.
        std::fs::write(&file, "transaction_id,amount\nT-rc-1,3480\nT-rc-x,abc\n").unwrap();
        let (ok, text) = platform(
            folder.path(),
            url,
            &["reconcile", "--date", &today, "--settlement", file.to_str().unwrap()],
        );
        assert!(!ok && text.contains("line 3"), "{}: {text}", server.label());
        assert_eq!(count(&server.db.conn, "reconciliations").await, 0);
        assert_eq!(count(&server.db.conn, "follow_ups").await, 0);

        std::fs::write(&file, "transaction_id,amount\nT-rc-1,3480\nsim_stray,990\n").unwrap();
        let (ok, text) = platform(
            folder.path(),
            url,
            &["reconcile", "--date", &today, "--settlement", file.to_str().unwrap()],
        );
        assert!(ok, "{text}");
        assert!(text.contains("2 transaction(s), 1 matched; 1 stray, 1 missing, 0 mismatched"), "{text}");
        assert!(text.contains("2 follow-up(s) opened"), "{text}");
        assert_eq!(
            count(
                &server.db.conn,
                "follow_ups WHERE kind = 'PAYMENT_WITHOUT_ORDER' AND subject = 'transaction:sim_stray'"
            )
            .await,
            1
        );
        let missing =
            format!("follow_ups WHERE kind = 'PAYMENT_NOT_SETTLED' AND subject = 'order:{}'", orders[1]);
        assert_eq!(count(&server.db.conn, &missing).await, 1);
        // Again: the same findings, nothing opens twice.
        let (ok, text) = platform(
            folder.path(),
            url,
            &["reconcile", "--date", &today, "--settlement", file.to_str().unwrap(), "--format", "json"],
        );
        assert!(ok, "{text}");
        let report: Value = serde_json::from_str(&text).unwrap();
        assert_eq!((report["matched"].as_u64(), report["followUpsOpened"].as_u64()), (Some(1), Some(0)));

        // The daily report carries the day's reconciliation.
        let query = r#"query($d: Date) { opsReport(date: $d) { summary reconciliation { source transactions matched stray missing mismatched } } }"#;
        let body = server.graphql_as(&admin, query, json!({ "d": today })).await;
        let line = &body["data"]["opsReport"]["reconciliation"];
        assert_eq!(
            line,
            &json!({ "source": "FILE", "transactions": 2, "matched": 1, "stray": 1, "missing": 1, "mismatched": 0 }),
            "{body}"
        );
        let summary = body["data"]["opsReport"]["summary"].to_string();
        assert!(
            summary.contains("Reconciliation 對帳: 2 settled · 1 matched · 1 without order · 1 not settled"),
            "{summary}"
        );
        // Only admins read it.
        let member = server.token(Role::Member, "someone@example.com");
        let denied = server.graphql_as(&member, query, json!({ "d": today })).await;
        assert!(denied["data"].is_null() || denied["data"]["opsReport"].is_null(), "{denied}");

        // Without a file, the simulated gateway's own settlement: it charged nothing today, so both
        // payments (reported by the payment service, not charged through it) are missing from it.
        let (ok, text) = platform(folder.path(), url, &["reconcile", "--date", &today]);
        assert!(ok, "{text}");
        assert!(text.contains("(GATEWAY): 0 transaction(s), 0 matched; 0 stray, 2 missing"), "{text}");
    }
}

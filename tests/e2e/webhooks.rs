//! Webhooks over HTTP: an admin registers a receiver (a real HTTP server in this process), the order flow
//! runs, the dispatcher delivers `order.paid` and `entitlement.granted` signed with the returned secret, and
//! deliveries can be listed and replayed. SQLite and PostgreSQL.

use crate::orders::{CREATE, order_input};
use crate::support::{error_codes, servers};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use members::Role;
use platform_core::events;
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};

type Log = Arc<Mutex<Vec<(HeaderMap, String)>>>;

async fn receive(State(log): State<Log>, headers: HeaderMap, body: Bytes) -> &'static str {
    log.lock().unwrap().push((headers, String::from_utf8_lossy(&body).into_owned()));
    "ok"
}

async fn receiver() -> (String, Log) {
    let log: Log = Arc::default();
    let app = axum::Router::new().route("/hook", axum::routing::post(receive)).with_state(Arc::clone(&log));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, log)
}

#[tokio::test]
async fn paid_orders_reach_a_registered_receiver_signed() {
    for server in servers(|s| s.webhooks.allow_private_networks = true).await {
        let (url, log) = receiver().await;
        let admin = server.token(Role::Admin, "ops");
        let service = server.token(Role::Service, "ec-backend");
        let register = r#"mutation($url: String!) { createWebhookEndpoint(input: { url: $url,
            events: ["order.paid", "entitlement.*"] }) { id url events active signingSecret } }"#;
        let body = server.graphql_as(&service, register, json!({ "url": url })).await;
        assert_eq!(error_codes(&body), ["FORBIDDEN"], "admins only: {body}");
        let body = server.graphql_as(&admin, register, json!({ "url": url })).await;
        let endpoint = &body["data"]["createWebhookEndpoint"];
        let secret = endpoint["signingSecret"].as_str().unwrap_or_else(|| panic!("{body}")).to_owned();
        let listed = server.graphql_as(&admin, "{ webhookEndpoints { id signingSecret } }", json!({})).await;
        assert!(
            listed["data"]["webhookEndpoints"][0]["signingSecret"].is_null(),
            "the secret is shown once: {listed}"
        );

        let input = order_input("wh-1", json!([{ "itemNo": "GC24010001", "amount": 2280 }]));
        let created = server.graphql_as(&service, CREATE, json!({ "input": input })).await;
        let order_no = created["data"]["createOrder"]["orderNo"].as_str().unwrap().to_owned();
        let pay = r#"mutation($no: String!) { recordPayment(input: { orderNo: $no, transactionId: "T-wh-1", status: PAID, amount: 2280 }) { paymentStatus } }"#;
        assert!(server.graphql_as(&service, pay, json!({ "no": order_no })).await["errors"].is_null());

        let dispatcher = notify::Dispatcher::new(
            server.db.conn.clone(),
            notify::DispatchSettings::from(&server.settings.webhooks),
        )
        .unwrap();
        for _ in 0..3 {
            dispatcher.run_once(chrono::Utc::now()).await.unwrap();
        }
        let received = log.lock().unwrap().clone();
        let types: Vec<String> = received
            .iter()
            .map(|(_, body)| {
                serde_json::from_str::<Value>(body).unwrap()["type"].as_str().unwrap().to_owned()
            })
            .collect();
        assert_eq!(types, ["order.paid", "entitlement.granted"], "{}", server.label());
        let key = notify::signature::key_of(&secret).unwrap();
        for (headers, body) in &received {
            let header = |name: &str| headers[name].to_str().unwrap().to_owned();
            let timestamp: i64 = header("webhook-timestamp").parse().unwrap();
            assert!(notify::signature::verify(
                &key,
                &header("webhook-id"),
                timestamp,
                body.as_bytes(),
                &header("webhook-signature")
            ));
        }
        let paid: Value = serde_json::from_str(&received[0].1).unwrap();
        assert_eq!(paid["data"]["orderNo"], order_no.as_str());

        let deliveries =
            r#"{ webhookDeliveries(status: DELIVERED) { edges { node { id status attempts subject } } } }"#;
        let body = server.graphql_as(&admin, deliveries, json!({})).await;
        let edges = body["data"]["webhookDeliveries"]["edges"].as_array().unwrap().clone();
        assert_eq!(edges.len(), 2, "{body}");
        let replay = r#"mutation($id: ID!) { replayWebhookDelivery(id: $id) { status attempts } }"#;
        let body = server.graphql_as(&admin, replay, json!({ "id": edges[0]["node"]["id"] })).await;
        assert_eq!(body["data"]["replayWebhookDelivery"]["status"], "PENDING", "{body}");
        dispatcher.run_once(chrono::Utc::now()).await.unwrap();
        assert_eq!(log.lock().unwrap().len(), 3, "the replay is sent again");
        let body = server
            .graphql_as(
                &admin,
                r#"mutation { createWebhookEndpoint(input: { url: "ftp://x", events: ["*"] }) { id } }"#,
                json!({}),
            )
            .await;
        assert_eq!(error_codes(&body), ["BAD_USER_INPUT"], "{body}");
    }
}

#[tokio::test]
async fn r13_admins_run_jobs_and_read_their_runs() {
    for server in servers(|_| {}).await {
        let admin = server.token(Role::Admin, "ops");
        let run = r#"mutation { runJob(name: EXPIRE_ENTITLEMENTS, asOf: "2026-11-22") { id name asOf status processed failed error } }"#;
        let body = server.graphql_as(&admin, run, json!({})).await;
        let job = &body["data"]["runJob"];
        assert_eq!(
            (job["name"].as_str(), job["status"].as_str()),
            (Some("EXPIRE_ENTITLEMENTS"), Some("SUCCEEDED")),
            "{body}"
        );
        assert_eq!(job["asOf"], "2026-11-22");
        let body = server
            .graphql_as(&admin, "mutation { runJob(name: DISPATCH_WEBHOOKS) { status } }", json!({}))
            .await;
        assert_eq!(body["data"]["runJob"]["status"], "SUCCEEDED", "{body}");
        let runs = server
            .graphql_as(&admin, "{ jobRuns(name: EXPIRE_ENTITLEMENTS) { name status } }", json!({}))
            .await;
        assert_eq!(runs["data"]["jobRuns"].as_array().unwrap().len(), 1, "{runs}");
        let service = server.token(Role::Service, "ec-backend");
        assert_eq!(error_codes(&server.graphql_as(&service, run, json!({})).await), ["FORBIDDEN"]);
        assert_eq!(
            error_codes(&server.graphql_as(&service, "{ jobRuns { id } }", json!({})).await),
            ["FORBIDDEN"]
        );
    }
}

/// Issue #14 (SSRF): with the default settings no endpoint may point at this machine, a private network or
/// a metadata service, however the address is spelled; the refusal names no port or service.
#[tokio::test]
async fn webhook_endpoints_on_private_or_disguised_addresses_are_refused() {
    for server in servers(|_| {}).await {
        let admin = server.token(Role::Admin, "ops");
        let register = r#"mutation($url: String!) { createWebhookEndpoint(input: { url: $url, events: ["*"] }) { id } }"#;
        for url in [
            "http://127.0.0.1:5432/",
            "http://[::1]:8080/",
            "http://169.254.169.254/latest/meta-data/",
            "http://metadata.google.internal/computeMetadata/v1/",
            "http://10.0.0.5/hook",
            "http://192.168.1.10/hook",
            "http://0.0.0.0:22/",
            "http://2130706433/",
            "http://0x7f.0.0.1/",
            "http://127.1:6379/",
            "http://[::ffff:127.0.0.1]/",
            "http://localhost:5432/",
        ] {
            let body = server.graphql_as(&admin, register, json!({ "url": url })).await;
            assert_eq!(error_codes(&body), ["BAD_USER_INPUT"], "{}: {url}: {body}", server.label());
            let message = body["errors"][0]["message"].as_str().unwrap();
            assert!(message.starts_with("url: "), "{url}: {message}");
        }
        let listed = server.graphql_as(&admin, "{ webhookEndpoints { id } }", json!({})).await;
        assert_eq!(listed["data"]["webhookEndpoints"], json!([]), "nothing registered: {listed}");
    }
}

/// DNS rebinding and endpoints stored before the rule: the check runs again at every connection, so an
/// endpoint whose host now resolves to loopback is refused without a request being made, and the recorded
/// error does not tell an open port from a closed one.
#[tokio::test]
async fn webhooks_are_checked_again_at_each_connection() {
    for server in servers(|s| s.webhooks.allow_private_networks = true).await {
        let (url, log) = receiver().await;
        let admin = server.token(Role::Admin, "ops");
        let register = r#"mutation($url: String!) { createWebhookEndpoint(input: { url: $url, events: ["*"] }) { id } }"#;
        // Registered while allowed (as if the name had resolved elsewhere then): a live receiver, a name
        // that resolves to loopback, and a closed port.
        let by_name = url.replace("127.0.0.1", "localhost");
        for url in [url.as_str(), by_name.as_str(), "http://127.0.0.1:1/"] {
            let body = server.graphql_as(&admin, register, json!({ "url": url })).await;
            assert!(body["errors"].is_null(), "{body}");
        }
        events::append(
            &server.db.conn,
            events::NewEvent { event_type: "order.paid", subject: "order:x".into(), payload: json!({}) },
            chrono::Utc::now(),
        )
        .await
        .unwrap();
        let strict = notify::DispatchSettings {
            schedule: vec![std::time::Duration::from_secs(3600); 9],
            ..notify::DispatchSettings::default()
        };
        let dispatcher = notify::Dispatcher::new(server.db.conn.clone(), strict).unwrap();
        dispatcher.run_once(chrono::Utc::now()).await.unwrap();
        assert!(log.lock().unwrap().is_empty(), "{}: nothing reached the loopback receiver", server.label());
        let deliveries = server
            .graphql_as(
                &admin,
                "{ webhookDeliveries { edges { node { status lastStatusCode lastError } } } }",
                json!({}),
            )
            .await;
        let errors: Vec<String> = deliveries["data"]["webhookDeliveries"]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["node"]["lastError"].as_str().unwrap_or_default().to_owned())
            .collect();
        assert_eq!(errors.len(), 3, "{deliveries}");
        assert!(errors.iter().all(|e| e.starts_with("refused: ")), "{errors:?}");
        assert_eq!(errors.iter().collect::<std::collections::HashSet<_>>().len(), 2, "{errors:?}");
        assert!(
            deliveries.to_string().matches("\"lastStatusCode\":null").count() == 3,
            "no status reveals an answering port: {deliveries}"
        );
    }
}

/// Issue #14: in production a run as of a far-future day (a typo such as 9999-12-31 charged renewals due a
/// year ahead and lapsed current subscribers) is refused unless forced, and a forced run names who forced it.
#[tokio::test]
async fn r13_far_future_runs_need_force_in_production_and_record_who_forced_them() {
    for server in servers(|s| s.production = true).await {
        let admin = server.token(Role::Admin, "ops-alice");
        for name in ["CHARGE_RENEWALS", "EXPIRE_ENTITLEMENTS"] {
            let run = format!(r#"mutation {{ runJob(name: {name}, asOf: "9999-12-31") {{ id }} }}"#);
            let body = server.graphql_as(&admin, &run, json!({})).await;
            assert_eq!(error_codes(&body), ["BAD_USER_INPUT"], "{}: {body}", server.label());
            assert!(
                body["errors"][0]["message"]
                    .as_str()
                    .unwrap()
                    .starts_with("asOf: 9999-12-31 is more than 1 day")
            );
        }
        let runs = server.graphql_as(&admin, "{ jobRuns { id } }", json!({})).await;
        assert_eq!(runs["data"]["jobRuns"], json!([]), "nothing ran: {runs}");
        let tomorrow = (chrono::Utc::now().date_naive() + chrono::Duration::days(1)).to_string();
        let body = server
            .graphql_as(&admin, "mutation($d: Date) { runJob(name: EXPIRE_ENTITLEMENTS, asOf: $d) { status forced requestedBy } }", json!({ "d": tomorrow }))
            .await;
        assert_eq!(body["data"]["runJob"]["forced"], false, "a day ahead needs no force: {body}");
        let forced = r#"mutation { runJob(name: EXPIRE_ENTITLEMENTS, asOf: "2030-01-01", force: true) { status forced requestedBy } }"#;
        let body = server.graphql_as(&admin, forced, json!({})).await;
        assert_eq!(
            body["data"]["runJob"],
            json!({ "status": "SUCCEEDED", "forced": true, "requestedBy": "ops-alice" }),
            "{body}"
        );
    }
    for server in servers(|_| {}).await {
        let admin = server.token(Role::Admin, "ops");
        let run = r#"mutation { runJob(name: EXPIRE_ENTITLEMENTS, asOf: "2030-01-01") { status forced } }"#;
        let body = server.graphql_as(&admin, run, json!({})).await;
        assert_eq!(body["data"]["runJob"]["forced"], false, "outside production the clock is free: {body}");
    }
}

/// Issue #15 item 2: a `runJob` that outlasts `jobs.wait_secs` answers RUNNING at once and goes on in the
/// background (it used to die with the 30 s HTTP timeout, its row RUNNING forever); polling `jobRuns`
/// shows it SUCCEEDED with its counts.
#[tokio::test]
async fn r13_a_long_run_job_answers_running_and_finishes_in_the_background() {
    for server in servers(|s| {
        s.webhooks.allow_private_networks = true;
        s.webhooks.dispatch_interval_ms = 0;
        s.jobs.wait_secs = 1;
    })
    .await
    {
        let log: Log = Arc::default();
        let slow = axum::Router::new()
            .route(
                "/hook",
                axum::routing::post(|State(log): State<Log>, headers: HeaderMap, body: Bytes| async move {
                    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
                    receive(State(log), headers, body).await
                }),
            )
            .with_state(Arc::clone(&log));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, slow).await });
        let admin = server.token(Role::Admin, "ops");
        let register = r#"mutation($url: String!) { createWebhookEndpoint(input: { url: $url, events: ["*"] }) { id } }"#;
        assert!(server.graphql_as(&admin, register, json!({ "url": url })).await["errors"].is_null());
        events::append(
            &server.db.conn,
            events::NewEvent { event_type: "order.paid", subject: "order:slow".into(), payload: json!({}) },
            chrono::Utc::now(),
        )
        .await
        .unwrap();
        let started = std::time::Instant::now();
        let body = server
            .graphql_as(&admin, "mutation { runJob(name: DISPATCH_WEBHOOKS) { id status } }", json!({}))
            .await;
        assert_eq!(body["data"]["runJob"]["status"], "RUNNING", "{}: {body}", server.label());
        assert!(started.elapsed() < std::time::Duration::from_secs(3), "answered before the work ended");
        let id = body["data"]["runJob"]["id"].clone();
        let mut finished = Value::Null;
        for _ in 0..50 {
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
            let runs = server
                .graphql_as(&admin, "{ jobRuns(name: DISPATCH_WEBHOOKS) { id status processed } }", json!({}))
                .await;
            let run =
                runs["data"]["jobRuns"].as_array().unwrap().iter().find(|r| r["id"] == id).cloned().unwrap();
            if run["status"] != "RUNNING" {
                finished = run;
                break;
            }
        }
        assert_eq!(finished["status"], "SUCCEEDED", "{finished}");
        assert_eq!(finished["processed"], 1, "{finished}");
        assert_eq!(log.lock().unwrap().len(), 1);
    }
}

/// Issue #15: the breaker of an endpoint that gives no response holds across `DISPATCH_WEBHOOKS` runs (one
/// dispatcher per process, shared by the job and the in-server loop): a second run does not knock on it again.
#[tokio::test]
async fn r12_the_breaker_of_a_silent_endpoint_holds_across_dispatch_runs() {
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}/hook", listener.local_addr().unwrap())
    };
    let configure = |s: &mut platform_core::Settings| {
        s.webhooks.allow_private_networks = true;
        s.webhooks.retry_schedule_secs = vec![0; 8];
    };
    for server in servers(configure).await {
        let admin = server.token(Role::Admin, "ops");
        let register = r#"mutation($url: String!) { createWebhookEndpoint(input: { url: $url, events: ["*"] }) { id } }"#;
        assert!(server.graphql_as(&admin, register, json!({ "url": closed })).await["errors"].is_null());
        let member = r#"mutation { upsertMember(input: { account: "silent@example.com" }) { account } }"#;
        let service = server.token(Role::Service, "ec-backend");
        assert!(server.graphql_as(&service, member, json!({})).await["errors"].is_null());
        let run = r#"mutation { runJob(name: DISPATCH_WEBHOOKS) { status failed } }"#;
        let first = server.graphql_as(&admin, run, json!({})).await;
        assert_eq!(first["data"]["runJob"]["status"], "SUCCEEDED", "{}: {first}", server.label());
        let attempts = "SELECT CAST(COALESCE(SUM(attempts), 0) AS TEXT) FROM webhook_deliveries";
        let after_first = crate::support::text(&server.db.conn, attempts).await.unwrap();
        assert_eq!(after_first, "2", "two silent rounds open the breaker");
        let second = server.graphql_as(&admin, run, json!({})).await;
        assert_eq!(second["data"]["runJob"]["status"], "SUCCEEDED", "{second}");
        assert_eq!(
            crate::support::text(&server.db.conn, attempts).await.unwrap(),
            after_first,
            "the second run skips the endpoint: its breaker is still open"
        );
    }
}

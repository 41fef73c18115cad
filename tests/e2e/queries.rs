//! Issue #15: nested objects are loaded with DataLoaders, so the database queries of a page of orders
//! with its members, payers and lines do not grow with the page size.

use crate::orders::{CREATE, order_input};
use crate::support::{TEST_SECRET, today};
use members::Role;
use platform_core::Settings;
use platform_core::settings::Secret;
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

const PAGE: &str = r#"query($first: Int!) { orders(first: $first) { edges { node {
    orderNo member { account } payer { customerNo name parentCustomerNo } lines { itemNo amount } } } } }"#;

async fn post(client: &reqwest::Client, base: &str, token: &str, query: &str, variables: Value) -> Value {
    client
        .post(format!("{base}/graphql"))
        .bearer_auth(token)
        .json(&json!({ "query": query, "variables": variables }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_page_of_orders_costs_the_same_queries_whatever_its_size() {
    platform::install_tls_provider();
    for db in test_support::databases().await {
        catalog::demo::load(&db.conn, today()).await.unwrap();
        let mut settings = Settings { listen: "127.0.0.1:0".parse().unwrap(), ..Settings::default() };
        settings.auth.secret = Some(Secret::new(TEST_SECRET));
        let queries = Arc::new(AtomicUsize::new(0));
        let mut conn = sea_orm::Database::connect(db.url.as_str()).await.unwrap();
        let counter = Arc::clone(&queries);
        conn.set_metric_callback(move |_| {
            counter.fetch_add(1, Ordering::SeqCst);
        });
        let services = jobs::JobContext::new(conn, Arc::new(settings.clone())).unwrap();
        let (auth, _) = platform::auth::authenticator(&settings).unwrap();
        let server = platform::http::Server::bind(&settings, &services, auth).await.unwrap();
        let base = format!("http://{}", server.local_addr().unwrap());
        tokio::spawn(server.run(std::future::pending::<()>()));
        let client = reqwest::Client::new();
        let admin = platform::auth::mint(&settings, Role::Admin, "ops", Duration::from_secs(600)).unwrap();
        let service = platform::auth::mint(&settings, Role::Service, "ec", Duration::from_secs(600)).unwrap();

        for n in 0..50 {
            let account = format!("reader{n}@example.com");
            let member = r#"mutation($a: String!) { upsertMember(input: { account: $a }) { account } }"#;
            let upserted = post(&client, &base, &service, member, json!({ "a": account })).await;
            assert!(upserted["errors"].is_null(), "{upserted}");
            let mut input =
                order_input(&format!("page-{n}"), json!([{ "itemNo": "GC18080026", "amount": 3480 }]));
            input["memberAccount"] = json!(account);
            input["payer"]["email"] = json!(format!("payer{n}@example.com"));
            let created = post(&client, &base, &service, CREATE, json!({ "input": input })).await;
            assert!(created["errors"].is_null(), "{created}");
        }

        // The fewest of three requests: a DataLoader batches the keys that arrive within a millisecond, and
        // on a machine busy with other tests one batch may split in two; a query per row would not.
        let mut cost = Vec::new();
        for first in [10, 50] {
            let mut fewest = usize::MAX;
            for _ in 0..3 {
                queries.store(0, Ordering::SeqCst);
                let page = post(&client, &base, &admin, PAGE, json!({ "first": first })).await;
                fewest = fewest.min(queries.load(Ordering::SeqCst));
                assert!(page["errors"].is_null(), "{page}");
                let edges = page["data"]["orders"]["edges"].as_array().unwrap();
                assert_eq!(edges.len(), first);
                assert!(
                    edges.iter().all(|e| e["node"]["member"]["account"].is_string()
                        && e["node"]["payer"]["name"].is_string())
                );
            }
            cost.push(fewest);
        }
        assert_eq!(cost[0], cost[1], "{}: queries of a page of 10 and of 50", db.label());
        assert!(
            cost[1] <= 6,
            "{}: a page of 50 orders with member, payer and lines took {} queries",
            db.label(),
            cost[1]
        );
    }
}

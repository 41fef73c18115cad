//! Starting servers and talking GraphQL to them.

use chrono::NaiveDate;
use platform_core::Settings;
use serde_json::{Value, json};
use test_support::TestDb;
use tokio::sync::oneshot;

/// The business date the demo catalog is loaded for.
pub(crate) fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 22).unwrap()
}

/// A running server over its own database with the demo catalog.
pub(crate) struct TestServer {
    pub(crate) base: String,
    pub(crate) db: TestDb,
    client: reqwest::Client,
    stop: Option<oneshot::Sender<()>>,
}

/// One server per backend under test, with `configure` applied to default settings.
pub(crate) async fn servers(configure: impl Fn(&mut Settings)) -> Vec<TestServer> {
    let mut all = Vec::new();
    for db in test_support::databases().await {
        catalog::demo::load(&db.conn, today()).await.unwrap();
        let mut settings = Settings { listen: "127.0.0.1:0".parse().unwrap(), ..Settings::default() };
        configure(&mut settings);
        let server = platform::http::Server::bind(&settings, db.conn.clone()).await.unwrap();
        let base = format!("http://{}", server.local_addr().unwrap());
        let (stop, stopped) = oneshot::channel::<()>();
        tokio::spawn(server.run(async {
            let _ = stopped.await;
        }));
        all.push(TestServer { base, db, client: reqwest::Client::new(), stop: Some(stop) });
    }
    all
}

impl TestServer {
    pub(crate) fn label(&self) -> &'static str {
        self.db.label()
    }

    /// POSTs a GraphQL request and returns the JSON body (any HTTP status).
    pub(crate) async fn graphql(&self, query: &str, variables: Value) -> Value {
        self.post_json(json!({ "query": query, "variables": variables })).await.1
    }

    pub(crate) async fn post_json(&self, body: Value) -> (u16, Value) {
        let response = self.client.post(format!("{}/graphql", self.base)).json(&body).send().await.unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap())
    }

    pub(crate) async fn get(&self, path: &str) -> (u16, String) {
        let response = self.client.get(format!("{}{path}", self.base)).send().await.unwrap();
        let status = response.status().as_u16();
        (status, response.text().await.unwrap())
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// The codes of a response's errors.
pub(crate) fn error_codes(body: &Value) -> Vec<String> {
    body["errors"]
        .as_array()
        .map(|errors| {
            errors.iter().map(|e| e["extensions"]["code"].as_str().unwrap_or("<none>").to_owned()).collect()
        })
        .unwrap_or_default()
}

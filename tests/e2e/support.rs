//! Starting servers and talking GraphQL to them.

use chrono::NaiveDate;
use members::Role;
use platform_core::Settings;
use platform_core::settings::Secret;
use serde_json::{Value, json};
use std::time::Duration;
use test_support::TestDb;
use tokio::sync::oneshot;

/// The business date the demo catalog is loaded for.
pub(crate) fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 22).unwrap()
}

/// The HS256 secret of test servers.
pub(crate) const TEST_SECRET: &str = "test-secret-of-at-least-thirty-two-bytes";

/// A running server over its own database with the demo catalog.
pub(crate) struct TestServer {
    pub(crate) base: String,
    pub(crate) db: TestDb,
    pub(crate) settings: Settings,
    client: reqwest::Client,
    stop: Option<oneshot::Sender<()>>,
}

/// One server per backend under test, with `configure` applied to default settings.
pub(crate) async fn servers(configure: impl Fn(&mut Settings)) -> Vec<TestServer> {
    platform::install_tls_provider();
    let mut all = Vec::new();
    for db in test_support::databases().await {
        catalog::demo::load(&db.conn, today()).await.unwrap();
        let mut settings = Settings { listen: "127.0.0.1:0".parse().unwrap(), ..Settings::default() };
        settings.auth.secret = Some(Secret::new(TEST_SECRET));
        configure(&mut settings);
        let (auth, _) = platform::auth::authenticator(&settings).unwrap();
        let services = jobs::JobContext::new(db.conn.clone(), std::sync::Arc::new(settings.clone())).unwrap();
        let server = platform::http::Server::bind(&settings, &services, auth).await.unwrap();
        let base = format!("http://{}", server.local_addr().unwrap());
        let (stop, stopped) = oneshot::channel::<()>();
        tokio::spawn(server.run(async {
            let _ = stopped.await;
        }));
        all.push(TestServer { base, db, settings, client: reqwest::Client::new(), stop: Some(stop) });
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

    /// POSTs a GraphQL request with `Authorization: Bearer <token>` and returns the JSON body.
    pub(crate) async fn graphql_as(&self, token: &str, query: &str, variables: Value) -> Value {
        self.post_json_as(Some(token), json!({ "query": query, "variables": variables })).await.1
    }

    /// A valid token of this server for `role` and `subject`, for an hour.
    pub(crate) fn token(&self, role: Role, subject: &str) -> String {
        platform::auth::mint(&self.settings, role, subject, Duration::from_secs(3600)).unwrap()
    }

    pub(crate) async fn post_json(&self, body: Value) -> (u16, Value) {
        self.post_json_as(None, body).await
    }

    pub(crate) async fn post_json_as(&self, token: Option<&str>, body: Value) -> (u16, Value) {
        let mut request = self.client.post(format!("{}/graphql", self.base)).json(&body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.unwrap();
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

/// One text value of the first row of `sql` (`None` without a row or for NULL).
pub(crate) async fn text(db: &sea_orm::DatabaseConnection, sql: &str) -> Option<String> {
    use sea_orm::ConnectionTrait;
    let row = db
        .query_one_raw(sea_orm::Statement::from_string(db.get_database_backend(), sql.to_owned()))
        .await
        .unwrap()?;
    row.try_get_by_index::<Option<String>>(0).unwrap()
}

/// Runs the real `platform` binary in `folder` with `args` (logs at warn): whether it succeeded, and its
/// standard output followed by its standard error.
pub(crate) fn platform_cli(folder: &std::path::Path, args: &[&str]) -> (bool, String) {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_platform"))
        .current_dir(folder)
        .env("PLATFORM_LOG__FILTER", "warn")
        .args(args)
        .output()
        .unwrap();
    let text =
        format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    (output.status.success(), text)
}

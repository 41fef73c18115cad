//! The console and GraphiQL in a real headless Chromium (SPEC §6), driven over WebDriver by ChromeDriver,
//! both from Debian's packages (`apt-get install chromium chromium-driver`; `.ci/run` installs them). Without
//! them the test says so and passes, unless `REQUIRE_CHROMIUM=1` (as in CI), where it fails.
//!
//! One visit per database: log in through the form, compare the Today page with `opsReport`, assign and
//! resolve a follow-up through its forms, find the SVG charts, search an order and reach its timeline, run
//! the seed's promotion query in GraphiQL, and check from the browser's own network log that no request
//! went to any other host. Screenshots at 1280 and 390 px wide go to `<target>/tmp/console-screenshots/`.

use crate::orders::{CREATE, PAY, order_input};
use crate::support::{TestServer, servers};
use fantoccini::{Client, ClientBuilder, Locator};
use members::Role;
use serde_json::{Value, json};
use std::process::Stdio;
use std::time::Duration;

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// A ChromeDriver process and a browser session through it; the driver dies with this.
struct Browser {
    client: Client,
    driver_url: String,
    _driver: Driver,
    _profile: tempfile::TempDir,
}

/// The ChromeDriver process, killed when dropped.
struct Driver(std::process::Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A browser, or `None` (with a note) where Chromium is not installed and not required.
async fn browser() -> Option<Browser> {
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| CHROMIUM.to_owned());
    let chromedriver = std::env::var("CHROMEDRIVER").unwrap_or_else(|_| CHROMEDRIVER.to_owned());
    if !std::path::Path::new(&chromium).exists() || !std::path::Path::new(&chromedriver).exists() {
        assert!(
            std::env::var("REQUIRE_CHROMIUM").as_deref() != Ok("1"),
            "REQUIRE_CHROMIUM=1 but {chromium} or {chromedriver} is missing (apt-get install chromium chromium-driver)"
        );
        eprintln!("browser tests skipped: {chromium} / {chromedriver} not installed");
        return None;
    }
    platform::install_tls_provider();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let driver = Driver(
        std::process::Command::new(&chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let driver_url = format!("http://127.0.0.1:{port}");
    for _ in 0..100 {
        if reqwest::get(format!("{driver_url}/status")).await.is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let profile = tempfile::tempdir().unwrap();
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".to_owned(),
        json!({
            "binary": chromium,
            "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-quic", "--no-first-run", "--disable-extensions", "--window-size=1280,1000",
                format!("--user-data-dir={}", profile.path().display()),
            ],
        }),
    );
    caps.insert("goog:loggingPrefs".to_owned(), json!({ "performance": "ALL" }));
    let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(&driver_url)
        .await
        .unwrap();
    Some(Browser { client, driver_url, _driver: driver, _profile: profile })
}

impl Browser {
    /// Every URL the browser has requested since the last call (its performance log's
    /// `Network.requestWillBeSent`).
    async fn requested_urls(&self) -> Vec<String> {
        let session = self.client.session_id().await.unwrap().unwrap();
        let log: Value = reqwest::Client::new()
            .post(format!("{}/session/{session}/se/log", self.driver_url))
            .json(&json!({ "type": "performance" }))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        log["value"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|entry| serde_json::from_str::<Value>(entry["message"].as_str()?).ok())
            .filter(|m| m["message"]["method"] == "Network.requestWillBeSent")
            .filter_map(|m| m["message"]["params"]["request"]["url"].as_str().map(str::to_owned))
            .collect()
    }

    async fn text(&self, css: &str) -> String {
        self.client.wait().for_element(Locator::Css(css)).await.unwrap().text().await.unwrap()
    }

    /// Waits (up to 10 s) for the element's text to become `expected` (a form post's page to load).
    async fn until_text(&self, css: &str, expected: &str) {
        let mut seen = String::new();
        for _ in 0..100 {
            if let Ok(element) = self.client.find(Locator::Css(css)).await
                && let Ok(text) = element.text().await
            {
                if text == expected {
                    return;
                }
                seen = text;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("{css} shows {seen:?}, not {expected:?}");
    }

    async fn goto(&self, base: &str, path: &str) {
        self.client.goto(&format!("{base}{path}")).await.unwrap();
    }

    async fn fill(&self, css: &str, value: &str) {
        self.client.find(Locator::Css(css)).await.unwrap().send_keys(value).await.unwrap();
    }

    async fn click(&self, css: &str) {
        self.client.find(Locator::Css(css)).await.unwrap().click().await.unwrap();
    }

    /// Screenshots of the page at 1280 and 390 px wide, as `<label>-<name>-<width>.png`.
    async fn screenshots(&self, label: &str, name: &str) {
        let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("console-screenshots");
        std::fs::create_dir_all(&dir).unwrap();
        for (width, height) in [(1280, 1000), (390, 844)] {
            self.client.set_window_size(width, height).await.unwrap();
            let png = self.client.screenshot().await.unwrap();
            assert!(png.starts_with(b"\x89PNG"), "a PNG");
            std::fs::write(dir.join(format!("{label}-{name}-{width}.png")), png).unwrap();
        }
        self.client.set_window_size(1280, 1000).await.unwrap();
    }
}

/// Moves a row's timestamp column to `at` (a fixture the API cannot make: what happened yesterday).
pub(crate) async fn move_to(
    server: &TestServer,
    table: &str,
    column: &str,
    at: chrono::DateTime<chrono::Utc>,
) {
    use sea_orm::ConnectionTrait;
    let db = &server.db.conn;
    let sql = format!("UPDATE {table} SET {column} = $1");
    db.execute_raw(sea_orm::Statement::from_sql_and_values(db.get_database_backend(), sql, [at.into()]))
        .await
        .unwrap();
}

/// A day of business: yesterday 8 renewals charged and 4 declined (their AUTO orders and the follow-ups
/// of the final failures), today two EC orders, one paid. Returns today's paid order number.
pub(crate) async fn business(server: &TestServer) -> String {
    let db = &server.db.conn;
    let calendar = platform_core::BusinessCalendar::from(&server.settings);
    let now = chrono::Utc::now();
    let today = calendar.date_of(now);
    let yesterday_noon = calendar.start_of(today.pred_opt().unwrap()) + chrono::Duration::hours(12);
    let ctx = jobs::JobContext::new(db.clone(), std::sync::Arc::new(server.settings.clone())).unwrap();
    let input =
        members::CustomerInput { name: members::Change::Set("王小明".into()), ..Default::default() };
    let (customer, _) = members::service::upsert_customer(db, input, now).await.unwrap();
    for (count, token) in [(8, "tok_ok_4242"), (4, "tok_decline_0002")] {
        let seed = ::renewals::bulk::Seed {
            customer_no: &customer.customer_no,
            account: None,
            promotion_code: "GC18080026",
            count,
            deduct_date: today,
            payment_token: Some(token),
        };
        ::renewals::bulk::seed_due(db, seed, now).await.unwrap();
    }
    let request = jobs::RunRequest { as_of: Some(today), force: true, requested_by: "test".into() };
    let run = jobs::run(&ctx, jobs::JobName::ChargeRenewals, request, now).await.unwrap();
    assert_eq!(run.error, None);
    for (table, column) in
        [("renewal_charges", "settled_at"), ("orders", "created_at"), ("follow_ups", "opened_at")]
    {
        move_to(server, table, column, yesterday_noon).await;
    }
    let service = server.token(Role::Service, "ec");
    let mut paid = String::new();
    for (key, pay) in [("console-1", true), ("console-2", false)] {
        let input = order_input(key, json!([{ "itemNo": "GC18080026", "amount": 3480 }]));
        let created = server.graphql_as(&service, CREATE, json!({ "input": input })).await;
        let order_no = created["data"]["createOrder"]["orderNo"].as_str().unwrap().to_owned();
        if pay {
            let payment =
                json!({ "orderNo": order_no, "transactionId": "EC-9", "status": "PAID", "amount": 3480 });
            assert!(server.graphql_as(&service, PAY, json!({ "input": payment })).await["errors"].is_null());
            paid = order_no;
        }
    }
    paid
}

fn figure(report: &Value, name: &str) -> u64 {
    report["counts"].as_array().unwrap().iter().find(|c| c["name"] == name).unwrap()["value"]
        .as_u64()
        .unwrap()
}

/// `95.5` → `95.5%`, none → `—`, as the console shows a rate.
fn pct(rate: Option<f64>) -> String {
    rate.map_or_else(|| "—".to_owned(), |r| format!("{r:.1}%"))
}

#[tokio::test]
async fn r16_r17_the_console_in_a_real_browser_shows_the_report_works_the_queue_and_loads_nothing_from_outside()
 {
    let Some(browser) = browser().await else { return };
    for server in servers(|_| {}).await {
        let label = server.label();
        let base = server.base.clone();
        let order_no = business(&server).await;
        // What the previous visit left in the log is not this server's.
        browser.requested_urls().await;
        let admin = server.token(Role::Admin, "ops-mei");

        // Log in through the form.
        browser.goto(&base, "/ops/login").await;
        browser.screenshots(label, "login").await;
        browser.fill("#token", &admin).await;
        browser.click("#login").await;
        browser.client.wait().for_url(&url::Url::parse(&format!("{base}/ops")).unwrap()).await.unwrap();
        assert!(
            !browser.client.current_url().await.unwrap().as_str().contains(&admin),
            "no token in the URL"
        );

        // Today shows what opsReport says of the same data.
        let q = "query($d: Date) { opsReport(date: $d) { counts { name value } chargeSuccessRate } }";
        let calendar = platform_core::BusinessCalendar::from(&server.settings);
        let today = calendar.date_of(chrono::Utc::now());
        let yesterday = today.pred_opt().unwrap();
        let body = server.graphql_as(&admin, q, json!({ "d": yesterday.to_string() })).await;
        let report = &body["data"]["opsReport"];
        assert_eq!((figure(report, "charged"), figure(report, "chargeFailed")), (8, 4), "{label}: {body}");
        assert_eq!(browser.text("#yesterday-charged").await, "8");
        assert_eq!(browser.text("#yesterday-failed").await, "4");
        assert_eq!(
            browser.text("#yesterday-charge-success-rate").await,
            pct(report["chargeSuccessRate"].as_f64())
        );
        assert_eq!(browser.text("#yesterday-orders").await, figure(report, "orders").to_string());
        let opened = figure(report, "followUpsOpened");
        assert_eq!(browser.text("#yesterday-follow-ups").await, opened.to_string());
        let rate = (opened as f64) * 100.0 / figure(report, "orders") as f64;
        assert_eq!(browser.text("#yesterday-follow-up-rate").await, pct(Some(rate)));
        let body = server.graphql_as(&admin, q, json!({ "d": today.to_string() })).await;
        assert_eq!(
            browser.text("#today-orders").await,
            figure(&body["data"]["opsReport"], "orders").to_string()
        );
        let charge_card =
            browser.client.find(Locator::Css("[data-figure=charge-success-rate]")).await.unwrap();
        assert!(
            charge_card.attr("class").await.unwrap().unwrap().contains("high"),
            "8 of 12 is below the 90% threshold: coloured HIGH"
        );
        browser.screenshots(label, "today").await;

        // A follow-up of a final failure, assigned and resolved through the forms.
        browser.goto(&base, "/ops/follow-ups").await;
        browser.screenshots(label, "follow-ups").await;
        let first = browser.client.find(Locator::Css("#follow-ups tbody tr td a")).await.unwrap();
        let id = first.text().await.unwrap();
        first.click().await.unwrap();
        assert_eq!(browser.text("#follow-up-status").await, "OPEN");
        browser.fill("#assign-form input[name=text]", "mei").await;
        browser.click("#assign").await;
        browser.until_text("#follow-up-status", "IN_PROGRESS").await;
        assert_eq!(browser.text("#follow-up-assignee").await, "mei");
        browser.screenshots(label, "follow-up").await;
        browser.fill("#resolve-form input[name=text]", "card updated by phone").await;
        browser.click("#resolve").await;
        browser.until_text("#follow-up-status", "RESOLVED").await;
        let check = server
            .graphql_as(
                &admin,
                "query($id: ID!) { followUp(id: $id) { status assignee resolution } }",
                json!({ "id": id }),
            )
            .await;
        assert_eq!(check["data"]["followUp"]["status"], "RESOLVED", "{check}");
        assert_eq!(check["data"]["followUp"]["assignee"], "mei");

        // Charts drawn on the server.
        browser.goto(&base, "/ops/trends").await;
        assert_eq!(browser.client.find_all(Locator::Css("svg.chart")).await.unwrap().len(), 3);
        browser.screenshots(label, "trends").await;
        browser.goto(&base, "/ops/forecast").await;
        assert_eq!(browser.client.find_all(Locator::Css("svg.chart")).await.unwrap().len(), 1);
        browser.screenshots(label, "forecast").await;
        browser.goto(&base, "/ops/jobs").await;
        browser.screenshots(label, "jobs").await;

        // Search an order number: its page and timeline.
        browser.goto(&base, "/ops").await;
        browser.fill("form.search input[name=q]", &order_no).await;
        browser.click("form.search button").await;
        let url = url::Url::parse(&format!("{base}/ops/orders/{order_no}")).unwrap();
        browser.client.wait().for_url(&url).await.unwrap();
        let timeline = browser.text("#timeline").await;
        assert!(timeline.contains("order.created") && timeline.contains("order.paid"), "{timeline}");
        browser.screenshots(label, "order").await;

        // GraphiQL renders from this server's assets and runs the seed's promotion query.
        let query = r#"{ promotion(promotionCode: "GC18080026") { totalAmount promotionItems { sellingPrice item { itemNo name } } } }"#;
        let path = format!(
            "/graphql?query={}",
            url::form_urlencoded::byte_serialize(query.as_bytes()).collect::<String>()
        );
        browser.goto(&base, &path).await;
        browser
            .client
            .wait()
            .for_element(Locator::Css(".graphiql-execute-button"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        let mut result = String::new();
        for _ in 0..100 {
            result = browser.client.find(Locator::Css(".result-window")).await.unwrap().text().await.unwrap();
            if result.contains("totalAmount") {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let shown: Value = serde_json::from_str(&result).unwrap_or_else(|e| panic!("{label}: {e}: {result}"));
        assert_eq!(shown, server.graphql(query, json!({})).await, "GraphiQL shows what the API answers");
        assert!(shown["data"]["promotion"]["totalAmount"].is_i64(), "{shown}");
        browser.screenshots(label, "graphiql").await;

        // Nothing but this server was asked for anything.
        let urls = browser.requested_urls().await;
        assert!(
            urls.iter().any(|u| u.contains("/assets/graphiql-3.9.0.min.js")),
            "the log holds the requests: {urls:?}"
        );
        let origin = url::Url::parse(&base).unwrap();
        for requested in &urls {
            let parsed = url::Url::parse(requested).unwrap();
            let local = parsed.host_str() == origin.host_str() && parsed.port() == origin.port();
            // The browser's own pages (its new-tab page, chrome://…) never reach the network.
            let internal = ["data", "about", "blob", "chrome"].contains(&parsed.scheme());
            assert!(local || internal, "{label}: a request to {requested}");
        }

        // Log out for the next database's visit.
        browser.goto(&base, "/ops").await;
        browser.click("form.logout button").await;
        browser.client.wait().for_element(Locator::Css("#token")).await.unwrap();
    }
    browser.client.close().await.unwrap();
}

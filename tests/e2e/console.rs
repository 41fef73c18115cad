//! The operators' console over HTTP (SPEC §6): who gets in (admin tokens and one-time links only, from
//! the allowed networks), the session cookie's attributes and expiry, CSRF on every form, and GraphiQL's
//! assets served from the binary with immutable cache headers. The pages themselves are driven in a real
//! browser in `browser.rs`.

use crate::support::{TestServer, servers};
use members::Role;
use reqwest::redirect::Policy;
use reqwest::{Response, StatusCode};

/// Every page of the console (GET) and every form (POST, with a placeholder id).
pub(crate) const PAGES: [&str; 10] = [
    "/ops",
    "/ops/trends",
    "/ops/forecast",
    "/ops/follow-ups",
    "/ops/follow-ups/1",
    "/ops/jobs",
    "/ops/search?q=x",
    "/ops/orders/X",
    "/ops/customers/X",
    "/ops/members/x@example.com",
];
const FORMS: [&str; 5] = [
    "/ops/follow-ups/1/assign",
    "/ops/follow-ups/1/note",
    "/ops/follow-ups/1/resolve",
    "/ops/follow-ups/1/dismiss",
    "/ops/logout",
];

/// A browser-like client of one server: no redirects followed, cookies kept by hand.
pub(crate) struct Visitor {
    base: String,
    client: reqwest::Client,
    cookies: Vec<(String, String)>,
}

impl Visitor {
    pub(crate) fn new(server: &TestServer) -> Visitor {
        Visitor::at(&server.base)
    }

    /// A visitor of the server at `base` (`http://127.0.0.1:<port>`).
    pub(crate) fn at(base: &str) -> Visitor {
        let client = reqwest::Client::builder().redirect(Policy::none()).build().unwrap();
        Visitor { base: base.to_owned(), client, cookies: Vec::new() }
    }

    fn cookie_header(&self) -> String {
        self.cookies.iter().map(|(n, v)| format!("{n}={v}")).collect::<Vec<_>>().join("; ")
    }

    fn keep(&mut self, response: &Response) {
        for value in response.headers().get_all("set-cookie") {
            let raw = value.to_str().unwrap();
            let (name, rest) = raw.split_once('=').unwrap();
            let value = rest.split(';').next().unwrap().to_owned();
            self.cookies.retain(|(n, _)| n != name);
            if !raw.contains("Max-Age=0") {
                self.cookies.push((name.to_owned(), value));
            }
        }
    }

    pub(crate) fn cookie(&self, name: &str) -> Option<String> {
        self.cookies.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone())
    }

    pub(crate) fn set_cookie(&mut self, name: &str, value: &str) {
        self.cookies.retain(|(n, _)| n != name);
        self.cookies.push((name.to_owned(), value.to_owned()));
    }

    pub(crate) async fn get(&mut self, path: &str) -> Response {
        let response = self
            .client
            .get(format!("{}{path}", self.base))
            .header("cookie", self.cookie_header())
            .send()
            .await
            .unwrap();
        self.keep(&response);
        response
    }

    pub(crate) async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Response {
        self.post_with(path, form, &[]).await
    }

    async fn post_with(&mut self, path: &str, form: &[(&str, &str)], headers: &[(&str, &str)]) -> Response {
        let body = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(form).finish();
        let mut request = self
            .client
            .post(format!("{}{path}", self.base))
            .header("cookie", self.cookie_header())
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = request.send().await.unwrap();
        self.keep(&response);
        response
    }

    /// The login form's CSRF token (GET /ops/login sets its cookie).
    pub(crate) async fn login_csrf(&mut self) -> String {
        let page = self.get("/ops/login").await.text().await.unwrap();
        hidden(&page, "csrf")
    }

    /// Logs in with `token`; the response to the form post.
    pub(crate) async fn login(&mut self, token: &str) -> Response {
        let csrf = self.login_csrf().await;
        self.post("/ops/login", &[("token", token), ("csrf", csrf.as_str())]).await
    }

    /// The session's CSRF token, read off a page's logout form.
    pub(crate) async fn csrf(&mut self) -> String {
        let page = self.get("/ops/jobs").await.text().await.unwrap();
        hidden(&page, "csrf")
    }
}

/// The value of the first hidden input named `name` in `html`.
pub(crate) fn hidden(html: &str, name: &str) -> String {
    let marker = format!(r#"name="{name}" value=""#);
    let start = html.find(&marker).unwrap_or_else(|| panic!("no hidden {name} in {html}")) + marker.len();
    html[start..].split('"').next().unwrap().to_owned()
}

fn location(response: &Response) -> String {
    response.headers().get("location").map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default()
}

#[tokio::test]
async fn console_routes_need_a_session_and_only_an_admin_token_opens_one() {
    for server in servers(|_| {}).await {
        let mut visitor = Visitor::new(&server);
        for page in PAGES {
            let response = visitor.get(page).await;
            assert_eq!(response.status(), StatusCode::SEE_OTHER, "{}: GET {page}", server.label());
            assert_eq!(location(&response), "/ops/login", "GET {page}");
        }
        for form in FORMS {
            let response = visitor.post(form, &[("csrf", "x"), ("text", "x")]).await;
            assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "POST {form}");
        }
        // Member and service tokens, a token of another key and garbage do not log in.
        let sessions_before = test_support::count(&server.db.conn, "console_sessions").await;
        for (token, status) in [
            (server.token(Role::Member, "reader@example.com"), StatusCode::FORBIDDEN),
            (server.token(Role::Service, "ec-backend"), StatusCode::FORBIDDEN),
            ("not-a-token".to_owned(), StatusCode::UNAUTHORIZED),
        ] {
            let response = visitor.login(&token).await;
            assert_eq!(response.status(), status, "{}", server.label());
            assert!(visitor.cookie("ops_session").is_none());
            let page = response.text().await.unwrap();
            assert!(!page.contains(&token) || token == "not-a-token", "the token is not echoed");
        }
        assert_eq!(test_support::count(&server.db.conn, "console_sessions").await, sessions_before);

        // The login form itself needs its CSRF token.
        let admin = server.token(Role::Admin, "ops-mei");
        visitor.get("/ops/login").await;
        let forged = visitor.post("/ops/login", &[("token", admin.as_str())]).await;
        assert_eq!(forged.status(), StatusCode::FORBIDDEN);
        assert!(visitor.cookie("ops_session").is_none());

        // An admin token opens a session; the token is not in the URL it is sent on to.
        let response = visitor.login(&admin).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        assert_eq!(location(&response), "/ops");
        let cookie = response
            .headers()
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .find(|c| c.starts_with("ops_session="))
            .unwrap();
        for attribute in ["HttpOnly", "SameSite=Strict", "Path=/ops", "Max-Age=28800"] {
            assert!(cookie.contains(attribute), "{cookie} has {attribute}");
        }
        assert!(!cookie.contains("Secure"), "plain HTTP outside production: {cookie}");
        for page in PAGES {
            let response = visitor.get(page).await;
            assert!(
                [StatusCode::OK, StatusCode::NOT_FOUND].contains(&response.status()),
                "{}: GET {page} with a session: {}",
                server.label(),
                response.status()
            );
            assert_eq!(response.headers()["cache-control"], "no-store");
            assert!(
                response.headers()["content-security-policy"]
                    .to_str()
                    .unwrap()
                    .contains("default-src 'none'")
            );
        }
        // The database holds the session's hash, never its secret.
        let secret = visitor.cookie("ops_session").unwrap();
        let stored = test_support::count(
            &server.db.conn,
            &format!("console_sessions WHERE key_hash = '{secret}' OR csrf = '{secret}'"),
        )
        .await;
        assert_eq!(stored, 0);

        // Logging out ends the session for good.
        let csrf = visitor.csrf().await;
        let out = visitor.post("/ops/logout", &[("csrf", csrf.as_str())]).await;
        assert_eq!(out.status(), StatusCode::SEE_OTHER);
        visitor.set_cookie("ops_session", &secret);
        assert_eq!(visitor.get("/ops").await.status(), StatusCode::SEE_OTHER);
    }
}

#[tokio::test]
async fn console_forms_without_the_csrf_token_are_refused_and_change_nothing() {
    for server in servers(|_| {}).await {
        let admin = server.token(Role::Admin, "ops-mei");
        let opened = server
            .graphql_as(
                &admin,
                r#"mutation { openFollowUp(kind: OTHER, subject: "customer:C0001", note: "call back") { id } }"#,
                serde_json::json!({}),
            )
            .await;
        let id = opened["data"]["openFollowUp"]["id"].as_str().unwrap().to_owned();
        let mut visitor = Visitor::new(&server);
        visitor.login(&admin).await;
        let events_before = test_support::count(&server.db.conn, "events").await;
        for action in ["assign", "note", "resolve", "dismiss"] {
            let path = format!("/ops/follow-ups/{id}/{action}");
            for csrf in [None, Some("0".repeat(64)), Some(visitor.login_csrf().await)] {
                let mut form = vec![("text", "done")];
                if let Some(csrf) = csrf.as_deref() {
                    form.push(("csrf", csrf));
                }
                let response = visitor.post(&path, &form).await;
                assert_eq!(
                    response.status(),
                    StatusCode::FORBIDDEN,
                    "{}: {action} with {csrf:?}",
                    server.label()
                );
            }
        }
        assert_eq!(test_support::count(&server.db.conn, "events").await, events_before);
        let logout = visitor.post("/ops/logout", &[]).await;
        assert_eq!(logout.status(), StatusCode::FORBIDDEN);
        // With the token the same form works.
        let csrf = visitor.csrf().await;
        let done = visitor
            .post(&format!("/ops/follow-ups/{id}/resolve"), &[("csrf", &csrf), ("text", "called")])
            .await;
        assert_eq!(done.status(), StatusCode::SEE_OTHER);
        assert_eq!(location(&done), format!("/ops/follow-ups/{id}"));
        let again =
            visitor.post(&format!("/ops/follow-ups/{id}/resolve"), &[("csrf", &csrf), ("text", "x")]).await;
        assert_eq!(again.status(), StatusCode::CONFLICT, "resolving twice is refused with why");
        assert!(again.text().await.unwrap().contains("RESOLVED"));
    }
}

#[tokio::test]
async fn console_sessions_expire_and_one_time_links_work_once() {
    for server in servers(|_| {}).await {
        let mut visitor = Visitor::new(&server);
        visitor.login(&server.token(Role::Admin, "ops-mei")).await;
        assert_eq!(visitor.get("/ops").await.status(), StatusCode::OK);
        // The session's end passes.
        test_support::execute(&server.db.conn, "UPDATE console_sessions SET expires_at = created_at").await;
        let expired = visitor.get("/ops").await;
        assert_eq!(expired.status(), StatusCode::SEE_OTHER);
        assert_eq!(location(&expired), "/ops/login?expired=1");

        // A link from `platform ops-link` logs in once.
        let now = chrono::Utc::now();
        let key = ops_console::issue_link(&server.db.conn, "ops-ken", now).await.unwrap();
        let mut first = Visitor::new(&server);
        let page = first.get(&format!("/ops/link/{key}")).await.text().await.unwrap();
        let csrf = hidden(&page, "csrf");
        assert_eq!(hidden(&page, "key"), key);
        let used = first.post("/ops/link", &[("key", key.as_str()), ("csrf", csrf.as_str())]).await;
        assert_eq!(used.status(), StatusCode::SEE_OTHER, "{}", server.label());
        assert_eq!(location(&used), "/ops");
        assert!(first.get("/ops").await.text().await.unwrap().contains("ops-ken"));
        let mut second = Visitor::new(&server);
        let csrf = second.login_csrf().await;
        let again = second.post("/ops/link", &[("key", key.as_str()), ("csrf", csrf.as_str())]).await;
        assert_eq!(again.status(), StatusCode::FORBIDDEN, "a link works once");
        assert!(second.cookie("ops_session").is_none());
        // A link past its ten minutes does not.
        let old = ops_console::issue_link(&server.db.conn, "ops-ken", now - chrono::Duration::minutes(11))
            .await
            .unwrap();
        let late = second.post("/ops/link", &[("key", old.as_str()), ("csrf", csrf.as_str())]).await;
        assert_eq!(late.status(), StatusCode::FORBIDDEN);
    }
}

#[tokio::test]
async fn console_answers_only_the_allowed_networks_and_marks_cookies_secure_behind_https() {
    for server in servers(|s| s.ops.allowed_networks = vec!["10.0.0.0/8".to_owned()]).await {
        let mut visitor = Visitor::new(&server);
        for path in ["/ops/login", "/ops"] {
            let response = visitor.get(path).await;
            assert_eq!(response.status(), StatusCode::FORBIDDEN, "{}: {path} from 127.0.0.1", server.label());
        }
        // Even a well-formed login post (its CSRF cookie and field agree) is refused before anything else.
        let csrf = "a".repeat(64);
        visitor.set_cookie("ops_login", &csrf);
        let admin = server.token(Role::Admin, "ops-mei");
        let response =
            visitor.post("/ops/login", &[("token", admin.as_str()), ("csrf", csrf.as_str())]).await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN);
        assert!(visitor.cookie("ops_session").is_none());
        assert!(response.text().await.unwrap().contains("ops.allowed_networks"));
    }
    for server in servers(|s| s.ops.allowed_networks = vec!["127.0.0.0/8".to_owned()]).await {
        let mut visitor = Visitor::new(&server);
        let csrf = visitor.login_csrf().await;
        let admin = server.token(Role::Admin, "ops-mei");
        let response = visitor
            .post_with(
                "/ops/login",
                &[("token", admin.as_str()), ("csrf", csrf.as_str())],
                &[("x-forwarded-proto", "https")],
            )
            .await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{}", server.label());
        let cookie = response.headers()["set-cookie"].to_str().unwrap().to_owned();
        assert!(cookie.starts_with("ops_session=") && cookie.ends_with("; Secure"), "{cookie}");
    }
}

#[tokio::test]
async fn graphiql_loads_only_assets_of_this_server_cached_as_immutable() {
    for server in servers(|_| {}).await {
        let (status, page) = server.get("/graphql").await;
        assert_eq!(status, 200);
        let sources: Vec<&str> =
            page.split('"').filter(|part| part.ends_with(".js") || part.ends_with(".css")).collect();
        assert_eq!(sources.len(), 5, "{page}");
        for source in sources {
            assert!(source.starts_with("/assets/"), "{source} is served by this server");
            let response = reqwest::get(format!("{}{source}", server.base)).await.unwrap();
            assert_eq!(response.status(), StatusCode::OK, "{source}");
            assert_eq!(response.headers()["cache-control"], "public, max-age=31536000, immutable");
            let body = response.text().await.unwrap();
            assert!(!body.contains("unpkg.com") && !body.contains("cdn.jsdelivr"), "{source}");
        }
        assert!(!page.contains("http://") && !page.contains("https://"), "no absolute URL: {page}");
        assert_eq!(server.get("/assets/nothing.js").await.0, 404);
    }
    for server in servers(|s| s.graphql.graphiql = Some(false)).await {
        assert_eq!(server.get("/graphql").await.0, 404);
    }
}

/// The cells of the row of `table_id` whose first cell is `first`.
fn row_cells(html: &str, table_id: &str, first: &str) -> Vec<String> {
    let table = &html[html.find(&format!(r#"id="{table_id}""#)).unwrap()..];
    let table = &table[..table.find("</table>").unwrap()];
    let start =
        table.find(&format!("<tr><td>{first}</td>")).unwrap_or_else(|| panic!("no row {first} in {table}"));
    let row = &table[start..];
    let row = &row[..row.find("</tr>").unwrap()];
    row.split("<td")
        .skip(1)
        .map(|cell| cell[cell.find('>').unwrap() + 1..cell.find("</td>").unwrap()].to_owned())
        .collect()
}

#[tokio::test]
async fn r16_trends_count_each_day_as_the_report_does() {
    for server in servers(|_| {}).await {
        crate::browser::business(&server).await;
        let calendar = platform_core::BusinessCalendar::from(&server.settings);
        let today = calendar.date_of(chrono::Utc::now());
        let admin = server.token(Role::Admin, "ops-mei");
        let mut visitor = Visitor::new(&server);
        visitor.login(&admin).await;
        let page = visitor.get("/ops/trends").await.text().await.unwrap();
        let q = "query($d: Date) { opsReport(date: $d) { counts { name value } chargeSuccessRate chargedAmount } }";
        for back in 0..3 {
            let day = today - chrono::Days::new(back);
            let body = server.graphql_as(&admin, q, serde_json::json!({ "d": day.to_string() })).await;
            let report = &body["data"]["opsReport"];
            let figure = |name: &str| {
                report["counts"].as_array().unwrap().iter().find(|c| c["name"] == name).unwrap()["value"]
                    .clone()
            };
            let cells = row_cells(&page, "trend-table", &day.to_string());
            let rate = report["chargeSuccessRate"].as_f64().map_or("—".to_owned(), |r| format!("{r:.1}%"));
            let amount = report["chargedAmount"].as_i64().unwrap();
            assert_eq!(cells[1], figure("orders").to_string(), "{}: {day} orders", server.label());
            assert_eq!(cells[3], figure("charged").to_string(), "{day} charged");
            assert_eq!(cells[4], figure("chargeFailed").to_string(), "{day} declined");
            assert_eq!(cells[5], rate, "{day} rate");
            assert_eq!(cells[6].replace(',', ""), format!("NT${amount}"), "{day} amount");
        }
        let yesterday = row_cells(&page, "trend-table", &(today - chrono::Days::new(1)).to_string());
        assert_eq!((yesterday[1].as_str(), yesterday[3].as_str(), yesterday[4].as_str()), ("12", "8", "4"));
        assert_eq!(row_cells(&page, "trend-table", &today.to_string())[1], "2");
        assert_eq!(page.matches("<svg class=\"chart\"").count(), 3);
    }
}

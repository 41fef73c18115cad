//! R21 order transfer over HTTP (seed 004 付款成功後流程): a paid order whose entitlements are all computed
//! reaches the ERP as `order.ready` (a real webhook receiver stands in for the ERP), the ERP confirms it
//! with its own number, and `order.confirmed` reaches the EC's receiver; orders the ERP leaves unconfirmed
//! get one follow-up. SQLite and PostgreSQL.

use crate::orders::{CREATE, PAY, create_member, order_input};
use crate::support::{TestServer, error_codes, servers};
use members::Role;
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use test_support::count;

type Log = Arc<Mutex<Vec<Value>>>;

/// A receiver keeping the bodies it is sent.
async fn receiver() -> (String, Log) {
    let log: Log = Arc::default();
    let keep = Arc::clone(&log);
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |body: axum::body::Bytes| {
            let keep = Arc::clone(&keep);
            async move {
                keep.lock().unwrap().push(serde_json::from_slice(&body).unwrap_or(Value::Null));
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, log)
}

async fn subscribe(server: &TestServer, url: &str, events: &[&str]) {
    let admin = server.token(Role::Admin, "ops");
    let register = r#"mutation($url: String!, $events: [String!]!) { createWebhookEndpoint(input: { url: $url, events: $events }) { id } }"#;
    let body = server.graphql_as(&admin, register, json!({ "url": url, "events": events })).await;
    assert!(body["errors"].is_null(), "{body}");
}

async fn dispatch(server: &TestServer) {
    let dispatcher = notify::Dispatcher::new(
        server.db.conn.clone(),
        notify::DispatchSettings::from(&server.settings.webhooks),
    )
    .unwrap();
    for _ in 0..3 {
        dispatcher.run_once(chrono::Utc::now()).await.unwrap();
    }
}

/// Creates an order of `item` for `amount` with key `key` (bound to `member` if given) and pays it.
async fn paid_order(server: &TestServer, key: &str, item: &str, amount: i64, member: Option<&str>) -> String {
    let service = server.token(Role::Service, "ec-backend");
    let mut input = order_input(key, json!([{ "itemNo": item, "amount": amount }]));
    if let Some(account) = member {
        input["memberAccount"] = json!(account);
    }
    let created = server.graphql_as(&service, CREATE, json!({ "input": input })).await;
    let order_no =
        created["data"]["createOrder"]["orderNo"].as_str().unwrap_or_else(|| panic!("{created}")).to_owned();
    let payment = json!({ "orderNo": order_no, "transactionId": format!("T-{key}"), "status": "PAID", "amount": amount });
    let paid = server.graphql_as(&service, PAY, json!({ "input": payment })).await;
    assert!(paid["errors"].is_null(), "{paid}");
    order_no
}

const CONFIRM: &str = r#"mutation($no: String!, $erp: String!) { confirmErpTransfer(orderNo: $no, erpOrderNo: $erp) { orderNo erpOrderNo erpConfirmedAt readyAt } }"#;
const READ: &str = r#"query($no: String!) { order(orderNo: $no) { readyAt erpOrderNo } }"#;

#[tokio::test]
async fn r21_a_paid_order_reaches_the_erp_once_and_its_confirmation_reaches_the_ec() {
    for server in servers(|s| s.webhooks.allow_private_networks = true).await {
        let (erp_url, erp) = receiver().await;
        let (ec_url, ec) = receiver().await;
        subscribe(&server, &erp_url, &["order.ready"]).await;
        subscribe(&server, &ec_url, &["order.confirmed"]).await;
        let service = server.token(Role::Service, "ec-backend");

        // A print subscription: its entitlement is the payer's, computed with the payment.
        let order_no = paid_order(&server, "erp-1", "GC24010001", 2280, None).await;
        let read = server.graphql_as(&service, READ, json!({ "no": order_no })).await;
        assert!(read["data"]["order"]["readyAt"].is_string(), "{}: {read}", server.label());
        // A digital line waits for its member: not ready until the order is bound.
        let waiting = paid_order(&server, "erp-2", "GC18080026", 3480, None).await;
        let read = server.graphql_as(&service, READ, json!({ "no": waiting })).await;
        assert!(read["data"]["order"]["readyAt"].is_null(), "{read}");
        let early = server.graphql_as(&service, CONFIRM, json!({ "no": waiting, "erp": "ERP-0" })).await;
        assert_eq!(error_codes(&early), ["CONFLICT"], "not ready: {early}");
        create_member(&server, &service, "reader@example.com").await;
        let bind = r#"mutation($no: String!) { bindOrderMember(orderNo: $no, account: "reader@example.com") { orderNo } }"#;
        assert!(server.graphql_as(&service, bind, json!({ "no": waiting })).await["errors"].is_null());
        let read = server.graphql_as(&service, READ, json!({ "no": waiting })).await;
        assert!(read["data"]["order"]["readyAt"].is_string(), "ready once bound: {read}");

        dispatch(&server).await;
        let ready: Vec<Value> = erp.lock().unwrap().clone();
        let numbers: Vec<&str> = ready.iter().map(|b| b["data"]["orderNo"].as_str().unwrap()).collect();
        assert_eq!(numbers, [order_no.as_str(), waiting.as_str()], "each order once: {ready:?}");
        assert_eq!(ready[0]["type"], "order.ready");
        assert_eq!(ready[0]["data"]["lines"][0]["promotionCode"], "GC24010001");
        assert_eq!(ready[0]["data"]["lines"][0]["itemNo"], "GCV1Y");
        assert_eq!(ready[0]["data"]["receiver"]["name"], "孫小美");
        assert!(ec.lock().unwrap().is_empty(), "nothing confirmed yet");

        // The ERP confirms; again with the same number is the same answer; another number is refused.
        let member = server.token(Role::Member, "reader@example.com");
        let forbidden = server.graphql_as(&member, CONFIRM, json!({ "no": order_no, "erp": "ERP-1" })).await;
        assert_eq!(error_codes(&forbidden), ["FORBIDDEN"]);
        let confirmed = server.graphql_as(&service, CONFIRM, json!({ "no": order_no, "erp": "ERP-1" })).await;
        assert_eq!(confirmed["data"]["confirmErpTransfer"]["erpOrderNo"], "ERP-1", "{confirmed}");
        let events = count(&server.db.conn, "events").await;
        let again = server.graphql_as(&service, CONFIRM, json!({ "no": order_no, "erp": "ERP-1" })).await;
        assert_eq!(again["data"], confirmed["data"], "idempotent");
        assert_eq!(count(&server.db.conn, "events").await, events, "nothing written again");
        let other = server.graphql_as(&service, CONFIRM, json!({ "no": order_no, "erp": "ERP-2" })).await;
        assert_eq!(error_codes(&other), ["CONFLICT"], "{other}");
        let taken = server.graphql_as(&service, CONFIRM, json!({ "no": waiting, "erp": "ERP-1" })).await;
        assert_eq!(error_codes(&taken), ["CONFLICT"], "one ERP order is one of ours: {taken}");
        let bad = server.graphql_as(&service, CONFIRM, json!({ "no": waiting, "erp": " " })).await;
        assert_eq!(error_codes(&bad), ["BAD_USER_INPUT"]);
        let missing =
            server.graphql_as(&service, CONFIRM, json!({ "no": "O0000000000000", "erp": "ERP-9" })).await;
        assert_eq!(error_codes(&missing), ["NOT_FOUND"]);
        assert_eq!(count(&server.db.conn, "events").await, events, "refusals write nothing");

        dispatch(&server).await;
        let confirmations = ec.lock().unwrap().clone();
        assert_eq!(confirmations.len(), 1, "{confirmations:?}");
        assert_eq!(confirmations[0]["type"], "order.confirmed");
        assert_eq!(confirmations[0]["data"]["erpOrderNo"], "ERP-1");
        assert_eq!(erp.lock().unwrap().len(), 2, "order.ready is not sent again");
    }
}

#[tokio::test]
async fn r21_orders_the_erp_leaves_unconfirmed_get_one_follow_up() {
    for server in servers(|s| s.erp.confirm_within_hours = 1).await {
        let service = server.token(Role::Service, "ec-backend");
        let late = paid_order(&server, "late-1", "GC24010001", 2280, None).await;
        let done = paid_order(&server, "late-2", "GC24010001", 2280, None).await;
        let fresh_before = chrono::Utc::now() - chrono::Duration::hours(2);
        crate::browser::move_to(&server, "orders", "ready_at", fresh_before).await;
        let confirmed = server.graphql_as(&service, CONFIRM, json!({ "no": done, "erp": "ERP-7" })).await;
        assert!(confirmed["errors"].is_null(), "{confirmed}");
        let recent = paid_order(&server, "late-3", "GC24010001", 2280, None).await;

        let ctx = jobs::JobContext::new(server.db.conn.clone(), Arc::new(server.settings.clone())).unwrap();
        for _ in 0..2 {
            let request = jobs::RunRequest { as_of: None, force: true, requested_by: "test".into() };
            let run = jobs::run(&ctx, jobs::JobName::AlertCheck, request, chrono::Utc::now()).await.unwrap();
            assert_eq!(run.error, None, "{run:?}");
        }
        let unconfirmed = "follow_ups WHERE kind = 'ERP_UNCONFIRMED'";
        assert_eq!(
            count(&server.db.conn, unconfirmed).await,
            1,
            "{}: one, for the late order, once",
            server.label()
        );
        let about_recent = format!("{unconfirmed} AND subject = 'order:{recent}'");
        assert_eq!(count(&server.db.conn, &about_recent).await, 0, "a recent one is not late");
        let admin = server.token(Role::Admin, "ops");
        let list =
            r#"{ followUps(filter: { kind: ERP_UNCONFIRMED }) { edges { node { subject priority } } } }"#;
        let body = server.graphql_as(&admin, list, json!({})).await;
        assert_eq!(
            body["data"]["followUps"]["edges"][0]["node"]["subject"],
            format!("order:{late}"),
            "{body}"
        );
        // Resolved without the ERP confirming: not opened again.
        let id =
            count(&server.db.conn, "follow_ups WHERE kind = 'ERP_UNCONFIRMED' AND status = 'OPEN'").await;
        assert_eq!(id, 1);
        test_support::execute(&server.db.conn, "UPDATE follow_ups SET status = 'RESOLVED', open_key = NULL")
            .await;
        let request = jobs::RunRequest { as_of: None, force: true, requested_by: "test".into() };
        jobs::run(&ctx, jobs::JobName::AlertCheck, request, chrono::Utc::now()).await.unwrap();
        assert_eq!(count(&server.db.conn, unconfirmed).await, 1, "once per order, even after it is closed");
    }
}

#[tokio::test]
async fn r21_admins_page_through_the_erp_exports_over_graphql() {
    for server in servers(|_| {}).await {
        for key in ["x-1", "x-2", "x-3"] {
            paid_order(&server, key, "GC24010001", 2280, None).await;
        }
        let admin = server.token(Role::Admin, "ops");
        let export = r#"query($after: String) { entitlementsExport(first: 2, after: $after) { header rows endCursor hasNextPage } }"#;
        let first = server.graphql_as(&admin, export, json!({})).await;
        let page = &first["data"]["entitlementsExport"];
        assert_eq!(page["header"][0], "CUSTOMER_ID", "{}: {first}", server.label());
        assert_eq!(page["header"][2], "GC_SUB_END_DATE");
        assert_eq!(page["rows"].as_array().unwrap().len(), 2);
        assert_eq!(page["hasNextPage"], true);
        let second = server.graphql_as(&admin, export, json!({ "after": page["endCursor"] })).await;
        let rest = &second["data"]["entitlementsExport"];
        assert_eq!(
            (rest["rows"].as_array().unwrap().len(), &rest["hasNextPage"]),
            (1, &json!(false)),
            "{second}"
        );
        let end_volume = rest["rows"][0][3].as_str().unwrap().parse::<i32>().unwrap();
        assert!(end_volume > 0, "the GC columns are filled: {second}");

        let list = r#"query($v: Int!, $after: String) { mailingList(product: "GCV", volume: $v, first: 2, after: $after) { header rows endCursor hasNextPage } }"#;
        let body = server.graphql_as(&admin, list, json!({ "v": end_volume })).await;
        let page = &body["data"]["mailingList"];
        assert_eq!(page["header"][0], "CUSTOMER_NO", "{body}");
        assert_eq!(page["hasNextPage"], true);
        let next =
            server.graphql_as(&admin, list, json!({ "v": end_volume, "after": page["endCursor"] })).await;
        assert_eq!(next["data"]["mailingList"]["rows"].as_array().unwrap().len(), 1, "{next}");
        let past = server.graphql_as(&admin, list, json!({ "v": end_volume + 1 })).await;
        assert_eq!(past["data"]["mailingList"]["rows"], json!([]), "{past}");

        let bad = server
            .graphql_as(&admin, r#"{ mailingList(product: "KCW", volume: 1) { rows } }"#, json!({}))
            .await;
        assert_eq!(error_codes(&bad), ["BAD_USER_INPUT"], "{bad}");
        let bad =
            server.graphql_as(&admin, r#"{ entitlementsExport(product: "XXX") { rows } }"#, json!({})).await;
        assert_eq!(error_codes(&bad), ["BAD_USER_INPUT"], "{bad}");
        let service = server.token(Role::Service, "ec-backend");
        for query in
            [r#"{ mailingList(product: "GCV", volume: 1) { rows } }"#, "{ entitlementsExport { rows } }"]
        {
            let body = server.graphql_as(&service, query, json!({})).await;
            assert_eq!(error_codes(&body), ["FORBIDDEN"], "admins only: {body}");
        }
    }
}

const SHIP: &str = r#"mutation($input: RecordShipmentInput!) { recordShipment(input: $input) { orderNo carrier trackingNo recordedNow lines { position quantity } } }"#;

/// A shipment of `lines` (position, units) of `order_no`.
fn shipment(order_no: &str, tracking: &str, lines: &[(i32, i32)]) -> Value {
    let lines: Vec<Value> = lines.iter().map(|(p, q)| json!({ "position": p, "quantity": q })).collect();
    json!({ "input": { "orderNo": order_no, "lines": lines, "shippedAt": chrono::Utc::now().to_rfc3339(),
                       "carrier": "黑貓", "trackingNo": tracking } })
}

#[tokio::test]
async fn r21_a_shipped_book_ships_the_order_and_its_receiver_gets_one_notice_a_day() {
    let smtp = test_support::smtp::SmtpReceiver::start().await.unwrap();
    let url = smtp.url.clone();
    let configure = move |s: &mut platform_core::Settings| {
        s.webhooks.allow_private_networks = true;
        s.email.smtp_url = Some(platform_core::settings::Secret::new(url.clone()));
    };
    for server in servers(configure).await {
        let (ec_url, ec) = receiver().await;
        subscribe(&server, &ec_url, &["order.shipped"]).await;
        let service = server.token(Role::Service, "ec-backend");
        let receiver_email = format!("reader-{}@example.com", server.label());
        // Two orders to the same receiver: a book (2 units) with a magazine, and another book.
        let mut orders = Vec::new();
        for (key, lines) in [
            (
                "ship-1",
                json!([{ "itemNo": "BK0002", "quantity": 2, "amount": 700 }, { "itemNo": "GC24010001", "amount": 2280 }]),
            ),
            ("ship-2", json!([{ "itemNo": "BK0002", "amount": 350 }])),
        ] {
            let mut input = order_input(key, lines);
            input["receiver"]["email"] = json!(receiver_email);
            let created = server.graphql_as(&service, CREATE, json!({ "input": input })).await;
            let order = &created["data"]["createOrder"];
            let order_no = order["orderNo"].as_str().unwrap_or_else(|| panic!("{created}")).to_owned();
            let amount = order["totalAmount"].as_i64().unwrap();
            let payment = json!({ "orderNo": order_no, "transactionId": format!("T-{key}"), "status": "PAID", "amount": amount });
            assert!(server.graphql_as(&service, PAY, json!({ "input": payment })).await["errors"].is_null());
            orders.push(order_no);
        }
        let read = r#"query($no: String!) { order(orderNo: $no) { status shippedAt lines { position itemNo status shippedQuantity } } }"#;
        let first = server.graphql_as(&service, read, json!({ "no": orders[0] })).await;
        let lines = first["data"]["order"]["lines"].as_array().unwrap().clone();
        let book =
            lines.iter().find(|l| l["itemNo"] == "BK0002").unwrap()["position"].as_i64().unwrap() as i32;

        // One unit of the book: the order is SHIPPED, the line not yet.
        let shipped = server.graphql_as(&service, SHIP, shipment(&orders[0], "T-001", &[(book, 1)])).await;
        assert_eq!(shipped["data"]["recordShipment"]["recordedNow"], true, "{}: {shipped}", server.label());
        let after = server.graphql_as(&service, read, json!({ "no": orders[0] })).await;
        assert_eq!(after["data"]["order"]["status"], "SHIPPED", "{after}");
        let line = |body: &Value| {
            body["data"]["order"]["lines"]
                .as_array()
                .unwrap()
                .iter()
                .find(|l| l["itemNo"] == "BK0002")
                .unwrap()
                .clone()
        };
        assert_eq!(
            (line(&after)["status"].clone(), line(&after)["shippedQuantity"].clone()),
            (json!("CONFIRMED"), json!(1))
        );
        // The same shipment again: as recorded; other lines under the same tracking number: CONFLICT.
        let again = server.graphql_as(&service, SHIP, shipment(&orders[0], "T-001", &[(book, 1)])).await;
        assert_eq!(again["data"]["recordShipment"]["recordedNow"], false, "{again}");
        let other = server.graphql_as(&service, SHIP, shipment(&orders[0], "T-001", &[(book, 2)])).await;
        assert_eq!(error_codes(&other), ["CONFLICT"], "{other}");
        let too_many = server.graphql_as(&service, SHIP, shipment(&orders[0], "T-002", &[(book, 2)])).await;
        assert_eq!(error_codes(&too_many), ["CONFLICT"], "one unit is left: {too_many}");
        let missing = server.graphql_as(&service, SHIP, shipment(&orders[0], "T-003", &[(99, 1)])).await;
        assert_eq!(error_codes(&missing), ["NOT_FOUND"], "{missing}");
        // The second unit (a second parcel the same day), then the other order.
        assert!(
            server.graphql_as(&service, SHIP, shipment(&orders[0], "T-002", &[(book, 1)])).await["errors"]
                .is_null()
        );
        let done = server.graphql_as(&service, read, json!({ "no": orders[0] })).await;
        assert_eq!(line(&done)["status"], "SHIPPED", "every unit shipped: {done}");
        assert!(
            server.graphql_as(&service, SHIP, shipment(&orders[1], "T-003", &[(0, 1)])).await["errors"]
                .is_null()
        );
        // A shipped order is returned, not cancelled.
        let cancel =
            r#"mutation($no: String!) { cancelOrder(orderNo: $no, reason: "changed my mind") { orderNo } }"#;
        let admin = server.token(Role::Admin, "ops");
        assert_eq!(
            error_codes(&server.graphql_as(&admin, cancel, json!({ "no": orders[1] })).await),
            ["CONFLICT"]
        );

        dispatch(&server).await;
        let shipped_events: Vec<String> =
            ec.lock().unwrap().iter().map(|b| b["data"]["orderNo"].as_str().unwrap().to_owned()).collect();
        assert_eq!(shipped_events, orders, "order.shipped once per order");

        // The day's notice: one e-mail for the three parcels, sent once even if the job runs again.
        let ctx = jobs::JobContext::new(server.db.conn.clone(), Arc::new(server.settings.clone())).unwrap();
        let before = smtp.received().len();
        for _ in 0..2 {
            for name in [jobs::JobName::SendShippingNotices, jobs::JobName::DispatchEmails] {
                let request = jobs::RunRequest { as_of: None, force: true, requested_by: "test".into() };
                let run = jobs::run(&ctx, name, request, chrono::Utc::now()).await.unwrap();
                assert_eq!(run.error, None, "{run:?}");
            }
        }
        let received: Vec<_> = smtp.received()[before..]
            .iter()
            .filter(|m| m.to.iter().any(|t| t.trim_matches(['<', '>']) == receiver_email))
            .cloned()
            .collect();
        assert_eq!(received.len(), 1, "{}: one notice for the receiver", server.label());
        assert_eq!(count(&server.db.conn, "emails WHERE kind = 'shipping_notice'").await, 1);
        let text = &received[0].data;
        for tracking in ["T-001", "T-002", "T-003"] {
            assert_eq!(text.matches(tracking).count(), 1, "{tracking} listed once: {text}");
        }
        assert_eq!(count(&server.db.conn, "shipments WHERE notified_at IS NULL").await, 0);
        // Nothing is left to ship of that line.
        let more = server.graphql_as(&service, SHIP, shipment(&orders[1], "T-004", &[(0, 1)])).await;
        assert_eq!(error_codes(&more), ["CONFLICT"], "{more}");
        // A parcel later the same day waits for tomorrow's notice.
        let mut input = order_input("ship-3", json!([{ "itemNo": "BK0002", "amount": 350 }]));
        input["receiver"]["email"] = json!(receiver_email);
        let created = server.graphql_as(&service, CREATE, json!({ "input": input })).await;
        let third = created["data"]["createOrder"]["orderNo"].as_str().unwrap().to_owned();
        let payment =
            json!({ "orderNo": third, "transactionId": "T-ship-3", "status": "PAID", "amount": 350 });
        assert!(server.graphql_as(&service, PAY, json!({ "input": payment })).await["errors"].is_null());
        assert!(
            server.graphql_as(&service, SHIP, shipment(&third, "T-005", &[(0, 1)])).await["errors"].is_null()
        );
        let today = platform_core::BusinessCalendar::from(&server.settings).date_of(chrono::Utc::now());
        for as_of in [today, today.succ_opt().unwrap()] {
            for name in [jobs::JobName::SendShippingNotices, jobs::JobName::DispatchEmails] {
                let request =
                    jobs::RunRequest { as_of: Some(as_of), force: true, requested_by: "test".into() };
                assert_eq!(jobs::run(&ctx, name, request, chrono::Utc::now()).await.unwrap().error, None);
            }
            let waiting = count(&server.db.conn, "shipments WHERE notified_at IS NULL").await;
            assert_eq!(waiting, if as_of == today { 1 } else { 0 }, "{as_of}: told once a day");
        }
        let notices: Vec<_> = smtp.received()[before..]
            .iter()
            .filter(|m| m.to.iter().any(|t| t.trim_matches(['<', '>']) == receiver_email))
            .cloned()
            .collect();
        assert_eq!(notices.len(), 2, "today's and tomorrow's");
        assert!(
            notices[1].data.contains("T-005") && !notices[1].data.contains("T-001"),
            "{}",
            notices[1].data
        );
    }
}

#[tokio::test]
async fn r21_a_nine_one_app_digital_product_goes_to_its_member_only() {
    for server in servers(|_| {}).await {
        let service = server.token(Role::Service, "nine-one-app");
        create_member(&server, &service, "reader@example.com").await;
        let order = |key: &str, member: Option<&str>, email: &str| {
            let mut input = order_input(key, json!([{ "itemNo": "GC18080026", "amount": 3480 }]));
            input["source"] = json!("NINE_ONE_APP");
            input["receiver"]["email"] = json!(email);
            if let Some(member) = member {
                input["memberAccount"] = json!(member);
            }
            json!({ "input": input })
        };
        let orders_before = count(&server.db.conn, "orders").await;
        let gift = server
            .graphql_as(&service, CREATE, order("91-1", Some("reader@example.com"), "friend@example.com"))
            .await;
        assert_eq!(error_codes(&gift), ["BAD_USER_INPUT"], "{}: no gifting: {gift}", server.label());
        assert!(gift["errors"][0]["message"].as_str().unwrap().contains("receiver.email"));
        let nobody = server.graphql_as(&service, CREATE, order("91-2", None, "reader@example.com")).await;
        assert_eq!(error_codes(&nobody), ["BAD_USER_INPUT"], "{nobody}");
        assert_eq!(count(&server.db.conn, "orders").await, orders_before, "nothing written");
        let own = server
            .graphql_as(&service, CREATE, order("91-3", Some("reader@example.com"), "READER@example.com"))
            .await;
        let order_no =
            own["data"]["createOrder"]["orderNo"].as_str().unwrap_or_else(|| panic!("{own}")).to_owned();
        let payment =
            json!({ "orderNo": order_no, "transactionId": "T-91-3", "status": "PAID", "amount": 3480 });
        assert!(server.graphql_as(&service, PAY, json!({ "input": payment })).await["errors"].is_null());
        let held = count(&server.db.conn, "entitlements e JOIN members m ON m.id = e.holder_member_id WHERE m.account = 'reader@example.com' AND e.product_code = 'KCW'").await;
        assert_eq!(held, 1, "the pass is the member's");
    }
}

const APP_RENEW: &str = r#"mutation($o: String!, $t: String!, $e: DateTime!) { recordAppRenewal(originalTransactionId: $o, transactionId: $t, expiresAt: $e) { orderNo recordedNow renewal { id status cycle deductDate } } }"#;
const APP_CANCEL: &str =
    r#"mutation($o: String!) { cancelAppSubscription(originalTransactionId: $o) { id status } }"#;

/// The member's KCW due date, as text.
async fn pass_due(server: &TestServer) -> Option<String> {
    crate::support::text(&server.db.conn, "SELECT CAST(e.right_due_date AS TEXT) FROM entitlements e JOIN members m ON m.id = e.holder_member_id WHERE m.account = 'app@example.com' AND e.product_code = 'KCW'").await
}

#[tokio::test]
async fn r21_an_app_store_subscription_is_renewed_by_the_store_and_never_charged_by_us() {
    for server in servers(|_| {}).await {
        let iap = server.token(Role::Service, "iap-server");
        create_member(&server, &iap, "app@example.com").await;
        let app_order = |key: &str, channel: Option<&str>| {
            let mut input = order_input(key, json!([{ "itemNo": "KC24010001", "amount": 199 }]));
            input["source"] = json!("APP");
            input["memberAccount"] = json!("app@example.com");
            input["paymentMethod"] = json!("APP");
            input.as_object_mut().unwrap().remove("paymentToken");
            input.as_object_mut().unwrap().remove("cardLast4");
            if let Some(channel) = channel {
                input["channelOrderId"] = json!(channel);
            }
            json!({ "input": input })
        };
        let missing = server.graphql_as(&iap, CREATE, app_order("app-0", None)).await;
        assert_eq!(error_codes(&missing), ["BAD_USER_INPUT"], "{}: {missing}", server.label());
        let created = server.graphql_as(&iap, CREATE, app_order("app-1", Some("1000001"))).await;
        let order_no = created["data"]["createOrder"]["orderNo"]
            .as_str()
            .unwrap_or_else(|| panic!("{created}"))
            .to_owned();
        let replay = server.graphql_as(&iap, CREATE, app_order("app-1", Some("1000001"))).await;
        assert_eq!(replay["data"]["createOrder"]["orderNo"], order_no.as_str(), "idempotent");
        let twice = server.graphql_as(&iap, CREATE, app_order("app-2", Some("1000001"))).await;
        assert_eq!(error_codes(&twice), ["CONFLICT"], "one order per store transaction: {twice}");
        let payment =
            json!({ "orderNo": order_no, "transactionId": "1000001", "status": "PAID", "amount": 199 });
        assert!(server.graphql_as(&iap, PAY, json!({ "input": payment })).await["errors"].is_null());

        // R7 makes its renewal: status APP, which the charge run never charges.
        let ctx = jobs::JobContext::new(server.db.conn.clone(), Arc::new(server.settings.clone())).unwrap();
        let run = |name: jobs::JobName, as_of: Option<chrono::NaiveDate>| {
            let ctx = ctx.clone();
            async move {
                let request = jobs::RunRequest { as_of, force: true, requested_by: "test".into() };
                let run = jobs::run(&ctx, name, request, chrono::Utc::now()).await.unwrap();
                assert_eq!(run.error, None, "{run:?}");
            }
        };
        run(jobs::JobName::CreateRenewals, None).await;
        let renewals = "renewals WHERE renew_status = 5 AND source = 'APP' AND payment_token IS NULL";
        assert_eq!(count(&server.db.conn, renewals).await, 1, "{}: the APP renewal", server.label());
        let deduct = crate::support::text(&server.db.conn, "SELECT CAST(deduct_date AS TEXT) FROM renewals")
            .await
            .unwrap();
        let deduct_day = chrono::NaiveDate::parse_from_str(&deduct[..10], "%Y-%m-%d").unwrap();
        let orders_before = count(&server.db.conn, "orders").await;
        run(jobs::JobName::ChargeRenewals, Some(deduct_day)).await;
        assert_eq!(
            count(&server.db.conn, "orders").await,
            orders_before,
            "nothing charged on its deduct date"
        );
        assert_eq!(count(&server.db.conn, "renewal_charges").await, 0);

        // The store renews: an APP order, the pass extended, the renewal's next date the store's expiry.
        let due_before = pass_due(&server).await.unwrap();
        let expires = chrono::Utc::now() + chrono::Duration::days(62);
        let vars = json!({ "o": "1000001", "t": "1000002", "e": expires.to_rfc3339() });
        let renewed = server.graphql_as(&iap, APP_RENEW, vars.clone()).await;
        let answer = &renewed["data"]["recordAppRenewal"];
        assert_eq!(answer["recordedNow"], true, "{renewed}");
        assert_eq!((&answer["renewal"]["status"], &answer["renewal"]["cycle"]), (&json!("APP"), &json!(2)));
        let calendar = platform_core::BusinessCalendar::from(&server.settings);
        assert_eq!(answer["renewal"]["deductDate"], calendar.date_of(expires).to_string());
        let due_after = pass_due(&server).await.unwrap();
        assert!(due_after > due_before, "extended: {due_before} → {due_after}");
        let again = server.graphql_as(&iap, APP_RENEW, vars).await;
        assert_eq!(again["data"]["recordAppRenewal"]["recordedNow"], false, "{again}");
        assert_eq!(again["data"]["recordAppRenewal"]["orderNo"], answer["orderNo"]);
        assert_eq!(again["data"]["recordAppRenewal"]["renewal"]["cycle"], 2, "counted once");
        assert_eq!(pass_due(&server).await.unwrap(), due_after, "extended once");
        let far = json!({ "o": "1000001", "t": "1000005", "e": (chrono::Utc::now() + chrono::Duration::days(401)).to_rfc3339() });
        assert_eq!(
            error_codes(&server.graphql_as(&iap, APP_RENEW, far).await),
            ["BAD_USER_INPUT"],
            "a bounded term"
        );
        let unknown = json!({ "o": "999", "t": "1000003", "e": expires.to_rfc3339() });
        assert_eq!(error_codes(&server.graphql_as(&iap, APP_RENEW, unknown).await), ["NOT_FOUND"]);

        // The store cancels: STOPPED, once; the access paid for stays; no renewal after.
        let cancelled = server.graphql_as(&iap, APP_CANCEL, json!({ "o": "1000001" })).await;
        assert_eq!(cancelled["data"]["cancelAppSubscription"]["status"], "STOPPED", "{cancelled}");
        let stopped_events = "events WHERE event_type = 'renewal.stopped'";
        assert_eq!(count(&server.db.conn, stopped_events).await, 1);
        let again = server.graphql_as(&iap, APP_CANCEL, json!({ "o": "1000001" })).await;
        assert_eq!(again["data"]["cancelAppSubscription"]["status"], "STOPPED");
        assert_eq!(count(&server.db.conn, stopped_events).await, 1, "as it is");
        assert_eq!(pass_due(&server).await.unwrap(), due_after, "access runs to its end");
        let late = json!({ "o": "1000001", "t": "1000004", "e": expires.to_rfc3339() });
        assert_eq!(error_codes(&server.graphql_as(&iap, APP_RENEW, late).await), ["CONFLICT"]);
        let member = server.token(Role::Member, "app@example.com");
        assert_eq!(
            error_codes(&server.graphql_as(&member, APP_CANCEL, json!({ "o": "1000001" })).await),
            ["FORBIDDEN"]
        );
    }
}

const UPSERT: &str = r#"mutation($input: UpsertCustomerInput!) { upsertCustomer(input: $input) { customerNo addresses { city street } contacts { name phones emails addresses { city street } } } }"#;

#[tokio::test]
async fn r21_the_erp_pushes_its_customer_master_with_contacts_whole() {
    for server in servers(|_| {}).await {
        let erp = server.token(Role::Service, "erp");
        let master = json!({ "input": {
            "customerNo": "A0099001", "customerId": "400901", "name": "天下文化",
            "address": { "city": "台北市", "street": "松江路93巷1號" },
            "addresses": [{ "city": "台北市", "street": "南京東路二段139號" }, { "city": "新北市", "street": "中正路1號" }],
            "contacts": [
                { "name": "王經理", "addresses": [{ "city": "台北市", "street": "松江路93巷1號2樓" }],
                  "phones": ["0225078627"], "emails": ["wang@example.com", "wang.backup@example.com"] },
                { "name": "林會計", "addresses": [], "phones": ["0912345678"], "emails": [] },
            ],
        }});
        let pushed = server.graphql_as(&erp, UPSERT, master.clone()).await;
        let customer = &pushed["data"]["upsertCustomer"];
        assert_eq!(customer["addresses"][1]["city"], "新北市", "{}: {pushed}", server.label());
        assert_eq!(customer["contacts"][0]["emails"], json!(["wang@example.com", "wang.backup@example.com"]));
        assert_eq!(customer["contacts"][0]["addresses"][0]["street"], "松江路93巷1號2樓");
        assert_eq!(customer["contacts"][1]["phones"], json!(["0912345678"]));
        // The same push again changes nothing; a changed contact list is one customer.updated with it.
        let events = "events WHERE subject = 'customer:A0099001'";
        let before = count(&server.db.conn, events).await;
        let again = server.graphql_as(&erp, UPSERT, master.clone()).await;
        assert_eq!(again["data"], pushed["data"]);
        assert_eq!(count(&server.db.conn, events).await, before, "unchanged");
        let mut fewer = master.clone();
        fewer["input"]["contacts"] =
            json!([{ "name": "林會計", "addresses": [], "phones": ["0912345678"], "emails": [] }]);
        let changed = server.graphql_as(&erp, UPSERT, fewer).await;
        assert_eq!(changed["data"]["upsertCustomer"]["contacts"].as_array().unwrap().len(), 1, "{changed}");
        assert_eq!(
            count(
                &server.db.conn,
                "events WHERE subject = 'customer:A0099001' AND event_type = 'customer.updated'"
            )
            .await,
            1
        );
        let payload = crate::support::text(&server.db.conn, "SELECT payload FROM events WHERE subject = 'customer:A0099001' AND event_type = 'customer.updated'").await.unwrap();
        let payload: Value = serde_json::from_str(&payload).unwrap();
        assert_eq!(payload["contacts"][0]["name"], "林會計", "{payload}");
        // Bad entries are refused by name, nothing written.
        let mut bad = master.clone();
        bad["input"]["contacts"][1]["phones"] = json!(["not a phone"]);
        let refused = server.graphql_as(&erp, UPSERT, bad).await;
        assert_eq!(error_codes(&refused), ["BAD_USER_INPUT"], "{refused}");
        assert!(
            refused["errors"][0]["message"].as_str().unwrap().contains("contacts[1].phones[0]"),
            "{refused}"
        );
        assert_eq!(count(&server.db.conn, "customer_contacts").await, 1);
        // Contacts name other people: operators only.
        let cleared = server.graphql_as(&erp, r#"mutation { upsertCustomer(input: { customerNo: "A0099001", contacts: null }) { contacts { name } } }"#, json!({})).await;
        assert_eq!(cleared["data"]["upsertCustomer"]["contacts"], json!([]), "{cleared}");
        assert_eq!(count(&server.db.conn, "customer_contact_points WHERE contact_id IS NOT NULL").await, 0);
    }
}
